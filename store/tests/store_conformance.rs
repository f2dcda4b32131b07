//! One store conformance suite, run against both backends: sled in a temporary directory
//! and PostgreSQL in a throwaway cluster (`support/pg.rs`). Then what only the shared
//! database has to show: several nodes on one database, the constraints behind the
//! registry's promises, migrations, change notifications, and export/import between the
//! two backends.

mod support {
    pub mod pg;
}

use std::sync::Arc;

use huntreg_store::types::{Context, Subject};
use huntreg_store::{
    self as store, import_record, ConfigRecord, ExportRecord, ModeRecord, PgStore, ReferenceRecord,
    SchemaRecord, SledStore, Store, StoreError, Txn, VersionRecord,
};
use support::pg::TempPostgres;

/// Opens a store of one backend, the same one every time (for reopening).
type Opener<'a> = &'a dyn Fn() -> Arc<dyn Store>;

/// A named conformance case.
type Case = (&'static str, fn(Opener<'_>));

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn write<T: Send + 'static>(
    store: &Arc<dyn Store>,
    job: impl FnOnce(&mut dyn Txn) -> T + Send + 'static,
) -> Result<T, StoreError> {
    runtime().block_on(store::write(&**store, job))
}

fn subject(raw: &str) -> Subject {
    Subject::parse(raw).unwrap()
}

fn ctx(name: &str) -> Context {
    Context::from_stored(name.to_owned())
}

fn schema_record(text: &str, hash: &[u8]) -> SchemaRecord {
    SchemaRecord {
        v: 1,
        schema: text.to_owned(),
        descriptor: String::new(),
        references: Vec::new(),
        hash: store::hex_encode(hash),
    }
}

fn version_record(id: u32, deleted: bool) -> VersionRecord {
    VersionRecord {
        v: 1,
        id,
        deleted,
        registered_ms: Some(1_700_000_000_000),
    }
}

/// Every conformance case, in order, each on a fresh store of the backend.
fn conformance(fresh: &dyn Fn() -> Box<dyn Fn() -> Arc<dyn Store>>) {
    let cases: [Case; 7] = [
        ("sequence and schemas", sequence_and_schemas),
        ("versions and listings", versions_and_listings),
        ("configs, modes and contexts", configs_modes_contexts),
        ("jobs serialized and durable", jobs_serialized_and_durable),
        ("a failing job writes nothing", failing_job_writes_nothing),
        ("export and import", export_and_import),
        ("kept histories", kept_histories),
    ];
    for (name, case) in cases {
        eprintln!("conformance: {name}");
        let open = fresh();
        case(&*open);
    }
}

fn sequence_and_schemas(open: Opener<'_>) {
    let store = open();
    assert_eq!(store.next_id().unwrap(), 1);
    let hash = [7u8; 32];
    let mut other = [7u8; 32];
    other[31] = 8;
    let id = write(&store, move |tx| {
        let id = tx.next_id().unwrap();
        tx.set_next_id(id + 1);
        tx.put_schema(&ctx(""), id, &schema_record("a", &hash), &hash)
            .unwrap();
        tx.put_schema(&ctx(".h"), id, &schema_record("a", &hash), &hash)
            .unwrap();
        tx.put_schema(&ctx(""), id + 1, &schema_record("b", &other), &other)
            .unwrap();
        tx.set_next_id(id + 2);
        id
    })
    .unwrap();
    assert_eq!(id, 1);
    assert_eq!(store.next_id().unwrap(), 3);
    assert_eq!(store.schema(&ctx(""), 1).unwrap().unwrap().schema, "a");
    assert_eq!(store.schema(&ctx(".h"), 1).unwrap().unwrap().schema, "a");
    assert_eq!(store.schema(&ctx(".h"), 2).unwrap(), None);
    assert_eq!(store.contexts_with_id(1).unwrap(), vec![ctx(""), ctx(".h")]);
    assert_eq!(store.contexts_with_id(9).unwrap(), Vec::<Context>::new());
    assert_eq!(store.id_by_hash(&ctx(""), &hash).unwrap(), Some(1));
    assert_eq!(store.id_by_hash(&ctx(".other"), &hash).unwrap(), None);
    assert_eq!(
        store.ids_by_hash_prefix(&ctx(""), &hash[..16]).unwrap(),
        vec![1, 2],
        "a GUID prefix finds every id whose hash starts with it, in hash order"
    );
    assert_eq!(
        store.ids_by_hash_prefix(&ctx(""), &other[..32]).unwrap(),
        vec![2]
    );
    // The hash index keeps the first id of a content.
    write(&store, move |tx| {
        tx.put_schema(&ctx(""), 5, &schema_record("a", &hash), &hash)
            .unwrap()
    })
    .unwrap();
    assert_eq!(store.id_by_hash(&ctx(""), &hash).unwrap(), Some(1));

    // A large record (the schema of a long history) reads back whole, also in a later job
    // and after the store is reopened.
    let big = "m".repeat(200 * 1024);
    let big_hash = [9u8; 32];
    let record = schema_record(&big, &big_hash);
    write(&store, move |tx| {
        tx.put_schema(&ctx(".h"), 7, &record, &big_hash).unwrap()
    })
    .unwrap();
    let len = write(&store, |tx| {
        tx.schema(&ctx(".h"), 7).unwrap().unwrap().schema.len()
    })
    .unwrap();
    assert_eq!(len, big.len());
    assert_eq!(store.schema(&ctx(".h"), 7).unwrap().unwrap().schema, big);
    drop(store);
    let store = open();
    assert_eq!(store.schema(&ctx(".h"), 7).unwrap().unwrap().schema, big);
    assert_eq!(store.id_by_hash(&ctx(".h"), &big_hash).unwrap(), Some(7));
}

