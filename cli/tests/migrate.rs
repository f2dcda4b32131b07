//! `huntreg import --from URL --to URL` between real `huntreg serve` processes, a source
//! standing in for a Confluent registry: its data written by the published confluent-kafka
//! serializer (a reference and a well-known import) and by direct HTTP (a long history,
//! soft deletes, configs and modes).
//!
//! - two registries whose IDs overlap, with a context of the same name, imported into two
//!   hunts of one target: the second is refused with every clash listed and nothing written;
//!   importing it into another target works, and its records decode there;
//! - a migration interrupted for real, twice (the import process SIGKILLed, then the target
//!   server SIGKILLed and restarted), resumes, verifies, and a rerun writes nothing; every
//!   source version has its ID, text and deleted flag on the target, and the Python
//!   deserializer decodes records produced against the source through the target;
//! - credentials reach both sides, and a target principal without read on every hunt
//!   stops the run before it writes (the ID check needs to see every hunt).

mod server_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};
use server_support::{
    client, clue, consume, fixtures, hash_secret, huntreg, produce, updated, As, Server, CLUE,
    UPDATED,
};

fn call(server: &Server, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let body = body.map(|b| b.to_string());
    server
        .send(As::Nobody, method, path, body.as_deref())
        .pair()
}

fn ok(server: &Server, method: &str, path: &str, body: Option<Value>) -> Value {
    let (status, body) = call(server, method, path, body);
    assert_eq!(status, 200, "{method} {path}: {body}");
    body
}

fn import_cmd(from: &Server, to: &Server, args: &[&str]) -> Command {
    let mut cmd = huntreg();
    cmd.args(["import", "--from", &from.url, "--to", &to.url])
        .args(args)
        .env_remove("HUNTREG_URL")
        .stdin(Stdio::null());
    cmd
}

fn import(from: &Server, to: &Server, args: &[&str]) -> (Option<i32>, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = import_cmd(from, to, args).output().unwrap();
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    (status.code(), out)
}

/// One version as `(subject name, version, id, schema text, deleted)`.
type VersionRow = (String, u64, u64, String, bool);

/// Every version of every subject of `hunt` (soft-deleted ones included), plus each
/// subject's own config and mode.
fn hunt_state(server: &Server, hunt: &str) -> (Vec<VersionRow>, Vec<Value>) {
    let subjects = ok(
        server,
        "GET",
        &format!("/subjects?deleted=true&subjectPrefix=:.{hunt}:"),
        None,
    );
    let mut versions = Vec::new();
    let mut settings = Vec::new();
    for subject in subjects.as_array().unwrap() {
        let subject = subject.as_str().unwrap();
        let name = subject.rsplit_once(':').unwrap().1.to_owned();
        let seg = subject.replace('/', "%2F");
        let live = call(server, "GET", &format!("/subjects/{seg}/versions"), None).1;
        let all = ok(
            server,
            "GET",
            &format!("/subjects/{seg}/versions?deleted=true"),
            None,
        );
        for v in all.as_array().unwrap() {
            let v = v.as_u64().unwrap();
            let body = ok(
                server,
                "GET",
                &format!("/subjects/{seg}/versions/{v}?deleted=true"),
                None,
            );
            let deleted = !live.as_array().is_some_and(|l| l.contains(&json!(v)));
            versions.push((
                name.clone(),
                v,
                body["id"].as_u64().unwrap(),
                body["schema"].as_str().unwrap().to_owned(),
                deleted,
            ));
        }
        let config = call(server, "GET", &format!("/config/{seg}"), None);
        let mode = call(server, "GET", &format!("/mode/{seg}"), None);
        settings.push(
            json!({"subject": name, "config": [config.0, config.1["compatibilityLevel"]],
                             "mode": [mode.0, mode.1["mode"]]}),
        );
    }
    (versions, settings)
}

fn versions_on(server: &Server, hunt: &str) -> usize {
    hunt_state(server, hunt).0.len()
}

/// The proto text of version `n` of the long-history subject: `n` fields.
fn bulk(n: usize) -> String {
    let fields: String = (1..=n).map(|i| format!("  int64 f{i} = {i};\n")).collect();
    format!("syntax = \"proto3\";\npackage bulk.v1;\n\nmessage Bulk {{\n{fields}}}\n")
}

fn register(server: &Server, subject: &str, text: &str) -> u64 {
    ok(
        server,
        "POST",
        &format!("/subjects/{subject}/versions"),
        Some(json!({"schemaType": "PROTOBUF", "schema": text})),
    )["id"]
        .as_u64()
        .unwrap()
}

