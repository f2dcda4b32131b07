//! Config and mode at global (`:.__GLOBAL:`), top-level, context (hunt) and subject
//! scope, with Confluent's fallback order (spec §2.13, §2.14, §3.3).

use huntreg_compat::Level;

use super::{scope_chain, App};
use crate::dto::{ConfigUpdate, ModeBody};
use crate::error::ApiError;
use crate::store::{self, ConfigRecord, ModeRecord};
use crate::types::{Mode, Subject};

/// A config as answered by `GET /config…`.
#[derive(Debug, Clone)]
pub struct ConfigView {
    /// The level (filled from the scopes above when not set here).
    pub level: Level,
    /// Normalize, when set.
    pub normalize: Option<bool>,
}

/// The store key of a config/mode scope: `""` top level (default context), `:.ctx:` a
/// context, `:.__GLOBAL:` all contexts, otherwise the qualified subject.
pub fn scope_key(subject: &Subject) -> String {
    if subject.is_context_scope() {
        if subject.context.is_default() {
            String::new()
        } else {
            format!(":{}:", subject.context.as_str())
        }
    } else {
        subject.to_string()
    }
}

impl App {
    /// The effective (level, normalize) for a subject.
    pub fn effective_config(&self, subject: &Subject) -> Result<(Level, bool), ApiError> {
        let (level, normalize) = self.config_from(&scope_chain(subject))?;
        Ok((level, normalize.unwrap_or(false)))
    }

    fn config_from(&self, chain: &[String]) -> Result<(Level, Option<bool>), ApiError> {
        let mut level = None;
        let mut normalize = None;
        for scope in chain {
            if let Some(rec) = self.store.config(scope)? {
                if level.is_none() {
                    level = rec
                        .compatibility
                        .as_deref()
                        .and_then(|l| l.parse::<Level>().ok());
                }
                if normalize.is_none() {
                    normalize = rec.normalize;
                }
            }
        }
        Ok((
            level.unwrap_or(self.config.default_compatibility),
            normalize,
        ))
    }

    /// `GET /config[/{s}]`.
    pub fn get_config(
        &self,
        subject: &Subject,
        default_to_global: bool,
    ) -> Result<ConfigView, ApiError> {
        let scope = scope_key(subject);
        let chain = scope_chain(subject);
        match self.store.config(&scope)? {
            Some(rec) => {
                let above = self.config_from(&chain[1.min(chain.len())..])?;
                let level = rec
                    .compatibility
                    .as_deref()
                    .and_then(|l| l.parse::<Level>().ok())
                    .unwrap_or(above.0);
                Ok(ConfigView {
                    level,
                    normalize: rec.normalize,
                })
            }
            None if scope.is_empty() || default_to_global => {
                let (level, normalize) = self.config_from(&chain)?;
                Ok(ConfigView { level, normalize })
            }
            None => Err(ApiError::SubjectConfigNotFound(subject.to_string())),
        }
    }

    /// `PUT /config[/{s}]`: merges with the stored config; answers the stored result.
    pub async fn put_config(
        &self,
        subject: &Subject,
        update: ConfigUpdate,
    ) -> Result<ConfigView, ApiError> {
        if subject.name == "__EMPTY" {
            return Err(ApiError::InvalidSubject(subject.to_string()));
        }
        let level = match update.compatibility.or(update.compatibility_level) {
            Some(l) => Some(parse_level(&l)?),
            None => None,
        };
        if !subject.is_context_scope() && self.effective_mode(subject)?.is_read_only() {
            return Err(ApiError::OperationNotPermitted(format!(
                "Subject {} in context {} is in read-only mode",
                subject.name,
                subject.context.display_name()
            )));
        }
        let scope = scope_key(subject);
        let normalize = update.normalize;
        let stored = store::write(&*self.store, move |tx| -> Result<ConfigRecord, ApiError> {
            let mut rec = tx.config(&scope)?.unwrap_or_default();
            rec.v = store::records::FORMAT_VERSION;
            if let Some(level) = level {
                rec.compatibility = Some(level.as_str().to_owned());
            }
            if normalize.is_some() {
                rec.normalize = normalize;
            }
            tx.put_config(&scope, Some(&rec))?;
            Ok(rec)
        })
        .await??;
        tracing::info!(scope = %scope_key(subject), compatibility = ?stored.compatibility, normalize = ?stored.normalize, "config set");
        let (above, _) = self.config_from(&scope_chain(subject))?;
        Ok(ConfigView {
            level: stored
                .compatibility
                .as_deref()
                .and_then(|l| l.parse().ok())
                .unwrap_or(above),
            normalize: stored.normalize,
        })
    }

