//! The compatibility check of a prepared schema against a subject's live history (through
//! its kept history), the detail entries of a 409 and of a compatibility answer, and
//! `POST /compatibility/subjects/{s}/versions[/{v}]` (Confluent spec §2.12).

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use huntreg_compat::{
    check_history, Category, Direction, Extent, Image, Level, LevelReport, RuleSet,
};

use super::super::{live_versions, App, LiveVersion};
use super::request::SchemaRequest;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::types::{Subject, Version};

/// The verdict of a compatibility check.
#[derive(Debug, Clone)]
pub struct CompatibilityResult {
    /// True when compatible.
    pub is_compatible: bool,
    /// Confluent-style detail entries.
    pub messages: Vec<String>,
}

/// Confluent cuts the compared schema's text at 10 KiB in a 409's details.
const OLD_SCHEMA_LIMIT: usize = 10 * 1024;

/// One entry of Confluent's detail list, written by its `Display` exactly as Confluent
/// writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Detail {
    /// `{errorType:"RULE", description:"..."}` (double quotes in the description become
    /// single ones).
    Finding {
        /// The rule that found it.
        rule: &'static str,
        /// What it found, prefixed for a forward check.
        description: String,
    },
    /// `{oldSchemaVersion: N}`: the version the findings before it were found against.
    OldSchemaVersion(u32),
    /// `{oldSchema: '<canonical text>'}`: that version's text, cut at 10 KiB (on a
    /// character boundary) and marked `<truncated>` when longer.
    OldSchema(String),
    /// `{validateFields: 'false', compatibility: 'LEVEL'}`: the level checked, last.
    Level(Level),
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Detail::Finding { rule, description } => write!(
                f,
                "{{errorType:\"{rule}\", description:\"{}\"}}",
                description.replace('"', "'")
            ),
            Detail::OldSchemaVersion(version) => write!(f, "{{oldSchemaVersion: {version}}}"),
            Detail::OldSchema(text) if text.len() <= OLD_SCHEMA_LIMIT => {
                write!(f, "{{oldSchema: '{text}'}}")
            }
            Detail::OldSchema(text) => {
                let mut end = OLD_SCHEMA_LIMIT;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                write!(f, "{{oldSchema: <truncated> '{}'}}", &text[..end])
            }
            Detail::Level(level) => {
                write!(f, "{{validateFields: 'false', compatibility: '{level}'}}")
            }
        }
    }
}

/// The 409 of a registration refused with `found`.
pub(super) fn incompatible(subject: &Subject, found: &[Detail]) -> ApiError {
    let found: Vec<String> = found.iter().map(Detail::to_string).collect();
    ApiError::Incompatible(format!(
        "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
        found.join(", ")
    ))
}

/// Confluent's detail list: each finding, then the version it was found against and that
/// version's text, and finally the level.
fn details(
    level: Level,
    report: &LevelReport,
    history: &[LiveVersion],
    old_schema: &dyn Fn(u32) -> Option<String>,
) -> Vec<Detail> {
    let mut out = Vec::new();
    for pair in report.pairs.iter().filter(|p| !p.report.is_empty()) {
        let direction = match pair.direction {
            Direction::Backward => "",
            Direction::Forward => {
                "forward check (the old schema reads data written with the new one): "
            }
        };
        out.extend(pair.report.findings.iter().map(|f| Detail::Finding {
            rule: f.rule,
            description: format!("{direction}{f}"),
        }));
        if let Some(against) = history.get(pair.against) {
            out.push(Detail::OldSchemaVersion(against.version));
            out.extend(old_schema(against.id).map(Detail::OldSchema));
        }
    }
    if !out.is_empty() {
        out.push(Detail::Level(level));
    }
    out
}

