//! The registry's behaviour, independent of HTTP: resolving subjects, versions and ids,
//! the caches (schemas, compiled images, pre-rendered responses), effective config and
//! mode. Registration, deletion and settings live in the submodules.

mod delete;
mod guids;
mod kept;
mod lock;
mod queries;
mod register;
mod render;
mod settings;
mod texts;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use axum::body::Bytes;
use huntreg_compat::Image;

use kept::{HistoryWrites, SyncedHistory};

pub(crate) use lock::LockView;
pub(crate) use queries::{paginate, Deleted, SubjectPrefix};
pub(crate) use register::{ReferenceRequest, SchemaRequest};
pub(crate) use render::{guid, qualified_references, schema_text, Format, IdRendering, SchemaView};
pub use settings::scope_key;
pub(crate) use settings::ConfigView;

use crate::auth::Caller;
use crate::config::{CacheBudget, Config};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::schema::{self, DepFiles};
use crate::store::{self, ReferenceRecord, SchemaRecord, Store, VersionRecord};
use crate::types::{Context, Mode, Subject, Version};

/// The cache of pre-rendered `GET /schemas/ids/{id}` bodies.
type RenderedCache = RwLock<Rendered>;

/// One pre-rendered body of an id: the `subject` parameter, the rendering, the bytes.
type RenderedBody = (Option<Box<str>>, IdRendering, u64, Bytes);

/// Pre-rendered `GET /schemas/ids/{id}` bodies: id -> (subject param, rendering, count,
/// body), and the local generation (bumped by every local invalidation). The count is the
/// store's committed count the body was rendered at (always 0 on a store only this
/// process writes): of removals for a body without a subject (nothing else changes it),
/// of every write for one naming a subject (its subject-version can change with any
/// registration or delete). A body is served only to a request that read the same count,
/// and stored only when the generation did not move while it was rendered.
#[derive(Debug, Default)]
struct Rendered {
    bodies: HashMap<u32, Vec<RenderedBody>>,
    generation: u64,
    /// Bytes of the bodies held, and at most (bodies of large schemas are large: a client
    /// that reads every ID of a long history must not pin them all).
    bytes: usize,
    max_bytes: usize,
}

impl Rendered {
    /// Forgets every body.
    fn clear(&mut self) {
        self.bodies.clear();
        self.bytes = 0;
    }

    /// Keeps `body` as a rendering of `id`: a newer count replaces an older one of the same
    /// request (never the reverse: a request that read an older count may finish last). A
    /// body over a quarter of the bound is not kept (it would push most others out); when
    /// the bound would be passed, every body is forgotten first.
    fn keep(&mut self, id: u32, body: RenderedBody) {
        let len = body.3.len();
        if len > self.max_bytes / 4 {
            return;
        }
        if self.bodies.len() >= RECORD_CACHE_ENTRIES || self.bytes + len > self.max_bytes {
            self.clear();
        }
        let entries = self.bodies.entry(id).or_default();
        let same = |e: &RenderedBody| e.0 == body.0 && e.1 == body.1;
        if let Some(entry) = entries.iter_mut().find(|e| same(e)) {
            if entry.2 < body.2 {
                let old = std::mem::replace(entry, body);
                self.bytes = self.bytes + len - old.3.len();
            }
        } else if entries.len() < 16 {
            entries.push(body);
            self.bytes += len;
        }
    }

    /// Forgets the bodies of `id`.
    fn forget(&mut self, id: u32) {
        if let Some(entries) = self.bodies.remove(&id) {
            self.bytes -= entries.iter().map(|e| e.3.len()).sum::<usize>();
        }
    }
}

/// Compiled images kept in memory (a subject's history is checked on every registration).
const IMAGE_CACHE_ENTRIES: usize = 8192;
/// Bytes of memory a compiled image holds per byte of the descriptor it was built from, its
/// check index included (an image's pool keeps every name in maps, and its index every
/// element by digest). Measured with `heaptrack` on `huntreg serve` after a 2,000-version
/// seed-like history (`history_bench`): the cached images held 176 MB for 8 MiB of
/// descriptors, about 21 bytes per descriptor byte; rounded up.
const IMAGE_BYTES_PER_DESCRIPTOR_BYTE: usize = 24;
/// Bytes of memory a compiled image holds whatever its size (its pool's tables and the
/// prost copy of each file, its index): `heaptrack` on `huntreg serve` after 500 first
/// versions of a 15-value schema (2026-12-07) found about 41 KiB per cached image, against
/// 14 KiB counted from descriptor bytes.
const IMAGE_BYTES_PER_IMAGE: usize = 32 << 10;
/// Subjects whose compatibility history is kept in memory (the store keeps every one; a
/// history is read back in one scan).
const HISTORY_CACHE_ENTRIES: usize = 256;
/// Bytes of a subject's history entries (and lockfile rows) waiting for its next
/// registration past which they are written right away: a subject that registers once
/// (its first row holds the whole text) or rarely must not hold them in memory.
const PENDING_WRITE_BYTES: usize = 64 << 10;
/// Schema records and rendered bodies kept in memory.
const RECORD_CACHE_ENTRIES: usize = 65_536;

