//! The sled implementation of [`Store`]: one tree, one writer thread with group commit.
//!
//! sled 0.34.7's `flush_async` deadlocks when called concurrently, and a blocking
//! `flush()` per request on a tokio worker caps throughput. So every write runs on one
//! dedicated thread: it drains all queued jobs, applies each job's batch atomically (a crash
//! leaves either the old or the new state of a job, never half), calls `flush()` once for
//! the whole group, and only then answers the callers.
//!
//! A subject's version list is read on every registration; scanning it in sled costs
//! milliseconds per thousand versions. So lists are cached ([`VersionLists`]): the writer
//! applies a batch's version writes to the cached list right after the batch applied (or
//! drops the list if the batch failed), and a reader caches what it scanned only if no
//! such batch was applied meanwhile.
//!
//! Schema records of 8 KiB or more live outside the tree, in content-addressed side files
//! (`side_files.rs`), so sled's page cache bound holds however long a hunt's history grows.

use std::any::Any;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::keys;
use super::records::{self, ConfigRecord, ModeRecord, SchemaRecord, VersionRecord};
use super::side_files::SideFiles;
use super::{ExportRecord, Job, Reads, Store, StoreError, Txn};
use crate::queue::{Reply, WriteQueue};
use crate::types::{Context, Subject};

/// Called after each group commit with the flush duration and the number of jobs in it.
pub type FlushObserver = Box<dyn Fn(Duration, usize) + Send>;

/// The most jobs one group commit takes.
const MAX_GROUP: usize = 512;

/// Cached version lists, by version-key prefix (`V ctx 0 subject 0`).
#[derive(Debug, Default)]
struct VersionLists {
    inner: Mutex<VersionListsInner>,
}

#[derive(Debug, Default)]
struct VersionListsInner {
    lists: std::collections::HashMap<Vec<u8>, Arc<Vec<(u32, VersionRecord)>>>,
    /// Versions held in `lists`.
    held: usize,
    /// Per prefix: how many applied batches wrote one of its versions (never forgotten,
    /// so a reader's scan is never mistaken for a current one).
    generations: std::collections::HashMap<Vec<u8>, u64>,
}

/// One version written (`Some`) or removed (`None`) by a batch, for [`VersionLists`].
#[derive(Debug)]
struct VersionEdit {
    prefix: Vec<u8>,
    version: u32,
    record: Option<VersionRecord>,
}

/// Subjects whose version lists are cached at most.
const VERSION_LISTS: usize = 1024;
/// Versions the cached lists hold at most (24 bytes each).
const VERSION_LIST_ENTRIES: usize = 1 << 20;

impl VersionLists {
    fn lock(&self) -> std::sync::MutexGuard<'_, VersionListsInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The subject's versions: cached, or scanned from `tree` and cached when no write
    /// to them was applied during the scan.
    fn versions(
        &self,
        tree: &sled::Tree,
        subject: &Subject,
    ) -> Result<Vec<(u32, VersionRecord)>, StoreError> {
        let prefix = keys::versions_prefix(subject);
        let generation = {
            let inner = self.lock();
            if let Some(list) = inner.lists.get(&prefix) {
                return Ok(list.to_vec());
            }
            inner.generations.get(&prefix).copied().unwrap_or(0)
        };
        let mut out = Vec::new();
        for item in tree.scan_prefix(&prefix) {
            let (k, v) = item.map_err(backend)?;
            if let Some(n) = keys::be_u32(&k[prefix.len()..]) {
                out.push((n, records::decode_version(&v)?));
            }
        }
        let mut inner = self.lock();
        if inner.generations.get(&prefix).copied().unwrap_or(0) == generation {
            if inner.lists.len() >= VERSION_LISTS || inner.held + out.len() > VERSION_LIST_ENTRIES {
                inner.lists.clear();
                inner.held = 0;
            }
            inner.held += out.len();
            if let Some(old) = inner.lists.insert(prefix, Arc::new(out.clone())) {
                inner.held -= old.len();
            }
        }
        Ok(out)
    }

