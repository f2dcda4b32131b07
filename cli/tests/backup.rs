//! `huntreg export` / `huntreg import` end to end: populate a registry over HTTP (several
//! hunts, references, soft and permanent deletes, config and mode), export it, import into a
//! fresh directory, serve both and compare every API answer, including the next ID handed out.

mod server_support;

use server_support::{client, huntreg, register_body, Server};

const MONEY: &str = "syntax = \"proto3\";\npackage common;\nmessage Money { int64 units = 1; string currency = 2; }\n";

fn post(server: &Server, path: &str, body: &str) -> (u16, String) {
    let resp = client()
        .post(server.at(path))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(body.to_owned())
        .send()
        .unwrap();
    (resp.status().as_u16(), resp.text().unwrap())
}

fn send(server: &Server, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut req = client().request(method.parse().unwrap(), server.at(path));
    if let Some(body) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(body.to_owned());
    }
    let resp = req.send().unwrap();
    (resp.status().as_u16(), resp.text().unwrap())
}

fn ok(result: (u16, String)) -> String {
    assert_eq!(result.0, 200, "{}", result.1);
    result.1
}

fn populate(server: &Server) {
    let s = |fields: &str| {
        format!("syntax = \"proto3\";\npackage hunt;\nmessage Event {{ {fields} }}\n")
    };
    ok(post(
        server,
        "/subjects/orders-value/versions",
        &register_body(&s("int32 a = 1;")),
    ));
    ok(post(
        server,
        "/subjects/orders-value/versions",
        &register_body(&s("int32 a = 1; string b = 2;")),
    ));
    for i in 1..=3 {
        let fields = (1..=i)
            .map(|n| format!("int64 f{n} = {n};"))
            .collect::<Vec<_>>()
            .join(" ");
        ok(post(
            server,
            "/subjects/:.hunt-1:treasure-value/versions",
            &register_body(&s(&fields)),
        ));
    }
    ok(send(
        server,
        "DELETE",
        "/subjects/:.hunt-1:treasure-value/versions/1",
        None,
    ));
    ok(post(
        server,
        "/contexts/.hunt-2/subjects/common%2Fmoney.proto/versions",
        &register_body(MONEY),
    ));
    let with_ref = serde_json::json!({
        "schemaType": "PROTOBUF",
        "schema": "syntax = \"proto3\";\npackage shop;\nimport \"common/money.proto\";\nmessage Order { common.Money total = 1; }\n",
        "references": [{"name": "common/money.proto", "subject": "common/money.proto", "version": 1}],
    });
    ok(post(
        server,
        "/contexts/.hunt-2/subjects/orders-value/versions",
        &with_ref.to_string(),
    ));
    // A subject soft-deleted, then permanently deleted: its id must never come back.
    ok(post(
        server,
        "/subjects/:.hunt-3:gone/versions",
        &register_body(&s("bool gone = 1;")),
    ));
    ok(send(server, "DELETE", "/subjects/:.hunt-3:gone", None));
    ok(send(
        server,
        "DELETE",
        "/subjects/:.hunt-3:gone?permanent=true",
        None,
    ));
    ok(send(
        server,
        "PUT",
        "/config/:.hunt-1:",
        Some(r#"{"compatibility":"FULL"}"#),
    ));
    ok(send(
        server,
        "PUT",
        "/config/orders-value",
        Some(r#"{"compatibility":"NONE"}"#),
    ));
    ok(send(
        server,
        "PUT",
        "/config",
        Some(r#"{"compatibility":"FORWARD"}"#),
    ));
    ok(send(
        server,
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
