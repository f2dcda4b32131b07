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

mod server_support;

#[path = "clients/consumer.rs"]
mod consumer;

#[path = "../../store/tests/support/pg.rs"]
mod pg;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use prost::Message as _;
use serde_json::{json, Value};
use server_support::Server;
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

/// Compiles the fixtures with protox into a descriptor set file (imports included, no
/// source info, `json_name` set as protoc sets it; the Python driver strips it, as protoc's
/// Python output does, the JavaScript one keeps it, as protoc-gen-es output does).
fn compile_fixtures() -> PathBuf {
    let mut compiler =
        protox::Compiler::new([clients_dir().join("protos")]).expect("protox compiler");
    compiler.include_imports(true).include_source_info(false);
    compiler
        .open_files(["treasure/events.proto", "treasure/clue.proto"])
        .expect("compile fixtures");
    let set = compiler.file_descriptor_set();
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

/// A serializer or deserializer setup: which client, the base URL it is given (the root or
/// `/contexts/.hunt`), and its subject-name strategy (`associated`, `topic`, or a hunt
/// context such as `.hunt-42` for `:.hunt-42:{topic}-value`).
struct Serde<'a> {
    client: Client,
    url: &'a str,
    strategy: &'a str,
}

impl Serde<'_> {
    /// Produces `value` as `type_name` with a fresh serializer: (hex record, schema id).
    fn produce(
        &self,
        server: &Server,
        type_name: &str,
        topic: &str,
        value: &Value,
    ) -> (String, i64) {
        let out = run(
            server,
            self.client,
            json!({"op": "produce", "url": self.url, "fds": tools().fds, "type": type_name,
                   "topic": topic, "strategy": self.strategy, "value": value}),
        );
        (
            out["hex"].as_str().expect("hex").to_owned(),
            out["id"].as_i64().expect("id"),
        )
    }

    /// Consumes a hex record with a fresh deserializer: the message as proto3 JSON.
    fn consume(&self, server: &Server, type_name: &str, topic: &str, hex: &str) -> Value {
        let out = run(
            server,
            self.client,
            json!({"op": "consume", "url": self.url, "fds": tools().fds, "type": type_name,
                   "topic": topic, "strategy": self.strategy, "hex": hex}),
        );
        if let Client::Js = self.client {
            let msg = "the JavaScript deserializer resolved another message type";
            assert_eq!(out["type"], type_name, "{msg}");
        }
        out["value"].clone()
    }
}

fn py<'a>(url: &'a str, strategy: &'a str) -> Serde<'a> {
    Serde {
        client: Client::Python,
        url,
        strategy,
    }
}