/// Two registries with overlapping IDs and a context of the same name (`.hunt`) go into
/// hunts `hunt-a` and `hunt-b` of one target. The second clashes: the report lists every
/// clashing ID with both schemas and the operator's options, the exit status is 2, and
/// the target is untouched (no subject, no mode, no ID). Imported into a second target
/// instead, it succeeds and its record decodes there.
#[test]
fn overlapping_ids_from_two_registries_are_refused_before_any_write() {
    let tmp = tempfile::tempdir().unwrap();
    let fds = fixtures(tmp.path());
    let one = Server::start(&tmp.path().join("one"), &[]);
    let two = Server::start(&tmp.path().join("two"), &[]);
    let target = Server::start(&tmp.path().join("target"), &[]);

    // Registry one: common.proto is ID 1, events.proto ID 2.
    let one_record = produce(
        &one.url,
        &fds,
        UPDATED,
        "treasure",
        ".hunt",
        updated(),
        None,
    );
    assert_eq!(one_record["id"], 2);
    // Registry two, in another order: clue ID 1, common.proto ID 2, events.proto ID 3.
    let two_clue = produce(&two.url, &fds, CLUE, "clue", ".hunt", clue(), None);
    let two_record = produce(
        &two.url,
        &fds,
        UPDATED,
        "treasure",
        ".hunt",
        updated(),
        None,
    );
    assert_eq!(
        (two_clue["id"].clone(), two_record["id"].clone()),
        (json!(1), json!(3))
    );

    let (code, out) = import(
        &one,
        &target,
        &["--context", ".hunt", "--into-hunt", "hunt-a"],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("verified: 2 versions (0 soft-deleted) of 2 subjects and 2 IDs"),
        "{out}"
    );

    let before = hunt_state(&target, "hunt-a");
    for args in [&["--dry-run"][..], &[]] {
        let mut all = vec!["--context", ".hunt", "--into-hunt", "hunt-b"];
        all.extend_from_slice(args);
        let (code, out) = import(&two, &target, &all);
        assert_eq!(code, Some(2), "{out}");
        assert!(out.contains("ID clashes (2):"), "{out}");
        assert!(
            out.contains(
                "ID 1: the source's :.hunt:clue-value version 1 (package treasure.v1, first message Clue) \
                 but on the target ID 1 names another schema (package treasure.v1, first message Location, \
                 held by :.hunt-a:treasure/common.proto version 1)"
            ),
            "{out}"
        );
        assert!(
            out.contains("ID 2: the source's :.hunt:treasure/common.proto version 1 (package treasure.v1, first message Location) \
                 but on the target ID 2 names another schema (package treasure.v1, first message TreasureTypeUpdated"),
            "{out}"
        );
        assert!(!out.contains("ID 3:"), "ID 3 is free on the target: {out}");
        assert!(
            out.contains("import this source into another huntreg instance"),
            "{out}"
        );
        assert!(
            out.contains("import refused before writing anything"),
            "{out}"
        );
        assert!(!out.contains("wrote "), "{out}");
    }
    // Nothing was written: no subject, no mode, no ID, and hunt-a is as it was.
    assert_eq!(
        ok(
            &target,
            "GET",
            "/subjects?deleted=true&subjectPrefix=:.hunt-b:",
            None
        ),
        json!([])
    );
    for subject in [":.hunt-b:clue-value", ":.hunt-b:treasure%2Fcommon.proto"] {
        assert_eq!(
            call(&target, "GET", &format!("/mode/{subject}"), None).0,
            404
        );
    }
    assert_eq!(call(&target, "GET", "/schemas/ids/3", None).0, 404);
    assert_eq!(hunt_state(&target, "hunt-a"), before);

    // The operator's way out: another target, whose IDs are free.
    let other = Server::start(&tmp.path().join("other"), &[]);
    let (code, out) = import(
        &two,
        &other,
        &["--context", ".hunt", "--into-hunt", "hunt-b"],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("verified: 3 versions (0 soft-deleted) of 3 subjects and 3 IDs"),
        "{out}"
    );
    assert_eq!(
        consume(
            &other.url,
            &fds,
            UPDATED,
            "treasure",
            ".hunt-b",
            &two_record["hex"],
            None
        ),
        updated()
    );
    assert_eq!(
        consume(
            &other.url,
            &fds,
            CLUE,
            "clue",
            ".hunt-b",
            &two_clue["hex"],
            None
        ),
        clue()
    );
    // And registry one's record decodes through the first target.
    assert_eq!(
        consume(
            &target.url,
            &fds,
            UPDATED,
            "treasure",
            ".hunt-a",
            &one_record["hex"],
            None
        ),
        updated()
    );
}

