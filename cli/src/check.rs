//! `huntreg check`: the pull-request gate against the registry itself. Every `.proto` file
//! of a hunt directory is asked of the registry as a dry run (`POST /compatibility/…?verbose=true`)
//! under the subject `huntreg push` would register it as, at that subject's effective level,
//! and the findings are printed in `huntreg breaking`'s formats with its exit codes.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::{json, Value};

use crate::breaking::output::{self, Annotation, Format};
use crate::migrate::http::{segment, Api};
use crate::push::{hunt_name, is_well_known, protos};
use crate::remote::RegistryArgs;

/// Arguments of `huntreg check`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The hunt's directory of `.proto` files, e.g. `schemas/hunt-42`; each file is the
    /// subject named by its path in the directory, as `huntreg push` registers it.
    dir: PathBuf,
    #[command(flatten)]
    remote: RegistryArgs,
    /// The hunt (Confluent context) to check against; defaults to the directory's name.
    /// `.` is the default context, where producers' clients register unless told otherwise.
    #[arg(long)]
    hunt: Option<String>,
    /// How findings are printed (as `huntreg breaking` prints them).
    #[arg(long, value_enum, default_value = "text")]
    error_format: Format,
}

/// What the registry said of one file.
enum Verdict {
    /// A live version already holds this text.
    Unchanged { version: u32 },
    /// The subject does not exist: any level accepts a first version.
    New,
    /// The text differs from every live version and the level accepts it.
    Accepted { level: String, latest: Option<u32> },
    /// The level refuses it, with the registry's findings.
    Refused { level: String, findings: usize },
    /// An import is new in this tree, so the registry cannot resolve the reference yet;
    /// the registry checks this file when `huntreg push` registers the import first.
    Unchecked { import: String },
}

/// Runs `huntreg check`: 0 when the registry would accept every file, 100 when it would
/// refuse one (or one does not compile), 1 when the directory or the registry is unusable.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match execute(&args) {
        Ok(annotations) => {
            let rendered = output::render(&annotations, args.error_format);
            let mut stdout = std::io::stdout().lock();
            let _ = stdout
                .write_all(rendered.as_bytes())
                .and_then(|()| stdout.flush());
            Ok(ExitCode::from(if annotations.is_empty() { 0 } else { 100 }))
        }
        Err(err) => {
            eprintln!("Failure: {err:#}");
            Ok(ExitCode::from(1))
        }
    }
}

fn execute(args: &Args) -> anyhow::Result<Vec<Annotation>> {
    // As a qualified subject writes it: `.hunt`, or `.` for the default context.
    let context = format!(".{}", hunt_name(&args.dir, args.hunt.as_deref())?);
    let api = Api::new(
        "registry",
        &args.remote.registry,
        &args.remote.credentials()?,
    );
    let mut paths = Vec::new();
    protos(&args.dir, &mut paths).with_context(|| format!("reading {}", args.dir.display()))?;
    paths.sort();
    if paths.is_empty() {
        anyhow::bail!("{}: no .proto files", args.dir.display());
    }
    let printed = |name: &str| args.dir.join(name).display().to_string();
    let mut compiler = protox::Compiler::new([&args.dir])?;
    if let Err(err) = compiler.open_files(&paths) {
        // As `huntreg breaking` does: a file that does not compile is a COMPILE finding.
        let located = crate::breaking::compile::locate(&err);
        return Ok(vec![Annotation {
            path: located.file.as_deref().map(printed),
            span: located.span,
            rule: "COMPILE".to_owned(),
            message: located.message,
        }]);
    }
    let pool = compiler.descriptor_pool();
    let mut verdicts: BTreeMap<String, Verdict> = BTreeMap::new();
    let mut annotations = Vec::new();
    // `files()` lists imports before the files importing them.
    for file in compiler.files() {
        let name = file.name().to_owned();
        if is_well_known(&name) || file.path().is_none() {
            continue;
        }
        let text = std::fs::read_to_string(args.dir.join(&name))
            .with_context(|| format!("reading {}", printed(&name)))?;
        let mut references = Vec::new();
        let mut unresolved = None;
        if let Some(descriptor) = pool.get_file_by_name(&name) {
            for import in descriptor.dependencies() {
                let import = import.name();
                if is_well_known(import) {
                    continue;
                }
                let version = match verdicts.get(import) {
                    Some(Verdict::Unchanged { version }) => Some(*version),
                    Some(Verdict::Accepted { latest, .. }) => *latest,
                    _ => None,
                };
                match version {
                    Some(version) => references
                        .push(json!({"name": import, "subject": import, "version": version})),
                    None => unresolved = Some(import.to_owned()),
                }
            }
        }
        let verdict = match unresolved {
            Some(import) => Verdict::Unchecked { import },
            None => {
                let subject = format!(":{context}:{name}");
                let body =
                    json!({"schema": text, "schemaType": "PROTOBUF", "references": references});
                ask(&api, &subject, &body, &printed(&name), &mut annotations)?
            }
        };
        eprintln!("{}: {}", printed(&name), describe(&verdict));
        verdicts.insert(name, verdict);
    }
    output::sort_dedup(&mut annotations);
    Ok(annotations)
}

