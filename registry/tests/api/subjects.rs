//! Register, versions, latest, lookup, dedupe (text vs base64), schema types.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn register_then_read_back_by_version_latest_and_minus_one() {
    let app = TestApp::spawn().await;
    let (status, body) = app.register("orders-value", ORDER_V1).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        without_guid(&body),
        json!({"id": 1, "version": 1, "schemaType": "PROTOBUF"})
    );
    let id = app.register_ok("orders-value", ORDER_V2).await;
    assert_eq!(id, 2);

    let (_, versions) = app.get("/subjects/orders-value/versions").await;
    assert_eq!(versions, json!([1, 2]));
    for v in ["latest", "-1", "2"] {
        let (status, body) = app
            .get(&format!("/subjects/orders-value/versions/{v}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["version"], 2);
        assert_eq!(body["id"], 2);
        assert_eq!(body["subject"], "orders-value");
        assert_eq!(body["schemaType"], "PROTOBUF");
    }
    let (_, v1) = app.get("/subjects/orders-value/versions/1").await;
    assert_eq!(
        v1["schema"],
        "syntax = \"proto3\";\npackage shop;\n\nmessage Order {\n  string id = 1;\n  int64 qty = 2;\n}\n"
    );
    let (_, subjects) = app.get("/subjects").await;
    assert_eq!(subjects, json!(["orders-value"]));
}

#[tokio::test]
async fn equal_schemas_get_the_same_id_and_no_new_version() {
    let app = TestApp::spawn().await;
    let id = app.register_ok("a-value", ORDER_V1).await;
    // Same schema with other whitespace and comments.
    let reformatted = ORDER_V1
        .replace("// An order.\n", "/* x */")
        .replace("  ", "    ");
    assert_eq!(app.register_ok("a-value", &reformatted).await, id);
    // The base64 descriptor a serializer sends is the same schema.
    let b64 = descriptor_b64("shop/order.proto", ORDER_V1);
    let (status, body) = app
        .post(
            "/subjects/a-value/versions?normalize=False",
            json!({"schemaType": "PROTOBUF", "schema": b64, "references": []}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"].as_u64(), Some(id));
    assert_eq!(body["version"], 1);
    let (_, versions) = app.get("/subjects/a-value/versions").await;
    assert_eq!(versions, json!([1]));
    // Another subject reuses the id (same context), with its own version 1.
    let (_, other) = app.register("b-value", ORDER_V1).await;
    assert_eq!(
        without_guid(&other),
        json!({"id": id, "version": 1, "schemaType": "PROTOBUF"})
    );
}

#[tokio::test]
async fn lookup_finds_the_version_or_answers_40401_and_40403() {
    let app = TestApp::spawn().await;
    app.register_ok("s", ORDER_V1).await;
    app.register_ok("s", ORDER_V2).await;
    let (status, body) = app
        .post(
            "/subjects/s?normalize=False&deleted=False",
            json!({"schemaType": "PROTOBUF", "schema": ORDER_V1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["version"], 1);
    assert_eq!(body["id"], 1);
    assert_eq!(body["subject"], "s");
    assert_eq!(body["schemaType"], "PROTOBUF");
    let b64 = descriptor_b64("x.proto", ORDER_V2);
    let (_, body) = app
        .post(
            "/subjects/s",
            json!({"schemaType": "PROTOBUF", "schema": b64}),
        )
        .await;
    assert_eq!(body["version"], 2);

    let other = "syntax = \"proto3\"; message Other { int32 a = 1; }";
    let (status, body) = app
        .post(
            "/subjects/s",
            json!({"schemaType": "PROTOBUF", "schema": other}),
        )
        .await;
    assert_error(status, &body, 404, 40403);
    let (status, body) = app
        .post(
            "/subjects/nope",
            json!({"schemaType": "PROTOBUF", "schema": other}),
        )
        .await;
    assert_error(status, &body, 404, 40401);
}

#[tokio::test]
async fn normalize_makes_reordered_schemas_equal() {
    let app = TestApp::spawn().await;
    let a = "syntax = \"proto3\"; message M { string b = 2; string a = 1; }";
    let b = "syntax = \"proto3\"; message M { string a = 1; string b = 2; }";
    let id = app.register_ok("n", a).await;
    let (_, body) = app
        .post(
            "/subjects/n/versions?normalize=true",
            json!({"schemaType": "PROTOBUF", "schema": b}),
        )
        .await;
    assert_ne!(
        body["id"].as_u64(),
        Some(id),
        "without normalize at registration the forms differ"
    );
    let (_, body) = app
        .post(
            "/subjects/n?normalize=TRUE",
            json!({"schemaType": "PROTOBUF", "schema": a}),
        )
        .await;
    assert!(body["version"].is_u64(), "{body}");
}

/// A normalized lookup of versions stored unnormalized reads the subject's text index:
/// the index follows versions registered after it was built, answers the newest equal
/// version, and sees soft-deleted versions only with `deleted=true`.
#[tokio::test]
async fn normalized_lookups_follow_new_and_deleted_versions() {
    let app = TestApp::spawn().await;
    let lookup = |schema: &str| json!({"schemaType": "PROTOBUF", "schema": schema});
    let v1 = "syntax = \"proto3\"; message M { string b = 2; string a = 1; }";
    let v2 = "syntax = \"proto3\"; message M { int32 c = 3; string b = 2; string a = 1; }";
    let v2_sorted = "syntax = \"proto3\"; message M { string a = 1; string b = 2; int32 c = 3; }";
    app.register_ok("t", v1).await;
    let (status, body) = app
        .post("/subjects/t?normalize=true", lookup(v2_sorted))
        .await;
    assert_error(status, &body, 404, 40403);
    let id2 = app.register_ok("t", v2).await;
    let (status, body) = app
        .post("/subjects/t?normalize=true", lookup(v2_sorted))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["version"].clone(), body["id"].as_u64()),
        (json!(2), Some(id2))
    );
    // Without normalize the stored forms differ.
    let (status, body) = app.post("/subjects/t", lookup(v2_sorted)).await;
    assert_error(status, &body, 404, 40403);
    let (status, _) = app.delete("/subjects/t/versions/2").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post("/subjects/t?normalize=true", lookup(v2_sorted))
        .await;
    assert_error(status, &body, 404, 40403);
    let (status, body) = app
        .post("/subjects/t?normalize=true&deleted=true", lookup(v2_sorted))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
}

#[tokio::test]
async fn only_protobuf_is_served() {
    let app = TestApp::spawn().await;
    let (_, types) = app.get("/schemas/types").await;
    assert_eq!(types, json!(["PROTOBUF"]));
    // A missing schemaType means AVRO.
    let (status, body) = app
        .post(
            "/subjects/x/versions",
            json!({"schema": "{\"type\":\"string\"}"}),
        )
        .await;
    assert_error(status, &body, 422, 42201);
    assert!(body["message"].as_str().unwrap().contains("PROTOBUF"));
    let (status, body) = app
        .post(
            "/subjects/x/versions",
            json!({"schemaType": "JSON", "schema": "{}"}),
        )
        .await;
    assert_error(status, &body, 422, 42201);
    // The type is case-sensitive, as Confluent's provider lookup: a lower-case `protobuf`
    // is refused on every endpoint that takes a schema, and nothing is registered.
    let text = json!({"schemaType": "protobuf", "schema": ORDER_V1});
    for path in [
        "/subjects/x/versions",
        "/subjects/x",
        "/compatibility/subjects/x/versions/latest",
    ] {
        let (status, body) = app.post(path, text.clone()).await;
        assert_error(status, &body, 422, 42201);
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("Invalid schema type protobuf"),
            "{path}: {body}"
        );
    }
    let (status, body) = app.get("/subjects/x/versions").await;
    assert_error(status, &body, 404, 40401);
    let (status, _) = app
        .post(
            "/subjects/x/versions",
            json!({"schemaType": "PROTOBUF", "schema": ORDER_V1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn invalid_schemas_and_versions_are_422() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .register("x", "syntax = \"proto3\"; message M { Unknown u = 1; }")
        .await;
    assert_error(status, &body, 422, 42201);
    let (status, body) = app.register("x", "").await;
    assert_error(status, &body, 422, 42201);
    app.register_ok("x", ORDER_V1).await;
    for bad in ["0", "abc", "-2", "2147483648"] {
        let (status, body) = app.get(&format!("/subjects/x/versions/{bad}")).await;
        assert_error(status, &body, 422, 42202);
    }
    let (status, body) = app.get("/subjects/x/versions/7").await;
    assert_error(status, &body, 404, 40402);
    let (status, body) = app.get("/subjects/nope/versions/1").await;
    assert_error(status, &body, 404, 40401);
    let (status, body) = app.get("/subjects/nope/versions").await;
    assert_error(status, &body, 404, 40401);
    // An explicit version must be the next one outside IMPORT mode.
    let (status, body) = app
        .post(
            "/subjects/x/versions",
            json!({"schemaType": "PROTOBUF", "schema": ORDER_V2, "version": 5}),
        )
        .await;
    assert_error(status, &body, 422, 42201);
    // Reserved subject names are invalid.
    let (status, body) = app.register("__GLOBAL", ORDER_V1).await;
    assert_error(status, &body, 422, 42208);
}

#[tokio::test]
async fn messages_keep_their_order_and_come_before_enums() {
    let app = TestApp::spawn().await;
    let src = "syntax = \"proto3\"; enum Kind { A = 0; } message Zeta { Kind k = 1; } message Alpha { int32 x = 1; }";
    let id = app.register_ok("ordered", src).await;
    let (_, body) = app.get(&format!("/schemas/ids/{id}")).await;
    let text = body["schema"].as_str().unwrap();
    let (z, a, e) = (
        text.find("message Zeta").unwrap(),
        text.find("message Alpha").unwrap(),
        text.find("enum Kind").unwrap(),
    );
    assert!(z < a && a < e, "{text}");
}

#[tokio::test]
async fn hostile_inputs_are_client_errors() {
    use base64::Engine;
    let app = TestApp::spawn().await;
    // A descriptor whose field type resolves nowhere.
    let fd = prost_types::FileDescriptorProto {
        name: Some("x.proto".into()),
        message_type: vec![prost_types::DescriptorProto {
            name: Some("M".into()),
            field: vec![prost_types::FieldDescriptorProto {
                name: Some("f".into()),
                number: Some(1),
                r#type: Some(prost_types::field_descriptor_proto::Type::Message as i32),
                type_name: Some(".nowhere.T".into()),
                ..Default::default()
            }],
            reserved_range: vec![prost_types::descriptor_proto::ReservedRange {
                start: Some(i32::MAX),
                end: Some(i32::MIN),
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let b64 = base64::engine::general_purpose::STANDARD.encode(prost::Message::encode_to_vec(&fd));
    for schema in [
        b64.as_str(),
        "AAAA",
        "message {",
        "syntax = \"proto4\";",
        "\u{0}\u{1}",
    ] {
        let (status, body) = app.register("h", schema).await;
        assert_error(status, &body, 422, 42201);
    }
}

#[tokio::test]
async fn latest_with_metadata_matches_no_version_without_stored_metadata() {
    let app = TestApp::spawn().await;
    // Confluent matches only versions that carry metadata properties; huntreg stores none.
    app.register_ok("s", ORDER_V1).await;
    for query in [
        "",
        "?key=owner&value=team-a",
        "?key=a&key=b&value=1&value=2&deleted=true",
    ] {
        let (status, body) = app.get(&format!("/subjects/s/metadata{query}")).await;
        assert_error(status, &body, 404, 40403);
        assert_eq!(body["message"], "Schema not found", "{query}");
    }
    let (status, body) = app.get("/subjects/missing/metadata?key=a&value=b").await;
    assert_error(status, &body, 404, 40401);
    app.delete("/subjects/s").await;
    let (status, body) = app.get("/subjects/s/metadata").await;
    assert_error(status, &body, 404, 40401);
    let (status, body) = app.get("/subjects/s/metadata?deleted=true").await;
    assert_error(status, &body, 404, 40403);
    // No fallback from the default context into a hunt.
    app.register_ok(":.h:t", ORDER_V1).await;
    let (status, body) = app.get("/subjects/t/metadata").await;
    assert_error(status, &body, 404, 40401);
    let (status, body) = app.get("/contexts/.h/subjects/t/metadata").await;
    assert_error(status, &body, 404, 40403);
}

/// A comment or a string of many non-ASCII characters registers like any other schema:
/// lexing one once overflowed the stack and took the server down.
#[tokio::test]
async fn long_non_ascii_comments_and_strings_register() {
    let app = TestApp::spawn().await;
    let run = "é".repeat(20_000);
    let schema = format!(
        "syntax = \"proto3\";\npackage q;\noption go_package = \"{run}\";\n// {run}\nmessage M {{\n  string a = 1;\n}}\n"
    );
    let (status, body) = app.register("long-text", &schema).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, text) = app.get("/subjects/long-text/versions/1/schema").await;
    assert_eq!(status, StatusCode::OK);
    // The canonical text writes the string's bytes as octal escapes.
    let escaped = "\\303\\251".repeat(20_000);
    assert!(text.as_str().unwrap().contains(&escaped), "{text}");
}
