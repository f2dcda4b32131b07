//! Protobuf editions through the API: editions text and editions descriptors register, are
//! served as text in their edition (and, to `format=serialized`, as the exactly equivalent
//! proto2 or proto3 descriptor), are found again by a lookup, and are checked like any
//! schema.

use base64::Engine;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

const PROTO3: &str = r#"syntax = "proto3";
package hunt.v1;
enum Kind { KIND_UNSPECIFIED = 0; KIND_GOLD = 1; }
message Found {
  string player = 1;
  optional int64 score = 2;
  Kind kind = 3;
  repeated int32 clues = 4;
}
"#;

/// `PROTO3` migrated to edition 2023 as `buf` and prototiller do it.
const EDITION_2023: &str = r#"edition = "2023";
package hunt.v1;
option features.field_presence = IMPLICIT;
enum Kind { KIND_UNSPECIFIED = 0; KIND_GOLD = 1; }
message Found {
  string player = 1;
  int64 score = 2 [features.field_presence = EXPLICIT];
  Kind kind = 3;
  repeated int32 clues = 4;
}
"#;

/// Then to edition 2024, with a visibility keyword.
const EDITION_2024: &str = r#"edition = "2024";
package hunt.v1;
option features.field_presence = IMPLICIT;
export enum Kind { KIND_UNSPECIFIED = 0; KIND_GOLD = 1; }
export message Found {
  string player = 1;
  int64 score = 2 [features.field_presence = EXPLICIT];
  Kind kind = 3;
  repeated int32 clues = 4;
}
"#;

/// `EDITION_2023` as the registry prints it: each feature on the element it differs on.
const EDITION_2023_CANONICAL: &str = r#"edition = "2023";
package hunt.v1;

message Found {
  string player = 1 [features.field_presence = IMPLICIT];
  int64 score = 2;
  .hunt.v1.Kind kind = 3 [features.field_presence = IMPLICIT];
  repeated int32 clues = 4;
}
enum Kind {
  KIND_UNSPECIFIED = 0;
  KIND_GOLD = 1;
}
"#;

#[tokio::test]
async fn a_proto3_subject_migrated_to_edition_2023_then_2024_gets_a_version_in_each_edition() {
    let app = TestApp::spawn().await;
    let id = app.register_ok("found-value", PROTO3).await;
    // The same resolved features (so a compatible change), in another edition: a new schema.
    let id_2023 = app.register_ok("found-value", EDITION_2023).await;
    let id_2024 = app.register_ok("found-value", EDITION_2024).await;
    assert!(
        id != id_2023 && id_2023 != id_2024,
        "{id} {id_2023} {id_2024}"
    );
    let (_, versions) = app.get("/subjects/found-value/versions").await;
    assert_eq!(versions, json!([1, 2, 3]));
    // Each is served in its own edition.
    let (_, v2) = app.get("/subjects/found-value/versions/2").await;
    assert_eq!(v2["schema"], EDITION_2023_CANONICAL);
    let (_, v3) = app.get("/subjects/found-value/versions/3").await;
    let v3 = v3["schema"].as_str().unwrap();
    assert_eq!(
        v3,
        EDITION_2023_CANONICAL.replace("edition = \"2023\"", "edition = \"2024\"")
    );
    // Registering the served text again, or looking up either form, finds the version.
    assert_eq!(
        app.register_ok("found-value", EDITION_2023_CANONICAL).await,
        id_2023
    );
    for (schema, version) in [
        (EDITION_2023, 2),
        (EDITION_2023_CANONICAL, 2),
        (EDITION_2024, 3),
    ] {
        for normalize in ["false", "true"] {
            let (status, found) = app
                .post(
                    &format!("/subjects/found-value?normalize={normalize}"),
                    json!({"schemaType": "PROTOBUF", "schema": schema}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{found}");
            assert_eq!(found["version"], version, "normalize={normalize}: {found}");
        }
    }
    // `format=serialized`: the proto3 descriptor with the same semantics.
    let (_, served) = app
        .get(&format!("/schemas/ids/{id_2023}?format=serialized"))
        .await;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(served["schema"].as_str().unwrap())
        .unwrap();
    let (_, served_proto3) = app
        .get(&format!("/schemas/ids/{id}?format=serialized"))
        .await;
    assert_eq!(served["schema"], served_proto3["schema"]);
    let file = prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(file.syntax(), "proto3");
}

#[tokio::test]
async fn an_editions_type_change_is_refused_with_its_location() {
    let app = TestApp::spawn().await;
    app.register_ok("found-value", EDITION_2023).await;
    // A presence change is a FILE-category finding in buf, not CSR: it registers.
    let presence = EDITION_2023.replace(
        "int64 score = 2 [features.field_presence = EXPLICIT];",
        "int64 score = 2;",
    );
    app.register_ok("found-value", &presence).await;
    let retyped = presence.replace("int64 score = 2;", "string score = 2;");
    let (status, body) = app.register("found-value", &retyped).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("FIELD_SAME_TYPE"), "{message}");
    assert!(message.contains("found-value.proto:7:3"), "{message}");
}

#[tokio::test]
async fn editions_errors_are_422_at_file_line_col() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .register(
            "bad-value",
            "edition = \"2023\";\nmessage M {\n  optional int32 a = 1;\n}\n",
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("bad-value.proto:3:3: label 'optional' is not allowed in editions"),
        "{message}"
    );
    let mixed = "edition = \"2023\";\nenum E { option features.enum_type = CLOSED; A = 0; }\nmessage M {\n  int32 a = 1 [features.field_presence = IMPLICIT];\n}\n";
    let (status, body) = app.register("bad-value", mixed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message
            .contains("bad-value.proto:4:3: this editions file has no proto2 or proto3 equivalent"),
        "{message}"
    );
}

/// An edition 2023 descriptor as protoc 27+ writes it (`syntax = "editions"`, `edition`,
/// `features` in options), built from descriptor.proto's own fields.
fn editions_descriptor() -> String {
    let file = DescriptorPool::global()
        .get_message_by_name("google.protobuf.FileDescriptorProto")
        .unwrap();
    let text = r#"
        name: "found.proto" package: "hunt.v1" syntax: "editions" edition: EDITION_2023
        options { features { field_presence: IMPLICIT } }
        enum_type { name: "Kind"
          value { name: "KIND_UNSPECIFIED" number: 0 } value { name: "KIND_GOLD" number: 1 } }
        message_type { name: "Found"
          field { name: "player" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "player" }
          field { name: "score" number: 2 label: LABEL_OPTIONAL type: TYPE_INT64 json_name: "score"
                  options { features { field_presence: EXPLICIT } } }
          field { name: "kind" number: 3 label: LABEL_OPTIONAL type: TYPE_ENUM type_name: ".hunt.v1.Kind" json_name: "kind" }
          field { name: "clues" number: 4 label: LABEL_REPEATED type: TYPE_INT32 json_name: "clues" } }
    "#;
    let message = DynamicMessage::parse_text_format(file, text).unwrap();
    base64::engine::general_purpose::STANDARD.encode(message.encode_to_vec())
}

#[tokio::test]
async fn an_editions_descriptor_registers_as_its_text_does() {
    let app = TestApp::spawn().await;
    let id = app.register_ok("found-value", EDITION_2023).await;
    assert_eq!(
        app.register_ok("found-value", &editions_descriptor()).await,
        id
    );
    let (_, schema) = app.get(&format!("/schemas/ids/{id}/schema")).await;
    assert_eq!(schema, EDITION_2023_CANONICAL);
}
