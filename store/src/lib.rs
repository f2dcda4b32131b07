//! huntreg's storage layer: the domain types ([`types`]), the [`Store`] trait the registry
//! is written against, the records and their formats, its two implementations (sled in a
//! directory, [`SledStore`], the default; PostgreSQL shared by several nodes, [`PgStore`], in
//! `pg/`), and export and import. The only crate that touches a database.
//!
//! Reads go straight to the store ([`Reads`]). Writes are jobs run one at a time on a
//! single writer thread against a [`Txn`]: a job reads, then stages writes, and its staged
//! writes are applied as one atomic batch. The writer takes every job that is waiting,
//! runs them in order, then flushes once (group commit) and only then answers them, so a
//! caller that has its answer knows the write is on disk.

mod keys;
pub mod pg;
mod queue;
pub mod records;
mod side_files;
mod sled_store;
pub mod types;

use std::any::Any;
use std::fmt;

use tokio::sync::oneshot;

pub use pg::PgStore;
pub use records::{ConfigRecord, ModeRecord, ReferenceRecord, SchemaRecord, VersionRecord};
pub use sled_store::{FlushObserver, SledStore};

use crate::types::{Context, Subject};

/// A storage failure (I/O, corruption, or the writer having stopped).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed.
    #[error("storage backend: {0}")]
    Backend(String),
    /// A stored record could not be decoded.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The writer thread is gone (the store was closed).
    #[error("the store is closed")]
    Closed,
}

/// The read side, shared by the store and by a write job's [`Txn`].
pub trait Reads {
    /// The next id the global sequence will hand out.
    fn next_id(&self) -> Result<u32, StoreError>;
    /// A schema by (context, id).
    fn schema(&self, ctx: &Context, id: u32) -> Result<Option<SchemaRecord>, StoreError>;
    /// Contexts that hold a schema with this id, in context order.
    fn contexts_with_id(&self, id: u32) -> Result<Vec<Context>, StoreError>;
    /// The id of the content with this hash in a context.
    fn id_by_hash(&self, ctx: &Context, hash: &[u8]) -> Result<Option<u32>, StoreError>;
    /// Ids of the content whose hash starts with `prefix` in a context (a GUID is the
    /// first 16 bytes of a content hash), in hash order.
    fn ids_by_hash_prefix(&self, ctx: &Context, prefix: &[u8]) -> Result<Vec<u32>, StoreError>;
    /// All versions of a subject (live and soft-deleted), ascending.
    fn versions(&self, subject: &Subject) -> Result<Vec<(u32, VersionRecord)>, StoreError>;
    /// One version of a subject.
    fn version(&self, subject: &Subject, version: u32)
        -> Result<Option<VersionRecord>, StoreError>;
    /// Every subject (in one context, or all), with whether it has a live version, sorted.
    fn subjects(&self, ctx: Option<&Context>) -> Result<Vec<(Subject, bool)>, StoreError>;
    /// Subject-versions carrying schema `id` in `ctx` (live and soft-deleted).
    fn usages(&self, ctx: &Context, id: u32) -> Result<Vec<(Subject, u32)>, StoreError>;
    /// Subject-versions whose schema references `target` at `version`, with their ids.
    fn referrers(
        &self,
        target: &Subject,
        version: u32,
    ) -> Result<Vec<(Subject, u32, u32)>, StoreError>;
    /// The config stored at a scope key.
    fn config(&self, scope: &str) -> Result<Option<ConfigRecord>, StoreError>;
    /// The mode stored at a scope key.
    fn mode(&self, scope: &str) -> Result<Option<ModeRecord>, StoreError>;
    /// Named contexts that exist, sorted.
    fn contexts(&self) -> Result<Vec<Context>, StoreError>;
    /// The subject's kept compatibility-history entries, as [`Txn::put_history_entry`]
    /// wrote them, in key order (bytewise). They are derived data: not exported, and
    /// removed only by [`Txn::clear_history`].
    fn history_entries(&self, subject: &Subject) -> Result<Vec<HistoryEntry>, StoreError>;
}

/// One kept compatibility-history entry of a subject: key and value, opaque to the store.
pub type HistoryEntry = (Vec<u8>, Vec<u8>);

/// A write job's view: reads (which see earlier jobs of the same group) plus staged writes,
/// applied atomically when the job returns.
pub trait Txn: Reads {
    /// Sets the next id of the global sequence.
    fn set_next_id(&mut self, next: u32);
    /// Writes a schema and its id and hash indexes.
    fn put_schema(
        &mut self,
        ctx: &Context,
        id: u32,
        record: &SchemaRecord,
        hash: &[u8],
    ) -> Result<(), StoreError>;
    /// Writes a version, its usage index and the reference index of its schema's
    /// references (`references` resolved to subjects).
    fn put_version(
        &mut self,
        subject: &Subject,
        version: u32,
        record: &VersionRecord,
        references: &[(Subject, u32)],
    ) -> Result<(), StoreError>;
    /// Removes a version and its indexes (permanent delete).
    fn remove_version(
        &mut self,
        subject: &Subject,
        version: u32,
        id: u32,
        references: &[(Subject, u32)],
    );
    /// Writes or removes a config entry.
    fn put_config(&mut self, scope: &str, record: Option<&ConfigRecord>) -> Result<(), StoreError>;
    /// Writes or removes a mode entry.
    fn put_mode(&mut self, scope: &str, record: Option<&ModeRecord>) -> Result<(), StoreError>;
    /// Records that a named context exists (or removes it).
    fn put_context(&mut self, ctx: &Context, exists: bool);
    /// Writes (or, with `None`, removes) one kept compatibility-history entry of the
    /// subject. Keys and values are opaque bytes (keys at most a few dozen bytes).
    fn put_history_entry(&mut self, subject: &Subject, key: &[u8], value: Option<&[u8]>);
    /// Removes every kept compatibility-history entry of the subject.
    fn clear_history(&mut self, subject: &Subject) -> Result<(), StoreError>;
}

