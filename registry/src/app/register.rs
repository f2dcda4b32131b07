//! Registration, lookup and compatibility checks (Confluent spec §4.4, §2.3, §2.12).
//!
//! Compiling and checking run on a blocking thread in parallel with other requests; the
//! write job then re-validates, on the single writer, that the subject's live versions are
//! still the ones checked (otherwise the check is redone), dedupes by content hash,
//! allocates the id from the global sequence and the next version, all in one batch.

use std::sync::Arc;
use std::time::Instant;

use huntreg_compat::{
    check_history, Category, Direction, Extent, Image, Level, LevelReport, RuleSet,
};

use super::texts::TextKind;
use super::{App, ResolvedVersion, SchemaView};
use crate::auth::Caller;
use crate::dto::{RegisterRequest, PROTOBUF};
use crate::error::ApiError;
use crate::schema::{self, Input, Prepared};
use crate::store::{self, hex_encode, ReferenceRecord, SchemaRecord, Txn, VersionRecord};
use crate::types::{Mode, Subject, Version};

/// A reference in a request, fields present.
#[derive(Debug, Clone)]
pub struct ReferenceRequest {
    /// Import path.
    pub name: String,
    /// Subject (possibly unqualified).
    pub subject: String,
    /// Version; `-1` means latest.
    pub version: i64,
}

/// A register / lookup / compatibility request after boundary checks.
#[derive(Debug, Clone)]
pub struct SchemaRequest {
    /// The schema (text or base64 descriptor); empty means "the latest version's".
    pub schema: String,
    /// References.
    pub references: Vec<ReferenceRequest>,
    /// Explicit version.
    pub version: Option<i64>,
    /// Explicit id (IMPORT).
    pub id: Option<i64>,
}

impl SchemaRequest {
    /// Checks the schema type (only PROTOBUF is served; case-sensitive, as Confluent's
    /// provider lookup: `protobuf` is 42201) and reference fields.
    pub fn from_dto(req: RegisterRequest) -> Result<SchemaRequest, ApiError> {
        let ty = req.schema_type.as_deref().unwrap_or("AVRO");
        if ty != PROTOBUF {
            return Err(ApiError::InvalidSchema(format!(
                "Invalid schema type {ty}: this registry serves only PROTOBUF schemas"
            )));
        }
        let mut references = Vec::new();
        for r in req.references.unwrap_or_default() {
            match (r.name, r.subject, r.version) {
                (Some(name), Some(subject), Some(version)) if version == -1 || version >= 1 => {
                    references.push(ReferenceRequest {
                        name,
                        subject,
                        version,
                    });
                }
                (name, subject, version) => {
                    return Err(ApiError::InvalidSchema(format!(
                        "Invalid reference: name={name:?}, subject={subject:?}, version={version:?}"
                    )))
                }
            }
        }
        Ok(SchemaRequest {
            schema: req.schema.unwrap_or_default(),
            references,
            version: req.version.filter(|v| *v != -1),
            id: req.id.filter(|id| *id >= 0),
        })
    }
}

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

/// The verdict of a compatibility check.
#[derive(Debug, Clone)]
pub struct CompatibilityResult {
    /// True when compatible.
    pub is_compatible: bool,
    /// Confluent-style detail entries.
    pub messages: Vec<String>,
}

enum JobResult {
    Done(Result<RegisterOutcome, ApiError>),
    Retry,
}

/// Optimistic attempts (check in parallel, validate on the writer) before the check moves
/// onto the writer.
const OPTIMISTIC_ATTEMPTS: usize = 3;
/// Attempts in all; the last ones cannot lose a race, so this bound is never reached.
const MAX_ATTEMPTS: usize = OPTIMISTIC_ATTEMPTS + 2;

/// A subject's live `(version, id)`s, oldest first.
type LiveVersions = Vec<(u32, u32)>;

/// A compatibility check against a given live history, run on the writer.
type Recheck = Box<dyn FnOnce(&[(u32, u32)]) -> Result<Vec<String>, ApiError> + Send>;

fn incompatible(subject: &Subject, found: &[String]) -> ApiError {
    ApiError::Incompatible(format!(
        "Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]",
        found.join(", ")
    ))
}

