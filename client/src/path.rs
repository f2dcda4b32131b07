//! How a hunt's requests are addressed: path segments percent-encoded, a hunt (Confluent
//! context `.{hunt}`) reached through the `/contexts/.{hunt}/` prefix and the default
//! context (`.`) through the root paths, and subjects qualified so that no registry falls
//! back to another context.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters kept as-is in a path segment (RFC 3986 unreserved); `/` and `:` are encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The media type every request sends and accepts.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Percent-encodes one path segment (a subject, a context).
pub fn segment(raw: &str) -> String {
    utf8_percent_encode(raw, SEGMENT).to_string()
}

/// True for the default context: `.`, an empty name, or only dots.
pub fn is_default_context(hunt: &str) -> bool {
    hunt.trim_start_matches('.').is_empty()
}

/// The path prefix of a hunt's requests: `/contexts/.{hunt}` (encoded), or empty for the
/// default context, whose requests use the root paths. `hunt` may carry its leading dot.
pub fn hunt_prefix(hunt: &str) -> String {
    if is_default_context(hunt) {
        return String::new();
    }
    format!("/contexts/.{}", segment(hunt.trim_start_matches('.')))
}

/// A subject written with its context, `:.{hunt}:{name}`, or `:.:{name}` for the default
/// context.
pub fn qualified(hunt: &str, name: &str) -> String {
    format!(":.{}:{name}", hunt.trim_start_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunts_and_subjects_are_addressed_by_their_context() {
        assert_eq!(hunt_prefix("."), "");
        assert_eq!(hunt_prefix(""), "");
        assert_eq!(hunt_prefix("hunt-42"), "/contexts/.hunt-42");
        assert_eq!(hunt_prefix(".hunt-42"), "/contexts/.hunt-42");
        assert_eq!(hunt_prefix("a/b"), "/contexts/.a%2Fb");
        assert_eq!(
            segment("treasure/v1/a b.proto"),
            "treasure%2Fv1%2Fa%20b.proto"
        );
        assert_eq!(segment(":.h:x"), "%3A.h%3Ax");
        assert_eq!(qualified(".", "x"), ":.:x");
        assert_eq!(qualified("hunt-42", "x"), ":.hunt-42:x");
        assert_eq!(qualified(".hunt-42", "x"), ":.hunt-42:x");
    }
}