fn js<'a>(url: &'a str, strategy: &'a str) -> Serde<'a> {
    Serde {
        client: Client::Js,
        url,
        strategy,
    }
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

/// Asserts the Confluent framing of a record: magic byte 0, the schema id, then the
/// message-index bytes `index` (hex) before the payload.
#[track_caller]
fn assert_framed(hex: &str, id: i64, index: &str) {
    assert!(hex.starts_with("00"), "magic byte is not 0: {hex}");
    assert_eq!(
        i64::from_str_radix(&hex[2..10], 16).unwrap(),
        id,
        "schema id in {hex}"
    );
    assert!(
        hex[10..].starts_with(index),
        "message index bytes {index} expected after the id: {hex}"
    );
}

fn start() -> (TempDir, Server) {
    let dir = TempDir::new().unwrap();
    let server = Server::start(dir.path(), &[]);
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

/// Asserts that `subject` is among the registry's subjects.
#[track_caller]
fn assert_subject(all: &[String], subject: &str) {
    assert!(
        all.iter().any(|s| s == subject),
        "{subject} missing from {all:?}"
    );
}

// ---------------------------------------------------------------------------------------
// confluent-kafka (Python)
// ---------------------------------------------------------------------------------------

#[test]
fn python_serdes_default_context_with_reference_and_well_known_import() {
    let (_dir, server) = start();
    let url = &server.url;
    // Default config: the ASSOCIATED strategy probes /associations first (404 -> topic).
    let (hex, id) = py(url, "associated").produce(&server, UPDATED, "treasure-updates", &updated());
    assert_framed(&hex, id, "00"); // message index [0]
    let topic = "treasure-updates";
    assert_eq!(
        py(url, "associated").consume(&server, UPDATED, topic, &hex),
        updated()
    );
    assert_eq!(
        py(url, "topic").consume(&server, UPDATED, topic, &hex),
        updated()
    );

    // A second producer process (empty cache) gets the same id: registration is idempotent.
    let (_, again) = py(url, "topic").produce(&server, UPDATED, topic, &updated());
    assert_eq!(again, id);

    let all = subjects(&server);
    assert_subject(&all, "treasure-updates-value");
    assert_subject(&all, "treasure/common.proto");
    let s = "treasure-updates-value";
    let calls = json!([
        ["get_versions", s],
        ["get_latest_version", s],
        ["get_schema", id]
    ]);
    let r = api(&server, Client::Python, url, calls);
    assert_eq!(ok(&r, 0), &json!([1]));
    let latest = ok(&r, 1);
    assert_eq!(
        (latest["id"].as_i64(), latest["version"].as_i64()),
        (Some(id), Some(1))
    );
    assert_eq!(latest["schemaType"], "PROTOBUF");
    let reference = json!({"name": "treasure/common.proto", "subject": "treasure/common.proto",
                           "version": 1});
    assert_eq!(latest["references"], json!([reference]));
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
    let (hex, id) = py(url, ".hunt-42").produce(&server, FOUND, "finds", &found());
    assert_framed(&hex, id, "0202"); // message index [1]
    assert_eq!(
        py(url, ".hunt-42").consume(&server, FOUND, "finds", &hex),
        found()
    );
    // The same hunt through the /contexts/.hunt-42 base URL and the plain topic subject.
    let hunt = format!("{url}/contexts/.hunt-42");
    assert_eq!(
        py(&hunt, "topic").consume(&server, FOUND, "finds", &hex),
        found()
    );

    let all = subjects(&server);
    assert_subject(&all, ":.hunt-42:finds-value");
    assert_subject(&all, ":.hunt-42:treasure/common.proto");
    assert!(
        !all.contains(&"finds-value".to_owned()),
        "leaked into the default context: {all:?}"
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
    let (hex, id) = py(&hunt, "associated").produce(&server, REWARD, "rewards", &reward());
    assert_framed(&hex, id, "040200"); // message index [1, 0]
    assert_eq!(
        py(&hunt, "associated").consume(&server, REWARD, "rewards", &hex),
        reward()
    );

    let all = subjects(&server);
    assert_subject(&all, ":.hunt-42:rewards-value");
    assert_subject(&all, ":.hunt-42:treasure/common.proto");
    let calls = json!([["get_subjects"], ["get_latest_version", "rewards-value"]]);
    let r = api(&server, Client::Python, &hunt, calls);
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
    let shared = |url: &str, strategy: &str, type_name: &str, value: Value| {
        let request = json!({"op": "shared", "url": url, "fds": tools().fds, "type": type_name,
                             "topic": "shared", "strategy": strategy, "value": value});
        run(&server, Client::Python, request)["value"].clone()
    };
    assert_eq!(shared(&server.url, "topic", UPDATED, updated()), updated());
    let hunt = format!("{}/contexts/.hunt-1", server.url);
    assert_eq!(shared(&hunt, "associated", FOUND, found()), found());
}

#[test]
fn python_serializer_settings_latest_version_lookup_and_normalize() {
    let (_dir, server) = start();
    let hunt = format!("{}/contexts/.hunt-3", server.url);
    let (hex, id) = py(&hunt, "associated").produce(&server, FOUND, "settings", &found());
    let with = |conf: Value| {
        let request = json!({"op": "produce", "url": hunt, "fds": tools().fds, "type": FOUND,
                             "topic": "settings", "strategy": "associated", "conf": conf,
                             "value": found()});
        let out = run(&server, Client::Python, request);
        (
            out["hex"].as_str().expect("hex").to_owned(),
            out["id"].as_i64().expect("id"),
        )
    };
    // No registration: the latest version, fetched with format=serialized, must hold the
    // message by name.
    let (latest_hex, latest) = with(json!({"auto.register.schemas": false,
                                           "use.latest.version": true}));
    assert_eq!(latest, id);
    // No registration: a lookup of the same descriptor finds its id.
    let (_, looked_up) = with(json!({"auto.register.schemas": false}));
    assert_eq!(looked_up, id);
    // normalize=True: perhaps another version, read like any other.
    let (normalized_hex, _) = with(json!({"normalize.schemas": true}));
    for h in [&hex, &latest_hex, &normalized_hex] {
        let consumer = py(&hunt, "associated");
        assert_eq!(consumer.consume(&server, FOUND, "settings", h), found());
    }
}

#[test]
fn python_reference_and_id_queries() {
    let (_dir, server) = start();
    let url = &server.url;
    let (_, id) = py(url, "topic").produce(&server, UPDATED, "lineage", &updated());
    let calls = json!([
        ["get_referenced_by", "treasure/common.proto", 1],
        ["get_subjects_by_schema_id", id],
        ["get_schema_versions", id],
        ["get_schema_types"],
        ["get_version", "treasure/common.proto", 1],
    ]);
    let r = api(&server, Client::Python, url, calls);
    assert_eq!(ok(&r, 0), &json!([id]));
    assert_eq!(ok(&r, 1), &json!(["lineage-value"]));
    assert_eq!(
        ok(&r, 2),
        &json!([{"subject": "lineage-value", "version": 1}])
    );
    assert!(
        ok(&r, 3).as_array().unwrap().contains(&json!("PROTOBUF")),
        "{:?}",
        r[3]
    );
    let common = ok(&r, 4)["schema"].as_str().unwrap();
    assert!(common.contains("message Location"), "{common}");
    assert!(common.contains("enum Rarity"), "{common}");
}

#[test]
fn concurrent_first_registrations_from_several_producers_agree() {
    // Four producer processes start at once on a new topic: one id, one version, and one
    // version of the shared reference, whoever wins the race.
    let (_dir, server) = start();
    let hunt = format!("{}/contexts/.hunt-race", server.url);
    let ids: Vec<i64> = thread::scope(|scope| {
        let producers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let producer = py(&hunt, "associated");
                    producer.produce(&server, UPDATED, "race", &updated()).1
                })
            })
            .collect();
        producers.into_iter().map(|p| p.join().unwrap()).collect()
    });
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "different ids for one schema: {ids:?}"
    );
    let calls = json!([
        ["get_versions", "race-value"],
        ["get_versions", "treasure/common.proto"]
    ]);
    let r = api(&server, Client::Python, &hunt, calls);
    assert_eq!(ok(&r, 0), &json!([1]));
    assert_eq!(ok(&r, 1), &json!([1]));
}

