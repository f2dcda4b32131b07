//! End-to-end: the published, unmodified Confluent Schema Registry clients against a real
//! `huntreg serve` process. confluent-kafka (Python: `SchemaRegistryClient`,
//! `ProtobufSerializer`, `ProtobufDeserializer`), @confluentinc/schemaregistry (JavaScript:
//! the same three, with @bufbuild/protobuf messages) and @kafkajs/confluent-schema-registry
//! (text schemas) each produce and consume records, in the default context and in a hunt
//! (a Confluent context: a context-qualified subject strategy, or the `/contexts/.hunt`
//! base URL), across clients, with a reference (`treasure/common.proto`) and a well-known
//! import (`google/protobuf/timestamp.proto`), and use the registry API (compatibility,
//! lookup, listing, deletes).
//!
//! Every serialization is read back by a *fresh* client in a new process (empty caches), so
//! the registry, not a client cache, answers. The clients come from `scripts/setup-tools`
//! (`$HUNTREG_TOOLS`, default `.tools/`); the drivers are in `tests/clients/`. A failing
//! client call prints the client's stderr and the server's.

#[path = "clients/server.rs"]
mod server;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use prost::Message as _;
use serde_json::{json, Value};
use server::Server;
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------
// Tools, fixtures and client processes
// ---------------------------------------------------------------------------------------

/// The installed clients and the compiled fixtures, prepared once per test binary.
struct Tools {
    python: PathBuf,
    node_modules: PathBuf,
    /// `FileDescriptorSet` of `clients/protos/treasure/{events,clue}.proto` and imports.
    fds: PathBuf,
}

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

fn tools() -> &'static Tools {
    static TOOLS: OnceLock<Tools> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let root = std::env::var_os("HUNTREG_TOOLS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools"));
        let python = root.join("venv/bin/python");
        let node_modules = root.join("node_modules");
        for needed in [
            python.clone(),
            node_modules.join("@confluentinc/schemaregistry"),
            node_modules.join("@kafkajs/confluent-schema-registry"),
            node_modules.join("@bufbuild/protobuf"),
        ] {
            assert!(
                needed.exists(),
                "{} is missing: run scripts/setup-tools (or set HUNTREG_TOOLS)",
                needed.display()
            );
        }
        Tools {
            python,
            node_modules,
            fds: compile_fixtures(),
        }
    })
}

/// Compiles the fixtures with protox into a descriptor set file, as protoc-generated code
/// would embed them: imports included, no source info, no `json_name`.
fn compile_fixtures() -> PathBuf {
    let mut compiler =
        protox::Compiler::new([clients_dir().join("protos")]).expect("protox compiler");
    compiler.include_imports(true).include_source_info(false);
    compiler
        .open_files(["treasure/events.proto", "treasure/clue.proto"])
        .expect("compile fixtures");
    let mut set = compiler.file_descriptor_set();
    fn strip(messages: &mut [prost_types::DescriptorProto]) {
        for message in messages {
            message.field.iter_mut().for_each(|f| f.json_name = None);
            strip(&mut message.nested_type);
        }
    }
    set.file.iter_mut().for_each(|f| strip(&mut f.message_type));
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("huntreg-client-fixtures.binpb");
    let tmp = dir.join(format!(
        "huntreg-client-fixtures.{}.tmp",
        std::process::id()
    ));
    std::fs::write(&tmp, set.encode_to_vec()).expect("write descriptor set");
    std::fs::rename(&tmp, &path).expect("move descriptor set into place");
    path
}

/// Which client driver a request goes to.
#[derive(Clone, Copy, Debug)]
enum Client {
    /// confluent-kafka (Python), `clients/confluent_python.py`.
    Python,
    /// @confluentinc/schemaregistry (JavaScript), `clients/confluent_js.js`.
    Js,
    /// @kafkajs/confluent-schema-registry, `clients/kafkajs.js`.
    Kafkajs,
}