/// A map that forgets its least recently used tenth when full: when it holds `capacity`
/// entries, or when the weights of its entries would pass `max_weight`.
#[derive(Debug)]
pub(crate) struct Bounded<K, V> {
    map: HashMap<K, (V, u64, usize)>,
    capacity: usize,
    max_weight: usize,
    weight: usize,
    clock: u64,
}

impl<K: std::hash::Hash + Eq + Clone, V> Bounded<K, V> {
    fn new(capacity: usize) -> Self {
        Self::weighted(capacity, usize::MAX)
    }

    fn weighted(capacity: usize, max_weight: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            capacity: capacity.max(10),
            max_weight,
            weight: 0,
            clock: 0,
        }
    }

    fn get(&mut self, key: &K) -> Option<&V> {
        self.clock += 1;
        let now = self.clock;
        self.map.get_mut(key).map(|(v, used, _)| {
            *used = now;
            &*v
        })
    }

    /// Sets the weight of `key`'s entry (its value grew or shrank in place); evicts as an
    /// insertion does when the weights now pass the bound, the entry itself last.
    fn reweigh(&mut self, key: &K, weight: usize) {
        if let Some((value, _, old)) = self.map.remove(key) {
            self.weight -= old;
            self.insert_weighted(key.clone(), value, weight);
        }
    }

    fn insert(&mut self, key: K, value: V) {
        self.insert_weighted(key, value, 0);
    }

    fn insert_weighted(&mut self, key: K, value: V, weight: usize) {
        if let Some((_, _, old)) = self.map.remove(&key) {
            self.weight -= old;
        }
        while !self.map.is_empty()
            && (self.map.len() >= self.capacity
                || self.weight.saturating_add(weight) > self.max_weight)
        {
            let mut ages: Vec<u64> = self.map.values().map(|(_, used, _)| *used).collect();
            let cut = ages.len() / 10;
            let (_, threshold, _) = ages.select_nth_unstable(cut);
            let threshold = *threshold;
            let mut freed = 0;
            self.map.retain(|_, (_, used, w)| {
                let keep = *used > threshold;
                if !keep {
                    freed += *w;
                }
                keep
            });
            self.weight -= freed;
        }
        self.clock += 1;
        self.weight += weight;
        self.map.insert(key, (value, self.clock, weight));
    }
}

/// The registry: store, configuration, caches and metrics.
pub struct App {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Server configuration.
    pub config: Config,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    schemas: RwLock<RecordCache>,
    images: Mutex<Bounded<(Context, u32, String), Image>>,
    histories: Mutex<Bounded<(Context, String), KeptHistory>>,
    texts: Mutex<Bounded<(Context, String), KeptTexts>>,
    rendered: RenderedCache,
}

/// Cached schema records, and the bytes of text and descriptor they hold (at most
/// `max_bytes`: a long history of large schemas must not pin every version's text).
#[derive(Debug, Default)]
struct RecordCache {
    map: HashMap<(Context, u32), Arc<SchemaRecord>>,
    bytes: usize,
    max_bytes: usize,
}

/// A subject's kept history, shared by the checks of its registrations.
type KeptHistory = Arc<Mutex<SyncedHistory>>;

/// A subject's text index, shared by its lookups.
type KeptTexts = Arc<Mutex<texts::TextIndex>>;

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One version of a subject, resolved.
#[derive(Debug, Clone)]
pub struct ResolvedVersion {
    /// The subject (context resolved).
    pub subject: Subject,
    /// The version number.
    pub version: u32,
    /// The version record.
    pub record: VersionRecord,
}