/// Starts an import and SIGKILLs `victim` (the import itself when `None`) once the import
/// has reported `after` more registrations; returns the import's exit status.
fn interrupt(cmd: &mut Command, after: usize, victim: Option<Server>) -> Option<i32> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut wrote = 0;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        assert!(
            !line.starts_with("verified"),
            "the import finished before the interruption"
        );
        if line.starts_with("wrote :") {
            wrote += 1;
            if wrote == after {
                break;
            }
        }
    }
    assert_eq!(wrote, after, "the import stopped before the interruption");
    match victim {
        None => child.kill().unwrap(),
        Some(server) => server.kill(),
    }
    for line in lines {
        let _ = line;
    }
    child.wait().unwrap().code()
}

/// A migration interrupted twice for real (the import SIGKILLed, then the target server
/// SIGKILLed and restarted on its data) resumes where it stopped, verifies, and a rerun
/// writes nothing. The target then holds every source version with its ID, text and
/// deleted flag, each subject's config and mode, and decodes the source's records.
#[test]
fn an_interrupted_migration_resumes_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let fds = fixtures(tmp.path());
    let source = Server::start(&tmp.path().join("source"), &[]);
    let target_dir = tmp.path().join("target");
    let target = Server::start(&target_dir, &[]);

    let record = produce(
        &source.url,
        &fds,
        UPDATED,
        "treasure",
        ".hunt",
        updated(),
        None,
    );
    let clue_record = produce(&source.url, &fds, CLUE, "clue", ".hunt", clue(), None);
    const HISTORY: usize = 40;
    for n in 1..=HISTORY {
        register(&source, ":.hunt:bulk-value", &bulk(n));
    }
    for v in [5, 9] {
        ok(
            &source,
            "DELETE",
            &format!("/subjects/:.hunt:bulk-value/versions/{v}"),
            None,
        );
    }
    for n in 1..=2 {
        register(
            &source,
            ":.hunt:gone-value",
            &bulk(n).replace("bulk.v1", "gone.v1"),
        );
    }
    ok(&source, "DELETE", "/subjects/:.hunt:gone-value", None);
    ok(
        &source,
        "PUT",
        "/config/:.hunt:bulk-value",
        Some(json!({"compatibility": "NONE"})),
    );
    ok(
        &source,
        "PUT",
        "/mode/:.hunt:clue-value",
        Some(json!({"mode": "READONLY"})),
    );
    ok(
        &source,
        "PUT",
        "/config/:.hunt:",
        Some(json!({"compatibility": "FULL"})),
    );
    let total = 2 + 1 + HISTORY + 2;
    let args = ["--context", ".hunt", "--into-hunt", "hunt-1"];

    // A dry run plans everything and writes nothing.
    let (code, out) = import(&source, &target, &[&args[..], &["--dry-run"]].concat());
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "read {total} versions (4 soft-deleted) of 5 subjects"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "plan: {total} versions, 0 already on the target, {total} to write"
        )),
        "{out}"
    );
    assert!(
        out.contains("would write :.hunt-1:treasure/common.proto version 1 (ID 1)"),
        "{out}"
    );
    assert!(out.contains("dry run: nothing written"), "{out}");
    assert_eq!(versions_on(&target, "hunt-1"), 0);

    // First interruption: the import process itself.
    let code = interrupt(&mut import_cmd(&source, &target, &args), 10, None);
    assert_ne!(code, Some(0));
    let first = versions_on(&target, "hunt-1");
    assert!(
        (10..total).contains(&first),
        "{first} of {total} versions after the first kill"
    );

    // Second: the target server, mid-run; the import fails, the server comes back.
    let code = interrupt(&mut import_cmd(&source, &target, &args), 10, Some(target));
    assert_eq!(code, Some(1), "the import fails when the target goes away");
    let target = Server::start(&target_dir, &[]);
    let second = versions_on(&target, "hunt-1");
    assert!(
        (first + 10..total).contains(&second),
        "{second} of {total} after the second kill"
    );

    // The rerun continues from there, and verifies.
    let (code, out) = import(&source, &target, &args);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "already on the target, {} to write",
            total - second
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("verified: {total} versions (4 soft-deleted) of 5 subjects and {total} IDs match the source")),
        "{out}"
    );
    // Once more: nothing left to do.
    let (code, out) = import(&source, &target, &args);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "plan: {total} versions, {total} already on the target, 0 to write"
        )),
        "{out}"
    );
    assert!(
        out.contains("wrote 0 versions, soft-deleted 0, changed 0 settings"),
        "{out}"
    );

    // Independently of the tool's verification: the same answers on both sides.
    let (src_versions, src_settings) = hunt_state(&source, "hunt");
    let (dst_versions, dst_settings) = hunt_state(&target, "hunt-1");
    assert_eq!(src_versions.len(), total);
    assert_eq!(dst_versions, src_versions);
    assert_eq!(dst_settings, src_settings);
    assert_eq!(
        ok(&target, "GET", "/config/:.hunt-1:", None),
        json!({"compatibilityLevel": "FULL"})
    );
    // References point into the target hunt.
    let events = ok(
        &target,
        "GET",
        "/subjects/:.hunt-1:treasure-value/versions/1",
        None,
    );
    assert_eq!(
        events["references"],
        json!([{"name": "treasure/common.proto", "subject": ":.hunt-1:treasure/common.proto", "version": 1}])
    );
    // Soft-deleted versions keep resolving by ID, as on the source.
    let deleted_id = src_versions
        .iter()
        .find(|v| v.0 == "bulk-value" && v.1 == 5)
        .unwrap()
        .2;
    assert_eq!(
        call(&target, "GET", &format!("/schemas/ids/{deleted_id}"), None).0,
        200
    );
    // The published deserializer decodes the source's records through the target.
    assert_eq!(
        consume(
            &target.url,
            &fds,
            UPDATED,
            "treasure",
            ".hunt-1",
            &record["hex"],
            None
        ),
        updated()
    );
    assert_eq!(
        consume(
            &target.url,
            &fds,
            CLUE,
            "clue",
            ".hunt-1",
            &clue_record["hex"],
            None
        ),
        clue()
    );
    // After the import, the target hands out fresh IDs above the imported ones.
    let fresh = register(
        &target,
        ":.hunt-1:new-value",
        &bulk(1).replace("bulk.v1", "fresh.v1"),
    );
    assert!(fresh > total as u64, "fresh ID {fresh}");
}