/// Runs one driver request (a JSON object on stdin, a JSON object on stdout) with a 60 s
/// limit; panics with the client's and the server's stderr if the client fails.
fn run(server: &Server, client: Client, request: Value) -> Value {
    let t = tools();
    let mut cmd = match client {
        Client::Python => {
            let mut c = Command::new(&t.python);
            c.arg(clients_dir().join("confluent_python.py"));
            c
        }
        Client::Js | Client::Kafkajs => {
            let script = if matches!(client, Client::Js) {
                "confluent_js.js"
            } else {
                "kafkajs.js"
            };
            let mut c = Command::new("node");
            c.arg(clients_dir().join(script))
                .env("NODE_PATH", &t.node_modules);
            c
        }
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the {client:?} client: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut s = String::new();
        let _ = out_pipe.read_to_string(&mut s);
        s
    });
    let err = thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(10));
    };
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    let failure = match status {
        None => Some("timed out after 60 s".to_owned()),
        Some(s) if !s.success() => Some(format!("exited with {s}")),
        Some(_) => None,
    };
    if let Some(why) = failure {
        panic!(
            "{client:?} client {why}\nrequest: {request}\n--- client stdout ---\n{stdout}\n--- client stderr ---\n{stderr}\n--- server stderr ---\n{}",
            server.stderr()
        );
    }
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{client:?} client printed non-JSON ({e}): {stdout}"))
}

/// Produces `value` as `type_name` with a fresh serializer; returns (hex record, schema id).
fn produce(
    server: &Server,
    client: Client,
    url: &str,
    type_name: &str,
    topic: &str,
    strategy: &str,
    value: &Value,
) -> (String, i64) {
    let out = run(
        server,
        client,
        json!({"op": "produce", "url": url, "fds": tools().fds, "type": type_name, "topic": topic,
               "strategy": strategy, "value": value}),
    );
    (
        out["hex"].as_str().expect("hex").to_owned(),
        out["id"].as_i64().expect("id"),
    )
}

/// Consumes a hex record with a fresh deserializer; returns the message as proto3 JSON.
fn consume(
    server: &Server,
    client: Client,
    url: &str,
    type_name: &str,
    topic: &str,
    strategy: &str,
    hex: &str,
) -> Value {
    let out = run(
        server,
        client,
        json!({"op": "consume", "url": url, "fds": tools().fds, "type": type_name, "topic": topic,
               "strategy": strategy, "hex": hex}),
    );
    if let Client::Js = client {
        assert_eq!(
            out["type"], type_name,
            "the JavaScript deserializer resolved another message type"
        );
    }
    out["value"].clone()
}

/// Runs registry API calls in one client instance; returns one `{ok}` or `{error}` per call.
fn api(server: &Server, client: Client, url: &str, calls: Value) -> Vec<Value> {
    let out = run(
        server,
        client,
        json!({"op": "api", "url": url, "calls": calls}),
    );
    out["results"].as_array().expect("results").clone()
}

/// The successful result of call `i`.
#[track_caller]
fn ok(results: &[Value], i: usize) -> &Value {
    let r = &results[i];
    assert!(
        r.get("error").is_none(),
        "call {i} failed: {r}\nall results: {results:#?}"
    );
    &r["ok"]
}

/// The HTTP status of call `i`, which must have failed.
#[track_caller]
fn error_status(results: &[Value], i: usize) -> i64 {
    let r = &results[i];
    r["error"]["status"]
        .as_i64()
        .unwrap_or_else(|| panic!("call {i} should have failed: {r}\nall results: {results:#?}"))
}

/// The schema id in a Confluent-framed record, and the message-index bytes after it.
fn framing(hex: &str) -> (i64, &str) {
    assert!(hex.starts_with("00"), "magic byte is not 0: {hex}");
    (i64::from_str_radix(&hex[2..10], 16).unwrap(), &hex[10..])
}

fn start() -> (TempDir, Server) {
    let dir = TempDir::new().unwrap();
    let server = Server::start(dir.path());
    (dir, server)
}

