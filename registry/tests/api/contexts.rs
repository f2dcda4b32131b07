//! Hunts as contexts: qualified subjects, the `/contexts/{ctx}/…` prefix, global ids,
//! percent-encoded subjects.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn qualified_subjects_live_in_their_hunt_and_ids_are_global() {
    let app = TestApp::spawn().await;
    let a = app.register_ok(":.hunt-1:orders-value", ORDER_V1).await;
    let b = app.register_ok(":.hunt-2:orders-value", ORDER_V1).await;
    let c = app.register_ok("orders-value", ORDER_V1).await;
    assert_eq!((a, b, c), (1, 2, 3), "one global sequence across hunts");

    let (_, subjects) = app.get("/subjects").await;
    assert_eq!(
        subjects,
        json!([
            ":.hunt-1:orders-value",
            ":.hunt-2:orders-value",
            "orders-value"
        ])
    );
    let (_, subjects) = app
        .get(&format!("/subjects?subjectPrefix={}", enc(":.hunt-1:")))
        .await;
    assert_eq!(subjects, json!([":.hunt-1:orders-value"]));
    let (_, contexts) = app.get("/contexts").await;
    assert_eq!(contexts, json!([".", ".hunt-1", ".hunt-2"]));

    // Any id resolves without a context; with a qualified subject only in its hunt.
    let (status, _) = app.get(&format!("/schemas/ids/{b}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .get(&format!(
            "/schemas/ids/{b}?subject={}",
            enc(":.hunt-2:orders-value")
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .get(&format!(
            "/schemas/ids/{b}?subject={}",
            enc(":.hunt-1:orders-value")
        ))
        .await;
    assert_error(status, &body, 404, 40403);
}

#[tokio::test]
async fn the_context_url_prefix_targets_a_hunt() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post(
            "/contexts/.hunt-42/subjects/treasure-value/versions?normalize=False",
            json!({"schemaType": "PROTOBUF", "schema": ORDER_V1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["id"].as_u64().unwrap();
    let (_, subjects) = app.get("/contexts/.hunt-42/subjects").await;
    assert_eq!(subjects, json!([":.hunt-42:treasure-value"]));
    let (_, body) = app
        .get("/contexts/hunt-42/subjects/treasure-value/versions/latest")
        .await;
    assert_eq!(body["subject"], ":.hunt-42:treasure-value");
    let (status, _) = app
        .get(&format!(
            "/contexts/.hunt-42/schemas/ids/{id}?subject=treasure-value"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = app
        .get(&format!(
            "/subjects/{}/versions",
            enc(":.hunt-42:treasure-value")
        ))
        .await;
    assert_eq!(body, json!([1]));
    // Unqualified version reads fall back to named contexts (as Confluent's
    // getUsingContexts); listings do not, so a hunt stays out of the default context.
    let (_, body) = app.get("/subjects/treasure-value/versions/1").await;
    assert_eq!(body["subject"], ":.hunt-42:treasure-value");
    let (status, body) = app.get("/subjects/treasure-value/versions").await;
    assert_error(status, &body, 404, 40401);
    let (status, body) = app.get(&format!("/contexts/{}/subjects", enc("a:b"))).await;
    assert_error(status, &body, 400, 400);
    // A context with subjects cannot be deleted; an empty one can.
    let (status, body) = app.delete("/contexts/.hunt-42").await;
    assert_error(status, &body, 422, 42211);
    let (status, _) = app.delete("/contexts/.empty").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn percent_encoded_subjects_route_correctly() {
    let app = TestApp::spawn().await;
    let dep = "syntax = \"proto3\"; package treasure; message Coin { int64 value = 1; }";
    let (status, body) = app
        .post(
            "/subjects/treasure%2Fcommon.proto/versions",
            json!({"schemaType": "PROTOBUF", "schema": dep}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, subjects) = app.get("/subjects").await;
    assert_eq!(subjects, json!(["treasure/common.proto"]));
    let (status, _) = app
        .get("/subjects/treasure%2Fcommon.proto/versions/1/")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get("/subjects/%3A.hunt%3Ax/versions").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_explicit_default_context_does_not_fall_back_to_hunts() {
    let app = TestApp::spawn().await;
    app.register_ok(":.hunt-1:x", ORDER_V1).await;
    let (status, _) = app.get("/subjects/x/versions/1").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an unqualified name falls back, as in Confluent"
    );
    let (status, body) = app
        .get(&format!("/subjects/{}/versions/1", enc(":.:x")))
        .await;
    assert_error(status, &body, 404, 40401);
    let (status, body) = app.get("/contexts/:.:/subjects/x/versions/1").await;
    assert_error(status, &body, 404, 40401);
    let lookup = json!({"schemaType": "PROTOBUF", "schema": ORDER_V1});
    let (status, body) = app
        .post(&format!("/subjects/{}", enc(":.:x")), lookup)
        .await;
    assert_error(status, &body, 404, 40401);
}
