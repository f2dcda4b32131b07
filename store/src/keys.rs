//! The key layout: the only place that builds or parses sled keys.
//!
//! One tree holds everything, so a write of several records is one atomic batch. Every
//! key starts with a one-byte tag; integers are big-endian so sled's byte order is numeric
//! order; context and subject strings are terminated by `0x00` (control characters are
//! refused in both at the API boundary, so the terminator cannot occur inside them).
//!
//! | tag | key | value |
//! |---|---|---|
//! | `n` | `n` | next global schema id (u32 BE) |
//! | `S` | `S ctx 0 id` | [`SchemaRecord`](super::records::SchemaRecord) |
//! | `I` | `I id ctx` | empty: contexts that hold schema `id` |
//! | `H` | `H ctx 0 hash` | id (u32 BE): content hash to id, per context, kept forever; a prefix scan on the hash's first 16 bytes finds a GUID |
//! | `V` | `V ctx 0 subject 0 version` | [`VersionRecord`](super::records::VersionRecord) |
//! | `U` | `U ctx 0 id subject 0 version` | empty: subject-versions carrying `id` |
//! | `R` | `R ctx 0 subject 0 version ctx 0 subject 0 version` | referrer id (u32 BE): target first, then referrer |
//! | `C` | `C scope` | [`ConfigRecord`](super::records::ConfigRecord) |
//! | `O` | `O scope` | [`ModeRecord`](super::records::ModeRecord) |
//! | `X` | `X ctx` | empty: named contexts that exist |
//! | `K` | `K ctx 0 subject 0 key` | a kept compatibility-history entry of the subject (key and value are the registry's, opaque here) |

use crate::types::{Context, Subject};

/// Tag of the next-id counter.
pub(crate) const NEXT_ID: &[u8] = b"n";
/// Tag of schema records.
pub(crate) const SCHEMA: u8 = b'S';
/// Tag of the id-to-context index.
pub(crate) const ID_CONTEXT: u8 = b'I';
/// Tag of the content-hash index.
pub(crate) const HASH: u8 = b'H';
/// Tag of version records.
pub(crate) const VERSION: u8 = b'V';
/// Tag of the id-usage index.
pub(crate) const USAGE: u8 = b'U';
/// Tag of the reference index.
pub(crate) const REFERENCE: u8 = b'R';
/// Tag of config records.
pub(crate) const CONFIG: u8 = b'C';
/// Tag of mode records.
pub(crate) const MODE: u8 = b'O';
/// Tag of context records.
pub(crate) const CONTEXT: u8 = b'X';
/// Tag of kept compatibility-history entries.
pub(crate) const HISTORY: u8 = b'K';

fn push_str(key: &mut Vec<u8>, s: &str) {
    key.extend_from_slice(s.as_bytes());
    key.push(0);
}

fn push_subject(key: &mut Vec<u8>, subject: &Subject) {
    push_str(key, subject.context.as_str());
    push_str(key, &subject.name);
}