fn versions_and_listings(open: Opener<'_>) {
    let store = open();
    let hash = [1u8; 32];
    let target_hash = [2u8; 32];
    write(&store, move |tx| {
        tx.put_schema(&ctx(""), 1, &schema_record("a", &hash), &hash)
            .unwrap();
        tx.put_schema(&ctx(".h"), 1, &schema_record("a", &hash), &hash)
            .unwrap();
        tx.put_schema(
            &ctx(".h"),
            2,
            &schema_record("t", &target_hash),
            &target_hash,
        )
        .unwrap();
        tx.set_next_id(3);
        for v in 1..=10 {
            tx.put_version(&subject("b"), v, &version_record(1, v == 3), &[])
                .unwrap();
        }
        tx.put_version(&subject("a"), 1, &version_record(1, true), &[])
            .unwrap();
        tx.put_version(&subject(":.h:t"), 1, &version_record(2, false), &[])
            .unwrap();
        let refs = [(subject(":.h:t"), 1)];
        tx.put_version(&subject(":.h:x"), 1, &version_record(1, false), &refs)
            .unwrap();
        tx.put_context(&ctx(".h"), true);
    })
    .unwrap();
    let versions = store.versions(&subject("b")).unwrap();
    assert_eq!(
        versions.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>(),
        "versions come back in numeric order"
    );
    assert!(versions[2].1.deleted && !versions[1].1.deleted);
    assert_eq!(versions[0].1, version_record(1, false));
    assert_eq!(
        store.version(&subject("b"), 3).unwrap(),
        Some(version_record(1, true))
    );
    assert_eq!(store.version(&subject("b"), 11).unwrap(), None);
    assert_eq!(store.versions(&subject("nope")).unwrap(), vec![]);
    assert_eq!(
        store.subjects(None).unwrap(),
        vec![
            (subject("a"), false),
            (subject("b"), true),
            (subject(":.h:t"), true),
            (subject(":.h:x"), true),
        ]
    );
    assert_eq!(
        store.subjects(Some(&ctx(".h"))).unwrap(),
        vec![(subject(":.h:t"), true), (subject(":.h:x"), true)]
    );
    assert_eq!(
        store.usages(&ctx(".h"), 1).unwrap(),
        vec![(subject(":.h:x"), 1)]
    );
    assert_eq!(store.usages(&ctx(""), 1).unwrap().len(), 11);
    assert_eq!(
        store.referrers(&subject(":.h:t"), 1).unwrap(),
        vec![(subject(":.h:x"), 1, 1)]
    );
    // A permanent delete takes the version, its usage and its references away.
    write(&store, |tx| {
        let refs = [(subject(":.h:t"), 1)];
        tx.remove_version(&subject(":.h:x"), 1, 1, &refs);
        // A soft delete is an update of the version in place, the newest or not.
        tx.put_version(&subject("b"), 10, &version_record(1, true), &[])
            .unwrap();
        tx.put_version(&subject("b"), 5, &version_record(1, true), &[])
            .unwrap();
    })
    .unwrap();
    assert_eq!(store.usages(&ctx(".h"), 1).unwrap(), vec![]);
    assert_eq!(store.referrers(&subject(":.h:t"), 1).unwrap(), vec![]);
    assert_eq!(store.version(&subject(":.h:x"), 1).unwrap(), None);
    assert!(store.version(&subject("b"), 10).unwrap().unwrap().deleted);
    assert!(store.version(&subject("b"), 5).unwrap().unwrap().deleted);
    assert!(!store.version(&subject("b"), 4).unwrap().unwrap().deleted);
    assert_eq!(
        store.subjects(Some(&ctx(".h"))).unwrap(),
        vec![(subject(":.h:t"), true)]
    );
}

