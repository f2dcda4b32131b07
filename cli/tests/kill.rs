//! Crash safety of the real server: concurrent registrations while the process is SIGKILLed
//! at random moments, again and again on the same data directory. Every acknowledged
//! registration must survive with its ID and content, no ID may be handed out twice, and
//! every subject's versions must stay gap-free. Also: a data directory that cannot be used
//! is reported clearly at start.

mod server_support;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use server_support::{client, huntreg, register_body, Server};

const KILLS: usize = 24;
const WRITERS: usize = 4;

/// A registration the server answered 200 to.
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
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn encode_subject(subject: &str) -> String {
    subject.replace(':', "%3A").replace('/', "%2F")
}

/// What writer `w` registers as its `k`-th request: its own subject in one of two hunts,
/// a subject every writer shares, and content every writer sends identically.
fn request(w: usize, k: u64) -> (String, String) {
    match k % 4 {
        0 | 1 => (
            format!(":.hunt-{}:writer-{w}", w % 2),
            format!("syntax = \"proto3\";\npackage kill.w{w};\nmessage Event {{ string s{k} = 1; }}\n"),
        ),
        2 => (
            ":.hunt-shared:events".to_owned(),
            format!("syntax = \"proto3\";\npackage kill.shared;\nmessage Event {{ int64 w{w}_{k} = 1; }}\n"),
        ),
        _ => (
            "dedup".to_owned(),
            format!("syntax = \"proto3\";\npackage kill.dedup;\nmessage Same {{ bool b{} = 1; }}\n", k / 16),
        ),
    }
}

/// Registers until the server goes away; returns the acknowledged writes.
fn writer(
    url: String,
    w: usize,
    next: Arc<AtomicU64>,
    unexpected: Arc<Mutex<Vec<String>>>,
) -> Vec<Ack> {
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut acks = Vec::new();
    loop {
        let k = next.fetch_add(1, Ordering::SeqCst);
        let (subject, schema) = request(w, k);
        let sent = http
            .post(format!(
                "{url}/subjects/{}/versions",
                encode_subject(&subject)
            ))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .body(register_body(&schema))
            .send();
        let Ok(resp) = sent else { return acks };
        let status = resp.status().as_u16();
        let Ok(body) = resp.text() else { return acks };
        if status != 200 {
            unexpected
                .lock()
                .unwrap()
                .push(format!("{status} {subject}: {body}"));
            continue;
        }
        let json: serde_json::Value = match serde_json::from_str(&body) {
            Ok(json) => json,
            Err(_) => {
                unexpected
                    .lock()
                    .unwrap()
                    .push(format!("unparsable 200 body {body:?}"));
                continue;
            }
        };
        match (json["id"].as_u64(), json["version"].as_u64()) {
            (Some(id), Some(version)) => acks.push(Ack {
                subject,
                schema,
                id,
                version,
            }),
            // Confluent's register answer may omit the version; fetch it by lookup later.
            (Some(id), None) => acks.push(Ack {
                subject,
                schema,
                id,
                version: 0,
            }),
            _ => unexpected
                .lock()
                .unwrap()
                .push(format!("200 without id: {body}")),
        }
    }
}

/// Checks every acknowledged write against a freshly restarted server.
fn verify(server: &Server, acks: &[Ack], content_of_id: &mut HashMap<u64, String>) -> usize {
    let http = client();
    let mut lost = 0;
    for ack in acks {
        let lookup = http
            .post(server.at(&format!("/subjects/{}", encode_subject(&ack.subject))))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .body(register_body(&ack.schema))
            .send()
            .unwrap();
        let status = lookup.status().as_u16();
        let body: serde_json::Value = lookup.json().unwrap_or_default();
        if status != 200 || body["id"].as_u64() != Some(ack.id) {
            eprintln!("LOST: {ack:?} -> {status} {body}");
            lost += 1;
            continue;
        }
        if ack.version != 0 {
            assert_eq!(
                body["version"].as_u64(),
                Some(ack.version),
                "{ack:?} -> {body}"
            );
        }
        let by_id: serde_json::Value = http
            .get(server.at(&format!(
                "/schemas/ids/{}?subject={}",
                ack.id,
                encode_subject(&ack.subject)
            )))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let text = by_id["schema"].as_str().unwrap_or_default().to_owned();
        assert_eq!(
            body["schema"].as_str(),
            Some(text.as_str()),
            "content of id {}",
            ack.id
        );
        let previous = content_of_id.entry(ack.id).or_insert_with(|| text.clone());
        assert_eq!(
            *previous, text,
            "id {} was reused for different content",
            ack.id
        );
    }
    lost
}

