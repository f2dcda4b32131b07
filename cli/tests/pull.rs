//! `huntreg pull` against a real `huntreg serve` on loopback, with a lockfile already
//! there, both through huntreg's lockfile endpoint (the default) and through Confluent's
//! endpoints alone (`--confluent-api`, what a pull from another registry does): the two
//! report and write the same, byte for byte; the endpoint reads no version in full, the
//! Confluent path only the new ones (counted in the server's `/metrics`); a soft delete,
//! a version gone and a version whose ID changed are reported, and the lockfile written
//! equals a fresh full pull byte for byte. The server pages listings at 3
//! items, so every listing takes several pages (it pages at 1000 by default, and a pull
//! used to stop at the first page).

mod server_support;

use std::fs;
use std::path::Path;

use server_support::{client, huntreg, register_body, Server};

const HUNT: &str = "pull-hunt";

/// The seed-like schema with fields `1..=n`: each version adds one field.
fn schema(n: u32) -> String {
    let mut text = "syntax = \"proto3\";\npackage hunt.v1;\n\nmessage Found {\n".to_owned();
    for i in 1..=n {
        text.push_str(&format!("  int32 f{i} = {i};\n"));
    }
    text.push_str("}\n");
    text
}

fn register(server: &Server, subject: &str, schema: &str) -> u32 {
    let response = client()
        .post(server.at(&format!("/contexts/.{HUNT}/subjects/{subject}/versions")))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(register_body(schema))
        .send()
        .unwrap();
    assert!(response.status().is_success(), "{:?}", response.text());
    response.json::<serde_json::Value>().unwrap()["id"]
        .as_u64()
        .unwrap() as u32
}

fn delete(server: &Server, path: &str) {
    let response = client()
        .delete(server.at(&format!("/contexts/.{HUNT}/subjects/{path}")))
        .send()
        .unwrap();
    assert!(response.status().is_success(), "{:?}", response.text());
}

/// Full reads of one version so far (`GET /subjects/{s}/versions/{v}`, body and
/// serialized descriptor).
fn version_reads(server: &Server) -> u64 {
    route_requests(server, "/subjects/{subject}/versions/{version}")
}