fn configs_modes_contexts(open: Opener<'_>) {
    let store = open();
    let config = ConfigRecord {
        v: 1,
        compatibility: Some("FULL_TRANSITIVE".into()),
        normalize: Some(true),
    };
    let mode = ModeRecord {
        v: 1,
        mode: "READONLY".into(),
    };
    let (c, m) = (config.clone(), mode.clone());
    write(&store, move |tx| {
        tx.put_config("", Some(&c)).unwrap();
        tx.put_config(":.h:x", Some(&c)).unwrap();
        tx.put_mode(":.h:", Some(&m)).unwrap();
        tx.put_context(&ctx(".zeta"), true);
        tx.put_context(&ctx(".alpha"), true);
        tx.put_context(&ctx(""), true);
    })
    .unwrap();
    assert_eq!(store.config("").unwrap(), Some(config.clone()));
    assert_eq!(store.config(":.h:x").unwrap(), Some(config.clone()));
    assert_eq!(store.config(":.h:").unwrap(), None);
    assert_eq!(store.mode(":.h:").unwrap(), Some(mode));
    assert_eq!(store.contexts().unwrap(), vec![ctx(".alpha"), ctx(".zeta")]);
    write(&store, |tx| {
        tx.put_config(":.h:x", None).unwrap();
        tx.put_mode(":.h:", None).unwrap();
        tx.put_context(&ctx(".zeta"), false);
    })
    .unwrap();
    assert_eq!(store.config(":.h:x").unwrap(), None);
    assert_eq!(store.mode(":.h:").unwrap(), None);
    assert_eq!(store.contexts().unwrap(), vec![ctx(".alpha")]);
    assert_eq!(store.config("").unwrap(), Some(config));
}

/// A subject's kept compatibility-history entries: written, overwritten and removed one by
/// one, read back in bytewise key order, cleared per subject, and not exported.
fn kept_histories(open: Opener<'_>) {
    let store = open();
    let (a, b) = (subject(":.h:a"), subject(":.h:b"));
    let (a2, b2) = (a.clone(), b.clone());
    write(&store, move |tx| {
        tx.put_history_entry(&a2, &[2, 0], Some(b"two"));
        tx.put_history_entry(&a2, &[1, 255], Some(b"one"));
        tx.put_history_entry(&a2, &[255], Some(b"last"));
        tx.put_history_entry(&b2, &[1], Some(b"other subject"));
    })
    .unwrap();
    let entries = |s: &Subject| store.history_entries(s).unwrap();
    assert_eq!(
        entries(&a),
        vec![
            (vec![1, 255], b"one".to_vec()),
            (vec![2, 0], b"two".to_vec()),
            (vec![255], b"last".to_vec()),
        ]
    );
    let a2 = a.clone();
    write(&store, move |tx| {
        tx.put_history_entry(&a2, &[2, 0], Some(b"TWO"));
        tx.put_history_entry(&a2, &[255], None);
    })
    .unwrap();
    assert_eq!(
        entries(&a),
        vec![
            (vec![1, 255], b"one".to_vec()),
            (vec![2, 0], b"TWO".to_vec())
        ]
    );
    assert!(store
        .export()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .iter()
        .all(|r| !format!("{r:?}").contains("other subject")));
    let a2 = a.clone();
    write(&store, move |tx| tx.clear_history(&a2).unwrap()).unwrap();
    assert!(entries(&a).is_empty());
    assert_eq!(entries(&b), vec![(vec![1], b"other subject".to_vec())]);
}

