//! Crash safety of several nodes on one PostgreSQL: three `huntreg serve --database-url`
//! nodes take concurrent registrations through all of them while random nodes are
//! SIGKILLed (and started again) and PostgreSQL itself is stopped immediately (no shutdown
//! checkpoint) and restarted. Every acknowledged registration must survive with its id
//! and content, no id may name two schemas, versions stay gap-free, and right after an
//! acknowledgement from one node every other node answers with the new version.

mod server_support;

#[path = "../../store/tests/support/pg.rs"]
mod pg;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use server_support::crash::{
    audit_acks, audit_versions, encode_subject, register, request, writer_client, Ack, Attempt,
    Rng, VersionAudit,
};
use server_support::{client, register_body, Server};

const NODES: usize = 3;
const NODE_KILLS: usize = 22;
const DATABASE_RESTARTS: usize = 2;
const WRITERS: usize = 4;

/// The nodes' current URLs (`None` while a node is down).
type Urls = Arc<Mutex<Vec<Option<String>>>>;

/// What the writers found.
#[derive(Default)]
struct Findings {
    acks: Vec<Ack>,
    stale: Vec<String>,
    unexpected: Vec<String>,
}

fn writer(w: usize, urls: Urls, next: Arc<AtomicU64>, stop: Arc<AtomicBool>) -> Findings {
    let http = writer_client(Duration::from_secs(20));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (w as u64 + 1));
    let mut found = Findings::default();
    while !stop.load(Ordering::SeqCst) {
        let k = next.fetch_add(1, Ordering::SeqCst);
        let (subject, schema) = request("pgkill", w, k);
        let writer_node = rng.below(NODES as u64) as usize;
        let Some(url) = urls.lock().unwrap()[writer_node].clone() else {
            continue;
        };
        let ack = match register(&http, &url, subject, schema) {
            Attempt::Acked(ack) => ack,
            // A database that is down or restarting is a 5xx; nothing else is expected.
            Attempt::Refused(status, what) => {
                if status < 500 {
                    found.unexpected.push(what);
                }
                continue;
            }
            Attempt::Gone => continue, // the node was killed
        };
        let Some(version) = ack.version else {
            found
                .unexpected
                .push(format!("200 without a version: {ack:?}"));
            continue;
        };
        // Read your writes through another node, at once.
        let reader_node = (writer_node + 1 + rng.below(NODES as u64 - 1) as usize) % NODES;
        if let Some(other) = urls.lock().unwrap()[reader_node].clone() {
            let read = http
                .get(format!(
                    "{other}/subjects/{}/versions/{version}",
                    encode_subject(&ack.subject)
                ))
                .send();
            if let Ok(read) = read {
                let status = read.status().as_u16();
                let body: serde_json::Value = read.json().unwrap_or_default();
                if status == 404 || (status == 200 && body["id"].as_u64() != Some(ack.id)) {
                    found.stale.push(format!(
                        "{} v{version} id {} from node {writer_node}; node {reader_node} said {status} {body}",
                        ack.subject, ack.id
                    ));
                }
            }
        }
        found.acks.push(ack);
    }
    found
}