    /// Follows a batch's version writes, in order, called right after the batch was
    /// applied (`applied`): a cached list takes each write (a registration appends one
    /// version instead of making the next reader scan them all); when the batch failed,
    /// the lists it touched are forgotten.
    fn written(&self, edits: Vec<VersionEdit>, applied: bool) {
        if edits.is_empty() {
            return;
        }
        let mut inner = self.lock();
        for edit in edits {
            *inner.generations.entry(edit.prefix.clone()).or_default() += 1;
            if !applied {
                if let Some(old) = inner.lists.remove(&edit.prefix) {
                    inner.held -= old.len();
                }
                continue;
            }
            let Some(list) = inner.lists.get_mut(&edit.prefix) else {
                continue;
            };
            let list = Arc::make_mut(list);
            let before = list.len();
            let at = list.partition_point(|(v, _)| *v < edit.version);
            let present = list.get(at).is_some_and(|(v, _)| *v == edit.version);
            match (edit.record, present) {
                (Some(record), true) => list[at].1 = record,
                (Some(record), false) => list.insert(at, (edit.version, record)),
                (None, true) => {
                    list.remove(at);
                }
                (None, false) => {}
            }
            let after = list.len();
            inner.held = inner.held + after - before;
        }
    }
}

/// A sled-backed store.
pub struct SledStore {
    db: sled::Db,
    tree: sled::Tree,
    /// Large schema records, outside the tree.
    side: Arc<SideFiles>,
    lists: Arc<VersionLists>,
    queue: WriteQueue,
    progress: Arc<Progress>,
}

/// Write progress: `applied` counts jobs whose batch may be visible (incremented before
/// the batch is applied); `flushed` is the `applied` value the last flush covered.
#[derive(Debug, Default)]
struct Progress {
    applied: AtomicU64,
    flushed: AtomicU64,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore").finish_non_exhaustive()
    }
}

/// Bytes of sled's page cache when the opener does not say ([`SledStore::open`]).
const DEFAULT_CACHE_BYTES: usize = 64 << 20;

/// sled's segment size for a new store. sled 0.34 writes a value larger than a quarter
/// segment as a separate blob and counts only the blob's pointer against the page cache,
/// so the pages holding such values are never paged out: with its default 512 KiB
/// segments, every schema record over 128 KiB (a schema of a few thousand enum values)
/// stayed in memory for good, and resident memory grew with the stored history. With
/// 8 MiB segments, records up to 2 MiB are inline and the page cache bound holds for them.
const SLED_SEGMENT_BYTES: usize = 8 << 20;

/// The segment size to open the sled store in `dir` with: the one it was created with
/// (sled refuses another), else [`SLED_SEGMENT_BYTES`]. Stores created before keep their
/// 512 KiB segments (an `export` and `import` moves their data into new segments).
fn segment_size(dir: &Path) -> usize {
    std::fs::read(dir.join("conf"))
        .ok()
        .and_then(|conf| {
            String::from_utf8_lossy(&conf)
                .lines()
                .find_map(|l| l.strip_prefix("segment_size: ")?.trim().parse().ok())
        })
        .unwrap_or(SLED_SEGMENT_BYTES)
}

fn backend(e: sled::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SledStore {
    /// Opens (or creates) the store in `dir` and starts its writer thread, with a page
    /// cache of 64 MiB.
    pub fn open(dir: &Path, observer: Option<FlushObserver>) -> Result<SledStore, StoreError> {
        Self::open_with_cache(dir, observer, DEFAULT_CACHE_BYTES)
    }

    /// [`SledStore::open`] with a page cache of `cache_bytes`.
    pub fn open_with_cache(
        dir: &Path,
        observer: Option<FlushObserver>,
        cache_bytes: usize,
    ) -> Result<SledStore, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            // sled's default page cache is 1 GiB: resident memory would grow with the
            // store. Reads that repeat are served by the registry's own caches.
            .cache_capacity(cache_bytes as u64)
            .segment_size(segment_size(dir))
            .flush_every_ms(Some(1000))
            .open()
            .map_err(backend)?;
        let tree = db.open_tree("registry").map_err(backend)?;
        let writer_tree = tree.clone();
        let side = Arc::new(SideFiles::new(dir));
        let writer_side = side.clone();
        let lists = Arc::new(VersionLists::default());
        let writer_lists = lists.clone();
        let progress = Arc::new(Progress::default());
        let writer_progress = progress.clone();
        let queue = WriteQueue::start("huntreg-store-writer", MAX_GROUP, move |group| {
            commit_group(
                &writer_tree,
                &writer_side,
                &writer_lists,
                group,
                observer.as_ref(),
                &writer_progress,
            )
        })?;
        Ok(SledStore {
            db,
            tree,
            side,
            lists,
            queue,
            progress,
        })
    }
}

