//! Editions schemas in codegen: prost types with the same wire semantics through the exactly
//! equivalent proto3 or proto2 view, and a build failure naming the feature and its location
//! where no such view exists.

use std::path::Path;

use huntreg_codegen::{Builder, Lockfile};

#[test]
fn an_edition_2023_directory_generates_prost_types_with_its_presence_and_packing() {
    let files = Builder::new()
        .hunt("treasure")
        .generate_dir(Path::new("tests/fixtures/editions"))
        .unwrap();
    let code = &files[0].content;
    // Explicit presence (the edition default) is an Option; IMPLICIT is a plain field.
    assert!(
        code.contains("#[prost(int64, optional, tag = \"1\")]"),
        "{code}"
    );
    assert!(
        code.contains("pub score: ::core::option::Option<i64>"),
        "{code}"
    );
    assert!(code.contains("#[prost(string, tag = \"2\")]"), "{code}");
    assert!(
        code.contains("#[prost(enumeration = \"Method\", optional, tag = \"3\")]"),
        "{code}"
    );
    // PACKED is the edition default; EXPANDED is kept.
    assert!(
        code.contains("#[prost(int32, repeated, tag = \"4\")]"),
        "{code}"
    );
    assert!(
        code.contains("#[prost(sint64, repeated, packed = \"false\", tag = \"5\")]"),
        "{code}"
    );
}

fn lockfile(schemas: &[&str]) -> Lockfile {
    let mut yaml = String::from(
        "format: 1\nhunts:\n- hunt: h\n  subjects:\n  - subject: a.proto\n    versions:\n",
    );
    for (i, schema) in schemas.iter().enumerate() {
        let n = i + 1;
        yaml.push_str(&format!(
            "    - version: {n}\n      id: {n}\n      schema: {}\n",
            serde_json::to_string(schema).unwrap()
        ));
    }
    Lockfile::parse(&yaml).unwrap()
}

#[test]
fn a_proto3_history_continued_in_edition_2023_builds() {
    let lock = lockfile(&[
        "syntax = \"proto3\";\npackage p;\nmessage A {\n  string name = 1;\n  optional int32 level = 2;\n}\n",
        "edition = \"2023\";\npackage p;\noption features.field_presence = IMPLICIT;\nmessage A {\n  string name = 1;\n  int32 level = 2 [features.field_presence = EXPLICIT];\n  repeated string tags = 3;\n}\n",
    ]);
    let files = Builder::new().hunt("h").generate(&lock.hunts[0]).unwrap();
    let code = &files[0].content;
    assert!(
        code.contains("pub level: ::core::option::Option<i32>"),
        "{code}"
    );
    assert!(
        code.contains("#[prost(string, repeated, tag = \"3\")]"),
        "{code}"
    );
}

#[test]
fn an_editions_schema_without_an_exact_proto2_or_proto3_view_fails_naming_feature_and_location() {
    let lock = lockfile(&[
        "edition = \"2023\";\npackage p;\nenum E {\n  option features.enum_type = CLOSED;\n  E_ONE = 1;\n}\nmessage A {\n  E e = 1;\n  int32 n = 2 [features.field_presence = IMPLICIT];\n}\n",
    ]);
    let err = Builder::new()
        .hunt("h")
        .generate(&lock.hunts[0])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("this editions file has no proto2 or proto3 equivalent: features.field_presence = IMPLICIT on field 'n' needs proto3, but features.enum_type = CLOSED on enum 'E' needs proto2"),
        "{err}"
    );
    assert!(err.contains("line 9, column"), "{err}");
    assert!(
        err.starts_with("hunt h: subject a.proto version 1 (schema ID 1) does not compile"),
        "{err}"
    );
}
