//! The console's pure parts: `.proto` highlighting, side-by-side diff rows, Confluent
//! message-index tables and the URL spellings of hunts and subjects. No I/O, no state.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use prost_types::{DescriptorProto, FileDescriptorProto};
use serde::Serialize;

use crate::types::{Context, Subject};

/// Characters kept as-is in a path segment (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A string percent-encoded as one URL path segment (`/` and `:` included).
pub(crate) fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// The path segment naming a context in console URLs: `.hunt-42`, or `:.:` for the
/// default context (a lone `.` is a dot segment, which no path may hold).
pub(crate) fn context_segment(ctx: &Context) -> String {
    if ctx.is_default() {
        segment(":.:")
    } else {
        segment(ctx.as_str())
    }
}

/// The label a person reads for a context.
pub(crate) fn context_label(ctx: &Context) -> String {
    if ctx.is_default() {
        "default context".to_owned()
    } else {
        ctx.as_str().trim_start_matches('.').to_owned()
    }
}

/// `/ui/hunts/{ctx}`.
pub(crate) fn hunt_href(ctx: &Context) -> String {
    format!("/ui/hunts/{}", context_segment(ctx))
}

/// `/ui/hunts/{ctx}/subjects/{name}`.
pub(crate) fn subject_href(subject: &Subject) -> String {
    format!(
        "{}/subjects/{}",
        hunt_href(&subject.context),
        segment(&subject.name)
    )
}

/// `0x9d`: how the field report's consumers printed IDs.
pub(crate) fn hex_id(id: u32) -> String {
    format!("0x{id:x}")
}

/// Reads a schema ID typed in decimal or hex (`157`, `0x9d`, `0X9D`).
pub(crate) fn parse_id(raw: &str) -> Option<u32> {
    let raw = raw.trim();
    match raw.strip_prefix("0x").or_else(|| raw.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => raw.parse().ok(),
    }
}

/// A registration time (milliseconds since the Unix epoch) as `2026-12-06 15:20:11 UTC`.
pub(crate) fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

const KEYWORDS: &[&str] = &[
    "syntax",
    "edition",
    "package",
    "import",
    "public",
    "weak",
    "option",
    "message",
    "enum",
    "service",
    "rpc",
    "returns",
    "stream",
    "oneof",
    "map",
    "repeated",
    "optional",
    "required",
    "reserved",
    "extend",
    "extensions",
    "to",
    "max",
    "group",
    "double",
    "float",
    "int32",
    "int64",
    "uint32",
    "uint64",
    "sint32",
    "sint64",
    "fixed32",
    "fixed64",
    "sfixed32",
    "sfixed64",
    "bool",
    "string",
    "bytes",
    "true",
    "false",
];

/// `s` with `& < > " '` escaped: safe in element content and quoted attribute values.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape(&mut out, s);
    out
}

fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn span(out: &mut String, class: &str, s: &str) {
    out.push_str("<span class=\"tok-");
    out.push_str(class);
    out.push_str("\">");
    escape(out, s);
    out.push_str("</span>");
}

/// One line of `.proto` text as escaped HTML with keyword, string, number and comment
/// spans. `in_block` carries an open `/* … */` comment from line to line.
pub(crate) fn highlight_line(line: &str, in_block: &mut bool) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    let mut rest = line;
    while !rest.is_empty() {
        if *in_block {
            match rest.find("*/") {
                Some(end) => {
                    span(&mut out, "com", &rest[..end + 2]);
                    rest = &rest[end + 2..];
                    *in_block = false;
                }
                None => {
                    span(&mut out, "com", rest);
                    rest = "";
                }
            }
            continue;
        }
        if rest.starts_with("//") {
            span(&mut out, "com", rest);
            break;
        }
        if rest.starts_with("/*") {
            *in_block = true;
            span(&mut out, "com", "/*");
            rest = &rest[2..];
            continue;
        }
        let first = rest.chars().next().unwrap_or(' ');
        if first == '"' || first == '\'' {
            let mut end = rest.len();
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == first {
                    end = i + 1;
                    break;
                }
            }
            span(&mut out, "str", &rest[..end]);
            rest = &rest[end..];
        } else if first.is_ascii_alphanumeric() || first == '_' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            if KEYWORDS.contains(&word) {
                span(&mut out, "kw", word);
            } else if first.is_ascii_digit() {
                span(&mut out, "num", word);
            } else {
                escape(&mut out, word);
            }
            rest = &rest[end..];
        } else {
            let len = first.len_utf8();
            escape(&mut out, &rest[..len]);
            rest = &rest[len..];
        }
    }
    out
}

