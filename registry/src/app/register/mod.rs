//! Registration (Confluent spec §4.4), in its steps: the request is checked and its schema
//! prepared (`request`), checked for compatibility against the subject's live versions
//! (`check`) on a blocking thread in parallel with other requests, then written by a job
//! on the single writer (`job`), which re-validates that the live versions are still the
//! ones checked (otherwise the check is redone), dedupes by content hash, and allocates
//! the id from the global sequence and the next version, all in one batch. Lookups
//! (`lookup`) and compatibility checks share the first two steps.

mod check;
mod job;
mod lookup;
mod request;

use std::sync::Arc;

use huntreg_compat::Level;

use self::job::{Explicit, JobInput, JobResult, Recheck};
use super::{live_versions, App, LiveVersion};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::store;
use crate::types::{Mode, Subject, Version};

pub use self::check::CompatibilityResult;
pub use self::request::{ReferenceRequest, SchemaRequest};

/// What a registration did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterOutcome {
    /// The schema id.
    pub id: u32,
    /// The version under the subject.
    pub version: u32,
    /// False when an equal schema was already a live version (nothing written).
    pub created: bool,
}

/// Optimistic attempts (check in parallel, validate on the writer) before the check moves
/// onto the writer.
const OPTIMISTIC_ATTEMPTS: usize = 3;
/// Attempts in all; the last ones cannot lose a race, so this bound is never reached.
const MAX_ATTEMPTS: usize = OPTIMISTIC_ATTEMPTS + 2;