impl App {
    /// Creates the registry over an opened store.
    pub fn new(store: Arc<dyn Store>, config: Config, metrics: Arc<Metrics>) -> App {
        let budget = CacheBudget::split(config.cache_bytes);
        App {
            store,
            config,
            metrics,
            schemas: RwLock::new(RecordCache {
                max_bytes: budget.records,
                ..RecordCache::default()
            }),
            images: Mutex::new(Bounded::weighted(IMAGE_CACHE_ENTRIES, budget.images)),
            histories: Mutex::new(Bounded::weighted(HISTORY_CACHE_ENTRIES, budget.histories)),
            texts: Mutex::new(Bounded::new(HISTORY_CACHE_ENTRIES)),
            rendered: RwLock::new(Rendered {
                max_bytes: budget.rendered,
                ..Rendered::default()
            }),
        }
    }

    /// A schema record by (context, id), cached (records are immutable).
    pub fn schema_record(
        &self,
        ctx: &Context,
        id: u32,
    ) -> Result<Option<Arc<SchemaRecord>>, ApiError> {
        if let Some(r) = self.cached_record(ctx, id) {
            return Ok(Some(r));
        }
        let Some(record) = self.store.schema(ctx, id)? else {
            return Ok(None);
        };
        let record = Arc::new(record);
        let size = record.schema.len() + record.descriptor.len();
        let mut cache = self.schemas.write().unwrap_or_else(|p| p.into_inner());
        // Bounded by count and by bytes: a long history of large schemas must not pin
        // every version's text in memory.
        if cache.map.len() >= RECORD_CACHE_ENTRIES || cache.bytes + size > cache.max_bytes {
            cache.map.clear();
            cache.bytes = 0;
        }
        cache.bytes += size;
        cache.map.insert((ctx.clone(), id), record.clone());
        Ok(Some(record))
    }

    /// A schema record from the cache, or else from the store without filling the cache
    /// (for reads that go through every version once).
    pub(crate) fn record_uncached(
        &self,
        ctx: &Context,
        id: u32,
    ) -> Result<Option<Arc<SchemaRecord>>, ApiError> {
        if let Some(r) = self.cached_record(ctx, id) {
            return Ok(Some(r));
        }
        Ok(self.store.schema(ctx, id)?.map(Arc::new))
    }

    fn cached_record(&self, ctx: &Context, id: u32) -> Option<Arc<SchemaRecord>> {
        self.schemas
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .get(&(ctx.clone(), id))
            .cloned()
    }

    /// Forgets every cached rendering (after deletes and imports change what ids resolve to).
    pub(crate) fn invalidate_rendered(&self) {
        let mut rendered = self.rendered.write().unwrap_or_else(|p| p.into_inner());
        rendered.clear();
        rendered.generation += 1;
    }

    /// Resolves `id` in the context `subject` names (or any context when there is no
    /// subject or the subject's context does not hold it and the subject is unqualified).
    /// A schema whose every carrier was permanently deleted is not found.
    pub fn resolve_id(
        &self,
        id: u32,
        subject: Option<&str>,
    ) -> Result<(Context, Arc<SchemaRecord>), ApiError> {
        let not_found = || ApiError::SchemaNotFound(Some(id));
        let preferred = match subject.filter(|s| !s.is_empty()) {
            Some(raw) => {
                let s = Subject::parse(raw)?;
                Some((s.context.clone(), raw.starts_with(":.")))
            }
            None => None,
        };
        let mut candidates: Vec<Context> = Vec::new();
        match &preferred {
            Some((ctx, true)) => candidates.push(ctx.clone()),
            Some((ctx, false)) => {
                candidates.push(ctx.clone());
                candidates.extend(self.store.contexts_with_id(id)?);
            }
            None => {
                candidates.push(Context::default_context());
                candidates.extend(self.store.contexts_with_id(id)?);
            }
        }
        for ctx in candidates {
            if let Some(record) = self.schema_record(&ctx, id)? {
                if !self.store.usages(&ctx, id)?.is_empty() {
                    return Ok((ctx, record));
                }
            }
        }
        Err(not_found())
    }

