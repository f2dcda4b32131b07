//! The PostgreSQL implementation of [`Store`]: any number of registry nodes on one
//! database, with the database's transactions as the only coordination between them.
//!
//! - **Driver.** tokio-postgres, on a small runtime the store owns, so the synchronous
//!   [`Reads`] work from any thread: a read is spawned there and its caller waits on a
//!   channel, with a deadline, so a request never hangs on a database that is down.
//! - **Reads** share a few pipelined connections, each reconnected on use when it broke.
//! - **Writes** run on one writer thread per node. It takes every job waiting, runs them in
//!   one transaction that first takes a transaction-scoped advisory lock, each job inside a
//!   savepoint when it has company (a failing job rolls back alone), and commits once
//!   (group commit). Statements are prepared once per connection; writes a job does not
//!   wait for travel with its next statement. The writer thread drives its connection on
//!   a single-threaded runtime of its own (no hand-off between threads per statement).
//!   Write groups of every node run one at a time, so a job sees exactly the history it extends
//!   (what it read when it decided is what it writes after). `synchronous_commit` is on: a
//!   job is answered after its group's commit is flushed. A group that wrote notifies
//!   [`CHANGES_CHANNEL`] at commit.
//!   A group that wrote also counts itself in `huntreg_meta.changes`, in the same
//!   transaction.
//! - **Changes** from other nodes arrive on a listening connection; every (re)connection
//!   counts as a change too, since notifications sent while it was down are lost.
//!   Notifications arrive some time after the commit, so a cache that a write on another
//!   node can make stale is checked against the committed count
//!   ([`Store::committed_changes`], one round trip shared by concurrent requests).
//! - **Removals** (a version removed, or re-pointed at another id) are the only writes
//!   that change what `GET /schemas/ids/{id}` without a `subject` answers; they have their
//!   own count, `huntreg_meta.removals`, which every node knows from memory while it holds
//!   a **lease**: a row of `huntreg_nodes`, renewed every 500 ms (`RENEW`) through the database
//!   while the node's change listener is connected, recording the removal count the
//!   listener has seen. A write group that removed notifies its new count and, after its
//!   commit and before answering, waits until every other node holding a lease has seen
//!   it (or its lease ran out). So [`Store::committed_removals`] costs no round trip while
//!   the lease holds, and one (shared, as above) while it does not.

mod changes;
mod migrations;
mod sql;

use std::any::Any;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::{oneshot, watch};
use tokio_postgres::{AsyncMessage, NoTls};

use super::records::{self, ConfigRecord, ModeRecord, SchemaRecord, VersionRecord};
use super::{ExportRecord, FlushObserver, Job, Reads, Store, StoreError, Txn};
use crate::queue::{Reply, WriteQueue};
use crate::types::{Context, Subject};
use sql::Conn;

/// The channel every writing job notifies at commit.
pub const CHANGES_CHANNEL: &str = "huntreg_changes";

/// Advisory lock key every write transaction takes (`"huntreg\x02"`).
const WRITE_LOCK: i64 = 0x6875_6e74_7265_6702;
/// How long a statement (or a connection attempt) may take before the caller gets an error.
const DEADLINE: Duration = Duration::from_secs(5);
/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Read connections per node (each pipelines many concurrent reads).
const READ_CONNECTIONS: usize = 4;
/// The most jobs one transaction (one commit, one flush) takes.
const MAX_GROUP: usize = 256;
/// Pause between attempts of the change listener to reconnect.
const LISTEN_RETRY: Duration = Duration::from_millis(250);
/// How long a node's lease lasts past its renewal, on the database's clock.
const LEASE: Duration = Duration::from_secs(2);
/// The lease, as an SQL interval (the same as [`LEASE`]).
const LEASE_SQL: &str = "interval '2 seconds'";
/// How long the node itself counts on a lease: less than [`LEASE`], counted from before
/// the renewal was sent, so the node stops serving from memory before the database
/// considers the lease over.
const LEASE_LOCAL: Duration = Duration::from_millis(1800);
/// How often a node renews its lease (and sooner, right after its listener saw a removal).
const RENEW: Duration = Duration::from_millis(500);
/// How long after its lease ran out a node's row is removed, by any renewing node: every
/// start of a node adds a row (its key is random per process), and a stopped or killed
/// node never removes its own. A lease that ran out counts for nothing
/// ([`wait_seen`] skips it), and a node that renews again inserts its row anew.
const FORGET_SQL: &str = "interval '1 minute'";
/// Pause between two checks of a removing writer for the other nodes having seen it.
const SEEN_POLL: Duration = Duration::from_millis(2);

