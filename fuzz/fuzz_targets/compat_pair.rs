//! Fuzzes the compatibility engine on pairs of generated schemas: no panic, a schema is
//! compatible with itself, and FULL reports what BACKWARD and FORWARD report together.
#![no_main]

use huntreg_compat::{check, check_level, Category, Image, Level, RuleSet};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use protox::file::{File, FileResolver};

#[derive(Debug, Arbitrary)]
struct Msg {
    fields: Vec<(u8, u8, u8)>,
    nested: Vec<Msg>,
}

#[derive(Debug, Arbitrary)]
struct Schema {
    package: bool,
    messages: Vec<Msg>,
    values: Vec<u8>,
}

const TYPES: &[&str] = &[
    "int32", "int64", "uint32", "sint64", "string", "bytes", "bool", "double", "E", "M0", "M1",
];

fn render(name: &str, msg: &Msg, depth: usize, out: &mut String) {
    out.push_str(&format!("message {name} {{\n"));
    let mut seen = std::collections::BTreeSet::new();
    for &(number, ty, label) in msg.fields.iter().take(8) {
        let number = u32::from(number % 12) + 1;
        if !seen.insert(number) {
            continue;
        }
        let label = if label % 3 == 0 { "repeated " } else { "" };
        out.push_str(&format!(
            "  {label}{} f{number} = {number};\n",
            TYPES[usize::from(ty) % TYPES.len()]
        ));
    }
    if depth < 3 {
        for (i, nested) in msg.nested.iter().take(3).enumerate() {
            render(&format!("N{i}"), nested, depth + 1, out);
        }
    }
    out.push_str("}\n");
}

impl Schema {
    fn text(&self) -> String {
        let package = if self.package { "a.v1" } else { "a.v2" };
        let mut out = format!("syntax = \"proto3\";\npackage {package};\n");
        let empty = Msg {
            fields: Vec::new(),
            nested: Vec::new(),
        };
        for i in 0..2 {
            render(
                &format!("M{i}"),
                self.messages.get(i).unwrap_or(&empty),
                0,
                &mut out,
            );
        }
        out.push_str("enum E {\n  E_0 = 0;\n");
        let mut seen = std::collections::BTreeSet::new();
        for &v in self.values.iter().take(6) {
            if v != 0 && seen.insert(v) {
                out.push_str(&format!("  E_{v} = {v};\n"));
            }
        }
        out.push_str("}\n");
        out
    }
}

struct One(String);

impl FileResolver for One {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if name == "a.proto" {
            File::from_source(name, &self.0)
        } else {
            Err(protox::Error::file_not_found(name))
        }
    }
}

fn image(schema: &Schema) -> Option<Image> {
    let mut compiler = protox::Compiler::with_file_resolver(One(schema.text()));
    compiler.include_source_info(true);
    compiler.open_file("a.proto").ok()?;
    Some(Image::new(compiler.descriptor_pool()))
}

fuzz_target!(|pair: (Schema, Schema)| {
    let (Some(old), Some(new)) = (image(&pair.0), image(&pair.1)) else {
        return;
    };
    let rules = RuleSet::category(Category::Csr);
    assert!(check(&old, &old, &RuleSet::category(Category::File)).is_empty());
    let count = |level| check_level(level, &new, &[&old], &rules).pairs.len();
    assert_eq!(
        count(Level::Full),
        count(Level::Backward) + count(Level::Forward)
    );
});