    /// The pre-rendered `GET /schemas/ids/{id}` body, rendering and caching it on a miss.
    /// `count` is the store's committed count read after the request arrived: of
    /// removals without a `subject`, of every write with one ([`Store::committed_removals`],
    /// [`Store::committed_changes`]; 0 for a store only this process writes). A body
    /// rendered at another count is not served.
    pub fn schema_by_id_body(
        &self,
        id: u32,
        subject: Option<&str>,
        rendering: IdRendering,
        count: u64,
    ) -> Result<Bytes, ApiError> {
        let same = |(s, r, _, _): &RenderedBody| s.as_deref() == subject && *r == rendering;
        let generation = {
            let cache = self.rendered.read().unwrap_or_else(|p| p.into_inner());
            let hit = cache
                .bodies
                .get(&id)
                .and_then(|entries| entries.iter().find(|e| same(e)));
            if let Some((_, _, at, body)) = hit {
                if *at == count {
                    return Ok(body.clone());
                }
            }
            cache.generation
        };
        let (ctx, record) = self.resolve_id(id, subject)?;
        let body = Bytes::from(self.schema_string_body(&ctx, id, &record, subject, rendering)?);
        let mut cache = self.rendered.write().unwrap_or_else(|p| p.into_inner());
        if cache.generation != generation {
            // Rendered from what may already be stale: answer it, keep nothing.
            return Ok(body);
        }
        cache.keep(
            id,
            (subject.map(Into::into), rendering, count, body.clone()),
        );
        Ok(body)
    }

    /// Finds the subject's versions; an unqualified subject (not `:.:x`) with no versions in
    /// the default context is looked up in every named context (Confluent's
    /// `getUsingContexts`).
    pub fn subject_versions(
        &self,
        subject: &Subject,
    ) -> Result<(Subject, Vec<(u32, VersionRecord)>), ApiError> {
        let versions = self.store.versions(subject)?;
        if !versions.is_empty() || !subject.may_fall_back() {
            return Ok((subject.clone(), versions));
        }
        for ctx in self.store.contexts()? {
            let candidate = Subject::new(ctx, subject.name.clone());
            let versions = self.store.versions(&candidate)?;
            if !versions.is_empty() {
                return Ok((candidate, versions));
            }
        }
        Ok((subject.clone(), versions))
    }

    /// Resolves `version` of `subject` with Confluent's 40401/40402 rules. `deleted`
    /// allows a soft-deleted numeric version; `latest` is always the highest live one.
    pub fn resolve_version(
        &self,
        subject: &Subject,
        version: Version,
        deleted: bool,
    ) -> Result<ResolvedVersion, ApiError> {
        // A numbered version of the subject itself is one point read, however long the
        // history; anything else (latest, a miss, the context fallback) reads the list.
        if let Version::Number(n) = version {
            if let Some(record) = self.store.version(subject, n)? {
                if deleted || !record.deleted {
                    return Ok(ResolvedVersion {
                        subject: subject.clone(),
                        version: n,
                        record,
                    });
                }
            }
        }
        let (subject, versions) = self.subject_versions(subject)?;
        let visible = |r: &VersionRecord| deleted || !r.deleted;
        let found = match version {
            Version::Latest => latest_live(&versions),
            Version::Number(n) => versions.iter().find(|(v, r)| *v == n && visible(r)),
        };
        match found {
            Some((v, r)) => Ok(ResolvedVersion {
                subject,
                version: *v,
                record: *r,
            }),
            None if !versions.iter().any(|(_, r)| visible(r)) => {
                Err(ApiError::SubjectNotFound(subject.to_string()))
            }
            None => Err(ApiError::VersionNotFound(version.to_string())),
        }
    }

    /// Loads the files `references` bind (recursively), resolved in `subject`'s context.
    ///
    /// Every subject reached, directly or through the references of what it references, is
    /// read on behalf of `caller`: its hunt's read grant is checked before it is looked up.
    pub fn dep_files(
        &self,
        subject: &Subject,
        references: &[ReferenceRecord],
        caller: &Caller,
    ) -> Result<DepFiles, ApiError> {
        let mut deps = DepFiles::default();
        let mut seen = std::collections::HashSet::new();
        self.add_deps(subject, references, caller, &mut deps, &mut seen, 0)?;
        Ok(deps)
    }

