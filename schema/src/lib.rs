//! huntreg's schema layer: accepting `.proto` text or base64 `FileDescriptorProto` input,
//! compiling it with protox against its references and the well-known files (through the
//! one in-memory resolver, [`MemoryResolver`]), the canonical form (text, descriptor bytes,
//! content hash), and building descriptor pools of stored versions for compatibility
//! checks. Pure: no HTTP, no storage.

pub mod canonical;
pub mod patch;
mod resolver;
pub mod wellknown;

pub use resolver::{compile_texts, CompiledTexts, MemoryResolver, Texts};

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use base64::Engine;
use huntreg_compat::Image;
use prost::Message;
use prost_reflect::DescriptorPool;
use prost_types::FileDescriptorProto;
use sha2::{Digest, Sha256};

/// A schema reference as Confluent defines it and the store keeps it: exactly as the
/// client sent it (subject possibly unqualified), with `version: -1` already resolved to a
/// concrete number. Part of a schema's content hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReferenceRecord {
    /// The import path.
    pub name: String,
    /// The referenced subject, as sent.
    pub subject: String,
    /// The referenced version.
    pub version: u32,
}

/// The file name of the main file in served descriptors (`format=serialized`), as Confluent.
pub const SERVED_FILE_NAME: &str = "default";

/// What a client sent as `schema`.
#[derive(Debug, Clone)]
pub enum Input {
    /// `.proto` source text.
    Text(String),
    /// A serialized `FileDescriptorProto` (sent base64-encoded).
    Descriptor(Vec<u8>),
}

impl Input {
    /// Text first, as Confluent: a string made only of base64 characters that decodes to a
    /// `FileDescriptorProto` is a descriptor; anything else is `.proto` text.
    pub fn parse(schema: &str) -> Input {
        let trimmed = schema.trim();
        let base64ish = !trimmed.is_empty()
            && trimmed
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        if base64ish {
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(trimmed) {
                if FileDescriptorProto::decode(bytes.as_slice()).is_ok() {
                    return Input::Descriptor(bytes);
                }
            }
        }
        Input::Text(schema.to_owned())
    }
}

/// A dependency file available to a compilation, named by its import path.
#[derive(Debug)]
pub struct DepFile {
    /// Serialized descriptor, already renamed to the import path.
    pub bytes: Vec<u8>,
    /// Decoded descriptor (name = import path).
    pub proto: FileDescriptorProto,
}

/// Dependency files by import path; the first binding of a name wins.
#[derive(Debug, Default, Clone)]
pub struct DepFiles {
    files: HashMap<String, Arc<DepFile>>,
}

impl DepFiles {
    /// Adds a file unless one with that name is already bound. Returns whether it was added.
    pub fn add(&mut self, name: &str, stored_descriptor: &[u8]) -> Result<bool, String> {
        if self.files.contains_key(name) {
            return Ok(false);
        }
        let bytes = rename_descriptor(stored_descriptor, name);
        let proto = FileDescriptorProto::decode(bytes.as_slice())
            .map_err(|e| format!("stored descriptor of {name} is unreadable: {e}"))?;
        self.files
            .insert(name.to_owned(), Arc::new(DepFile { bytes, proto }));
        Ok(true)
    }

