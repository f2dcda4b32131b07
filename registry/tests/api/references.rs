//! References between schemas, well-known imports, `referencedby`, delete protection.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

const COMMON: &str =
    "syntax = \"proto3\";\npackage treasure;\n\nmessage Coin {\n  int64 value = 1;\n}\n";
const FOUND: &str = "syntax = \"proto3\";\npackage treasure;\n\nimport \"treasure/common.proto\";\nimport \"google/protobuf/timestamp.proto\";\n\nmessage Found {\n  Coin coin = 1;\n  google.protobuf.Timestamp at = 2;\n}\n";

async fn register_common(app: &TestApp) {
    let (status, body) = app
        .post(
            "/subjects/treasure%2Fcommon.proto/versions",
            json!({"schemaType": "PROTOBUF", "schema": COMMON}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn references_resolve_and_are_returned_as_registered() {
    let app = TestApp::spawn().await;
    register_common(&app).await;
    let reference = json!([{"name": "treasure/common.proto", "subject": "treasure/common.proto", "version": -1}]);
    let (status, body) = app
        .post(
            "/subjects/found-value/versions",
            json!({"schemaType": "PROTOBUF", "schema": FOUND, "references": reference}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["id"].as_u64().unwrap();
    let (_, by_id) = app.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(
        by_id["references"],
        json!([{"name": "treasure/common.proto", "subject": "treasure/common.proto", "version": 1}])
    );
    let (_, referrers) = app
        .get("/subjects/treasure%2Fcommon.proto/versions/1/referencedby")
        .await;
    assert_eq!(referrers, json!([id]));

    // The same schema sent as a descriptor (as serializers do) is the same schema.
    let b64 = descriptor_with_dep();
    let (_, body) = app
        .post(
            "/subjects/found-value/versions",
            json!({"schemaType": "PROTOBUF", "schema": b64, "references": [{"name": "treasure/common.proto", "subject": "treasure/common.proto", "version": 1}]}),
        )
        .await;
    assert_eq!(body["id"].as_u64(), Some(id), "{body}");

    // kafkajs looks the schema up without its references.
    let (status, body) = app
        .post(
            "/subjects/found-value",
            json!({"schemaType": "PROTOBUF", "schema": FOUND}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"].as_u64(), Some(id));

    // A referenced version cannot be deleted.
    let (status, body) = app
        .delete("/subjects/treasure%2Fcommon.proto/versions/1")
        .await;
    assert_error(status, &body, 422, 42206);
    let (status, body) = app.delete("/subjects/treasure%2Fcommon.proto").await;
    assert_error(status, &body, 422, 42206);
    // Once the referrer is soft-deleted, a soft delete is allowed, a permanent one is not.
    app.delete("/subjects/found-value").await;
    let (_, referrers) = app
        .get("/subjects/treasure%2Fcommon.proto/versions/1/referencedby")
        .await;
    assert_eq!(referrers, json!([]));
    let (status, _) = app
        .delete("/subjects/treasure%2Fcommon.proto/versions/1")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .delete("/subjects/treasure%2Fcommon.proto/versions/1?permanent=true")
        .await;
    assert_error(status, &body, 422, 42206);
}

#[tokio::test]
async fn imports_need_a_reference_unless_well_known() {
    let app = TestApp::spawn().await;
    register_common(&app).await;
    let (status, body) = app.register("found-value", FOUND).await;
    assert_error(status, &body, 422, 42201);
    let (status, body) = app
        .post(
            "/subjects/found-value/versions",
            json!({"schemaType": "PROTOBUF", "schema": FOUND, "references": [{"name": "treasure/common.proto", "subject": "treasure/common.proto", "version": 9}]}),
        )
        .await;
    assert_error(status, &body, 422, 42201);
    let (status, body) = app
        .post(
            "/subjects/found-value/versions",
            json!({"schemaType": "PROTOBUF", "schema": FOUND, "references": [{"name": "treasure/common.proto"}]}),
        )
        .await;
    assert_error(status, &body, 422, 42201);
    for wk in [
        "google/type/money.proto",
        "confluent/meta.proto",
        "confluent/type/decimal.proto",
        "google/protobuf/struct.proto",
    ] {
        let schema = format!("syntax = \"proto3\"; import \"{wk}\"; message W {{ int32 x = 1; }}");
        let (status, body) = app.register(&format!("wk-{wk}"), &schema).await;
        assert_eq!(status, StatusCode::OK, "{wk}: {body}");
    }
}

fn descriptor_with_dep() -> String {
    use base64::Engine;
    let texts = [
        ("treasure/found.proto".to_owned(), FOUND.to_owned()),
        ("treasure/common.proto".to_owned(), COMMON.to_owned()),
    ]
    .into_iter()
    .collect();
    let fd = huntreg_schema::compile_texts(std::sync::Arc::new(texts), &["treasure/found.proto"])
        .unwrap()
        .files
        .file
        .into_iter()
        .find(|f| f.name() == "treasure/found.proto")
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(prost::Message::encode_to_vec(&fd))
}

#[tokio::test]
async fn reference_format_qualified_qualifies_a_hunts_references() {
    let app = TestApp::spawn().await;
    let hunt = "/contexts/.hunt-1";
    for (prefix, name) in [(hunt, "found-value"), ("", "found-value")] {
        let (status, body) = app
            .post(
                &format!("{prefix}/subjects/treasure%2Fcommon.proto/versions"),
                json!({"schemaType": "PROTOBUF", "schema": COMMON}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let reference = json!([{"name": "treasure/common.proto", "subject": "treasure/common.proto", "version": 1}]);
        let (status, body) = app
            .post(
                &format!("{prefix}/subjects/{name}/versions"),
                json!({"schemaType": "PROTOBUF", "schema": FOUND, "references": reference}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, found) = app
        .get(&format!("{hunt}/subjects/found-value/versions/1"))
        .await;
    let hunt_id = found["id"].as_u64().unwrap();
    let (_, found) = app.get("/subjects/found-value/versions/1").await;
    let default_id = found["id"].as_u64().unwrap();
    let stored = json!([{"name": "treasure/common.proto", "subject": "treasure/common.proto", "version": 1}]);
    let qualified = json!([{"name": "treasure/common.proto", "subject": ":.hunt-1:treasure/common.proto", "version": 1}]);
    for (path, want) in [
        // As registered unless asked.
        (format!("{hunt}/subjects/found-value/versions/1"), &stored),
        (format!("{hunt}/schemas/ids/{hunt_id}"), &stored),
        // Qualified with the hunt of the schema's subject.
        (
            format!("{hunt}/subjects/found-value/versions/1?referenceFormat=qualified"),
            &qualified,
        ),
        (
            format!("{hunt}/schemas/ids/{hunt_id}?referenceFormat=qualified"),
            &qualified,
        ),
        (
            format!(
                "/schemas/ids/{hunt_id}?subject=%3A.hunt-1%3Afound-value&referenceFormat=qualified"
            ),
            &qualified,
        ),
        // Confluent qualifies only from the subject it resolved: none without `subject`.
        (
            format!("/schemas/ids/{hunt_id}?referenceFormat=qualified"),
            &stored,
        ),
        // Only the exact value, and only the camel-case name (Python's reference_format is
        // ignored, as in Confluent).
        (
            format!("{hunt}/subjects/found-value/versions/1?referenceFormat=QUALIFIED"),
            &stored,
        ),
        (
            format!("{hunt}/subjects/found-value/versions/1?reference_format=qualified"),
            &stored,
        ),
        // The default context's references are never qualified.
        (
            "/subjects/found-value/versions/1?referenceFormat=qualified".to_owned(),
            &stored,
        ),
        (
            format!("/schemas/ids/{default_id}?subject=found-value&referenceFormat=qualified"),
            &stored,
        ),
    ] {
        let (status, body) = app.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(&body["references"], want, "{path}");
    }
}
