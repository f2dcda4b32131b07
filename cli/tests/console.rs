//! The web console against a real `huntreg serve` with `--auth-config`: every page over
//! HTTP as a principal who may read one hunt (nothing of the other hunt or the default
//! context is shown or counted), the diff's findings on their lines, the dry run's
//! refusal, the ID lookup in hex, `--no-ui`; then the same pages in Debian's chromium
//! driven by puppeteer-core, with no console errors or failed requests, axe-core finding
//! no serious or critical violation in light or dark mode, and screenshots written to
//! `target/tmp/console-screenshots/`.

mod server_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use server_support::{hash_secret, As, Server};

const FOUND_V1: &str = "syntax = \"proto3\";\npackage t.v1;\n\nmessage Found {\n  string player = 1;\n  uint32 points = 2;\n  map<string, int32> tally = 4;\n}\n\nmessage Lost {\n  string why = 1;\n}\n";
const COMMON: &str =
    "syntax = \"proto3\";\npackage common.v1;\n\nmessage Coin {\n  uint32 value = 1;\n}\n";
const PURSE: &str = "syntax = \"proto3\";\npackage purse.v1;\nimport \"common.proto\";\n\nmessage Purse {\n  common.v1.Coin coin = 1;\n}\n";
const SECRET: &str =
    "syntax = \"proto3\";\npackage b.v1;\n\nmessage VictimOnlyB {\n  string hidden = 1;\n}\n";
const LEGACY: &str = "syntax = \"proto3\";\npackage legacy.v1;\n\nmessage VictimOnlyDefault {\n  string hidden = 1;\n}\n";

/// The second version of `found-value`: `points` widened (a refusal at every level but
/// NONE) and a field added.
fn found_v2() -> String {
    FOUND_V1.replace(
        "uint32 points = 2;",
        "uint64 points = 2;\n  string note = 3;",
    )
}