fn jobs_serialized_and_durable(open: Opener<'_>) {
    let store = open();
    let rt = runtime();
    let ids = rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store::write(&*store, |tx| {
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
        ids
    });
    let mut ids = ids;
    ids.sort_unstable();
    assert_eq!(ids, (1..=32).collect::<Vec<_>>());
    let failed = rt.block_on(store.submit(Box::new(|_| panic!("job bug"))));
    assert!(failed.unwrap().is_err(), "a panicking job answers an error");
    assert_eq!(write(&store, |tx| tx.next_id().unwrap()).unwrap(), 33);
    assert!(store.is_durable());
    store.close().unwrap();
    drop(store);
    drop(rt);
    let reopened = open();
    assert_eq!(
        reopened.next_id().unwrap(),
        33,
        "acknowledged writes survive"
    );
}

fn failing_job_writes_nothing(open: Opener<'_>) {
    let store = open();
    // A job that panics after writing leaves nothing behind.
    let rt = runtime();
    let failed = rt.block_on(store.submit(Box::new(|tx| {
        tx.set_next_id(50);
        tx.put_context(&ctx(".half"), true);
        panic!("job bug after a write")
    })));
    assert!(failed.unwrap().is_err());
    assert_eq!(store.next_id().unwrap(), 1);
    assert_eq!(store.contexts().unwrap(), vec![]);
    // Queued together (one group commit), a failing job fails alone.
    let before = store.submit(Box::new(|tx| {
        tx.put_context(&ctx(".before"), true);
        Box::new(())
    }));
    let bad = store.submit(Box::new(|tx| {
        tx.put_context(&ctx(".bad"), true);
        panic!("job bug in a group")
    }));
    let after = store.submit(Box::new(|tx| {
        tx.put_context(&ctx(".after"), true);
        Box::new(())
    }));
    rt.block_on(async {
        assert!(before.await.unwrap().is_ok());
        assert!(bad.await.unwrap().is_err());
        assert!(after.await.unwrap().is_ok());
    });
    assert_eq!(
        store.contexts().unwrap(),
        vec![ctx(".after"), ctx(".before")]
    );
}

fn fill(store: &Arc<dyn Store>) {
    let hash = [3u8; 32];
    let dep_hash = [4u8; 32];
    write(store, move |tx| {
        let mut dep = schema_record("dep", &dep_hash);
        dep.references = vec![];
        tx.put_schema(&ctx(".h"), 1, &dep, &dep_hash).unwrap();
        let mut main = schema_record("main", &hash);
        main.references = vec![ReferenceRecord {
            name: "dep.proto".into(),
            subject: "dep".into(),
            version: 1,
        }];
        tx.put_schema(&ctx(".h"), 2, &main, &hash).unwrap();
        let big_hash = [5u8; 32];
        let big = schema_record(&"enum-value ".repeat(20_000), &big_hash);
        tx.put_schema(&ctx(".h"), 3, &big, &big_hash).unwrap();
        tx.set_next_id(4);
        tx.put_context(&ctx(".h"), true);
        tx.put_version(&subject(":.h:dep"), 1, &version_record(1, false), &[])
            .unwrap();
        let refs = [(subject(":.h:dep"), 1)];
        tx.put_version(&subject(":.h:main"), 1, &version_record(2, false), &refs)
            .unwrap();
        tx.put_version(&subject(":.h:main"), 2, &version_record(2, true), &refs)
            .unwrap();
        tx.put_config(
            ":.h:",
            Some(&ConfigRecord {
                v: 1,
                compatibility: Some("FULL".into()),
                normalize: None,
            }),
        )
        .unwrap();
        tx.put_mode(
            ":.h:dep",
            Some(&ModeRecord {
                v: 1,
                mode: "READONLY".into(),
            }),
        )
        .unwrap();
    })
    .unwrap();
}