    fn add_deps(
        &self,
        subject: &Subject,
        references: &[ReferenceRecord],
        caller: &Caller,
        deps: &mut DepFiles,
        seen: &mut std::collections::HashSet<(Subject, u32)>,
        depth: usize,
    ) -> Result<(), ApiError> {
        self.config
            .security
            .limits
            .check_reference_depth(depth)
            .map_err(|e| ApiError::InvalidSchema(format!("Invalid schema: {e}")))?;
        for r in references {
            let target = subject.qualify_reference(&r.subject)?;
            caller.require_read(&target.context)?;
            if !seen.insert((target.clone(), r.version)) {
                continue;
            }
            let missing = || {
                ApiError::InvalidSchema(format!(
                    "Invalid schema: No schema reference found for subject \"{}\" and version {}",
                    r.subject, r.version
                ))
            };
            let version = self
                .store
                .version(&target, r.version)?
                .ok_or_else(missing)?;
            let record = self
                .schema_record(&target.context, version.id)?
                .ok_or_else(missing)?;
            let descriptor = decode_descriptor(&record)?;
            deps.add(&r.name, &descriptor).map_err(ApiError::Internal)?;
            self.add_deps(&target, &record.references, caller, deps, seen, depth + 1)?;
        }
        Ok(())
    }

