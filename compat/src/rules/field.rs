//! Field rules: fields (and extensions) paired by number whose type, cardinality, name,
//! JSON name, oneof, default or per-language options changed.

use prost_reflect::{Cardinality, Kind, Syntax, Value};

use super::text::{field_description, field_description_with_name, go_float, kind_name, q};
use super::Cx;
use crate::location::Loc;
use crate::pairs::{Field, FieldPair};

/// Inside a synthesized map entry, falls back to the map field's `map<K, V>` token.
fn in_map(loc: Loc, f: &Field) -> Loc {
    match f.map_type_path() {
        Some(path) => loc.or(&path),
        None => loc,
    }
}

fn loc(f: &Field) -> Loc {
    in_map(Loc::at(&f.file(), f.path()), f)
}

/// The token `suffix` below the field, falling back to the whole field.
fn token_or_field(f: &Field, suffix: &[i32]) -> Loc {
    in_map(Loc::sub_or_element(&f.file(), f.path(), suffix), f)
}

/// The token `suffix` below the field, without fallback.
fn token(f: &Field, suffix: &[i32]) -> Loc {
    in_map(Loc::sub(&f.file(), f.path(), suffix), f)
}

/// Where buf puts a type change: the type name for message, enum and group types, the
/// scalar type keyword otherwise.
fn type_token(f: &Field) -> Loc {
    match f.kind() {
        Kind::Message(_) | Kind::Enum(_) => token(f, &[6]),
        _ => token(f, &[5]),
    }
}

/// A field's cardinality as buf classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cardinal {
    OptionalExplicit,
    OptionalImplicit,
    Required,
    Repeated,
    Map,
}

impl Cardinal {
    fn of(f: &Field) -> Cardinal {
        if f.is_list() {
            Cardinal::Repeated
        } else if f.is_map() {
            Cardinal::Map
        } else if f.cardinality() == Cardinality::Required {
            Cardinal::Required
        } else if f.supports_presence() {
            Cardinal::OptionalExplicit
        } else {
            Cardinal::OptionalImplicit
        }
    }

    fn name(self) -> &'static str {
        match self {
            Cardinal::OptionalExplicit => "optional with explicit presence",
            Cardinal::OptionalImplicit => "optional with implicit presence",
            Cardinal::Required => "required",
            Cardinal::Repeated => "repeated",
            Cardinal::Map => "map",
        }
    }

    fn wire_group(self) -> u8 {
        match self {
            Cardinal::OptionalExplicit | Cardinal::OptionalImplicit => 1,
            Cardinal::Required => 2,
            Cardinal::Repeated | Cardinal::Map => 3,
        }
    }

    fn wire_json_group(self) -> u8 {
        match self {
            Cardinal::Map => 4,
            other => other.wire_group(),
        }
    }
}

fn cardinality_with(cx: &mut Cx<'_>, pair: &FieldPair, group: fn(Cardinal) -> u8) {
    if pair.prev.in_map_entry() && pair.cur.in_map_entry() {
        return;
    }
    let (prev, cur) = (Cardinal::of(&pair.prev), Cardinal::of(&pair.cur));
    if group(prev) != group(cur) {
        cx.report(
            Some(loc(&pair.cur)),
            Some(loc(&pair.prev)),
            format!(
                "{} changed cardinality from {} to {}.",
                field_description(&pair.cur),
                q(prev.name()),
                q(cur.name())
            ),
        );
    }
}

/// FIELD_SAME_CARDINALITY: the cardinality changed at all.
pub(crate) fn field_same_cardinality(cx: &mut Cx<'_>, pair: &FieldPair) {
    cardinality_with(cx, pair, |c| c as u8);
}

/// FIELD_WIRE_COMPATIBLE_CARDINALITY: the cardinality changed across wire-incompatible classes.
pub(crate) fn field_wire_compatible_cardinality(cx: &mut Cx<'_>, pair: &FieldPair) {
    cardinality_with(cx, pair, Cardinal::wire_group);
}

/// FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY: as the WIRE variant, with maps apart from lists.
pub(crate) fn field_wire_json_compatible_cardinality(cx: &mut Cx<'_>, pair: &FieldPair) {
    cardinality_with(cx, pair, Cardinal::wire_json_group);
}

/// Go's `protoreflect.Kind` identity: groups differ from messages.
fn same_kind(a: &Field, b: &Field) -> bool {
    std::mem::discriminant(&a.kind()) == std::mem::discriminant(&b.kind())
        && a.is_group() == b.is_group()
}