// ---------------------------------------------------------------------------------------
// Fixture messages (proto3 JSON, canonical: what both clients print back)
// ---------------------------------------------------------------------------------------

const UPDATED: &str = "treasure.v1.TreasureTypeUpdated";
const FOUND: &str = "treasure.v1.TreasureFound";
const REWARD: &str = "treasure.v1.TreasureFound.Reward";
const CLUE: &str = "treasure.v1.Clue";

fn updated() -> Value {
    json!({"treasureType": "golden-chalice", "rarity": "RARITY_LEGENDARY",
           "spawn": {"lat": 48.85, "lng": 2.35, "zone": "old-town"},
           "at": "2026-11-28T01:30:00Z", "points": "1500"})
}

fn found() -> Value {
    json!({"playerId": "p-7", "where": {"lat": 1.5, "lng": -2.25, "zone": "docks"},
           "drops": {"gold": "12", "gems": "3"}, "reward": {"item": "map-fragment", "amount": 2}})
}

fn reward() -> Value {
    json!({"item": "compass", "amount": 1})
}

fn clue() -> Value {
    json!({"text": "under the old bridge", "difficulty": 3, "hints": ["water", "stone"]})
}

fn subjects(server: &Server) -> Vec<String> {
    let results = api(
        server,
        Client::Python,
        &server.url,
        json!([["get_subjects"]]),
    );
    serde_json::from_value(ok(&results, 0).clone()).unwrap()
}

// ---------------------------------------------------------------------------------------
// confluent-kafka (Python)
// ---------------------------------------------------------------------------------------

#[test]
fn python_serdes_default_context_with_reference_and_well_known_import() {
    let (_dir, server) = start();
    let url = &server.url;
    // Default config: the ASSOCIATED strategy probes /associations first (404 -> topic).
    let (hex, id) = produce(
        &server,
        Client::Python,
        url,
        UPDATED,
        "treasure-updates",
        "associated",
        &updated(),
    );
    assert_eq!(framing(&hex), (id, &hex[10..]));
    assert!(
        hex[10..].starts_with("00"),
        "message index [0] is the single byte 00: {hex}"
    );
    assert_eq!(
        consume(
            &server,
            Client::Python,
            url,
            UPDATED,
            "treasure-updates",
            "associated",
            &hex
        ),
        updated()
    );
    assert_eq!(
        consume(
            &server,
            Client::Python,
            url,
            UPDATED,
            "treasure-updates",
            "topic",
            &hex
        ),
        updated()
    );

    // A second producer process (empty cache) gets the same id: registration is idempotent.
    let (_, again) = produce(
        &server,
        Client::Python,
        url,
        UPDATED,
        "treasure-updates",
        "topic",
        &updated(),
    );
    assert_eq!(again, id);

    let all = subjects(&server);
    assert!(
        all.contains(&"treasure-updates-value".to_owned()),
        "{all:?}"
    );
    assert!(all.contains(&"treasure/common.proto".to_owned()), "{all:?}");
    let r = api(
        &server,
        Client::Python,
        url,
        json!([
            ["get_versions", "treasure-updates-value"],
            ["get_latest_version", "treasure-updates-value"],
            ["get_schema", id]
        ]),
    );
    assert_eq!(ok(&r, 0), &json!([1]));
    let latest = ok(&r, 1);
    assert_eq!(
        (latest["id"].as_i64(), latest["version"].as_i64()),
        (Some(id), Some(1))
    );
    assert_eq!(latest["schemaType"], "PROTOBUF");
    assert_eq!(
        latest["references"],
        json!([{"name": "treasure/common.proto", "subject": "treasure/common.proto", "version": 1}])
    );
    let text = ok(&r, 2)["schema"].as_str().unwrap();
    assert!(
        text.contains("import \"google/protobuf/timestamp.proto\""),
        "{text}"
    );
    assert!(text.contains("message TreasureTypeUpdated"), "{text}");
}