impl App {
    /// Checks that `caller` may read every hunt the request's references name. Every
    /// handler that takes references calls this before it looks anything up, so whether a
    /// refusal happens, and what it says, never depends on what exists.
    fn authorize_references(
        subject: &Subject,
        refs: &[ReferenceRequest],
        caller: &Caller,
    ) -> Result<(), ApiError> {
        for r in refs {
            caller.require_read(&subject.qualify_reference(&r.subject)?.context)?;
        }
        Ok(())
    }

    /// Resolves request references in `subject`'s context (`-1` becomes the latest live
    /// version) into stored form.
    fn resolve_references(
        &self,
        subject: &Subject,
        refs: &[ReferenceRequest],
        caller: &Caller,
    ) -> Result<Vec<ReferenceRecord>, ApiError> {
        refs.iter()
            .map(|r| {
                let target = subject.qualify_reference(&r.subject)?;
                // Resolving a reference reads the referenced subject: the grant is checked
                // before anything about it is looked up, so a refusal reveals nothing.
                caller.require_read(&target.context)?;
                let version = if r.version == -1 {
                    self.resolve_version(&target, Version::Latest, false)
                        .map_err(|_| {
                            ApiError::InvalidSchema(format!(
                                "Invalid schema: No schema reference found for subject \"{}\" and version -1",
                                r.subject
                            ))
                        })?
                        .version
                } else {
                    u32::try_from(r.version).map_err(|_| ApiError::InvalidVersion(r.version.to_string()))?
                };
                Ok(ReferenceRecord {
                    name: r.name.clone(),
                    subject: r.subject.clone(),
                    version,
                })
            })
            .collect()
    }

    /// Compiles and canonicalizes a request's schema as a version of `subject`.
    fn prepare(
        &self,
        subject: &Subject,
        req: &SchemaRequest,
        normalize: bool,
        caller: &Caller,
    ) -> Result<(Vec<ReferenceRecord>, Prepared), ApiError> {
        let references = self.resolve_references(subject, &req.references, caller)?;
        let deps = self.dep_files(subject, &references, caller)?;
        let main = schema::main_file_name(&subject.name, &deps);
        let prepared = schema::prepare(
            &Input::parse(&req.schema),
            &main,
            &deps,
            &references,
            normalize,
        )
        .map_err(|e| {
            ApiError::InvalidSchema(format!("Invalid schema of type PROTOBUF, details: {e}"))
        })?;
        Ok((references, prepared))
    }

    /// Checks `new` against the given versions of `subject` at `level`; returns Confluent
    /// detail entries (empty when compatible).
    fn check(
        &self,
        subject: &Subject,
        new: &Image,
        level: Level,
        history: &[(u32, u32)],
    ) -> Result<Vec<String>, ApiError> {
        if level == Level::None || history.is_empty() {
            return Ok(Vec::new());
        }
        let started = Instant::now();
        let rules = RuleSet::category(Category::Csr);
        let load = |i: usize| self.image(subject, history[i].1);
        // A transitive level reads the subject's kept history, so only the versions that
        // could fail are compared pair by pair; the others need the latest version only.
        let report = if level.is_transitive() {
            let synced = self.history(subject, history)?;
            let synced = synced.lock().unwrap_or_else(|p| p.into_inner());
            check_history(
                level,
                new,
                history.len(),
                Some(&synced.history),
                &rules,
                Extent::FirstFailing,
                load,
            )?
        } else {
            // The kept history, when it holds exactly these versions, tells whether the
            // new schema lacks or changed any element of the newest one.
            let kept = self.kept_history_of(subject, history)?;
            let synced = kept
                .as_ref()
                .map(|k| k.lock().unwrap_or_else(|p| p.into_inner()));
            check_history(
                level,
                new,
                history.len(),
                synced.as_ref().map(|s| &s.history),
                &rules,
                Extent::FirstFailing,
                load,
            )?
        };
        self.metrics.compat_check.observe(started.elapsed());
        let old_schema = |id: u32| {
            self.schema_record(&subject.context, id)
                .ok()
                .flatten()
                .map(|r| r.schema.clone())
        };
        Ok(details(level, &report, history, &old_schema))
    }

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