/// What a job answers.
type JobOutcome = Result<Box<dyn Any + Send>, StoreError>;

thread_local! {
    /// On the writer thread while a group runs: the group's transaction, which the store's
    /// own reads on that thread use.
    static IN_GROUP: std::cell::RefCell<Option<Conn>> = const { std::cell::RefCell::new(None) };
    /// On the writer thread: its own single-threaded runtime, which also drives the
    /// writer's connection, so a statement of a write job costs no hand-off between
    /// threads (on a busy machine each hand-off waits for a core).
    static WRITER_RUNTIME: std::cell::RefCell<Option<tokio::runtime::Runtime>> =
        const { std::cell::RefCell::new(None) };
}

/// Turns a driver error into a store error, naming what the database said.
pub(crate) fn backend_error(e: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(describe(&e))
}

/// The database's message for an error, with clearer words for the limits the schema
/// enforces.
pub(crate) fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.constraint() {
            Some("next_id_fits_4_bytes" | "id_fits_4_bytes") => {
                "the schema id space is exhausted: ids are 4-byte integers (at most 2147483647)"
                    .into()
            }
            _ => format!("database: {}", db.message()),
        },
        None => format!("{UNREACHABLE}: {e}"),
    }
}

/// How an error that is the database's absence (not its refusal) begins.
const UNREACHABLE: &str = "database unreachable";

/// One lazily (re)opened connection.
#[derive(Default)]
struct Slot {
    client: tokio::sync::Mutex<Option<Conn>>,
}

impl Slot {
    async fn get(&self, config: &tokio_postgres::Config) -> Result<Conn, StoreError> {
        let mut guard = self.client.lock().await;
        if let Some(c) = guard.as_ref().filter(|c| !c.is_closed()) {
            return Ok(c.clone());
        }
        *guard = None;
        let (client, connection) = tokio::time::timeout(CONNECT_TIMEOUT, config.connect(NoTls))
            .await
            .map_err(|_| StoreError::Backend(format!("{UNREACHABLE}: connection timed out")))?
            .map_err(backend_error)?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "database connection ended");
            }
        });
        let client = Arc::new(sql::PgConn::new(client));
        *guard = Some(client.clone());
        Ok(client)
    }
}

/// What the store's threads share.
struct Shared {
    runtime: tokio::runtime::Handle,
    config: tokio_postgres::Config,
    readers: Vec<Slot>,
    next_reader: AtomicUsize,
    up: AtomicBool,
    /// This node's key in `huntreg_nodes` (random per process).
    node: i64,
    /// The removal count this node knows is committed (from its listener, its own writes).
    removals: AtomicU64,
    /// Until when (nanoseconds after `born`) `removals` may be answered from memory.
    lease_until: AtomicU64,
    /// When the store started: the origin of `lease_until`.
    born: Instant,
    /// Whether the listener is connected and has read the removal count since.
    listening: AtomicBool,
    /// Bumped on every disconnection of the listener: a renewal started before one does
    /// not grant a lease.
    listen_epoch: AtomicU64,
    /// Wakes the lease task to report a removal the listener saw.
    renew: Arc<tokio::sync::Notify>,
}

