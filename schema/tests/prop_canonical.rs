//! Property tests of the registry's canonical form over generated schemas: canonicalising
//! is idempotent, and a schema sent as base64 descriptor canonicalises like its text.

use huntreg_schema::{prepare, DepFiles, Input};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Msg {
    fields: Vec<(u32, usize, usize, u8)>,
    nested: Vec<Msg>,
    reserved: Vec<u32>,
    deprecated: bool,
    /// Declaration layout: bit 0 puts nested messages before fields, bit 1 the oneof first.
    layout: u8,
}

const TYPES: &[&str] = &[
    "int32",
    "uint64",
    "sint32",
    "string",
    "bytes",
    "bool",
    "float",
    "sfixed64",
    "Kind",
    "google.protobuf.Timestamp",
    "Top",
    "map<string, int64>",
    "map<int32, Top>",
];
const NAMES: &[&str] = &["id", "name", "total_amount", "kind", "payload", "createdAt"];

fn message(depth: u32) -> BoxedStrategy<Msg> {
    let fields = prop::collection::vec((1u32..40, 0..NAMES.len(), 0..TYPES.len(), 0u8..4), 0..6);
    let reserved = prop::collection::vec(40u32..60, 0..3);
    let nested = if depth == 0 {
        Just(Vec::new()).boxed()
    } else {
        prop::collection::vec(message(depth - 1), 0..3).boxed()
    };
    (fields, nested, reserved, prop::bool::weighted(0.2), 0u8..4)
        .prop_map(|(fields, nested, reserved, deprecated, layout)| Msg {
            fields,
            nested,
            reserved,
            deprecated,
            layout,
        })
        .boxed()
}

/// Enum reserved ranges, including the edges (`max`, beyond the field-number maximum, negative).
const ENUM_RESERVED: &[&str] = &[
    "",
    "  reserved 10 to 20;\n",
    "  reserved 100 to max;\n",
    "  reserved 600000000 to 700000000;\n",
    "  reserved -5 to -1, 30;\n",
    "  reserved \"OLD\", \"GONE\";\n",
];

fn schema() -> impl Strategy<Value = String> {
    (
        prop::sample::select(ENUM_RESERVED),
        message(2),
        prop::collection::btree_set(1i32..6, 0..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(reserved, top, values, comments, service)| {
            let mut out = String::from("syntax = \"proto3\";\n");
            if comments {
                out.push_str("// The hunt's events.\n");
            }
            out.push_str("package hunt.v1;\n\nimport \"google/protobuf/timestamp.proto\";\n\n");
            out.push_str("option java_package = \"com.example.hunt\";\n\n");
            render("Top", &top, 0, comments, &mut out);
            out.push_str("enum Kind {\n  KIND_UNSPECIFIED = 0;\n");
            out.push_str(reserved);
            for v in values {
                out.push_str(&format!("  KIND_{v} = {v};\n"));
            }
            out.push_str("}\n");
            if service {
                out.push_str("service Hunts {\n  rpc Get(Top) returns (Top);\n}\n");
            }
            out
        })
}

fn render(name: &str, msg: &Msg, indent: usize, comments: bool, out: &mut String) {
    let pad = "  ".repeat(indent);
    out.push_str(&format!("{pad}message {name} {{\n"));
    if msg.deprecated {
        out.push_str(&format!("{pad}  option deprecated = true;\n"));
    }
    let mut reserved: Vec<u32> = msg.reserved.clone();
    reserved.sort_unstable();
    reserved.dedup();
    if !reserved.is_empty() {
        let list: Vec<String> = reserved.iter().map(u32::to_string).collect();
        out.push_str(&format!("{pad}  reserved {};\n", list.join(", ")));
    }
    let mut used_numbers = std::collections::BTreeSet::new();
    let mut used_names = std::collections::BTreeSet::new();
    let mut plain = String::new();
    let mut oneof = Vec::new();
    for &(number, n, t, shape) in &msg.fields {
        let fname = format!("{}_{number}", NAMES[n]);
        if !used_numbers.insert(number) || !used_names.insert(fname.to_lowercase()) {
            continue;
        }
        let ty = TYPES[t];
        let is_map = ty.starts_with("map<");
        if comments && shape == 0 {
            plain.push_str(&format!("{pad}  // Field {number}.\n"));
        }
        match shape {
            1 if !is_map => plain.push_str(&format!("{pad}  repeated {ty} {fname} = {number};\n")),
            2 if !is_map => plain.push_str(&format!("{pad}  optional {ty} {fname} = {number};\n")),
            3 if !is_map => oneof.push(format!("{ty} {fname} = {number};")),
            _ => plain.push_str(&format!(
                "{pad}  {ty} {fname} = {number} [deprecated = true];\n"
            )),
        }
    }
    let mut choice = String::new();
    if !oneof.is_empty() {
        choice.push_str(&format!("{pad}  oneof choice {{\n"));
        for line in oneof {
            choice.push_str(&format!("{pad}    {line}\n"));
        }
        choice.push_str(&format!("{pad}  }}\n"));
    }
    let mut nested = String::new();
    for (i, inner) in msg.nested.iter().enumerate() {
        render(
            &format!("Inner{i}"),
            inner,
            indent + 1,
            comments,
            &mut nested,
        );
    }
    let fields = if msg.layout & 2 == 0 {
        plain + &choice
    } else {
        choice + &plain
    };
    if msg.layout & 1 == 0 {
        out.push_str(&fields);
        out.push_str(&nested);
    } else {
        out.push_str(&nested);
        out.push_str(&fields);
    }
    out.push_str(&format!("{pad}}}\n"));
}

fn canonical(input: &Input, normalize: bool) -> Result<(String, Vec<u8>), String> {
    let prepared = prepare(input, "hunt.proto", &DepFiles::default(), &[], normalize)?;
    Ok((prepared.canonical, prepared.descriptor))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn canonical_form_is_idempotent(text in schema(), normalize in any::<bool>()) {
        let (once, _) = canonical(&Input::Text(text.clone()), normalize)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let (twice, _) = canonical(&Input::Text(once.clone()), normalize)
            .map_err(|e| TestCaseError::fail(format!("canonical text does not compile: {e}\n{once}")))?;
        prop_assert_eq!(&once, &twice, "from\n{}", text);
        // Canonicalising (without normalising, which reorders on purpose) keeps the meaning:
        // the canonical text compiles to the same descriptor as the input.
        if !normalize {
            let (_, original) = canonical(&Input::Text(text.clone()), false).map_err(TestCaseError::fail)?;
            let (_, reprinted) = canonical(&Input::Text(once.clone()), false).map_err(TestCaseError::fail)?;
            prop_assert!(original == reprinted, "descriptor changed by canonicalising\n{}\n---\n{}", text, once);
        }
    }

    #[test]
    fn descriptor_input_canonicalises_like_text(text in schema()) {
        let (from_text, descriptor) = canonical(&Input::Text(text.clone()), false)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let (from_descriptor, _) = canonical(&Input::Descriptor(descriptor), false)
            .map_err(TestCaseError::fail)?;
        let (again, _) = canonical(&Input::Text(from_descriptor.clone()), false)
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(&from_descriptor, &again);
        // Text and descriptor input agree, up to comments (a descriptor carries none).
        let strip = |s: &str| s.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        prop_assert_eq!(strip(&from_text), strip(&from_descriptor));
    }
}