impl App {
    /// `POST /subjects/{s}/versions`: registers a schema (idempotent for equal schemas).
    pub async fn register(
        self: &Arc<Self>,
        subject: Subject,
        req: SchemaRequest,
        normalize: bool,
        force: bool,
        caller: Caller,
    ) -> Result<RegisterOutcome, ApiError> {
        subject.validate_for_register()?;
        let app = self.clone();
        let subject_for_history = subject.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            app.register_blocking(subject, req, normalize, force, caller)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("registration task failed: {e}")))?;
        let outcome = outcome.map(|(o, live)| {
            if o.created {
                // Extend the kept history now, off the answered request, so the next
                // registration of the subject finds it ready.
                let app = self.clone();
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = app.warm_history(&subject_for_history, live) {
                        tracing::debug!(error = %e, "history not extended");
                    }
                });
            }
            o
        });
        match &outcome {
            Ok(_) => self
                .metrics
                .registrations_accepted
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            Err(ApiError::Incompatible(_)) => self
                .metrics
                .registrations_refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            Err(_) => 0,
        };
        outcome
    }

    /// Registers on a blocking thread: prepare, then check in parallel and write on the
    /// writer until the job finds the live versions it was checked against. Answers the
    /// outcome and, when it created the newest version, the live versions after it.
    fn register_blocking(
        self: &Arc<Self>,
        subject: Subject,
        req: SchemaRequest,
        normalize: bool,
        force: bool,
        caller: Caller,
    ) -> Result<(RegisterOutcome, Option<Vec<LiveVersion>>), ApiError> {
        Self::authorize_references(&subject, &req.references, &caller)?;
        if req.schema.trim().is_empty() {
            // Confluent re-registers the latest live version (a metadata-only update).
            let latest = self
                .resolve_version(&subject, Version::Latest, false)
                .map_err(|_| ApiError::InvalidSchema("Empty schema".into()))?;
            block_on(store::wait_durable(&*self.store))?;
            let outcome = RegisterOutcome {
                id: latest.record.id,
                version: latest.version,
                created: false,
            };
            return Ok((outcome, None));
        }
        let (level, config_normalize) = self.effective_config(&subject)?;
        let normalize = normalize || config_normalize;
        let (references, prepared) = self.prepare(&subject, &req, normalize, &caller)?;
        let record = request::schema_record(references, &prepared);
        let explicit = Explicit {
            id: req.id,
            version: req.version,
        };

        for attempt in 0..MAX_ATTEMPTS {
            let live = live_versions(&self.store.versions(&subject)?);

            // Fast path (before the mode check, as Confluent): an equal live version.
            let existing = match explicit.version {
                None => self.store.id_by_hash(&subject.context, &prepared.hash)?,
                Some(_) => None,
            };
            if let Some(outcome) = explicit.equal_live(&live, existing) {
                // What was read may come from a write not flushed yet.
                block_on(store::wait_durable(&*self.store))?;
                return Ok((outcome, None));
            }

            let import = self.registration_mode(&subject, explicit)? == Mode::Import;
            let checked = !import && !force && level != Level::None;
            if checked {
                let found = self.check(&subject, &prepared.image, level, &live)?;
                if !found.is_empty() {
                    tracing::info!(%subject, %level, findings = found.len(), "incompatible schema refused");
                    return Err(check::incompatible(&subject, &found));
                }
            }
            // After losing a few races, the check is redone on the writer itself, against the
            // history it is about to extend, so a busy subject cannot starve a registration.
            let recheck: Option<Recheck> = (checked && attempt >= OPTIMISTIC_ATTEMPTS).then(|| {
                let app = self.clone();
                let subject = subject.clone();
                let image = prepared.image.clone();
                Box::new(move |live: &[LiveVersion]| app.check(&subject, &image, level, live))
                    as Recheck
            });
            let job = JobInput {
                subject: subject.clone(),
                record: record.clone(),
                hash: prepared.hash,
                explicit,
                import,
                checked: checked.then(|| live.clone()),
                recheck,
            };
            // The subject's kept-history entries not yet written ride along, in order.
            let result = futures_block_on(self.submit_with_history(&subject, |tx| job.run(tx)))?;
            match result {
                JobResult::Retry => continue,
                JobResult::Done(outcome) => {
                    if import && outcome.is_ok() {
                        self.invalidate_rendered();
                    }
                    return outcome.map(|o| {
                        if o.created {
                            tracing::info!(%subject, id = o.id, version = o.version, import, "schema registered");
                        }
                        (o, live_after(live, o))
                    });
                }
            }
        }
        Err(ApiError::Internal(format!(
            "registration under {subject} kept racing with concurrent registrations"
        )))
    }

    /// The effective mode of `subject` when it accepts a registration asking for
    /// `explicit`: READWRITE, or IMPORT when an id is asked for.
    fn registration_mode(&self, subject: &Subject, explicit: Explicit) -> Result<Mode, ApiError> {
        let mode = self.effective_mode(subject)?;
        let refused = if mode.is_read_only() {
            "is in read-only mode"
        } else if explicit.id.is_some() && mode != Mode::Import {
            "is not in import mode"
        } else if explicit.id.is_none() && mode != Mode::ReadWrite {
            "is not in read-write mode"
        } else {
            return Ok(mode);
        };
        Err(ApiError::OperationNotPermitted(format!(
            "Subject {} in context {} {refused}",
            subject.name,
            subject.context.display_name()
        )))
    }
}

/// The live versions after a registration `outcome` that started from `live`, as far as
/// it knows (the kept history brings itself to the store's at its next check); `None`
/// when it did not add the newest version.
fn live_after(mut live: Vec<LiveVersion>, outcome: RegisterOutcome) -> Option<Vec<LiveVersion>> {
    let after = outcome.created && live.last().is_none_or(|l| l.version < outcome.version);
    after.then(|| {
        live.push(LiveVersion {
            version: outcome.version,
            id: outcome.id,
        });
        live
    })
}

/// Waits for a store future from a blocking thread.
fn block_on<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Handle::current().block_on(fut)
}

/// Waits for a store write from a blocking thread.
fn futures_block_on<T>(
    fut: impl std::future::Future<Output = Result<Result<T, ApiError>, store::StoreError>>,
) -> Result<T, ApiError> {
    let handle = tokio::runtime::Handle::current();
    handle.block_on(fut)?
}