/// Credentials reach both registries: the source with Basic, the target with a bearer
/// token. A target principal that cannot read every hunt cannot check that IDs are free
/// (they are global), so the run stops before writing and says which grant is missing.
#[test]
fn credentials_and_the_grant_the_id_check_needs() {
    let tmp = tempfile::tempdir().unwrap();
    let token = "migration-token";
    let config = format!(
        "[[principals]]\nname = \"reader\"\npassword_hash = \"{}\"\ngrants = [{{ hunts = [\"*\"], actions = [\"read\"] }}]\n\n\
         [[principals]]\nname = \"ops\"\ntoken_hash = \"{}\"\ngrants = [{{ hunts = [\"*\"], actions = [\"admin\"] }}]\n\n\
         [[principals]]\nname = \"narrow\"\npassword_hash = \"{}\"\ngrants = [{{ hunts = [\"hunt\"], actions = [\"admin\"] }}]\n\n\
         [anonymous]\ngrants = []\n",
        hash_secret("reader"),
        hash_secret(token),
        hash_secret("narrow")
    );
    let auth = tmp.path().join("auth.toml");
    std::fs::write(&auth, config).unwrap();
    let auth = ["--auth-config", auth.to_str().unwrap()];
    let source = Server::start(&tmp.path().join("source"), &auth);
    let target = Server::start(&tmp.path().join("target"), &auth);
    let body = json!({"schemaType": "PROTOBUF", "schema": bulk(2)}).to_string();
    let resp = client()
        .post(source.at("/subjects/:.hunt:bulk-value/versions"))
        .bearer_auth(token)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);

    let (code, out) = import(&source, &target, &["--context", ".hunt"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("source GET") && out.contains("HTTP 401"),
        "{out}"
    );

    let from = ["--context", ".hunt", "--from-user-info", "reader:reader"];
    let (code, out) = import(
        &source,
        &target,
        &[&from[..], &["--to-user-info", "narrow:narrow"]].concat(),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("HTTP 403") && out.contains("hunts = [\"*\"]"),
        "{out}"
    );
    let subjects = client()
        .get(target.at("/subjects?deleted=true"))
        .bearer_auth(token)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(subjects, "[]", "nothing written");

    let (code, out) = import(
        &source,
        &target,
        &[&from[..], &["--to-token", token]].concat(),
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("verified: 1 versions (0 soft-deleted) of 1 subjects and 1 IDs"),
        "{out}"
    );
}
