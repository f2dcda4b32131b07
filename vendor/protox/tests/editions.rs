//! Editions files compile to the proto2 or proto3 descriptor with the same semantics, and the
//! checks protoc performs on features fail with located errors.

use std::collections::HashMap;

use miette::Diagnostic;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, Value};
use prost_types::{field_descriptor_proto::Type, FileDescriptorProto};
use protox::{
    file::{File, FileResolver, GoogleFileResolver},
    Compiler, Error,
};

struct Files(HashMap<String, File>);

impl FileResolver for Files {
    fn open_file(&self, name: &str) -> Result<File, Error> {
        match self.0.get(name) {
            Some(file) => Ok(file.clone()),
            None => GoogleFileResolver::new().open_file(name),
        }
    }
}

fn compile_files(files: Vec<(&str, File)>) -> Result<Vec<FileDescriptorProto>, Error> {
    let names: Vec<String> = files.iter().map(|(n, _)| (*n).to_owned()).collect();
    let resolver = Files(files.into_iter().map(|(n, f)| (n.to_owned(), f)).collect());
    let mut compiler = Compiler::with_file_resolver(resolver);
    compiler.include_source_info(false);
    compiler.open_files(&names)?;
    Ok(compiler.file_descriptor_set().file)
}

fn compile(sources: &[(&str, &str)]) -> Result<Vec<FileDescriptorProto>, Error> {
    compile_files(
        sources
            .iter()
            .map(|(n, s)| Ok((*n, File::from_source(n, s)?)))
            .collect::<Result<_, Error>>()?,
    )
}

fn one(source: &str) -> FileDescriptorProto {
    compile(&[("a.proto", source)]).unwrap().pop().unwrap()
}

/// `file:line:col: message`, as the registry and the CLI render a protox error.
fn located(err: &Error) -> String {
    let mut out = err.file().unwrap_or_default().to_owned();
    if let (Some(src), Some(label)) = (err.source_code(), err.labels().and_then(|mut l| l.next())) {
        let s = src.read_span(label.inner(), 0, 0).unwrap();
        out = format!("{out}:{}:{}", s.line() + 1, s.column() + 1);
    }
    format!("{out}: {err}")
}

fn err(source: &str) -> String {
    let e = compile(&[("a.proto", source)]).unwrap_err();
    located(&e)
}

