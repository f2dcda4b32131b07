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