/// Everything a store holds, as comparable text (export order differs between backends).
fn dump(store: &Arc<dyn Store>) -> Vec<String> {
    let mut out: Vec<String> = store
        .export()
        .map(|r| format!("{:?}", r.unwrap()))
        .collect();
    out.sort();
    out.push(format!(
        "{:?}",
        store.referrers(&subject(":.h:dep"), 1).unwrap()
    ));
    out.push(format!("{:?}", store.usages(&ctx(".h"), 2).unwrap()));
    out
}

fn copy(from: &Arc<dyn Store>, to: &Arc<dyn Store>) {
    let records: Vec<ExportRecord> = from.export().map(|r| r.unwrap()).collect();
    assert!(!records.is_empty());
    // One job per record, as `huntreg import` does: a job's reads need not see its own
    // staged writes.
    for r in records {
        write(to, move |tx| import_record(tx, &r)).unwrap().unwrap();
    }
}

fn export_and_import(open: Opener<'_>) {
    let store = open();
    fill(&store);
    let dir = tempfile::tempdir().unwrap();
    let copy_store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path(), None).unwrap());
    copy(&store, &copy_store);
    assert_eq!(dump(&store), dump(&copy_store));
}

fn sled_opener() -> Box<dyn Fn() -> Arc<dyn Store>> {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    Box::new(move || Arc::new(SledStore::open(dir.path(), None).unwrap()) as Arc<dyn Store>)
}

fn pg_opener(pg: &TempPostgres) -> Box<dyn Fn() -> Arc<dyn Store>> {
    let url = pg.fresh_database();
    Box::new(move || Arc::new(PgStore::open(&url, None).unwrap()) as Arc<dyn Store>)
}

#[test]
fn conformance_on_sled() {
    conformance(&sled_opener);
}

#[test]
fn conformance_on_postgres() {
    let pg = TempPostgres::start();
    conformance(&|| pg_opener(&pg));
}