/// Asks the registry about one file: a lookup first (an unchanged file is a live version
/// already), then the dry-run compatibility check with findings.
fn ask(
    api: &Api,
    subject: &str,
    body: &Value,
    path: &str,
    annotations: &mut Vec<Annotation>,
) -> anyhow::Result<Verdict> {
    let seg = segment(subject);
    let found = api.send("POST", &format!("/subjects/{seg}"), Some(body))?;
    match (found.status, found.error_code()) {
        (200, _) => {
            let version = found.body().get("version").and_then(Value::as_u64);
            return Ok(Verdict::Unchanged {
                version: version
                    .and_then(|v| u32::try_from(v).ok())
                    .context("the registry's lookup answer has no version")?,
            });
        }
        (404, Some(40401)) => return Ok(Verdict::New),
        (404, _) => {}
        (422, _) => {
            annotations.push(Annotation {
                path: Some(path.to_owned()),
                span: [0; 4],
                rule: "COMPILE".to_owned(),
                message: message_of(&found.body()),
            });
            return Ok(Verdict::Refused {
                level: "any level".to_owned(),
                findings: 1,
            });
        }
        _ => anyhow::bail!("{}", found.describe()),
    }
    let level = api
        .get(&format!("/config/{seg}?defaultToGlobal=true"))?
        .ok()?
        .get("compatibilityLevel")
        .and_then(Value::as_str)
        .unwrap_or("BACKWARD")
        .to_owned();
    let answer = api
        .send(
            "POST",
            &format!("/compatibility/subjects/{seg}/versions?verbose=true"),
            Some(body),
        )?
        .ok()?;
    if answer.get("is_compatible").and_then(Value::as_bool) == Some(true) {
        let latest = api
            .get(&format!("/subjects/{seg}/versions/latest"))?
            .found()?
            .and_then(|v| v.get("version").and_then(Value::as_u64))
            .and_then(|v| u32::try_from(v).ok());
        return Ok(Verdict::Accepted { level, latest });
    }
    let messages: Vec<String> = answer
        .get("messages")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let found = findings(&messages, path, &level);
    let count = found.len();
    annotations.extend(found);
    Ok(Verdict::Refused {
        level,
        findings: count,
    })
}

fn message_of(body: &Value) -> String {
    body.get("message")
        .and_then(Value::as_str)
        .map_or_else(|| body.to_string(), str::to_owned)
}

fn describe(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Unchanged { version } => format!("unchanged (version {version})"),
        Verdict::New => "a new subject (accepted at any level)".to_owned(),
        Verdict::Accepted { level, .. } => format!("changed, accepted at {level}"),
        Verdict::Refused { level, findings } => {
            format!("refused at {level} ({findings} finding(s))")
        }
        Verdict::Unchecked { import } => format!(
            "not checked: it imports {import}, which the registry does not hold yet; \
             the registry checks it when `huntreg push` registers {import} first"
        ),
    }
}

/// Turns Confluent's verbose detail strings into findings: each `{errorType:…,
/// description:…}` entry is one, located when its description starts with
/// `file:line:col: `; a following `{oldSchemaVersion: N}` names the version it was found
/// against. A message of another shape (a registry's own wording) is kept whole.
fn findings(messages: &[String], path: &str, level: &str) -> Vec<Annotation> {
    let mut out: Vec<Annotation> = Vec::new();
    let mut pending = 0;
    for m in messages {
        if let Some((rule, description)) = error_entry(m) {
            let (located, span, message) = locate(&description, &rule);
            out.push(Annotation {
                path: Some(located.map_or_else(|| path.to_owned(), |f| join_like(path, &f))),
                span,
                rule,
                message,
            });
            pending += 1;
        } else if let Some(version) = m
            .strip_prefix("{oldSchemaVersion:")
            .and_then(|r| r.trim_end_matches('}').trim().parse::<u32>().ok())
        {
            let start = out.len() - pending;
            for a in &mut out[start..] {
                a.message = format!("{} (against version {version} at {level})", a.message);
            }
            pending = 0;
        } else if !m.starts_with("{oldSchema:")
            && !m.starts_with("{validateFields:")
            && !m.starts_with("{compatibility:")
        {
            out.push(Annotation {
                path: Some(path.to_owned()),
                span: [0; 4],
                rule: "INCOMPATIBLE".to_owned(),
                message: m.clone(),
            });
        }
    }
    out
}

