//! `huntreg export` / `huntreg import` end to end: populate a registry over HTTP (several
//! hunts, references, soft and permanent deletes, config and mode), export it, import into a
//! fresh directory, serve both and compare every API answer, including the next ID handed out.
//!
//! Offline (`export --data-dir`, the server stopped), and live (`export --from URL`): a
//! registry behind `--auth-config`, with records from the published confluent-kafka Python
//! serializer, exported while a writer keeps registering (with references); the restored
//! registry answers the same for everything acknowledged before the export started and
//! decodes the old records through the Python deserializer.

mod server_support;

#[path = "../../store/tests/support/pg.rs"]
mod pg;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};
use server_support::{
    clue, consume, fixtures, hash_secret, huntreg, produce, register_body, updated, As, Server,
    CLUE, UPDATED,
};

const MONEY: &str = "syntax = \"proto3\";\npackage common;\nmessage Money { int64 units = 1; string currency = 2; }\n";

/// The bearer token of the `ops` principal (admin on every hunt) in [`auth_config`].
const TOKEN: &str = "ops-token";
/// The Basic credentials of the `producer` principal (write on every hunt).
const PRODUCER: &str = "producer:producer-secret";
/// The Basic credentials of the `backup` principal (read on every hunt).
const BACKUP: &str = "backup:backup-secret";

/// The page size of the live test's registries (`--max-page-size`).
const PAGE: &str = "7";

/// A request to the registry at `url`, as `token` when given.
fn request(
    url: &str,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, String) {
    let who = token.map_or(As::Nobody, As::Bearer);
    let reply = server_support::send(&format!("{url}{path}"), who, method, body);
    (reply.status, reply.text)
}

fn post(server: &Server, path: &str, body: &str) -> (u16, String) {
    request(&server.url, None, "POST", path, Some(body))
}

fn send(server: &Server, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    request(&server.url, None, method, path, body)
}

fn ok(result: (u16, String)) -> String {
    assert_eq!(result.0, 200, "{}", result.1);
    result.1
}

fn populate(server: &Server) {
    populate_as(&server.url, None);
}

