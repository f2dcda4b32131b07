//! End-to-end: real Confluent serializers (confluent-kafka for Python and
//! @confluentinc/schemaregistry for JavaScript) and @kafkajs/confluent-schema-registry
//! (which frames records without a message-index section) register and frame
//! records against a `huntreg serve` process, `huntreg pull` pins the hunt in a lockfile,
//! a separate consumer crate generates its decoders from that lockfile with
//! huntreg-codegen in its build.rs, and decodes the records: every registered version
//! through the newest type, a version registered after the build only through the HTTP
//! resolver, and `huntreg pull --check` notices the new version. A second consumer crate,
//! whose only dependency is huntreg-runtime, decodes the Python and JavaScript
//! serializers' records of a message with a field of every kind, in the default context
//! (`huntreg pull --hunt .`) and in a hunt, and compares every field.
//!
//! Tools come from `scripts/setup-tools` (`$HUNTREG_TOOLS`, default `.tools/`); the drivers
//! are `tests/clients/confluent_python.py`, `tests/clients/confluent_js.js` and
//! `tests/clients/kafkajs.js`. The consumer builds offline into
//! `target/codegen-e2e` (its first build compiles the codegen's dependencies).

mod server_support;

#[path = "clients/consumer.rs"]
mod consumer;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use consumer::{build_crate, consume_args, workspace};
use prost::Message as _;
use serde_json::{json, Value};
use server_support::Server;

const HUNT: &str = "e2e-hunt";

const COMMON: &str = r#"syntax = "proto3";
package treasure.v1;

message Coordinates {
  double latitude = 1;
  double longitude = 2;
}

enum Rarity {
  RARITY_UNSPECIFIED = 0;
  RARITY_COMMON = 1;
  RARITY_RARE = 2;
}
"#;

/// `treasure/v1/sighting.proto`: no well-known import, so kafkajs (protobufjs text
/// parsing, which does not know `google/protobuf/*.proto`) can encode its first message.
const SIGHTING: &str = r#"syntax = "proto3";
package treasure.v1;

import "treasure/v1/common.proto";

message TreasureSighted {
  string player_id = 1;
  Coordinates seen_at = 2;
  Rarity rarity = 3;
  uint32 count = 4;
}
"#;

/// `treasure/v1/haul.proto` at version `v` (v2 adds `note`): a field of every kind the
/// generated types must carry through (a well-known timestamp, maps, repeated scalars and
/// messages, an enum, bytes, 64-bit and bool scalars, a nested message).
fn haul(v: u32) -> String {
    let note = if v >= 2 { "  string note = 11;\n" } else { "" };
    format!(
        "syntax = \"proto3\";\npackage treasure.v1;\n\nimport \"google/protobuf/timestamp.proto\";\nimport \"treasure/v1/common.proto\";\n\n\
         message TreasureHauled {{\n  string player_id = 1;\n  google.protobuf.Timestamp hauled_at = 2;\n  map<string, uint32> counts = 3;\n\
         \x20 repeated string tags = 4;\n  Rarity rarity = 5;\n  repeated Coordinates route = 6;\n  bytes proof = 7;\n  sint64 score = 8;\n\
         \x20 bool verified = 9;\n  map<string, Coordinates> caches = 10;\n{note}}}\n"
    )
}

/// `treasure/v1/events.proto` at version `v`: v2 adds `display_name`, v3 adds `tags`.
fn events(v: u32) -> String {
    let mut fields = String::from(
        "  string treasure_type = 1;\n  Rarity rarity = 2;\n  uint32 points = 3;\n  google.protobuf.Timestamp updated_at = 4;\n",
    );
    if v >= 2 {
        fields.push_str("  string display_name = 5;\n");
    }
    if v >= 3 {
        fields.push_str("  repeated string tags = 6;\n");
    }
    format!(
        "syntax = \"proto3\";\npackage treasure.v1;\n\nimport \"google/protobuf/timestamp.proto\";\nimport \"treasure/v1/common.proto\";\n\n\
         message TreasureTypeUpdated {{\n{fields}}}\n\nmessage TreasureLost {{\n  string player_id = 1;\n  Coordinates last_seen = 2;\n}}\n"
    )
}