/// Every line of `text`, highlighted.
pub(crate) fn highlight(text: &str) -> Vec<String> {
    let mut in_block = false;
    text.lines()
        .map(|l| highlight_line(l, &mut in_block))
        .collect()
}

/// One row of a side-by-side diff: a line on either side, or both.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct DiffRow {
    /// `same`, `change`, `delete` or `insert`.
    pub(crate) kind: &'static str,
    /// 1-based line number on the left (older) side.
    pub(crate) left_no: Option<usize>,
    /// Highlighted HTML of the left line.
    pub(crate) left: String,
    /// 1-based line number on the right (newer) side.
    pub(crate) right_no: Option<usize>,
    /// Highlighted HTML of the right line.
    pub(crate) right: String,
}

/// Side-by-side rows of a line diff of `old` and `new`. Runs of unchanged lines longer
/// than `2 * context + 1` are cut to `context` lines either side of a change; a cut is a
/// row of kind `skip` whose `left` says how many lines it hides.
pub(crate) fn diff_rows(old: &str, new: &str, context: usize) -> Vec<DiffRow> {
    use similar::{DiffTag, TextDiff};
    let left = highlight(old);
    let right = highlight(new);
    let diff = TextDiff::from_lines(old, new);
    let mut rows = Vec::new();
    let row = |kind, l: Option<usize>, r: Option<usize>| DiffRow {
        kind,
        left_no: l.map(|i| i + 1),
        left: l.and_then(|i| left.get(i).cloned()).unwrap_or_default(),
        right_no: r.map(|i| i + 1),
        right: r.and_then(|i| right.get(i).cloned()).unwrap_or_default(),
    };
    let ops = diff.ops();
    for (n, op) in ops.iter().enumerate() {
        let (tag, a, b) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                let len = a.len();
                let keep_before = if n == 0 { 0 } else { context };
                let keep_after = if n + 1 == ops.len() { 0 } else { context };
                if len > keep_before + keep_after + 1 {
                    for i in 0..keep_before {
                        rows.push(row("same", Some(a.start + i), Some(b.start + i)));
                    }
                    let hidden = len - keep_before - keep_after;
                    rows.push(DiffRow {
                        kind: "skip",
                        left_no: None,
                        left: format!("… {hidden} unchanged lines …"),
                        right_no: None,
                        right: String::new(),
                    });
                    for i in len - keep_after..len {
                        rows.push(row("same", Some(a.start + i), Some(b.start + i)));
                    }
                } else {
                    for i in 0..len {
                        rows.push(row("same", Some(a.start + i), Some(b.start + i)));
                    }
                }
            }
            DiffTag::Delete => rows.extend(a.map(|i| row("delete", Some(i), None))),
            DiffTag::Insert => rows.extend(b.map(|i| row("insert", None, Some(i)))),
            DiffTag::Replace => {
                let pairs = a.len().max(b.len());
                for k in 0..pairs {
                    let l = (k < a.len()).then(|| a.start + k);
                    let r = (k < b.len()).then(|| b.start + k);
                    let kind = match (l, r) {
                        (Some(_), Some(_)) => "change",
                        (Some(_), None) => "delete",
                        _ => "insert",
                    };
                    rows.push(row(kind, l, r));
                }
            }
        }
    }
    rows
}

/// One message of a file and the bytes Confluent's framing writes for it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct IndexedMessage {
    /// Full name.
    pub(crate) name: String,
    /// The index path, comma-separated (`0`, `1, 0`).
    pub(crate) path: String,
    /// The message-index bytes after the schema ID, in hex (`00` for `[0]`).
    pub(crate) bytes: String,
    /// A synthesized map entry (descriptor-based serializers count them).
    pub(crate) map_entry: bool,
}

fn zigzag(out: &mut Vec<u8>, n: i64) {
    let mut v = ((n << 1) ^ (n >> 63)) as u64;
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
}