impl Shared {
    /// Runs `fut` on the store's runtime and waits for it (at most [`DEADLINE`]).
    fn block<T, Fut>(&self, fut: Fut) -> Result<T, StoreError>
    where
        T: Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let local = WRITER_RUNTIME.with(|r| r.borrow().is_some());
        if local {
            let out = WRITER_RUNTIME.with(|r| {
                let r = r.borrow();
                let runtime = r.as_ref().expect("checked above");
                runtime.block_on(async move {
                    tokio::time::timeout(DEADLINE, fut)
                        .await
                        .unwrap_or_else(|_| {
                            Err(StoreError::Backend(format!(
                                "{UNREACHABLE}: no answer within {} s",
                                DEADLINE.as_secs()
                            )))
                        })
                })
            });
            self.note(&out);
            return out;
        }
        let (tx, rx) = mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let out = tokio::time::timeout(DEADLINE, fut)
                .await
                .unwrap_or_else(|_| {
                    Err(StoreError::Backend(format!(
                        "{UNREACHABLE}: no answer within {} s",
                        DEADLINE.as_secs()
                    )))
                });
            let _ = tx.send(out);
        });
        let out = rx.recv().map_err(|_| StoreError::Closed)?;
        self.note(&out);
        out
    }

    /// Nanoseconds since the store started.
    fn clock(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// The committed removal count, when the lease lets this node answer it from memory.
    fn leased_removals(&self) -> Option<u64> {
        (self.clock() < self.lease_until.load(Ordering::Acquire))
            .then(|| self.removals.load(Ordering::Acquire))
    }

    /// Records a removal count seen committed (by the listener or this node's writer).
    fn saw_removals(&self, n: u64) {
        self.removals.fetch_max(n, Ordering::AcqRel);
    }

    /// The listener lost its connection: no lease until it is back and renewed.
    fn stop_listening(&self) {
        self.listening.store(false, Ordering::Release);
        self.listen_epoch.fetch_add(1, Ordering::AcqRel);
        self.lease_until.store(0, Ordering::Release);
    }

    /// Records whether the database answered (a refusal, such as a constraint, is an
    /// answer).
    fn note<T>(&self, out: &Result<T, StoreError>) {
        match out {
            Err(StoreError::Backend(m)) if m.starts_with(UNREACHABLE) => {
                self.up.store(false, Ordering::Relaxed);
            }
            Err(StoreError::Closed) => {}
            _ => self.up.store(true, Ordering::Relaxed),
        }
    }

    /// Runs a read on one of the read connections.
    fn read<T, F, Fut>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(Conn) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        if let Some(client) = IN_GROUP.with(|g| g.borrow().clone()) {
            return self.block(f(client));
        }
        let shared = self.clone();
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        self.block(async move {
            let client = shared.readers[i].get(&shared.config).await?;
            f(client).await
        })
    }
}

/// A PostgreSQL-backed store: one node's connections to the shared database.
pub struct PgStore {
    shared: Arc<Shared>,
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
    queue: WriteQueue,
    changes: watch::Receiver<u64>,
    change_reads: Arc<changes::ChangeReads>,
    removal_reads: Arc<changes::ChangeReads>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `url` (a `postgres://` URL or key=value string), applies the embedded
    /// migrations under an advisory lock, and starts the writer and the change listener.
    /// Refuses a database whose schema is newer than this build.
    pub fn open(url: &str, observer: Option<FlushObserver>) -> Result<PgStore, StoreError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Backend(format!("invalid database URL: {e}")))?;
        config
            .options("-c synchronous_commit=on -c statement_timeout=10000")
            .application_name("huntreg")
            .connect_timeout(CONNECT_TIMEOUT);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("huntreg-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Backend(format!("cannot start the database runtime: {e}")))?;
        let shared = Arc::new(Shared {
            runtime: runtime.handle().clone(),
            config,
            readers: (0..READ_CONNECTIONS).map(|_| Slot::default()).collect(),
            next_reader: AtomicUsize::new(0),
            up: AtomicBool::new(false),
            node: node_key(),
            removals: AtomicU64::new(0),
            lease_until: AtomicU64::new(0),
            born: Instant::now(),
            listening: AtomicBool::new(false),
            listen_epoch: AtomicU64::new(0),
            renew: Arc::default(),
        });
        let migrating = shared.clone();
        shared.block(async move {
            let slot = Slot::default();
            let client = slot.get(&migrating.config).await?;
            migrations::migrate(&client).await
        })?;
        let (change_tx, changes) = watch::channel(0u64);
        runtime.spawn(listen(shared.clone(), change_tx));
        runtime.spawn(keep_lease(Arc::downgrade(&shared), shared.renew.clone()));
        let writer_shared = shared.clone();
        let slot = Arc::new(Slot::default());
        let queue = WriteQueue::start("huntreg-pg-writer", MAX_GROUP, move |group| {
            commit_group(&writer_shared, &slot, group, observer.as_ref())
        })?;
        Ok(PgStore {
            shared,
            runtime: Mutex::new(Some(runtime)),
            queue,
            changes,
            change_reads: Arc::new(changes::ChangeReads::new(
                "SELECT changes FROM huntreg_meta",
            )),
            removal_reads: Arc::new(changes::ChangeReads::new(
                "SELECT removals FROM huntreg_meta",
            )),
        })
    }

    /// Counts changes committed by any node (and reconnections of the listener, after
    /// which changes may have been missed): caches of what can change are dropped whenever
    /// it moves.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.clone()
    }

    /// Whether the database answered the last statement (or, when `probe`, answers now).
    pub fn is_up(&self, probe: bool) -> bool {
        if probe {
            let _ = self
                .shared
                .read(|c| async move { c.simple_query("").await.map_err(backend_error) });
        }
        self.shared.up.load(Ordering::Relaxed)
    }
}