/// Registers the offline test's data (three hunts, a reference, soft and permanent deletes,
/// config and mode at every scope) at `url`, as `token` when given.
fn populate_as(url: &str, token: Option<&str>) {
    let post = |path: &str, body: &str| request(url, token, "POST", path, Some(body));
    let send =
        |method: &str, path: &str, body: Option<&str>| request(url, token, method, path, body);
    let s = |fields: &str| {
        format!("syntax = \"proto3\";\npackage hunt;\nmessage Event {{ {fields} }}\n")
    };
    ok(post(
        "/subjects/orders-value/versions",
        &register_body(&s("int32 a = 1;")),
    ));
    ok(post(
        "/subjects/orders-value/versions",
        &register_body(&s("int32 a = 1; string b = 2;")),
    ));
    for i in 1..=3 {
        let fields = (1..=i)
            .map(|n| format!("int64 f{n} = {n};"))
            .collect::<Vec<_>>()
            .join(" ");
        ok(post(
            "/subjects/:.hunt-1:treasure-value/versions",
            &register_body(&s(&fields)),
        ));
    }
    ok(send(
        "DELETE",
        "/subjects/:.hunt-1:treasure-value/versions/1",
        None,
    ));
    ok(post(
        "/contexts/.hunt-2/subjects/common%2Fmoney.proto/versions",
        &register_body(MONEY),
    ));
    let with_ref = serde_json::json!({
        "schemaType": "PROTOBUF",
        "schema": "syntax = \"proto3\";\npackage shop;\nimport \"common/money.proto\";\nmessage Order { common.Money total = 1; }\n",
        "references": [{"name": "common/money.proto", "subject": "common/money.proto", "version": 1}],
    });
    ok(post(
        "/contexts/.hunt-2/subjects/orders-value/versions",
        &with_ref.to_string(),
    ));
    // A subject soft-deleted, then permanently deleted: its id must never come back.
    ok(post(
        "/subjects/:.hunt-3:gone/versions",
        &register_body(&s("bool gone = 1;")),
    ));
    ok(send("DELETE", "/subjects/:.hunt-3:gone", None));
    ok(send(
        "DELETE",
        "/subjects/:.hunt-3:gone?permanent=true",
        None,
    ));
    ok(send(
        "PUT",
        "/config/:.hunt-1:",
        Some(r#"{"compatibility":"FULL"}"#),
    ));
    ok(send(
        "PUT",
        "/config/orders-value",
        Some(r#"{"compatibility":"NONE"}"#),
    ));
    ok(send(
        "PUT",
        "/config",
        Some(r#"{"compatibility":"FORWARD"}"#),
    ));
    ok(send(
        "PUT",
        "/mode/:.hunt-2:orders-value",
        Some(r#"{"mode":"READONLY"}"#),
    ));
}

const PROBES: &[&str] = &[
    "/subjects",
    "/subjects?deleted=true",
    "/contexts",
    "/schemas?subjectPrefix=:*:",
    "/subjects/orders-value/versions",
    "/subjects/orders-value/versions/1",
    "/subjects/orders-value/versions/latest",
    "/subjects/:.hunt-1:treasure-value/versions",
    "/subjects/:.hunt-1:treasure-value/versions?deleted=true",
    "/subjects/:.hunt-1:treasure-value/versions/1?deleted=true",
    "/subjects/:.hunt-1:treasure-value/versions/1",
    "/contexts/.hunt-2/subjects",
    "/contexts/.hunt-2/subjects/orders-value/versions/1",
    "/contexts/.hunt-2/subjects/common%2Fmoney.proto/versions/1/referencedby",
    "/subjects/:.hunt-3:gone/versions?deleted=true",
    "/config",
    "/config/:.hunt-1:",
    "/config/orders-value",
    "/mode",
    "/mode/:.hunt-2:orders-value",
    "/schemas/ids/1",
    "/schemas/ids/2",
    "/schemas/ids/3?subject=:.hunt-1:",
    "/schemas/ids/5?subject=:.hunt-1:",
    "/schemas/ids/6?subject=:.hunt-2:",
    "/schemas/ids/7?subject=:.hunt-2:",
    "/schemas/ids/8?subject=:.hunt-3:",
    "/schemas/ids/7/versions?subject=:.hunt-2:",
];

#[test]
fn export_then_import_reproduces_every_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let original_dir = tmp.path().join("original");
    let restored_dir = tmp.path().join("restored");
    let backup = tmp.path().join("backup.jsonl");

    let server = Server::start(&original_dir, &[]);
    populate(&server);
    // The store is locked while the server runs: export says why it cannot open it.
    let busy = huntreg()
        .arg("export")
        .arg("--data-dir")
        .arg(&original_dir)
        .output()
        .unwrap();
    assert!(!busy.status.success());
    assert!(
        String::from_utf8_lossy(&busy.stderr).contains("still running"),
        "{busy:?}"
    );
    server.stop();

    let out = huntreg()
        .args(["export", "--data-dir"])
        .arg(&original_dir)
        .arg("-o")
        .arg(&backup)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&backup).unwrap();
    assert!(
        text.starts_with("{\"format\":\"huntreg-backup\",\"version\":1"),
        "{text}"
    );
    assert!(
        text.contains("\"deleted\":true"),
        "soft-deleted versions are exported"
    );

    let out = huntreg()
        .args(["import", "--data-dir"])
        .arg(&restored_dir)
        .arg(&backup)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Importing again (now non-empty) is refused and changes nothing.
    let again = huntreg()
        .args(["import", "--data-dir"])
        .arg(&restored_dir)
        .arg(&backup)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{again:?}"
    );

    let original = Server::start(&original_dir, &[]);
    let restored = Server::start(&restored_dir, &[]);
    let mut compared = 0;
    for probe in PROBES {
        let a = send(&original, "GET", probe, None);
        let b = send(&restored, "GET", probe, None);
        assert_eq!(a, b, "GET {probe} differs after export/import");
        compared += usize::from(a.0 == 200);
    }
    assert!(
        compared >= PROBES.len() - 4,
        "most probes must hit data ({compared})"
    );
    // The id sequence survives: the next registration gets the same new id in both.
    let next = register_body("syntax = \"proto3\";\nmessage Fresh { string s = 1; }\n");
    let a = post(&original, "/subjects/:.hunt-4:fresh/versions", &next);
    let b = post(&restored, "/subjects/:.hunt-4:fresh/versions", &next);
    assert_eq!(a.0, 200, "{}", a.1);
    assert_eq!(a, b);
    let id: serde_json::Value = serde_json::from_str(&a.1).unwrap();
    assert!(
        id["id"].as_u64().unwrap() > 8,
        "ids are never reused: {}",
        a.1
    );
}

/// Runs `huntreg ARGS` and returns its stderr; panics when it fails.
fn huntreg_ok(args: &[&std::ffi::OsStr]) -> String {
    let out = huntreg().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "huntreg {args:?}: {stderr}");
    stderr
}

