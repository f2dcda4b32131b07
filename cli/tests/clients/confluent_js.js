// Drives @confluentinc/schemaregistry (the client of confluent-kafka-javascript): its
// SchemaRegistryClient, ProtobufSerializer and ProtobufDeserializer, against a running
// huntreg, for cli/tests/clients.rs.
//
// One request per process: a JSON object on stdin, a JSON object on stdout, so every
// deserialization runs with fresh clients and empty caches. Registry errors surfaced by
// the client come back as data ({"error": {...}}); anything else is a stack trace on stderr
// and exit status 1. Modules come from $NODE_PATH (.tools/node_modules).
//
// Messages are @bufbuild/protobuf messages whose descriptors are built at run time with
// createFileRegistry from a FileDescriptorSet (compiled from the .proto fixtures by the
// Rust test with protox), which is what protoc-gen-es output does at load time.
//
// Ops:
//   produce {url, fds, type, topic, strategy, value, conf?} -> {hex, id} (conf: more
//           serializer settings, e.g. {"autoRegisterSchemas": false, "useLatestVersion": true})
//   consume {url, topic, strategy, hex}              -> {type, value}
//   api     {url, calls: [[method, arg...], ...]}    -> {results: [{ok} | {error}]}
// strategy: "associated" (the client default), "topic", or a hunt context such as
// ".hunt-42" (subject ":.hunt-42:{topic}-value").
'use strict';

const fs = require('fs');
const { create, createFileRegistry, fromBinary, fromJson, toJson } = require('@bufbuild/protobuf');
const { FileDescriptorSetSchema } = require('@bufbuild/protobuf/wkt');
const {
  ProtobufDeserializer,
  ProtobufSerializer,
  RestError,
  SchemaRegistryClient,
  SerdeType,
  SubjectNameStrategyType,
} = require('@confluentinc/schemaregistry');

function client(url) {
  // No retries: a server error should fail the test at once, not after a back-off.
  return new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 });
}

function serdeConf(strategy) {
  if (strategy === 'associated') return {};
  if (strategy === 'topic') return { subjectNameStrategyType: SubjectNameStrategyType.TOPIC };
  if (strategy.startsWith('.')) {
    return { subjectNameStrategy: (topic) => `:${strategy}:${topic}-value` };
  }
  throw new Error(`unknown strategy ${strategy}`);
}

async function produce(req) {
  const set = fromBinary(FileDescriptorSetSchema, fs.readFileSync(req.fds));
  const registry = createFileRegistry(set);
  const desc = registry.getMessage(req.type);
  if (desc === undefined) throw new Error(`no message ${req.type} in ${req.fds}`);
  const ser = new ProtobufSerializer(client(req.url), SerdeType.VALUE, {
    autoRegisterSchemas: true,
    registry,
    ...serdeConf(req.strategy),
    ...(req.conf ?? {}),
  });
  const bytes = await ser.serialize(req.topic, fromJson(desc, req.value, { registry }));
  return { hex: bytes.toString('hex'), id: bytes.readInt32BE(1) };
}

async function consume(req) {
  const de = new ProtobufDeserializer(client(req.url), SerdeType.VALUE, serdeConf(req.strategy));
  const msg = await de.deserialize(req.topic, Buffer.from(req.hex, 'hex'));
  // The descriptor the deserializer built from what the registry served.
  const desc = de.fileRegistry.getMessage(msg.$typeName);
  return { type: msg.$typeName, value: toJson(desc, msg, { registry: de.fileRegistry }) };
}

async function api(req) {
  const registry = client(req.url);
  const results = [];
  for (const [method, ...args] of req.calls) {
    try {
      results.push({ ok: (await registry[method](...args)) ?? null });
    } catch (e) {
      if (!(e instanceof RestError)) throw e;
      results.push({ error: { status: e.status, code: e.errorCode, message: e.message } });
    }
  }
  return { results };
}

const OPS = { produce, consume, api };

async function main() {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  const out = await OPS[req.op](req);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
