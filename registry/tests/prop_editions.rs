//! Property tests of editions schemas in the registry's canonical form: an edition 2023 or
//! 2024 file is printed in its edition, compiles to exactly the descriptor of the proto3 or
//! proto2 file with the same resolved features (the pool's form of an editions file, which
//! carries every resolved feature: presence, enum openness, packing, UTF-8 checks, JSON
//! format), and its canonical text compiles back to the same text and the same descriptor.

use huntreg_registry::schema::{prepare, DepFiles, Input};
use proptest::prelude::*;

/// (type, packable, is_message)
const TYPES: &[(&str, bool, bool)] = &[
    ("int32", true, false),
    ("sint64", true, false),
    ("string", false, false),
    ("bytes", false, false),
    ("double", true, false),
    ("Kind", true, false),
    ("Top", false, true),
    ("google.protobuf.Timestamp", false, true),
];

#[derive(Debug, Clone, Copy)]
enum Shape {
    Singular,
    /// Singular with the presence opposite to the file's.
    Flipped,
    Repeated,
    /// Repeated with `repeated_field_encoding = EXPANDED` (packable types only).
    Expanded,
    Oneof,
    Map,
}

fn shape() -> impl Strategy<Value = Shape> {
    prop::sample::select(vec![
        Shape::Singular,
        Shape::Flipped,
        Shape::Repeated,
        Shape::Expanded,
        Shape::Oneof,
        Shape::Map,
    ])
}

/// The same schema twice: in edition form and in its proto3 (or, with `proto2_form`, proto2)
/// equivalent.
fn schemas() -> impl Strategy<Value = (String, String)> {
    (
        any::<bool>(),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.3),
        prop::collection::vec((0..TYPES.len(), shape()), 1..8),
    )
        .prop_map(|(implicit_file, edition_2024, proto2_form, fields)| {
            // Implicit presence has no proto2 form.
            let implicit_file = implicit_file && !proto2_form;
            let mut ed = format!(
                "edition = \"{}\";\npackage hunt.v1;\nimport \"google/protobuf/timestamp.proto\";\n",
                if edition_2024 { "2024" } else { "2023" }
            );
            if implicit_file {
                ed.push_str("option features.field_presence = IMPLICIT;\n");
            }
            if proto2_form {
                // A proto2 file migrated to an edition.
                ed.push_str(
                    "option features.enum_type = CLOSED;\noption features.utf8_validation = NONE;\n\
                     option features.json_format = LEGACY_BEST_EFFORT;\n",
                );
            }
            let mut p3 = format!(
                "syntax = \"{}\";\npackage hunt.v1;\nimport \"google/protobuf/timestamp.proto\";\n",
                if proto2_form { "proto2" } else { "proto3" }
            );
            let enum_text = "enum Kind {\n  KIND_UNSPECIFIED = 0;\n  KIND_GOLD = 1;\n}\n";
            ed.push_str(enum_text);
            p3.push_str(enum_text);
            let (mut ed_fields, mut p3_fields) = (String::new(), String::new());
            let (mut ed_oneof, mut p3_oneof) = (String::new(), String::new());
            for (i, (t, shape)) in fields.into_iter().enumerate() {
                let (ty, packable, is_message) = TYPES[t];
                let n = i + 1;
                let name = format!("f{n}");
                match shape {
                    Shape::Flipped if proto2_form => {
                        // The one presence proto2 adds: required.
                        ed_fields.push_str(&format!(
                            "  {ty} {name} = {n} [features.field_presence = LEGACY_REQUIRED];\n"
                        ));
                        p3_fields.push_str(&format!("  required {ty} {name} = {n};\n"));
                    }
                    Shape::Singular | Shape::Flipped => {
                        let flip = matches!(shape, Shape::Flipped) && !is_message;
                        let explicit = !is_message && (implicit_file == flip);
                        let option = if flip {
                            if implicit_file {
                                " [features.field_presence = EXPLICIT]"
                            } else {
                                " [features.field_presence = IMPLICIT]"
                            }
                        } else {
                            ""
                        };
                        ed_fields.push_str(&format!("  {ty} {name} = {n}{option};\n"));
                        let label = if explicit || proto2_form { "optional " } else { "" };
                        p3_fields.push_str(&format!("  {label}{ty} {name} = {n};\n"));
                    }
                    Shape::Repeated => {
                        ed_fields.push_str(&format!("  repeated {ty} {name} = {n};\n"));
                        // Packed is the editions default; proto2's is expanded.
                        let packed = if proto2_form && packable { " [packed = true]" } else { "" };
                        p3_fields.push_str(&format!("  repeated {ty} {name} = {n}{packed};\n"));
                    }
                    Shape::Expanded if packable => {
                        ed_fields.push_str(&format!(
                            "  repeated {ty} {name} = {n} [features.repeated_field_encoding = EXPANDED];\n"
                        ));
                        let packed = if proto2_form { "" } else { " [packed = false]" };
                        p3_fields.push_str(&format!("  repeated {ty} {name} = {n}{packed};\n"));
                    }
                    Shape::Expanded | Shape::Oneof => {
                        ed_oneof.push_str(&format!("    {ty} {name} = {n};\n"));
                        p3_oneof.push_str(&format!("    {ty} {name} = {n};\n"));
                    }
                    Shape::Map => {
                        ed_fields.push_str(&format!("  map<string, {ty}> {name} = {n};\n"));
                        p3_fields.push_str(&format!("  map<string, {ty}> {name} = {n};\n"));
                    }
                }
            }
            for (out, fields, oneof) in [
                (&mut ed, ed_fields, ed_oneof),
                (&mut p3, p3_fields, p3_oneof),
            ] {
                out.push_str("message Top {\n");
                out.push_str(&fields);
                if !oneof.is_empty() {
                    out.push_str("  oneof choice {\n");
                    out.push_str(&oneof);
                    out.push_str("  }\n");
                }
                out.push_str("}\n");
            }
            (ed, p3)
        })
}

/// The canonical text and the served descriptor of `text`.
fn canonical(text: &str) -> Result<(String, Vec<u8>), String> {
    let prepared = prepare(
        &Input::Text(text.to_owned()),
        "hunt.proto",
        &DepFiles::default(),
        &[],
        false,
    )?;
    Ok((prepared.canonical, prepared.descriptor))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn an_editions_schema_prints_in_its_edition_and_compiles_back((edition, equivalent) in schemas()) {
        let (from_edition, descriptor) = canonical(&edition)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{edition}")))?;
        let (from_equivalent, equivalent_descriptor) = canonical(&equivalent)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{equivalent}")))?;
        // Same resolved features as the proto3 or proto2 file: the same descriptor.
        let decode = |b: &[u8]| <prost_types::FileDescriptorProto as prost::Message>::decode(b).unwrap();
        prop_assert_eq!(decode(&descriptor), decode(&equivalent_descriptor));
        prop_assert!(
            descriptor == equivalent_descriptor,
            "edition:\n{}\nequivalent:\n{}", edition, equivalent
        );
        // Printed in its own edition, so another schema than the proto2 or proto3 file.
        let declared = edition.lines().next().unwrap();
        prop_assert_eq!(from_edition.lines().next(), Some(declared));
        prop_assert_ne!(&from_edition, &from_equivalent);
        prop_assert!(!from_edition.contains("optional") && !from_edition.contains("required"));
        // The canonical text compiles back to the same text and the same descriptor.
        let (again, again_descriptor) = canonical(&from_edition)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{from_edition}")))?;
        prop_assert_eq!(&again, &from_edition);
        prop_assert!(again_descriptor == descriptor, "{}", from_edition);
    }
}
