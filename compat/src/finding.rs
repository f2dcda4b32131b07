//! Findings and reports: what a check returns, and how it prints (`file:line:col: message (RULE_ID)`).

use std::fmt;

/// A 1-based source span: start line, start column, end line, end column (as buf prints them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// 1-based start line.
    pub start_line: u32,
    /// 1-based start column.
    pub start_column: u32,
    /// 1-based end line.
    pub end_line: u32,
    /// 1-based end column.
    pub end_column: u32,
}

/// Where a finding points: a file and, when source info is present, a span in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file's name in its pool (e.g. `treasure/v1/found.proto`).
    pub file: String,
    /// The span of the most specific element, if the pool carries source info.
    pub span: Option<Span>,
}

/// One broken promise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The buf rule ID, e.g. `FIELD_NO_DELETE`.
    pub rule: &'static str,
    /// A message in buf's voice.
    pub message: String,
    /// Location in the current image; `None` when the whole file was deleted.
    pub location: Option<Location>,
    /// Location of the counterpart in the previous image, when there is one.
    pub against: Option<Location>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(Location {
                file,
                span: Some(s),
            }) => write!(f, "{file}:{}:{}: ", s.start_line, s.start_column)?,
            Some(Location { file, span: None }) => write!(f, "{file}:1:1: ")?,
            None => {}
        }
        write!(f, "{} ({})", self.message, self.rule)
    }
}

/// Everything a check found. Empty means compatible.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Findings, sorted and de-duplicated as buf does.
    pub findings: Vec<Finding>,
}

impl Report {
    /// A report of `findings`, de-duplicated and sorted as buf does: by file (findings
    /// without a file first), start line, start column, rule, message, end line, end
    /// column; a finding without a span sorts as `1:1-1:1`.
    pub fn new(mut findings: Vec<Finding>) -> Report {
        let mut seen = std::collections::HashSet::new();
        findings.retain(|f| seen.insert(sort_key(f)));
        findings.sort_by_cached_key(sort_key);
        Report { findings }
    }

    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }
}

/// buf's identity and order of a finding (`bufanalysis` `fileAnnotationCompareTo`).
fn sort_key(f: &Finding) -> (Option<String>, u32, u32, &'static str, String, u32, u32) {
    let file = f.location.as_ref().map(|l| l.file.clone());
    let span = f.location.as_ref().and_then(|l| l.span).unwrap_or(Span {
        start_line: 1,
        start_column: 1,
        end_line: 1,
        end_column: 1,
    });
    (
        file,
        span.start_line,
        span.start_column,
        f.rule,
        f.message.clone(),
        span.end_line,
        span.end_column,
    )
}