    fn register_blocking(
        self: &Arc<Self>,
        subject: Subject,
        mut req: SchemaRequest,
        normalize: bool,
        force: bool,
        caller: Caller,
    ) -> Result<(RegisterOutcome, Option<LiveVersions>), ApiError> {
        Self::authorize_references(&subject, &req.references, &caller)?;
        if req.schema.trim().is_empty() {
            // Confluent re-registers the latest live version (a metadata-only update).
            let latest = self
                .resolve_version(&subject, Version::Latest, false)
                .map_err(|_| ApiError::InvalidSchema("Empty schema".into()))?;
            block_on(store::wait_durable(&*self.store))?;
            return Ok((
                RegisterOutcome {
                    id: latest.record.id,
                    version: latest.version,
                    created: false,
                },
                None,
            ));
        }
        let (level, config_normalize) = self.effective_config(&subject)?;
        let normalize = normalize || config_normalize;
        let (references, prepared) = self.prepare(&subject, &req, normalize, &caller)?;
        let hash = prepared.hash;
        let record = SchemaRecord {
            v: store::records::FORMAT_VERSION,
            schema: prepared.canonical.clone(),
            descriptor: {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(&prepared.descriptor)
            },
            references,
            hash: hex_encode(&hash),
        };
        let record = Arc::new(record);
        let explicit_version = req.version.take();
        let explicit_id = req.id.take();

        for attempt in 0..MAX_ATTEMPTS {
            let versions = self.store.versions(&subject)?;
            let live: Vec<(u32, u32)> = versions
                .iter()
                .filter(|(_, r)| !r.deleted)
                .map(|(v, r)| (*v, r.id))
                .collect();

            // Fast path (before the mode check, as Confluent): an equal live version.
            if explicit_version.is_none() {
                if let Some(id) = self.store.id_by_hash(&subject.context, &hash)? {
                    if explicit_id.is_none_or(|e| e == i64::from(id)) {
                        if let Some((v, _)) = live.iter().rev().find(|(_, i)| *i == id) {
                            // What was read may come from a write not flushed yet.
                            block_on(store::wait_durable(&*self.store))?;
                            return Ok((
                                RegisterOutcome {
                                    id,
                                    version: *v,
                                    created: false,
                                },
                                None,
                            ));
                        }
                    }
                }
            }

            let mode = self.effective_mode(&subject)?;
            let ctx_name = subject.context.display_name().to_owned();
            if mode.is_read_only() {
                return Err(ApiError::OperationNotPermitted(format!(
                    "Subject {} in context {ctx_name} is in read-only mode",
                    subject.name
                )));
            }
            if explicit_id.is_some() && mode != Mode::Import {
                return Err(ApiError::OperationNotPermitted(format!(
                    "Subject {} in context {ctx_name} is not in import mode",
                    subject.name
                )));
            }
            if explicit_id.is_none() && mode != Mode::ReadWrite {
                return Err(ApiError::OperationNotPermitted(format!(
                    "Subject {} in context {ctx_name} is not in read-write mode",
                    subject.name
                )));
            }
            let import = mode == Mode::Import;

            let checked = !import && !force && level != Level::None;
            if checked {
                let found = self.check(&subject, &prepared.image, level, &live)?;
                if !found.is_empty() {
                    tracing::info!(%subject, %level, findings = found.len(), "incompatible schema refused");
                    return Err(incompatible(&subject, &found));
                }
            }
            // After losing a few races, the check is redone on the writer itself, against the
            // history it is about to extend, so a busy subject cannot starve a registration.
            let recheck: Option<Recheck> = (checked && attempt >= OPTIMISTIC_ATTEMPTS).then(|| {
                let app = self.clone();
                let subject = subject.clone();
                let image = prepared.image.clone();
                Box::new(move |live: &[(u32, u32)]| app.check(&subject, &image, level, live))
                    as Recheck
            });

            let job_subject = subject.clone();
            let job_record = record.clone();
            let live_before = live.clone();
            // The subject's kept-history entries not yet written ride along, in order.
            let result = self.submit_with_history(&subject, move |tx| {
                register_job(
                    tx,
                    &job_subject,
                    &job_record,
                    &hash,
                    checked.then_some(live.as_slice()),
                    recheck,
                    explicit_id,
                    explicit_version,
                    import,
                )
            });
            let result = futures_block_on(result)?;
            match result {
                JobResult::Retry => continue,
                JobResult::Done(outcome) => {
                    if import && outcome.is_ok() {
                        self.invalidate_rendered();
                    }
                    if let Ok(o) = &outcome {
                        if o.created {
                            tracing::info!(%subject, id = o.id, version = o.version, import, "schema registered");
                        }
                    }
                    // The live versions after the registration, as far as this one knows:
                    // the kept history brings itself to the store's at its next check.
                    return outcome.map(|o| {
                        let mut live = live_before;
                        let after = o.created && live.last().is_none_or(|(v, _)| *v < o.version);
                        if after {
                            live.push((o.version, o.id));
                        }
                        (o, after.then_some(live))
                    });
                }
            }
        }
        Err(ApiError::Internal(format!(
            "registration under {subject} kept racing with concurrent registrations"
        )))
    }