fn tools() -> PathBuf {
    std::env::var_os("HUNTREG_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".tools"))
}

fn python() -> PathBuf {
    let python = tools().join("venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-tools (or set HUNTREG_TOOLS)",
        python.display()
    );
    python
}

/// Compiles version `v` of the fixtures into a descriptor set file for the producer.
fn descriptor_set(dir: &Path, v: u32) -> PathBuf {
    let src = dir.join(format!("protos-v{v}"));
    std::fs::create_dir_all(src.join("treasure/v1")).unwrap();
    std::fs::write(src.join("treasure/v1/common.proto"), COMMON).unwrap();
    std::fs::write(src.join("treasure/v1/events.proto"), events(v)).unwrap();
    std::fs::write(src.join("treasure/v1/sighting.proto"), SIGHTING).unwrap();
    std::fs::write(src.join("treasure/v1/haul.proto"), haul(v)).unwrap();
    let mut compiler = protox::Compiler::new([&src]).unwrap();
    compiler.include_imports(true).include_source_info(false);
    compiler
        .open_files([
            "treasure/v1/events.proto",
            "treasure/v1/sighting.proto",
            "treasure/v1/haul.proto",
        ])
        .unwrap();
    let path = dir.join(format!("v{v}.binpb"));
    std::fs::write(&path, compiler.file_descriptor_set().encode_to_vec()).unwrap();
    path
}

/// The published serializer a record is produced with.
#[derive(Clone, Copy, Debug)]
enum Producer {
    /// confluent-kafka's `ProtobufSerializer` (Python).
    Python,
    /// @confluentinc/schemaregistry's `ProtobufSerializer` (JavaScript).
    Js,
}

/// Serializes `value` as `type_name` with a fresh confluent-kafka `ProtobufSerializer`
/// (TopicNameStrategy, base URL `/contexts/.e2e-hunt`): returns the record's hex and ID.
fn produce(
    server: &Server,
    fds: &Path,
    type_name: &str,
    topic: &str,
    value: Value,
) -> (String, u64) {
    produce_with(Producer::Python, server, fds, type_name, topic, value)
}

/// Serializes `value` as `type_name` with a fresh serializer of `producer` (TopicNameStrategy,
/// base URL `/contexts/.e2e-hunt`): returns the record's hex and ID.
fn produce_with(
    producer: Producer,
    server: &Server,
    fds: &Path,
    type_name: &str,
    topic: &str,
    value: Value,
) -> (String, u64) {
    let url = format!("{}/contexts/.{HUNT}", server.url);
    produce_at(producer, server, &url, fds, type_name, topic, value)
}

/// Serializes `value` as `type_name` with a fresh serializer of `producer` (TopicNameStrategy)
/// against the registry base URL `url`: the server's root for the default context, or
/// `/contexts/.{hunt}` for a hunt. Returns the record's hex and ID.
fn produce_at(
    producer: Producer,
    server: &Server,
    url: &str,
    fds: &Path,
    type_name: &str,
    topic: &str,
    value: Value,
) -> (String, u64) {
    let request = json!({
        "op": "produce",
        "url": url,
        "fds": fds,
        "type": type_name,
        "topic": topic,
        "strategy": "topic",
        "value": value,
    });
    let reply = driver(producer, server, &request);
    (
        reply["hex"].as_str().unwrap().to_owned(),
        reply["id"].as_u64().unwrap(),
    )
}

/// Sends one request to a fresh process of `producer`'s driver
/// (`cli/tests/clients/confluent_python.py` or `confluent_js.js`) and returns its reply.
fn driver(producer: Producer, server: &Server, request: &Value) -> Value {
    let mut command = match producer {
        Producer::Python => {
            let mut c = Command::new(python());
            c.arg(workspace().join("cli/tests/clients/confluent_python.py"));
            c
        }
        Producer::Js => {
            let node_modules = tools().join("node_modules");
            assert!(
                node_modules.join("@confluentinc/schemaregistry").exists(),
                "{} lacks @confluentinc/schemaregistry: run scripts/setup-tools",
                node_modules.display()
            );
            let mut c = Command::new("node");
            c.arg(workspace().join("cli/tests/clients/confluent_js.js"))
                .env("NODE_PATH", node_modules);
            c
        }
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the {producer:?} driver: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{producer:?} driver failed: {}\n--- server ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.stderr()
    );
    serde_json::from_slice(&out.stdout).expect("driver JSON")
}

/// Runs `calls` through one @kafkajs/confluent-schema-registry instance (base URL
/// `/contexts/.e2e-hunt`) and returns each call's result; panics on a failed call.
fn kafkajs(server: &Server, calls: Value) -> Vec<Value> {
    let node_modules = tools().join("node_modules");
    assert!(
        node_modules
            .join("@kafkajs/confluent-schema-registry")
            .exists(),
        "{} lacks @kafkajs/confluent-schema-registry: run scripts/setup-tools",
        node_modules.display()
    );
    let request = json!({"url": format!("{}/contexts/.{HUNT}", server.url), "calls": calls});
    let mut child = Command::new("node")
        .arg(workspace().join("cli/tests/clients/kafkajs.js"))
        .env("NODE_PATH", node_modules)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the kafkajs driver: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kafkajs driver failed: {}\n--- server ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.stderr()
    );
    let reply: Value = serde_json::from_slice(&out.stdout).expect("driver JSON");
    reply["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| match r.get("ok") {
            Some(ok) => ok.clone(),
            None => panic!(
                "kafkajs call failed: {r}\n--- server ---\n{}",
                server.stderr()
            ),
        })
        .collect()
}

