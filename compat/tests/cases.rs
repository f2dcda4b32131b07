//! Data-driven rule cases: `tests/cases/<case>/{previous,current}/` hold a schema before and
//! after a change; each `case!` line runs one rule (or a named selection) on the pair and
//! snapshots the findings (file, span, rule, message) as YAML. When the real `buf` is
//! installed (`scripts/setup-tools`), every case is also checked against
//! `buf breaking --against` with the same rules: the rows must be identical.

mod support;

use std::path::Path;

use huntreg_compat::{check, ConfigVersion, RuleSet};

fn run(case: &str, version: ConfigVersion, rules: &[&str]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(case);
    let previous = dir.join("previous");
    let current = dir.join("current");
    let set = RuleSet::from_config(version, rules, &[]).expect("rules");
    let report = check(
        &support::compile_dir(&previous),
        &support::compile_dir(&current),
        &set,
    );
    let rows = support::rows(&report.findings);
    if let Some(buf) = support::buf() {
        let config = serde_json::json!({
            "version": version.as_str(),
            "breaking": { "use": rules },
        })
        .to_string();
        let expected = support::buf_rows(&buf, &previous, &current, &config);
        assert_eq!(
            rows, expected,
            "huntreg (left) and buf (right) disagree on {case}"
        );
    }
    insta::assert_yaml_snapshot!(case, rows);
}

/// `case!(rule_id)` runs rule `RULE_ID` (v2 config) on `tests/cases/rule_id`;
/// `case!(name, v1, ["ID", ...])` runs the listed IDs or categories with that config version.
macro_rules! case {
    ($name:ident) => {
        #[test]
        fn $name() {
            run(
                stringify!($name),
                ConfigVersion::V2,
                &[&stringify!($name).to_uppercase()],
            );
        }
    };
    ($name:ident, $version:ident, [$($rule:literal),+]) => {
        #[test]
        fn $name() {
            let version = match stringify!($version) {
                "v1beta1" => ConfigVersion::V1Beta1,
                "v1" => ConfigVersion::V1,
                _ => ConfigVersion::V2,
            };
            run(stringify!($name), version, &[$($rule),+]);
        }
    };
}

case!(enum_no_delete);
case!(enum_same_json_format);
case!(enum_same_type);
case!(enum_value_no_delete);
case!(enum_value_no_delete_unless_name_reserved);
case!(enum_value_no_delete_unless_number_reserved);
case!(enum_value_same_name);
case!(extension_message_no_delete);
case!(extension_no_delete);
case!(field_no_delete);
case!(field_no_delete_unless_name_reserved);
case!(field_no_delete_unless_number_reserved);
case!(field_same_cardinality);
case!(field_same_cpp_string_type);
case!(field_same_default);
case!(field_same_java_utf8_validation);
case!(field_same_json_name);
case!(field_same_jstype);
case!(field_same_name);
case!(field_same_oneof);
case!(field_same_type);
case!(field_same_utf8_validation);
case!(field_wire_compatible_cardinality);
case!(field_wire_compatible_type);
case!(field_wire_json_compatible_cardinality);
case!(field_wire_json_compatible_type);
case!(file_no_delete);
case!(file_same_cc_enable_arenas);
case!(file_same_cc_generic_services);
case!(file_same_csharp_namespace);
case!(file_same_go_package);
case!(file_same_java_generic_services);
case!(file_same_java_multiple_files);
case!(file_same_java_outer_classname);
case!(file_same_java_package);
case!(file_same_objc_class_prefix);
case!(file_same_optimize_for);
case!(file_same_package);
case!(file_same_php_class_prefix);
case!(file_same_php_metadata_namespace);
case!(file_same_php_namespace);
case!(file_same_py_generic_services);
case!(file_same_ruby_package);
case!(file_same_swift_prefix);
case!(file_same_syntax);
case!(message_no_delete);
case!(message_no_remove_standard_descriptor_accessor);
case!(message_same_json_format);
case!(message_same_required_fields);
case!(oneof_no_delete);
case!(package_enum_no_delete);
case!(package_extension_no_delete);
case!(package_message_no_delete);
case!(package_no_delete);
case!(package_service_no_delete);
case!(reserved_enum_no_delete);
case!(reserved_message_no_delete);
case!(rpc_no_delete);
case!(rpc_same_client_streaming);
case!(rpc_same_idempotency_level);
case!(rpc_same_request_type);
case!(rpc_same_response_type);
case!(rpc_same_server_streaming);
case!(service_no_delete);

// Deprecated IDs run their replacements, and findings carry the replacement IDs.
case!(field_same_ctype, v1, ["FIELD_SAME_CTYPE"]);
case!(field_same_label, v1, ["FIELD_SAME_LABEL"]);
case!(
    file_same_java_string_check_utf8,
    v1,
    ["FILE_SAME_JAVA_STRING_CHECK_UTF8"]
);

// Several rules at once.
case!(multi_wire_json, v2, ["WIRE_JSON"]);
case!(multi_file_default, v2, ["FILE", "PACKAGE"]);
case!(multi_nested_moves, v1, ["FILE"]);
case!(
    multi_map_entries,
    v2,
    [
        "FIELD_SAME_TYPE",
        "FIELD_WIRE_COMPATIBLE_TYPE",
        "FIELD_SAME_CARDINALITY"
    ]
);
case!(multi_edge_syntax, v2, ["FILE", "WIRE"]);
case!(multi_rpc_streaming, v2, ["WIRE"]);
case!(multi_json_name_order, v2, ["WIRE_JSON"]);
case!(multi_default_spelling, v2, ["FIELD_SAME_DEFAULT"]);
