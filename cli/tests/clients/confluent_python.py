"""Drives confluent-kafka's SchemaRegistryClient, ProtobufSerializer and ProtobufDeserializer
against a running huntreg, for cli/tests/clients.rs.

One request per process: a JSON object on stdin, a JSON object on stdout. A fresh process
means fresh clients with empty caches, so "deserialize with a fresh client" is real.
Registry errors surfaced by the client come back as data ({"error": {...}}); anything else
(a serializer failure, a bug here) is a traceback on stderr and exit status 1.

Message classes are built at run time from a FileDescriptorSet (compiled from the .proto
fixtures by the Rust test with protox), the way protoc-generated *_pb2 modules build them:
added to the default descriptor pool, json_name already stripped.

Every op takes an optional "auth": "user:password", passed as `basic.auth.user.info`.
Ops (produce and consume take an optional "conf": more serializer/deserializer settings):
  produce   {url, fds, type, topic, strategy, value}      -> {hex, id, headers}
  consume   {url, fds, type, topic, strategy, hex}        -> {value}
produce with "guid_header": true frames with the 8.x header_schema_id_serializer (the
schema's GUID in the __value_schema_id header, the payload bare); its "headers" ([[key,
hex value]]) go back to consume as "headers", read by the default dual deserializer.
  shared    {url, fds, type, topic, strategy, value}      -> {hex, value}  one client for both serdes
  api       {url, calls: [[method, arg...], ...]}         -> {results: [{ok} | {error}]}
strategy: "associated" (the client default), "topic", or a hunt context such as ".hunt-42"
(subject ":.hunt-42:{topic}-value", references ":.hunt-42:{import path}").
"""

import json
import sys

import attrs

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, timestamp_pb2  # noqa: F401
from google.protobuf.message_factory import GetMessageClass

from confluent_kafka.schema_registry import (
    Schema,
    SchemaRegistryClient,
    SchemaRegistryError,
    header_schema_id_serializer,
)
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


def message_class(fds_path, type_name):
    """The generated-code equivalent of `from treasure.events_pb2 import <type>`."""
    with open(fds_path, "rb") as f:
        fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.Default()
    for file in fds.file:  # protox lists imports before the files that import them
        try:
            pool.FindFileByName(file.name)
        except KeyError:
            pool.Add(file)
    return GetMessageClass(pool.FindMessageTypeByName(type_name))


# "user:password" from the request's optional "auth", sent as the client sends
# `basic.auth.user.info` (HTTP Basic).
USER_INFO = None


def client(url):
    # No retries: a server error should fail the test at once, not after seconds of back-off.
    conf = {"url": url, "max.retries": 0}
    if USER_INFO is not None:
        conf["basic.auth.user.info"] = USER_INFO
    return SchemaRegistryClient(conf)


def serde_conf(strategy):
    if strategy == "associated":
        return {}
    if strategy == "topic":
        return {"subject.name.strategy.type": "TOPIC"}
    if strategy.startswith("."):
        return {
            "subject.name.strategy": lambda ctx, _record: f":{strategy}:{ctx.topic}-value",
            "reference.subject.name.strategy": lambda _ctx, dep: f":{strategy}:{dep.name}",
        }
    raise ValueError(f"unknown strategy {strategy!r}")


def serializer(req, registry):
    cls = message_class(req["fds"], req["type"])
    conf = {**serde_conf(req["strategy"]), **req.get("conf", {})}
    if req.get("guid_header"):
        conf["schema.id.serializer"] = header_schema_id_serializer
    return cls, ProtobufSerializer(cls, registry, conf)


def deserializer(req, registry):
    cls = message_class(req["fds"], req["type"])
    conf = serde_conf(req["strategy"])
    conf.pop("reference.subject.name.strategy", None)  # not a deserializer setting
    return ProtobufDeserializer(cls, {**conf, **req.get("conf", {})}, registry)


def ctx(req):
    headers = [(k, bytes.fromhex(v)) for k, v in req.get("headers", [])]
    return SerializationContext(req["topic"], MessageField.VALUE, headers)


def to_json(msg):
    return json_format.MessageToDict(msg)


def produce(req):
    cls, ser = serializer(req, client(req["url"]))
    context = ctx(req)
    data = ser(json_format.ParseDict(req["value"], cls()), context)
    headers = [[k, v.hex()] for k, v in context.headers]
    if req.get("guid_header"):
        return {"hex": data.hex(), "id": None, "headers": headers}
    return {"hex": data.hex(), "id": int.from_bytes(data[1:5], "big"), "headers": headers}


def consume(req):
    de = deserializer(req, client(req["url"]))
    return {"value": to_json(de(bytes.fromhex(req["hex"]), ctx(req)))}


def shared(req):
    registry = client(req["url"])
    cls, ser = serializer(req, registry)
    de = deserializer(req, registry)
    data = ser(json_format.ParseDict(req["value"], cls()), ctx(req))
    return {"hex": data.hex(), "value": to_json(de(data, ctx(req)))}


def api_arg(arg):
    if isinstance(arg, dict) and "schemaType" in arg:
        return Schema.from_dict(arg)
    return arg


def api_result(value):
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if attrs.has(type(value)):  # e.g. SchemaVersion, which has no to_dict
        return attrs.asdict(value)
    if isinstance(value, list):
        return [api_result(v) for v in value]
    return value


def api(req):
    registry = client(req["url"])
    results = []
    for method, *args in req["calls"]:
        try:
            value = getattr(registry, method)(*[api_arg(a) for a in args])
            results.append({"ok": api_result(value)})
        except SchemaRegistryError as e:
            results.append(
                {"error": {"status": e.http_status_code, "code": e.error_code, "message": e.error_message}}
            )
    return {"results": results}


OPS = {"produce": produce, "consume": consume, "shared": shared, "api": api}

if __name__ == "__main__":
    request = json.load(sys.stdin)
    USER_INFO = request.get("auth")
    json.dump(OPS[request["op"]](request), sys.stdout)
    sys.stdout.write("\n")
