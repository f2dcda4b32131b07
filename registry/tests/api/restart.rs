//! Durability across a restart on the same data directory.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn everything_survives_a_restart_and_ids_continue() {
    let app = TestApp::spawn().await;
    let a = app.register_ok("orders-value", ORDER_V1).await;
    let b = app.register_ok("orders-value", ORDER_V2).await;
    let c = app.register_ok(":.hunt-7:treasure-value", ORDER_BAD).await;
    app.put("/config/orders-value", json!({"compatibility": "FULL"}))
        .await;
    app.delete("/subjects/orders-value/versions/1").await;
    let dir = app.stop().await;

    let app = TestApp::spawn_in(dir).await;
    let (_, versions) = app
        .get("/subjects/orders-value/versions?deleted=true")
        .await;
    assert_eq!(versions, json!([1, 2]));
    let (_, versions) = app.get("/subjects/orders-value/versions").await;
    assert_eq!(versions, json!([2]));
    let (_, v2) = app.get("/subjects/orders-value/versions/2").await;
    assert_eq!(v2["id"].as_u64(), Some(b));
    let (_, config) = app.get("/config/orders-value").await;
    assert_eq!(config, json!({"compatibilityLevel": "FULL"}));
    for id in [a, b, c] {
        let (status, _) = app.get(&format!("/schemas/ids/{id}")).await;
        assert!(status.is_success());
    }
    let (_, contexts) = app.get("/contexts").await;
    assert_eq!(contexts, json!([".", ".hunt-7"]));
    let next = app
        .register_ok(
            "new-value",
            "syntax = \"proto3\"; message N { int32 x = 1; }",
        )
        .await;
    assert_eq!(next, c + 1);
    // Re-registering known content still answers its old id.
    assert_eq!(app.register_ok("other", ORDER_V1).await, a);
}

/// A subject's compatibility history is kept in the store: a restarted registry reads it
/// back and checks transitively against every live version, deleted ones retired.
#[tokio::test]
async fn the_kept_history_survives_a_restart() {
    use huntreg_registry::store::{Reads, SledStore};
    const V1: &str = "syntax = \"proto3\"; message T { int32 a = 1; int32 b = 2; }";
    const V2: &str = "syntax = \"proto3\"; message T { int32 b = 2; }";
    const V3: &str = "syntax = \"proto3\"; message T { int32 b = 2; int32 c = 3; }";
    // Field 1 again, with another type: fine against V2 and V3, not against V1.
    const V4: &str = "syntax = \"proto3\"; message T { string a = 1; int32 b = 2; int32 c = 3; }";
    let app = TestApp::spawn().await;
    app.put("/config/t-value", json!({"compatibility": "NONE"}))
        .await;
    for v in [V1, V2, V3] {
        app.register_ok("t-value", v).await;
    }
    app.put(
        "/config/t-value",
        json!({"compatibility": "BACKWARD_TRANSITIVE"}),
    )
    .await;
    let (_, check) = app
        .post(
            "/compatibility/subjects/t-value/versions",
            json!({"schemaType": "PROTOBUF", "schema": V4}),
        )
        .await;
    assert_eq!(check["is_compatible"], json!(false), "{check}");
    // A write after the check: what the check kept is on disk when it is answered.
    app.put(
        "/config/t-value",
        json!({"compatibility": "BACKWARD_TRANSITIVE"}),
    )
    .await;
    let dir = app.stop().await;

    {
        let store = SledStore::open(&data_dir(dir.path()), None).unwrap();
        let subject = huntreg_registry::types::Subject::parse("t-value").unwrap();
        let entries = store.history_entries(&subject).unwrap();
        // One group of positions: per version its number and id (u32 BE each).
        let positions: Vec<(&[u8], &[u8])> = entries
            .iter()
            .filter(|(k, _)| k.first() == Some(&b'p'))
            .map(|(k, v)| (&k[1..], &v[..]))
            .collect();
        assert_eq!(positions.len(), 1, "{positions:?}");
        assert_eq!(positions[0].0, [0, 0, 0, 0]);
        let versions: Vec<u32> = positions[0]
            .1
            .chunks(8)
            .map(|v| u32::from_be_bytes(v[..4].try_into().unwrap()))
            .collect();
        assert_eq!(versions, [1, 2, 3], "the three versions are kept");
        assert!(entries.iter().any(|(k, _)| k.first() == Some(&b'l')));
    }

    let app = TestApp::spawn_in(dir).await;
    let (status, body) = app.register("t-value", V4).await;
    assert_error(status, &body, 409, 409);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("oldSchemaVersion: 1"),
        "{body}"
    );
    app.delete("/subjects/t-value/versions/1").await;
    app.register_ok("t-value", V4).await;
}

/// Each version's lockfile row is kept with the subject's entries (computed after it
/// registers, or by the first pull that serves it): after a restart the registry serves
/// the same rows, read from the store, and a row whose previous version was deleted is
/// computed anew.
#[tokio::test]
async fn kept_lockfile_rows_survive_a_restart() {
    use huntreg_registry::store::{Reads, SledStore};
    const V1: &str = "syntax = \"proto3\";\nmessage T {\n  int32 a = 1;\n}\n";
    const V2: &str = "syntax = \"proto3\";\nmessage T {\n  int32 a = 1;\n  int32 b = 2;\n}\n";
    const V3: &str =
        "syntax = \"proto3\";\nmessage T {\n  int32 a = 1;\n  int32 b = 2;\n  int32 c = 3;\n}\n";
    let app = TestApp::spawn().await;
    for v in [V1, V2, V3] {
        app.register_ok("t-value", v).await;
    }
    let (status, before) = app.get("/huntreg/v1/subjects/t-value/lock").await;
    assert_eq!(status, 200, "{before}");
    let rows = before["versions"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 3, "{before}");
    assert!(
        rows[1]["patch"].is_string() && rows[2]["patch"].is_string(),
        "{before}"
    );
    let dir = app.stop().await;

    {
        let store = SledStore::open(&data_dir(dir.path()), None).unwrap();
        let subject = huntreg_registry::types::Subject::parse("t-value").unwrap();
        let kept: Vec<serde_json::Value> = store
            .history_entries(&subject)
            .unwrap()
            .iter()
            .filter(|(k, _)| k.first() == Some(&b'r'))
            .map(|(_, v)| serde_json::from_slice(&v[5..]).unwrap())
            .collect();
        assert_eq!(kept, rows, "every version's row is kept as served");
    }

    let app = TestApp::spawn_in(dir).await;
    let (status, after) = app.get("/huntreg/v1/subjects/t-value/lock").await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["versions"], before["versions"]);
    let (_, tail) = app.get("/huntreg/v1/subjects/t-value/lock?after=2").await;
    assert_eq!(tail["versions"], json!([rows[2]]));
    // Version 2 gone for good: version 3's row is a patch on version 1's text now.
    app.delete("/subjects/t-value/versions/2").await;
    app.delete("/subjects/t-value/versions/2?permanent=true")
        .await;
    let (_, after) = app.get("/huntreg/v1/subjects/t-value/lock").await;
    let rows = after["versions"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{after}");
    assert_eq!(rows[1]["version"], json!(3));
    let patch = rows[1]["patch"].as_str().unwrap();
    assert!(
        patch.contains("+  int32 b = 2;"),
        "a patch on version 1: {patch}"
    );
}