/// The record lines of a backup, sorted (the two stores list records in different orders).
fn records_of(backup: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(backup).unwrap();
    let mut lines: Vec<String> = text.lines().skip(1).map(str::to_owned).collect();
    lines.sort();
    lines
}

#[test]
fn export_and_import_move_a_registry_between_sled_and_postgres() {
    let pg = pg::TempPostgres::start();
    let database = pg.fresh_database();
    let tmp = tempfile::tempdir().unwrap();
    let sled_dir = tmp.path().join("sled");
    let back_dir = tmp.path().join("back");
    let from_sled = tmp.path().join("from-sled.jsonl");
    let from_pg = tmp.path().join("from-pg.jsonl");
    let os = |s: &str| std::ffi::OsString::from(s);

    let server = Server::start(&sled_dir, &[]);
    populate(&server);
    server.stop();
    huntreg_ok(&[
        &os("export"),
        &os("--data-dir"),
        sled_dir.as_os_str(),
        &os("-o"),
        from_sled.as_os_str(),
    ]);
    // sled to PostgreSQL, then (while a node serves it) PostgreSQL back to sled.
    huntreg_ok(&[
        &os("import"),
        &os("--database-url"),
        &os(&database),
        from_sled.as_os_str(),
    ]);
    let again = huntreg()
        .args(["import", "--database-url", &database])
        .arg(&from_sled)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{again:?}"
    );
    let on_pg = Server::start(&tmp.path().join("unused"), &["--database-url", &database]);
    huntreg_ok(&[
        &os("export"),
        &os("--database-url"),
        &os(&database),
        &os("-o"),
        from_pg.as_os_str(),
    ]);
    assert_eq!(records_of(&from_sled), records_of(&from_pg));
    huntreg_ok(&[
        &os("import"),
        &os("--data-dir"),
        back_dir.as_os_str(),
        from_pg.as_os_str(),
    ]);

    let on_sled = Server::start(&sled_dir, &[]);
    let back = Server::start(&back_dir, &[]);
    let mut compared = 0;
    for probe in PROBES {
        let a = send(&on_sled, "GET", probe, None);
        assert_eq!(
            a,
            send(&on_pg, "GET", probe, None),
            "GET {probe}: sled vs PostgreSQL"
        );
        assert_eq!(
            a,
            send(&back, "GET", probe, None),
            "GET {probe}: sled vs back"
        );
        compared += usize::from(a.0 == 200);
    }
    assert!(
        compared >= PROBES.len() - 4,
        "most probes hit data ({compared})"
    );
    // The id sequence moved too.
    let next = register_body("syntax = \"proto3\";\nmessage Fresh { string s = 1; }\n");
    let a = post(&on_sled, "/subjects/:.hunt-4:fresh/versions", &next);
    assert_eq!(a.0, 200, "{}", a.1);
    assert_eq!(a, post(&on_pg, "/subjects/:.hunt-4:fresh/versions", &next));
}

