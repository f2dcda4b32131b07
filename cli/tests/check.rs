//! `huntreg check` against a real `huntreg serve` on loopback: unchanged, accepted and
//! refused files, a new subject, a subject at NONE, an import new in the tree, the default
//! context, the GitHub Actions format, and that a check writes nothing.

mod server_support;

use std::fs;
use std::path::Path;

use serde_json::{json, Value};
use server_support::{client, huntreg, Server};

const COMMON: &str =
    "syntax = \"proto3\";\npackage hunt.v1;\n\nmessage Coin {\n  uint32 value = 1;\n}\n";
const FIND: &str = "syntax = \"proto3\";\npackage hunt.v1;\nimport \"common.proto\";\n\nmessage Find {\n  string find_id = 1;\n  int32 points = 2;\n  Coin coin = 3;\n}\n";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn check(dir: &Path, server: &Server, extra: &[&str]) -> Run {
    let out = huntreg()
        .arg("check")
        .arg(dir)
        .args(["--registry", &server.url])
        .args(extra)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn versions(server: &Server, subject: &str) -> Value {
    let subject = subject.replace('/', "%2F");
    client()
        .get(server.at(&format!("/subjects/{subject}/versions")))
        .send()
        .unwrap()
        .json()
        .unwrap()
}

#[test]
fn the_registry_answers_a_pull_request_as_a_dry_run() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), &[]);
    let hunt = tmp.path().join("hunt-7");
    fs::create_dir_all(&hunt).unwrap();
    fs::write(hunt.join("common.proto"), COMMON).unwrap();
    fs::write(hunt.join("find.proto"), FIND).unwrap();
    let push = huntreg()
        .arg("push")
        .arg(&hunt)
        .args(["--registry", &server.url])
        .output()
        .unwrap();
    assert!(
        push.status.success(),
        "{}",
        String::from_utf8_lossy(&push.stderr)
    );

    // Unchanged: both files are live versions already.
    let run = check(&hunt, &server, &[]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    assert!(
        run.stderr.contains("find.proto: unchanged (version 1)"),
        "{}",
        run.stderr
    );

    // Accepted: a field added, at the default BACKWARD.
    let added = FIND.replace(
        "  Coin coin = 3;\n",
        "  Coin coin = 3;\n  string player_id = 4;\n",
    );
    fs::write(hunt.join("find.proto"), &added).unwrap();
    let run = check(&hunt, &server, &[]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("find.proto: changed, accepted at BACKWARD"),
        "{}",
        run.stderr
    );

    // Refused: a field's type changed. The finding is located in the file as the tree
    // holds it and names the version and level it failed against.
    let broken = FIND.replace("int32 points = 2", "string points = 2");
    fs::write(hunt.join("find.proto"), &broken).unwrap();
    let run = check(&hunt, &server, &[]);
    assert_eq!(run.code, 100, "{}\n{}", run.stdout, run.stderr);
    let printed = hunt.join("find.proto").display().to_string();
    let line = run.stdout.lines().next().unwrap();
    assert!(line.starts_with(&format!("{printed}:7:")), "{line}");
    assert!(line.contains("(against version 1 at BACKWARD)"), "{line}");
    assert!(
        run.stderr.contains("find.proto: refused at BACKWARD"),
        "{}",
        run.stderr
    );
    let run = check(&hunt, &server, &["--error-format", "github-actions"]);
    assert_eq!(run.code, 100);
    assert!(
        run.stdout
            .starts_with(&format!("::error file={printed},line=7,col=")),
        "{}",
        run.stdout
    );
    let run = check(&hunt, &server, &["--error-format", "json"]);
    let finding: Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(finding["type"], "FIELD_SAME_TYPE", "{finding}");

    // The same change at NONE is accepted.
    let status = client()
        .put(server.at("/config/:.hunt-7:find.proto"))
        .json(&json!({"compatibility": "NONE"}))
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 200);
    let run = check(&hunt, &server, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("find.proto: changed, accepted at NONE"),
        "{}",
        run.stderr
    );

    // A new subject, and a file whose import is new in the tree: the registry cannot
    // resolve that reference yet, and says so without failing the gate.
    fs::write(
        hunt.join("loot.proto"),
        "syntax = \"proto3\";\npackage hunt.v1;\n\nmessage Loot {\n  string id = 1;\n}\n",
    )
    .unwrap();
    fs::write(
        hunt.join("find.proto"),
        FIND.replace(
            "import \"common.proto\";",
            "import \"common.proto\";\nimport \"loot.proto\";",
        )
        .replace("  Coin coin = 3;\n", "  Coin coin = 3;\n  Loot loot = 4;\n"),
    )
    .unwrap();
    let run = check(&hunt, &server, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("loot.proto: a new subject"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("find.proto: not checked: it imports loot.proto"),
        "{}",
        run.stderr
    );

    // A file that does not compile is a COMPILE finding, as in `huntreg breaking`.
    fs::write(hunt.join("loot.proto"), "syntax = \"proto3\";\nmessage {\n").unwrap();
    let run = check(&hunt, &server, &[]);
    assert_eq!(run.code, 100, "{}", run.stderr);
    assert!(run.stdout.contains("loot.proto:2:"), "{}", run.stdout);

    // Nothing was written by any of it.
    assert_eq!(versions(&server, ":.hunt-7:find.proto"), json!([1]));
    assert_eq!(
        client()
            .get(server.at("/subjects/:.hunt-7:loot.proto/versions"))
            .send()
            .unwrap()
            .status(),
        404
    );
}

#[test]
fn the_default_context_is_checked_with_hunt_dot() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), &[]);
    let dir = tmp.path().join("schemas");
    fs::create_dir_all(&dir).unwrap();
    // A producer's serializer registers in the default context.
    let response = client()
        .post(server.at("/subjects/common.proto/versions"))
        .json(&json!({"schema": COMMON, "schemaType": "PROTOBUF"}))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    fs::write(
        dir.join("common.proto"),
        COMMON.replace("uint32 value", "string value"),
    )
    .unwrap();
    let run = check(&dir, &server, &["--hunt", "."]);
    assert_eq!(run.code, 100, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("common.proto:5:"), "{}", run.stdout);
    // Checked against the named hunt instead, the subject is new there.
    let run = check(&dir, &server, &["--hunt", "elsewhere"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("a new subject"), "{}", run.stderr);
    // An unreachable registry is exit 1, not a finding.
    let out = huntreg()
        .arg("check")
        .arg(&dir)
        .args(["--registry", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("Failure: "));
}