    /// True when a file of that name is bound.
    pub fn contains(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Arc<DepFile>> {
        self.files.get(name)
    }
}

/// A compiled, canonicalized schema, ready to be stored.
#[derive(Debug)]
pub struct Prepared {
    /// Canonical text.
    pub canonical: String,
    /// Serialized descriptor named [`SERVED_FILE_NAME`], without source info.
    pub descriptor: Vec<u8>,
    /// Content hash over the canonical text and references.
    pub hash: [u8; 32],
    /// The compiled image (main file as target) for compatibility checks.
    pub image: Image,
}

/// The main file's name in a pool: the subject name (with `.proto` appended unless it
/// has it), or `default.proto` when empty or taken by a dependency. Every version of a
/// subject gets the same name, so the compatibility checks pair them.
pub fn main_file_name(subject_name: &str, deps: &DepFiles) -> String {
    let candidate = if subject_name.is_empty() {
        "default.proto".to_owned()
    } else if subject_name.ends_with(".proto") {
        subject_name.to_owned()
    } else {
        format!("{subject_name}.proto")
    };
    if deps.contains(&candidate) || wellknown::is_well_known(&candidate) {
        "huntreg-main.proto".to_owned()
    } else {
        candidate
    }
}

/// Compiles `input` as the file `main` against `deps` and the well-known files, and
/// canonicalizes it.
pub fn prepare(
    input: &Input,
    main: &str,
    deps: &DepFiles,
    references: &[ReferenceRecord],
    normalize: bool,
) -> Result<Prepared, String> {
    // Compiling hostile input runs third-party code; a panic there is the input's fault.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        prepare_inner(input, main, deps, references, normalize)
    }))
    .unwrap_or_else(|_| Err("the schema could not be processed".to_owned()))
}

fn prepare_inner(
    input: &Input,
    main: &str,
    deps: &DepFiles,
    references: &[ReferenceRecord],
    normalize: bool,
) -> Result<Prepared, String> {
    let (pool, edition) = match input {
        Input::Text(text) => compile_text(text, main, deps)?,
        Input::Descriptor(bytes) => (
            pool_from_descriptor(main, bytes, deps)?,
            descriptor_edition(bytes),
        ),
    };
    let file = pool
        .get_file_by_name(main)
        .ok_or_else(|| "the schema did not compile to a file".to_owned())?;
    if file.messages().len() == 0 && file.enums().len() == 0 {
        return Err("Protobuf schema definition contains no type definitions".into());
    }
    let canonical = canonical::canonical_text_in(&file, normalize, edition);
    let descriptor = rename_descriptor(&file.encode_to_vec(), SERVED_FILE_NAME);
    let hash = content_hash(&canonical, references);
    Ok(Prepared {
        canonical,
        descriptor,
        hash,
        image: Image::with_targets(pool, [main.to_owned()]),
    })
}

/// The content hash: SHA-256 over the canonical text, then each reference's name,
/// subject and version.
pub fn content_hash(canonical: &str, references: &[ReferenceRecord]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(canonical.as_bytes());
    for r in references {
        h.update([0]);
        h.update(r.name.as_bytes());
        h.update([0]);
        h.update(r.subject.as_bytes());
        h.update(r.version.to_be_bytes());
    }
    h.finalize().into()
}

/// The edition of an encoded editions `FileDescriptorProto`, `None` for proto2 and proto3.
fn descriptor_edition(bytes: &[u8]) -> Option<i32> {
    let proto = FileDescriptorProto::decode(bytes).ok()?;
    if proto.syntax() == "editions" {
        protox::editions::encoded_edition(bytes)
    } else {
        None
    }
}

/// Compiles `text` as `main`: the pool, and the edition `main` declares (if any).
fn compile_text(
    text: &str,
    main: &str,
    deps: &DepFiles,
) -> Result<(DescriptorPool, Option<i32>), String> {
    let mut chain = protox::file::ChainFileResolver::new();
    chain.add(
        MemoryResolver::new()
            .text(main, text)
            .descriptors(deps.clone()),
    );
    chain.add(wellknown::resolver());
    let mut compiler = protox::Compiler::with_file_resolver(chain);
    compiler.include_source_info(true);
    compiler
        .open_file(main)
        .map_err(|e| describe_protox_error(&e, main, text))?;
    let edition = compiler
        .files()
        .find(|f| f.name() == main)
        .and_then(|f| f.edition());
    Ok((compiler.descriptor_pool(), edition))
}

