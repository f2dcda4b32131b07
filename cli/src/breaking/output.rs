//! Printing findings exactly as `buf breaking` does: de-duplicated and sorted, in the
//! `text`, `json`, `github-actions` and `junit` formats (buf's `bufanalysis/print.go`).

use std::fmt::Write as _;

/// One printed finding (buf's "file annotation").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Annotation {
    /// The external path, `None` when the finding has no file (a deleted file).
    pub(crate) path: Option<String>,
    /// Start line, start column, end line, end column; 0 when unknown.
    pub(crate) span: [u32; 4],
    /// The rule ID (or `COMPILE`).
    pub(crate) rule: String,
    /// The message.
    pub(crate) message: String,
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// `path:line:col:message`.
    Text,
    /// One JSON object per line.
    Json,
    /// GitHub Actions workflow commands (`::error file=..::message`).
    GithubActions,
    /// JUnit XML.
    Junit,
}

/// De-duplicates and sorts as buf: by path (no path first), start line, start column,
/// type, message, end line, end column.
pub(crate) fn sort_dedup(annotations: &mut Vec<Annotation>) {
    annotations.sort_by(|a, b| {
        (
            &a.path, a.span[0], a.span[1], &a.rule, &a.message, a.span[2], a.span[3],
        )
            .cmp(&(
                &b.path, b.span[0], b.span[1], &b.rule, &b.message, b.span[2], b.span[3],
            ))
    });
    annotations.dedup();
}

fn at_least_1(v: u32) -> u32 {
    v.max(1)
}

fn path_or_input(a: &Annotation) -> &str {
    a.path.as_deref().unwrap_or("<input>")
}

/// buf's text form of one annotation: `path:line:col:message`.
fn text_line(a: &Annotation) -> String {
    format!(
        "{}:{}:{}:{}",
        path_or_input(a),
        at_least_1(a.span[0]),
        at_least_1(a.span[1]),
        a.message
    )
}

/// Writes a JSON string the way Go's `encoding/json` does (HTML-safe escapes).
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_line(a: &Annotation) -> String {
    let mut out = String::from("{");
    if let Some(p) = &a.path {
        out.push_str("\"path\":");
        json_string(&mut out, p);
        out.push(',');
    }
    let _ = write!(
        out,
        "\"start_line\":{},\"start_column\":{},\"end_line\":{},\"end_column\":{},\"type\":",
        at_least_1(a.span[0]),
        at_least_1(a.span[1]),
        at_least_1(a.span[2]),
        at_least_1(a.span[3])
    );
    json_string(&mut out, &a.rule);
    out.push_str(",\"message\":");
    json_string(&mut out, &a.message);
    out.push('}');
    out
}

fn github_line(a: &Annotation) -> String {
    let mut out = format!("::error file={}", path_or_input(a));
    let [sl, sc, el, ec] = a.span;
    if sl > 0 {
        let _ = write!(out, ",line={sl}");
        if sc > 0 {
            let _ = write!(out, ",col={sc}");
        }
        if el > 0 {
            let _ = write!(out, ",endLine={el}");
            if ec > 0 {
                let _ = write!(out, ",endColumn={ec}");
            }
        }
    }
    out.push_str("::");
    out.push_str(&a.message);
    out
}

/// Escapes an XML attribute value as Go's `encoding/xml` does.
fn xml_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

fn junit(annotations: &[Annotation]) -> String {
    // Group by path in order of first appearance.
    let mut groups: Vec<(&str, Vec<&Annotation>)> = Vec::new();
    for a in annotations {
        let p = path_or_input(a);
        match groups.iter_mut().find(|(g, _)| *g == p) {
            Some((_, v)) => v.push(a),
            None => groups.push((p, vec![a])),
        }
    }
    let mut out = String::from("<testsuites>");
    for (path, group) in &groups {
        let name = path.strip_suffix(".proto").unwrap_or(path);
        let _ = write!(
            out,
            "\n  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{n}\" errors=\"0\">",
            xml_attr(name),
            n = group.len()
        );
        for a in group {
            let mut case = a.rule.clone();
            if a.span[1] != 0 {
                let _ = write!(case, "_{}_{}", a.span[0], a.span[1]);
            } else if a.span[0] != 0 {
                let _ = write!(case, "_{}", a.span[0]);
            }
            let _ = write!(
                out,
                "\n    <testcase name=\"{}\">\n      <failure message=\"{}\" type=\"{}\"></failure>\n    </testcase>",
                xml_attr(&case),
                xml_attr(&text_line(a)),
                xml_attr(&a.rule)
            );
        }
        out.push_str("\n  </testsuite>");
    }
    out.push_str("\n</testsuites>\n");
    out
}

/// Renders sorted annotations in `format` (empty output when there are none).
pub(crate) fn render(annotations: &[Annotation], format: Format) -> String {
    if annotations.is_empty() {
        return String::new();
    }
    if format == Format::Junit {
        return junit(annotations);
    }
    let mut out = String::new();
    for a in annotations {
        out.push_str(&match format {
            Format::Text => text_line(a),
            Format::Json => json_line(a),
            Format::GithubActions => github_line(a),
            Format::Junit => String::new(),
        });
        out.push('\n');
    }
    out
}