/// `S ctx 0 id`.
pub(crate) fn schema(ctx: &Context, id: u32) -> Vec<u8> {
    let mut k = vec![SCHEMA];
    push_str(&mut k, ctx.as_str());
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// `I id ctx`.
pub(crate) fn id_context(id: u32, ctx: &Context) -> Vec<u8> {
    let mut k = id_context_prefix(id);
    k.extend_from_slice(ctx.as_str().as_bytes());
    k
}

/// `I id`: prefix of every context holding `id`.
pub(crate) fn id_context_prefix(id: u32) -> Vec<u8> {
    let mut k = vec![ID_CONTEXT];
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// `H ctx 0 hash`.
pub(crate) fn hash(ctx: &Context, hash: &[u8]) -> Vec<u8> {
    let mut k = vec![HASH];
    push_str(&mut k, ctx.as_str());
    k.extend_from_slice(hash);
    k
}

/// `V ctx 0 subject 0`: prefix of a subject's versions.
pub(crate) fn versions_prefix(subject: &Subject) -> Vec<u8> {
    let mut k = vec![VERSION];
    push_subject(&mut k, subject);
    k
}

/// `K ctx 0 subject 0`: prefix of a subject's kept history entries.
pub(crate) fn history_prefix(subject: &Subject) -> Vec<u8> {
    let mut k = vec![HISTORY];
    push_subject(&mut k, subject);
    k
}

/// `K ctx 0 subject 0 key`.
pub(crate) fn history(subject: &Subject, key: &[u8]) -> Vec<u8> {
    let mut k = history_prefix(subject);
    k.extend_from_slice(key);
    k
}

/// `V ctx 0`: prefix of every version in a context (`None`: all contexts).
pub(crate) fn versions_in_context(ctx: Option<&Context>) -> Vec<u8> {
    let mut k = vec![VERSION];
    if let Some(ctx) = ctx {
        push_str(&mut k, ctx.as_str());
    }
    k
}

/// `V ctx 0 subject 0 version`.
pub(crate) fn version(subject: &Subject, version: u32) -> Vec<u8> {
    let mut k = versions_prefix(subject);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// `U ctx 0 id`: prefix of the subject-versions carrying `id`.
pub(crate) fn usage_prefix(ctx: &Context, id: u32) -> Vec<u8> {
    let mut k = vec![USAGE];
    push_str(&mut k, ctx.as_str());
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// `U ctx 0 id subject 0 version` (the subject's context is `ctx`).
pub(crate) fn usage(id: u32, subject: &Subject, version: u32) -> Vec<u8> {
    let mut k = usage_prefix(&subject.context, id);
    push_str(&mut k, &subject.name);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// `R target-subject target-version`: prefix of the referrers of one version.
pub(crate) fn referrers_prefix(target: &Subject, version: u32) -> Vec<u8> {
    let mut k = vec![REFERENCE];
    push_subject(&mut k, target);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// `R target… referrer…`.
pub(crate) fn reference(
    target: &Subject,
    target_version: u32,
    referrer: &Subject,
    referrer_version: u32,
) -> Vec<u8> {
    let mut k = referrers_prefix(target, target_version);
    push_subject(&mut k, referrer);
    k.extend_from_slice(&referrer_version.to_be_bytes());
    k
}

/// `C scope`.
pub(crate) fn config(scope: &str) -> Vec<u8> {
    let mut k = vec![CONFIG];
    k.extend_from_slice(scope.as_bytes());
    k
}

/// `O scope`.
pub(crate) fn mode(scope: &str) -> Vec<u8> {
    let mut k = vec![MODE];
    k.extend_from_slice(scope.as_bytes());
    k
}

/// `X ctx`.
pub(crate) fn context(ctx: &Context) -> Vec<u8> {
    let mut k = vec![CONTEXT];
    k.extend_from_slice(ctx.as_str().as_bytes());
    k
}

/// Reads a big-endian u32.
pub(crate) fn be_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?))
}

/// Splits a `0`-terminated string off the front of `bytes`.
fn take_str(bytes: &[u8]) -> Option<(String, &[u8])> {
    let end = bytes.iter().position(|b| *b == 0)?;
    let s = String::from_utf8(bytes[..end].to_vec()).ok()?;
    Some((s, &bytes[end + 1..]))
}

/// Parses `ctx 0 subject 0 version` (returns the rest).
fn take_subject_version(bytes: &[u8]) -> Option<(Subject, u32, &[u8])> {
    let (ctx, rest) = take_str(bytes)?;
    let (name, rest) = take_str(rest)?;
    let version = be_u32(rest)?;
    Some((
        Subject::new(Context::from_stored(ctx), name),
        version,
        &rest[4..],
    ))
}

/// Parses a `V` key.
pub(crate) fn parse_version(key: &[u8]) -> Option<(Subject, u32)> {
    let (subject, version, rest) = take_subject_version(key.strip_prefix(&[VERSION])?)?;
    rest.is_empty().then_some((subject, version))
}

/// Parses an `S` key.
pub(crate) fn parse_schema(key: &[u8]) -> Option<(Context, u32)> {
    let (ctx, rest) = take_str(key.strip_prefix(&[SCHEMA])?)?;
    Some((Context::from_stored(ctx), be_u32(rest)?))
}

/// Parses the `subject 0 version` tail of a `U` key after its prefix.
pub(crate) fn parse_usage_tail(ctx: &Context, tail: &[u8]) -> Option<(Subject, u32)> {
    let (name, rest) = take_str(tail)?;
    Some((Subject::new(ctx.clone(), name), be_u32(rest)?))
}

/// Parses the referrer half of an `R` key after its prefix.
pub(crate) fn parse_referrer_tail(tail: &[u8]) -> Option<(Subject, u32)> {
    let (subject, version, _) = take_subject_version(tail)?;
    Some((subject, version))
}

/// Parses the context of an `I` key after its prefix.
pub(crate) fn parse_id_context_tail(tail: &[u8]) -> Option<Context> {
    Some(Context::from_stored(String::from_utf8(tail.to_vec()).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_keys_round_trip_and_sort_numerically() {
        let s = Subject::parse(":.hunt-1:orders-value").unwrap();
        let k2 = version(&s, 2);
        let k10 = version(&s, 10);
        assert!(k2 < k10);
        assert_eq!(parse_version(&k10), Some((s.clone(), 10)));
        assert!(k10.starts_with(&versions_prefix(&s)));
        let other = Subject::parse(":.hunt-1:orders-value2").unwrap();
        assert!(!version(&other, 1).starts_with(&versions_prefix(&s)));
    }

    #[test]
    fn reference_keys_split_into_target_and_referrer() {
        let t = Subject::parse("common.proto").unwrap();
        let r = Subject::parse(":.h:orders").unwrap();
        let k = reference(&t, 1, &r, 3);
        let prefix = referrers_prefix(&t, 1);
        assert_eq!(parse_referrer_tail(&k[prefix.len()..]), Some((r, 3)));
    }
}