fn type_name(f: &Field) -> &str {
    f.proto().type_name().trim_start_matches('.')
}

fn changed_type(cx: &mut Cx<'_>, pair: &FieldPair, extra: &str) {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(" {extra}")
    };
    cx.report(
        Some(type_token(&pair.cur)),
        Some(type_token(&pair.prev)),
        format!(
            "{} changed type from {} to {}.{extra}",
            field_description(&pair.cur),
            q(&editions_kind_name(
                &pair.prev,
                cx.prev.declared_edition(pair.prev.file().name())
            )),
            q(&editions_kind_name(
                &pair.cur,
                cx.cur.declared_edition(pair.cur.file().name())
            ))
        ),
    );
}

fn changed_type_name(cx: &mut Cx<'_>, pair: &FieldPair) {
    cx.report(
        Some(token(&pair.cur, &[6])),
        Some(token(&pair.prev, &[6])),
        format!(
            "{} changed type from {} to {}.",
            field_description(&pair.cur),
            q(type_name(&pair.prev)),
            q(type_name(&pair.cur))
        ),
    );
}

/// FIELD_SAME_TYPE: the type changed (kind, or the message/enum it names).
pub(crate) fn field_same_type(cx: &mut Cx<'_>, pair: &FieldPair) {
    if !same_kind(&pair.prev, &pair.cur) {
        changed_type(cx, pair, "");
    } else if matches!(pair.cur.kind(), Kind::Message(_) | Kind::Enum(_))
        && type_name(&pair.prev) != type_name(&pair.cur)
    {
        changed_type_name(cx, pair);
    }
}

/// Binary wire compatibility classes (protobuf's "Updating a message type" rules).
fn wire_group(f: &Field) -> u8 {
    match f.kind() {
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Bool => 1,
        Kind::Sint32 | Kind::Sint64 => 2,
        Kind::String => 3,
        Kind::Bytes => 4,
        Kind::Fixed32 | Kind::Sfixed32 => 5,
        Kind::Fixed64 | Kind::Sfixed64 => 6,
        Kind::Double => 7,
        Kind::Float => 8,
        Kind::Message(_) if f.is_group() => 9,
        Kind::Message(_) => 10,
        Kind::Enum(_) => 11,
    }
}

/// Classes compatible for both the binary and the JSON encoding.
fn wire_json_group(f: &Field) -> u8 {
    match f.kind() {
        Kind::Int32 | Kind::Uint32 => 1,
        Kind::Int64 | Kind::Uint64 => 2,
        Kind::Fixed32 | Kind::Sfixed32 => 3,
        Kind::Fixed64 | Kind::Sfixed64 => 4,
        Kind::Bool => 5,
        Kind::Sint32 => 6,
        Kind::Sint64 => 7,
        Kind::String => 8,
        Kind::Bytes => 9,
        Kind::Double => 10,
        Kind::Float => 11,
        Kind::Message(_) if f.is_group() => 12,
        Kind::Message(_) => 13,
        Kind::Enum(_) => 14,
    }
}

const WIRE_RULES: &str = "See https://developers.google.com/protocol-buffers/docs/proto3#updating for wire compatibility rules.";

/// Same group: a different enum is fine when it has the same short name and keeps every
/// previous value (by name and number); a different message is not.
fn same_group_names(cx: &mut Cx<'_>, pair: &FieldPair) {
    if type_name(&pair.prev) == type_name(&pair.cur) {
        return;
    }
    match (pair.prev.kind(), pair.cur.kind()) {
        (Kind::Enum(prev), Kind::Enum(cur)) => {
            let superset = prev.name() == cur.name()
                && prev.values().all(|v| {
                    cur.get_value_by_name(v.name())
                        .is_some_and(|c| c.number() == v.number())
                });
            if !superset {
                changed_type_name(cx, pair);
            }
        }
        (_, Kind::Message(_)) => changed_type_name(cx, pair),
        _ => {}
    }
}

/// FIELD_WIRE_COMPATIBLE_TYPE: the type changed across binary-wire-incompatible classes.
pub(crate) fn field_wire_compatible_type(cx: &mut Cx<'_>, pair: &FieldPair) {
    if wire_group(&pair.prev) != wire_group(&pair.cur) {
        match (pair.prev.kind(), pair.cur.kind()) {
            (Kind::String, Kind::Bytes) => {}
            (Kind::Bytes, Kind::String) => changed_type(
                cx,
                pair,
                &format!("{WIRE_RULES} Note that while string and bytes are compatible if the data is valid UTF-8, there is no way to enforce that a bytes field is UTF-8, so these fields may be incompatible."),
            ),
            _ => changed_type(cx, pair, WIRE_RULES),
        }
        return;
    }
    same_group_names(cx, pair);
}