/// A write job: runs on the writer thread; its result is delivered after the flush.
pub type Job = Box<dyn FnOnce(&mut dyn Txn) -> Box<dyn Any + Send> + Send>;

/// One persisted record, as `huntreg export` writes it and `huntreg import` reads it.
/// Indexes are not exported; [`import_record`] rebuilds them.
#[derive(Debug, Clone)]
pub enum ExportRecord {
    /// The next id of the global sequence.
    NextId(u32),
    /// A named context.
    Context(Context),
    /// A config entry.
    Config(String, ConfigRecord),
    /// A mode entry.
    Mode(String, ModeRecord),
    /// A schema.
    Schema(Context, u32, SchemaRecord),
    /// A version (exported after every schema).
    Version(Subject, u32, VersionRecord),
}

/// The storage the registry runs on.
pub trait Store: Reads + Send + Sync + fmt::Debug {
    /// Queues a write job; the receiver answers once the job's writes are durable.
    fn submit(&self, job: Job) -> oneshot::Receiver<Result<Box<dyn Any + Send>, StoreError>>;
    /// Every persisted record, schemas before versions.
    fn export(&self) -> Box<dyn Iterator<Item = Result<ExportRecord, StoreError>> + Send + '_>;
    /// Stops the writer after the queued jobs and flushes.
    fn close(&self) -> Result<(), StoreError>;
    /// True when every write applied so far is flushed, i.e. whatever a read just saw is
    /// durable. When false, a no-op [`write()`] waits for the next group commit.
    fn is_durable(&self) -> bool;

    /// For a store other processes write too (PostgreSQL): a future of the count of write
    /// transactions every node has committed, read from the database after this call
    /// began. A cache built when the count was `n` is current for a request whose count
    /// is still `n`. `None` for a store only this process writes (sled), whose caches are
    /// kept current by its own writes.
    fn committed_changes(&self) -> Option<ChangesRead> {
        None
    }

    /// Like [`Store::committed_changes`], counting only the write transactions that
    /// removed a version or re-pointed one at another id: the only writes that change what
    /// `GET /schemas/ids/{id}` without a `subject` answers (a schema by id never changes;
    /// only whether some version still carries it). On PostgreSQL it is usually answered
    /// from memory, without a round trip (see the `pg` module: node leases). `None` for a
    /// store only this process writes.
    fn committed_removals(&self) -> Option<ChangesRead> {
        None
    }
}

/// The future [`Store::committed_changes`] and [`Store::committed_removals`] return.
pub type ChangesRead =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<u64, StoreError>> + Send>>;

/// Waits until everything a read may have seen is durable (a no-op write job when some
/// applied write is not flushed yet).
pub async fn wait_durable(store: &dyn Store) -> Result<(), StoreError> {
    if store.is_durable() {
        return Ok(());
    }
    write(store, |_| ()).await
}

/// Runs `job` on the store's writer and waits until its writes are durable.
pub async fn write<T, F>(store: &dyn Store, job: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Txn) -> T + Send + 'static,
{
    let rx = store.submit(Box::new(move |tx| Box::new(job(tx)) as Box<dyn Any + Send>));
    let boxed = rx.await.map_err(|_| StoreError::Closed)??;
    boxed
        .downcast::<T>()
        .map(|b| *b)
        .map_err(|_| StoreError::Backend("write job returned an unexpected type".into()))
}

/// Writes one exported record and rebuilds its indexes (for `huntreg import`).
pub fn import_record(tx: &mut dyn Txn, record: &ExportRecord) -> Result<(), StoreError> {
    match record {
        ExportRecord::NextId(n) => {
            let current = tx.next_id()?;
            tx.set_next_id(current.max(*n));
        }
        ExportRecord::Context(ctx) => tx.put_context(ctx, true),
        ExportRecord::Config(scope, rec) => tx.put_config(scope, Some(rec))?,
        ExportRecord::Mode(scope, rec) => tx.put_mode(scope, Some(rec))?,
        ExportRecord::Schema(ctx, id, rec) => {
            let hash = hex_decode(&rec.hash)
                .ok_or_else(|| StoreError::Corrupt(format!("schema {id}: bad hash")))?;
            tx.put_schema(ctx, *id, rec, &hash)?;
            let current = tx.next_id()?;
            tx.set_next_id(current.max(id.saturating_add(1)));
        }
        ExportRecord::Version(subject, version, rec) => {
            let schema = tx.schema(&subject.context, rec.id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("version of {subject}: missing schema {}", rec.id))
            })?;
            let refs = resolve_references(subject, &schema.references);
            tx.put_version(subject, *version, rec, &refs)?;
            if !subject.context.is_default() {
                tx.put_context(&subject.context, true);
            }
        }
    }
    Ok(())
}

/// Resolves stored references to (subject, version) in the referencing subject's context.
pub fn resolve_references(subject: &Subject, refs: &[ReferenceRecord]) -> Vec<(Subject, u32)> {
    refs.iter()
        .filter_map(|r| {
            subject
                .qualify_reference(&r.subject)
                .ok()
                .map(|s| (s, r.version))
        })
        .collect()
}

/// Lower-case hex.
pub fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses lower- or upper-case hex.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
