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

use server_support::{client, register_body, Server};

const NODES: usize = 3;
const NODE_KILLS: usize = 22;
const DATABASE_RESTARTS: usize = 2;
const WRITERS: usize = 4;

/// A registration a node answered 200 to.
#[derive(Debug, Clone)]
struct Ack {
    subject: String,
    schema: String,
    id: u64,
    version: u64,
}

/// A small deterministic generator (the seed is printed, so a failure can be replayed).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn encode_subject(subject: &str) -> String {
    subject.replace(':', "%3A").replace('/', "%2F")
}

/// Writer `w`'s `k`-th registration: its own subject, a subject every writer shares, or
/// content every writer sends identically.
fn request(w: usize, k: u64) -> (String, String) {
    match k % 3 {
        0 => (
            format!(":.hunt-{}:writer-{w}", w % 2),
            format!("syntax = \"proto3\";\npackage pgkill.w{w};\nmessage Event {{ string s{k} = 1; }}\n"),
        ),
        1 => (
            ":.hunt-shared:events".to_owned(),
            format!("syntax = \"proto3\";\npackage pgkill.shared;\nmessage Event {{ int64 w{w}_{k} = 1; }}\n"),
        ),
        _ => (
            ":.hunt-shared:dedup".to_owned(),
            format!("syntax = \"proto3\";\npackage pgkill.dedup;\nmessage Same {{ bool b{} = 1; }}\n", k / 12),
        ),
    }
}

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
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (w as u64 + 1));
    let mut found = Findings::default();
    while !stop.load(Ordering::SeqCst) {
        let k = next.fetch_add(1, Ordering::SeqCst);
        let (subject, schema) = request(w, k);
        let writer_node = rng.below(NODES as u64) as usize;
        let Some(url) = urls.lock().unwrap()[writer_node].clone() else {
            continue;
        };
        let sent = http
            .post(format!(
                "{url}/subjects/{}/versions",
                encode_subject(&subject)
            ))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .body(register_body(&schema))
            .send();
        let Ok(resp) = sent else { continue }; // the node was killed
        let status = resp.status().as_u16();
        let body = resp.text().unwrap_or_default();
        if status != 200 {
            // A database that is down or restarting is a 5xx; nothing else is expected.
            if status < 500 {
                found.unexpected.push(format!("{status} {subject}: {body}"));
            }
            continue;
        }
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let (Some(id), Some(version)) = (json["id"].as_u64(), json["version"].as_u64()) else {
            found
                .unexpected
                .push(format!("200 without id and version: {body}"));
            continue;
        };
        // Read your writes through another node, at once.
        let reader_node = (writer_node + 1 + rng.below(NODES as u64 - 1) as usize) % NODES;
        if let Some(other) = urls.lock().unwrap()[reader_node].clone() {
            let read = http
                .get(format!(
                    "{other}/subjects/{}/versions/{version}",
                    encode_subject(&subject)
                ))
                .send();
            if let Ok(read) = read {
                let status = read.status().as_u16();
                let body: serde_json::Value = read.json().unwrap_or_default();
                if status == 404 || (status == 200 && body["id"].as_u64() != Some(id)) {
                    found.stale.push(format!(
                        "{subject} v{version} id {id} from node {writer_node}; node {reader_node} said {status} {body}"
                    ));
                }
            }
        }
        found.acks.push(Ack {
            subject,
            schema,
            id,
            version,
        });
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

    // Every acknowledged write is there, on every node.
    let http = client();
    let mut lost = Vec::new();
    let mut content_of_id: HashMap<u64, String> = HashMap::new();
    for (i, ack) in found.acks.iter().enumerate() {
        let node = &nodes[i % NODES];
        let lookup = http
            .post(node.at(&format!("/subjects/{}", encode_subject(&ack.subject))))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .body(register_body(&ack.schema))
            .send()
            .unwrap();
        let status = lookup.status().as_u16();
        let body: serde_json::Value = lookup.json().unwrap_or_default();
        if status != 200
            || body["id"].as_u64() != Some(ack.id)
            || body["version"].as_u64() != Some(ack.version)
        {
            lost.push(format!("{ack:?} -> {status} {body}"));
            continue;
        }
        let text = body["schema"].as_str().unwrap_or_default().to_owned();
        let previous = content_of_id.entry(ack.id).or_insert_with(|| text.clone());
        if *previous != text {
            lost.push(format!("id {} names two schemas", ack.id));
        }
    }
    // Versions are exactly 1..=n, and every id names one schema.
    let subjects: Vec<String> = http
        .get(nodes[0].at("/subjects"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let mut gaps = Vec::new();
    let mut stored_versions = 0;
    let mut id_texts: HashMap<u64, String> = HashMap::new();
    let mut ids_naming_two = 0;
    for subject in &subjects {
        let versions: Vec<u64> = http
            .get(nodes[1].at(&format!("/subjects/{}/versions", encode_subject(subject))))
            .send()
            .unwrap()
            .json()
            .unwrap();
        if versions != (1..=versions.len() as u64).collect::<Vec<_>>() {
            gaps.push(format!("{subject}: {versions:?}"));
        }
        stored_versions += versions.len();
        for v in versions {
            let body: serde_json::Value = http
                .get(nodes[2].at(&format!(
                    "/subjects/{}/versions/{v}",
                    encode_subject(subject)
                )))
                .send()
                .unwrap()
                .json()
                .unwrap();
            let id = body["id"].as_u64().unwrap();
            let text = body["schema"].as_str().unwrap().to_owned();
            if *id_texts.entry(id).or_insert_with(|| text.clone()) != text {
                ids_naming_two += 1;
            }
        }
    }
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