/// `file:line:col: message` when the error points into the submitted source.
fn describe_protox_error(err: &protox::Error, main: &str, source: &str) -> String {
    use miette::Diagnostic;
    let text = err.to_string();
    let file = err.file().unwrap_or(main);
    let offset = err
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|label| label.offset());
    match offset {
        Some(offset) if file == main && offset <= source.len() => {
            let mut cut = offset;
            while !source.is_char_boundary(cut) {
                cut -= 1;
            }
            let before = &source[..cut];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("{file}:{line}:{col}: {text}")
        }
        _ if text.contains(file) => text,
        _ => format!("{file}: {text}"),
    }
}

/// Builds a pool from a stored (or client-sent) descriptor named `main`, adding exactly the
/// dependencies it imports, in dependency order.
pub fn pool_from_descriptor(
    main: &str,
    bytes: &[u8],
    deps: &DepFiles,
) -> Result<DescriptorPool, String> {
    let bytes = rename_descriptor(bytes, main);
    let proto = FileDescriptorProto::decode(bytes.as_slice())
        .map_err(|e| format!("the descriptor does not decode: {e}"))?;
    // prost-reflect indexes `dependency` with these while reporting errors.
    let deps_len = proto.dependency.len();
    let in_range = |i: &i32| usize::try_from(*i).is_ok_and(|i| i < deps_len);
    if !proto.public_dependency.iter().all(in_range) || !proto.weak_dependency.iter().all(in_range)
    {
        return Err("the descriptor's public or weak dependency index is out of range".into());
    }
    // prost-reflect also panics while reporting an unknown syntax.
    if !matches!(proto.syntax(), "" | "proto2" | "proto3" | "editions") {
        return Err(format!("unknown syntax {:?}", proto.syntax()));
    }
    let mut pool = DescriptorPool::new();
    let mut added = HashSet::new();
    let mut visiting = HashSet::new();
    add_with_deps(
        &mut pool,
        main,
        &bytes,
        &proto,
        deps,
        &mut added,
        &mut visiting,
    )?;
    Ok(pool)
}

fn add_with_deps(
    pool: &mut DescriptorPool,
    name: &str,
    bytes: &[u8],
    proto: &FileDescriptorProto,
    deps: &DepFiles,
    added: &mut HashSet<String>,
    visiting: &mut HashSet<String>,
) -> Result<(), String> {
    if added.contains(name) {
        return Ok(());
    }
    if !visiting.insert(name.to_owned()) {
        return Err(format!("import cycle through \"{name}\""));
    }
    for dep in &proto.dependency {
        if added.contains(dep) {
            continue;
        }
        if let Some(file) = deps.get(dep) {
            let file = file.clone();
            add_with_deps(pool, dep, &file.bytes, &file.proto, deps, added, visiting)?;
        } else if let Some(known) = wellknown::known().get(dep.as_str()) {
            add_with_deps(pool, dep, &known.bytes, &known.proto, deps, added, visiting)?;
        } else {
            return Err(format!(
                "import \"{dep}\" of {name} is neither a reference nor a well-known file"
            ));
        }
    }
    if proto.syntax() == "editions" {
        // Protobuf editions: added as the exactly equivalent proto2 or proto3 file.
        let lowered = protox::editions::lower_descriptor(bytes, pool)
            .map_err(|e| format!("invalid descriptor {name}: {e}"))?;
        pool.add_file_descriptor_proto(lowered)
    } else {
        pool.decode_file_descriptor_proto(bytes)
    }
    .map_err(|e| format!("invalid descriptor {name}: {e}"))?;
    added.insert(name.to_owned());
    Ok(())
}

