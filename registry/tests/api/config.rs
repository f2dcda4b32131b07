//! Config and mode: global, context and subject level, fallback, 40408/40409, IMPORT.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn config_falls_back_subject_context_global_default() {
    let app = TestApp::spawn().await;
    let (_, body) = app.get("/config").await;
    assert_eq!(body, json!({"compatibilityLevel": "BACKWARD"}));
    let (status, body) = app.get("/config/orders-value").await;
    assert_error(status, &body, 404, 40408);
    let (_, body) = app.get("/config/orders-value?defaultToGlobal=true").await;
    assert_eq!(body, json!({"compatibilityLevel": "BACKWARD"}));

    let (status, body) = app.put("/config", json!({"compatibility": "full"})).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"compatibility": "FULL"}))
    );
    let (_, body) = app.get("/config/orders-value?defaultToGlobal=true").await;
    assert_eq!(body["compatibilityLevel"], "FULL");
    // The top level does not reach named contexts; __GLOBAL does.
    let (_, body) = app
        .get(&format!("/config/{}?defaultToGlobal=true", enc(":.h:x")))
        .await;
    assert_eq!(body["compatibilityLevel"], "BACKWARD");
    app.put(
        &format!("/config/{}", enc(":.__GLOBAL:")),
        json!({"compatibility": "NONE"}),
    )
    .await;
    let (_, body) = app
        .get(&format!("/config/{}?defaultToGlobal=true", enc(":.h:x")))
        .await;
    assert_eq!(body["compatibilityLevel"], "NONE");
    app.put(
        &format!("/config/{}", enc(":.h:")),
        json!({"compatibility": "FORWARD"}),
    )
    .await;
    let (_, body) = app
        .get(&format!("/config/{}?defaultToGlobal=true", enc(":.h:x")))
        .await;
    assert_eq!(body["compatibilityLevel"], "FORWARD");
    let (_, body) = app.get("/contexts/.h/config").await;
    assert_eq!(body["compatibilityLevel"], "FORWARD");

    app.put("/config/orders-value", json!({"compatibility": "NONE"}))
        .await;
    let (_, body) = app.get("/config/orders-value").await;
    assert_eq!(body, json!({"compatibilityLevel": "NONE"}));
    let (_, old) = app.delete("/config/orders-value").await;
    assert_eq!(old, json!({"compatibilityLevel": "NONE"}));
    let (status, body) = app.delete("/config/orders-value").await;
    assert_error(status, &body, 404, 40401);

    let (status, body) = app
        .put("/config", json!({"compatibility": "SOMETIMES"}))
        .await;
    assert_error(status, &body, 422, 42203);
}

