//! Properties over generated schemas: a schema checked against itself finds nothing with
//! any rule, and adding a field is never breaking for the CSR rules.

mod support;

use huntreg_compat::{check, classify, ChangeKind, Image, RuleSet, RULES};
use proptest::prelude::*;

const TYPES: &[&str] = &[
    "int32", "int64", "uint32", "string", "bytes", "bool", "double", "sint64", "fixed32", "Kind",
    "Inner",
];

/// A proto3 file with one message whose fields have the given types and labels.
fn render(fields: &[(usize, u8)], extra: Option<usize>) -> String {
    let mut out = String::from("syntax = \"proto3\";\npackage gen.v1;\nenum Kind {\n  KIND_UNSPECIFIED = 0;\n  KIND_ONE = 1;\n}\nmessage Inner {\n  string id = 1;\n}\nmessage Outer {\n");
    for (i, (ty, label)) in fields.iter().enumerate() {
        let ty = TYPES[*ty % TYPES.len()];
        let label = match label % 3 {
            0 => "",
            1 => "repeated ",
            _ => {
                if ty == "Inner" {
                    ""
                } else {
                    "optional "
                }
            }
        };
        out.push_str(&format!("  {label}{ty} f{i} = {};\n", i + 1));
    }
    if let Some(ty) = extra {
        out.push_str(&format!(
            "  {} added = {};\n",
            TYPES[ty % TYPES.len()],
            fields.len() + 1
        ));
    }
    out.push_str("}\nservice Svc {\n  rpc Get(Outer) returns (Inner);\n}\n");
    out
}

fn image(text: &str) -> Image {
    support::compile_text(&[("gen/v1/gen.proto", text)])
}

fn all_rules() -> RuleSet {
    let ids: Vec<&str> = RULES
        .iter()
        .filter(|r| !r.deprecated)
        .map(|r| r.id)
        .collect();
    RuleSet::from_ids(&ids).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_schema_checked_against_itself_finds_nothing(fields in prop::collection::vec((0usize..11, 0u8..3), 0..8)) {
        let text = render(&fields, None);
        let (a, b) = (image(&text), image(&text));
        let report = check(&a, &b, &all_rules());
        prop_assert!(report.is_empty(), "{:#?}", report.findings);
        prop_assert_eq!(classify(&a, &b), ChangeKind::Patch);
    }

    #[test]
    fn adding_a_field_is_minor(fields in prop::collection::vec((0usize..11, 0u8..3), 0..6), extra in 0usize..11) {
        let before = image(&render(&fields, None));
        let after = image(&render(&fields, Some(extra)));
        prop_assert!(check(&before, &after, &RuleSet::category(huntreg_compat::Category::Csr)).is_empty());
        prop_assert_eq!(classify(&before, &after), ChangeKind::Minor);
        prop_assert_eq!(classify(&after, &before), ChangeKind::Major);
    }
}