/// The message-index bytes of `path` as Confluent's serializers write them: `00` for the
/// first message, else a zigzag varint count and a zigzag varint per index.
pub(crate) fn index_bytes(path: &[u32]) -> String {
    let mut out = Vec::new();
    if path == [0] {
        out.push(0);
    } else {
        zigzag(&mut out, path.len() as i64);
        for &i in path {
            zigzag(&mut out, i64::from(i));
        }
    }
    out.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every message of `file` in declaration order with its index path.
pub(crate) fn indexed_messages(file: &FileDescriptorProto) -> Vec<IndexedMessage> {
    fn walk(
        prefix: &str,
        path: &[u32],
        messages: &[DescriptorProto],
        out: &mut Vec<IndexedMessage>,
    ) {
        for (i, m) in messages.iter().enumerate() {
            let mut here = path.to_vec();
            here.push(i as u32);
            let name = format!("{prefix}{}", m.name());
            out.push(IndexedMessage {
                name: name.clone(),
                path: here
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                bytes: index_bytes(&here),
                map_entry: m.options.as_ref().is_some_and(|o| o.map_entry()),
            });
            walk(&format!("{name}."), &here, &m.nested_type, out);
        }
    }
    let prefix = match file.package() {
        "" => String::new(),
        p => format!("{p}."),
    };
    let mut out = Vec::new();
    walk(&prefix, &[], &file.message_type, &mut out);
    out
}

/// A page of a listing: which slice to show and the links around it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Page {
    /// 1-based position of the first item shown (0 when there are none).
    pub(crate) first: usize,
    /// 1-based position of the last item shown.
    pub(crate) last: usize,
    /// How many items there are.
    pub(crate) total: usize,
    /// Link to the previous page.
    pub(crate) prev: Option<String>,
    /// Link to the next page.
    pub(crate) next: Option<String>,
    /// Range of item indexes shown.
    #[serde(skip)]
    pub(crate) range: std::ops::Range<usize>,
}

/// Page `number` (from 1) of `total` items, `size` a page, linked from `base` with
/// `?page=N`.
pub(crate) fn page(total: usize, size: usize, number: usize, base: &str) -> Page {
    let pages = total.div_ceil(size).max(1);
    let number = number.clamp(1, pages);
    let start = (number - 1) * size;
    let end = (start + size).min(total);
    let link = |n: usize| format!("{base}?page={n}");
    Page {
        first: if total == 0 { 0 } else { start + 1 },
        last: end,
        total,
        prev: (number > 1).then(|| link(number - 1)),
        next: (number < pages).then(|| link(number + 1)),
        range: start..end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_times_read_as_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_796_571_611_999), "2026-12-06 15:40:11 UTC");
    }

    #[test]
    fn ids_read_in_decimal_and_hex() {
        assert_eq!(parse_id("157"), Some(157));
        assert_eq!(parse_id(" 0x9d "), Some(157));
        assert_eq!(parse_id("0X9D"), Some(157));
        assert_eq!(parse_id("9d"), None);
        assert_eq!(parse_id("0x"), None);
        assert_eq!(parse_id("-1"), None);
        assert_eq!(hex_id(157), "0x9d");
    }

    #[test]
    fn highlighting_escapes_everything_it_does_not_mark() {
        let mut block = false;
        assert_eq!(
            highlight_line("  string note = 2; // <b>&", &mut block),
            "  <span class=\"tok-kw\">string</span> note = <span class=\"tok-num\">2</span>; <span class=\"tok-com\">// &lt;b&gt;&amp;</span>"
        );
        assert_eq!(
            highlight_line("option x = \"a\\\"<\";", &mut block),
            "<span class=\"tok-kw\">option</span> x = <span class=\"tok-str\">&quot;a\\&quot;&lt;&quot;</span>;"
        );
        assert_eq!(
            highlight_line("/* open", &mut block),
            "<span class=\"tok-com\">/*</span><span class=\"tok-com\"> open</span>"
        );
        assert!(block);
        assert_eq!(
            highlight_line("<x> */ y", &mut block),
            "<span class=\"tok-com\">&lt;x&gt; */</span> y"
        );
        assert!(!block);
    }

    #[test]
    fn index_bytes_are_confluents() {
        assert_eq!(index_bytes(&[0]), "00");
        assert_eq!(index_bytes(&[1]), "02 02");
        assert_eq!(index_bytes(&[0, 1]), "04 00 02");
        assert_eq!(index_bytes(&[70]), "02 8c 01");
    }

    #[test]
    fn diff_rows_pair_changes_and_cut_long_runs() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nd\ne\nf\ng\nH\ni\n";
        let rows = diff_rows(old, new, 2);
        let kinds: Vec<&str> = rows.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, ["skip", "same", "same", "change", "insert"]);
        assert_eq!(rows[0].left, "… 5 unchanged lines …");
        assert_eq!((rows[3].left_no, rows[3].right_no), (Some(8), Some(8)));
        assert_eq!((rows[4].left_no, rows[4].right_no), (None, Some(9)));
    }

    #[test]
    fn pages_clamp_and_link() {
        let p = page(250, 100, 9, "/x");
        assert_eq!((p.first, p.last, p.range.clone()), (201, 250, 200..250));
        assert_eq!(p.prev.as_deref(), Some("/x?page=2"));
        assert_eq!(p.next, None);
        let empty = page(0, 100, 1, "/x");
        assert_eq!(
            (empty.first, empty.last, empty.prev, empty.next),
            (0, 0, None, None)
        );
    }
}
