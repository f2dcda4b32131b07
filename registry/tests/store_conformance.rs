//! One store conformance suite, run against both backends: sled in a temporary directory
//! and PostgreSQL in a throwaway cluster (`support/pg.rs`). Then what only the shared
//! database has to show: several nodes on one database, the constraints behind the
//! registry's promises, migrations, change notifications, and export/import between the
//! two backends.

mod support {
    pub mod pg;
}

use std::sync::Arc;

use huntreg_registry::store::{
    self, import_record, ConfigRecord, ExportRecord, ModeRecord, PgStore, ReferenceRecord,
    SchemaRecord, SledStore, Store, StoreError, Txn, VersionRecord,
};
use huntreg_registry::types::{Context, Subject};
use support::pg::TempPostgres;

/// Opens a store of one backend, the same one every time (for reopening).
type Opener<'a> = &'a dyn Fn() -> Arc<dyn Store>;

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
    let cases: [(&str, fn(Opener<'_>)); 6] = [
        ("sequence and schemas", sequence_and_schemas),
        ("versions and listings", versions_and_listings),
        ("configs, modes and contexts", configs_modes_contexts),
        ("jobs serialized and durable", jobs_serialized_and_durable),
        ("a failing job writes nothing", failing_job_writes_nothing),
        ("export and import", export_and_import),
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
        // A soft delete is an update of the version in place.
        tx.put_version(&subject("b"), 10, &version_record(1, true), &[])
            .unwrap();
    })
    .unwrap();
    assert_eq!(store.usages(&ctx(".h"), 1).unwrap(), vec![]);
    assert_eq!(store.referrers(&subject(":.h:t"), 1).unwrap(), vec![]);
    assert_eq!(store.version(&subject(":.h:x"), 1).unwrap(), None);
    assert!(store.version(&subject("b"), 10).unwrap().unwrap().deleted);
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
        tx.set_next_id(3);
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
