//! Naming: protobuf names to Rust identifiers and paths, consistent with prost-build
//! (heck for case conversion, `r#` or `_` for keywords), and hunt names to module names.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Escapes a Rust keyword the way prost-build does.
pub(crate) fn sanitize(ident: &str) -> String {
    match ident {
        "as" | "break" | "const" | "continue" | "else" | "enum" | "false" | "fn" | "for" | "if"
        | "impl" | "in" | "let" | "loop" | "match" | "mod" | "move" | "mut" | "pub" | "ref"
        | "return" | "static" | "struct" | "trait" | "true" | "type" | "unsafe" | "use"
        | "where" | "while" | "dyn" | "abstract" | "become" | "box" | "do" | "final" | "macro"
        | "override" | "priv" | "typeof" | "unsized" | "virtual" | "yield" | "async" | "await"
        | "try" | "gen" => format!("r#{ident}"),
        "_" | "super" | "self" | "Self" | "extern" | "crate" => format!("{ident}_"),
        s if s.starts_with(|c: char| c.is_numeric()) => format!("_{ident}"),
        _ => ident.to_owned(),
    }
}

/// `lower_snake` module or field name, as prost-build writes it.
pub(crate) fn to_snake(s: &str) -> String {
    sanitize(&s.to_snake_case())
}

/// `UpperCamel` type name, as prost-build writes it.
pub(crate) fn to_upper_camel(s: &str) -> String {
    sanitize(&s.to_upper_camel_case())
}

/// The Rust path of a message, relative to the hunt module, as prost-build lays it out:
/// package parts as snake-case modules, parent messages as snake-case modules, the
/// message itself in UpperCamel. `treasure.v1` + `["Found", "Where"]` becomes
/// `treasure::v1::found::Where`.
pub(crate) fn message_path(package: &str, names: &[&str]) -> String {
    let mut parts: Vec<String> = package
        .split('.')
        .filter(|p| !p.is_empty())
        .map(to_snake)
        .collect();
    if let Some((last, parents)) = names.split_last() {
        parts.extend(parents.iter().map(|p| to_snake(p)));
        parts.push(to_upper_camel(last));
    }
    parts.join("::")
}

/// The enum variant for a message: its names joined in UpperCamel (`Found` + `Where` =
/// `FoundWhere`), optionally prefixed by its package (`TreasureV1FoundWhere`).
pub(crate) fn variant(package: Option<&str>, names: &[&str]) -> String {
    let mut s = String::new();
    if let Some(package) = package {
        for part in package.split('.').filter(|p| !p.is_empty()) {
            s.push_str(&part.to_upper_camel_case());
        }
    }
    for name in names {
        s.push_str(&name.to_upper_camel_case());
    }
    sanitize(&s)
}

/// How the default context is spelled wherever a hunt is named: `huntreg pull --hunt .`,
/// `hunt: .` in the lockfile, `Builder::hunt(".")`. It is the context Confluent
/// serializers register in unless told otherwise; the registry serves it at its root
/// paths (no `/contexts/` prefix) under unqualified subject names.
pub const DEFAULT_CONTEXT: &str = ".";

/// The module name [`hunt_module`] gives the default context.
pub const DEFAULT_CONTEXT_MODULE: &str = "default_context";

/// A hunt's name as the lockfile and the generated code hold it: without the context's
/// leading dot (`.hunt-42` is `hunt-42`), except the default context, which is
/// [`DEFAULT_CONTEXT`] (`.`). The empty name stays empty (no hunt).
pub fn hunt_name(hunt: &str) -> String {
    let trimmed = hunt.trim_start_matches('.');
    if trimmed.is_empty() && !hunt.is_empty() {
        DEFAULT_CONTEXT.to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// True when `hunt` names the default context (`.`).
pub fn is_default_context(hunt: &str) -> bool {
    hunt_name(hunt) == DEFAULT_CONTEXT
}

/// The module name for a hunt: `hunt-42` becomes `hunt_42`, the default context `.`
/// becomes [`DEFAULT_CONTEXT_MODULE`] (`default_context`).
pub fn hunt_module(hunt: &str) -> String {
    if is_default_context(hunt) {
        return DEFAULT_CONTEXT_MODULE.to_owned();
    }
    let snake = hunt.trim_start_matches('.').to_snake_case();
    let snake = if snake.is_empty() {
        "hunt".to_owned()
    } else {
        snake
    };
    sanitize(&snake)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_prost_build() {
        assert_eq!(
            message_path("treasure.v1", &["TreasureFound"]),
            "treasure::v1::TreasureFound"
        );
        assert_eq!(
            message_path("a.type", &["Outer", "inner_msg"]),
            "a::r#type::outer::InnerMsg"
        );
        assert_eq!(message_path("", &["Self"]), "Self_");
        assert_eq!(variant(None, &["Outer", "inner"]), "OuterInner");
        assert_eq!(variant(Some("treasure.v1"), &["Found"]), "TreasureV1Found");
        assert_eq!(hunt_module("hunt-42"), "hunt_42");
        assert_eq!(hunt_module(".Hunt7"), "hunt7");
        assert_eq!(hunt_module("42"), "_42");
        assert_eq!(hunt_module("."), "default_context");
    }

    #[test]
    fn the_default_context_is_spelled_dot() {
        assert_eq!(hunt_name("."), ".");
        assert_eq!(hunt_name(".hunt-42"), "hunt-42");
        assert_eq!(hunt_name("hunt-42"), "hunt-42");
        assert_eq!(hunt_name(""), "");
        assert!(is_default_context("."));
        assert!(!is_default_context("hunt-42"));
        assert!(!is_default_context(""));
    }
}