fn huntreg(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_huntreg"))
        .args(args)
        .output()
        .expect("run huntreg")
}

/// Writes the consumer crate into `dir` and builds it; returns its binary.
fn build_consumer(dir: &Path) -> PathBuf {
    build_crate(
        dir,
        "e2e-consumer",
        "fn main() -> Result<(), huntreg_codegen::Error> {\n    \
         huntreg_codegen::Builder::new().lockfile(\"huntreg.lock\").hunt(\"e2e-hunt\").compile()\n}\n",
        "consumer.rs",
    )
}

fn consume(consumer: &Path, resolver: Option<&str>, records: &[&str]) -> Vec<String> {
    let args: Vec<&str> = resolver.into_iter().collect();
    consume_args(consumer, &args, records)
}

#[test]
fn python_and_js_producers_pulled_lockfile_generated_consumer() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let (v1, v2, v3) = (
        descriptor_set(dir.path(), 1),
        descriptor_set(dir.path(), 2),
        descriptor_set(dir.path(), 3),
    );
    const UPDATED: &str = "treasure.v1.TreasureTypeUpdated";
    const LOST: &str = "treasure.v1.TreasureLost";
    let topic = "treasure-type-updated";

    // Two producer generations: version 1 and version 2 of the same subject.
    let (rec_v1, id_v1) = produce(
        &server,
        &v1,
        UPDATED,
        topic,
        json!({"treasureType": "ruby", "rarity": "RARITY_RARE", "points": 5}),
    );
    let (rec_v2, id_v2) = produce(
        &server,
        &v2,
        UPDATED,
        topic,
        json!({"treasureType": "emerald", "points": 7, "displayName": "Emerald"}),
    );
    let (rec_lost, id_lost) = produce(
        &server,
        &v2,
        LOST,
        "treasure-lost",
        json!({"playerId": "p9"}),
    );
    // A JavaScript producer of the same hunt, on its own topic.
    let (rec_js, _) = produce_with(
        Producer::Js,
        &server,
        &v2,
        LOST,
        "treasure-lost-js",
        json!({"playerId": "pj", "lastSeen": {"latitude": 1.5}}),
    );
    assert_eq!(&rec_js[10..14], "0202", "TreasureLost is message [1]");

    // One sighting from each client: Confluent framing from Python and JavaScript, none
    // from kafkajs, which registers the schema as text and writes magic, ID, payload.
    const SIGHTED: &str = "treasure.v1.TreasureSighted";
    let sighting = json!({"playerId": "ada", "seenAt": {"latitude": 1.5, "longitude": -2.25},
                          "rarity": 2, "count": 3});
    let (sighted_py, id_sighted) = produce(&server, &v2, SIGHTED, "sightings", sighting.clone());
    let (sighted_js, _) = produce_with(
        Producer::Js,
        &server,
        &v2,
        SIGHTED,
        "sightings-js",
        sighting.clone(),
    );
    let refs = json!([{"name": "treasure/v1/common.proto",
                       "subject": "treasure/v1/common.proto", "version": 1}]);
    let registered = kafkajs(
        &server,
        json!([["register", {"schema": SIGHTING, "references": refs}, "sightings-kjs-value"]]),
    );
    let id_kjs = registered[0]["id"].as_u64().unwrap();
    assert_eq!(
        id_kjs, id_sighted,
        "the same schema registered as text keeps the descriptor's ID"
    );
    let encoded = kafkajs(
        &server,
        json!([["encode", id_kjs, sighting], ["encode", id_kjs, {}]]),
    );
    let (sighted_kjs, empty_kjs) = (
        encoded[0].as_str().unwrap().to_owned(),
        encoded[1].as_str().unwrap().to_owned(),
    );
    assert_eq!(&sighted_py[10..12], "00", "Confluent's [0]");
    assert_eq!(&sighted_js[10..12], "00", "Confluent's [0]");
    assert_eq!(
        sighted_kjs[10..],
        sighted_py[12..],
        "kafkajs writes the same payload with no index section"
    );
    assert_eq!(
        empty_kjs,
        format!("00{id_kjs:08x}"),
        "an empty message is the bare header"
    );
    assert_ne!(id_v1, id_v2);
    assert_eq!(&rec_lost[10..14], "0202", "TreasureLost is message [1]");
    assert_eq!(
        id_lost, id_v2,
        "same schema text under another subject, same ID"
    );

    // Pin the hunt.
    let lockfile = dir.path().join("consumer/huntreg.lock");
    std::fs::create_dir_all(lockfile.parent().unwrap()).unwrap();
    let lock = lockfile.to_str().unwrap();
    let pull = huntreg(&[
        "pull",
        "--registry",
        &server.url,
        "--hunt",
        HUNT,
        "--lockfile",
        lock,
    ]);
    assert!(
        pull.status.success(),
        "{}",
        String::from_utf8_lossy(&pull.stderr)
    );
    let pinned = huntreg_codegen::Lockfile::read(&lockfile).unwrap();
    let subjects: Vec<(&str, usize)> = pinned
        .hunt(HUNT)
        .unwrap()
        .subjects
        .iter()
        .map(|s| (s.subject.as_str(), s.versions.len()))
        .collect();
    assert_eq!(
        subjects,
        [
            ("sightings-js-value", 1),
            ("sightings-kjs-value", 1),
            ("sightings-value", 1),
            ("treasure-lost-js-value", 1),
            ("treasure-lost-value", 1),
            ("treasure-type-updated-value", 2),
            ("treasure/v1/common.proto", 1)
        ]
    );

    // Build the consumer from the lockfile and decode every record.
    let consumer = build_consumer(&dir.path().join("consumer"));
    let unknown = format!("00{:08x}00", 9_999);
    assert_eq!(
        consume(
            &consumer,
            None,
            &[&rec_v1, &rec_v2, &rec_lost, &rec_js, &unknown, "", "02"]
        ),
        [
            "updated ruby rarity=2 points=5 display_name=\"\"",
            "updated emerald rarity=0 points=7 display_name=\"Emerald\"",
            "lost p9",
            "lost pj",
            &format!("error no known schema for ID 9999 (0x270f) in hunt {HUNT}"),
            "error empty record: expected a Confluent-framed message",
            "error bad magic byte 0x02: expected 0x00 (Confluent framing)",
        ]
    );
    // The kafkajs records decode to the values the Confluent-framed ones decode to, and
    // say they took the index-free reading.
    let sighted = "sighted ada at (1.5, -2.25) rarity=2 count=3";
    assert_eq!(
        consume(
            &consumer,
            None,
            &[&sighted_py, &sighted_js, &sighted_kjs, &empty_kjs]
        ),
        [
            sighted.to_owned(),
            sighted.to_owned(),
            format!("{sighted} (index-free)"),
            "sighted  at (0, 0) rarity=0 count=0 (index-free)".to_owned(),
        ]
    );

    // A third producer generation registers after the build.
    let (rec_v3, id_v3) = produce(
        &server,
        &v3,
        UPDATED,
        topic,
        json!({"treasureType": "sapphire", "points": 9, "tags": ["blue"]}),
    );
    assert!(id_v3 > id_v2);
    let check = huntreg(&[
        "pull",
        "--registry",
        &server.url,
        "--hunt",
        HUNT,
        "--lockfile",
        lock,
        "--check",
    ]);
    assert_eq!(check.status.code(), Some(1));
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        report.contains(&format!("+ treasure-type-updated-value v3 (id {id_v3})")),
        "{report}"
    );

    // Unknown to the build; decodable once the registry confirms its subject.
    assert_eq!(
        consume(&consumer, None, &[&rec_v3]),
        [format!(
            "error no known schema for ID {id_v3} (0x{id_v3:x}) in hunt {HUNT}"
        )]
    );
    assert_eq!(
        consume(&consumer, Some(&server.url), &[&rec_v3, &rec_v3, &rec_v1]),
        [
            "updated sapphire rarity=0 points=9 display_name=\"\"",
            "updated sapphire rarity=0 points=9 display_name=\"\"",
            "updated ruby rarity=2 points=5 display_name=\"\"",
        ]
    );
}