/// A random key for this node's row in `huntreg_nodes`.
fn node_key() -> i64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish() as i64
}

/// Listens on [`CHANGES_CHANNEL`] forever, reconnecting; bumps `changes` on every
/// notification and after every (re)connection, and records the removal counts that
/// notifications carry. After each (re)connection it reads the committed removal count
/// (what was notified while it was away is lost) before the node may hold a lease again.
async fn listen(shared: Arc<Shared>, changes: watch::Sender<u64>) {
    let seen = |message: AsyncMessage| {
        if let AsyncMessage::Notification(n) = message {
            if let Ok(removals) = n.payload().parse::<u64>() {
                shared.saw_removals(removals);
                shared.renew.notify_one();
            }
            changes.send_modify(|n| *n += 1);
        }
    };
    loop {
        let connected = tokio::time::timeout(CONNECT_TIMEOUT, shared.config.connect(NoTls)).await;
        let Ok(Ok((client, mut connection))) = connected else {
            tokio::time::sleep(LISTEN_RETRY).await;
            continue;
        };
        let mut messages =
            futures_util::stream::poll_fn(move |cx| connection.poll_message(cx)).fuse();
        // One statement text: the count is read after LISTEN took effect, so no removal
        // falls between the two.
        let statement = format!("LISTEN {CHANGES_CHANNEL}; SELECT removals FROM huntreg_meta");
        let ready = async {
            let messages = client.simple_query(&statement).await.ok()?;
            messages.iter().find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0)?.parse::<u64>().ok(),
                _ => None,
            })
        };
        // The connection must be polled for the statements to complete.
        let mut ready = std::pin::pin!(ready);
        let removals = loop {
            tokio::select! {
                r = &mut ready => break r,
                m = messages.next() => match m {
                    Some(Ok(message)) => seen(message),
                    _ => break None,
                },
            }
        };
        if let Some(removals) = removals {
            shared.saw_removals(removals);
            shared.listening.store(true, Ordering::Release);
            shared.renew.notify_one();
            // Whatever was notified while disconnected is lost: count a change.
            changes.send_modify(|n| *n += 1);
            while let Some(Ok(message)) = messages.next().await {
                seen(message);
            }
            shared.stop_listening();
            changes.send_modify(|n| *n += 1);
        }
        if changes.is_closed() {
            return;
        }
        tokio::time::sleep(LISTEN_RETRY).await;
    }
}

/// Renews this node's lease every [`RENEW`] (and right after the listener saw a removal,
/// reporting it) while the listener is connected; ends when the store is dropped.
async fn keep_lease(shared: std::sync::Weak<Shared>, renew: Arc<tokio::sync::Notify>) {
    let slot = Slot::default();
    loop {
        let Some(s) = shared.upgrade() else {
            return;
        };
        if s.listening.load(Ordering::Acquire) {
            let epoch = s.listen_epoch.load(Ordering::Acquire);
            let seen = s.removals.load(Ordering::Acquire);
            let started = s.clock();
            let renewal = format!(
                "SET synchronous_commit = off; \
                 INSERT INTO huntreg_nodes (node, lease_until, seen) \
                 VALUES ({}, clock_timestamp() + {LEASE_SQL}, {seen}) \
                 ON CONFLICT (node) DO UPDATE SET lease_until = EXCLUDED.lease_until, \
                 seen = GREATEST(huntreg_nodes.seen, EXCLUDED.seen); \
                 DELETE FROM huntreg_nodes WHERE lease_until < clock_timestamp() - {FORGET_SQL}",
                s.node
            );
            let renewed = tokio::time::timeout(LEASE_LOCAL / 2, async {
                let client = slot.get(&s.config).await?;
                client.batch_execute(&renewal).await.map_err(backend_error)
            })
            .await;
            if matches!(renewed, Ok(Ok(())))
                && s.listening.load(Ordering::Acquire)
                && s.listen_epoch.load(Ordering::Acquire) == epoch
            {
                let until = started.saturating_add(LEASE_LOCAL.as_nanos() as u64);
                s.lease_until.fetch_max(until, Ordering::AcqRel);
            }
        }
        drop(s);
        let _ = tokio::time::timeout(RENEW, renew.notified()).await;
    }
}

