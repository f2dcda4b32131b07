//! Line patches between a subject's consecutive schema texts, and the short digest that
//! proves a text was rebuilt right: the lockfile (format 2, `huntreg-codegen`) stores each
//! version after a subject's first as a patch against the version before it, and the
//! registry's lockfile endpoint serves them in that form, so both sides compute them alike.
//!
//! A text is cut at every `\n` into lines, so `"a\nb\n"` is the three lines `a`, `b` and
//! `` (empty): every text, with or without a trailing newline, is its lines joined by
//! `\n`. A patch is one operation per line, each ending in `\n`:
//!
//! | line | meaning |
//! |---|---|
//! | `=N` | keep the next `N` lines of the previous text |
//! | `-N` | drop the next `N` lines of the previous text |
//! | `+TEXT` | insert the line `TEXT`, verbatim (it may itself start with `+`, `-`, `=` or `@@`) |
//!
//! A patch consumes the previous text exactly: applying it fails unless its `=` and `-`
//! runs add up to the previous text's line count.

use std::fmt::Write as _;

use sha2::{Digest as _, Sha256};

/// Hex digits of SHA-256 the lockfile writes (64 bits: a check against mistakes, not
/// against an adversary who can edit the file anyway).
pub const DIGEST_LEN: usize = 16;

/// The first [`DIGEST_LEN`] hex digits of the SHA-256 of `text`.
pub fn digest(text: &str) -> String {
    let hash = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in hash {
        let _ = write!(hex, "{byte:02x}");
    }
    hex.truncate(DIGEST_LEN);
    hex
}

/// True when `stored` (from 16 to 64 hex digits) is a prefix of the SHA-256 of `text`.
pub fn digest_matches(text: &str, stored: &str) -> bool {
    if !(DIGEST_LEN..=64).contains(&stored.len()) {
        return false;
    }
    let hash = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in hash {
        let _ = write!(hex, "{byte:02x}");
    }
    hex.starts_with(&stored.to_ascii_lowercase())
}

/// The patch that turns `old` into `new`: the common first and last lines are kept, the
/// lines between are replaced. Not a minimal diff, but exact, and minimal for the usual
/// step of a schema history (a field or message added, changed or removed in one place).
pub fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.split('\n').collect();
    let b: Vec<&str> = new.split('\n').collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = String::new();
    if prefix > 0 {
        let _ = writeln!(out, "={prefix}");
    }
    let dropped = a.len() - prefix - suffix;
    if dropped > 0 {
        let _ = writeln!(out, "-{dropped}");
    }
    for line in &b[prefix..b.len() - suffix] {
        out.push('+');
        out.push_str(line);
        out.push('\n');
    }
    if suffix > 0 {
        let _ = writeln!(out, "={suffix}");
    }
    out
}

/// Applies `patch` to `old`; the error says which patch line is wrong and why.
pub fn apply(old: &str, patch: &str) -> Result<String, String> {
    let a: Vec<&str> = old.split('\n').collect();
    let mut out: Vec<&str> = Vec::with_capacity(a.len() + 1);
    apply_lines(&a, patch, &mut out)?;
    Ok(out.join("\n"))
}

/// [`apply`] on a text cut into its lines: `out` gets the new text's lines, borrowed from
/// `old` and `patch` (what rebuilding a long chain of versions uses, so that no text in
/// between is joined). The text is `out` joined by `\n`.
pub fn apply_lines<'a>(
    old: &[&'a str],
    patch: &'a str,
    out: &mut Vec<&'a str>,
) -> Result<(), String> {
    out.clear();
    let a = old;
    let mut at = 0usize;
    let Some(body) = patch.strip_suffix('\n') else {
        return Err("the patch does not end with a newline".to_owned());
    };
    for (n, line) in body.split('\n').enumerate() {
        let n = n + 1;
        let count = |digits: &str| -> Result<usize, String> {
            let count: usize = digits
                .parse()
                .map_err(|_| format!("patch line {n}: {line:?} is not a count"))?;
            if count == 0 || count > a.len() - at {
                return Err(format!(
                    "patch line {n}: {line:?} runs past the previous text's {} lines",
                    a.len()
                ));
            }
            Ok(count)
        };
        match line.split_at_checked(1) {
            Some(("=", digits)) => {
                let run = count(digits)?;
                out.extend_from_slice(&a[at..at + run]);
                at += run;
            }
            Some(("-", digits)) => at += count(digits)?,
            Some(("+", text)) => out.push(text),
            _ => {
                return Err(format!(
                    "patch line {n}: {line:?} is none of `=N`, `-N`, `+TEXT`"
                ))
            }
        }
    }
    if at != a.len() {
        return Err(format!(
            "the patch covers {at} of the previous text's {} lines",
            a.len()
        ));
    }
    Ok(())
}