/// Applies a group of jobs, each as one batch, then flushes once and answers them.
fn commit_group(
    tree: &sled::Tree,
    side: &SideFiles,
    lists: &VersionLists,
    group: Vec<(Job, Reply)>,
    observer: Option<&FlushObserver>,
    progress: &Progress,
) {
    let mut results = Vec::with_capacity(group.len());
    for (job, reply) in group {
        let mut txn = SledTxn {
            tree,
            side,
            lists,
            batch: sled::Batch::default(),
            written: Vec::new(),
        };
        // A job that panics loses its own writes and answers an error; the writer
        // keeps serving the others.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut txn)));
        let Ok(out) = out else {
            results.push((
                reply,
                Err(StoreError::Backend("a write job panicked".into())),
            ));
            continue;
        };
        progress.applied.fetch_add(1, Ordering::SeqCst);
        let applied = tree.apply_batch(txn.batch).map_err(backend);
        lists.written(txn.written, applied.is_ok());
        results.push((reply, applied.map(|()| out)));
    }
    let started = Instant::now();
    let covered = progress.applied.load(Ordering::SeqCst);
    let flushed = tree.flush().map_err(backend);
    if flushed.is_ok() {
        progress.flushed.store(covered, Ordering::SeqCst);
    }
    if let Some(observer) = observer {
        observer(started.elapsed(), results.len());
    }
    for (reply, result) in results {
        let result = match (&flushed, result) {
            (Ok(_), r) => r,
            (Err(e), _) => Err(StoreError::Backend(e.to_string())),
        };
        let _ = reply.send(result);
    }
}

impl Store for SledStore {
    fn submit(&self, job: Job) -> oneshot::Receiver<Result<Box<dyn Any + Send>, StoreError>> {
        self.queue.submit(job)
    }

    fn export(&self) -> Box<dyn Iterator<Item = Result<ExportRecord, StoreError>> + Send + '_> {
        let iter = self.tree.iter().filter_map(|item| {
            let (key, value) = match item {
                Ok(kv) => kv,
                Err(e) => return Some(Err(backend(e))),
            };
            export_record(&self.side, &key, &value).transpose()
        });
        Box::new(iter)
    }

    fn close(&self) -> Result<(), StoreError> {
        self.queue.close();
        self.db.flush().map_err(backend)?;
        Ok(())
    }

    fn is_durable(&self) -> bool {
        self.progress.flushed.load(Ordering::SeqCst) >= self.progress.applied.load(Ordering::SeqCst)
    }
}

impl Drop for SledStore {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

fn export_record(
    side: &SideFiles,
    key: &[u8],
    value: &[u8],
) -> Result<Option<ExportRecord>, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("unreadable key {key:?}"));
    let Some(tag) = key.first() else {
        return Ok(None);
    };
    Ok(Some(match *tag {
        b'n' if key == keys::NEXT_ID => {
            ExportRecord::NextId(keys::be_u32(value).ok_or_else(corrupt)?)
        }
        keys::CONTEXT => ExportRecord::Context(Context::from_stored(
            String::from_utf8(key[1..].to_vec()).map_err(|_| corrupt())?,
        )),
        keys::CONFIG => ExportRecord::Config(
            String::from_utf8(key[1..].to_vec()).map_err(|_| corrupt())?,
            records::decode(value)?,
        ),
        keys::MODE => ExportRecord::Mode(
            String::from_utf8(key[1..].to_vec()).map_err(|_| corrupt())?,
            records::decode(value)?,
        ),
        keys::SCHEMA => {
            let (ctx, id) = keys::parse_schema(key).ok_or_else(corrupt)?;
            ExportRecord::Schema(ctx, id, records::decode(&side.load(value)?)?)
        }
        keys::VERSION => {
            let (subject, version) = keys::parse_version(key).ok_or_else(corrupt)?;
            ExportRecord::Version(subject, version, records::decode(value)?)
        }
        _ => return Ok(None),
    }))
}

/// Reads over any sled tree (the store's, or a job's view of it).
fn read_next_id(tree: &sled::Tree) -> Result<u32, StoreError> {
    Ok(tree
        .get(keys::NEXT_ID)
        .map_err(backend)?
        .and_then(|v| keys::be_u32(&v))
        .unwrap_or(1))
}