/// After a write group that brought the removal count to `n` committed: waits until every
/// other node holding a lease has seen it (or its lease ran out), so no node answers from
/// memory what the removal changed once the writer answers. If the database stops
/// answering, waits out the longest lease instead.
fn wait_seen(shared: &Arc<Shared>, slot: &Arc<Slot>, n: u64) {
    let (config, slot, node) = (shared.config.clone(), slot.clone(), shared.node);
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let waited = shared.block(async move {
        let client = slot.get(&config).await?;
        loop {
            let pending: i64 = client
                .query_one(
                    "SELECT count(*) FROM huntreg_nodes WHERE node <> $1 AND seen < $2 \
                     AND lease_until > clock_timestamp()",
                    &[&node, &n],
                )
                .await
                .map_err(backend_error)?
                .get(0);
            if pending == 0 {
                return Ok(());
            }
            tokio::time::sleep(SEEN_POLL).await;
        }
    });
    if waited.is_err() {
        std::thread::sleep(LEASE);
    }
}

/// Runs a group in one transaction and answers its jobs once it committed.
fn commit_group(
    shared: &Arc<Shared>,
    slot: &Arc<Slot>,
    group: Vec<(Job, Reply)>,
    observer: Option<&FlushObserver>,
) {
    let started = Instant::now();
    let jobs = group.len();
    WRITER_RUNTIME.with(|r| {
        if r.borrow().is_none() {
            *r.borrow_mut() = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok();
        }
    });
    let (results, removals) = run_group(shared, slot, group);
    if let Some(n) = removals {
        shared.saw_removals(n);
        wait_seen(shared, slot, n);
    }
    if let Some(observer) = observer {
        observer(started.elapsed(), jobs);
    }
    for (reply, result) in results {
        let _ = reply.send(result);
    }
}

/// Runs a group of jobs in one transaction under the write lock, each inside a savepoint
/// when there are several (a failing job rolls back alone), and commits once: one flush
/// for the group. Also returns the new removal count when the group committed a removal.
fn run_group(
    shared: &Arc<Shared>,
    slot: &Arc<Slot>,
    group: Vec<(Job, Reply)>,
) -> (Vec<(Reply, JobOutcome)>, Option<u64>) {
    let open = || {
        let config = shared.config.clone();
        let slot_for_connect = slot.clone();
        shared
            .block(async move { slot_for_connect.get(&config).await })
            .and_then(|client| {
                let begin = client.clone();
                shared.block(async move {
                    begin
                        .batch_execute(&format!(
                            "BEGIN ISOLATION LEVEL READ COMMITTED; \
                             SELECT pg_advisory_xact_lock({WRITE_LOCK})"
                        ))
                        .await
                        .map_err(backend_error)
                })?;
                Ok(client)
            })
    };
    // The writer's connection is driven only while the writer runs a statement: one the
    // database closed while the writer was idle is found closed by the first statement,
    // after which the slot opens a new one. Nothing was sent yet, so try once more.
    let opened = open().or_else(|_| open());
    let client = match opened {
        Ok(client) => client,
        Err(e) => {
            let failed = group
                .into_iter()
                .map(|(_, reply)| (reply, Err(StoreError::Backend(e.to_string()))))
                .collect();
            return (failed, None);
        }
    };
    // Reads the jobs make through the store itself (a registration re-checked on the
    // writer loads versions) run in this transaction too, so they see earlier jobs of the
    // group.
    IN_GROUP.with(|g| *g.borrow_mut() = Some(client.clone()));
    let (mut wrote, mut removed) = (false, false);
    // A job alone in its group needs no savepoint: if it fails, the whole transaction
    // rolls back (two round trips fewer for a registration when writers are few).
    let alone = group.len() == 1;
    let mut failed_alone = false;
    let mut results = Vec::with_capacity(group.len());
    for (job, reply) in group {
        let (result, job_wrote, job_removed) = run_job(shared, &client, job, !alone);
        wrote |= job_wrote;
        removed |= job_removed;
        failed_alone = alone && result.is_err();
        results.push((reply, result));
    }
    IN_GROUP.with(|g| *g.borrow_mut() = None);
    let end = client.clone();
    let committed = shared.block(async move {
        if failed_alone {
            end.batch_execute("ROLLBACK").await.map(|()| None)
        } else if removed {
            // The new removal count goes to every listener with the notification.
            let row = end
                .query_one(
                    &format!(
                        "WITH m AS (UPDATE huntreg_meta SET changes = changes + 1, \
                         removals = removals + 1 RETURNING removals) \
                         SELECT pg_notify('{CHANGES_CHANNEL}', removals::text), removals FROM m"
                    ),
                    &[],
                )
                .await;
            match row {
                Ok(row) => {
                    let n = u64::try_from(row.get::<_, i64>(1)).unwrap_or(0);
                    end.batch_execute("COMMIT").await.map(|()| Some(n))
                }
                Err(e) => Err(e),
            }
        } else if wrote {
            end.batch_execute(&format!(
                "UPDATE huntreg_meta SET changes = changes + 1; NOTIFY {CHANGES_CHANNEL}; COMMIT"
            ))
            .await
            .map(|()| None)
        } else {
            end.batch_execute("COMMIT").await.map(|()| None)
        }
        .map_err(backend_error)
    });
    match committed {
        Ok(removals) => (results, removals),
        Err(e) => {
            let failed = results
                .into_iter()
                .map(|(reply, _)| (reply, Err(StoreError::Backend(e.to_string()))))
                .collect();
            (failed, None)
        }
    }
}