/// `{errorType:"RULE", description:"text"}` (either quote) as (rule, text).
fn error_entry(m: &str) -> Option<(String, String)> {
    let inner = m.strip_prefix('{')?.strip_suffix('}')?;
    let rest = inner.strip_prefix("errorType:")?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    let end = rest.find(quote)?;
    let rule = rest[..end].to_owned();
    let rest = rest[end + 1..].trim_start().strip_prefix(',')?.trim_start();
    let rest = rest.strip_prefix("description:")?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let description = rest[1..].strip_suffix(quote)?.to_owned();
    Some((rule, description))
}

/// Splits a `file:line:col: message (RULE)` description (after an optional `forward check
/// …: ` prefix, which stays in the message) into its file, span and message.
fn locate(description: &str, rule: &str) -> (Option<String>, [u32; 4], String) {
    let (prefix, rest) = match description.find(".proto:") {
        Some(at) => {
            let start = description[..at].rfind(' ').map_or(0, |s| s + 1);
            (&description[..start], &description[start..])
        }
        None => ("", description),
    };
    let trimmed = |m: &str| -> String {
        let m = m.strip_suffix(&format!(" ({rule})")).unwrap_or(m);
        format!("{prefix}{m}")
    };
    let mut parts = rest.splitn(4, ':');
    let (Some(file), Some(line), Some(col), Some(message)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return (None, [0; 4], description.to_owned());
    };
    match (line.parse::<u32>(), col.parse::<u32>()) {
        (Ok(line), Ok(col)) if file.ends_with(".proto") => (
            Some(file.to_owned()),
            [line, col, 0, 0],
            trimmed(message.trim_start()),
        ),
        _ => (None, [0; 4], description.to_owned()),
    }
}

/// The printed path of `file` (named as in the registry) beside the checked file's path.
fn join_like(checked: &str, file: &str) -> String {
    match checked.strip_suffix(file) {
        Some(_) => checked.to_owned(),
        None => {
            let dir = Path::new(checked)
                .ancestors()
                .find(|a| a.join(file).exists())
                .map(Path::to_path_buf);
            dir.map_or_else(|| file.to_owned(), |d| d.join(file).display().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_details_become_findings() {
        let messages = [
            "{errorType:\"FIELD_NO_DELETE\", description:\"hunt/v1/find.proto:4:1: Previously present field '3' with name 'points' on message 'Find' was deleted. (FIELD_NO_DELETE)\"}".to_owned(),
            "{oldSchemaVersion: 2}".to_owned(),
            "{oldSchema: 'syntax = ...'}".to_owned(),
            "{errorType:'MESSAGE_REMOVED', description:'The new schema is missing a message'}".to_owned(),
            "{validateFields: 'false', compatibility: 'BACKWARD'}".to_owned(),
        ];
        let found = findings(&messages, "schemas/hunt-1/hunt/v1/find.proto", "BACKWARD");
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0].path.as_deref(),
            Some("schemas/hunt-1/hunt/v1/find.proto")
        );
        assert_eq!(found[0].span, [4, 1, 0, 0]);
        assert_eq!(found[0].rule, "FIELD_NO_DELETE");
        assert_eq!(
            found[0].message,
            "Previously present field '3' with name 'points' on message 'Find' was deleted. (against version 2 at BACKWARD)"
        );
        assert_eq!(found[1].rule, "MESSAGE_REMOVED");
        assert_eq!(found[1].message, "The new schema is missing a message");
        let forward = locate(
            "forward check (the old schema reads data written with the new one): a.proto:2:3: gone (X)",
            "X",
        );
        assert_eq!(
            forward,
            (
                Some("a.proto".to_owned()),
                [2, 3, 0, 0],
                "forward check (the old schema reads data written with the new one): gone"
                    .to_owned()
            )
        );
    }
}