    /// `POST /subjects/{s}`: finds the version of `subject` holding this schema.
    pub async fn lookup(
        self: &Arc<Self>,
        subject: Subject,
        req: SchemaRequest,
        normalize: bool,
        deleted: bool,
        caller: Caller,
    ) -> Result<SchemaView, ApiError> {
        let app = self.clone();
        tokio::task::spawn_blocking(move || {
            app.lookup_blocking(subject, req, normalize, deleted, caller)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("lookup task failed: {e}")))?
    }

    fn lookup_blocking(
        &self,
        subject: Subject,
        req: SchemaRequest,
        normalize: bool,
        deleted: bool,
        caller: Caller,
    ) -> Result<SchemaView, ApiError> {
        Self::authorize_references(&subject, &req.references, &caller)?;
        let (subject, versions) = self.subject_versions(&subject)?;
        let visible: Vec<(u32, VersionRecord)> = versions
            .into_iter()
            .filter(|(_, r)| deleted || !r.deleted)
            .collect();
        if visible.is_empty() {
            return Err(ApiError::SubjectNotFound(subject.to_string()));
        }
        let (_, config_normalize) = self.effective_config(&subject)?;
        let normalize = normalize || config_normalize;
        // kafkajs looks schemas up without their references: when the imports do not
        // resolve, each version's own references are tried below.
        let prepared = match self.prepare(&subject, &req, normalize, &caller) {
            Ok((_, p)) => Ok(p),
            Err(e @ ApiError::InvalidSchema(_)) if req.references.is_empty() => Err(e),
            Err(e) => return Err(e),
        };
        let view = |v: u32, r: VersionRecord| -> Result<SchemaView, ApiError> {
            let record = self
                .schema_record(&subject.context, r.id)?
                .ok_or(ApiError::SchemaNotFound(Some(r.id)))?;
            Ok(SchemaView {
                version: ResolvedVersion {
                    subject: subject.clone(),
                    version: v,
                    record: r,
                },
                record,
            })
        };
        if let Ok(prepared) = &prepared {
            if let Some(id) = self.store.id_by_hash(&subject.context, &prepared.hash)? {
                if let Some((v, r)) = visible.iter().rev().find(|(_, r)| r.id == id) {
                    return view(*v, *r);
                }
            }
        }
        // Equal canonical text (normalized input against versions stored unnormalized, or
        // input without references against versions with them), through the subject's
        // text index: only versions whose text hashes alike are compared.
        let texts = self.text_index(&subject);
        let mut texts = texts.lock().unwrap_or_else(|p| p.into_inner());
        for (v, r) in &visible {
            if !texts.covers((*v, r.id)) {
                // Read through the record cache without filling it: a first miss reads
                // every version once.
                if let Some(record) = self.record_uncached(&subject.context, r.id)? {
                    texts.insert((*v, r.id), &record.schema, !record.references.is_empty());
                }
            }
        }
        // The normalized canonical text of a stored version (`None`: its image has no main
        // file, and it matches nothing), printed in the edition its stored text says (the
        // compiled image is its proto2 or proto3 form).
        let normalized_text = |id: u32| -> Result<Option<String>, ApiError> {
            let image = self.image(&subject, id)?;
            let main = image.targets().first().cloned().unwrap_or_default();
            let Some(file) = image.pool().get_file_by_name(&main) else {
                return Ok(None);
            };
            let edition = self
                .schema_record(&subject.context, id)?
                .and_then(|record| schema::canonical::canonical_edition(&record.schema));
            Ok(Some(schema::canonical::canonical_text_in(
                &file, true, edition,
            )))
        };
        match &prepared {
            Ok(p) => {
                let kind = if normalize {
                    for (v, r) in &visible {
                        if texts.covers((*v, r.id)) && !texts.covers_normalized((*v, r.id)) {
                            // A version whose image does not load is left out (and tried
                            // again next time): it cannot be shown equal.
                            if let Ok(text) = normalized_text(r.id) {
                                texts.insert_normalized((*v, r.id), text.as_deref());
                            }
                        }
                    }
                    TextKind::Normalized
                } else {
                    TextKind::Stored
                };
                let candidates = texts.candidates(kind, &p.canonical);
                drop(texts);
                for (v, r) in visible.iter().rev() {
                    if !candidates.contains(&(*v, r.id)) {
                        continue;
                    }
                    let stored_text = if normalize {
                        normalized_text(r.id)?
                    } else {
                        self.schema_record(&subject.context, r.id)?
                            .map(|record| record.schema.clone())
                    };
                    if stored_text.as_deref() == Some(p.canonical.as_str()) {
                        return view(*v, *r);
                    }
                }
            }
            Err(_) => {
                // Each version stored with references: the input compiled against them.
                let with_refs: Vec<(u32, VersionRecord)> = visible
                    .iter()
                    .rev()
                    .filter(|(v, r)| texts.has_references((*v, r.id)))
                    .cloned()
                    .collect();
                drop(texts);
                for (v, r) in with_refs {
                    let Some(record) = self.schema_record(&subject.context, r.id)? else {
                        continue;
                    };
                    let with_refs = SchemaRequest {
                        references: record
                            .references
                            .iter()
                            .map(|r| ReferenceRequest {
                                name: r.name.clone(),
                                subject: r.subject.clone(),
                                version: i64::from(r.version),
                            })
                            .collect(),
                        ..req.clone()
                    };
                    let canonical = match self.prepare(&subject, &with_refs, normalize, &caller) {
                        Ok((_, p)) => p.canonical,
                        Err(e @ ApiError::Forbidden(_)) => return Err(e),
                        Err(_) => continue,
                    };
                    let stored_text = if normalize {
                        normalized_text(r.id)?
                    } else {
                        Some(record.schema.clone())
                    };
                    if stored_text.as_deref() == Some(canonical.as_str()) {
                        return view(v, r);
                    }
                }
            }
        }
        prepared?;
        Err(ApiError::SchemaNotFound(None))
    }