    /// The compiled image of stored schema `id` as a version of `subject` (cached).
    pub fn image(&self, subject: &Subject, id: u32) -> Result<Image, ApiError> {
        let key = (subject.context.clone(), id, subject.name.clone());
        if let Some(image) = self
            .images
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(image.clone());
        }
        let (image, weight) = self.load_image_weighted(subject, id)?;
        self.images
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert_weighted(key, image.clone(), weight);
        Ok(image)
    }

    /// The image of stored schema `id` as a version of `subject`, built from the store and
    /// not cached.
    fn load_image(&self, subject: &Subject, id: u32) -> Result<Image, ApiError> {
        Ok(self.load_image_weighted(subject, id)?.0)
    }

    /// [`App::load_image`], with the memory it is estimated to hold (its cache weight).
    fn load_image_weighted(&self, subject: &Subject, id: u32) -> Result<(Image, usize), ApiError> {
        // Read through the record cache without filling it: building a history reads
        // every version once.
        let record = match self.cached_record(&subject.context, id) {
            Some(r) => r,
            None => Arc::new(
                self.store
                    .schema(&subject.context, id)?
                    .ok_or(ApiError::SchemaNotFound(Some(id)))?,
            ),
        };
        // A stored version's references were authorized when it was registered; its image
        // is shared by every caller (and cached), so it resolves them unrestricted.
        let deps = self.dep_files(subject, &record.references, &Caller::unrestricted())?;
        let main = schema::main_file_name(&subject.name, &deps);
        let descriptor = decode_descriptor(&record)?;
        let pool =
            schema::pool_from_descriptor(&main, &descriptor, &deps).map_err(ApiError::Internal)?;
        let weight = (descriptor.len())
            .saturating_mul(IMAGE_BYTES_PER_DESCRIPTOR_BYTE)
            .saturating_add(IMAGE_BYTES_PER_IMAGE);
        Ok((Image::with_targets(pool, [main]), weight))
    }

    /// The kept history of `subject`: from the cache, or else read back from the store
    /// (no version is compiled), or else empty.
    fn kept_history(&self, subject: &Subject) -> Result<KeptHistory, ApiError> {
        let key = (subject.context.clone(), subject.name.clone());
        if let Some(entry) = self
            .histories
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(entry.clone());
        }
        let loaded = SyncedHistory::load(&self.store.history_entries(subject)?);
        let entry = Arc::new(Mutex::new(loaded));
        let mut histories = self.histories.lock().unwrap_or_else(|p| p.into_inner());
        // Another thread may have read it meanwhile: keep one copy.
        if let Some(existing) = histories.get(&key) {
            return Ok(existing.clone());
        }
        histories.insert(key, entry.clone());
        Ok(entry)
    }

    /// The compatibility history of `subject` over exactly the live versions `live`
    /// (oldest first), extended or rebuilt as needed. The history of a subject is kept in
    /// the store: it is read back without compiling anything, extended by one version per
    /// registration, and built from every version (each loaded once) only when the store
    /// has none (a store written before histories were kept, or an import).
    pub(crate) fn history(
        &self,
        subject: &Subject,
        live: &[LiveVersion],
    ) -> Result<Arc<Mutex<SyncedHistory>>, ApiError> {
        let entry = self.kept_history(subject)?;
        {
            let mut synced = entry.lock().unwrap_or_else(|p| p.into_inner());
            self.sync_history(subject, &mut synced, live)?;
        }
        Ok(entry)
    }

    /// The kept history of `subject` when it holds the live versions `live` (oldest first)
    /// or all but the newest two of them (then it is extended): what a level that compares
    /// the newest version only reads, so a registration that leaves the newest version's
    /// elements as they were runs no rule. `None` when the history would have to be built
    /// or rewound (a store written before histories were kept, or a check against other
    /// versions than the live ones): the newest version is then compared pair by pair.
    pub(crate) fn kept_history_of(
        &self,
        subject: &Subject,
        live: &[LiveVersion],
    ) -> Result<Option<KeptHistory>, ApiError> {
        let entry = self.kept_history(subject)?;
        {
            let mut synced = entry.lock().unwrap_or_else(|p| p.into_inner());
            let kept = synced.live.len();
            let extends = kept <= live.len()
                && live.len() - kept <= 2
                && live[..kept] == synced.live[..]
                && (kept > 0 || live.len() <= 2);
            if !extends || synced.stale {
                return Ok(None);
            }
            self.sync_history(subject, &mut synced, live)?;
            if synced.live != live || synced.history.len() != live.len() {
                return Ok(None);
            }
        }
        Ok(Some(entry))
    }

    /// The text index of `subject`'s versions for lookups (see [`texts`]).
    fn text_index(&self, subject: &Subject) -> KeptTexts {
        let key = (subject.context.clone(), subject.name.clone());
        let mut indexes = self.texts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(index) = indexes.get(&key) {
            return index.clone();
        }
        let index = Arc::new(Mutex::new(texts::TextIndex::default()));
        indexes.insert(key, index.clone());
        index
    }

    /// Brings `synced` to exactly the live versions `live`, and queues the entries that
    /// changed for the store (in order: the subject's lock is held).
    fn sync_history(
        &self,
        subject: &Subject,
        synced: &mut SyncedHistory,
        live: &[LiveVersion],
    ) -> Result<(), ApiError> {
        // Versions that left the live list are retired; what follows the last kept one
        // is appended. A history mostly retired is rebuilt.
        synced.retire_gone(live);
        let mut rewrite = false;
        if synced.stale
            || (synced.history.retired() > 64 && synced.history.retired() > synced.history.len())
        {
            *synced = SyncedHistory::default();
            rewrite = true;
        }
        let start = synced.live.len();
        let missing = &live[start..];
        if synced.history.positions() == 0 && !missing.is_empty() {
            // A new history: whatever the store held for the subject goes.
            rewrite = true;
        }
        for &version in missing {
            // A version or two (a registration): through the image cache, where the
            // newest is wanted next anyway; a whole history: each version loaded once.
            let image = if missing.len() <= 2 {
                self.image(subject, version.id)?
            } else {
                self.load_image(subject, version.id)?
            };
            synced.push(&image, version);
        }
        if rewrite {
            // A whole history: written now, and what was waiting is obsolete.
            self.write_history(subject.clone(), synced.rewrite());
        }
        // Else a version or two: written with the subject's next registration.
        Ok(())
    }

    /// Submits the write job `job` of a registration into `subject`, with the subject's
    /// kept-history entries not written yet applied first in the same batch. The entries
    /// are a cache of what the versions already say: entries lost to a crash are
    /// recomputed (a version missing from the end) or rebuilt (one missing from the
    /// middle), never read wrong. They are taken and submitted under the subject's
    /// history lock, so they reach the store in the order they were computed.
    pub(crate) fn submit_with_history<T, F>(
        &self,
        subject: &Subject,
        job: F,
    ) -> impl std::future::Future<Output = Result<T, store::StoreError>>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn store::Txn) -> T + Send + 'static,
    {
        let key = (subject.context.clone(), subject.name.clone());
        let kept = self
            .histories
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        let mut guard = kept
            .as_ref()
            .map(|k| k.lock().unwrap_or_else(|p| p.into_inner()));
        let pending = guard
            .as_mut()
            .map(|synced| synced.take_writes())
            .unwrap_or_default();
        let history_subject = subject.clone();
        let answer = self.store.submit(Box::new(move |tx| {
            pending.apply(tx, &history_subject);
            Box::new(job(tx)) as Box<dyn std::any::Any + Send>
        }));
        drop(guard);
        async move {
            let boxed = answer.await.map_err(|_| store::StoreError::Closed)??;
            boxed.downcast::<T>().map(|b| *b).map_err(|_| {
                store::StoreError::Backend("write job returned an unexpected type".into())
            })
        }
    }

    /// Submits `writes` of `subject`'s kept history as a job of their own, without waiting
    /// for it (the entries are a cache: a failed write is logged by the job). Called under
    /// the subject's history lock, so its writes reach the store in the order made.
    fn write_history(&self, subject: Subject, writes: HistoryWrites) {
        let _answer = self.store.submit(Box::new(move |tx| {
            writes.apply(tx, &subject);
            Box::new(())
        }));
    }

    /// Queues the kept-history entries not written yet, of every subject (at shutdown,
    /// before the store closes), so a restart has nothing to recompute.
    pub fn write_pending_histories(&self) {
        let kept: Vec<((Context, String), KeptHistory)> = self
            .histories
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .iter()
            .map(|(k, (v, _, _))| (k.clone(), v.clone()))
            .collect();
        for ((context, name), entry) in kept {
            let writes = entry
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take_writes();
            if !writes.is_empty() {
                self.write_history(Subject::new(context, name), writes);
            }
        }
    }

    /// Extends the kept history of `subject` with its newest live versions, if a history
    /// is kept or the subject is young, and prepares the image of its newest live version:
    /// run after a registration is answered, so the next one finds what it compares
    /// against ready, at any level (a subject whose level turns transitive later has its
    /// history already).
    ///
    /// `live` is the subject's live versions after the registration when the registration
    /// knows them (else they are read).
    pub(crate) fn warm_history(
        &self,
        subject: &Subject,
        live: Option<Vec<LiveVersion>>,
    ) -> Result<(), ApiError> {
        let live = match live {
            Some(live) => live,
            None => live_versions(&self.store.versions(subject)?),
        };
        let entry = self.kept_history(subject)?;
        {
            let mut synced = entry.lock().unwrap_or_else(|p| p.into_inner());
            // A long history never kept is built by the first transitive check that needs
            // it, not here.
            if synced.history.positions() > 0 || live.len() <= 2 {
                self.sync_history(subject, &mut synced, &live)?;
            }
            // The newest version's lockfile row, kept like the history entries (a cache:
            // a failure only leaves it to be computed when it is pulled).
            if let Err(e) = self.keep_lock_row(subject, &mut synced) {
                tracing::debug!(error = %e, %subject, "lockfile row not kept");
            }
            if synced.pending_bytes() > PENDING_WRITE_BYTES {
                let writes = synced.take_writes();
                self.write_history(subject.clone(), writes);
            }
            let weight = synced.estimated_bytes();
            drop(synced);
            // The history grew in place: count what it holds now.
            self.histories
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .reweigh(&(subject.context.clone(), subject.name.clone()), weight);
        }
        if let Some(&LiveVersion { id, .. }) = live.last() {
            // A level that reads the newest version only: have its image ready.
            self.image(subject, id)?.prepare();
        }
        Ok(())
    }

    /// The effective mode of a subject: subject, then context (or top level for the
    /// default context), then `:.__GLOBAL:`, then READWRITE.
    pub fn effective_mode(&self, subject: &Subject) -> Result<Mode, ApiError> {
        for scope in scope_chain(subject) {
            if let Some(m) = self.store.mode(&scope)? {
                if let Ok(mode) = Mode::parse(&m.mode) {
                    return Ok(mode);
                }
            }
        }
        Ok(Mode::ReadWrite)
    }
}