#[test]
fn three_nodes_on_one_postgres_serve_the_clients_in_hunt_contexts() {
    // Three `huntreg serve --database-url` nodes on one throwaway PostgreSQL. Python and
    // JavaScript producers register through different nodes at the same time, in hunt
    // contexts; a fresh deserializer on another node decodes each record right after.
    let pg = pg::TempPostgres::start();
    let database = pg.fresh_database();
    let dir = TempDir::new().unwrap();
    let nodes: Vec<Server> = (0..3)
        .map(|_| Server::start(dir.path(), &["--database-url", &database]))
        .collect();
    let hunt = |node: usize, hunt: &str| format!("{}/contexts/{hunt}", nodes[node].url);
    let (py_ids, js_ids) = thread::scope(|scope| {
        let python = scope.spawn(|| {
            let mut ids = Vec::new();
            for round in 0..2 {
                let (writer, reader) = (round % 3, (round + 1) % 3);
                let (hex, id) = py(&hunt(writer, ".hunt-a"), "associated").produce(
                    &nodes[writer],
                    FOUND,
                    "finds",
                    &found(),
                );
                let reader_url = hunt(reader, ".hunt-a");
                let read = py(&reader_url, "associated");
                assert_eq!(read.consume(&nodes[reader], FOUND, "finds", &hex), found());
                ids.push(id);
            }
            ids
        });
        let javascript = scope.spawn(|| {
            let mut ids = Vec::new();
            for round in 0..2 {
                let (writer, reader) = ((round + 2) % 3, round % 3);
                let writer_url = hunt(writer, ".hunt-b");
                let (hex, id) = js(&writer_url, "associated").produce(
                    &nodes[writer],
                    UPDATED,
                    "updates",
                    &updated(),
                );
                let reader_url = hunt(reader, ".hunt-b");
                let read = js(&reader_url, "associated");
                assert_eq!(
                    read.consume(&nodes[reader], UPDATED, "updates", &hex),
                    updated()
                );
                ids.push(id);
            }
            ids
        });
        // The same schema registered through two nodes at once gets one id.
        let racers: Vec<_> = (0..2)
            .map(|n| {
                let url = hunt(n, ".hunt-race");
                let node = &nodes[n];
                scope.spawn(move || {
                    py(&url, "associated")
                        .produce(node, UPDATED, "race", &updated())
                        .1
                })
            })
            .collect();
        let race: Vec<i64> = racers.into_iter().map(|r| r.join().unwrap()).collect();
        assert_eq!(race[0], race[1], "one schema, two ids through two nodes");
        (python.join().unwrap(), javascript.join().unwrap())
    });
    assert_eq!(py_ids[0], py_ids[1], "a re-registration keeps its id");
    assert_eq!(js_ids[0], js_ids[1]);
    assert_ne!(py_ids[0], js_ids[0]);
    // Every node lists what every node registered, and nothing leaked into the default
    // context.
    for node in &nodes {
        let all = subjects(node);
        assert_subject(&all, ":.hunt-a:finds-value");
        assert_subject(&all, ":.hunt-b:updates-value");
        assert_subject(&all, ":.hunt-race:race-value");
        assert!(!all.contains(&"finds-value".to_owned()), "{all:?}");
    }
    let r = api(
        &nodes[2],
        Client::Python,
        &hunt(2, ".hunt-race"),
        json!([["get_versions", "race-value"]]),
    );
    assert_eq!(ok(&r, 0), &json!([1]));
}

const SCORE_V1: &str = "syntax = \"proto3\";\npackage hunt.scores;\n\n\
    message Score {\n  string player = 1;\n  double points = 2;\n}\n";