#[test]
fn python_serdes_hunt_context_by_subject_strategy() {
    let (_dir, server) = start();
    let url = &server.url;
    // Subject ":.hunt-42:finds-value", reference ":.hunt-42:treasure/common.proto".
    let (hex, id) = produce(
        &server,
        Client::Python,
        url,
        FOUND,
        "finds",
        ".hunt-42",
        &found(),
    );
    assert_eq!(framing(&hex), (id, "0202"), "message index [1]");
    assert_eq!(
        consume(
            &server,
            Client::Python,
            url,
            FOUND,
            "finds",
            ".hunt-42",
            &hex
        ),
        found()
    );
    // The same hunt through the /contexts/.hunt-42 base URL and the plain topic subject.
    let hunt = format!("{url}/contexts/.hunt-42");
    assert_eq!(
        consume(
            &server,
            Client::Python,
            &hunt,
            FOUND,
            "finds",
            "topic",
            &hex
        ),
        found()
    );

    let all = subjects(&server);
    assert!(all.contains(&":.hunt-42:finds-value".to_owned()), "{all:?}");
    assert!(
        all.contains(&":.hunt-42:treasure/common.proto".to_owned()),
        "{all:?}"
    );
    assert!(
        !all.contains(&"finds-value".to_owned()),
        "the hunt's subject leaked into the default context: {all:?}"
    );
    let r = api(
        &server,
        Client::Python,
        url,
        json!([["get_versions", "finds-value"]]),
    );
    assert_eq!(error_status(&r, 0), 404);
}

#[test]
fn python_serdes_hunt_context_by_base_url() {
    let (_dir, server) = start();
    let hunt = format!("{}/contexts/.hunt-42", server.url);
    let (hex, id) = produce(
        &server,
        Client::Python,
        &hunt,
        REWARD,
        "rewards",
        "associated",
        &reward(),
    );
    assert_eq!(framing(&hex), (id, "040200"), "message index [1, 0]");
    assert_eq!(
        consume(
            &server,
            Client::Python,
            &hunt,
            REWARD,
            "rewards",
            "associated",
            &hex
        ),
        reward()
    );

    let all = subjects(&server);
    assert!(
        all.contains(&":.hunt-42:rewards-value".to_owned()),
        "{all:?}"
    );
    assert!(
        all.contains(&":.hunt-42:treasure/common.proto".to_owned()),
        "{all:?}"
    );
    let r = api(
        &server,
        Client::Python,
        &hunt,
        json!([["get_subjects"], ["get_latest_version", "rewards-value"]]),
    );
    let in_hunt: Vec<String> = serde_json::from_value(ok(&r, 0).clone()).unwrap();
    assert!(
        in_hunt.iter().all(|s| s.starts_with(":.hunt-42:")),
        "{in_hunt:?}"
    );
    assert_eq!(ok(&r, 1)["id"].as_i64(), Some(id));
}

#[test]
fn python_shared_client_for_serializer_and_deserializer() {
    // One SchemaRegistryClient behind both serdes: the deserializer must not be handed the
    // register response's cached schema text where it asked for format=serialized.
    let (_dir, server) = start();
    let out = run(
        &server,
        Client::Python,
        json!({"op": "shared", "url": server.url, "fds": tools().fds, "type": UPDATED, "topic": "shared",
               "strategy": "topic", "value": updated()}),
    );
    assert_eq!(out["value"], updated());
    let hunt = format!("{}/contexts/.hunt-1", server.url);
    let out = run(
        &server,
        Client::Python,
        json!({"op": "shared", "url": hunt, "fds": tools().fds, "type": FOUND, "topic": "shared",
               "strategy": "associated", "value": found()}),
    );
    assert_eq!(out["value"], found());
}

const SCORE_V1: &str = "syntax = \"proto3\";\npackage hunt.scores;\n\nmessage Score {\n  string player = 1;\n  double points = 2;\n}\n";
const SCORE_V2: &str = "syntax = \"proto3\";\npackage hunt.scores;\n\nmessage Score {\n  string player = 1;\n  double points = 2;\n  uint32 round = 3;\n}\n";
/// `points` changes type from double to string: incompatible in every direction.
const SCORE_BAD: &str = "syntax = \"proto3\";\npackage hunt.scores;\n\nmessage Score {\n  string player = 1;\n  string points = 2;\n}\n";