/// Runs one job of a group (inside a savepoint when `savepoint`: a failing job then rolls
/// back alone); returns its result, whether it wrote, and whether it removed a version.
fn run_job(
    shared: &Arc<Shared>,
    client: &Conn,
    job: Job,
    savepoint: bool,
) -> (JobOutcome, bool, bool) {
    let opening = client.clone();
    if savepoint {
        if let Err(e) = shared.block(async move {
            opening
                .batch_execute("SAVEPOINT job")
                .await
                .map_err(backend_error)
        }) {
            return (Err(e), false, false);
        }
    }
    let mut txn = PgTxn {
        shared: shared.clone(),
        client: client.clone(),
        failed: None,
        wrote: false,
        removed: false,
        deferred: Mutex::default(),
        deferred_failed: AtomicBool::new(false),
    };
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut txn)));
    if out.is_ok() && txn.failed.is_none() {
        // Writes still deferred go now (with the savepoint's release when there is one).
        let _ = txn.run(|_| async { Ok(()) });
    }
    if txn.failed.is_none() && txn.deferred_failed.load(Ordering::Relaxed) {
        txn.failed = Some(StoreError::Backend(
            "a write sent with a read failed".into(),
        ));
    }
    let failure = match (out.is_err(), txn.failed.take()) {
        (_, Some(e)) => Some(e),
        (true, None) => Some(StoreError::Backend("a write job panicked".into())),
        (false, None) => None,
    };
    let end = client.clone();
    match (failure, out) {
        (None, Ok(out)) if !savepoint => (Ok(out), txn.wrote, txn.removed),
        (None, Ok(out)) => {
            let released = shared.block(async move {
                end.batch_execute("RELEASE SAVEPOINT job")
                    .await
                    .map_err(backend_error)
            });
            match released {
                Ok(()) => (Ok(out), txn.wrote, txn.removed),
                Err(e) => (Err(e), false, false),
            }
        }
        (failure, _) => {
            if savepoint {
                let _ = shared.block(async move {
                    end.batch_execute("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job")
                        .await
                        .map_err(backend_error)
                });
            }
            let e = failure.unwrap_or_else(|| StoreError::Backend("a write job panicked".into()));
            (Err(e), false, false)
        }
    }
}

impl Store for PgStore {
    fn submit(&self, job: Job) -> oneshot::Receiver<Result<Box<dyn Any + Send>, StoreError>> {
        self.queue.submit(job)
    }

    fn export(&self) -> Box<dyn Iterator<Item = Result<ExportRecord, StoreError>> + Send + '_> {
        // A connection of its own: the export runs in one snapshot transaction.
        let config = self.shared.config.clone();
        let records = self.shared.block(async move {
            let slot = Slot::default();
            let client = slot.get(&config).await?;
            sql::export(client).await
        });
        match records {
            Ok(records) => Box::new(records.into_iter().map(Ok)),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn close(&self) -> Result<(), StoreError> {
        self.queue.close();
        Ok(())
    }

    fn is_durable(&self) -> bool {
        // Every session commits synchronously: what a read sees is already flushed.
        true
    }

    fn committed_changes(&self) -> Option<super::ChangesRead> {
        Some(self.change_reads.read(&self.shared))
    }

    fn committed_removals(&self) -> Option<super::ChangesRead> {
        match self.shared.leased_removals() {
            Some(n) => Some(Box::pin(std::future::ready(Ok(n)))),
            None => Some(self.removal_reads.read(&self.shared)),
        }
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        let _ = self.close();
        if let Some(runtime) = self
            .runtime
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            runtime.shutdown_background();
        }
    }
}