/// FIELD_WIRE_JSON_COMPATIBLE_TYPE: the type changed across wire- or JSON-incompatible classes.
pub(crate) fn field_wire_json_compatible_type(cx: &mut Cx<'_>, pair: &FieldPair) {
    if wire_json_group(&pair.prev) != wire_json_group(&pair.cur) {
        changed_type(
            cx,
            pair,
            "See https://developers.google.com/protocol-buffers/docs/proto3#updating for wire compatibility rules and https://developers.google.com/protocol-buffers/docs/proto3#json for JSON compatibility rules.",
        );
        return;
    }
    same_group_names(cx, pair);
}

/// FIELD_SAME_NAME: the field with this number has another name (extensions: full name).
pub(crate) fn field_same_name(cx: &mut Cx<'_>, pair: &FieldPair) {
    let name = |f: &Field| match f {
        Field::Field(f) => f.name().to_owned(),
        Field::Extension(e) => e.full_name().to_owned(),
    };
    let (prev, cur) = (name(&pair.prev), name(&pair.cur));
    if prev != cur {
        cx.report(
            Some(token(&pair.cur, &[1])),
            Some(token(&pair.prev, &[1])),
            format!(
                "{} changed name from {} to {}.",
                field_description_with_name(&pair.cur, None),
                q(&prev),
                q(&cur)
            ),
        );
    }
}

/// FIELD_SAME_JSON_NAME: the effective JSON name changed (extensions are skipped).
pub(crate) fn field_same_json_name(cx: &mut Cx<'_>, pair: &FieldPair) {
    if matches!(pair.prev, Field::Extension(_)) {
        return;
    }
    if pair.prev.json_name() != pair.cur.json_name() {
        cx.report(
            Some(token_or_field(&pair.cur, &[10])),
            Some(token_or_field(&pair.prev, &[10])),
            format!(
                "{} changed option \"json_name\" from {} to {}.",
                field_description(&pair.cur),
                q(pair.prev.json_name()),
                q(pair.cur.json_name())
            ),
        );
    }
}

/// FIELD_SAME_ONEOF: the field moved into, out of, or between oneofs (synthetic oneofs of
/// proto3 `optional` fields do not count).
pub(crate) fn field_same_oneof(cx: &mut Cx<'_>, pair: &FieldPair) {
    if matches!(pair.prev, Field::Extension(_)) {
        return;
    }
    let (prev, cur) = (pair.prev.real_oneof(), pair.cur.real_oneof());
    let message = match (&prev, &cur) {
        (None, None) => return,
        (Some(p), Some(c)) if p.name() == c.name() => return,
        // buf's format string has a stray `q` here; it is reproduced so output matches.
        (Some(p), Some(c)) => format!(
            "{}q moved from oneof {} to oneof {}.",
            field_description(&pair.cur),
            q(p.name()),
            q(c.name())
        ),
        (Some(_), None) => format!(
            "{} moved from inside to outside a oneof.",
            field_description(&pair.cur)
        ),
        (None, Some(_)) => format!(
            "{} moved from outside to inside a oneof.",
            field_description(&pair.cur)
        ),
    };
    cx.report(Some(loc(&pair.cur)), Some(loc(&pair.prev)), message);
}

fn is_string_or_bytes(f: &Field) -> bool {
    matches!(f.kind(), Kind::String | Kind::Bytes)
}

/// C++ string type from `ctype` (proto2/proto3 files): (type, is STRING_PIECE).
/// [`kind_name`], except that in an editions file a group-typed field (how the proto2 view
/// spells `features.message_encoding = DELIMITED`) is a delimited message, as buf prints it.
fn editions_kind_name(field: &Field, edition: Option<&str>) -> String {
    if edition.is_some() && field.is_group() {
        "message (delimited encoding)".to_owned()
    } else {
        kind_name(field).to_owned()
    }
}

fn cpp_string_type(f: &Field, edition: Option<&str>) -> (&'static str, bool) {
    match f.proto().options.as_ref().and_then(|o| o.ctype) {
        Some(1) => ("CORD", false),
        Some(2) => ("STRING", true),
        // Edition 2024 makes `string_view` accessors the C++ default.
        _ if edition == Some("2024") => ("VIEW", false),
        _ => ("STRING", false),
    }
}

