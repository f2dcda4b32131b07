//! Confluent 8.x GUIDs: the `guid` field of every schema answer, `/schemas/guids/{guid}`
//! and `/schemas/guids/{guid}/ids`, per hunt and across a restart.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// The `guid` of a body, checked to be a lower-case `8-4-4-4-12` UUID.
#[track_caller]
fn guid_of(body: &Value) -> String {
    let guid = body["guid"]
        .as_str()
        .unwrap_or_else(|| panic!("no guid in {body}"));
    let groups: Vec<usize> = guid.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{guid}");
    assert!(
        guid.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "{guid}"
    );
    guid.to_owned()
}

#[tokio::test]
async fn every_schema_answer_carries_the_same_guid_for_the_same_schema() {
    let app = TestApp::spawn().await;
    let (status, registered) = app.register("orders-value", ORDER_V1).await;
    assert_eq!(status, StatusCode::OK, "{registered}");
    let guid = guid_of(&registered);
    let id = registered["id"].as_u64().unwrap();

    let (_, by_id) = app.get(&format!("/schemas/ids/{id}")).await;
    let (_, serialized) = app
        .get(&format!("/schemas/ids/{id}?format=serialized"))
        .await;
    let (_, version) = app.get("/subjects/orders-value/versions/1").await;
    let (_, listed) = app.get("/schemas").await;
    let (_, looked_up) = app
        .post(
            "/subjects/orders-value",
            json!({"schemaType": "PROTOBUF", "schema": ORDER_V1}),
        )
        .await;
    for body in [&by_id, &serialized, &version, &listed[0], &looked_up] {
        assert_eq!(guid_of(body), guid, "{body}");
    }
    // The same content under another subject, or as the descriptor a serializer sends,
    // is the same schema: same id, same GUID.
    let (_, again) = app.register("other-value", ORDER_V1).await;
    assert_eq!(
        (again["id"].as_u64(), guid_of(&again)),
        (Some(id), guid.clone())
    );
    let (_, b64) = app
        .post(
            "/subjects/orders-value/versions",
            json!({"schemaType": "PROTOBUF",
                   "schema": descriptor_b64("shop/order.proto", ORDER_V1)}),
        )
        .await;
    assert_eq!(guid_of(&b64), guid);
    // Other content, another GUID.
    let (_, v2) = app.register("orders-value", ORDER_V2).await;
    assert_ne!(guid_of(&v2), guid);
}

#[tokio::test]
async fn schemas_by_guid() {
    let app = TestApp::spawn().await;
    let (_, registered) = app.register("orders-value", ORDER_V1).await;
    let guid = guid_of(&registered);
    let id = registered["id"].as_u64().unwrap();

    // A SchemaString without subject or version, as Confluent.
    let (status, body) = app.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, by_id) = app.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(body, by_id);
    assert!(body.get("subject").is_none() && body.get("version").is_none());
    assert_eq!(
        body["schema"],
        "syntax = \"proto3\";\npackage shop;\n\nmessage Order {\n  string id = 1;\n  int64 qty = 2;\n}\n"
    );
    let upper = guid.to_uppercase();
    let (status, body) = app
        .get(&format!("/schemas/guids/{upper}?format=serialized"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body["schema"].as_str().unwrap())
        .unwrap();
    assert!(!bytes.is_empty());
    let (_, ids) = app.get(&format!("/schemas/guids/{guid}/ids")).await;
    assert_eq!(ids, json!([{"context": ".", "id": id}]));

    // Unknown and malformed GUIDs name no schema (the message repeats the request's).
    for unknown in ["00000000-0000-0000-0000-000000000000", "not-a-guid"] {
        let (status, body) = app.get(&format!("/schemas/guids/{unknown}")).await;
        assert_error(status, &body, 404, 40403);
        assert_eq!(body["message"], format!("Schema {unknown} not found"));
        let (status, ids) = app.get(&format!("/schemas/guids/{unknown}/ids")).await;
        assert_eq!((status, ids), (StatusCode::OK, json!([])));
    }

    // Once every carrier is permanently deleted the GUID is gone, as the id is.
    app.delete("/subjects/orders-value").await;
    app.delete("/subjects/orders-value?permanent=true").await;
    let (status, body) = app.get(&format!("/schemas/guids/{guid}")).await;
    assert_error(status, &body, 404, 40403);
}

#[tokio::test]
async fn a_guid_is_per_content_across_hunts_and_a_hunt_url_sees_only_its_hunt() {
    let app = TestApp::spawn().await;
    let (_, default) = app.register("orders-value", ORDER_V1).await;
    let (_, hunt) = app
        .post(
            "/contexts/.hunt-1/subjects/orders-value/versions",
            json!({"schemaType": "PROTOBUF", "schema": ORDER_V1}),
        )
        .await;
    let guid = guid_of(&default);
    assert_eq!(guid_of(&hunt), guid, "GUIDs are context-free");
    let (a, b) = (
        default["id"].as_u64().unwrap(),
        hunt["id"].as_u64().unwrap(),
    );
    assert_ne!(a, b, "ids are global");

    let (_, ids) = app.get(&format!("/schemas/guids/{guid}/ids")).await;
    assert_eq!(
        ids,
        json!([{"context": ".", "id": a}, {"context": ".hunt-1", "id": b}])
    );
    let (_, ids) = app
        .get(&format!("/contexts/.hunt-1/schemas/guids/{guid}/ids"))
        .await;
    assert_eq!(ids, json!([{"context": ".hunt-1", "id": b}]));
    let (status, _) = app
        .get(&format!("/contexts/.hunt-1/schemas/guids/{guid}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .get(&format!("/contexts/.hunt-2/schemas/guids/{guid}"))
        .await;
    assert_error(status, &body, 404, 40403);
    let (_, ids) = app
        .get(&format!("/schemas/guids/{guid}/ids?subject=%3A.hunt-2%3A"))
        .await;
    assert_eq!(ids, json!([]));
}

#[tokio::test]
async fn guids_survive_a_restart() {
    let app = TestApp::spawn().await;
    let (_, a) = app.register("orders-value", ORDER_V1).await;
    let (_, b) = app.register(":.hunt-7:finds-value", ORDER_V2).await;
    let dir = app.stop().await;

    let app = TestApp::spawn_in(dir).await;
    for (registered, path) in [
        (&a, "/subjects/orders-value/versions/1"),
        (&b, "/subjects/:.hunt-7:finds-value/versions/1"),
    ] {
        let (_, version) = app.get(path).await;
        assert_eq!(guid_of(&version), guid_of(registered));
        let guid = guid_of(registered);
        let (status, by_guid) = app.get(&format!("/schemas/guids/{guid}")).await;
        assert_eq!(status, StatusCode::OK, "{by_guid}");
        assert_eq!(guid_of(&by_guid), guid);
    }
}