fn text(schema: &str) -> Value {
    json!({"schema": schema, "schemaType": "PROTOBUF"})
}

#[test]
fn python_compatibility_refuses_an_incompatible_change_with_409() {
    let (_dir, server) = start();
    let s = ":.hunt-42:scores-value";
    let r = api(
        &server,
        Client::Python,
        &server.url,
        json!([
            ["register_schema", s, text(SCORE_V1)],
            ["set_compatibility", s, "FULL_TRANSITIVE"],
            ["get_compatibility", s],
            ["test_compatibility", s, text(SCORE_BAD)],
            ["register_schema", s, text(SCORE_BAD)],
            ["test_compatibility", s, text(SCORE_V2)],
            ["register_schema", s, text(SCORE_V2)],
            ["get_versions", s],
            ["set_compatibility", s, "NONE"],
            ["register_schema", s, text(SCORE_BAD)],
            ["get_versions", s],
        ]),
    );
    let v1 = ok(&r, 0).as_i64().unwrap();
    assert_eq!(ok(&r, 1)["compatibility"], "FULL_TRANSITIVE");
    assert_eq!(ok(&r, 2), "FULL_TRANSITIVE");
    assert_eq!(ok(&r, 3), false);
    assert_eq!(error_status(&r, 4), 409, "{:?}", r[4]);
    assert_eq!(ok(&r, 5), true);
    let v2 = ok(&r, 6).as_i64().unwrap();
    assert_ne!(v1, v2);
    assert_eq!(ok(&r, 7), &json!([1, 2]));
    let v3 = ok(&r, 9).as_i64().unwrap();
    assert!(v3 != v1 && v3 != v2);
    assert_eq!(ok(&r, 10), &json!([1, 2, 3]));
}

#[test]
fn python_lookup_listing_and_deletes() {
    let (_dir, server) = start();
    let s = "loot-value";
    let r = api(
        &server,
        Client::Python,
        &server.url,
        json!([
            ["register_schema", s, text(SCORE_V1)],
            ["register_schema", s, text(SCORE_V2)],
            ["register_schema", s, text(SCORE_V1)],
            ["lookup_schema", s, text(SCORE_V2)],
            ["lookup_schema", s, text(SCORE_BAD)],
            ["get_latest_version", s],
            ["get_version", s, 1],
            ["get_subjects"],
            ["get_versions", s],
            ["delete_version", s, 2],
            ["get_versions", s],
            ["get_latest_version", s],
            ["delete_subject", s],
            ["get_subjects"],
            ["get_versions", s],
            ["delete_subject", s, true],
            ["register_schema", s, text(SCORE_V2)],
            ["get_versions", s],
        ]),
    );
    let (id1, id2) = (ok(&r, 0).as_i64().unwrap(), ok(&r, 1).as_i64().unwrap());
    assert_ne!(id1, id2);
    assert_eq!(
        ok(&r, 2).as_i64(),
        Some(id1),
        "re-registering v1 returns its id"
    );
    let found = ok(&r, 3);
    assert_eq!(
        (found["id"].as_i64(), found["version"].as_i64()),
        (Some(id2), Some(2)),
        "{found}"
    );
    assert_eq!(found["subject"], s);
    assert_eq!(error_status(&r, 4), 404);
    assert_eq!(
        (ok(&r, 5)["id"].as_i64(), ok(&r, 5)["version"].as_i64()),
        (Some(id2), Some(2))
    );
    assert_eq!(ok(&r, 6)["id"].as_i64(), Some(id1));
    assert_eq!(ok(&r, 7), &json!([s]));
    assert_eq!(ok(&r, 8), &json!([1, 2]));
    assert_eq!(ok(&r, 9), 2);
    assert_eq!(ok(&r, 10), &json!([1]));
    assert_eq!(ok(&r, 11)["version"].as_i64(), Some(1));
    assert_eq!(ok(&r, 12), &json!([1]));
    assert_eq!(ok(&r, 13), &json!([]));
    assert_eq!(error_status(&r, 14), 404);
    assert_eq!(
        ok(&r, 15),
        &json!([1, 2]),
        "a permanent delete removes the soft-deleted versions too"
    );
    assert!(ok(&r, 16).as_i64().is_some());
    assert_eq!(
        ok(&r, 17),
        &json!([1]),
        "a permanently deleted subject starts again"
    );
}