#[test]
fn three_nodes_survive_sigkills_and_database_restarts() {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}");
    let mut rng = Rng(seed);
    let pg = pg::TempPostgres::start();
    let database = pg.fresh_database();
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "--default-compatibility",
        "NONE",
        "--database-url",
        database.as_str(),
    ];
    let start = |i: usize| Server::start(&tmp.path().join(format!("node-{i}")), &args);
    let mut nodes: Vec<Server> = (0..NODES).map(start).collect();
    let urls: Urls = Arc::new(Mutex::new(
        nodes.iter().map(|n| Some(n.url.clone())).collect(),
    ));
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (urls, next, stop) = (urls.clone(), next.clone(), stop.clone());
            std::thread::spawn(move || writer(w, urls, next, stop))
        })
        .collect();

    let restart_at: Vec<usize> = (1..=DATABASE_RESTARTS)
        .map(|i| i * NODE_KILLS / (DATABASE_RESTARTS + 1))
        .collect();
    let mut database_restarts = 0;
    for kill in 0..NODE_KILLS {
        std::thread::sleep(Duration::from_millis(100 + rng.below(300)));
        let victim = rng.below(NODES as u64) as usize;
        urls.lock().unwrap()[victim] = None;
        let dead = std::mem::replace(&mut nodes[victim], start(victim));
        dead.kill();
        urls.lock().unwrap()[victim] = Some(nodes[victim].url.clone());
        if restart_at.contains(&kill) {
            pg.restart_immediate();
            database_restarts += 1;
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let mut found = Findings::default();
    for w in writers {
        let f = w.join().unwrap();
        found.acks.extend(f.acks);
        found.stale.extend(f.stale);
        found.unexpected.extend(f.unexpected);
    }

    // Every acknowledged write is there, on every node; versions are exactly 1..=n, and
    // every id names one schema.
    let servers: Vec<&Server> = nodes.iter().collect();
    let lost = audit_acks(&servers, &found.acks, &mut HashMap::new());
    let VersionAudit {
        versions: stored_versions,
        gaps,
        ids_naming_two,
    } = audit_versions(&nodes[1], &nodes[2]);
    println!(
        "node kills: {NODE_KILLS}, database restarts: {database_restarts}, acknowledged writes: {}, \
         stored versions: {stored_versions}, lost: {}, ids naming two schemas: {ids_naming_two}, \
         version gaps: {}, stale reads after acknowledgement: {}, unexpected answers: {}",
        found.acks.len(),
        lost.len(),
        gaps.len(),
        found.stale.len(),
        found.unexpected.len()
    );
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:#?}");
    assert_eq!(ids_naming_two, 0);
    assert!(gaps.is_empty(), "version gaps: {gaps:#?}");
    assert!(found.stale.is_empty(), "stale reads: {:#?}", found.stale);
    assert!(
        found.unexpected.is_empty(),
        "unexpected answers: {:#?}",
        found.unexpected
    );
    assert_eq!(database_restarts, DATABASE_RESTARTS);
    assert!(
        found.acks.len() >= 50,
        "too few writes acknowledged to mean anything"
    );
}

#[test]
fn a_node_answers_quickly_while_the_database_is_down_and_recovers() {
    let pg = pg::TempPostgres::start();
    let database = pg.fresh_database();
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "--default-compatibility",
        "NONE",
        "--database-url",
        &database,
    ];
    let node = Server::start(tmp.path(), &args);
    let http = client();
    let register = |k: u32| {
        let schema =
            format!("syntax = \"proto3\";\npackage down;\nmessage M {{ string s{k} = 1; }}\n");
        http.post(node.at("/subjects/%3A.hunt-d%3Adown/versions"))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .body(register_body(&schema))
            .send()
            .unwrap()
    };
    assert_eq!(register(1).status().as_u16(), 200);
    assert_eq!(
        http.get(node.at("/ready"))
            .send()
            .unwrap()
            .status()
            .as_u16(),
        200
    );

    pg.stop_immediate();
    let started = std::time::Instant::now();
    let refused = register(2);
    let status = refused.status().as_u16();
    let body: serde_json::Value = refused.json().unwrap();
    assert!(status >= 500, "{status} {body}");
    assert!(
        body["error_code"].as_i64().is_some(),
        "Confluent JSON: {body}"
    );
    let listing = http.get(node.at("/subjects")).send().unwrap();
    assert!(listing.status().as_u16() >= 500);
    let ready = http.get(node.at("/ready")).send().unwrap();
    assert_eq!(ready.status().as_u16(), 503);
    let ready: serde_json::Value = ready.json().unwrap();
    assert_eq!(ready["error_code"], 50001, "{ready}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answers come within the store's deadline, not after a hang"
    );
    let metrics = http
        .get(node.at("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(metrics.contains("huntreg_store_up 0"), "{metrics}");

    pg.start_again();
    // The node reconnects by itself; what it acknowledged is there.
    let mut recovered = false;
    for _ in 0..100 {
        if http
            .get(node.at("/ready"))
            .send()
            .unwrap()
            .status()
            .as_u16()
            == 200
        {
            recovered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(recovered, "the node did not recover by itself");
    let versions: Vec<u64> = http
        .get(node.at("/subjects/%3A.hunt-d%3Adown/versions"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(versions, vec![1]);
    assert_eq!(register(3).status().as_u16(), 200);
    let metrics = http
        .get(node.at("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(metrics.contains("huntreg_store_up 1"), "{metrics}");
}
