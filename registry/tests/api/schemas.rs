//! `/schemas/ids/{id}…`: text and serialized formats, raw schema, subjects and versions of an id.

use base64::Engine;
use prost::Message;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn by_id_serves_canonical_text_by_default_and_descriptors_when_serialized() {
    let app = TestApp::spawn().await;
    let id = app.register_ok("orders-value", ORDER_V1).await;
    let resp = app
        .client
        .get(format!("{}/schemas/ids/{id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.schemaregistry.v1+json"
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["schemaType"], "PROTOBUF");
    assert!(body["schema"]
        .as_str()
        .unwrap()
        .starts_with("syntax = \"proto3\";\npackage shop;"));
    assert!(body.get("references").is_none());

    // Twice (cache hit) and with the client's extra parameters.
    for q in [
        "?format=serialized",
        "?format=serialized&subject=orders-value&deleted=true",
    ] {
        let (status, body) = app.get(&format!("/schemas/ids/{id}{q}")).await;
        assert_eq!(status, StatusCode::OK);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body["schema"].as_str().unwrap())
            .unwrap();
        let fd = prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap();
        assert_eq!(fd.name(), "default");
        assert_eq!(fd.package(), "shop");
        assert_eq!(fd.message_type[0].name(), "Order");
    }
    let resp = app
        .client
        .get(format!("{}/schemas/ids/{id}/schema", app.base))
        .send()
        .await
        .unwrap();
    let raw = resp.text().await.unwrap();
    assert!(raw.starts_with("syntax = \"proto3\";"), "{raw}");
}

#[tokio::test]
async fn unknown_ids_are_40403_and_bad_ids_404() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/schemas/ids/42").await;
    assert_error(status, &body, 404, 40403);
    assert_eq!(body["message"], "Schema 42 not found");
    let (status, body) = app.get("/schemas/ids/abc").await;
    assert_error(status, &body, 404, 404);
    let (status, body) = app.get("/schemas/ids/42/subjects").await;
    assert_error(status, &body, 404, 40403);
}

#[tokio::test]
async fn subjects_and_versions_of_an_id() {
    let app = TestApp::spawn().await;
    let id = app.register_ok("b", ORDER_V1).await;
    app.register_ok("a", ORDER_V1).await;
    let (_, subjects) = app.get(&format!("/schemas/ids/{id}/subjects")).await;
    assert_eq!(subjects, json!(["a", "b"]));
    let (_, versions) = app.get(&format!("/schemas/ids/{id}/versions")).await;
    assert_eq!(
        versions,
        json!([{"subject": "a", "version": 1}, {"subject": "b", "version": 1}])
    );
    app.delete("/subjects/a/versions/1").await;
    let (_, subjects) = app.get(&format!("/schemas/ids/{id}/subjects")).await;
    assert_eq!(subjects, json!(["b"]));
    let (_, subjects) = app
        .get(&format!("/schemas/ids/{id}/subjects?deleted=true"))
        .await;
    assert_eq!(subjects, json!(["a", "b"]));
}

#[tokio::test]
async fn schemas_listing_and_pagination() {
    let app = TestApp::spawn().await;
    for s in ["c", "a", "b"] {
        app.register_ok(s, ORDER_V1).await;
    }
    let (_, all) = app.get("/schemas").await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[0]["subject"], "a");
    let (_, page) = app.get("/subjects?offset=1&limit=1").await;
    assert_eq!(page, json!(["b"]));
}