#[test]
fn export_refuses_a_missing_store_and_import_a_broken_backup() {
    let tmp = tempfile::tempdir().unwrap();
    let out = huntreg()
        .args(["export", "--data-dir"])
        .arg(tmp.path().join("nope"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    let broken = tmp.path().join("broken.jsonl");
    std::fs::write(
        &broken,
        "{\"format\":\"huntreg-backup\",\"version\":1,\"created_by\":\"x\"}\n",
    )
    .unwrap();
    let out = huntreg()
        .args(["import", "--data-dir"])
        .arg(tmp.path().join("d"))
        .arg(&broken)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated"));
}

/// An auth config with three principals: `ops` (bearer [`TOKEN`], admin everywhere: the
/// writer and the checks), `producer` ([`PRODUCER`], write: the Python serializer) and
/// `backup` ([`BACKUP`], read on every hunt: what `export --from` needs); anonymous
/// requests may do nothing.
fn auth_config(dir: &Path) -> PathBuf {
    let secret = |user_info: &str| hash_secret(user_info.split_once(':').unwrap().1);
    let config = format!(
        "[[principals]]\nname = \"ops\"\ntoken_hash = \"{}\"\ngrants = [{{ hunts = [\"*\"], actions = [\"admin\"] }}]\n\n\
         [[principals]]\nname = \"producer\"\npassword_hash = \"{}\"\ngrants = [{{ hunts = [\"*\"], actions = [\"write\"] }}]\n\n\
         [[principals]]\nname = \"backup\"\npassword_hash = \"{}\"\ngrants = [{{ hunts = [\"*\"], actions = [\"read\"] }}]\n\n\
         [anonymous]\ngrants = []\n",
        hash_secret(TOKEN),
        secret(PRODUCER),
        secret(BACKUP),
    );
    let path = dir.join("auth.toml");
    std::fs::write(&path, config).unwrap();
    path
}

/// A GET as `ops`, its body parsed (a string when it is not JSON).
fn get(url: &str, path: &str) -> (u16, Value) {
    let (status, text) = request(url, Some(TOKEN), "GET", path, None);
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Registers `schema` (with `references`) under `subject` as `ops`; answers the ID.
fn register(url: &str, subject: &str, schema: &str, references: Value) -> u64 {
    let body = json!({"schemaType": "PROTOBUF", "schema": schema, "references": references});
    let (status, text) = request(
        url,
        Some(TOKEN),
        "POST",
        &format!("/subjects/{subject}/versions"),
        Some(&body.to_string()),
    );
    assert_eq!(status, 200, "register {subject}: {text}");
    serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_u64()
        .unwrap()
}

/// `message {name}` in `package` with `n` int64 fields `{prefix}1..n` numbered from `first`.
fn grown(package: &str, name: &str, prefix: &str, n: usize, first: usize, head: &str) -> String {
    let fields: String = (1..=n)
        .map(|i| format!("  int64 {prefix}{i} = {};\n", first + i - 1))
        .collect();
    format!("syntax = \"proto3\";\npackage {package};\n{head}\nmessage {name} {{\n{fields}}}\n")
}

/// A whole listing, page by page (`offset`), as `ops`; the registries of the live test
/// answer at most [`PAGE`] items at a time.
fn list(url: &str, path: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut all = Vec::new();
    loop {
        let (status, page) = get(url, &format!("{path}{sep}offset={}", all.len()));
        if status == 404 {
            return all;
        }
        let page = page
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("GET {path}: {page}"));
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// Everything the registry at `url` answers about what it holds, keyed by request, leaving
/// out the context `skip`: the contexts, every subject (soft-deleted too) with its versions,
/// each version and what references it, config and mode at every scope (global, top level,
/// each context and subject), and each ID up to `max_id` (text, descriptor, versions).
fn holdings(url: &str, skip: &str, max_id: u64) -> BTreeMap<String, (u16, Value)> {
    let mut out = BTreeMap::new();
    let mut keep = |path: String| {
        let answer = get(url, &path);
        out.insert(path, answer.clone());
        answer
    };
    let skipped = format!(":{skip}:");
    let contexts: Vec<Value> = list(url, "/contexts")
        .into_iter()
        .filter(|c| c != skip)
        .collect();
    let subjects: Vec<Value> = list(url, "/subjects?deleted=true")
        .into_iter()
        .filter(|s| !s.as_str().unwrap().starts_with(&skipped))
        .collect();
    let mut lists = vec![
        ("/contexts".to_owned(), contexts.clone()),
        ("/subjects?deleted=true".to_owned(), subjects.clone()),
    ];
    for subject in &subjects {
        let seg = subject.as_str().unwrap().replace('/', "%2F");
        let live = format!("/subjects/{seg}/versions");
        let all = format!("/subjects/{seg}/versions?deleted=true");
        lists.push((live.clone(), list(url, &live)));
        let versions = list(url, &all);
        for v in &versions {
            keep(format!("/subjects/{seg}/versions/{v}?deleted=true"));
            keep(format!("/subjects/{seg}/versions/{v}/referencedby"));
        }
        lists.push((all, versions));
        keep(format!("/config/{seg}"));
        keep(format!("/mode/{seg}"));
    }
    for scope in contexts
        .iter()
        .filter_map(Value::as_str)
        .filter(|c| *c != ".")
    {
        keep(format!("/config/:{scope}:"));
        keep(format!("/mode/:{scope}:"));
    }
    for path in [
        "/config",
        "/mode",
        "/config/:.__GLOBAL:",
        "/mode/:.__GLOBAL:",
    ] {
        keep(path.to_owned());
    }
    for id in 1..=max_id {
        keep(format!("/schemas/ids/{id}"));
        keep(format!("/schemas/ids/{id}?format=serialized"));
        keep(format!("/schemas/ids/{id}/versions"));
    }
    for (path, items) in lists {
        out.insert(path, (200, Value::Array(items)));
    }
    out
}

/// One registration acknowledged to the writer.
#[derive(Debug, Clone)]
struct Ack {
    subject: &'static str,
    version: u64,
    id: u64,
    at: Instant,
}

/// Registers until `stop`, in the hunt `.hunt-live`, each round: a new version of
/// `common.proto`, then one of `ref-value` referencing it (so a version read late can
/// reference one its subject lacked when read), then one of `stream-value`.
fn writer(url: String, stop: Arc<AtomicBool>) -> Vec<Ack> {
    let mut acks = Vec::new();
    let mut ack = |subject: &'static str, version: usize, id: u64| {
        acks.push(Ack {
            subject,
            version: version as u64,
            id,
            at: Instant::now(),
        });
    };
    let mut round = 0;
    while !stop.load(Ordering::SeqCst) {
        round += 1;
        let common = grown("live.common", "Money", "c", round, 1, "");
        let id = register(&url, ":.hunt-live:common.proto", &common, json!([]));
        ack("common.proto", round, id);
        let order = grown(
            "live.shop",
            "Order",
            "o",
            round,
            2,
            "import \"common.proto\";\n",
        )
        .replace(
            "message Order {\n",
            "message Order {\n  live.common.Money total = 1;\n",
        );
        let refs = json!([{"name": "common.proto", "subject": "common.proto", "version": round}]);
        ack(
            "ref-value",
            round,
            register(&url, ":.hunt-live:ref-value", &order, refs),
        );
        let text = grown("live.stream", "Tick", "t", round, 1, "");
        let id = register(&url, ":.hunt-live:stream-value", &text, json!([]));
        ack("stream-value", round, id);
    }
    acks
}

/// `huntreg export --from URL` from a running registry behind `--auth-config` while a writer
/// keeps registering, then `huntreg import` into a fresh directory: the restored registry
/// answers every request about the data written before the export exactly as the live one
/// (IDs, subjects, versions, soft deletes, references, configs and modes at every scope,
/// descriptors), holds every writer registration acknowledged before the export started
/// with its ID and version, holds the writer's subjects gap-free with their references,
/// hands out the next ID the export reported, and the published Python deserializer
/// decodes the records produced before the export through it.
#[test]
fn export_from_a_running_registry_while_a_writer_registers() {
    let tmp = tempfile::tempdir().unwrap();
    let fds = fixtures(tmp.path());
    let auth = auth_config(tmp.path());
    // Pages of 7: every listing the export reads takes several pages.
    let auth = [
        "--auth-config",
        auth.to_str().unwrap(),
        "--max-page-size",
        PAGE,
    ];
    let live_dir = tmp.path().join("live");
    let live = Server::start(&live_dir, &auth);

    // Records produced by the published serializer (one with a reference), then the
    // offline test's data, a global config and a long history.
    let record = produce(
        &live.url,
        &fds,
        UPDATED,
        "treasure",
        ".hunt",
        updated(),
        Some(PRODUCER),
    );
    let clue_record = produce(
        &live.url,
        &fds,
        CLUE,
        "clue",
        ".hunt",
        clue(),
        Some(PRODUCER),
    );
    populate_as(&live.url, Some(TOKEN));
    ok(request(
        &live.url,
        Some(TOKEN),
        "PUT",
        "/config/:.__GLOBAL:",
        Some(r#"{"compatibility":"FULL"}"#),
    ));
    let mut max_id = 0;
    for n in 1..=120 {
        let text = grown("bulk.v1", "Bulk", "f", n, 1, "");
        max_id = register(&live.url, ":.hunt-2:bulk-value", &text, json!([]));
    }
    for v in [7, 30] {
        ok(request(
            &live.url,
            Some(TOKEN),
            "DELETE",
            &format!("/subjects/:.hunt-2:bulk-value/versions/{v}"),
            None,
        ));
    }
    // In the writer's hunt, a long subject read between `common.proto` and `ref-value`
    // (subjects are read in order): `ref-value` versions registered meanwhile reference
    // `common.proto` versions registered after it was read.
    for n in 1..=200 {
        let text = grown("middle.v1", "Middle", "m", n, 1, "");
        register(&live.url, ":.hunt-live:middle-value", &text, json!([]));
    }
    let before = holdings(&live.url, ".hunt-live", max_id);

    // The export needs credentials: without them it stops at the first request.
    let backup = tmp.path().join("live.jsonl");
    let out = huntreg()
        .args(["export", "--from", &live.url, "-o"])
        .arg(&backup)
        .env_remove("HUNTREG_FROM_USER_INFO")
        .env_remove("HUNTREG_FROM_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("HTTP 401") && stderr.contains("read on hunts = [\"*\"]"),
        "{stderr}"
    );
    assert!(!backup.exists(), "nothing written");

    // The store is locked by the server: export --data-dir names the way that works.
    let busy = huntreg()
        .args(["export", "--data-dir"])
        .arg(&live_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&busy.stderr);
    assert_eq!(busy.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("still running") && stderr.contains("huntreg export --from"),
        "{stderr}"
    );

    // The writer starts, registers a few, and keeps going through the whole export.
    let stop = Arc::new(AtomicBool::new(false));
    let handle = {
        let (url, stop) = (live.url.clone(), stop.clone());
        std::thread::spawn(move || writer(url, stop))
    };
    while get(&live.url, "/subjects/:.hunt-live:stream-value/versions")
        .1
        .as_array()
        .is_none_or(|v| v.len() < 5)
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let started = Instant::now();
    let out = huntreg()
        .args(["export", "--from", &live.url, "--out"])
        .arg(&backup)
        .env("HUNTREG_FROM_USER_INFO", BACKUP)
        .output()
        .unwrap();
    let ended = Instant::now();
    stop.store(true, Ordering::SeqCst);
    let acks = handle.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "export --from: {stderr}");
    assert!(stderr.contains("huntreg: exported "), "{stderr}");
    let during = acks
        .iter()
        .filter(|a| a.at > started && a.at < ended)
        .count();
    assert!(
        during > 0,
        "the writer registered during the export: {stderr}"
    );
    let next_id: u64 = stderr
        .split("(next ID ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no next ID in {stderr}"));

    let restored_dir = tmp.path().join("restored");
    let out = huntreg()
        .args(["import", "--data-dir"])
        .arg(&restored_dir)
        .arg(&backup)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = Server::start(&restored_dir, &auth);

    // Everything written before the export, exactly as the live registry answers it.
    let after = holdings(&restored.url, ".hunt-live", max_id);
    for (path, answer) in &before {
        assert_eq!(Some(answer), after.get(path), "GET {path}");
    }
    assert_eq!(before.len(), after.len());
    assert_eq!(
        before,
        holdings(&live.url, ".hunt-live", max_id),
        "the live registry moved"
    );

    // Every writer registration acknowledged before the export started is there, as registered.
    let mut acked_before = 0;
    for ack in acks.iter().filter(|a| a.at < started) {
        let (status, body) = get(
            &restored.url,
            &format!(
                "/subjects/:.hunt-live:{}/versions/{}",
                ack.subject, ack.version
            ),
        );
        assert_eq!(
            (status, body["id"].as_u64()),
            (200, Some(ack.id)),
            "{ack:?}"
        );
        acked_before += 1;
    }
    assert!(acked_before >= 5);
    // The writer's subjects are whole: versions gap-free, each the live one, references held.
    let mut restored_versions = 0;
    for subject in ["stream-value", "common.proto", "middle-value", "ref-value"] {
        let path = format!("/subjects/:.hunt-live:{subject}/versions");
        let versions: Vec<u64> = list(&restored.url, &path)
            .iter()
            .map(|n| n.as_u64().unwrap())
            .collect();
        assert_eq!(
            versions,
            (1..=versions.len() as u64).collect::<Vec<_>>(),
            "{subject}"
        );
        for v in &versions {
            let path = format!("/subjects/:.hunt-live:{subject}/versions/{v}");
            let body = get(&restored.url, &path);
            assert_eq!(body, get(&live.url, &path), "GET {path}");
            for r in body.1["references"].as_array().into_iter().flatten() {
                let held = format!(
                    "/subjects/:.hunt-live:{}/versions/{}",
                    r["subject"].as_str().unwrap(),
                    r["version"]
                );
                assert_eq!(get(&restored.url, &held).0, 200, "{path} references {held}");
            }
        }
        if subject == "middle-value" {
            assert_eq!(versions.len(), 200, "written before the export");
        }
        restored_versions += versions.len();
    }
    // IDs: the next one is above every ID in the backup and every one acknowledged before
    // the export, and it is what the restored registry hands out.
    let highest = acks
        .iter()
        .filter(|a| a.at < started)
        .map(|a| a.id)
        .max()
        .unwrap();
    assert!(
        next_id > highest,
        "next ID {next_id}, acknowledged {highest}"
    );
    let fresh = register(
        &restored.url,
        ":.hunt-4:fresh-value",
        &grown("fresh.v1", "Fresh", "f", 1, 1, ""),
        json!([]),
    );
    assert_eq!(fresh, next_id);
    let not_in_backup = acks
        .iter()
        .filter(|a| a.id < next_id)
        .filter(|a| {
            let path = format!("/subjects/:.hunt-live:{}/versions/{}", a.subject, a.version);
            get(&restored.url, &path).0 != 200
        })
        .count();
    let reread = stderr
        .lines()
        .find(|l| l.contains("read again"))
        .unwrap_or("no subject read again");
    eprintln!(
        "{reread}\nwriter: {} acknowledged ({acked_before} before the export, {during} during it); \
         restored {restored_versions} of its versions; {not_in_backup} IDs below the next ID \
         were handed out during the export and are not in the backup (never handed out again)",
        acks.len()
    );

    // The published deserializer decodes the old records through the restored registry.
    assert_eq!(
        consume(
            &restored.url,
            &fds,
            UPDATED,
            "treasure",
            ".hunt",
            &record["hex"],
            Some(PRODUCER)
        ),
        updated()
    );
    assert_eq!(
        consume(
            &restored.url,
            &fds,
            CLUE,
            "clue",
            ".hunt",
            &clue_record["hex"],
            Some(PRODUCER)
        ),
        clue()
    );
}
