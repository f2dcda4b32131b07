//! Property tests of the compatibility engine over generated schemas: a schema is
//! compatible with itself under every category and level, and `FULL[_TRANSITIVE]` reports
//! exactly what `BACKWARD[_TRANSITIVE]` and `FORWARD[_TRANSITIVE]` report together.

use std::collections::BTreeSet;

use huntreg_compat::{check, check_level, Category, Direction, Image, Level, Report, RuleSet};
use proptest::prelude::*;
mod support;

/// A generated message: fields by number, nested messages.
#[derive(Debug, Clone)]
struct Msg {
    fields: Vec<Field>,
    nested: Vec<Msg>,
}

#[derive(Debug, Clone)]
struct Field {
    number: u32,
    name: usize,
    ty: usize,
    repeated: bool,
    oneof: bool,
}

/// Types a field may have: scalars, the file's enum, and the top-level messages.
const TYPES: &[&str] = &[
    "int32", "int64", "uint32", "sint64", "string", "bytes", "bool", "double", "fixed32", "E",
    "M0", "M1",
];
const NAMES: &[&str] = &["id", "name", "amount", "kind", "payload", "when"];

fn field() -> impl Strategy<Value = Field> {
    (
        1u32..8,
        0..NAMES.len(),
        0..TYPES.len(),
        any::<bool>(),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(number, name, ty, repeated, oneof)| Field {
            number,
            name,
            ty,
            repeated,
            oneof,
        })
}

fn message(depth: u32) -> BoxedStrategy<Msg> {
    let fields = prop::collection::vec(field(), 0..5);
    if depth == 0 {
        fields
            .prop_map(|fields| Msg {
                fields,
                nested: Vec::new(),
            })
            .boxed()
    } else {
        (fields, prop::collection::vec(message(depth - 1), 0..2))
            .prop_map(|(fields, nested)| Msg { fields, nested })
            .boxed()
    }
}

/// A whole file: two top-level messages, an enum with some values, a package.
fn schema() -> impl Strategy<Value = String> {
    (
        message(2),
        message(1),
        prop::collection::btree_set(1i32..5, 0..4),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(m0, m1, values, other_package)| {
            let package = if other_package { "hunt.v2" } else { "hunt.v1" };
            let mut out = format!("syntax = \"proto3\";\npackage {package};\n\n");
            render("M0", &m0, 0, &mut out);
            render("M1", &m1, 0, &mut out);
            out.push_str("enum E {\n  E_UNSPECIFIED = 0;\n");
            for v in values {
                out.push_str(&format!("  E_{v} = {v};\n"));
            }
            out.push_str("}\n");
            out
        })
}

fn render(name: &str, msg: &Msg, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    out.push_str(&format!("{pad}message {name} {{\n"));
    let mut numbers = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut oneof = Vec::new();
    for f in &msg.fields {
        let fname = format!("{}_{}", NAMES[f.name], f.number % 3);
        if !numbers.insert(f.number) || !names.insert(fname.clone()) {
            continue;
        }
        let line = format!("{} {fname} = {};", TYPES[f.ty], f.number);
        if f.oneof && !f.repeated {
            oneof.push(line);
        } else if f.repeated {
            out.push_str(&format!("{pad}  repeated {line}\n"));
        } else {
            out.push_str(&format!("{pad}  {line}\n"));
        }
    }
    if !oneof.is_empty() {
        out.push_str(&format!("{pad}  oneof choice {{\n"));
        for line in oneof {
            out.push_str(&format!("{pad}    {line}\n"));
        }
        out.push_str(&format!("{pad}  }}\n"));
    }
    for (i, nested) in msg.nested.iter().enumerate() {
        render(&format!("N{i}"), nested, indent + 1, out);
    }
    out.push_str(&format!("{pad}}}\n"));
}

fn image(text: &str) -> Image {
    support::compile_one("hunt.proto", text, true)
        .unwrap_or_else(|e| panic!("generated schema does not compile: {e}\n{text}"))
}

/// A level report as a comparable set of (against, direction, report).
fn pairs(
    level: Level,
    new: &Image,
    history: &[&Image],
    rules: &RuleSet,
) -> Vec<(usize, bool, Report)> {
    let mut out: Vec<_> = check_level(level, new, history, rules)
        .pairs
        .into_iter()
        .map(|p| (p.against, p.direction == Direction::Backward, p.report))
        .collect();
    out.sort_by_key(|(against, backward, _)| (*against, *backward));
    out
}

fn union(
    mut a: Vec<(usize, bool, Report)>,
    b: Vec<(usize, bool, Report)>,
) -> Vec<(usize, bool, Report)> {
    a.extend(b);
    a.sort_by_key(|(against, backward, _)| (*against, *backward));
    a
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_schema_is_compatible_with_itself(text in schema()) {
        let img = image(&text);
        for category in Category::ALL {
            let report = check(&img, &img, &RuleSet::category(category));
            prop_assert!(report.is_empty(), "{:?} found {:?} in\n{}", category, report, text);
        }
        for level in Level::ALL {
            let report = check_level(level, &img, &[&img, &img], &RuleSet::category(Category::Csr));
            prop_assert!(report.is_compatible(), "{} found {:?}", level, report);
        }
    }

    #[test]
    fn full_is_backward_and_forward(old in schema(), new in schema()) {
        let (old, new) = (image(&old), image(&new));
        for category in [Category::Csr, Category::Wire, Category::File] {
            let rules = RuleSet::category(category);
            let history = [&old];
            prop_assert_eq!(
                pairs(Level::Full, &new, &history, &rules),
                union(pairs(Level::Backward, &new, &history, &rules), pairs(Level::Forward, &new, &history, &rules))
            );
        }
    }

    #[test]
    fn full_transitive_is_backward_and_forward_transitive(a in schema(), b in schema(), new in schema()) {
        let (a, b, new) = (image(&a), image(&b), image(&new));
        let rules = RuleSet::category(Category::Csr);
        let history = [&a, &b];
        let full = pairs(Level::FullTransitive, &new, &history, &rules);
        prop_assert_eq!(
            &full,
            &union(
                pairs(Level::BackwardTransitive, &new, &history, &rules),
                pairs(Level::ForwardTransitive, &new, &history, &rules)
            )
        );
        // The non-transitive level checks the latest only: a subset of the transitive one.
        for pair in pairs(Level::Full, &new, &history, &rules) {
            prop_assert!(full.contains(&pair));
        }
    }
}

/// The properties above compare non-empty reports: a changed field type breaks both ways.
#[test]
fn generated_pairs_do_find_breaks() {
    let old = image("syntax = \"proto3\";\npackage hunt.v1;\nmessage M0 { int32 id_1 = 1; }\nmessage M1 {}\nenum E { E_UNSPECIFIED = 0; }\n");
    let new = image("syntax = \"proto3\";\npackage hunt.v1;\nmessage M0 { string id_1 = 1; }\nmessage M1 {}\nenum E { E_UNSPECIFIED = 0; }\n");
    let rules = RuleSet::category(Category::Csr);
    let full = pairs(Level::Full, &new, &[&old], &rules);
    assert_eq!(
        full.iter()
            .map(|(_, backward, _)| *backward)
            .collect::<Vec<_>>(),
        [false, true]
    );
}