/// A write job's view: reads and writes on the job's transaction. Writes that cannot
/// return an error record their failure, which rolls the job back.
struct PgTxn {
    shared: Arc<Shared>,
    client: Conn,
    failed: Option<StoreError>,
    wrote: bool,
    /// Whether the job removed a version or re-pointed one at another id.
    removed: bool,
    /// Writes not sent yet: they go with the job's next statement (or at its end).
    deferred: Mutex<Vec<sql::Deferred>>,
    /// A read that carried deferred writes failed: the job fails, whatever it returns.
    deferred_failed: AtomicBool,
}

impl PgTxn {
    fn run<T, F, Fut>(&mut self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(Conn) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        if let Some(e) = &self.failed {
            return Err(StoreError::Backend(format!(
                "an earlier statement failed: {e}"
            )));
        }
        let deferred = self.take_deferred();
        let client = self.client.clone();
        let out = self
            .shared
            .block(async move { client.with_deferred(deferred, f(client.clone())).await });
        if let Err(e) = &out {
            self.failed = Some(StoreError::Backend(e.to_string()));
        }
        out
    }

    /// The writes deferred so far, to send with the next statement.
    fn take_deferred(&self) -> Vec<sql::Deferred> {
        std::mem::take(&mut *self.deferred.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Defers a write whose outcome the job does not wait for.
    fn defer(&mut self, write: sql::Deferred) {
        self.wrote = true;
        if self.failed.is_none() {
            self.deferred
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(write);
        }
    }

    fn write<F, Fut>(&mut self, f: F) -> Result<(), StoreError>
    where
        F: FnOnce(Conn) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), StoreError>> + Send + 'static,
    {
        self.wrote = true;
        self.run(f)
    }
}

/// Implements [`Reads`] for a type, given how it runs one `sql` function (`$query`, a
/// closure over `$self_` taking the function to run on a connection).
macro_rules! impl_reads {
    ($ty:ty, $self_:ident, $query:expr) => {
        impl Reads for $ty {
            fn next_id(&self) -> Result<u32, StoreError> {
                let $self_ = self;
                $query(sql::next_id)
            }

            fn schema(&self, ctx: &Context, id: u32) -> Result<Option<SchemaRecord>, StoreError> {
                let $self_ = self;
                let ctx = ctx.clone();
                $query(move |c| sql::schema(c, ctx, id))
            }

            fn contexts_with_id(&self, id: u32) -> Result<Vec<Context>, StoreError> {
                let $self_ = self;
                $query(move |c| sql::contexts_with_id(c, id))
            }

            fn id_by_hash(&self, ctx: &Context, hash: &[u8]) -> Result<Option<u32>, StoreError> {
                let $self_ = self;
                let (ctx, hash) = (ctx.clone(), hash.to_vec());
                $query(move |c| sql::id_by_hash(c, ctx, hash))
            }

            fn ids_by_hash_prefix(
                &self,
                ctx: &Context,
                prefix: &[u8],
            ) -> Result<Vec<u32>, StoreError> {
                let $self_ = self;
                let (ctx, prefix) = (ctx.clone(), prefix.to_vec());
                $query(move |c| sql::ids_by_hash_prefix(c, ctx, prefix))
            }

            fn versions(&self, subject: &Subject) -> Result<Vec<(u32, VersionRecord)>, StoreError> {
                let $self_ = self;
                let subject = subject.clone();
                $query(move |c| sql::versions(c, subject))
            }

            fn version(
                &self,
                subject: &Subject,
                version: u32,
            ) -> Result<Option<VersionRecord>, StoreError> {
                let $self_ = self;
                let subject = subject.clone();
                $query(move |c| sql::version(c, subject, version))
            }

            fn subjects(&self, ctx: Option<&Context>) -> Result<Vec<(Subject, bool)>, StoreError> {
                let $self_ = self;
                let ctx = ctx.cloned();
                $query(move |c| sql::subjects(c, ctx))
            }

            fn usages(&self, ctx: &Context, id: u32) -> Result<Vec<(Subject, u32)>, StoreError> {
                let $self_ = self;
                let ctx = ctx.clone();
                $query(move |c| sql::usages(c, ctx, id))
            }

            fn referrers(
                &self,
                target: &Subject,
                version: u32,
            ) -> Result<Vec<(Subject, u32, u32)>, StoreError> {
                let $self_ = self;
                let target = target.clone();
                $query(move |c| sql::referrers(c, target, version))
            }

            fn config(&self, scope: &str) -> Result<Option<ConfigRecord>, StoreError> {
                let $self_ = self;
                let scope = scope.to_owned();
                $query(move |c| sql::config(c, scope))
            }

            fn mode(&self, scope: &str) -> Result<Option<ModeRecord>, StoreError> {
                let $self_ = self;
                let scope = scope.to_owned();
                $query(move |c| sql::mode(c, scope))
            }

            fn contexts(&self) -> Result<Vec<Context>, StoreError> {
                let $self_ = self;
                $query(sql::contexts)
            }

            fn history_entries(
                &self,
                subject: &Subject,
            ) -> Result<Vec<crate::HistoryEntry>, StoreError> {
                let $self_ = self;
                let subject = subject.clone();
                $query(move |c| sql::history_entries(c, subject))
            }
        }
    };
}

impl_reads!(PgStore, s, |f| s.shared.read(f));

/// A job's reads run on its transaction's connection. `Reads` takes `&self`, so a failed
/// read is not recorded in `failed`; it aborts the PostgreSQL transaction, so any write
/// after it fails (and is recorded), and a job that only read commits nothing.
struct TxnReads<'a>(&'a PgTxn);