#[tokio::test]
async fn subject_level_none_allows_an_incompatible_change() {
    let app = TestApp::spawn().await;
    app.register_ok("s", ORDER_V1).await;
    let (status, _) = app.register("s", ORDER_BAD).await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.put("/config/s", json!({"compatibility": "NONE"})).await;
    let (status, body) = app.register("s", ORDER_BAD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn modes_readonly_and_import() {
    let app = TestApp::spawn().await;
    let (_, body) = app.get("/mode").await;
    assert_eq!(body, json!({"mode": "READWRITE"}));
    let (status, body) = app.get("/mode/s").await;
    assert_error(status, &body, 404, 40409);
    let (status, body) = app.put("/mode", json!({"mode": "SOMETIMES"})).await;
    assert_error(status, &body, 422, 42204);

    let id = app.register_ok("s", ORDER_V1).await;
    let (_, body) = app.put("/mode/s", json!({"mode": "readonly"})).await;
    assert_eq!(body, json!({"mode": "READONLY"}));
    // Re-registering an existing schema still works; a new one does not.
    assert_eq!(app.register_ok("s", ORDER_V1).await, id);
    let (status, body) = app.register("s", ORDER_V2).await;
    assert_error(status, &body, 422, 42205);
    let (status, body) = app.delete("/subjects/s/versions/1").await;
    assert_error(status, &body, 422, 42205);
    app.delete("/mode/s").await;

    // IMPORT: only on a scope without live subjects unless forced; explicit id and version.
    let hunt = enc(":.migrated:");
    let (status, body) = app
        .put(&format!("/mode/{hunt}"), json!({"mode": "IMPORT"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let subject = enc(":.migrated:orders-value");
    let (status, body) = app
        .post(
            &format!("/subjects/{subject}/versions"),
            json!({"schemaType": "PROTOBUF", "schema": ORDER_V1}),
        )
        .await;
    assert_error(status, &body, 422, 42205);
    let (status, body) = app
        .post(
            &format!("/subjects/{subject}/versions"),
            json!({"schemaType": "PROTOBUF", "schema": ORDER_BAD, "id": 100, "version": 7}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], 100);
    assert_eq!(body["version"], 7);
    // A different schema cannot take an imported id in the same context.
    let (status, body) = app
        .post(
            &format!("/subjects/{}/versions", enc(":.migrated:other")),
            json!({"schemaType": "PROTOBUF", "schema": ORDER_V2, "id": 100, "version": 1}),
        )
        .await;
    assert_error(status, &body, 422, 42205);
    let (status, _) = app
        .put(&format!("/mode/{hunt}"), json!({"mode": "READWRITE"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    // The global sequence continues after the imported id.
    let next = app.register_ok("fresh", ORDER_V2).await;
    assert_eq!(next, 101);
    let (_, body) = app.get(&format!("/subjects/{subject}/versions/7")).await;
    assert_eq!(body["id"], 100);

    // Entering IMPORT with live subjects needs force.
    let (status, body) = app.put("/mode", json!({"mode": "IMPORT"})).await;
    assert_error(status, &body, 422, 42205);
    let (status, _) = app.put("/mode?force=true", json!({"mode": "IMPORT"})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn entering_import_purges_soft_deleted_versions_so_imports_can_take_their_numbers() {
    let app = TestApp::spawn().await;
    let subject = enc(":.old:orders-value");
    app.register_ok(":.old:orders-value", ORDER_V1).await;
    app.delete(&format!("/subjects/{subject}")).await;
    let (status, _) = app
        .put(
            &format!("/mode/{}", enc(":.old:")),
            json!({"mode": "IMPORT"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .get(&format!("/subjects/{subject}/versions?deleted=true"))
        .await;
    assert_error(status, &body, 404, 40401);
    let (status, body) = app
        .post(
            &format!("/subjects/{subject}/versions"),
            json!({"schemaType": "PROTOBUF", "schema": ORDER_V2, "id": 500, "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        without_guid(&body),
        json!({"id": 500, "version": 1, "schemaType": "PROTOBUF"})
    );
}

/// Confluent accepts any positive version in IMPORT mode, below existing ones too (a
/// migration imports a subject's versions in any order), whichever scope sets the mode.
/// Outside IMPORT mode an explicit version must still be the next one.
#[tokio::test]
async fn import_mode_takes_versions_below_existing_ones() {
    let app = TestApp::spawn().await;
    let import = |subject: &str, schema: &str, id: u64, version: u64| {
        let path = format!("/subjects/{}/versions", enc(subject));
        let body =
            json!({"schemaType": "PROTOBUF", "schema": schema, "id": id, "version": version});
        let app = &app;
        async move { app.post(&path, body).await }
    };
    for (scope, subject, base) in [
        ("orders-value", "orders-value", 300),
        (":.hunt-1:", ":.hunt-1:finds-value", 400),
        ("", "global-value", 500),
    ] {
        let mode = if scope.is_empty() {
            "/mode?force=true".to_owned()
        } else {
            format!("/mode/{}?force=true", enc(scope))
        };
        let (status, body) = app.put(&mode, json!({"mode": "IMPORT"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for (schema, id, version) in [(ORDER_V2, base + 2, 5), (ORDER_V1, base + 1, 2)] {
            let (status, body) = import(subject, schema, id, version).await;
            assert_eq!(status, StatusCode::OK, "{scope:?} v{version}: {body}");
            assert_eq!(
                (body["id"].as_u64(), body["version"].as_u64()),
                (Some(id), Some(version))
            );
        }
        // The same content again under an existing version is that version.
        let (status, body) = import(subject, ORDER_V1, base + 1, 2).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, versions) = app
            .get(&format!("/subjects/{}/versions", enc(subject)))
            .await;
        assert_eq!((status, versions), (StatusCode::OK, json!([2, 5])));
        let (_, latest) = app
            .get(&format!("/subjects/{}/versions/latest", enc(subject)))
            .await;
        assert_eq!(latest["id"].as_u64(), Some(base + 2), "{latest}");
        let (status, _) = app.put(&mode, json!({"mode": "READWRITE"})).await;
        assert_eq!(status, StatusCode::OK);
        // Back in READWRITE a lower version is refused as a client mistake, not a 5xx.
        let (status, body) = import(subject, ORDER_BAD, base + 9, 1).await;
        assert_eq!(status.as_u16(), 422, "{body}");
    }
}