const SCORE_V2: &str = "syntax = \"proto3\";\npackage hunt.scores;\n\n\
    message Score {\n  string player = 1;\n  double points = 2;\n  uint32 round = 3;\n}\n";
/// `points` changes type from double to string: incompatible in every direction.
const SCORE_BAD: &str = "syntax = \"proto3\";\npackage hunt.scores;\n\n\
    message Score {\n  string player = 1;\n  string points = 2;\n}\n";

fn text(schema: &str) -> Value {
    json!({"schema": schema, "schemaType": "PROTOBUF"})
}

#[test]
fn python_compatibility_refuses_an_incompatible_change_with_409() {
    let (_dir, server) = start();
    let s = ":.hunt-42:scores-value";
    let calls = json!([
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
    ]);
    let r = api(&server, Client::Python, &server.url, calls);
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
    let calls = json!([
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
    ]);
    let r = api(&server, Client::Python, &server.url, calls);
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

    // A fresh client: the Python client caches the latest version per instance.
    let calls = json!([
        ["get_latest_version", s],
        ["delete_subject", s],
        ["get_subjects"],
        ["get_versions", s],
        ["delete_subject", s, true],
        ["register_schema", s, text(SCORE_V2)],
        ["get_versions", s],
    ]);
    let r = api(&server, Client::Python, &server.url, calls);
    assert_eq!(
        ok(&r, 0)["version"].as_i64(),
        Some(1),
        "latest after deleting version 2"
    );
    assert_eq!(ok(&r, 1), &json!([1]));
    assert_eq!(ok(&r, 2), &json!([]));
    assert_eq!(error_status(&r, 3), 404);
    assert_eq!(
        ok(&r, 4),
        &json!([1, 2]),
        "a permanent delete also removes soft-deleted versions"
    );
    assert!(ok(&r, 5).as_i64().is_some());
    assert_eq!(
        ok(&r, 6),
        &json!([1]),
        "a permanently deleted subject starts again at version 1"
    );
}

#[test]
fn python_guid_header_framing_round_trips_through_schemas_guids() {
    // confluent-kafka's 8.x header framing: the serializer writes the GUID from the
    // register answer into the __value_schema_id header; a fresh default (dual)
    // deserializer reads it and fetches GET /schemas/guids/{guid}?format=serialized.
    let (_dir, server) = start();
    let hunt = format!("{}/contexts/.hunt-9", server.url);
    let out = run(
        &server,
        Client::Python,
        json!({"op": "produce", "url": hunt, "fds": tools().fds, "type": FOUND,
               "topic": "guids", "strategy": "topic", "guid_header": true,
               "value": found()}),
    );
    let headers = out["headers"].as_array().expect("headers").clone();
    assert_eq!(headers.len(), 1, "{headers:?}");
    assert_eq!(headers[0][0], "__value_schema_id");
    let header = headers[0][1].as_str().unwrap();
    assert!(
        header.starts_with("01"),
        "magic byte 1 then the GUID: {header}"
    );
    let g = &header[2..34];
    let guid = format!(
        "{}-{}-{}-{}-{}",
        &g[..8],
        &g[8..12],
        &g[12..16],
        &g[16..20],
        &g[20..]
    );
    assert_eq!(&header[34..], "0202", "message index [1] after the GUID");
    let hex = out["hex"].as_str().unwrap();
    // Consumed through the hunt's base URL and through the root (a GUID is context-free).
    for url in [&hunt, &server.url] {
        let consumed = run(
            &server,
            Client::Python,
            json!({"op": "consume", "url": url, "fds": tools().fds, "type": FOUND,
                   "topic": "guids", "strategy": "topic", "hex": hex,
                   "headers": headers}),
        );
        assert_eq!(consumed["value"], found(), "via {url}");
    }

    let calls = json!([
        ["get_latest_version", "guids-value"],
        ["get_schema_by_guid", guid, "serialized"],
        ["get_schema_by_guid", "00000000-0000-0000-0000-000000000000"],
        ["get_latest_with_metadata", "guids-value", {"owner": "team-9"}],
        ["get_latest_with_metadata", "nobody-value", {"owner": "team-9"}],
    ]);
    let r = api(&server, Client::Python, &hunt, calls);
    assert_eq!(
        ok(&r, 0)["guid"],
        guid.as_str(),
        "the header holds the version's GUID"
    );
    let by_guid = ok(&r, 1);
    assert_eq!(by_guid["schemaType"], "PROTOBUF");
    assert_eq!(
        by_guid["references"],
        json!([{"name": "treasure/common.proto", "subject": "treasure/common.proto", "version": 1}])
    );
    assert_eq!(error_status(&r, 2), 404);
    // No version carries metadata: Schema not found, or Subject not found.
    assert_eq!(r[3]["error"]["code"], 40403, "{:?}", r[3]);
    assert_eq!(r[4]["error"]["code"], 40401, "{:?}", r[4]);
}