/// A live (not soft-deleted) version of a subject: its number and the schema id it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct LiveVersion {
    /// The version number.
    pub(crate) version: u32,
    /// The schema id the version holds.
    pub(crate) id: u32,
}

/// The live versions among a subject's `versions` (as the store lists them, oldest first).
pub(crate) fn live_versions(versions: &[(u32, VersionRecord)]) -> Vec<LiveVersion> {
    versions
        .iter()
        .filter(|(_, r)| !r.deleted)
        .map(|&(version, r)| LiveVersion { version, id: r.id })
        .collect()
}

/// The newest live version among a subject's `versions` (oldest first).
pub(crate) fn latest_live(versions: &[(u32, VersionRecord)]) -> Option<&(u32, VersionRecord)> {
    versions.iter().rev().find(|(_, r)| !r.deleted)
}

/// The scope keys consulted for a subject, most specific first.
pub(crate) fn scope_chain(subject: &Subject) -> Vec<String> {
    let mut chain = Vec::with_capacity(3);
    if !subject.is_context_scope() {
        chain.push(subject.to_string());
    }
    if subject.context.is_default() {
        chain.push(String::new());
    } else if !subject.context.is_global() {
        chain.push(format!(":{}:", subject.context.as_str()));
    }
    chain.push(format!(":{}:", crate::types::GLOBAL_CONTEXT));
    chain
}