/// FIELD_SAME_CPP_STRING_TYPE: `ctype` changed (STRING_PIECE -> STRING is allowed).
pub(crate) fn field_same_cpp_string_type(cx: &mut Cx<'_>, pair: &FieldPair) {
    if pair.prev.in_map_entry() && pair.cur.in_map_entry() {
        return;
    }
    if !is_string_or_bytes(&pair.prev) || !is_string_or_bytes(&pair.cur) {
        return;
    }
    let (prev, cur) = (
        cpp_string_type(
            &pair.prev,
            cx.prev.declared_edition(pair.prev.file().name()),
        ),
        cpp_string_type(&pair.cur, cx.cur.declared_edition(pair.cur.file().name())),
    );
    if prev != cur && !(prev.1 && cur.0 == "STRING") {
        let name = |(t, piece): (&'static str, bool)| if piece { "STRING_PIECE" } else { t };
        cx.report(
            Some(token_or_field(&pair.cur, &[8, 1])),
            Some(token_or_field(&pair.prev, &[8, 1])),
            format!(
                "{} changed C++ string type from {} to {}.",
                field_description(&pair.cur),
                q(name(prev)),
                q(name(cur))
            ),
        );
    }
}

/// The `utf8_validation` feature a proto2/proto3 string field resolves to.
fn utf8_validation(f: &Field) -> &'static str {
    if f.file().syntax() == Syntax::Proto3 {
        "VERIFY"
    } else {
        "NONE"
    }
}

/// FIELD_SAME_UTF8_VALIDATION: a string field's UTF-8 validation changed.
pub(crate) fn field_same_utf8_validation(cx: &mut Cx<'_>, pair: &FieldPair) {
    if pair.prev.kind() != Kind::String || pair.cur.kind() != Kind::String {
        return;
    }
    let (prev, cur) = (utf8_validation(&pair.prev), utf8_validation(&pair.cur));
    if prev != cur {
        cx.report(
            Some(loc(&pair.cur)),
            Some(loc(&pair.prev)),
            format!(
                "{} changed UTF8 validation from {prev} to {cur}.",
                field_description(&pair.cur)
            ),
        );
    }
}

fn java_utf8_validation(f: &Field) -> &'static str {
    let check = f
        .file()
        .file_descriptor_proto()
        .options
        .as_ref()
        .and_then(|o| o.java_string_check_utf8)
        .unwrap_or(false);
    if check {
        "VERIFY"
    } else {
        utf8_validation(f)
    }
}

/// FIELD_SAME_JAVA_UTF8_VALIDATION: Java's UTF-8 checking of a string field changed.
pub(crate) fn field_same_java_utf8_validation(cx: &mut Cx<'_>, pair: &FieldPair) {
    if pair.prev.kind() != Kind::String || pair.cur.kind() != Kind::String {
        return;
    }
    let (prev, cur) = (
        java_utf8_validation(&pair.prev),
        java_utf8_validation(&pair.cur),
    );
    if prev != cur {
        let at = |f: &Field| Loc::at(&f.file(), &[8, 27]).or(f.path());
        cx.report(
            Some(at(&pair.cur)),
            Some(at(&pair.prev)),
            format!(
                "{} changed Java string UTF8 validation from {} to {}.",
                field_description(&pair.cur),
                q(prev),
                q(cur)
            ),
        );
    }
}

/// FIELD_SAME_JSTYPE: option `jstype` of a 64-bit integer field changed.
pub(crate) fn field_same_jstype(cx: &mut Cx<'_>, pair: &FieldPair) {
    let is_64 = |f: &Field| {
        matches!(
            f.kind(),
            Kind::Int64 | Kind::Sint64 | Kind::Uint64 | Kind::Fixed64 | Kind::Sfixed64
        )
    };
    if !is_64(&pair.prev) || !is_64(&pair.cur) {
        return;
    }
    let jstype = |f: &Field| match f.proto().options.as_ref().and_then(|o| o.jstype) {
        Some(1) => "JS_STRING",
        Some(2) => "JS_NUMBER",
        _ => "JS_NORMAL",
    };
    let (prev, cur) = (jstype(&pair.prev), jstype(&pair.cur));
    if prev != cur {
        cx.report(
            Some(token_or_field(&pair.cur, &[8, 6])),
            Some(token_or_field(&pair.prev, &[8, 6])),
            format!(
                "{} changed option \"jstype\" from {} to {}.",
                field_description(&pair.cur),
                q(prev),
                q(cur)
            ),
        );
    }
}