impl App {
    /// Checks `new` against the given versions of `subject` at `level`; returns Confluent
    /// detail entries (empty when compatible).
    pub(super) fn check(
        &self,
        subject: &Subject,
        new: &Image,
        level: Level,
        history: &[LiveVersion],
    ) -> Result<Vec<Detail>, ApiError> {
        if level == Level::None || history.is_empty() {
            return Ok(Vec::new());
        }
        let started = Instant::now();
        let rules = RuleSet::category(Category::Csr);
        let load = |i: usize| self.image(subject, history[i].id);
        // A transitive level reads the subject's kept history, so only the versions that
        // could fail are compared pair by pair; the others need the latest version only.
        // The kept history, when it holds exactly these versions, also tells a level that
        // compares the newest version only whether the new schema lacks or changed any
        // element of it.
        let kept = if level.is_transitive() {
            Some(self.history(subject, history)?)
        } else {
            self.kept_history_of(subject, history)?
        };
        let synced = kept
            .as_ref()
            .map(|k| k.lock().unwrap_or_else(|p| p.into_inner()));
        let report = check_history(
            level,
            new,
            history.len(),
            synced.as_ref().map(|s| &s.history),
            &rules,
            Extent::FirstFailing,
            load,
        )?;
        drop(synced);
        self.metrics.compat_check.observe(started.elapsed());
        let old_schema = |id: u32| {
            self.schema_record(&subject.context, id)
                .ok()
                .flatten()
                .map(|r| r.schema.clone())
        };
        Ok(details(level, &report, history, &old_schema))
    }

    /// `POST /compatibility/subjects/{s}/versions[/{v}]`: checks against the subject's
    /// live versions at its level, or against one version (`latest` or a number).
    pub async fn check_compatibility(
        self: &Arc<Self>,
        subject: Subject,
        version: Option<Version>,
        req: SchemaRequest,
        normalize: bool,
        verbose: bool,
        caller: Caller,
    ) -> Result<CompatibilityResult, ApiError> {
        self.on_blocking_thread("compatibility", move |app| {
            Self::authorize_references(&subject, &req.references, &caller)?;
            let live = live_versions(&app.store.versions(&subject)?);
            let (level, config_normalize) = app.effective_config(&subject)?;
            let (level, history) = match version {
                None => (level, live),
                Some(Version::Latest) => {
                    (level.single(), live.last().copied().into_iter().collect())
                }
                Some(Version::Number(n)) => match live.iter().find(|l| l.version == n) {
                    Some(found) => (level.single(), vec![*found]),
                    None => return Err(ApiError::VersionNotFound(n.to_string())),
                },
            };
            let prepared = match app.prepare(&subject, &req, normalize || config_normalize, &caller)
            {
                Ok((_, p)) => p,
                Err(ApiError::InvalidSchema(msg)) if verbose => {
                    return Ok(CompatibilityResult {
                        is_compatible: false,
                        messages: vec![msg],
                    })
                }
                Err(e) => return Err(e),
            };
            let found = app.check(&subject, &prepared.image, level, &history)?;
            Ok(CompatibilityResult {
                is_compatible: found.is_empty(),
                messages: found.iter().map(Detail::to_string).collect(),
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_schema_detail_cuts_long_text_at_a_character_boundary() {
        let short = Detail::OldSchema("syntax".into()).to_string();
        assert_eq!(short, "{oldSchema: 'syntax'}");
        let long = "é".repeat(OLD_SCHEMA_LIMIT);
        let detail = Detail::OldSchema(long).to_string();
        assert!(detail.starts_with("{oldSchema: <truncated> 'é"), "{detail}");
        let kept = detail.trim_start_matches("{oldSchema: <truncated> '");
        assert_eq!(kept.trim_end_matches("'}").len(), OLD_SCHEMA_LIMIT);
    }

    #[test]
    fn details_are_written_as_confluent_writes_them() {
        let finding = Detail::Finding {
            rule: "FIELD_NO_DELETE",
            description: "Previously present field \"2\" with name \"b\" was deleted.".into(),
        };
        assert_eq!(
            finding.to_string(),
            "{errorType:\"FIELD_NO_DELETE\", description:\"Previously present field '2' with name 'b' was deleted.\"}"
        );
        assert_eq!(
            Detail::OldSchemaVersion(3).to_string(),
            "{oldSchemaVersion: 3}"
        );
        assert_eq!(
            Detail::Level(Level::BackwardTransitive).to_string(),
            "{validateFields: 'false', compatibility: 'BACKWARD_TRANSITIVE'}"
        );
    }
}