    /// `POST /compatibility/subjects/{s}/versions[/{v}]`.
    pub async fn check_compatibility(
        self: &Arc<Self>,
        subject: Subject,
        version: Option<Version>,
        req: SchemaRequest,
        normalize: bool,
        verbose: bool,
        caller: Caller,
    ) -> Result<CompatibilityResult, ApiError> {
        let app = self.clone();
        tokio::task::spawn_blocking(move || {
            app.check_compatibility_blocking(subject, version, req, normalize, verbose, caller)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("compatibility task failed: {e}")))?
    }

    fn check_compatibility_blocking(
        &self,
        subject: Subject,
        version: Option<Version>,
        req: SchemaRequest,
        normalize: bool,
        verbose: bool,
        caller: Caller,
    ) -> Result<CompatibilityResult, ApiError> {
        Self::authorize_references(&subject, &req.references, &caller)?;
        let versions = self.store.versions(&subject)?;
        let live: Vec<(u32, u32)> = versions
            .iter()
            .filter(|(_, r)| !r.deleted)
            .map(|(v, r)| (*v, r.id))
            .collect();
        let (level, config_normalize) = self.effective_config(&subject)?;
        let (level, history) = match version {
            None => (level, live),
            Some(Version::Latest) => (level.single(), live.last().copied().into_iter().collect()),
            Some(Version::Number(n)) => match live.iter().find(|(v, _)| *v == n) {
                Some(found) => (level.single(), vec![*found]),
                None => return Err(ApiError::VersionNotFound(n.to_string())),
            },
        };
        let prepared = match self.prepare(&subject, &req, normalize || config_normalize, &caller) {
            Ok((_, p)) => p,
            Err(ApiError::InvalidSchema(msg)) if verbose => {
                return Ok(CompatibilityResult {
                    is_compatible: false,
                    messages: vec![msg],
                })
            }
            Err(e) => return Err(e),
        };
        let found = self.check(&subject, &prepared.image, level, &history)?;
        Ok(CompatibilityResult {
            is_compatible: found.is_empty(),
            messages: found,
        })
    }
}

