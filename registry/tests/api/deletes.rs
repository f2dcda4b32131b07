//! Soft and permanent deletes, with Confluent's after-delete behaviour and codes.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn soft_then_permanent_version_delete() {
    let app = TestApp::spawn().await;
    let id1 = app.register_ok("s", ORDER_V1).await;
    app.register_ok("s", ORDER_V2).await;

    // Permanent before soft: 40407.
    let (status, body) = app.delete("/subjects/s/versions/1?permanent=true").await;
    assert_error(status, &body, 404, 40407);
    let (status, body) = app.delete("/subjects/s/versions/1").await;
    assert_eq!((status, body), (StatusCode::OK, json!(1)));
    let (status, body) = app.delete("/subjects/s/versions/1").await;
    assert_error(status, &body, 404, 40406);

    let (_, versions) = app.get("/subjects/s/versions").await;
    assert_eq!(versions, json!([2]));
    let (_, versions) = app.get("/subjects/s/versions?deleted=true").await;
    assert_eq!(versions, json!([1, 2]));
    let (_, versions) = app.get("/subjects/s/versions?deletedOnly=true").await;
    assert_eq!(versions, json!([1]));
    let (status, body) = app.get("/subjects/s/versions/1").await;
    assert_error(status, &body, 404, 40402);
    let (status, _) = app.get("/subjects/s/versions/1?deleted=true").await;
    assert_eq!(status, StatusCode::OK);
    // The id still resolves after a soft delete.
    let (status, _) = app.get(&format!("/schemas/ids/{id1}")).await;
    assert_eq!(status, StatusCode::OK);
    // Lookup misses unless deleted=true.
    let lookup = json!({"schemaType": "PROTOBUF", "schema": ORDER_V1});
    let (status, body) = app.post("/subjects/s", lookup.clone()).await;
    assert_error(status, &body, 404, 40403);
    let (status, _) = app.post("/subjects/s?deleted=true", lookup).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = app.delete("/subjects/s/versions/1?permanent=true").await;
    assert_eq!((status, body), (StatusCode::OK, json!(1)));
    let (status, body) = app.get(&format!("/schemas/ids/{id1}")).await;
    assert_error(status, &body, 404, 40403);
}

#[tokio::test]
async fn reregistering_after_a_soft_delete_keeps_the_id_and_takes_a_new_version() {
    let app = TestApp::spawn().await;
    app.register_ok("s", ORDER_V1).await;
    let id = app.register_ok("s", ORDER_V2).await;
    app.delete("/subjects/s/versions/2").await;
    let (_, body) = app.register("s", ORDER_V2).await;
    assert_eq!(body["id"].as_u64(), Some(id));
    assert_eq!(body["version"], 3);
}

#[tokio::test]
async fn subject_delete_order_of_checks() {
    let app = TestApp::spawn().await;
    let (status, body) = app.delete("/subjects/nope").await;
    assert_error(status, &body, 404, 40401);
    let id = app.register_ok("s", ORDER_V1).await;
    app.register_ok("s", ORDER_V2).await;
    let (status, body) = app.delete("/subjects/s?permanent=true").await;
    assert_error(status, &body, 404, 40405);
    let (status, body) = app.delete("/subjects/s").await;
    assert_eq!((status, body), (StatusCode::OK, json!([1, 2])));
    let (status, body) = app.delete("/subjects/s").await;
    assert_error(status, &body, 404, 40404);

    let (_, subjects) = app.get("/subjects").await;
    assert_eq!(subjects, json!([]));
    let (_, subjects) = app.get("/subjects?deleted=True").await;
    assert_eq!(subjects, json!(["s"]));
    let (status, body) = app.get("/subjects/s/versions/latest").await;
    assert_error(status, &body, 404, 40401);
    let (status, _) = app.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(status, StatusCode::OK);

    // Re-registering a soft-deleted subject skips the compatibility check.
    app.put("/config/s", json!({"compatibility": "FULL_TRANSITIVE"}))
        .await;
    let (status, body) = app.register("s", ORDER_BAD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 3);
    app.delete("/subjects/s").await;

    let (status, body) = app.delete("/subjects/s?permanent=true").await;
    assert_eq!((status, body), (StatusCode::OK, json!([1, 2, 3])));
    let (status, body) = app.get("/subjects/s/versions?deleted=true").await;
    assert_error(status, &body, 404, 40401);
    // Permanent delete removes the subject's config.
    let (status, body) = app.get("/config/s").await;
    assert_error(status, &body, 404, 40408);
    // Numbering restarts; the content keeps its id.
    let (_, body) = app.register("s", ORDER_V1).await;
    assert_eq!(body["version"], 1);
    assert_eq!(body["id"].as_u64(), Some(id));
}

#[tokio::test]
async fn deleted_as_negative_lists_soft_deleted_versions_as_negative_numbers() {
    let app = TestApp::spawn().await;
    app.register_ok("s", ORDER_V1).await;
    app.register_ok("s", ORDER_V2).await;
    app.register_ok(
        "s",
        "syntax = \"proto3\";\npackage shop;\n\nmessage Order {\n  string id = 1;\n  int64 qty = 2;\n  string note = 3;\n  string more = 4;\n}\n",
    )
    .await;
    app.delete("/subjects/s/versions/2").await;
    for (query, want) in [
        ("deletedAsNegative=true", json!([1, -2, 3])),
        // It wins over deletedOnly, and pages after the ordering by magnitude.
        ("deletedAsNegative=TRUE&deletedOnly=true", json!([1, -2, 3])),
        ("deletedAsNegative=true&offset=1&limit=1", json!([-2])),
        ("deletedAsNegative=false", json!([1, 3])),
    ] {
        let (status, body) = app.get(&format!("/subjects/s/versions?{query}")).await;
        assert_eq!((status, body), (StatusCode::OK, want), "{query}");
    }
    // A subject whose every version is soft-deleted exists only with deleted=true.
    app.delete("/subjects/s").await;
    let (status, body) = app.get("/subjects/s/versions?deletedAsNegative=true").await;
    assert_error(status, &body, 404, 40401);
    let (_, body) = app
        .get("/subjects/s/versions?deletedAsNegative=true&deleted=true")
        .await;
    assert_eq!(body, json!([-1, -2, -3]));
}