/// Rewrites a serialized `FileDescriptorProto`: sets `name` (field 1) and drops
/// `source_code_info` (field 9), keeping every other byte (custom options included).
pub fn rename_descriptor(bytes: &[u8], name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + name.len() + 4);
    put_varint(&mut out, (1 << 3) | 2);
    put_varint(&mut out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
    let mut rest = bytes;
    while !rest.is_empty() {
        let start = rest;
        let Some((key, after_key)) = get_varint(rest) else {
            break;
        };
        let field = key >> 3;
        let len = match key & 7 {
            0 => get_varint(after_key).map(|(_, r)| after_key.len() - r.len()),
            1 => Some(8),
            2 => get_varint(after_key)
                .map(|(n, r)| (after_key.len() - r.len()).saturating_add(n as usize)),
            5 => Some(4),
            _ => None,
        };
        let Some(len) = len.filter(|l| *l <= after_key.len()) else {
            break;
        };
        let consumed = start.len() - after_key.len() + len;
        if field != 1 && field != 9 {
            out.extend_from_slice(&start[..consumed]);
        }
        rest = &start[consumed..];
    }
    out
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn get_varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut n = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((n, &bytes[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_types::field_descriptor_proto::Type;

    const ORDER: &str = r#"
        syntax = "proto3";
        package shop;
        // a comment that is not part of the canonical form
        import "google/protobuf/timestamp.proto";
        enum Status { UNKNOWN = 0; PAID = 1; }
        message Order {
          string id = 1;
          google.protobuf.Timestamp at = 2;
          map<string, Item> items = 3;
          Status status = 4;
          optional int32 qty = 5;
          oneof payment { string card = 6; string iban = 7; }
          message Item { int64 count = 1; }
        }
        message Second { reserved 3, 9 to 11; reserved "x"; }
    "#;

    #[test]
    fn text_and_descriptor_of_one_schema_are_canonically_equal() {
        let deps = DepFiles::default();
        let text = prepare(&Input::parse(ORDER), "o.proto", &deps, &[], false).unwrap();
        // A client sends the descriptor protoc/protox produced, base64-encoded.
        let fds = protox_compile(ORDER);
        let b64 = base64::engine::general_purpose::STANDARD.encode(fds);
        let input = Input::parse(&b64);
        assert!(matches!(input, Input::Descriptor(_)));
        let desc = prepare(&input, "o.proto", &deps, &[], false).unwrap();
        assert_eq!(text.canonical, desc.canonical);
        assert_eq!(text.hash, desc.hash);
        // Messages first, in declaration order; the comment is gone; the map is a map.
        let c = &text.canonical;
        assert!(c.starts_with("syntax = \"proto3\";\npackage shop;\n\nimport \"google/protobuf/timestamp.proto\";\n"), "{c}");
        assert!(c.find("message Order").unwrap() < c.find("message Second").unwrap());
        assert!(c.find("message Second").unwrap() < c.find("enum Status").unwrap());
        assert!(
            c.contains("map<string, .shop.Order.Item> items = 3;"),
            "{c}"
        );
        assert!(c.contains("optional int32 qty = 5;"), "{c}");
        assert!(c.contains("reserved 3, 9 to 11;"), "{c}");
        assert!(!c.contains("comment"));
        // The canonical text compiles to the same canonical text (idempotent).
        let again = prepare(&Input::parse(c), "o.proto", &deps, &[], false).unwrap();
        assert_eq!(&again.canonical, c);
    }

    #[test]
    fn served_descriptor_is_named_default_and_has_no_source_info() {
        let p = prepare(
            &Input::parse(ORDER),
            "o.proto",
            &DepFiles::default(),
            &[],
            false,
        )
        .unwrap();
        let fd = FileDescriptorProto::decode(p.descriptor.as_slice()).unwrap();
        assert_eq!(fd.name(), SERVED_FILE_NAME);
        assert!(fd.source_code_info.is_none());
        assert_eq!(fd.message_type[0].name(), "Order");
        assert_eq!(
            fd.dependency,
            vec!["google/protobuf/timestamp.proto".to_owned()]
        );
    }

    #[test]
    fn references_resolve_and_unknown_imports_are_refused() {
        let common = prepare(
            &Input::parse("syntax = \"proto3\"; package c; message Money { int64 units = 1; }"),
            "common.proto",
            &DepFiles::default(),
            &[],
            false,
        )
        .unwrap();
        let mut deps = DepFiles::default();
        deps.add("c/money.proto", &common.descriptor).unwrap();
        let user = "syntax = \"proto3\"; import \"c/money.proto\"; message Pay { c.Money m = 1; }";
        assert!(prepare(&Input::parse(user), "pay.proto", &deps, &[], false).is_ok());
        let err = prepare(
            &Input::parse(user),
            "pay.proto",
            &DepFiles::default(),
            &[],
            false,
        )
        .unwrap_err();
        assert!(err.contains("c/money.proto"), "{err}");
        let bad = "syntax = \"proto3\";\nmessage M {\n  Nope n = 1;\n}\n";
        let err = prepare(
            &Input::parse(bad),
            "m.proto",
            &DepFiles::default(),
            &[],
            false,
        )
        .unwrap_err();
        assert!(err.starts_with("m.proto:3:3: "), "{err}");
    }

    #[test]
    fn normalize_sorts_fields_and_enum_values() {
        let a = "syntax = \"proto3\"; message M { string b = 2; string a = 1; } enum E { X = 0; Z = 2; Y = 1; }";
        let b = "syntax = \"proto3\"; message M { string a = 1; string b = 2; } enum E { X = 0; Y = 1; Z = 2; }";
        let deps = DepFiles::default();
        let pa = prepare(&Input::parse(a), "m.proto", &deps, &[], true).unwrap();
        let pb = prepare(&Input::parse(b), "m.proto", &deps, &[], true).unwrap();
        assert_eq!(pa.canonical, pb.canonical);
        let ra = prepare(&Input::parse(a), "m.proto", &deps, &[], false).unwrap();
        assert_ne!(ra.canonical, pb.canonical);
        // Without normalize, declaration order is kept.
        assert!(
            ra.canonical.find("string b = 2").unwrap() < ra.canonical.find("string a = 1").unwrap()
        );
    }

    #[test]
    fn custom_options_survive_canonicalization() {
        let src = r#"syntax = "proto3";
            import "confluent/meta.proto";
            message M { string a = 1 [(confluent.field_meta) = { doc: "the a" }]; }"#;
        let p = prepare(
            &Input::parse(src),
            "m.proto",
            &DepFiles::default(),
            &[],
            false,
        )
        .unwrap();
        assert!(
            p.canonical
                .contains("(confluent.field_meta) = { doc: \"the a\" }"),
            "{}",
            p.canonical
        );
    }

    #[test]
    fn proto2_options_extensions_and_services_print_idempotently() {
        let src = r#"
syntax = "proto2";
package a.b;
import "google/protobuf/descriptor.proto";
import public "google/protobuf/timestamp.proto";
option java_package = "x.y";
option optimize_for = SPEED;
extend google.protobuf.FieldOptions { optional string tag = 50000; }
message Outer {
  option deprecated = true;
  reserved 4, 8 to 10, 5000 to max;
  reserved "old";
  required int32 id = 1 [default = 7, (tag) = "t"];
  optional string name = 2 [default = "a\"b", json_name = "nm", deprecated = true];
  repeated int64 nums = 3 [packed = true];
  map<string, Inner> m = 5;
  oneof choice { string s = 6; bytes b = 7 [default = "\001x"]; }
  optional Kind kind = 11 [default = K2];
  extensions 1000 to 1999;
  message Inner { optional double d = 1 [default = inf]; }
  enum Kind { option allow_alias = true; K1 = 1; K2 = 2; K2B = 2 [deprecated = true]; reserved 5 to 7; }
  extend Outer { optional int32 ext = 1000; }
}
service Svc { option deprecated = true; rpc Do (Outer) returns (stream Outer.Inner) { option idempotency_level = NO_SIDE_EFFECTS; } rpc X(Outer) returns (Outer); }
"#;
        let d = DepFiles::default();
        let p = prepare(&Input::parse(src), "m.proto", &d, &[], false).unwrap();
        let again = prepare(&Input::parse(&p.canonical), "m.proto", &d, &[], false).unwrap();
        assert_eq!(again.canonical, p.canonical);
        let n = prepare(&Input::parse(src), "m.proto", &d, &[], true).unwrap();
        let n2 = prepare(&Input::parse(&n.canonical), "m.proto", &d, &[], true).unwrap();
        assert_eq!(n2.canonical, n.canonical);
        let c = &p.canonical;
        assert!(
            c.contains("K2 = 2;\n    K2B = 2 [deprecated = true];"),
            "enum values keep declaration order: {c}"
        );
        assert!(c.contains("optional int32 ext = 1000;"), "{c}");
        assert!(
            c.contains("rpc Do (.a.b.Outer) returns (stream .a.b.Outer.Inner) {"),
            "{c}"
        );
        assert!(
            c.contains("required int32 id = 1 [default = 7, (a.b.tag) = \"t\"];"),
            "{c}"
        );
    }

    #[test]
    fn max_ranges_of_enums_and_messages_round_trip() {
        let src = "syntax = \"proto3\"; enum E { A = 0; reserved 100 to max; } message M { reserved 5 to max; }";
        let d = DepFiles::default();
        let p = prepare(&Input::parse(src), "m.proto", &d, &[], false).unwrap();
        assert!(
            p.canonical.contains("reserved 100 to max;"),
            "{}",
            p.canonical
        );
        assert!(
            p.canonical.contains("reserved 5 to max;"),
            "{}",
            p.canonical
        );
        let again = prepare(&Input::parse(&p.canonical), "m.proto", &d, &[], true).unwrap();
        let norm = prepare(&Input::parse(src), "m.proto", &d, &[], true).unwrap();
        assert_eq!(again.canonical, norm.canonical);
    }

    #[test]
    fn descriptors_with_dangling_dependency_indexes_are_refused() {
        // Found by fuzzing: prost-reflect panics while describing this descriptor.
        let input = Input::parse("WICIQWIA");
        let err = prepare(&input, "x.proto", &DepFiles::default(), &[], false).unwrap_err();
        assert!(
            err.contains("out of range") || err.contains("decode"),
            "{err}"
        );
    }

    #[test]
    fn proto2_groups_print_as_groups() {
        let src = "syntax = \"proto2\"; message Item { optional string sku = 1; optional group Legacy = 5 { optional string code = 6; } oneof o { group G = 7 { optional int32 x = 8; } } }";
        let d = DepFiles::default();
        let p = prepare(&Input::parse(src), "g.proto", &d, &[], false).unwrap();
        assert!(
            p.canonical
                .contains("  optional group Legacy = 5 {\n    optional string code = 6;\n  }"),
            "{}",
            p.canonical
        );
        assert!(!p.canonical.contains("message Legacy"), "{}", p.canonical);
        let again = prepare(&Input::parse(&p.canonical), "g.proto", &d, &[], false).unwrap();
        assert_eq!(again.canonical, p.canonical);
        assert_eq!(again.descriptor, p.descriptor);
    }

    #[test]
    fn nested_messages_declared_before_a_map_field_keep_their_index() {
        let src = "syntax = \"proto3\"; message Top {} message Outer { message Inner { message Deepest {} } string a = 2; map<string, int32> counts = 1; message Later {} int32 z = 3; }";
        let d = DepFiles::default();
        let p = prepare(&Input::parse(src), "n.proto", &d, &[], false).unwrap();
        let again = prepare(&Input::parse(&p.canonical), "n.proto", &d, &[], false).unwrap();
        assert_eq!(again.canonical, p.canonical);
        let names = |bytes: &[u8]| -> Vec<String> {
            let fd = FileDescriptorProto::decode(bytes).unwrap();
            fd.message_type[1]
                .nested_type
                .iter()
                .map(|n| n.name().to_owned())
                .collect()
        };
        assert_eq!(names(&p.descriptor), vec!["Inner", "CountsEntry", "Later"]);
        assert_eq!(
            names(&again.descriptor),
            names(&p.descriptor),
            "{}",
            p.canonical
        );
    }

    /// Compiles `src`, prints it, and checks that the canonical text compiles back to the
    /// same text and the same (lowered) descriptor.
    fn round_trip(src: &str) -> Prepared {
        let d = DepFiles::default();
        let p = prepare(&Input::parse(src), "e.proto", &d, &[], false)
            .unwrap_or_else(|e| panic!("{e}\n{src}"));
        let again = prepare(&Input::parse(&p.canonical), "e.proto", &d, &[], false)
            .unwrap_or_else(|e| panic!("{e}\n{}", p.canonical));
        assert_eq!(again.canonical, p.canonical);
        assert_eq!(again.descriptor, p.descriptor, "{}", p.canonical);
        let n = prepare(&Input::parse(src), "e.proto", &d, &[], true).unwrap();
        let n2 = prepare(&Input::parse(&n.canonical), "e.proto", &d, &[], true).unwrap();
        assert_eq!(n2.canonical, n.canonical);
        p
    }

    #[test]
    fn editions_text_prints_in_its_edition_with_the_features_that_differ() {
        let src = r#"edition = "2023";
package hunt.v1;
option features.field_presence = IMPLICIT;
enum Kind { KIND_UNSPECIFIED = 0; KIND_GOLD = 1; }
message Found {
  string player = 1;
  int64 score = 2 [features.field_presence = EXPLICIT];
  Kind kind = 3;
  repeated int32 clues = 4;
  repeated sint64 raw = 5 [features.repeated_field_encoding = EXPANDED];
  Found next = 6;
  oneof where { string cave = 7; int32 depth = 8; }
}
"#;
        let p = round_trip(src);
        let c = &p.canonical;
        assert!(
            c.starts_with("edition = \"2023\";\npackage hunt.v1;\n"),
            "{c}"
        );
        assert_eq!(
            canonical::canonical_edition(c),
            Some(protox::editions::EDITION_2023)
        );
        for line in [
            "  string player = 1 [features.field_presence = IMPLICIT];",
            "  int64 score = 2;",
            "  .hunt.v1.Kind kind = 3 [features.field_presence = IMPLICIT];",
            "  repeated int32 clues = 4;",
            "  repeated sint64 raw = 5 [features.repeated_field_encoding = EXPANDED];",
            "  .hunt.v1.Found next = 6;",
            "    string cave = 7;",
        ] {
            assert!(c.contains(&format!("{line}\n")), "{line}\n{c}");
        }
        assert!(!c.contains("optional") && !c.contains("packed"), "{c}");
        // Same semantics as the proto3 file: the same descriptor, another text.
        let proto3 = src
            .replace("edition = \"2023\";", "syntax = \"proto3\";")
            .replace("option features.field_presence = IMPLICIT;\n", "")
            .replace(
                "int64 score = 2 [features.field_presence = EXPLICIT]",
                "optional int64 score = 2",
            )
            .replace(
                " [features.repeated_field_encoding = EXPANDED]",
                " [packed = false]",
            );
        let p3 = round_trip(&proto3);
        assert_eq!(p3.descriptor, p.descriptor);
        assert_ne!(p3.hash, p.hash);
        assert!(p3.canonical.starts_with("syntax = \"proto3\";"));
        assert_eq!(canonical::canonical_edition(&p3.canonical), None);
    }

    #[test]
    fn a_proto2_shaped_editions_file_prints_its_file_wide_features() {
        let src = r#"edition = "2024";
package legacy;
option features.enum_type = CLOSED;
option features.utf8_validation = NONE;
option features.json_format = LEGACY_BEST_EFFORT;
option features.repeated_field_encoding = EXPANDED;
enum Tier { BRONZE = 1; GOLD = 2; }
message Item {
  int32 id = 1 [features.field_presence = LEGACY_REQUIRED, default = 7];
  string name = 2 [default = "x"];
  repeated int32 packed_ids = 3 [features.repeated_field_encoding = PACKED];
  repeated int32 ids = 4;
  Detail detail = 5 [features.message_encoding = DELIMITED];
  Tier tier = 6;
  extensions 100 to 199;
  message Detail { string note = 1; }
}
extend Item { string tag = 100; }
"#;
        let p = round_trip(src);
        let c = &p.canonical;
        assert!(
            c.starts_with("edition = \"2024\";\npackage legacy;\n"),
            "{c}"
        );
        for line in [
            "option features.enum_type = CLOSED;",
            "option features.json_format = LEGACY_BEST_EFFORT;",
            "option features.utf8_validation = NONE;",
            "  int32 id = 1 [default = 7, features.field_presence = LEGACY_REQUIRED];",
            "  string name = 2 [default = \"x\"];",
            "  repeated int32 packed_ids = 3;",
            "  repeated int32 ids = 4 [features.repeated_field_encoding = EXPANDED];",
            "  .legacy.Item.Detail detail = 5 [features.message_encoding = DELIMITED];",
            "  message Detail {",
            "  string tag = 100;",
        ] {
            assert!(c.contains(&format!("{line}\n")), "{line}\n{c}");
        }
        assert!(!c.contains("group") && !c.contains("required"), "{c}");
        // The proto2 file it is equivalent to.
        let proto2 = r#"syntax = "proto2";
package legacy;
enum Tier { BRONZE = 1; GOLD = 2; }
message Item {
  required int32 id = 1 [default = 7];
  optional string name = 2 [default = "x"];
  repeated int32 packed_ids = 3 [packed = true];
  repeated int32 ids = 4;
  optional group Detail = 5 { optional string note = 1; }
  optional Tier tier = 6;
  extensions 100 to 199;
}
extend Item { optional string tag = 100; }
"#;
        let d = DepFiles::default();
        let p2 = prepare(&Input::parse(proto2), "e.proto", &d, &[], false).unwrap();
        let decode = |b: &[u8]| FileDescriptorProto::decode(b).unwrap();
        let (mut ed, two) = (decode(&p.descriptor), decode(&p2.descriptor));
        // The group's field is named after its message in proto2; in editions it has its own.
        ed.message_type[0].field[4].name = Some("detail".into());
        assert_eq!(ed.message_type[0].field[4].r#type(), Type::Group);
        assert_eq!(ed.message_type[0].field, two.message_type[0].field);
        assert_eq!(ed.enum_type, two.enum_type);
        assert_eq!(ed.extension, two.extension);
    }

    #[test]
    fn an_editions_descriptor_prints_in_its_edition() {
        let src = "edition = \"2023\";\npackage d;\nmessage M {\n  int32 a = 1 [features.field_presence = IMPLICIT];\n  int32 b = 2;\n}\n";
        let text = round_trip(src);
        // A producer's protoc sends `edition` and `features`: build them from descriptor.proto.
        let file = prost_reflect::DescriptorPool::global()
            .get_message_by_name("google.protobuf.FileDescriptorProto")
            .unwrap();
        let descriptor = prost_reflect::DynamicMessage::parse_text_format(
            file,
            r#"name: "x.proto" package: "d" syntax: "editions" edition: EDITION_2023
               message_type { name: "M"
                 field { name: "a" number: 1 label: LABEL_OPTIONAL type: TYPE_INT32 json_name: "a"
                         options { features { field_presence: IMPLICIT } } }
                 field { name: "b" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 json_name: "b" } }"#,
        )
        .unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(descriptor.encode_to_vec());
        let input = Input::parse(&b64);
        assert!(matches!(input, Input::Descriptor(_)));
        let desc = prepare(&input, "e.proto", &DepFiles::default(), &[], false).unwrap();
        assert_eq!(desc.canonical, text.canonical);
        assert_eq!(desc.hash, text.hash);
    }

    fn protox_compile(src: &str) -> Vec<u8> {
        let p = prepare(
            &Input::parse(src),
            "x.proto",
            &DepFiles::default(),
            &[],
            false,
        )
        .unwrap();
        p.descriptor
    }
}