#[test]
fn push_registers_one_subject_per_file_and_pull_pins_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let schemas = workspace().join("schemas/hunt-42");
    let schemas = schemas.to_str().unwrap();
    let push = huntreg(&["push", schemas, "--registry", &server.url]);
    assert!(
        push.status.success(),
        "{}",
        String::from_utf8_lossy(&push.stderr)
    );
    let pushed = String::from_utf8_lossy(&push.stdout).into_owned();
    // Imports first: common.proto is registered before the files importing it.
    let lines: Vec<&str> = pushed.lines().collect();
    assert_eq!(lines.len(), 4, "{pushed}");
    assert!(
        lines[0].starts_with(":.hunt-42:treasure/v1/common.proto version 1 (schema ID "),
        "{pushed}"
    );

    // Pushing the same files again is idempotent: same versions, same IDs.
    let again = huntreg(&[
        "push",
        schemas,
        "--registry",
        &server.url,
        "--hunt",
        "hunt-42",
    ]);
    assert!(again.status.success());
    assert_eq!(String::from_utf8_lossy(&again.stdout), pushed);

    let lockfile = dir.path().join("huntreg.lock");
    let lock = lockfile.to_str().unwrap();
    let pull = huntreg(&[
        "pull",
        "--registry",
        &server.url,
        "--hunt",
        "hunt-42",
        "--lockfile",
        lock,
    ]);
    assert!(
        pull.status.success(),
        "{}",
        String::from_utf8_lossy(&pull.stderr)
    );
    let pinned = huntreg_codegen::Lockfile::read(&lockfile).unwrap();
    let hunt = pinned.hunt("hunt-42").unwrap();
    let subjects: Vec<&str> = hunt.subjects.iter().map(|s| s.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "leaderboard/v1/leaderboard.proto",
            "treasure/v1/common.proto",
            "treasure/v1/treasure_found.proto",
            "treasure/v1/treasure_type_updated.proto",
        ]
    );
    let found = &hunt.subjects[2].versions[0];
    assert_eq!(
        found.references,
        [huntreg_codegen::Reference {
            name: "treasure/v1/common.proto".into(),
            subject: "treasure/v1/common.proto".into(),
            version: 1,
        }]
    );
    // The pinned message order counts the map entry where protoc puts it.
    assert_eq!(
        hunt.subjects[0].versions[0].messages,
        [
            "leaderboard.v1.LeaderboardChanged",
            "leaderboard.v1.LeaderboardChanged.Entry",
            "leaderboard.v1.LeaderboardChanged.ScoreByTeamEntry",
            "leaderboard.v1.LeaderboardReset",
        ]
    );
    // What was pulled generates, and a second pull finds nothing new.
    huntreg_codegen::Builder::new()
        .hunt("hunt-42")
        .generate(hunt)
        .unwrap();
    // Without a lockfile, a build reads the registry live.
    let out = dir.path().join("out");
    huntreg_codegen::Builder::new()
        .hunt("hunt-42")
        .lockfile(dir.path().join("absent.lock"))
        .registry(&server.url)
        .out_dir(&out)
        .emit_rerun_if_changed(false)
        .compile()
        .unwrap();
    let live = std::fs::read_to_string(out.join("hunt_42.rs")).unwrap();
    assert!(
        live.contains(&format!("as pinned by the registry {}", server.url)),
        "{live}"
    );
    let check = huntreg(&[
        "pull",
        "--registry",
        &server.url,
        "--hunt",
        "hunt-42",
        "--lockfile",
        lock,
        "--check",
    ]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}

