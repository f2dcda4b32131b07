//! Source locations: the only code that reads `SourceCodeInfo`. Rules name an element by
//! its descriptor path (plus fallbacks, as buf's `withBackupLocation`); this module turns
//! those paths into 1-based spans, building one index per file on first use.

use std::collections::{HashMap, HashSet};

use prost_reflect::FileDescriptor;

use crate::{Image, Location, Span};

/// Where a finding points before spans are looked up: a file and candidate descriptor
/// paths, most specific first. The first path present in the file's source info wins;
/// when none is present (or the pool has no source info) the location has no span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loc {
    pub(crate) file: String,
    paths: Vec<Vec<i32>>,
    /// The first path is a field's `default_value`: widen its span to the `default` key.
    default_value: bool,
}

impl Loc {
    /// The whole file, without a span (how buf reports a deleted top-level element).
    pub(crate) fn file(file: &FileDescriptor) -> Loc {
        Loc::file_named(file.name())
    }

    /// A file by name, without a span.
    pub(crate) fn file_named(name: &str) -> Loc {
        Loc {
            file: name.to_owned(),
            paths: Vec::new(),
            default_value: false,
        }
    }

    /// The element at `path` in `file`.
    pub(crate) fn at(file: &FileDescriptor, path: &[i32]) -> Loc {
        Loc {
            file: file.name().to_owned(),
            paths: vec![path.to_vec()],
            default_value: false,
        }
    }

    /// The token at `path` + `suffix` in `file`; no span if that token is absent.
    pub(crate) fn sub(file: &FileDescriptor, path: &[i32], suffix: &[i32]) -> Loc {
        let mut p = path.to_vec();
        p.extend_from_slice(suffix);
        Loc {
            file: file.name().to_owned(),
            paths: vec![p],
            default_value: false,
        }
    }

    /// The token at `path` + `suffix`, falling back to the element at `path` itself.
    pub(crate) fn sub_or_element(file: &FileDescriptor, path: &[i32], suffix: &[i32]) -> Loc {
        let mut p = path.to_vec();
        p.extend_from_slice(suffix);
        Loc {
            file: file.name().to_owned(),
            paths: vec![p, path.to_vec()],
            default_value: false,
        }
    }

    /// A field's `[default = ...]`, falling back to the field itself.
    pub(crate) fn field_default(file: &FileDescriptor, path: &[i32]) -> Loc {
        let mut loc = Loc::sub_or_element(file, path, &[7]);
        loc.default_value = true;
        loc
    }

    /// Adds a fallback path, tried after the ones already present.
    pub(crate) fn or(mut self, path: &[i32]) -> Loc {
        self.paths.push(path.to_vec());
        self
    }
}

/// Turns [`Loc`]s of one pool into [`Location`]s, indexing each file's source info once.
pub(crate) struct Resolver<'a> {
    image: &'a Image,
    files: HashMap<String, FileSpans>,
}