/// Requests to `route` (by its template) so far, any status.
fn route_requests(server: &Server, route: &str) -> u64 {
    let metrics = client()
        .get(server.at("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    metrics
        .lines()
        .filter(|l| {
            l.starts_with(&format!(
                "huntreg_http_requests_total{{route=\"{route}\",method=\"GET\""
            ))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

fn pull(server: &Server, lockfile: &Path, check: bool) -> (i32, String) {
    pull_with(server, lockfile, check, false)
}

fn pull_with(server: &Server, lockfile: &Path, check: bool, confluent: bool) -> (i32, String) {
    let mut command = huntreg();
    command
        .args([
            "pull",
            "--registry",
            &server.url,
            "--hunt",
            HUNT,
            "--lockfile",
        ])
        .arg(lockfile);
    if check {
        command.arg("--check");
    }
    if confluent {
        command.arg("--confluent-api");
    }
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || check,
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, stdout)
}

/// Pulls into `lockfile` through the lockfile endpoint and into its `.confluent` twin
/// through Confluent's endpoints; asserts both report and write the same, and that the
/// endpoint read no version in full. Returns the report and the Confluent path's full
/// version reads.
fn pull_both(server: &Server, lockfile: &Path) -> (String, u64) {
    let twin = lockfile.with_extension("confluent");
    let lock_requests = route_requests(server, "/huntreg/v1/subjects/{subject}/lock");
    let reads = version_reads(server);
    let (_, native) = pull(server, lockfile, false);
    assert_eq!(version_reads(server), reads, "{native}");
    assert!(route_requests(server, "/huntreg/v1/subjects/{subject}/lock") > lock_requests);
    let (_, confluent) = pull_with(server, &twin, false, true);
    let confluent_reads = version_reads(server) - reads;
    let report = |out: &str, path: &Path| out.replace(&path.display().to_string(), "LOCKFILE");
    assert_eq!(report(&native, lockfile), report(&confluent, &twin));
    // The same lockfile, but for the compatibility histories only huntreg serves (a
    // subject's, while none of its versions was deleted).
    let native_text = fs::read_to_string(lockfile).unwrap();
    assert_eq!(
        without_histories(&native_text),
        fs::read_to_string(&twin).unwrap()
    );
    (native, confluent_reads)
}

/// Lockfile text without its subjects' `history:` blocks.
fn without_histories(text: &str) -> String {
    let mut lock = huntreg_codegen::StoredLockfile::parse(text)
        .unwrap()
        .expand()
        .unwrap();
    for hunt in &mut lock.hunts {
        for subject in &mut hunt.subjects {
            subject.history = None;
        }
    }
    lock.render()
}

/// Pulls into a new lockfile and checks the incremental one equals it byte for byte.
fn assert_equals_fresh_pull(server: &Server, lockfile: &Path) {
    let fresh = lockfile.with_extension("fresh");
    let (_, out) = pull(server, &fresh, false);
    assert!(out.contains("already pinned"), "{out}");
    assert_eq!(
        fs::read_to_string(lockfile).unwrap(),
        fs::read_to_string(&fresh).unwrap()
    );
    fs::remove_file(fresh).unwrap();
}

#[test]
fn a_second_pull_reads_only_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), &["--max-page-size", "3"]);
    let lockfile = tmp.path().join("huntreg.lock");
    for n in 1..=5 {
        register(&server, "found", &schema(n));
    }
    register(&server, "other", &schema(1).replace("Found", "Other"));
    register(&server, "other", &schema(2).replace("Found", "Other"));

    let (out, _) = pull_both(&server, &lockfile);
    assert!(
        out.contains("hunt pull-hunt: 2 subjects, 7 versions (7 read, 0 already pinned)"),
        "{out}"
    );
    let text = fs::read_to_string(&lockfile).unwrap();
    assert!(text.contains("format: 3\n"), "{text}");
    assert_eq!(text.matches("      patch: |\n").count(), 5, "{text}");

    // Nothing new: nothing read in full, the file is unchanged, --check agrees.
    let (out, reads) = pull_both(&server, &lockfile);
    assert!(out.contains("(0 read, 7 already pinned)"), "{out}");
    assert!(out.contains("unchanged:"), "{out}");
    assert_eq!(reads, 0);
    assert_eq!(pull(&server, &lockfile, true).0, 0);

    // Three new versions and a soft delete: three versions read (body and descriptor).
    for n in 6..=8 {
        register(&server, "found", &schema(n));
    }
    delete(&server, "other/versions/1");
    let (code, out) = pull(&server, &lockfile, true);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("+ found v8 (id"), "{out}");
    assert!(out.contains("~ other v1: deleted false -> true"), "{out}");
    let (out, reads) = pull_both(&server, &lockfile);
    assert!(
        out.contains("2 subjects, 10 versions (3 read, 7 already pinned)"),
        "{out}"
    );
    assert!(out.contains("  ~ other v1: soft-deleted\n"), "{out}");
    assert_eq!(reads, 3 * 2);
    assert_equals_fresh_pull(&server, &lockfile);

    // Version 8 deleted for good and registered again with another schema: same version
    // number, new ID, read again. Subject `other` deleted for good: gone.
    delete(&server, "found/versions/8");
    delete(&server, "found/versions/8?permanent=true");
    let id = register(&server, "found", &schema(8).replace("f8", "g8"));
    delete(&server, "other");
    delete(&server, "other?permanent=true");
    let (out, _) = pull_both(&server, &lockfile);
    assert!(
        out.contains("1 subjects, 8 versions (1 read, 7 already pinned)"),
        "{out}"
    );
    assert!(out.contains("  ~ found v8: no longer ID"), "{out}");
    assert!(out.contains("  - other: no longer registered\n"), "{out}");
    let text = fs::read_to_string(&lockfile).unwrap();
    assert!(
        text.contains(&format!("- version: 8\n      id: {id}\n")),
        "{text}"
    );
    assert!(text.contains("+  int32 g8 = 8;"), "{text}");
    assert_equals_fresh_pull(&server, &lockfile);
}

