//! Compatibility: the 409 on register, the check endpoints, verbose messages.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn an_incompatible_registration_is_409_with_rule_ids_and_locations() {
    let app = TestApp::spawn().await;
    app.register_ok("orders-value", ORDER_V1).await;
    let (status, body) = app.register("orders-value", ORDER_BAD).await;
    assert_error(status, &body, 409, 409);
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with("Schema being registered is incompatible with an earlier schema for subject \"orders-value\", details: [{errorType:\""), "{message}");
    assert!(message.contains("FIELD_SAME_TYPE"), "{message}");
    // file:line:col of the changed field in the new schema.
    assert!(message.contains("orders-value.proto:6:3"), "{message}");
    assert!(message.contains("{oldSchemaVersion: 1}"), "{message}");
    // The compared version's canonical text follows its version, as in Confluent's details.
    let (_, v1) = app.get("/subjects/orders-value/versions/1/schema").await;
    let v1 = v1.as_str().unwrap();
    assert!(
        message.contains(&format!("{{oldSchemaVersion: 1}}, {{oldSchema: '{v1}'}}")),
        "{message}"
    );
    assert!(
        message.ends_with("{validateFields: 'false', compatibility: 'BACKWARD'}]"),
        "{message}"
    );
    let (_, versions) = app.get("/subjects/orders-value/versions").await;
    assert_eq!(versions, json!([1]));
    let (_, metrics) = app.get("/metrics").await;
    assert!(metrics
        .as_str()
        .unwrap()
        .contains("huntreg_registrations_total{outcome=\"refused\"} 1"));
}

#[tokio::test]
async fn compatibility_endpoints() {
    let app = TestApp::spawn().await;
    let body = |s: &str| json!({"schemaType": "PROTOBUF", "schema": s});
    // Nothing registered: latest is compatible; a numeric version is 40402.
    let (status, r) = app
        .post("/compatibility/subjects/s/versions/latest", body(ORDER_BAD))
        .await;
    assert_eq!(
        (status, r),
        (StatusCode::OK, json!({"is_compatible": true}))
    );
    let (status, r) = app
        .post("/compatibility/subjects/s/versions/3", body(ORDER_BAD))
        .await;
    assert_error(status, &r, 404, 40402);

    app.register_ok("s", ORDER_V1).await;
    let (_, r) = app
        .post(
            "/compatibility/subjects/s/versions/latest?verbose=False",
            body(ORDER_V2),
        )
        .await;
    assert_eq!(r, json!({"is_compatible": true}));
    let (_, r) = app
        .post(
            "/compatibility/subjects/s/versions/latest?verbose=true",
            body(ORDER_V2),
        )
        .await;
    assert_eq!(r, json!({"is_compatible": true, "messages": []}));
    let (_, r) = app
        .post(
            "/compatibility/subjects/s/versions?verbose=true",
            body(ORDER_BAD),
        )
        .await;
    assert_eq!(r["is_compatible"], false);
    let messages = r["messages"].as_array().unwrap();
    assert!(
        messages
            .iter()
            .any(|m| m.as_str().unwrap().contains("FIELD_SAME_TYPE")),
        "{r}"
    );
    assert!(messages.iter().any(|m| m == "{oldSchemaVersion: 1}"), "{r}");
    assert!(
        messages
            .iter()
            .any(|m| m.as_str().unwrap().starts_with("{oldSchema: 'syntax = ")),
        "{r}"
    );
    let (_, r) = app
        .post("/compatibility/subjects/s/versions/1", body(ORDER_BAD))
        .await;
    assert_eq!(r, json!({"is_compatible": false}));
    // An invalid schema: 42201, or a verbose verdict.
    let (status, r) = app
        .post("/compatibility/subjects/s/versions/1", body("message {"))
        .await;
    assert_error(status, &r, 422, 42201);
    let (status, r) = app
        .post(
            "/compatibility/subjects/s/versions/1?verbose=true",
            body("message {"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["is_compatible"], false);
}

#[tokio::test]
async fn transitive_levels_check_every_live_version() {
    let app = TestApp::spawn().await;
    let v1 = "syntax = \"proto3\"; message M { int32 a = 1; }";
    let v2 = "syntax = \"proto3\"; message M { string a = 1; }";
    let v3 = "syntax = \"proto3\"; message M { string a = 1; int32 b = 2; }";
    app.register_ok("t", v1).await;
    app.put("/config/t", json!({"compatibility": "NONE"})).await;
    app.register_ok("t", v2).await;
    let check = json!({"schemaType": "PROTOBUF", "schema": v3});
    app.put("/config/t", json!({"compatibility": "BACKWARD"}))
        .await;
    let (_, r) = app
        .post("/compatibility/subjects/t/versions", check.clone())
        .await;
    assert_eq!(r, json!({"is_compatible": true}));
    app.put("/config/t", json!({"compatibility": "BACKWARD_TRANSITIVE"}))
        .await;
    let (_, r) = app
        .post("/compatibility/subjects/t/versions", check.clone())
        .await;
    assert_eq!(r, json!({"is_compatible": false}));
    let (status, body) = app.register("t", v3).await;
    assert_error(status, &body, 409, 409);
    // Against one chosen version, the transitive level checks only that version.
    let (_, r) = app
        .post("/compatibility/subjects/t/versions/2", check)
        .await;
    assert_eq!(r, json!({"is_compatible": true}));
}

/// A subject's kept-history entries wait in memory for its next registration, unless they
/// are large: those of a large first version are written right away, not held by a
/// subject that may never register again (and lost to a crash). Its lockfile row, the whole
/// text, is not kept at all: the lock endpoint computes it from the record.
#[tokio::test]
async fn large_waiting_history_entries_are_written_without_a_next_registration() {
    let fields: String = (1..=4000)
        .map(|i| format!("  int32 field_{i} = {i};\n"))
        .collect();
    let big = format!("syntax = \"proto3\";\nmessage Big {{\n{fields}}}\n");
    assert!(big.len() > 64 << 10);
    let app = TestApp::spawn().await;
    app.register_ok("big-value", &big).await;
    let subject = huntreg_registry::types::Subject::parse("big-value").unwrap();
    let tagged = |tag: u8| {
        let entries = app.state.0.store.history_entries(&subject).unwrap();
        entries.iter().any(|(k, _)| k.first() == Some(&tag))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !(tagged(b'p') && tagged(b'l')) {
        assert!(
            std::time::Instant::now() < deadline,
            "the large history entries were not written"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, lock) = app.get("/huntreg/v1/subjects/big-value/lock").await;
    assert_eq!(status, 200, "{lock}");
    let rows = lock["versions"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{lock}");
    assert!(
        rows[0]["schema"].as_str().unwrap().contains("field_4000"),
        "{lock}"
    );
    // Served, and still not kept.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!tagged(b'r'), "a large lockfile row was kept");
    app.stop().await;
}