/// A default value as buf compares and prints it.
#[derive(Debug, Clone, PartialEq)]
enum Default {
    Text(Vec<u8>),
    Int(i128),
    F32(f32),
    F64(f64),
}

impl Default {
    fn is_zero(&self) -> bool {
        match self {
            Default::Text(t) => t.is_empty(),
            Default::Int(i) => *i == 0,
            Default::F32(f) => f.to_bits() == 0,
            Default::F64(f) => f.to_bits() == 0,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Default::F32(f) => Some(f64::from(*f)),
            Default::F64(f) => Some(*f),
            _ => None,
        }
    }

    fn equals(&self, other: &Default) -> bool {
        match (self, other) {
            (Default::Text(a), Default::Text(b)) => a == b,
            (Default::Text(_), _) | (_, Default::Text(_)) => false,
            (Default::F32(a), Default::F64(b)) | (Default::F64(b), Default::F32(a)) => {
                (a.is_nan() && b.is_nan()) || *a == *b as f32
            }
            (Default::Int(a), Default::Int(b)) => a == b,
            _ => {
                let (a, b) = (self.as_f64(), other.as_f64());
                match (a, b) {
                    (Some(a), Some(b)) => (a.is_nan() && b.is_nan()) || a == b,
                    (Some(f), None) | (None, Some(f)) => {
                        let i = match (self, other) {
                            (Default::Int(i), _) | (_, Default::Int(i)) => *i,
                            _ => return false,
                        };
                        !f.is_nan() && f.fract() == 0.0 && f == i as f64 && f as i128 == i
                    }
                    (None, None) => false,
                }
            }
        }
    }
}

/// The default of a scalar field and its printed form (Go's `%v`).
fn default_of(f: &Field) -> (Default, String) {
    match f.default_value() {
        Value::Bool(b) => (Default::Int(i128::from(b)), b.to_string()),
        Value::I32(v) => (Default::Int(i128::from(v)), v.to_string()),
        Value::I64(v) => (Default::Int(i128::from(v)), v.to_string()),
        Value::U32(v) => (Default::Int(i128::from(v)), v.to_string()),
        Value::U64(v) => (Default::Int(i128::from(v)), v.to_string()),
        Value::F32(v) => (Default::F32(v), go_float(f64::from(v), &format!("{v:e}"))),
        Value::F64(v) => (Default::F64(v), go_float(v, &format!("{v:e}"))),
        Value::String(s) => {
            let printed = q(&s);
            (Default::Text(s.into_bytes()), printed)
        }
        Value::Bytes(b) => {
            let printed = b
                .iter()
                .map(|b| format!("0x{b:X}"))
                .collect::<Vec<_>>()
                .join(",");
            (Default::Text(b.to_vec()), format!("[{printed}]"))
        }
        Value::EnumNumber(n) => {
            let printed = match f.kind() {
                Kind::Enum(e) => match e.get_value(n) {
                    Some(v) => format!("{}.{}", e.name(), v.name()),
                    None => format!("{}.{n}(?)", e.name()),
                },
                _ => n.to_string(),
            };
            (Default::Int(i128::from(n)), printed)
        }
        _ => (Default::Int(0), String::new()),
    }
}

/// FIELD_SAME_DEFAULT: the default value of a scalar field changed (v2 only).
pub(crate) fn field_same_default(cx: &mut Cx<'_>, pair: &FieldPair) {
    let can_have_default =
        |f: &Field| !f.is_list() && !f.is_map() && !matches!(f.kind(), Kind::Message(_));
    if !can_have_default(&pair.prev) || !can_have_default(&pair.cur) {
        return;
    }
    let ((prev, prev_text), (cur, cur_text)) = (default_of(&pair.prev), default_of(&pair.cur));
    if prev.is_zero() && cur.is_zero() {
        return;
    }
    if !prev.equals(&cur) {
        cx.report(
            Some(Loc::field_default(&pair.cur.file(), pair.cur.path())),
            Some(Loc::field_default(&pair.prev.file(), pair.prev.path())),
            format!(
                "{} changed default value from {prev_text} to {cur_text}.",
                field_description(&pair.cur)
            ),
        );
    }
}