// ---------------------------------------------------------------------------------------
// @confluentinc/schemaregistry (JavaScript)
// ---------------------------------------------------------------------------------------

#[test]
fn js_serdes_default_context_with_reference_and_well_known_import() {
    let (_dir, server) = start();
    let url = &server.url;
    let (hex, id) = js(url, "associated").produce(&server, UPDATED, "js-updates", &updated());
    assert_framed(&hex, id, "00");
    assert_eq!(
        js(url, "associated").consume(&server, UPDATED, "js-updates", &hex),
        updated()
    );
    let (_, again) = js(url, "topic").produce(&server, UPDATED, "js-updates", &updated());
    assert_eq!(again, id, "a second producer gets the same id");
}

/// An edition 2023 descriptor set as buf writes it (`syntax = "editions"`, `edition`,
/// `features`), from `clients/protos_editions/`.
fn editions_fixture() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("huntreg-editions-{}.binpb", std::process::id()));
    let buf = tools().node_modules.join(".bin/buf");
    let out = Command::new(&buf)
        .arg("build")
        .arg(clients_dir().join("protos_editions"))
        .arg("--as-file-descriptor-set")
        .arg("-o")
        .arg(&path)
        .output()
        .expect("run buf");
    assert!(
        out.status.success(),
        "buf build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// A JavaScript producer on @bufbuild/protobuf types built from an edition 2023 descriptor
/// registers through huntreg; a fresh JavaScript consumer and a Rust decoder of the
/// registry's schema read the record back to equal values.
#[test]
fn js_serdes_with_an_edition_2023_schema() {
    let (_dir, server) = start();
    let fds = editions_fixture();
    let value = json!({"score": "42", "method": "METHOD_DIVE", "clues": [3, 1],
                       "marks": ["-7", "9"], "counts": {"gold": 2}, "gems": "5"});
    let out = run(
        &server,
        Client::Js,
        json!({"op": "produce", "url": server.url, "fds": fds, "type": "hunt.v1.Found",
               "topic": "editions", "strategy": "associated", "value": value}),
    );
    let (hex, id) = (
        out["hex"].as_str().unwrap().to_owned(),
        out["id"].as_i64().unwrap(),
    );
    assert_framed(&hex, id, "00");
    let back = run(
        &server,
        Client::Js,
        json!({"op": "consume", "url": server.url, "fds": fds, "type": "hunt.v1.Found",
               "topic": "editions", "strategy": "associated", "hex": hex}),
    );
    assert_eq!(back["value"], value);

    assert_decodes_as_edition_fixture(&server, id, &hex);
}

/// The registry serves an `editions_fixture()` schema as edition 2023 text (each feature
/// that differs from the edition's defaults on its field) and, to `format=serialized`, as the
/// exactly equivalent proto3 descriptor; a Rust decoder compiled from the text decodes the
/// record `hex` (the tests' value).
fn assert_decodes_as_edition_fixture(server: &Server, id: i64, hex: &str) {
    let schema: Value = ureq::get(&format!("{}/schemas/ids/{id}", server.url))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let text = schema["schema"].as_str().unwrap();
    assert!(
        text.starts_with("edition = \"2023\";\npackage hunt.v1;\n"),
        "{text}"
    );
    for line in [
        "  string player = 1 [features.field_presence = IMPLICIT];\n",
        "  int64 score = 2;\n",
        "  repeated sint64 marks = 5 [features.repeated_field_encoding = EXPANDED];\n",
    ] {
        assert!(text.contains(line), "{line}{text}");
    }
    // What the clients' deserializers fetch: the proto3 descriptor with the same semantics
    // (prost-types, and so the registry's descriptors, have no `edition` or `features`).
    let serialized: Value = ureq::get(&format!(
        "{}/schemas/ids/{id}?format=serialized",
        server.url
    ))
    .call()
    .unwrap()
    .into_json()
    .unwrap();
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(serialized["schema"].as_str().unwrap())
        .unwrap();
    let file = prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(file.syntax(), "proto3");
    let score = &file.message_type[0].field[1];
    assert_eq!((score.name(), score.proto3_optional()), ("score", true));

    // A Rust consumer compiled from the registry's schema decodes the payload.
    let texts = std::sync::Arc::new([("found.proto".to_owned(), text.to_owned())].into());
    let pool = huntreg_schema::compile_texts(texts, &["found.proto"])
        .unwrap()
        .pool;
    let desc = pool.get_message_by_name("hunt.v1.Found").unwrap();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    // Magic byte, 4-byte ID, one message-index byte (0: the first message).
    let message = prost_reflect::DynamicMessage::decode(desc, &bytes[6..]).unwrap();
    use prost_reflect::{MapKey, Value as V};
    let field = |name: &str| message.get_field_by_name(name).unwrap().into_owned();
    assert_eq!(field("player"), V::String(String::new()));
    assert!(
        message.has_field_by_name("score"),
        "explicit presence is kept"
    );
    assert_eq!(field("score"), V::I64(42));
    assert_eq!(field("method"), V::EnumNumber(2));
    assert_eq!(field("clues"), V::List(vec![V::I32(3), V::I32(1)]));
    assert_eq!(field("marks"), V::List(vec![V::I64(-7), V::I64(9)]));
    assert_eq!(
        field("counts"),
        V::Map([(MapKey::String("gold".into()), V::I32(2))].into())
    );
    assert_eq!(field("gems"), V::I64(5));
    assert!(!message.has_field_by_name("coin"));
}

/// A Python producer (confluent-kafka's serializer, with classes generated from the
/// edition 2023 `.proto` by grpcio-tools' bundled protoc) registers the same schema as the
/// JavaScript one (@bufbuild/protobuf types from buf's descriptor set); a fresh Python
/// consumer reads the record back, and a consumer crate whose prost types huntreg-codegen
/// generated from the pulled lockfile (the registry's edition 2023 text) decodes the
/// records of both producers to the same values.
#[test]
fn python_serdes_with_an_edition_2023_schema() {
    let (dir, server) = start();
    let fds = editions_fixture();
    let protoc = json!({"include": clients_dir().join("protos_editions"),
                        "file": "hunt/v1/found.proto"});
    let value = json!({"score": "42", "method": "METHOD_DIVE", "clues": [3, 1],
                       "marks": ["-7", "9"], "counts": {"gold": 2}, "gems": "5"});
    let request = |client: Client, op: &str, extra: (&str, Value)| {
        let mut r = json!({"op": op, "url": server.url, "type": "hunt.v1.Found",
                           "topic": "editions", "strategy": "associated"});
        match client {
            Client::Python => r["protoc"] = protoc.clone(),
            _ => r["fds"] = json!(fds),
        }
        r[extra.0] = extra.1;
        run(&server, client, r)
    };
    let out = request(Client::Python, "produce", ("value", value.clone()));
    let (hex, id) = (
        out["hex"].as_str().unwrap().to_owned(),
        out["id"].as_i64().unwrap(),
    );
    assert_framed(&hex, id, "00");
    let back = request(Client::Python, "consume", ("hex", json!(hex)));
    assert_eq!(back["value"], value);
    let js = request(Client::Js, "produce", ("value", value.clone()));
    assert_eq!(
        js["id"].as_i64(),
        Some(id),
        "both producers register one schema"
    );
    let js_hex = js["hex"].as_str().unwrap();
    assert_decodes_as_edition_fixture(&server, id, &hex);

    // The registration, looked up as a client looks it up (`POST /subjects/{s}`).
    let schema: Value = ureq::get(&format!("{}/schemas/ids/{id}", server.url))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let found: Value = ureq::post(&format!("{}/subjects/editions-value", server.url))
        .send_json(json!({"schemaType": "PROTOBUF", "schema": schema["schema"]}))
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(
        (found["id"].as_i64(), found["version"].as_i64()),
        (Some(id), Some(1))
    );

    // A generated Rust consumer: `huntreg pull` pins the default context, huntreg-codegen
    // generates prost types from the pinned edition 2023 text.
    let crate_dir = dir.path().join("editions-consumer");
    std::fs::create_dir_all(&crate_dir).unwrap();
    let pull = Command::new(env!("CARGO_BIN_EXE_huntreg"))
        .args([
            "pull",
            "--registry",
            &server.url,
            "--hunt",
            ".",
            "--lockfile",
        ])
        .arg(crate_dir.join("huntreg.lock"))
        .output()
        .unwrap();
    assert!(
        pull.status.success(),
        "{}",
        String::from_utf8_lossy(&pull.stderr)
    );
    let consumer = consumer::build_crate(
        &crate_dir,
        "e2e-editions",
        "fn main() -> Result<(), huntreg_codegen::Error> {\n    \
         huntreg_codegen::Builder::new().lockfile(\"huntreg.lock\").hunt(\".\").compile()\n}\n",
        "editions.rs",
    );
    let expect = format!(
        "{id} editions-value v1 Confluent counts={{\"gold\": 2}} Found {{ player: \"\", \
         score: Some(42), method: Some(Dive), clues: [3, 1], marks: [-7, 9], counts: {{}}, \
         prize: Some(Gems(5)) }}"
    );
    assert_eq!(
        consumer::consume_args(&consumer, &[], &[&hex, js_hex]),
        [expect.clone(), expect],
        "the Python and the JavaScript records, through the generated types"
    );
}

#[test]
fn js_serdes_hunt_context_by_base_url() {
    let (_dir, server) = start();
    let hunt = format!("{}/contexts/.hunt-7", server.url);
    let (hex, id) = js(&hunt, "associated").produce(&server, FOUND, "js-finds", &found());
    assert_framed(&hex, id, "0202"); // message index [1]
    assert_eq!(
        js(&hunt, "associated").consume(&server, FOUND, "js-finds", &hex),
        found()
    );
    let (hex, id) = js(&hunt, "associated").produce(&server, REWARD, "js-rewards", &reward());
    assert_framed(&hex, id, "040200"); // message index [1, 0]
    assert_eq!(
        js(&hunt, "associated").consume(&server, REWARD, "js-rewards", &hex),
        reward()
    );
    let all = subjects(&server);
    assert_subject(&all, ":.hunt-7:js-finds-value");
    assert_subject(&all, ":.hunt-7:js-rewards-value");
    assert_subject(&all, ":.hunt-7:treasure/common.proto");
}

#[test]
fn js_serdes_hunt_context_by_subject_strategy() {
    // The JavaScript serializer registers imports under unqualified subjects (no reference
    // strategy), so this hunt-by-subject case uses the import-free schema.
    let (_dir, server) = start();
    let url = &server.url;
    let (hex, id) = js(url, ".hunt-42").produce(&server, CLUE, "js-clues", &clue());
    assert_framed(&hex, id, "00");
    assert_eq!(
        js(url, ".hunt-42").consume(&server, CLUE, "js-clues", &hex),
        clue()
    );
    assert_subject(&subjects(&server), ":.hunt-42:js-clues-value");
}

#[test]
fn js_serializer_lookup_only_and_latest_version() {
    let (_dir, server) = start();
    let hunt = format!("{}/contexts/.hunt-5", server.url);
    let (hex, id) = js(&hunt, "associated").produce(&server, UPDATED, "js-settings", &updated());
    let with = |conf: Value| {
        let request = json!({"op": "produce", "url": hunt, "fds": tools().fds, "type": UPDATED,
                             "topic": "js-settings", "strategy": "associated", "conf": conf,
                             "value": updated()});
        let out = run(&server, Client::Js, request);
        (
            out["hex"].as_str().expect("hex").to_owned(),
            out["id"].as_i64().expect("id"),
        )
    };
    // Lookup only: the dependency and the schema are found, not registered.
    let (_, looked_up) = with(json!({"autoRegisterSchemas": false}));
    assert_eq!(looked_up, id);
    // The latest version with format=serialized.
    let (latest_hex, latest) = with(json!({"autoRegisterSchemas": false,
                                           "useLatestVersion": true}));
    assert_eq!(latest, id);
    assert_eq!(latest_hex, hex, "same id, same message index, same payload");
    let r = api(
        &server,
        Client::Python,
        &hunt,
        json!([["get_versions", "js-settings-value"]]),
    );
    assert_eq!(ok(&r, 0), &json!([1]), "nothing new was registered");
}

#[test]
fn js_client_api_with_qualified_subjects() {
    // Raw ':' in the path: getAllVersions does not percent-encode the subject.
    let (_dir, server) = start();
    let s = ":.hunt-9:jsapi-value";
    let calls = json!([
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
    ]);
    let r = api(&server, Client::Js, &server.url, calls);
    let id1 = ok(&r, 0).as_i64().unwrap();
    let latest = ok(&r, 1);
    assert_eq!(
        (latest["id"].as_i64(), latest["version"].as_i64()),
        (Some(id1), Some(1))
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
    let (p, j) = (py(&hunt, "associated"), js(&hunt, "associated"));
    let (hex, _) = p.produce(&server, UPDATED, "cross-py", &updated());
    assert_eq!(j.consume(&server, UPDATED, "cross-py", &hex), updated());
    let (hex, _) = p.produce(&server, REWARD, "cross-py-rewards", &reward());
    assert_eq!(
        j.consume(&server, REWARD, "cross-py-rewards", &hex),
        reward()
    );
    // Default context, the clients' default strategy, no context anywhere.
    let (p, j) = (py(&server.url, "associated"), js(&server.url, "associated"));
    let (hex, _) = p.produce(&server, FOUND, "cross-py-finds", &found());
    assert_eq!(j.consume(&server, FOUND, "cross-py-finds", &hex), found());
}

#[test]
fn javascript_produces_python_consumes() {
    let (_dir, server) = start();
    let hunt = format!("{}/contexts/.hunt-42", server.url);
    let (p, j) = (py(&hunt, "associated"), js(&hunt, "associated"));
    let (hex, _) = j.produce(&server, FOUND, "cross-js", &found());
    assert_eq!(p.consume(&server, FOUND, "cross-js", &hex), found());
    // A Python producer on the same topic (its descriptor has no json_name: perhaps another
    // version, never a failure); the JavaScript consumer reads its records too.
    let (hex, _) = p.produce(&server, FOUND, "cross-js", &found());
    assert_eq!(j.consume(&server, FOUND, "cross-js", &hex), found());
    let (p, j) = (py(&server.url, "topic"), js(&server.url, "topic"));
    let (hex, _) = j.produce(&server, UPDATED, "cross-js-updates", &updated());
    assert_eq!(
        p.consume(&server, UPDATED, "cross-js-updates", &hex),
        updated()
    );
}

// ---------------------------------------------------------------------------------------
// @kafkajs/confluent-schema-registry (text schemas)
// ---------------------------------------------------------------------------------------

const SIGHTING: &str = "syntax = \"proto3\";\npackage hunt.kjs;\n\n\
    import \"treasure/common.proto\";\n\n\
    message Sighting {\n  string who = 1;\n  treasure.v1.Location where = 2;\n  \
    treasure.v1.Rarity rarity = 3;\n}\n";
const SIGHTING_V2: &str = "syntax = \"proto3\";\npackage hunt.kjs;\n\n\
    import \"treasure/common.proto\";\n\n\
    message Sighting {\n  string who = 1;\n  treasure.v1.Location where = 2;\n  \
    treasure.v1.Rarity rarity = 3;\n  uint32 count = 4;\n}\n";

#[test]
fn kafkajs_registers_text_with_a_reference_and_round_trips() {
    let (_dir, server) = start();
    let hunt = format!("{}/contexts/.hunt-kjs", server.url);
    let common = std::fs::read_to_string(clients_dir().join("protos/treasure/common.proto"))
        .expect("read common.proto");
    let refs = json!([{"name": "treasure/common.proto", "subject": "treasure/common.proto",
                       "version": 1}]);
    let sighting = json!({"schema": SIGHTING, "references": refs});
    let calls = json!([
        ["register", {"schema": common}, "treasure/common.proto"],
        ["register", sighting, "sightings-value"],
        ["register", sighting, "sightings-value"],
        ["getRegistryIdBySchema", "treasure/common.proto", {"schema": common}],
        ["getLatestSchemaId", "sightings-value"],
        ["getRegistryId", "sightings-value", 1],
        // kafkajs sends a lookup without the references: the import must still resolve.
        ["getRegistryIdBySchema", "sightings-value", sighting],
    ]);
    let r = api(&server, Client::Kafkajs, &hunt, calls);
    let id = ok(&r, 1)["id"].as_i64().unwrap();
    assert_eq!(
        ok(&r, 2)["id"].as_i64(),
        Some(id),
        "registering the same text again"
    );
    assert_eq!(ok(&r, 3).as_i64(), ok(&r, 0)["id"].as_i64());
    assert_eq!(ok(&r, 4).as_i64(), Some(id));
    assert_eq!(ok(&r, 5).as_i64(), Some(id));
    assert_eq!(ok(&r, 6).as_i64(), Some(id));

    // Encode with one instance, decode with a fresh one (GET /schemas/ids/{id} as text).
    // kafkajs hands the object to protobufjs `create` (enum numbers); decode prints names.
    let value = json!({"who": "ada", "where": {"lat": 3.5, "lng": 4.25, "zone": "harbour"},
                       "rarity": 1});
    let r = api(
        &server,
        Client::Kafkajs,
        &hunt,
        json!([["encode", id, value]]),
    );
    let hex = ok(&r, 0).as_str().unwrap().to_owned();
    assert_eq!(i64::from_str_radix(&hex[2..10], 16).unwrap(), id);
    let r = api(&server, Client::Kafkajs, &hunt, json!([["decode", hex]]));
    let decoded = json!({"who": "ada", "where": {"lat": 3.5, "lng": 4.25, "zone": "harbour"},
                         "rarity": "RARITY_COMMON"});
    assert_eq!(ok(&r, 0), &decoded);

    // A later registration sees the subject config kafkajs wrote the first time (BACKWARD)
    // and is accepted as a compatible new version.
    let v2 = json!({"schema": SIGHTING_V2, "references": refs});
    let r = api(
        &server,
        Client::Kafkajs,
        &hunt,
        json!([["register", v2, "sightings-value"]]),
    );
    assert_ne!(ok(&r, 0)["id"].as_i64(), Some(id));
    let s = "sightings-value";
    let calls = json!([["get_versions", s], ["get_compatibility", s]]);
    let r = api(&server, Client::Python, &hunt, calls);
    assert_eq!(ok(&r, 0), &json!([1, 2]));
    assert_eq!(ok(&r, 1), "BACKWARD");
}

#[test]
fn kafkajs_decodes_records_of_the_python_serializer() {
    // The Python serializer registers a base64 descriptor; kafkajs reads the same id as text.
    let (_dir, server) = start();
    let (hex, _) = py(&server.url, "topic").produce(&server, CLUE, "clues", &clue());
    let r = api(
        &server,
        Client::Kafkajs,
        &server.url,
        json!([["decode", hex]]),
    );
    assert_eq!(ok(&r, 0), &clue());
}