macro_rules! impl_reads {
    ($ty:ty, $tree:ident) => {
        impl Reads for $ty {
            fn next_id(&self) -> Result<u32, StoreError> {
                read_next_id(&self.$tree)
            }

            fn schema(&self, ctx: &Context, id: u32) -> Result<Option<SchemaRecord>, StoreError> {
                self.$tree
                    .get(keys::schema(ctx, id))
                    .map_err(backend)?
                    .map(|v| records::decode(&self.side.load(&v)?))
                    .transpose()
            }

            fn contexts_with_id(&self, id: u32) -> Result<Vec<Context>, StoreError> {
                let prefix = keys::id_context_prefix(id);
                let mut out = Vec::new();
                for item in self.$tree.scan_prefix(&prefix) {
                    let (k, _) = item.map_err(backend)?;
                    if let Some(ctx) = keys::parse_id_context_tail(&k[prefix.len()..]) {
                        out.push(ctx);
                    }
                }
                Ok(out)
            }

            fn id_by_hash(&self, ctx: &Context, hash: &[u8]) -> Result<Option<u32>, StoreError> {
                Ok(self
                    .$tree
                    .get(keys::hash(ctx, hash))
                    .map_err(backend)?
                    .and_then(|v| keys::be_u32(&v)))
            }

            fn ids_by_hash_prefix(
                &self,
                ctx: &Context,
                prefix: &[u8],
            ) -> Result<Vec<u32>, StoreError> {
                let mut out = Vec::new();
                for item in self.$tree.scan_prefix(keys::hash(ctx, prefix)) {
                    let (_, v) = item.map_err(backend)?;
                    out.extend(keys::be_u32(&v));
                }
                Ok(out)
            }

            fn versions(&self, subject: &Subject) -> Result<Vec<(u32, VersionRecord)>, StoreError> {
                self.lists.versions(&self.$tree, subject)
            }

            fn version(
                &self,
                subject: &Subject,
                version: u32,
            ) -> Result<Option<VersionRecord>, StoreError> {
                self.$tree
                    .get(keys::version(subject, version))
                    .map_err(backend)?
                    .map(|v| records::decode(&v))
                    .transpose()
            }

            fn subjects(&self, ctx: Option<&Context>) -> Result<Vec<(Subject, bool)>, StoreError> {
                let prefix = keys::versions_in_context(ctx);
                let mut out: Vec<(Subject, bool)> = Vec::new();
                for item in self.$tree.scan_prefix(&prefix) {
                    let (k, v) = item.map_err(backend)?;
                    let Some((subject, _)) = keys::parse_version(&k) else {
                        continue;
                    };
                    let record: VersionRecord = records::decode(&v)?;
                    match out.last_mut() {
                        Some((last, live)) if *last == subject => *live |= !record.deleted,
                        _ => out.push((subject, !record.deleted)),
                    }
                }
                Ok(out)
            }

            fn usages(&self, ctx: &Context, id: u32) -> Result<Vec<(Subject, u32)>, StoreError> {
                let prefix = keys::usage_prefix(ctx, id);
                let mut out = Vec::new();
                for item in self.$tree.scan_prefix(&prefix) {
                    let (k, _) = item.map_err(backend)?;
                    if let Some(sv) = keys::parse_usage_tail(ctx, &k[prefix.len()..]) {
                        out.push(sv);
                    }
                }
                Ok(out)
            }

            fn referrers(
                &self,
                target: &Subject,
                version: u32,
            ) -> Result<Vec<(Subject, u32, u32)>, StoreError> {
                let prefix = keys::referrers_prefix(target, version);
                let mut out = Vec::new();
                for item in self.$tree.scan_prefix(&prefix) {
                    let (k, v) = item.map_err(backend)?;
                    if let (Some((s, n)), Some(id)) = (
                        keys::parse_referrer_tail(&k[prefix.len()..]),
                        keys::be_u32(&v),
                    ) {
                        out.push((s, n, id));
                    }
                }
                Ok(out)
            }

            fn config(&self, scope: &str) -> Result<Option<ConfigRecord>, StoreError> {
                self.$tree
                    .get(keys::config(scope))
                    .map_err(backend)?
                    .map(|v| records::decode(&v))
                    .transpose()
            }

            fn mode(&self, scope: &str) -> Result<Option<ModeRecord>, StoreError> {
                self.$tree
                    .get(keys::mode(scope))
                    .map_err(backend)?
                    .map(|v| records::decode(&v))
                    .transpose()
            }

            fn history_entries(
                &self,
                subject: &Subject,
            ) -> Result<Vec<crate::HistoryEntry>, StoreError> {
                let prefix = keys::history_prefix(subject);
                let mut out = Vec::new();
                for item in self.$tree.scan_prefix(&prefix) {
                    let (k, v) = item.map_err(backend)?;
                    out.push((k[prefix.len()..].to_vec(), v.to_vec()));
                }
                Ok(out)
            }

            fn contexts(&self) -> Result<Vec<Context>, StoreError> {
                let mut out = Vec::new();
                for item in self.$tree.scan_prefix([keys::CONTEXT]) {
                    let (k, _) = item.map_err(backend)?;
                    if let Ok(s) = String::from_utf8(k[1..].to_vec()) {
                        out.push(Context::from_stored(s));
                    }
                }
                Ok(out)
            }
        }
    };
}

