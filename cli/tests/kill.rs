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

use server_support::crash::{
    audit_acks, audit_versions, register, request, writer_client, Ack, Attempt, Rng,
};
use server_support::{huntreg, Server};

const KILLS: usize = 24;
const WRITERS: usize = 4;

/// Registers until the server goes away; returns the acknowledged writes.
fn writer(
    url: String,
    w: usize,
    next: Arc<AtomicU64>,
    unexpected: Arc<Mutex<Vec<String>>>,
) -> Vec<Ack> {
    let http = writer_client(Duration::from_secs(10));
    let mut acks = Vec::new();
    loop {
        let k = next.fetch_add(1, Ordering::SeqCst);
        let (subject, schema) = request("kill", w, k);
        match register(&http, &url, subject, schema) {
            Attempt::Acked(ack) => acks.push(ack),
            Attempt::Refused(_, what) => unexpected.lock().unwrap().push(what),
            Attempt::Gone => return acks,
        }
    }
}

/// Checks every acknowledged write, and every subject's versions, against a freshly
/// restarted server; returns the writes lost.
fn verify(server: &Server, acks: &[Ack], content_of_id: &mut HashMap<u64, String>) -> usize {
    let lost = audit_acks(&[server], acks, content_of_id);
    for line in &lost {
        eprintln!("{line}");
    }
    let versions = audit_versions(server, server);
    assert!(
        versions.gaps.is_empty(),
        "version gaps: {:#?}",
        versions.gaps
    );
    assert_eq!(versions.ids_naming_two, 0, "an id names two schemas");
    lost.len()
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
    let versions = audit_versions(&server, &server).versions;
    let unexpected = unexpected.lock().unwrap();
    // Two acknowledgements share an id only for the same content in the same hunt.
    let mut by_id: BTreeMap<u64, Vec<&Ack>> = BTreeMap::new();
    for ack in &acked {
        by_id.entry(ack.id).or_default().push(ack);
    }
    for (id, acks) in &by_id {
        let hunts: std::collections::BTreeSet<&str> = acks.iter().map(|a| a.hunt()).collect();
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