impl TxnReads<'_> {
    fn query<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(Conn) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        if let Some(e) = &self.0.failed {
            return Err(StoreError::Backend(format!(
                "an earlier statement failed: {e}"
            )));
        }
        let deferred = self.0.take_deferred();
        let carried = !deferred.is_empty();
        let client = self.0.client.clone();
        let out = self
            .0
            .shared
            .block(async move { client.with_deferred(deferred, f(client.clone())).await });
        if carried && out.is_err() {
            self.0.deferred_failed.store(true, Ordering::Relaxed);
        }
        out
    }
}

impl_reads!(PgTxn, s, |f| TxnReads(s).query(f));

impl Txn for PgTxn {
    fn set_next_id(&mut self, next: u32) {
        self.defer(sql::set_next_id(next));
    }

    fn put_schema(
        &mut self,
        ctx: &Context,
        id: u32,
        record: &SchemaRecord,
        hash: &[u8],
    ) -> Result<(), StoreError> {
        let record = String::from_utf8(records::encode(record)?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let (ctx, hash) = (ctx.clone(), hash.to_vec());
        self.write(move |c| sql::put_schema(c, ctx, id, record, hash))
    }

    fn put_version(
        &mut self,
        subject: &Subject,
        version: u32,
        record: &VersionRecord,
        references: &[(Subject, u32)],
    ) -> Result<(), StoreError> {
        let (subject, record, references) = (subject.clone(), *record, references.to_vec());
        self.wrote = true;
        let repointed =
            self.run(move |c| sql::put_version(c, subject, version, record, references))?;
        self.removed |= repointed;
        Ok(())
    }

    fn remove_version(
        &mut self,
        subject: &Subject,
        version: u32,
        _id: u32,
        references: &[(Subject, u32)],
    ) {
        let (subject, references) = (subject.clone(), references.to_vec());
        if self
            .write(move |c| sql::remove_version(c, subject, version, references))
            .is_ok()
        {
            self.removed = true;
        }
    }

    fn put_config(&mut self, scope: &str, record: Option<&ConfigRecord>) -> Result<(), StoreError> {
        let record = record.map(encode_text).transpose()?;
        let scope = scope.to_owned();
        self.write(move |c| sql::put_config(c, scope, record))
    }

    fn put_mode(&mut self, scope: &str, record: Option<&ModeRecord>) -> Result<(), StoreError> {
        let record = record.map(encode_text).transpose()?;
        let scope = scope.to_owned();
        self.write(move |c| sql::put_mode(c, scope, record))
    }

    fn put_context(&mut self, ctx: &Context, exists: bool) {
        if ctx.is_default() {
            return;
        }
        self.defer(sql::put_context(ctx.clone(), exists));
    }

    fn put_history_entry(&mut self, subject: &Subject, key: &[u8], value: Option<&[u8]>) {
        let (subject, key, value) = (subject.clone(), key.to_vec(), value.map(<[u8]>::to_vec));
        self.defer(sql::put_history_entry(subject, key, value));
    }

    fn clear_history(&mut self, subject: &Subject) -> Result<(), StoreError> {
        let subject = subject.clone();
        self.write(move |c| sql::clear_history(c, subject))
    }
}

fn encode_text<T: serde::Serialize>(record: &T) -> Result<String, StoreError> {
    String::from_utf8(records::encode(record)?).map_err(|e| StoreError::Corrupt(e.to_string()))
}