impl_reads!(SledStore, tree);

/// A job's view: reads go to the tree (earlier jobs of the group are already applied),
/// writes are staged in `batch`.
struct SledTxn<'a> {
    tree: &'a sled::Tree,
    side: &'a SideFiles,
    lists: &'a VersionLists,
    batch: sled::Batch,
    /// The versions this job writes or removes, in order.
    written: Vec<VersionEdit>,
}

impl_reads!(SledTxn<'_>, tree);

impl Txn for SledTxn<'_> {
    fn set_next_id(&mut self, next: u32) {
        self.batch.insert(keys::NEXT_ID, &next.to_be_bytes());
    }

    fn put_schema(
        &mut self,
        ctx: &Context,
        id: u32,
        record: &SchemaRecord,
        hash: &[u8],
    ) -> Result<(), StoreError> {
        // A large record is written to its side file (durably) before the batch that
        // points at it is applied.
        let value = self.side.store(records::encode(record)?)?;
        self.batch.insert(keys::schema(ctx, id), value);
        self.batch.insert(keys::id_context(id, ctx), &[] as &[u8]);
        if self.id_by_hash(ctx, hash)?.is_none() {
            self.batch.insert(keys::hash(ctx, hash), &id.to_be_bytes());
        }
        Ok(())
    }

    fn put_version(
        &mut self,
        subject: &Subject,
        version: u32,
        record: &VersionRecord,
        references: &[(Subject, u32)],
    ) -> Result<(), StoreError> {
        self.batch
            .insert(keys::version(subject, version), records::encode(record)?);
        self.written.push(VersionEdit {
            prefix: keys::versions_prefix(subject),
            version,
            record: Some(*record),
        });
        self.batch
            .insert(keys::usage(record.id, subject, version), &[] as &[u8]);
        for (target, target_version) in references {
            self.batch.insert(
                keys::reference(target, *target_version, subject, version),
                &record.id.to_be_bytes(),
            );
        }
        Ok(())
    }

    fn remove_version(
        &mut self,
        subject: &Subject,
        version: u32,
        id: u32,
        references: &[(Subject, u32)],
    ) {
        self.batch.remove(keys::version(subject, version));
        self.written.push(VersionEdit {
            prefix: keys::versions_prefix(subject),
            version,
            record: None,
        });
        self.batch.remove(keys::usage(id, subject, version));
        for (target, target_version) in references {
            self.batch
                .remove(keys::reference(target, *target_version, subject, version));
        }
    }

    fn put_config(&mut self, scope: &str, record: Option<&ConfigRecord>) -> Result<(), StoreError> {
        match record {
            Some(r) => self.batch.insert(keys::config(scope), records::encode(r)?),
            None => self.batch.remove(keys::config(scope)),
        }
        Ok(())
    }

    fn put_mode(&mut self, scope: &str, record: Option<&ModeRecord>) -> Result<(), StoreError> {
        match record {
            Some(r) => self.batch.insert(keys::mode(scope), records::encode(r)?),
            None => self.batch.remove(keys::mode(scope)),
        }
        Ok(())
    }

    fn put_history_entry(&mut self, subject: &Subject, key: &[u8], value: Option<&[u8]>) {
        let key = keys::history(subject, key);
        match value {
            Some(v) => self.batch.insert(key, v),
            None => self.batch.remove(key),
        }
    }

    fn clear_history(&mut self, subject: &Subject) -> Result<(), StoreError> {
        for item in self.tree.scan_prefix(keys::history_prefix(subject)) {
            let (k, _) = item.map_err(backend)?;
            self.batch.remove(k);
        }
        Ok(())
    }

    fn put_context(&mut self, ctx: &Context, exists: bool) {
        if ctx.is_default() {
            return;
        }
        if exists {
            self.batch.insert(keys::context(ctx), &[] as &[u8]);
        } else {
            self.batch.remove(keys::context(ctx));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write;

    #[tokio::test]
    async fn concurrent_jobs_are_serialized_and_durable() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(SledStore::open(dir.path(), None).unwrap());
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                write(&*store, |tx| {
                    let id = tx.next_id().unwrap();
                    tx.set_next_id(id + 1);
                    id
                })
                .await
                .unwrap()
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap());
        }
        ids.sort_unstable();
        assert_eq!(ids, (1..=32).collect::<Vec<_>>());
        // A panicking job fails alone; the writer keeps going.
        let failed = store.submit(Box::new(|_| panic!("job bug")));
        assert!(failed.await.unwrap().is_err());
        let after = write(&*store, |tx| tx.next_id().unwrap()).await.unwrap();
        assert_eq!(after, 33);
        store.close().unwrap();
        assert_eq!(store.next_id().unwrap(), 33);
    }

    #[tokio::test]
    async fn cached_version_lists_follow_every_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), None).unwrap();
        let subject = Subject::parse(":.h:s").unwrap();
        let record = |id, deleted| VersionRecord {
            v: records::FORMAT_VERSION,
            id,
            deleted,
            registered_ms: None,
        };
        let put = |version: u32, id: u32, deleted: bool| {
            let subject = subject.clone();
            write(&store, move |tx| {
                tx.put_version(&subject, version, &record(id, deleted), &[])
                    .unwrap();
                // A job reads what earlier jobs wrote, through the same cache.
                tx.versions(&subject).unwrap().len()
            })
        };
        assert_eq!(put(1, 10, false).await.unwrap(), 0);
        assert_eq!(
            store.versions(&subject).unwrap(),
            vec![(1, record(10, false))]
        );
        assert_eq!(put(2, 11, false).await.unwrap(), 1);
        assert_eq!(store.versions(&subject).unwrap().len(), 2, "a new version");
        put(1, 10, true).await.unwrap();
        assert_eq!(
            store.versions(&subject).unwrap()[0].1,
            record(10, true),
            "a soft delete"
        );
        let s = subject.clone();
        write(&store, move |tx| tx.remove_version(&s, 1, 10, &[]))
            .await
            .unwrap();
        assert_eq!(
            store.versions(&subject).unwrap(),
            vec![(2, record(11, false))],
            "a hard delete"
        );
        // Versions out of order (an import), and a write and a removal in one batch.
        put(5, 13, false).await.unwrap();
        put(3, 12, false).await.unwrap();
        let s = subject.clone();
        write(&store, move |tx| {
            tx.put_version(&s, 6, &record(14, false), &[]).unwrap();
            tx.remove_version(&s, 6, 14, &[]);
        })
        .await
        .unwrap();
        let cached = store.versions(&subject).unwrap();
        store.lists.lock().lists.clear();
        assert_eq!(cached, store.versions(&subject).unwrap(), "as scanned");
        let numbers: Vec<u32> = cached.iter().map(|(v, _)| *v).collect();
        assert_eq!(numbers, vec![2, 3, 5]);
    }

    #[test]
    fn a_store_keeps_the_segment_size_it_was_created_with() {
        let dir = tempfile::tempdir().unwrap();
        // A store created with sled's default segments (before they were set) reopens.
        let old = sled::Config::new().path(dir.path()).open().unwrap();
        old.flush().unwrap();
        drop(old);
        assert_eq!(segment_size(dir.path()), 512 * 1024);
        let store = SledStore::open(dir.path(), None).unwrap();
        store.close().unwrap();
        let fresh = tempfile::tempdir().unwrap();
        assert_eq!(segment_size(fresh.path()), SLED_SEGMENT_BYTES);
        let store = SledStore::open(fresh.path(), None).unwrap();
        store.close().unwrap();
        drop(store);
        assert_eq!(segment_size(fresh.path()), SLED_SEGMENT_BYTES);
    }
}