#[test]
fn the_lockfile_endpoint_refuses_bad_parameters_and_unknown_subjects() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), &[]);
    register(&server, "found", &schema(1));
    register(&server, "found", &schema(2));
    let get = |path: &str| {
        let response = client()
            .get(server.at(&format!("/contexts/.{HUNT}/huntreg/v1/subjects/{path}")))
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<serde_json::Value>().unwrap())
    };
    let (status, body) = get("found/lock?after=1");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["listed"],
        serde_json::json!([[1, 1, false], [2, 2, false]])
    );
    assert_eq!(body["versions"][0]["version"], 2, "{body}");
    assert_eq!(body["versions"][0]["patch"], "=5\n+  int32 f2 = 2;\n=2\n");
    for bad in ["x", "-1", "1.5"] {
        let (status, body) = get(&format!("found/lock?after={bad}"));
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("after must be a version number"),
            "{body}"
        );
    }
    let (status, body) = get("nothing/lock");
    assert_eq!(
        (status, body["error_code"].as_u64()),
        (404, Some(40401)),
        "{body}"
    );
}

/// The build checks the versions a pulled history covers through it: the same generated
/// code, and the same findings for an incompatible version, as compiling every version,
/// whether every text is rebuilt first or only the ones compiled.
#[test]
fn a_build_through_the_pulled_history_equals_one_compiling_every_version() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), &[]);
    let response = client()
        .put(server.at(&format!("/contexts/.{HUNT}/config/found")))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(r#"{"compatibility":"NONE"}"#)
        .send()
        .unwrap();
    assert!(response.status().is_success(), "{:?}", response.text());
    for n in 1..=6 {
        register(&server, "found", &schema(n));
    }
    let build = |lockfile: &Path| {
        let lock = huntreg_codegen::Lockfile::read(lockfile).unwrap();
        let expanded = huntreg_codegen::Builder::new()
            .hunt(HUNT)
            .generate(lock.hunt(HUNT).unwrap())
            .map(|files| files[0].content.clone())
            .map_err(|e| e.to_string());
        // What a build script runs: the lockfile as written, only the texts it compiles
        // rebuilt from their patches.
        let stored = huntreg_codegen::StoredLockfile::read(lockfile).unwrap();
        let lazy = huntreg_codegen::Builder::new()
            .hunt(HUNT)
            .generate_stored(stored.hunt(HUNT).unwrap())
            .map(|files| files[0].content.clone())
            .map_err(|e| e.to_string());
        assert_eq!(lazy, expanded);
        expanded
    };
    let native = tmp.path().join("native.lock");
    let confluent = tmp.path().join("confluent.lock");
    let pull_both = || {
        pull(&server, &native, false);
        pull_with(&server, &confluent, false, true);
        let text = fs::read_to_string(&native).unwrap();
        assert!(text.contains("      versions: 1-"), "{text}");
        (build(&native), build(&confluent))
    };
    let (through_history, compiled) = pull_both();
    assert!(through_history.is_ok(), "{through_history:?}");
    assert_eq!(through_history, compiled);

    // Field 2 dropped without reserving it: versions 2 to 6 are the suspects.
    register(
        &server,
        "found",
        &schema(6).replace("  int32 f2 = 2;\n", ""),
    );
    let (through_history, compiled) = pull_both();
    let err = through_history.unwrap_err();
    assert!(err.contains("FIELD_NO_DELETE"), "{err}");
    for version in 2..=6 {
        assert!(
            err.contains(&format!("subject found version {version} ")),
            "{err}"
        );
    }
    assert!(!err.contains("subject found version 1 "), "{err}");
    assert_eq!(Err(err), compiled);
}