/// [`digest_matches`] for the text that is `lines` joined by `\n`, without joining them.
pub fn lines_digest_matches(lines: &[&str], stored: &str) -> bool {
    if !(DIGEST_LEN..=64).contains(&stored.len()) {
        return false;
    }
    hex_of(&lines_sha256(lines)).starts_with(&stored.to_ascii_lowercase())
}

/// [`digest`] for the text that is `lines` joined by `\n`.
pub fn lines_digest(lines: &[&str]) -> String {
    let mut hex = hex_of(&lines_sha256(lines));
    hex.truncate(DIGEST_LEN);
    hex
}

fn lines_sha256(lines: &[&str]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            hasher.update(b"\n");
        }
        hasher.update(line.as_bytes());
    }
    hasher.finalize().into()
}

fn hex_of(hash: &[u8]) -> String {
    let mut hex = String::with_capacity(64);
    for byte in hash {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_added_is_a_three_line_patch() {
        let old = "message M {\n  int32 a = 1;\n}\n";
        let new = "message M {\n  int32 a = 1;\n  int32 b = 2;\n}\n";
        assert_eq!(diff(old, new), "=2\n+  int32 b = 2;\n=2\n");
        assert_eq!(apply(old, &diff(old, new)).unwrap(), new);
    }

    #[test]
    fn patch_syntax_in_the_text_is_inserted_verbatim() {
        let old = "a";
        let new = "+b\n-1\n=2\n@@ -1 +1 @@\n";
        assert_eq!(apply(old, &diff(old, new)).unwrap(), new);
        assert_eq!(apply("x\n", &diff("x\n", "x")).unwrap(), "x");
        assert_eq!(apply("", &diff("", "")).unwrap(), "");
    }

    #[test]
    fn lines_give_the_same_text_and_digest() {
        let old = "a\nb\nc\n";
        let new = "a\nx\nc\n\n";
        let patch = diff(old, new);
        let lines: Vec<&str> = old.split('\n').collect();
        let mut out = Vec::new();
        apply_lines(&lines, &patch, &mut out).unwrap();
        assert_eq!(out.join("\n"), new);
        assert_eq!(lines_digest(&out), digest(new));
        assert!(lines_digest_matches(&out, &digest(new)));
        assert!(!lines_digest_matches(&out, &digest(old)));
    }

    #[test]
    fn bad_patches_are_errors() {
        for (old, patch, want) in [
            ("a\nb", "=3\n", "runs past"),
            ("a\nb", "=1\n", "covers 1 of"),
            ("a", "*1\n", "none of"),
            ("a", "=x\n", "not a count"),
            ("a", "=0\n", "runs past"),
            ("a", "=1", "newline"),
            ("a", "\n", "none of"),
        ] {
            let err = apply(old, patch).unwrap_err();
            assert!(err.contains(want), "{patch:?}: {err}");
        }
    }

    #[test]
    fn digests_are_prefixes_of_sha256() {
        assert_eq!(digest(""), "e3b0c44298fc1c14");
        assert!(digest_matches("", "e3b0c44298fc1c14"));
        assert!(digest_matches(
            "",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        ));
        assert!(!digest_matches("", "e3b0c442"));
        assert!(!digest_matches("x", "e3b0c44298fc1c14"));
    }
}