// ---------------------------------------------------------------------------------------
// @confluentinc/schemaregistry (JavaScript)
// ---------------------------------------------------------------------------------------

#[test]
fn js_serdes_default_context_with_reference_and_well_known_import() {
    let (_dir, server) = start();
    let url = &server.url;
    let (hex, id) = produce(
        &server,
        Client::Js,
        url,
        UPDATED,
        "js-updates",
        "associated",
        &updated(),
    );
    assert_eq!(framing(&hex), (id, &hex[10..]));
    assert_eq!(
        consume(
            &server,
            Client::Js,
            url,
            UPDATED,
            "js-updates",
            "associated",
            &hex
        ),
        updated()
    );
    let (_, again) = produce(
        &server,
        Client::Js,
        url,
        UPDATED,
        "js-updates",
        "topic",
        &updated(),
    );
    assert_eq!(again, id, "a second producer gets the same id");
}

#[test]
fn js_serdes_hunt_context_by_base_url() {
    let (_dir, server) = start();
    let hunt = format!("{}/contexts/.hunt-7", server.url);
    let (hex, id) = produce(
        &server,
        Client::Js,
        &hunt,
        FOUND,
        "js-finds",
        "associated",
        &found(),
    );
    assert_eq!(framing(&hex), (id, "0202"), "message index [1]");
    assert_eq!(
        consume(
            &server,
            Client::Js,
            &hunt,
            FOUND,
            "js-finds",
            "associated",
            &hex
        ),
        found()
    );
    let (hex, _) = produce(
        &server,
        Client::Js,
        &hunt,
        REWARD,
        "js-rewards",
        "associated",
        &reward(),
    );
    assert_eq!(&hex[10..16], "040200", "message index [1, 0]");
    assert_eq!(
        consume(
            &server,
            Client::Js,
            &hunt,
            REWARD,
            "js-rewards",
            "associated",
            &hex
        ),
        reward()
    );
    let all = subjects(&server);
    for s in [
        ":.hunt-7:js-finds-value",
        ":.hunt-7:js-rewards-value",
        ":.hunt-7:treasure/common.proto",
    ] {
        assert!(all.contains(&s.to_owned()), "{s} missing from {all:?}");
    }
}

#[test]
fn js_serdes_hunt_context_by_subject_strategy() {
    let (_dir, server) = start();
    let url = &server.url;
    let (hex, id) = produce(
        &server,
        Client::Js,
        url,
        CLUE,
        "js-clues",
        ".hunt-42",
        &clue(),
    );
    assert_eq!(framing(&hex), (id, &hex[10..]));
    assert_eq!(
        consume(&server, Client::Js, url, CLUE, "js-clues", ".hunt-42", &hex),
        clue()
    );
    assert!(subjects(&server).contains(&":.hunt-42:js-clues-value".to_owned()));
}