/// Confluent's detail list: each finding as `{errorType, description}`, then the version it
/// was found against, and finally the level.
/// Confluent cuts the compared schema's text at 10 KiB in a 409's details.
const OLD_SCHEMA_LIMIT: usize = 10 * 1024;

fn details(
    level: Level,
    report: &LevelReport,
    history: &[(u32, u32)],
    old_schema: &dyn Fn(u32) -> Option<String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for pair in report.pairs.iter().filter(|p| !p.report.is_empty()) {
        let direction = match pair.direction {
            Direction::Backward => "",
            Direction::Forward => {
                "forward check (the old schema reads data written with the new one): "
            }
        };
        for f in &pair.report.findings {
            out.push(format!(
                "{{errorType:\"{}\", description:\"{direction}{}\"}}",
                f.rule,
                f.to_string().replace('"', "'")
            ));
        }
        if let Some((version, id)) = history.get(pair.against) {
            out.push(format!("{{oldSchemaVersion: {version}}}"));
            if let Some(text) = old_schema(*id) {
                out.push(old_schema_detail(&text));
            }
        }
    }
    if !out.is_empty() {
        out.push(format!(
            "{{validateFields: 'false', compatibility: '{level}'}}"
        ));
    }
    out
}

/// `{oldSchema: '<canonical text>'}`, as Confluent writes it: cut at 10 KiB (on a character
/// boundary) and marked `<truncated>` when longer.
fn old_schema_detail(text: &str) -> String {
    if text.len() <= OLD_SCHEMA_LIMIT {
        return format!("{{oldSchema: '{text}'}}");
    }
    let mut end = OLD_SCHEMA_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{{oldSchema: <truncated> '{}'}}", &text[..end])
}