#[test]
fn default_edition_2023_is_proto3_with_explicit_presence() {
    let file = one(r#"edition = "2023";
package p;
enum Color { RED = 0; BLUE = 1; }
message M {
  int32 a = 1;
  string b = 2;
  M child = 3;
  repeated int32 nums = 4;
  Color color = 5;
  oneof choice { int32 x = 6; }
}
"#);
    assert_eq!(file.syntax(), "proto3");
    let m = &file.message_type[0];
    let optional: Vec<(&str, bool)> = m
        .field
        .iter()
        .map(|f| (f.name(), f.proto3_optional()))
        .collect();
    assert_eq!(
        optional,
        [
            ("a", true),
            ("b", true),
            ("child", false),
            ("nums", false),
            ("color", true),
            ("x", false)
        ]
    );
    let oneofs: Vec<&str> = m.oneof_decl.iter().map(|o| o.name()).collect();
    assert_eq!(oneofs, ["choice", "_a", "_b", "_color"]);
}

#[test]
fn a_proto3_file_migrated_to_edition_2023_compiles_to_the_same_descriptor() {
    let proto3 = one(r#"syntax = "proto3";
package p;
enum Color { RED = 0; }
message M {
  int32 a = 1;
  optional string b = 2;
  repeated int64 c = 3 [packed = false];
  map<string, M> d = 4;
  Color e = 5;
}
"#);
    let edition = one(r#"edition = "2023";
package p;
option features.field_presence = IMPLICIT;
enum Color { RED = 0; }
message M {
  int32 a = 1;
  string b = 2 [features.field_presence = EXPLICIT];
  repeated int64 c = 3 [features.repeated_field_encoding = EXPANDED];
  map<string, M> d = 4;
  Color e = 5;
}
"#);
    assert_eq!(edition, proto3);
}

#[test]
fn a_proto2_file_migrated_to_edition_2023_compiles_to_the_same_descriptor() {
    let proto2 = one(r#"syntax = "proto2";
package p;
enum Color { RED = 1; }
message M {
  optional int32 a = 1 [default = 7];
  required string b = 2;
  repeated int32 c = 3 [packed = true];
  optional group Item = 4 { optional int32 x = 1; }
  optional Color color = 5;
  required Ref ref = 6;
  message Ref { optional int32 y = 1; }
  extensions 100 to 200;
}
extend M { optional int32 ext = 100; }
"#);
    let edition = one(r#"edition = "2023";
package p;
option features.field_presence = EXPLICIT;
option features.enum_type = CLOSED;
option features.repeated_field_encoding = EXPANDED;
option features.utf8_validation = NONE;
option features.json_format = LEGACY_BEST_EFFORT;
enum Color { RED = 1; }
message M {
  int32 a = 1 [default = 7];
  string b = 2 [features.field_presence = LEGACY_REQUIRED];
  repeated int32 c = 3 [features.repeated_field_encoding = PACKED];
  message Item { int32 x = 1; }
  Item item = 4 [features.message_encoding = DELIMITED];
  Color color = 5;
  Ref ref = 6 [features.field_presence = LEGACY_REQUIRED];
  message Ref { int32 y = 1; }
  extensions 100 to 200;
}
extend M { int32 ext = 100; }
"#);
    assert_eq!(edition, proto2);
    assert_eq!(edition.message_type[0].field[3].r#type(), Type::Group);
}

#[test]
fn edition_2024_accepts_visibility_and_option_imports() {
    let files = compile(&[
        (
            "opts.proto",
            r#"edition = "2024";
import "google/protobuf/descriptor.proto";
extend google.protobuf.MessageOptions { int32 level = 5000; }
"#,
        ),
        (
            "a.proto",
            r#"edition = "2024";
import option "opts.proto";
export message M { option (level) = 3; local enum E { A = 0; } E e = 1; }
"#,
        ),
    ])
    .unwrap();
    let a = files.iter().find(|f| f.name() == "a.proto").unwrap();
    assert_eq!(a.syntax(), "proto3");
    assert_eq!(a.dependency, ["opts.proto"]);
}

#[test]
fn features_inherit_through_messages_and_oneofs() {
    let file = one(r#"edition = "2023";
message Outer {
  option features.field_presence = IMPLICIT;
  message Inner { int32 a = 1; }
  int32 b = 2;
  Inner inner = 3;
}
message Other { int32 c = 1; }
"#);
    assert_eq!(file.syntax(), "proto3");
    assert!(!file.message_type[0].nested_type[0].field[0].proto3_optional());
    assert!(!file.message_type[0].field[0].proto3_optional());
    assert!(file.message_type[1].field[0].proto3_optional());
}

#[test]
fn imported_enums_keep_their_openness() {
    let files = compile(&[
        (
            "e.proto",
            "edition = \"2023\";\npackage q;\noption features.enum_type = CLOSED;\noption features.utf8_validation = NONE;\noption features.json_format = LEGACY_BEST_EFFORT;\nenum Closed { ONE = 1; }\n",
        ),
        (
            "a.proto",
            "edition = \"2023\";\nimport \"e.proto\";\noption features.field_presence = IMPLICIT;\nmessage M { q.Closed c = 1; }\n",
        ),
    ])
    .unwrap_err();
    assert_eq!(
        located(&files),
        "a.proto:4:13: implicit presence enum field 'c' must use an open enum"
    );
}

#[test]
fn grammar_and_feature_errors_are_located() {
    let cases: &[(&str, &str)] = &[
        (
            "edition = \"2023\";\nmessage M { optional int32 a = 1; }\n",
            "a.proto:2:13: label 'optional' is not allowed in editions",
        ),
        (
            "edition = \"2023\";\nmessage M { required int32 a = 1; }\n",
            "a.proto:2:13: label 'required' is not allowed in editions",
        ),
        (
            "edition = \"2023\";\nmessage M { repeated group G = 1 { int32 a = 1; } }\n",
            "a.proto:2:13: groups are not allowed in editions",
        ),
        (
            "edition = \"2025\";\n",
            "a.proto:1:11: unknown edition '2025'",
        ),
        (
            "edition = \"2023\";\nexport message M {}\n",
            "a.proto:2:1: symbol visibility ('export' or 'local') requires edition 2024",
        ),
        (
            "edition = \"2023\";\nmessage M {\n  M m = 1 [features.field_presence = IMPLICIT];\n}\n",
            "a.proto:3:3: message field 'm' can't specify implicit presence",
        ),
        (
            "edition = \"2023\";\nmessage M {\n  repeated int32 a = 1 [features.field_presence = EXPLICIT];\n}\n",
            "a.proto:3:3: repeated field 'a' can't specify field presence",
        ),
        (
            "edition = \"2023\";\nmessage M {\n  repeated int32 a = 1 [packed = true];\n}\n",
            "a.proto:3:3: field option 'packed' is not allowed in editions; use 'features.repeated_field_encoding'",
        ),
        (
            "edition = \"2023\";\nmessage M {\n  int32 a = 1 [features.utf8_validation = NONE];\n}\n",
            "a.proto:3:3: only string fields can specify utf8 validation, and 'a' is not one",
        ),
        (
            "edition = \"2023\";\nmessage M {\n  int32 a = 1 [features.message_encoding = DELIMITED];\n}\n",
            "a.proto:3:3: only message fields can specify message encoding, and 'a' is not one",
        ),
        (
            "edition = \"2023\";\noption features.field_presence = IMPLICIT;\nmessage M {\n  int32 a = 1 [default = 3];\n}\n",
            "a.proto:4:3: implicit presence field 'a' can't specify a default",
        ),
        (
            "edition = \"2023\";\nenum E { A = 1; }\n",
            "a.proto:2:10: the first value of open enum 'E' must be zero",
        ),
        (
            "edition = \"2023\";\noption features.field_presense = IMPLICIT;\n",
            "a.proto:2:1: unknown feature 'features.field_presense'",
        ),
        (
            "edition = \"2023\";\noption features.field_presence = OPTIONAL;\n",
            "a.proto:2:1: 'OPTIONAL' is not a value of 'features.field_presence' (expected one of EXPLICIT, IMPLICIT, LEGACY_REQUIRED)",
        ),
        (
            "edition = \"2023\";\nenum E { option features.enum_type = CLOSED; A = 0; }\nmessage M {\n  int32 a = 1 [features.field_presence = IMPLICIT];\n}\n",
            "a.proto:4:3: this editions file has no proto2 or proto3 equivalent: features.field_presence = IMPLICIT on field 'a' needs proto3, but features.enum_type = CLOSED on enum 'E' needs proto2",
        ),
    ];
    for (source, expected) in cases {
        let got = err(source);
        assert!(
            got.starts_with(expected),
            "{source}\n got: {got}\nwant: {expected}"
        );
    }
}

/// An editions `FileDescriptorProto` as a producer's protoc sends it, built from
/// `descriptor.proto`'s own fields (prost-types has no `edition` or `features`).
fn editions_descriptor() -> Vec<u8> {
    let pool = DescriptorPool::global();
    let file_desc = pool
        .get_message_by_name("google.protobuf.FileDescriptorProto")
        .unwrap();
    let json = serde_json::json!({
        "name": "b.proto",
        "package": "p",
        "syntax": "editions",
        "edition": "EDITION_2023",
        "options": { "features": { "fieldPresence": "IMPLICIT" } },
        "messageType": [{
            "name": "M",
            "field": [
                { "name": "a", "number": 1, "label": "LABEL_OPTIONAL", "type": "TYPE_INT32", "jsonName": "a" },
                { "name": "b", "number": 2, "label": "LABEL_OPTIONAL", "type": "TYPE_STRING", "jsonName": "b",
                  "options": { "features": { "fieldPresence": "EXPLICIT" } } }
            ]
        }]
    });
    let text = json.to_string();
    let mut de = serde_json::Deserializer::from_str(&text);
    let message = DynamicMessage::deserialize(file_desc, &mut de).unwrap();
    assert!(matches!(
        &*message.get_field_by_name("edition").unwrap(),
        Value::EnumNumber(1000)
    ));
    message.encode_to_vec()
}

#[test]
fn editions_descriptors_read_their_edition_and_features() {
    let file = File::decode_file_descriptor_proto(editions_descriptor().as_slice()).unwrap();
    let lowered = compile_files(vec![("b.proto", file)])
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(lowered.syntax(), "proto3");
    let fields: Vec<(&str, bool)> = lowered.message_type[0]
        .field
        .iter()
        .map(|f| (f.name(), f.proto3_optional()))
        .collect();
    assert_eq!(fields, [("a", false), ("b", true)]);
}

#[test]
fn the_compiler_reports_the_edition_each_file_declared() {
    let resolver = Files(
        [
            (
                "a.proto",
                File::from_source("a.proto", "edition = \"2024\";\nmessage A {}\n").unwrap(),
            ),
            (
                "b.proto",
                File::decode_file_descriptor_proto(editions_descriptor().as_slice()).unwrap(),
            ),
            (
                "c.proto",
                File::from_source("c.proto", "syntax = \"proto3\";\nmessage C {}\n").unwrap(),
            ),
        ]
        .into_iter()
        .map(|(n, f)| (n.to_owned(), f))
        .collect(),
    );
    let mut compiler = Compiler::with_file_resolver(resolver);
    compiler
        .open_files(["a.proto", "b.proto", "c.proto"])
        .unwrap();
    let editions: Vec<(&str, Option<i32>)> =
        compiler.files().map(|f| (f.name(), f.edition())).collect();
    assert_eq!(
        editions,
        [
            ("a.proto", Some(protox::editions::EDITION_2024)),
            ("b.proto", Some(protox::editions::EDITION_2023)),
            ("c.proto", None)
        ]
    );
    assert_eq!(
        protox::editions::encoded_edition(&editions_descriptor()),
        Some(protox::editions::EDITION_2023)
    );
    assert_eq!(protox::editions::encoded_edition(b"\x0a\x01a"), None);
    assert_eq!(protox::editions::encoded_edition(b"\xff"), None);
}