/// Versions of every subject are exactly 1..=n.
fn assert_gap_free(server: &Server) -> usize {
    let http = client();
    let subjects: Vec<String> = http
        .get(server.at("/subjects"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let mut versions_seen = 0;
    for subject in &subjects {
        let versions: Vec<u64> = http
            .get(server.at(&format!("/subjects/{}/versions", encode_subject(subject))))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let expected: Vec<u64> = (1..=versions.len() as u64).collect();
        assert_eq!(versions, expected, "versions of {subject} have a gap");
        versions_seen += versions.len();
    }
    versions_seen
}

#[test]
fn acknowledged_registrations_survive_sigkill() {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}");
    let mut rng = Rng(seed);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let args = ["--default-compatibility", "NONE"];
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let unexpected = Arc::new(Mutex::new(Vec::new()));
    let mut acked: Vec<Ack> = Vec::new();
    let mut content_of_id = HashMap::new();
    let mut lost = 0;
    let mut kills = 0;
    let mut verified = 0;

    while kills < KILLS {
        let server = Server::start(&dir, &args);
        // What the previous round acknowledged must be there (all of it is checked again
        // at the end).
        lost += verify(&server, &acked[verified..], &mut content_of_id);
        verified = acked.len();
        assert_gap_free(&server);

        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (url, next, unexpected) =
                    (server.url.clone(), next.clone(), unexpected.clone());
                std::thread::spawn(move || writer(url, w, next, unexpected))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20 + rng.below(400)));
        server.kill();
        kills += 1;
        for handle in handles {
            acked.extend(handle.join().unwrap());
        }
        assert!(
            started.elapsed() < Duration::from_secs(110),
            "too slow: {kills} kills so far"
        );
    }

    let server = Server::start(&dir, &args);
    lost += verify(&server, &acked, &mut content_of_id);
    let versions = assert_gap_free(&server);
    let unexpected = unexpected.lock().unwrap();
    // Two acknowledgements share an id only for the same content in the same hunt.
    let mut by_id: BTreeMap<u64, Vec<&Ack>> = BTreeMap::new();
    for ack in &acked {
        by_id.entry(ack.id).or_default().push(ack);
    }
    for (id, acks) in &by_id {
        let hunts: std::collections::BTreeSet<&str> = acks
            .iter()
            .map(|a| a.subject.split(':').nth(1).unwrap_or("."))
            .collect();
        assert_eq!(
            hunts.len(),
            1,
            "id {id} was handed out in several hunts: {acks:?}"
        );
    }
    println!(
        "kills: {kills}, acknowledged writes: {}, distinct ids: {}, stored versions: {versions}, lost writes: {lost}, unexpected answers: {}",
        acked.len(),
        by_id.len(),
        unexpected.len()
    );
    assert!(unexpected.is_empty(), "unexpected answers: {unexpected:?}");
    assert_eq!(lost, 0, "acknowledged writes were lost");
    assert!(
        acked.len() >= KILLS,
        "too few writes acknowledged to mean anything"
    );
}

#[test]
fn an_unusable_data_dir_is_a_clear_error_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    // A data directory below a regular file cannot be created.
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, "not a directory").unwrap();
    let err = Server::try_start(&file.join("data"), &[])
        .err()
        .expect("must not start");
    assert!(
        err.contains("plain-file"),
        "the error names the path: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    // A store whose files are garbage is refused, not served.
    let dir = tmp.path().join("corrupt");
    Server::start(&dir, &[]).stop();
    let mut damaged = 0;
    for entry in walk(&dir) {
        std::fs::write(&entry, vec![0xA5; 4096]).unwrap();
        damaged += 1;
    }
    assert!(damaged > 0);
    let err = Server::try_start(&dir, &[])
        .err()
        .expect("a corrupt store must not be served");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(&*dir.to_string_lossy()),
        "the error names the store: {err}"
    );

    // A data directory that is a file.
    let out = huntreg()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("plain-file"),
        "{out:?}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