#[test]
fn js_client_api_with_qualified_subjects() {
    // Raw ':' in the path: getAllVersions does not percent-encode the subject.
    let (_dir, server) = start();
    let s = ":.hunt-9:jsapi-value";
    let r = api(
        &server,
        Client::Js,
        &server.url,
        json!([
            ["register", s, text(SCORE_V1)],
            ["getLatestSchemaMetadata", s],
            ["updateCompatibility", s, "BACKWARD"],
            ["getCompatibility", s],
            ["testSubjectCompatibility", s, text(SCORE_BAD)],
            ["register", s, text(SCORE_BAD)],
            ["register", s, text(SCORE_V2)],
            ["getAllVersions", s],
            ["getAllSubjects"],
            ["getId", s, text(SCORE_V1)],
            ["deleteSubjectVersion", s, 2],
            ["getAllVersions", s],
            ["deleteSubject", s],
            ["getAllSubjects"],
        ]),
    );
    let id1 = ok(&r, 0).as_i64().unwrap();
    let latest = ok(&r, 1);
    assert_eq!(
        (latest["id"].as_i64(), latest["version"].as_i64()),
        (Some(id1), Some(1)),
        "{latest}"
    );
    assert_eq!(latest["schemaType"], "PROTOBUF");
    assert_eq!(ok(&r, 2), "BACKWARD");
    assert_eq!(ok(&r, 3), "BACKWARD");
    assert_eq!(ok(&r, 4), false);
    assert_eq!(error_status(&r, 5), 409);
    assert_ne!(ok(&r, 6).as_i64(), Some(id1));
    assert_eq!(ok(&r, 7), &json!([1, 2]));
    assert!(
        ok(&r, 8).as_array().unwrap().contains(&json!(s)),
        "{:?}",
        r[8]
    );
    assert_eq!(ok(&r, 9).as_i64(), Some(id1));
    assert_eq!(ok(&r, 10), 2);
    assert_eq!(ok(&r, 11), &json!([1]));
    assert!(
        !ok(&r, 13).as_array().unwrap().contains(&json!(s)),
        "{:?}",
        r[13]
    );
}

// ---------------------------------------------------------------------------------------
// Across clients
// ---------------------------------------------------------------------------------------

#[test]
fn python_produces_javascript_consumes() {
    let (_dir, server) = start();
    let hunt = format!("{}/contexts/.hunt-42", server.url);
    let (hex, _) = produce(
        &server,
        Client::Python,
        &hunt,
        UPDATED,
        "cross-py",
        "associated",
        &updated(),
    );
    assert_eq!(
        consume(
            &server,
            Client::Js,
            &hunt,
            UPDATED,
            "cross-py",
            "associated",
            &hex
        ),
        updated()
    );
    let (hex, _) = produce(
        &server,
        Client::Python,
        &hunt,
        REWARD,
        "cross-py-rewards",
        "associated",
        &reward(),
    );
    assert_eq!(
        consume(
            &server,
            Client::Js,
            &hunt,
            REWARD,
            "cross-py-rewards",
            "associated",
            &hex
        ),
        reward()
    );
    // Default context, the Python client's default strategy, no context anywhere.
    let url = &server.url;
    let (hex, _) = produce(
        &server,
        Client::Python,
        url,
        FOUND,
        "cross-py-finds",
        "associated",
        &found(),
    );
    assert_eq!(
        consume(
            &server,
            Client::Js,
            url,
            FOUND,
            "cross-py-finds",
            "associated",
            &hex
        ),
        found()
    );
}

#[test]
fn javascript_produces_python_consumes() {
    let (_dir, server) = start();
    let hunt = format!("{}/contexts/.hunt-42", server.url);
    let (hex, _) = produce(
        &server,
        Client::Js,
        &hunt,
        FOUND,
        "cross-js",
        "associated",
        &found(),
    );
    assert_eq!(
        consume(
            &server,
            Client::Python,
            &hunt,
            FOUND,
            "cross-js",
            "associated",
            &hex
        ),
        found()
    );
    let url = &server.url;
    let (hex, _) = produce(
        &server,
        Client::Js,
        url,
        UPDATED,
        "cross-js-updates",
        "topic",
        &updated(),
    );
    assert_eq!(
        consume(
            &server,
            Client::Python,
            url,
            UPDATED,
            "cross-js-updates",
            "topic",
            &hex
        ),
        updated()
    );
}

// ---------------------------------------------------------------------------------------
// @kafkajs/confluent-schema-registry (text schemas)
// ---------------------------------------------------------------------------------------