/// Decodes a record's base64 descriptor.
pub(crate) fn decode_descriptor(record: &SchemaRecord) -> Result<Vec<u8>, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(&record.descriptor)
        .map_err(|e| ApiError::Internal(format!("stored descriptor is not base64: {e}")))
}

/// Resolved (subject, version) pairs of a record's references.
pub(crate) fn reference_targets(subject: &Subject, record: &SchemaRecord) -> Vec<(Subject, u32)> {
    store::resolve_references(subject, &record.references)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_cache_forgets_the_least_recently_used() {
        let mut cache = Bounded::new(10);
        for i in 0..10 {
            cache.insert(i, i);
        }
        assert_eq!(cache.get(&0), Some(&0));
        cache.insert(10, 10);
        assert_eq!(cache.get(&0), Some(&0), "recently used entries stay");
        assert_eq!(cache.get(&1), None, "the least recently used entry went");
        assert_eq!(cache.get(&10), Some(&10));
    }

    #[test]
    fn bounded_cache_keeps_its_weight_under_the_bound() {
        let mut cache = Bounded::weighted(100, 50);
        for i in 0..10 {
            cache.insert_weighted(i, i, 10);
        }
        assert!(cache.weight <= 50, "{}", cache.weight);
        assert_eq!(cache.get(&9), Some(&9), "the newest entry stays");
        assert_eq!(cache.get(&0), None);
        assert_eq!(cache.weight, cache.map.values().map(|e| e.2).sum::<usize>());
    }

    #[test]
    fn an_entry_that_grew_in_place_is_counted_and_evicts_others() {
        let mut cache = Bounded::weighted(100, 50);
        for i in 0..5 {
            cache.insert_weighted(i, i, 0);
        }
        cache.reweigh(&3, 20);
        assert_eq!(cache.weight, 20);
        cache.get(&4);
        cache.reweigh(&4, 40);
        assert!(cache.weight <= 50, "{}", cache.weight);
        assert_eq!(cache.get(&4), Some(&4), "the entry that grew stays");
        assert_eq!(cache.weight, cache.map.values().map(|e| e.2).sum::<usize>());
        // A key not held is ignored.
        cache.reweigh(&99, 1_000);
        assert_eq!(cache.get(&99), None);
        assert!(cache.weight <= 50);
    }

    #[test]
    fn rendered_bodies_are_bounded_by_their_bytes() {
        let body = |n: usize, count: u64| -> RenderedBody {
            let rendering = IdRendering {
                format: Format::Text,
                qualified_references: false,
            };
            (None, rendering, count, Bytes::from(vec![b'x'; n]))
        };
        let mut cache = Rendered {
            max_bytes: 1000,
            ..Rendered::default()
        };
        let held = |c: &Rendered| {
            (c.bodies.values().flatten())
                .map(|e| e.3.len())
                .sum::<usize>()
        };
        for id in 0..100 {
            cache.keep(id, body(100, 1));
            assert_eq!(cache.bytes, held(&cache));
            assert!(cache.bytes <= 1000, "{}", cache.bytes);
        }
        assert!(cache.bodies.contains_key(&99), "the newest body is kept");
        // A newer count replaces the body and its bytes; an older one does not.
        cache.keep(99, body(200, 2));
        assert_eq!(cache.bytes, held(&cache));
        cache.keep(99, body(50, 1));
        assert_eq!(cache.bodies[&99][0].3.len(), 200);
        cache.forget(99);
        assert_eq!(cache.bytes, held(&cache));
        // Too large to keep: served by the caller, not held.
        cache.keep(7, body(300, 1));
        assert!(!cache.bodies.contains_key(&7));
        cache.clear();
        assert_eq!((cache.bytes, cache.bodies.len()), (0, 0));
    }

    #[test]
    fn scope_chain_goes_subject_context_global() {
        let s = Subject::parse(":.h:x").unwrap();
        assert_eq!(scope_chain(&s), vec![":.h:x", ":.h:", ":.__GLOBAL:"]);
        let d = Subject::parse("x").unwrap();
        assert_eq!(scope_chain(&d), vec!["x", "", ":.__GLOBAL:"]);
    }
}
