//! Message text in buf's voice: Go's `%q` quoting, field descriptions, kind names and Go's
//! `%v` float formatting, so findings read exactly as `buf breaking` prints them.

use std::fmt::Write;

use prost_reflect::Kind;

use crate::pairs::Field;

/// Quotes `s` as Go's `%q` (`strconv.Quote`) does.
pub(crate) fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Quotes each name and joins them with `, ` (buf's `JoinSliceQuoted`).
pub(crate) fn q_list<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| q(n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Field "3" with name "id" on message "Order"`, or for extensions
/// `Extension "100" with name "pkg.ext" on message "pkg.Extended"`.
pub(crate) fn field_description(field: &Field) -> String {
    let name = match field {
        Field::Field(f) => f.name(),
        Field::Extension(e) => e.full_name(),
    };
    field_description_with_name(field, Some(name))
}

/// As [`field_description`], with an explicit name (or none).
pub(crate) fn field_description_with_name(field: &Field, name: Option<&str>) -> String {
    let name = name
        .map(|n| format!(" with name {}", q(n)))
        .unwrap_or_default();
    match field {
        Field::Field(f) => format!(
            "Field \"{}\"{name} on message {}",
            f.number(),
            q(f.parent_message().name())
        ),
        Field::Extension(e) => format!(
            "Extension \"{}\"{name} on message {}",
            e.number(),
            q(e.containing_message().full_name())
        ),
    }
}

/// The name Go's `protoreflect.Kind` prints for a field's type.
pub(crate) fn kind_name(field: &Field) -> &'static str {
    match field.kind() {
        Kind::Double => "double",
        Kind::Float => "float",
        Kind::Int64 => "int64",
        Kind::Uint64 => "uint64",
        Kind::Int32 => "int32",
        Kind::Fixed64 => "fixed64",
        Kind::Fixed32 => "fixed32",
        Kind::Bool => "bool",
        Kind::String => "string",
        Kind::Bytes => "bytes",
        Kind::Uint32 => "uint32",
        Kind::Sfixed32 => "sfixed32",
        Kind::Sfixed64 => "sfixed64",
        Kind::Sint32 => "sint32",
        Kind::Sint64 => "sint64",
        Kind::Enum(_) => "enum",
        Kind::Message(_) if field.is_group() => "group",
        Kind::Message(_) => "message",
    }
}

/// Formats a float as Go's `%v` does (`strconv.FormatFloat(f, 'g', -1, bits)`).
pub(crate) fn go_float(value: f64, shortest_repr: &str) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    // `shortest_repr` is Rust's `{:e}` output: shortest round-trip digits, e.g. `-1.25e3`.
    let (mantissa, exp) = shortest_repr
        .split_once('e')
        .unwrap_or((shortest_repr, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if value == 0.0 {
        return format!("{sign}0");
    }
    if !(-4..6).contains(&exp) {
        let mut out = String::from(sign);
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
        return out;
    }
    let point = exp + 1;
    let mut out = String::from(sign);
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
        out.push_str(&digits);
    } else if (point as usize) >= digits.len() {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
    } else {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        assert_eq!(q("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(q("\x01é"), "\"\\x01é\"");
    }

    #[test]
    fn floats_like_go() {
        let f = |v: f64| go_float(v, &format!("{v:e}"));
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(100000.0), "100000");
        assert_eq!(f(1e6), "1e+06");
        assert_eq!(f(1.234567e6), "1.234567e+06");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(0.00001), "1e-05");
        assert_eq!(f(-2.5e-7), "-2.5e-07");
        assert_eq!(f(f64::INFINITY), "+Inf");
        assert_eq!(f(f64::NAN), "NaN");
        assert_eq!(f(0.0), "0");
        let v = 0.1f32;
        assert_eq!(go_float(f64::from(v), &format!("{v:e}")), "0.1");
    }
}