#[test]
fn postgres_nodes_share_one_database() {
    let pg = TempPostgres::start();
    let url = pg.fresh_database();
    // Three nodes start together on an empty database: the migrations run once.
    let nodes: Vec<Arc<dyn Store>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|_| s.spawn(|| Arc::new(PgStore::open(&url, None).unwrap()) as Arc<dyn Store>))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        pg.psql(&url, "SELECT count(*) FROM huntreg_migrations")
            .trim(),
        "3"
    );

    // Concurrent writers on every node take ids from one sequence and append versions
    // to one subject: no id twice, no version twice, no gap.
    let rt = runtime();
    let mut results: Vec<(u32, u32)> = rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..60u32 {
            let node = nodes[i as usize % 3].clone();
            tasks.push(tokio::spawn(async move {
                store::write(&*node, move |tx| {
                    let id = tx.next_id().unwrap();
                    tx.set_next_id(id + 1);
                    let mut hash = [0u8; 32];
                    hash[..4].copy_from_slice(&id.to_be_bytes());
                    tx.put_schema(&ctx(".h"), id, &schema_record("s", &hash), &hash)
                        .unwrap();
                    let s = subject(":.h:orders");
                    let version = tx.versions(&s).unwrap().last().map_or(1, |(v, _)| v + 1);
                    tx.put_version(&s, version, &version_record(id, false), &[])
                        .unwrap();
                    (id, version)
                })
                .await
                .unwrap()
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    results.sort_unstable();
    assert_eq!(results, (1..=60).map(|i| (i, i)).collect::<Vec<_>>());
    // Every node reads what any node acknowledged.
    for node in &nodes {
        assert_eq!(node.versions(&subject(":.h:orders")).unwrap().len(), 60);
        assert_eq!(node.next_id().unwrap(), 61);
    }
}

/// The removal count moves with a removed or re-pointed version only, and another node
/// answers the new count right after the writer's acknowledgement (from its lease, or
/// from the database).
#[test]
fn postgres_removal_count_moves_with_removals_only() {
    let pg = TempPostgres::start();
    let url = pg.fresh_database();
    let a: Arc<dyn Store> = Arc::new(PgStore::open(&url, None).unwrap());
    let b: Arc<dyn Store> = Arc::new(PgStore::open(&url, None).unwrap());
    let rt = runtime();
    let removals = |s: &Arc<dyn Store>| rt.block_on(s.committed_removals().unwrap()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (one, two) = ([7u8; 32], [8u8; 32]);
    write(&a, move |tx| {
        tx.put_schema(&ctx(""), 1, &schema_record("a", &one), &one)
            .unwrap();
        tx.put_schema(&ctx(""), 2, &schema_record("b", &two), &two)
            .unwrap();
        tx.put_version(&subject("x"), 1, &version_record(1, false), &[])
            .unwrap();
        tx.put_version(&subject("x"), 2, &version_record(2, false), &[])
            .unwrap();
    })
    .unwrap();
    assert_eq!((removals(&a), removals(&b)), (0, 0));
    // A soft delete (same id) is no removal.
    write(&a, |tx| {
        tx.put_version(&subject("x"), 2, &version_record(2, true), &[])
            .unwrap();
    })
    .unwrap();
    assert_eq!(removals(&b), 0);
    // A version re-pointed at another id is.
    write(&a, |tx| {
        tx.put_version(&subject("x"), 2, &version_record(1, true), &[])
            .unwrap();
    })
    .unwrap();
    assert_eq!(removals(&b), 1);
    for expected in 2..6u64 {
        let version = expected as u32 - 1;
        write(&a, move |tx| {
            tx.remove_version(&subject("x"), version, 1, &[]);
        })
        .unwrap();
        assert_eq!(removals(&b), expected, "right after the writer answered");
        assert_eq!(removals(&a), expected);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A node's row in `huntreg_nodes` is removed a minute after its lease ran out (every
/// start adds one; a killed node never removes its own), and a live node's row stays.
#[test]
fn postgres_forgets_nodes_whose_lease_ran_out_long_ago() {
    let pg = TempPostgres::start();
    let url = pg.fresh_database();
    let store: Arc<dyn Store> = Arc::new(PgStore::open(&url, None).unwrap());
    let rows = || pg.psql(&url, "SELECT node FROM huntreg_nodes ORDER BY node");
    pg.psql(
        &url,
        "INSERT INTO huntreg_nodes (node, lease_until, seen) VALUES \
         (-2, clock_timestamp() - interval '2 minutes', 0), \
         (-1, clock_timestamp() - interval '10 seconds', 0)",
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = rows();
        let nodes: Vec<&str> = now.lines().collect();
        if !nodes.contains(&"-2") && nodes.len() == 2 {
            // The recently expired row stays, beside the live node's own.
            assert!(nodes.contains(&"-1"), "{now}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "stale row kept or live row missing: {now}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    drop(store);
}

#[test]
fn postgres_constraints_back_the_promises() {
    let pg = TempPostgres::start();
    let url = pg.fresh_database();
    let store: Arc<dyn Store> = Arc::new(PgStore::open(&url, None).unwrap());
    let hash = [5u8; 32];
    let other = [6u8; 32];
    write(&store, move |tx| {
        tx.put_schema(&ctx(""), 1, &schema_record("a", &hash), &hash)
            .unwrap();
        tx.put_version(&subject("x"), 2, &version_record(1, false), &[])
            .unwrap();
    })
    .unwrap();

    // An id names one content in every context.
    let err = write(&store, move |tx| {
        tx.put_schema(&ctx(".h"), 1, &schema_record("b", &other), &other)
    })
    .unwrap_err();
    assert!(err.to_string().contains("foreign key"), "{err}");

    // A version is never inserted behind a newer one, nor twice.
    let err = write(&store, |tx| {
        tx.put_version(&subject("x"), 1, &version_record(1, false), &[])
    })
    .unwrap_err();
    assert!(err.to_string().contains("behind a newer version"), "{err}");
    // Except in IMPORT mode (Confluent takes any positive version there), set on the
    // subject or, as here, on its context.
    write(&store, move |tx| {
        let import = ModeRecord {
            v: 1,
            mode: "IMPORT".into(),
        };
        tx.put_mode("", Some(&import))?;
        tx.put_version(&subject("x"), 1, &version_record(1, false), &[])
    })
    .unwrap()
    .unwrap();
    assert_eq!(
        store
            .versions(&subject("x"))
            .unwrap()
            .iter()
            .map(|(v, _)| *v)
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
    write(&store, |tx| tx.put_mode("", None)).unwrap().unwrap();
    let dup = pg.psql(
        &url,
        "INSERT INTO huntreg_versions VALUES ('', 'x', 2, 1, false, NULL) \
         ON CONFLICT DO NOTHING RETURNING version",
    );
    assert_eq!(dup.trim(), "", "the primary key refuses a second version 2");

    // A version names a stored schema.
    let err = write(&store, |tx| {
        tx.put_version(&subject("y"), 1, &version_record(9, false), &[])
    })
    .unwrap_err();
    assert!(err.to_string().contains("foreign key"), "{err}");

    // The sequence refuses to run past the 4-byte limit, with words that say so; the
    // failed job leaves nothing behind.
    let err = write(&store, |tx| {
        tx.put_context(&ctx(".late"), true);
        tx.set_next_id(u32::MAX);
    })
    .unwrap_err();
    assert!(err.to_string().contains("id space is exhausted"), "{err}");
    assert_eq!(store.contexts().unwrap(), vec![]);
    let err = write(&store, move |tx| {
        tx.put_schema(&ctx(""), 1 << 31, &schema_record("c", &other), &other)
    })
    .unwrap_err();
    assert!(err.to_string().contains("id space is exhausted"), "{err}");
    // The largest id that fits is fine.
    write(&store, move |tx| {
        tx.put_schema(
            &ctx(""),
            i32::MAX as u32,
            &schema_record("c", &other),
            &other,
        )
        .unwrap();
        tx.set_next_id(1 << 31);
    })
    .unwrap();
}

#[test]
fn postgres_refuses_a_newer_database_and_notifies_changes() {
    let pg = TempPostgres::start();
    let url = pg.fresh_database();
    let a = PgStore::open(&url, None).unwrap();
    let b = PgStore::open(&url, None).unwrap();
    assert!(a.is_up(true));

    // A write on node A moves node B's change counter.
    let mut changes = b.changes();
    let rt = runtime();
    rt.block_on(async {
        // Wait for B's listener to be connected (the connection counts as a change).
        tokio::time::timeout(std::time::Duration::from_secs(10), changes.changed())
            .await
            .expect("the change listener connects")
            .unwrap();
        changes.mark_unchanged();
        store::write(&a, |tx| tx.put_context(&ctx(".h"), true))
            .await
            .unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(10), changes.changed())
            .await
            .expect("node B hears of node A's write")
            .unwrap();
    });
    drop((a, b));

    pg.psql(&url, "INSERT INTO huntreg_migrations (version) VALUES (99)");
    let err = PgStore::open(&url, None).unwrap_err().to_string();
    assert!(
        err.contains("schema is at version 99, newer than this huntreg knows"),
        "{err}"
    );
}

#[test]
fn postgres_down_fails_fast_and_recovers() {
    let pg = TempPostgres::start();
    let url = pg.fresh_database();
    let store: Arc<dyn Store> = Arc::new(PgStore::open(&url, None).unwrap());
    write(&store, |tx| tx.put_context(&ctx(".h"), true)).unwrap();
    pg.stop_immediate();
    let started = std::time::Instant::now();
    assert!(store.contexts().is_err());
    assert!(write(&store, |tx| tx.put_context(&ctx(".i"), true)).is_err());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(12),
        "requests fail within the deadline while the database is down"
    );
    pg.start_again();
    // The store reconnects by itself; what was acknowledged is there.
    let mut contexts = Err(StoreError::Closed);
    for _ in 0..50 {
        contexts = store.contexts();
        if contexts.is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(contexts.unwrap(), vec![ctx(".h")]);
    write(&store, |tx| tx.put_context(&ctx(".i"), true)).unwrap();
}

#[test]
fn export_and_import_between_sled_and_postgres() {
    let pg = TempPostgres::start();
    let dir = tempfile::tempdir().unwrap();
    let sled: Arc<dyn Store> = Arc::new(SledStore::open(dir.path(), None).unwrap());
    fill(&sled);
    let pg_store: Arc<dyn Store> = Arc::new(PgStore::open(&pg.fresh_database(), None).unwrap());
    copy(&sled, &pg_store);
    assert_eq!(dump(&sled), dump(&pg_store));
    let back_dir = tempfile::tempdir().unwrap();
    let back: Arc<dyn Store> = Arc::new(SledStore::open(back_dir.path(), None).unwrap());
    copy(&pg_store, &back);
    assert_eq!(dump(&back), dump(&sled));
}