/// The `--semver` verdict in `format`, printed after the findings: the bump, the next
/// version when the current one was given, and one line per finding that decided it.
/// `None` means the check did not get that far (an input did not compile). JUnit has no
/// place for it in its XML, so the text form is returned for standard error instead.
pub(crate) fn render_semver(
    verdict: Option<&super::Semver>,
    current: Option<&semver::Version>,
    format: Format,
) -> String {
    let Some(verdict) = verdict else {
        return match format {
            Format::Json => "{\"semver\":null}\n".to_owned(),
            Format::GithubActions => {
                "::notice title=semver::unknown: the input does not compile\n".to_owned()
            }
            Format::Text | Format::Junit => {
                "semver: unknown: the input does not compile\n".to_owned()
            }
        };
    };
    let kind = match verdict.kind {
        huntreg_compat::ChangeKind::Major => "major",
        huntreg_compat::ChangeKind::Minor => "minor",
        huntreg_compat::ChangeKind::Patch => "patch",
    };
    let next = current.map(|v| huntreg_compat::next_version(verdict.kind, v));
    let mut out = String::new();
    match format {
        Format::Json => {
            out.push_str("{\"semver\":");
            json_string(&mut out, kind);
            if let Some(next) = &next {
                out.push_str(",\"next\":");
                json_string(&mut out, &next.to_string());
            }
            out.push_str(",\"reasons\":[");
            for (i, a) in verdict.reasons.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json_line(a));
            }
            out.push_str("]}\n");
        }
        Format::GithubActions => {
            let _ = write!(out, "::notice title=semver::{kind}");
            if let Some(next) = &next {
                let _ = write!(out, ", next version {next}");
            }
            out.push('\n');
            for a in &verdict.reasons {
                let message = format!("{} ({})", a.message, a.rule);
                let _ = match &a.path {
                    Some(p) => writeln!(
                        out,
                        "::notice file={p},line={},col={}::{}",
                        at_least_1(a.span[0]),
                        at_least_1(a.span[1]),
                        escape_data(&message)
                    ),
                    None => writeln!(out, "::notice::{}", escape_data(&message)),
                };
            }
        }
        Format::Text | Format::Junit => {
            let _ = write!(out, "semver: {kind}");
            if let Some(next) = &next {
                let _ = write!(out, ", next version {next}");
            }
            out.push('\n');
            for a in &verdict.reasons {
                let _ = writeln!(out, "  {} ({})", text_line(a), a.rule);
            }
        }
    }
    out
}

/// Escapes a GitHub Actions workflow command's data part.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deleted_file() -> Annotation {
        Annotation {
            path: None,
            span: [0; 4],
            rule: "FILE_NO_DELETE".into(),
            message: "Previously present file \"b.proto\" was deleted.".into(),
        }
    }

    fn field() -> Annotation {
        Annotation {
            path: Some("current/a.proto".into()),
            span: [3, 1, 3, 28],
            rule: "FIELD_NO_DELETE".into(),
            message: "Previously present field \"2\" with name \"y\" on message \"M\" was deleted."
                .into(),
        }
    }

    // The expected strings are what buf 1.75.0 printed for the same two findings.
    #[test]
    fn formats_match_buf() {
        let all = [deleted_file(), field()];
        assert_eq!(
            render(&all, Format::Json),
            "{\"start_line\":1,\"start_column\":1,\"end_line\":1,\"end_column\":1,\"type\":\"FILE_NO_DELETE\",\"message\":\"Previously present file \\\"b.proto\\\" was deleted.\"}\n\
             {\"path\":\"current/a.proto\",\"start_line\":3,\"start_column\":1,\"end_line\":3,\"end_column\":28,\"type\":\"FIELD_NO_DELETE\",\"message\":\"Previously present field \\\"2\\\" with name \\\"y\\\" on message \\\"M\\\" was deleted.\"}\n"
        );
        assert_eq!(
            render(&all, Format::Text),
            "<input>:1:1:Previously present file \"b.proto\" was deleted.\n\
             current/a.proto:3:1:Previously present field \"2\" with name \"y\" on message \"M\" was deleted.\n"
        );
        assert_eq!(
            render(&all, Format::GithubActions),
            "::error file=<input>::Previously present file \"b.proto\" was deleted.\n\
             ::error file=current/a.proto,line=3,col=1,endLine=3,endColumn=28::Previously present field \"2\" with name \"y\" on message \"M\" was deleted.\n"
        );
        assert_eq!(
            render(&all, Format::Junit),
            r#"<testsuites>
  <testsuite name="&lt;input&gt;" tests="1" failures="1" errors="0">
    <testcase name="FILE_NO_DELETE">
      <failure message="&lt;input&gt;:1:1:Previously present file &#34;b.proto&#34; was deleted." type="FILE_NO_DELETE"></failure>
    </testcase>
  </testsuite>
  <testsuite name="current/a" tests="1" failures="1" errors="0">
    <testcase name="FIELD_NO_DELETE_3_1">
      <failure message="current/a.proto:3:1:Previously present field &#34;2&#34; with name &#34;y&#34; on message &#34;M&#34; was deleted." type="FIELD_NO_DELETE"></failure>
    </testcase>
  </testsuite>
</testsuites>
"#
        );
        assert_eq!(render(&[], Format::Junit), "");
    }

    #[test]
    fn sorting_puts_pathless_findings_first_and_dedups() {
        let mut v = vec![field(), deleted_file(), field()];
        sort_dedup(&mut v);
        assert_eq!(v, [deleted_file(), field()]);
    }

    #[test]
    fn json_escapes_like_go() {
        let mut s = String::new();
        json_string(&mut s, "map<string, int32> & \u{1}");
        assert_eq!(s, "\"map\\u003cstring, int32\\u003e \\u0026 \\u0001\"");
    }
}