fn start(dir: &Path, extra: &[&str]) -> Server {
    let principal = |name: &str, grants: &str| {
        format!(
            "[[principals]]\nname = \"{name}\"\npassword_hash = \"{}\"\ngrants = [{grants}]\n\n",
            hash_secret(name)
        )
    };
    let config = [
        principal("a-reader", r#"{ hunts = ["hunt-a"], actions = ["read"] }"#),
        principal("ops", r#"{ hunts = ["*"], actions = ["admin"] }"#),
    ]
    .concat();
    let path = dir.join("auth.toml");
    std::fs::write(&path, config).unwrap();
    let mut args = vec!["--auth-config", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    Server::start(&dir.join("data"), &args)
}

/// A request as `who` (password = name, `None` for no credentials): status and body.
fn call(
    server: &Server,
    who: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, String) {
    let who = who.map_or(As::Nobody, As::user);
    let body = body.map(|b| b.to_string());
    let reply = server.send(who, method, path, body.as_deref());
    (reply.status, reply.text)
}

/// Registers `text` under `subject` as `ops`; returns the schema ID.
fn register(server: &Server, subject: &str, text: &str, references: Value) -> u64 {
    let (status, body) = call(
        server,
        Some("ops"),
        "POST",
        &format!("/subjects/{subject}/versions"),
        Some(json!({"schemaType": "PROTOBUF", "schema": text, "references": references})),
    );
    assert_eq!(status, 200, "{subject}: {body}");
    serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_u64()
        .unwrap()
}

fn set_level(server: &Server, subject: &str, level: &str) {
    let (status, body) = call(
        server,
        Some("ops"),
        "PUT",
        &format!("/config/{subject}"),
        Some(json!({"compatibility": level})),
    );
    assert_eq!(status, 200, "{body}");
}

/// Hunt A: `found-value` (v1, then an incompatible v2 let in at NONE, then the level set
/// back to FULL_TRANSITIVE), `common.proto` and `purse-value` referencing it. Hunt B and the
/// default context each hold one subject nobody but `ops` may read.
struct Data {
    found: [u64; 2],
    secret: u64,
    legacy: u64,
}

fn seed(server: &Server) -> Data {
    let found1 = register(server, ":.hunt-a:found-value", FOUND_V1, json!([]));
    set_level(server, ":.hunt-a:found-value", "NONE");
    let found2 = register(server, ":.hunt-a:found-value", &found_v2(), json!([]));
    set_level(server, ":.hunt-a:found-value", "FULL_TRANSITIVE");
    register(server, ":.hunt-a:common.proto", COMMON, json!([]));
    register(
        server,
        ":.hunt-a:purse-value",
        PURSE,
        json!([{"name": "common.proto", "subject": "common.proto", "version": 1}]),
    );
    Data {
        found: [found1, found2],
        secret: register(server, ":.hunt-b:secret-value", SECRET, json!([])),
        legacy: register(server, "legacy-value", LEGACY, json!([])),
    }
}

/// Nothing of hunt B or the default context in a page.
fn assert_walls(path: &str, body: &str) {
    for hidden in [
        "hunt-b",
        "secret-value",
        "VictimOnly",
        "legacy-value",
        "default context",
    ] {
        assert!(!body.contains(hidden), "{path} shows {hidden:?}:\n{body}");
    }
}

#[test]
fn pages_show_one_hunt_to_its_reader_and_anchor_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path(), &[]);
    let data = seed(&server);
    let a = |path: &str| call(&server, Some("a-reader"), "GET", path, None);

    let (status, body) = a("/ui");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("hunt-a") && body.contains("/ui/hunts/.hunt-a"),
        "{body}"
    );
    assert_walls("/ui", &body);
    // The hunt's three subjects are counted; nothing else is.
    assert!(body.contains("<td class=\"num\">3</td>"), "{body}");

    let (status, body) = a("/ui/hunts/.hunt-a");
    assert_eq!(status, 200);
    for shown in [
        "found-value",
        "purse-value",
        "common.proto",
        "FULL_TRANSITIVE",
        "v1 → v2",
    ] {
        assert!(body.contains(shown), "hunt page lacks {shown:?}");
    }
    let (status, body) = a("/ui/hunts/.hunt-a/subjects/found-value");
    assert_eq!(status, 200);
    let hex = format!("0x{:x}", data.found[1]);
    assert!(body.contains(&hex), "timeline lacks {hex}");
    // Registration times, in UTC.
    assert_eq!(body.matches(" UTC</time>").count(), 2, "{body}");
    assert!(body.contains("diff?from=1&amp;to=2"), "{body}");
    let (status, body) = a("/ui/hunts/.hunt-a/subjects/purse-value/versions/1");
    assert_eq!(status, 200);
    assert!(
        body.contains("href=\"/ui/hunts/.hunt-a/subjects/common.proto/versions/1\""),
        "reference not linked: {body}"
    );
    assert!(body.contains("purse.v1.Purse"));
    let (status, body) = a("/ui/hunts/.hunt-a/subjects/found-value/versions/2");
    assert_eq!(status, 200);
    // The message-index table: the bytes Confluent's framing writes after the ID.
    for (message, bytes) in [
        ("t.v1.Found", "00"),
        ("t.v1.Found.TallyEntry", "04 00 00"),
        ("t.v1.Lost", "02 02"),
    ] {
        let row = body
            .split("<tr>")
            .find(|r| r.contains(&format!("<code>{message}</code>")))
            .unwrap_or_else(|| panic!("no row for {message}"));
        assert!(
            row.contains(&format!("<code>{bytes}</code>")),
            "{message}: {row}"
        );
    }
    assert_walls("version page", &body);

    // The diff: FULL_TRANSITIVE checks both directions, each finding under line 6.
    let (status, body) = a("/ui/hunts/.hunt-a/subjects/found-value/diff?from=1&to=2");
    assert_eq!(status, 200);
    assert!(
        body.contains("would be refused") && body.contains("<strong>major</strong>"),
        "{body}"
    );
    let after_line_6 = body.split("id=\"b6\"").nth(1).expect("line 6 of v2");
    let notes: Vec<&str> = after_line_6
        .split("<tr class=\"")
        .skip(1)
        .take_while(|row| row.starts_with("note"))
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("FIELD_SAME_TYPE") && n.contains("new readers of old data")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("FIELD_SAME_TYPE") && n.contains("old readers of new data")),
        "{notes:?}"
    );

    // The dry run refuses what the registry would refuse, with the finding on its line.
    let client = reqwest::blocking::Client::new();
    let form = [
        ("subject", "found-value"),
        (
            "schema",
            &found_v2().replace("uint64 points", "string points"),
        ),
        ("references", ""),
    ];
    let resp = client
        .post(server.at("/ui/hunts/.hunt-a/check"))
        .basic_auth("a-reader", Some("a-reader"))
        .form(&form)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.text().unwrap();
    assert!(body.contains("Would be refused"), "{body}");
    assert!(body.contains("class=\"line flagged\" id=\"b6\""), "{body}");
    // A reader checks; nothing was registered.
    let (_, versions) = a("/subjects/:.hunt-a:found-value/versions");
    assert_eq!(versions, "[1,2]");

    // IDs, decimal or hex; another hunt's ID names nothing to this reader.
    let (status, body) = a(&format!("/ui/ids?q={hex}"));
    assert_eq!(status, 200);
    assert!(
        body.contains("found-value") && body.contains("t.v1.Lost"),
        "{body}"
    );
    for hidden in [data.secret, data.legacy] {
        let (status, body) = a(&format!("/ui/ids?q=0x{hidden:x}"));
        assert_eq!(status, 200);
        assert!(body.contains("No subject you may read holds"), "{body}");
        assert_walls("/ui/ids", &body);
    }
    let (_, body) = a("/ui/ids?q=nine");
    assert!(body.contains("is not a schema ID"), "{body}");

    // Other hunts' pages are refused, the same whether they exist or not.
    for path in [
        "/ui/hunts/.hunt-b",
        "/ui/hunts/.hunt-b/subjects/secret-value",
        "/ui/hunts/.hunt-b/subjects/secret-value/versions/1",
        "/ui/hunts/.hunt-b/subjects/absent/versions/1",
        "/ui/hunts/%3A.%3A/subjects/legacy-value",
        "/ui/hunts/.nowhere/check",
    ] {
        let (status, body) = a(path);
        assert_eq!(status, 403, "{path}: {body}");
        assert!(!body.contains("VictimOnly"), "{path}: {body}");
    }
    // The refusal names the hunt asked for, never what it holds.
    assert_eq!(
        a("/ui/hunts/.hunt-b/subjects/secret-value/versions/1"),
        a("/ui/hunts/.hunt-b/subjects/absent/versions/1"),
    );
    // No credentials: the browser's Basic prompt.
    let resp = reqwest::blocking::get(server.at("/ui")).unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert!(resp.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    // An admin of every hunt sees all of them.
    let (_, body) = call(&server, Some("ops"), "GET", "/ui", None);
    assert!(
        body.contains("hunt-b") && body.contains("default context"),
        "{body}"
    );
}