#[allow(clippy::too_many_arguments)]
fn register_job(
    tx: &mut dyn Txn,
    subject: &Subject,
    record: &SchemaRecord,
    hash: &[u8],
    live_checked: Option<&[(u32, u32)]>,
    recheck: Option<Recheck>,
    explicit_id: Option<i64>,
    explicit_version: Option<i64>,
    import: bool,
) -> Result<JobResult, ApiError> {
    let versions = tx.versions(subject)?;
    let live: Vec<(u32, u32)> = versions
        .iter()
        .filter(|(_, r)| !r.deleted)
        .map(|(v, r)| (*v, r.id))
        .collect();
    if live_checked.is_some_and(|checked| checked != live) {
        match recheck {
            None => return Ok(JobResult::Retry),
            Some(check) => {
                let found = check(&live)?;
                if !found.is_empty() {
                    return Ok(JobResult::Done(Err(incompatible(subject, &found))));
                }
            }
        }
    }
    let ctx = &subject.context;
    let existing_id = tx.id_by_hash(ctx, hash)?;
    if explicit_version.is_none() {
        if let Some(id) = existing_id {
            if explicit_id.is_none_or(|e| e == i64::from(id)) {
                if let Some((v, _)) = live.iter().rev().find(|(_, i)| *i == id) {
                    return Ok(JobResult::Done(Ok(RegisterOutcome {
                        id,
                        version: *v,
                        created: false,
                    })));
                }
            }
        }
    }
    let max_version = versions.last().map(|(v, _)| *v).unwrap_or(0);
    let next_version = max_version.saturating_add(1);
    let version = match explicit_version {
        None => next_version,
        Some(v) => {
            let Some(v) = u32::try_from(v)
                .ok()
                .filter(|v| *v >= 1 && *v <= i32::MAX as u32)
            else {
                return Ok(JobResult::Done(Err(ApiError::InvalidVersion(
                    v.to_string(),
                ))));
            };
            if import {
                if let Some((_, r)) = versions.iter().find(|(n, _)| *n == v) {
                    let same = explicit_id.is_none_or(|e| e == i64::from(r.id));
                    return Ok(JobResult::Done(if same && !r.deleted {
                        Ok(RegisterOutcome {
                            id: r.id,
                            version: v,
                            created: false,
                        })
                    } else {
                        Err(ApiError::InvalidSchema(format!(
                            "Version {v} of subject {subject} already exists"
                        )))
                    }));
                }
                v
            } else if v == next_version {
                v
            } else {
                return Ok(JobResult::Done(Err(ApiError::InvalidSchema(
                    "Version is not one more than previous version".into(),
                ))));
            }
        }
    };
    let next_id = tx.next_id()?;
    let id = match explicit_id {
        Some(raw) if import => {
            let Some(id) = u32::try_from(raw).ok().filter(|id| *id <= i32::MAX as u32) else {
                return Ok(JobResult::Done(Err(ApiError::InvalidSchema(format!(
                    "Invalid id {raw}"
                )))));
            };
            if id_names_another_schema(&*tx, id, &record.hash)? {
                // The message names the id and the importing context only: never what the
                // id names elsewhere, nor where.
                return Ok(JobResult::Done(Err(ApiError::OperationNotPermitted(
                    format!(
                        "Overwrite new schema with id {id} in context {} is not permitted.",
                        ctx.display_name()
                    ),
                ))));
            }
            if id >= next_id {
                tx.set_next_id(id.saturating_add(1));
            }
            id
        }
        _ => match existing_id {
            Some(id) => id,
            None => {
                tx.set_next_id(next_id.saturating_add(1));
                next_id
            }
        },
    };
    if tx.schema(ctx, id)?.is_none() {
        tx.put_schema(ctx, id, record, hash)?;
    }
    // Soft-deleted versions of this subject carrying the same id are superseded.
    let targets = store::resolve_references(subject, &record.references);
    for (v, r) in &versions {
        if r.deleted && r.id == id && tx.referrers(subject, *v)?.is_empty() {
            tx.remove_version(subject, *v, id, &targets);
        }
    }
    tx.put_version(
        subject,
        version,
        &VersionRecord {
            v: store::records::FORMAT_VERSION,
            id,
            deleted: false,
            registered_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .and_then(|d| u64::try_from(d.as_millis()).ok()),
        },
        &targets,
    )?;
    tx.put_context(ctx, true);
    Ok(JobResult::Done(Ok(RegisterOutcome {
        id,
        version,
        created: true,
    })))
}

/// Whether schema `id` already names, in any context, a schema other than the one with
/// content hash `hash`. Schema records are never removed, so an id once given keeps naming
/// its schema even after every version carrying it is hard-deleted.
fn id_names_another_schema(tx: &dyn Txn, id: u32, hash: &str) -> Result<bool, ApiError> {
    for ctx in tx.contexts_with_id(id)? {
        if tx
            .schema(&ctx, id)?
            .is_some_and(|existing| existing.hash != hash)
        {
            return Ok(true);
        }
    }
    Ok(false)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_schema_detail_cuts_long_text_at_a_character_boundary() {
        assert_eq!(old_schema_detail("syntax"), "{oldSchema: 'syntax'}");
        let long = "é".repeat(OLD_SCHEMA_LIMIT);
        let detail = old_schema_detail(&long);
        assert!(detail.starts_with("{oldSchema: <truncated> 'é"), "{detail}");
        let kept = detail.trim_start_matches("{oldSchema: <truncated> '");
        assert_eq!(kept.trim_end_matches("'}").len(), OLD_SCHEMA_LIMIT);
    }
}