/// The spans of one file's source info, by path.
struct FileSpans {
    spans: HashMap<Vec<i32>, Span>,
    /// Default-value paths whose span was already widened to the `default` key using the
    /// source text.
    exact_defaults: HashSet<Vec<i32>>,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(image: &'a Image) -> Resolver<'a> {
        Resolver {
            image,
            files: HashMap::new(),
        }
    }

    pub(crate) fn resolve(&mut self, loc: Loc) -> Location {
        if loc.paths.is_empty() {
            return Location {
                file: loc.file,
                span: None,
            };
        }
        let image = self.image;
        let index = self
            .files
            .entry(loc.file.clone())
            .or_insert_with(|| index_file(image, &loc.file));
        let mut span = loc.paths.iter().find_map(|p| index.spans.get(p).copied());
        if loc.default_value {
            if let (Some(value), Some(path)) = (span.as_mut(), loc.paths.first()) {
                if index.spans.get(path) == Some(value) && !index.exact_defaults.contains(path) {
                    widen_default(value, &index.spans, path);
                }
            }
        }
        Location {
            file: loc.file,
            span,
        }
    }
}

/// buf (protocompile) spans a field's default from the `default` keyword to the end of the
/// value; protox spans the value alone. Without the source text the start is moved back
/// over `default = `, the canonical spelling, but never before the `[` of the field's
/// options when those start on the same line (with the text, [`index_file`] finds the key).
fn widen_default(value: &mut Span, index: &HashMap<Vec<i32>, Span>, path: &[i32]) {
    const KEY: u32 = "default = ".len() as u32;
    let mut start = value.start_column.saturating_sub(KEY).max(1);
    let mut options = path.to_vec();
    if let Some(last) = options.last_mut() {
        *last = 8;
    }
    if let Some(o) = index.get(&options) {
        if o.start_line == value.start_line {
            start = start.max(o.start_column + 1);
        }
    }
    value.start_column = start;
}

/// Maps every path of a file's source info to its span; of several locations of one path
/// the outermost, earliest one wins (see [`outer`]).
fn index_file(image: &Image, name: &str) -> FileSpans {
    let mut index = HashMap::new();
    let mut exact_defaults = HashSet::new();
    let empty = |spans| FileSpans {
        spans,
        exact_defaults: HashSet::new(),
    };
    let Some(file) = image.pool().get_file_by_name(name) else {
        return empty(index);
    };
    let Some(info) = &file.file_descriptor_proto().source_code_info else {
        return empty(index);
    };
    let lines: Option<Vec<&str>> = image.source(name).map(|t| t.lines().collect());
    for location in &info.location {
        if let Some(mut span) = to_span(&location.span) {
            if let Some(lines) = &lines {
                if is_default_value(&location.path) {
                    if let Some(start) = default_key(lines, span.start_line, span.start_column) {
                        span.start_column = start;
                        exact_defaults.insert(location.path.clone());
                    }
                }
                span.start_column = buf_column(lines, span.start_line, span.start_column);
                span.end_column = buf_column(lines, span.end_line, span.end_column);
            }
            index
                .entry(location.path.clone())
                .and_modify(|kept: &mut Span| {
                    if outer(&span, kept) {
                        *kept = span;
                    }
                })
                .or_insert(span);
        }
    }
    FileSpans {
        spans: index,
        exact_defaults,
    }
}

/// Whether a descriptor path names a field's `default_value` (message fields, extensions
/// in messages, top-level extensions).
fn is_default_value(path: &[i32]) -> bool {
    match path {
        [7, _, 7] => true,
        [.., kind, _, 7] if path.len() >= 5 => *kind == 2 || *kind == 6,
        _ => false,
    }
}

/// The 1-based character column of the `default` key before the value at `column`.
fn default_key(lines: &[&str], line: u32, column: u32) -> Option<u32> {
    let text = lines.get((line as usize).checked_sub(1)?)?;
    let before: String = text
        .chars()
        .take(column.saturating_sub(1) as usize)
        .collect();
    let at = before.rfind("default")?;
    Some(before[..at].chars().count() as u32 + 1)
}

/// Whether `a` starts before `b`, or at the same place and ends after it. protox may record
/// one path twice (a field's `json_name = "x"` and its value alone) in either order; buf
/// sees the whole option first, and several `extend` blocks in declaration order.
fn outer(a: &Span, b: &Span) -> bool {
    (a.start_line, a.start_column) < (b.start_line, b.start_column)
        || ((a.start_line, a.start_column) == (b.start_line, b.start_column)
            && (a.end_line, a.end_column) > (b.end_line, b.end_column))
}

/// Converts a 1-based character column to buf's, where a tab advances to the next multiple
/// of 4 columns.
fn buf_column(lines: &[&str], line: u32, column: u32) -> u32 {
    let Some(text) = (line as usize).checked_sub(1).and_then(|i| lines.get(i)) else {
        return column;
    };
    if !text.contains('\t') {
        return column;
    }
    let mut out = 0;
    for c in text.chars().take(column.saturating_sub(1) as usize) {
        out = if c == '\t' {
            (out / 4 + 1) * 4
        } else {
            out + 1
        };
    }
    out + 1
}

/// SourceCodeInfo spans are 0-based `[start_line, start_col, end_line, end_col]`, or
/// `[line, start_col, end_col]` when the element fits on one line.
fn to_span(raw: &[i32]) -> Option<Span> {
    let one = |v: i32| u32::try_from(v).ok().map(|v| v + 1);
    match *raw {
        [sl, sc, el, ec] => Some(Span {
            start_line: one(sl)?,
            start_column: one(sc)?,
            end_line: one(el)?,
            end_column: one(ec)?,
        }),
        [l, sc, ec] => Some(Span {
            start_line: one(l)?,
            start_column: one(sc)?,
            end_line: one(l)?,
            end_column: one(ec)?,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_keys_are_found_in_the_text() {
        let lines = ["  optional int32 a = 1 [deprecated=true,default=3];"];
        assert_eq!(default_key(&lines, 1, 49), Some(41));
        assert_eq!(default_key(&lines, 1, 10), None);
        assert!(is_default_value(&[4, 0, 2, 3, 7]));
        assert!(is_default_value(&[7, 1, 7]));
        assert!(!is_default_value(&[4, 0, 7]));
    }

    #[test]
    fn tabs_advance_to_the_next_multiple_of_four() {
        let lines = [
            "\tint32 a = 1;",
            "  \tint32 b = 2;",
            "  int32\tc = 3;",
            "no tabs",
        ];
        assert_eq!(buf_column(&lines, 1, 2), 5);
        assert_eq!(buf_column(&lines, 2, 4), 5);
        assert_eq!(buf_column(&lines, 3, 9), 9);
        assert_eq!(buf_column(&lines, 4, 3), 3);
        assert_eq!(buf_column(&lines, 9, 3), 3);
    }

    #[test]
    fn spans_are_one_based_and_accept_both_shapes() {
        assert_eq!(
            to_span(&[2, 4, 9]),
            Some(Span {
                start_line: 3,
                start_column: 5,
                end_line: 3,
                end_column: 10
            })
        );
        assert_eq!(
            to_span(&[0, 0, 5, 1]),
            Some(Span {
                start_line: 1,
                start_column: 1,
                end_line: 6,
                end_column: 2
            })
        );
        assert_eq!(to_span(&[1, 2]), None);
        assert_eq!(to_span(&[-1, 2, 3]), None);
    }
}