#[test]
fn no_ui_serves_the_api_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), &["--no-ui"]);
    let (status, body) = call(&server, None, "GET", "/ui", None);
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        call(&server, None, "GET", "/subjects", None),
        (200, "[]".into())
    );
}

fn tools() -> PathBuf {
    std::env::var_os("HUNTREG_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools"))
}

#[test]
fn chromium_shows_every_page_without_errors_or_serious_accessibility_violations() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path(), &[]);
    let data = seed(&server);
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let chromium = std::env::var("HUNTREG_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let chromium = which(&chromium).unwrap_or_else(|| {
        panic!("{chromium} not found: scripts/setup-tools installs Debian's chromium")
    });
    let input = json!({
        "base": server.url,
        "user": "a-reader",
        "password": "a-reader",
        "chromium": chromium,
        "screenshots": shots,
        "pages": [
            {"name": "hunts", "path": "/ui"},
            {"name": "hunt", "path": "/ui/hunts/.hunt-a"},
            {"name": "subject", "path": "/ui/hunts/.hunt-a/subjects/found-value"},
            {"name": "version", "path": "/ui/hunts/.hunt-a/subjects/found-value/versions/2"},
            {"name": "references", "path": "/ui/hunts/.hunt-a/subjects/purse-value/versions/1"},
            {"name": "rules", "path": "/ui/rules"},
        ],
        "diff": "/ui/hunts/.hunt-a/subjects/found-value/diff",
        "check": {
            "path": "/ui/hunts/.hunt-a/check?subject=found-value",
            "subject": "found-value",
            "schema": found_v2().replace("uint64 points", "string points"),
        },
        "ids": {"query": format!("0x{:x}", data.found[0])},
    });
    let tools = tools();
    let out = Command::new("node")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/console/browser.js"))
        .arg(input.to_string())
        .env("NODE_PATH", tools.join("node_modules"))
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "browser run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (name, page) in report["pages"].as_object().unwrap() {
        assert_eq!(page["status"], 200, "{name}");
        assert_eq!(
            page["problems"],
            json!([]),
            "{name}: console errors or failed requests"
        );
        assert_eq!(page["violations"], json!([]), "{name}: accessibility");
        assert_walls(name, page["text"].as_str().unwrap());
        assert!(shots.join(format!("{name}.png")).is_file());
        assert!(shots.join(format!("{name}-dark.png")).is_file());
    }
    let notes = report["diff"]["notes"].as_array().unwrap();
    assert!(!notes.is_empty());
    for note in notes {
        assert_eq!(
            (note["left"].as_str(), note["right"].as_str()),
            (Some("6"), Some("6")),
            "finding away from its line: {note}"
        );
    }
    assert!(notes.iter().any(|n| n["rule"] == "FIELD_SAME_TYPE"));
    assert_eq!(report["diff"]["semver"], "major");
    assert_eq!(report["check"]["title"], "Would be refused");
    assert!(report["check"]["flagged"]
        .as_array()
        .unwrap()
        .contains(&json!("b6")));
    let ids = report["ids"].as_array().unwrap();
    assert!(
        ids.iter()
            .any(|r| r.as_str().unwrap().contains("found-value")),
        "{ids:?}"
    );
}

fn which(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Path::new(name).is_file().then(|| PathBuf::from(name));
    }
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
}