const SIGHTING: &str = "syntax = \"proto3\";\npackage hunt.kjs;\n\nimport \"treasure/common.proto\";\n\nmessage Sighting {\n  string who = 1;\n  treasure.v1.Location where = 2;\n  treasure.v1.Rarity rarity = 3;\n}\n";
const SIGHTING_V2: &str = "syntax = \"proto3\";\npackage hunt.kjs;\n\nimport \"treasure/common.proto\";\n\nmessage Sighting {\n  string who = 1;\n  treasure.v1.Location where = 2;\n  treasure.v1.Rarity rarity = 3;\n  uint32 count = 4;\n}\n";

#[test]
fn kafkajs_registers_text_with_a_reference_and_round_trips() {
    let (_dir, server) = start();
    let hunt = format!("{}/contexts/.hunt-kjs", server.url);
    let common =
        std::fs::read_to_string(clients_dir().join("protos/treasure/common.proto")).unwrap();
    let refs = json!([{"name": "treasure/common.proto", "subject": "treasure/common.proto", "version": 1}]);
    let sighting = json!({"schema": SIGHTING, "references": refs});
    // kafkajs hands the object to protobufjs `create`, which takes enum numbers; `decode`
    // prints them by name.
    let value =
        json!({"who": "ada", "where": {"lat": 3.5, "lng": 4.25, "zone": "harbour"}, "rarity": 1});
    let decoded = json!({"who": "ada", "where": {"lat": 3.5, "lng": 4.25, "zone": "harbour"}, "rarity": "RARITY_COMMON"});
    let r = api(
        &server,
        Client::Kafkajs,
        &hunt,
        json!([
            ["register", {"schema": common}, "treasure/common.proto"],
            ["register", sighting, "sightings-value"],
            ["register", sighting, "sightings-value"],
            ["getRegistryIdBySchema", "sightings-value", sighting],
            ["getLatestSchemaId", "sightings-value"],
            ["getRegistryId", "sightings-value", 1],
        ]),
    );
    let id = ok(&r, 1)["id"].as_i64().unwrap();
    assert_eq!(
        ok(&r, 2)["id"].as_i64(),
        Some(id),
        "registering the same text again returns its id"
    );
    for i in 3..=5 {
        assert_eq!(ok(&r, i).as_i64(), Some(id), "call {i}");
    }
    // Encode with one instance, decode with a fresh one (GET /schemas/ids/{id} as text).
    let r = api(
        &server,
        Client::Kafkajs,
        &hunt,
        json!([["encode", id, value]]),
    );
    let hex = ok(&r, 0).as_str().unwrap().to_owned();
    assert_eq!(framing(&hex).0, id);
    let r = api(&server, Client::Kafkajs, &hunt, json!([["decode", hex]]));
    assert_eq!(ok(&r, 0), &decoded);

    // A later registration sees the subject config kafkajs wrote the first time (BACKWARD)
    // and is accepted as a compatible new version.
    let r = api(
        &server,
        Client::Kafkajs,
        &hunt,
        json!([["register", {"schema": SIGHTING_V2, "references": refs}, "sightings-value"]]),
    );
    assert_ne!(ok(&r, 0)["id"].as_i64(), Some(id));
    let r = api(
        &server,
        Client::Python,
        &hunt,
        json!([
            ["get_versions", "sightings-value"],
            ["get_compatibility", "sightings-value"]
        ]),
    );
    assert_eq!(ok(&r, 0), &json!([1, 2]));
    assert_eq!(ok(&r, 1), "BACKWARD");
}

#[test]
fn kafkajs_decodes_records_of_the_python_serializer() {
    // The Python serializer registers a base64 descriptor; kafkajs reads the same id as text.
    let (_dir, server) = start();
    let url = &server.url;
    let (hex, _) = produce(
        &server,
        Client::Python,
        url,
        CLUE,
        "clues",
        "topic",
        &clue(),
    );
    let r = api(&server, Client::Kafkajs, url, json!([["decode", hex]]));
    assert_eq!(ok(&r, 0), &clue());
}
