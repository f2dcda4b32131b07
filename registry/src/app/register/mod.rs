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
use crate::schema;
use crate::store::{self, SchemaRecord};
use crate::types::{Mode, Subject, Version};

pub(crate) use self::request::{ReferenceRequest, SchemaRequest};

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

/// A registration once its schema is prepared: what each attempt checks and writes.
struct Registration {
    /// The subject registered into.
    subject: Subject,
    /// The compiled schema (its image is what the check compares).
    schema: schema::Prepared,
    /// The schema as it is stored.
    record: Arc<SchemaRecord>,
    /// The id and version asked for.
    explicit: Explicit,
    /// The subject's effective compatibility level.
    level: Level,
    /// `force=true`: registered without a check.
    force: bool,
}

/// What a registration answers: its outcome and, when it created the newest version, the
/// subject's live versions after it (for the kept history).
type Registered = (RegisterOutcome, Option<Vec<LiveVersion>>);

impl App {
    /// `POST /subjects/{s}/versions`: registers a schema (idempotent for equal schemas).
    /// Prepares it, then checks it in parallel with other requests and writes it on the
    /// writer, until the write job finds the live versions it was checked against.
    pub async fn register(
        self: &Arc<Self>,
        subject: Subject,
        req: SchemaRequest,
        normalize: bool,
        force: bool,
        caller: Caller,
    ) -> Result<RegisterOutcome, ApiError> {
        subject.validate_for_register()?;
        let subject_for_history = subject.clone();
        let outcome = self
            .on_blocking_thread("registration", move |app| {
                Self::authorize_references(&subject, &req.references, &caller)?;
                if req.schema.trim().is_empty() {
                    return Ok((app.reregister_latest(&subject)?, None));
                }
                let (level, config_normalize) = app.effective_config(&subject)?;
                let normalize = normalize || config_normalize;
                let (references, schema) = app.prepare(&subject, &req, normalize, &caller)?;
                let registration = Registration {
                    record: request::schema_record(references, &schema),
                    schema,
                    explicit: Explicit {
                        id: req.id,
                        version: req.version,
                    },
                    level,
                    force,
                    subject,
                };
                for attempt in 0..MAX_ATTEMPTS {
                    if let Some(registered) = app.attempt(&registration, attempt)? {
                        return Ok(registered);
                    }
                }
                Err(ApiError::Internal(format!(
                    "registration under {} kept racing with concurrent registrations",
                    registration.subject
                )))
            })
            .await;
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

    /// Runs `work` on a blocking thread: compiling and checking schemas is CPU work, and
    /// waiting for the writer blocks.
    async fn on_blocking_thread<T: Send + 'static>(
        self: &Arc<Self>,
        what: &str,
        work: impl FnOnce(&Arc<App>) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let app = self.clone();
        tokio::task::spawn_blocking(move || work(&app))
            .await
            .map_err(|e| ApiError::Internal(format!("{what} task failed: {e}")))?
    }

    /// An empty schema: Confluent re-registers the latest live version (a metadata-only
    /// update).
    fn reregister_latest(&self, subject: &Subject) -> Result<RegisterOutcome, ApiError> {
        let latest = self
            .resolve_version(subject, Version::Latest, false)
            .map_err(|_| ApiError::InvalidSchema("Empty schema".into()))?;
        block_on(store::wait_durable(&*self.store))?;
        Ok(RegisterOutcome {
            id: latest.record.id,
            version: latest.version,
            created: false,
        })
    }

    /// One attempt at `registration`: an equal live version, else the check
    /// against the live versions, then the write job. `None` when the job found the live
    /// versions moved since the check (try again).
    fn attempt(
        self: &Arc<Self>,
        registration: &Registration,
        attempt: usize,
    ) -> Result<Option<Registered>, ApiError> {
        let Registration {
            subject,
            schema,
            record,
            explicit,
            level,
            force,
        } = registration;
        let (explicit, level) = (*explicit, *level);
        let live = live_versions(&self.store.versions(subject)?);

        // Fast path (before the mode check, as Confluent): an equal live version.
        let existing = match explicit.version {
            None => self.store.id_by_hash(&subject.context, &schema.hash)?,
            Some(_) => None,
        };
        if let Some(outcome) = explicit.equal_live(&live, existing) {
            // What was read may come from a write not flushed yet.
            block_on(store::wait_durable(&*self.store))?;
            return Ok(Some((outcome, None)));
        }

        let import = self.registration_mode(subject, explicit)? == Mode::Import;
        let checked = !import && !force && level != Level::None;
        if checked {
            let found = self.check(subject, &schema.image, level, &live)?;
            if !found.is_empty() {
                tracing::info!(%subject, %level, findings = found.len(), "incompatible schema refused");
                return Err(check::incompatible(subject, &found));
            }
        }
        // After losing a few races, the check is redone on the writer itself, against the
        // history it is about to extend, so a busy subject cannot starve a registration.
        let recheck: Option<Recheck> = (checked && attempt >= OPTIMISTIC_ATTEMPTS).then(|| {
            let app = self.clone();
            let subject = subject.clone();
            let image = schema.image.clone();
            Box::new(move |live: &[LiveVersion]| app.check(&subject, &image, level, live))
                as Recheck
        });
        let job = JobInput {
            subject: subject.clone(),
            record: record.clone(),
            hash: schema.hash,
            explicit,
            import,
            checked: checked.then(|| live.clone()),
            recheck,
        };
        // The subject's kept-history entries not yet written ride along, in order.
        let outcome = match futures_block_on(self.submit_with_history(subject, |tx| job.run(tx)))? {
            JobResult::Retry => return Ok(None),
            JobResult::Done(outcome) => outcome?,
        };
        if import {
            self.invalidate_rendered();
        }
        if outcome.created {
            tracing::info!(%subject, id = outcome.id, version = outcome.version, import, "schema registered");
        }
        Ok(Some((outcome, live_after(live, outcome))))
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