    /// `DELETE /config[/{s}]`: removes the scope's config and answers the old one.
    pub async fn delete_config(&self, subject: &Subject) -> Result<ConfigView, ApiError> {
        let scope = scope_key(subject);
        if !scope.is_empty() && self.store.config(&scope)?.is_none() {
            return Err(ApiError::SubjectNotFound(subject.to_string()));
        }
        let old = self.get_config(subject, scope.is_empty())?;
        store::write(&*self.store, move |tx| tx.put_config(&scope, None)).await??;
        Ok(old)
    }

    /// `GET /mode[/{s}]`.
    pub fn get_mode(&self, subject: &Subject, default_to_global: bool) -> Result<Mode, ApiError> {
        let scope = scope_key(subject);
        match self.store.mode(&scope)? {
            Some(rec) => Ok(Mode::parse(&rec.mode)?),
            None if scope.is_empty() || default_to_global => self.effective_mode(subject),
            None => Err(ApiError::SubjectModeNotFound(subject.to_string())),
        }
    }

    /// `PUT /mode[/{s}]`: entering IMPORT needs a scope without live subjects unless `force`.
    pub async fn put_mode(
        &self,
        subject: &Subject,
        body: ModeBody,
        force: bool,
    ) -> Result<Mode, ApiError> {
        let mode = Mode::parse(&body.mode)?;
        if mode == Mode::Import && !force && self.has_live_subjects(subject)? {
            return Err(ApiError::OperationNotPermitted(
                "Cannot import since found existing subjects".into(),
            ));
        }
        let scope = scope_key(subject);
        let rec = ModeRecord {
            v: store::records::FORMAT_VERSION,
            mode: mode.as_str().to_owned(),
        };
        let target = subject.clone();
        let purged = store::write(&*self.store, move |tx| -> Result<usize, ApiError> {
            // Entering IMPORT hard-deletes the scope's soft-deleted versions (Confluent), so
            // imported versions may take their numbers.
            let purged = if mode == Mode::Import {
                purge_soft_deleted(tx, &target)?
            } else {
                0
            };
            tx.put_mode(&scope, Some(&rec))?;
            Ok(purged)
        })
        .await??;
        if purged > 0 {
            self.invalidate_rendered();
        }
        tracing::info!(scope = %scope_key(subject), mode = mode.as_str(), purged, "mode set");
        Ok(mode)
    }

    /// `DELETE /mode[/{s}]`: removes the scope's mode and answers the old one.
    pub async fn delete_mode(&self, subject: &Subject) -> Result<Mode, ApiError> {
        let scope = scope_key(subject);
        let old = self.store.mode(&scope)?;
        let old = match old {
            Some(rec) => Mode::parse(&rec.mode)?,
            None if scope.is_empty() => self.effective_mode(subject)?,
            None => return Err(ApiError::SubjectNotFound(subject.to_string())),
        };
        store::write(&*self.store, move |tx| tx.put_mode(&scope, None)).await??;
        Ok(old)
    }

    fn has_live_subjects(&self, subject: &Subject) -> Result<bool, ApiError> {
        if !subject.is_context_scope() {
            return Ok(super::latest_live(&self.store.versions(subject)?).is_some());
        }
        let ctx = if subject.context.is_global() {
            None
        } else {
            Some(&subject.context)
        };
        Ok(self.store.subjects(ctx)?.iter().any(|(_, live)| *live))
    }
}

/// Hard-deletes the soft-deleted versions in `scope` (a subject, a context, or every
/// context for `:.__GLOBAL:`); 42206 when one is still referenced.
fn purge_soft_deleted(tx: &mut dyn store::Txn, scope: &Subject) -> Result<usize, ApiError> {
    let subjects: Vec<Subject> = if !scope.is_context_scope() {
        vec![scope.clone()]
    } else {
        let ctx = (!scope.context.is_global()).then_some(&scope.context);
        tx.subjects(ctx)?.into_iter().map(|(s, _)| s).collect()
    };
    let mut purged = 0;
    for subject in subjects {
        for (version, record) in tx.versions(&subject)? {
            if !record.deleted {
                continue;
            }
            if !tx.referrers(&subject, version)?.is_empty() {
                return Err(ApiError::ReferenceExists(subject.to_string(), version));
            }
            let targets = match tx.schema(&subject.context, record.id)? {
                Some(schema) => store::resolve_references(&subject, &schema.references),
                None => Vec::new(),
            };
            tx.remove_version(&subject, version, record.id, &targets);
            purged += 1;
        }
    }
    Ok(purged)
}

/// Parses a compatibility level case-insensitively (42203 otherwise).
fn parse_level(raw: &str) -> Result<Level, ApiError> {
    raw.parse::<Level>()
        .map_err(|_| ApiError::InvalidCompatibilityLevel)
}