/// Pins both hunts of a registry into `lockfile`: `huntreg pull --hunt . --hunt e2e-hunt`.
fn pull_both(server: &Server, lockfile: &Path, check: bool) -> std::process::Output {
    let mut args = vec![
        "pull",
        "--registry",
        &server.url,
        "--hunt",
        ".",
        "--hunt",
        HUNT,
        "--lockfile",
        lockfile.to_str().unwrap(),
    ];
    if check {
        args.push("--check");
    }
    huntreg(&args)
}

#[test]
fn every_field_in_the_default_context_and_a_hunt_with_only_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let (v1, v2) = (descriptor_set(dir.path(), 1), descriptor_set(dir.path(), 2));
    const HAULED: &str = "treasure.v1.TreasureHauled";
    // Every field set, none to its default.
    let value = json!({
        "playerId": "ada",
        "hauledAt": "2024-05-01T12:30:15.250Z",
        "counts": {"gold": 3, "silver": 12},
        "tags": ["night", "solo"],
        "rarity": "RARITY_RARE",
        "route": [{"latitude": 1.5, "longitude": -2.25}, {"latitude": 0.5, "longitude": 4.0}],
        "proof": "AQID",
        "score": "-42",
        "verified": true,
        "caches": {"cave": {"latitude": 7.0, "longitude": 8.5}},
    });
    // The default context is the registry's root; the hunt is its context's base URL.
    let root = server.url.clone();
    let hunt_url = format!("{}/contexts/.{HUNT}", server.url);
    let mut records = Vec::new();
    for url in [&root, &hunt_url] {
        for (producer, topic) in [(Producer::Python, "hauls"), (Producer::Js, "hauls-js")] {
            records.push(produce_at(
                producer,
                &server,
                url,
                &v1,
                HAULED,
                topic,
                value.clone(),
            ));
        }
    }

    // `--hunt .` pins the default context (root paths, unqualified subjects) next to the hunt.
    let lockfile = dir.path().join("every-field/huntreg.lock");
    std::fs::create_dir_all(lockfile.parent().unwrap()).unwrap();
    let pull = pull_both(&server, &lockfile, false);
    assert!(
        pull.status.success(),
        "{}",
        String::from_utf8_lossy(&pull.stderr)
    );
    let pinned = huntreg_codegen::Lockfile::read(&lockfile).unwrap();
    for hunt in [".", HUNT] {
        let subjects: Vec<&str> = pinned
            .hunt(hunt)
            .unwrap_or_else(|| panic!("hunt {hunt} pinned"))
            .subjects
            .iter()
            .map(|s| s.subject.as_str())
            .collect();
        assert_eq!(
            subjects,
            ["hauls-js-value", "hauls-value", "treasure/v1/common.proto"],
            "hunt {hunt}"
        );
    }

    let consumer = build_crate(
        &dir.path().join("every-field"),
        "e2e-every-field",
        r#"fn main() -> Result<(), huntreg_codegen::Error> {
    for hunt in [".", "e2e-hunt"] {
        huntreg_codegen::Builder::new()
            .lockfile("huntreg.lock")
            .hunt(hunt)
            .compile()?;
    }
    Ok(())
}
"#,
        "every_field.rs",
    );
    // The consumer prints the maps sorted, then the message with its maps emptied.
    const EVENT: &str = "counts={\"gold\": 3, \"silver\": 12} \
        caches={\"cave\": Coordinates { latitude: 7.0, longitude: 8.5 }} \
        TreasureHauled { player_id: \"ada\", \
        hauled_at: Some(Timestamp { seconds: 1714566615, nanos: 250000000 }), \
        counts: {}, tags: [\"night\", \"solo\"], rarity: Rare, \
        route: [Coordinates { latitude: 1.5, longitude: -2.25 }, Coordinates { latitude: 0.5, longitude: 4.0 }], \
        proof: [1, 2, 3], score: -42, verified: true, caches: {} }";
    // Both serializers register the same schema, so each context has one ID held by two
    // subjects; `decode` reports the first by name, at the version the build pinned.
    assert_eq!(records[0].1, records[1].1);
    assert_eq!(records[2].1, records[3].1);
    let expect = |(_, id): &(String, u64)| format!("{id} hauls-js-value v1 Confluent {EVENT}");
    let hex = |range: std::ops::Range<usize>| -> Vec<&str> {
        records[range].iter().map(|(h, _)| h.as_str()).collect()
    };
    assert_eq!(
        consume_args(&consumer, &["."], &hex(0..2)),
        [expect(&records[0]), expect(&records[1])],
        "the default context's records, from Python and JavaScript"
    );
    assert_eq!(
        consume_args(&consumer, &[HUNT], &hex(2..4)),
        [expect(&records[2]), expect(&records[3])],
        "the hunt's records, from Python and JavaScript"
    );

    // `Event::encode_as(subject)` frames the decoded message for the subject the caller
    // names, and confluent-kafka's deserializer reads every field back. `encode` would
    // frame with the same ID here (one schema, one ID); a subject the build does not know
    // or one whose schema lacks the message is a typed error.
    let encoded = consume_args(
        &consumer,
        &[".", "--encode-as", "hauls-value"],
        &[&records[1].0],
    );
    let hex_as = encoded[0].strip_prefix("encoded ").expect(&encoded[0]);
    assert_eq!(&hex_as[2..10], &format!("{:08x}", records[1].1));
    let read = driver(
        Producer::Python,
        &server,
        &json!({"op": "consume", "url": root, "fds": v1, "type": HAULED,
                "topic": "hauls", "strategy": "topic", "hex": hex_as}),
    );
    assert_eq!(read["value"], value, "every field, as Python reads it");
    assert_eq!(
        consume_args(
            &consumer,
            &[".", "--encode-as", "no-such-value"],
            &[&records[1].0]
        ),
        ["error hunt . has no subject no-such-value in this build"]
    );
    assert_eq!(
        consume_args(
            &consumer,
            &[".", "--encode-as", "treasure/v1/common.proto"],
            &[&records[1].0]
        ),
        [
            "error the newest version of subject treasure/v1/common.proto (hunt .) does not \
          define message treasure.v1.TreasureHauled"
        ]
    );

    // A version registered in the default context after the build: `pull --check --hunt .`
    // notices it, and the HTTP resolver (root paths) confirms its subject.
    let mut newer = value.clone();
    newer["note"] = json!("late");
    let (rec_v2, id_v2) = produce_at(
        Producer::Python,
        &server,
        &root,
        &v2,
        HAULED,
        "hauls",
        newer,
    );
    let check = pull_both(&server, &lockfile, true);
    assert_eq!(check.status.code(), Some(1));
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        report.contains(&format!("+ hauls-value v2 (id {id_v2})")),
        "{report}"
    );
    assert_eq!(
        consume_args(&consumer, &["."], &[&rec_v2]),
        [format!(
            "error no known schema for ID {id_v2} (0x{id_v2:x}) in hunt ."
        )]
    );
    assert_eq!(
        consume_args(&consumer, &[".", &server.url], &[&rec_v2]),
        [format!("{id_v2} hauls-value v2 Confluent {EVENT}")],
        "the field v2 added is skipped by the build's type; every other field decodes, and \
         the subject and version are the ones the registry named"
    );
}
