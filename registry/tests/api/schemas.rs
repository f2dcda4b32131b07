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

#[tokio::test]
async fn by_id_names_the_subject_and_version_when_asked() {
    let app = TestApp::spawn().await;
    let id = app.register_ok("b", ORDER_V1).await;
    app.register_ok("a", ORDER_V1).await;
    app.register_ok("a", ORDER_V2).await;
    app.put("/config/:.h:", json!({"compatibility": "NONE"}))
        .await;
    app.register_ok(":.h:x", ORDER_V2).await;
    let x_id = app.register_ok(":.h:y", ORDER_BAD).await;
    app.register_ok(":.h:y", "syntax = \"proto3\"; message N { int32 n = 1; }")
        .await;
    app.register_ok(":.h:x", ORDER_BAD).await;

    // Without `subject`, no subject or version (Confluent 8.x; 7.x never sends them).
    let (_, plain) = app.get(&format!("/schemas/ids/{id}")).await;
    assert!(plain.get("subject").is_none() && plain.get("version").is_none());
    for (query, subject, version) in [
        (format!("/schemas/ids/{id}?subject=b"), "b", 1),
        (
            format!("/schemas/ids/{id}?subject=a&format=serialized"),
            "a",
            1,
        ),
        // A subject that does not carry the id: another carrier of its context.
        (format!("/schemas/ids/{id}?subject=zzz"), "a", 1),
        (format!("/schemas/ids/{id}?subject="), "a", 1),
        // Qualified subjects and the hunt's base URL (which adds `subject=:.h:`).
        (format!("/schemas/ids/{x_id}?subject=%3A.h%3Ax"), ":.h:x", 2),
        (format!("/schemas/ids/{x_id}?subject=%3A.h%3Ay"), ":.h:y", 1),
        (format!("/contexts/.h/schemas/ids/{x_id}"), ":.h:x", 2),
        (
            format!("/contexts/.h/schemas/ids/{x_id}?subject=y"),
            ":.h:y",
            1,
        ),
        // An unqualified subject finds its namesake in the id's hunt, as Confluent.
        (format!("/schemas/ids/{x_id}?subject=y"), ":.h:y", 1),
    ] {
        for _ in 0..2 {
            // Twice: the second answer is the pre-rendered one.
            let (status, body) = app.get(&query).await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            assert_eq!(
                (body["subject"].as_str(), body["version"].as_u64()),
                (Some(subject), Some(version)),
                "{query}"
            );
            assert_eq!(body["schemaType"], "PROTOBUF");
        }
    }
    // A soft-deleted carrier yields to a live one; a cached answer does not outlive the
    // delete.
    app.delete("/subjects/:.h:x/versions/2").await;
    let (_, body) = app.get(&format!("/contexts/.h/schemas/ids/{x_id}")).await;
    assert_eq!(
        (body["subject"].as_str(), body["version"].as_u64()),
        (Some(":.h:y"), Some(1))
    );
    let (_, body) = app
        .get(&format!("/schemas/ids/{x_id}?subject=%3A.h%3Ax"))
        .await;
    assert_eq!(
        (body["subject"].as_str(), body["version"].as_u64()),
        (Some(":.h:y"), Some(1))
    );
    // Registered again, the content is a new live version of x with the same id.
    assert_eq!(app.register_ok(":.h:x", ORDER_BAD).await, x_id);
    let (_, body) = app
        .get(&format!("/schemas/ids/{x_id}?subject=%3A.h%3Ax"))
        .await;
    assert_eq!(
        (body["subject"].as_str(), body["version"].as_u64()),
        (Some(":.h:x"), Some(3))
    );
}
