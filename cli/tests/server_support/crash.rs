//! The crash tests' shared workload and audit (`kill.rs` on one sled node, `pg_crash.rs` on
//! several PostgreSQL nodes): what concurrent writers register, how an acknowledgement is
//! recorded, and how a restarted registry is checked for lost writes, IDs naming two
//! schemas and version gaps.

use std::collections::HashMap;
use std::time::Duration;

use super::{client, register_body, Server};

/// A registration a server answered 200 to.
#[derive(Debug, Clone)]
pub(crate) struct Ack {
    /// The subject as sent (qualified with its hunt, or in the default context).
    pub(crate) subject: String,
    /// The schema text as sent.
    pub(crate) schema: String,
    /// The ID the answer named.
    pub(crate) id: u64,
    /// The version the answer named, when it named one (Confluent's register answer may
    /// omit it).
    pub(crate) version: Option<u64>,
}

impl Ack {
    /// The hunt the subject belongs to (`.` for the default context).
    pub(crate) fn hunt(&self) -> &str {
        self.subject.split(':').nth(1).unwrap_or(".")
    }
}

/// A small deterministic generator (the seed is printed, so a failure can be replayed).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// The next value of the xorshift sequence.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A subject as one path segment.
pub(crate) fn encode_subject(subject: &str) -> String {
    subject.replace(':', "%3A").replace('/', "%2F")
}

/// What writer `w` registers as its `k`-th request, under proto package `package`: its own
/// subject in one of two hunts, a subject every writer shares, and content every writer
/// sends identically (in the default context, so IDs are handed out in three contexts).
pub(crate) fn request(package: &str, w: usize, k: u64) -> (String, String) {
    match k % 4 {
        0 | 1 => (
            format!(":.hunt-{}:writer-{w}", w % 2),
            format!("syntax = \"proto3\";\npackage {package}.w{w};\nmessage Event {{ string s{k} = 1; }}\n"),
        ),
        2 => (
            ":.hunt-shared:events".to_owned(),
            format!("syntax = \"proto3\";\npackage {package}.shared;\nmessage Event {{ int64 w{w}_{k} = 1; }}\n"),
        ),
        _ => (
            "dedup".to_owned(),
            format!("syntax = \"proto3\";\npackage {package}.dedup;\nmessage Same {{ bool b{} = 1; }}\n", k / 16),
        ),
    }
}

/// How one registration attempt ended.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// 200 with an ID.
    Acked(Ack),
    /// Any other answer: the status and a line saying what it was.
    Refused(u16, String),
    /// No answer: the server went away (killed) or the request timed out.
    Gone,
}

/// The HTTP client a writer uses: a request never outlives `timeout`.
pub(crate) fn writer_client(timeout: Duration) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .build()
        .expect("client")
}

/// Registers `schema` under `subject` at the registry at `url`.
pub(crate) fn register(
    http: &reqwest::blocking::Client,
    url: &str,
    subject: String,
    schema: String,
) -> Attempt {
    let sent = http
        .post(format!(
            "{url}/subjects/{}/versions",
            encode_subject(&subject)
        ))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(register_body(&schema))
        .send();
    let Ok(resp) = sent else { return Attempt::Gone };
    let status = resp.status().as_u16();
    let Ok(body) = resp.text() else {
        return Attempt::Gone;
    };
    if status != 200 {
        return Attempt::Refused(status, format!("{status} {subject}: {body}"));
    }
    let json: serde_json::Value = match serde_json::from_str(&body) {
        Ok(json) => json,
        Err(_) => return Attempt::Refused(status, format!("unparsable 200 body {body:?}")),
    };
    match json["id"].as_u64() {
        Some(id) => Attempt::Acked(Ack {
            subject,
            schema,
            id,
            version: json["version"].as_u64(),
        }),
        None => Attempt::Refused(status, format!("200 without id: {body}")),
    }
}

/// Checks acknowledged writes against running servers (ack `i` through `servers[i % n]`):
/// each must be found by content under its subject with its ID (and version, when the
/// answer named one), and every ID must name one text wherever it is read. Returns what
/// was lost or contradicted, one line each; `content_of_id` carries the texts seen across
/// calls.
pub(crate) fn audit_acks(
    servers: &[&Server],
    acks: &[Ack],
    content_of_id: &mut HashMap<u64, String>,
) -> Vec<String> {
    let http = client();
    let mut lost = Vec::new();
    for (i, ack) in acks.iter().enumerate() {
        let server = servers[i % servers.len()];
        let lookup = http
            .post(server.at(&format!("/subjects/{}", encode_subject(&ack.subject))))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .body(register_body(&ack.schema))
            .send()
            .unwrap();
        let status = lookup.status().as_u16();
        let body: serde_json::Value = lookup.json().unwrap_or_default();
        if status != 200
            || body["id"].as_u64() != Some(ack.id)
            || ack
                .version
                .is_some_and(|v| body["version"].as_u64() != Some(v))
        {
            lost.push(format!("LOST: {ack:?} -> {status} {body}"));
            continue;
        }
        let text = body["schema"].as_str().unwrap_or_default().to_owned();
        let by_id: serde_json::Value = http
            .get(server.at(&format!(
                "/schemas/ids/{}?subject={}",
                ack.id,
                encode_subject(&ack.subject)
            )))
            .send()
            .unwrap()
            .json()
            .unwrap_or_default();
        if by_id["schema"].as_str() != Some(text.as_str()) {
            lost.push(format!(
                "id {} reads {by_id} by ID but {text:?} by content",
                ack.id
            ));
        }
        let previous = content_of_id.entry(ack.id).or_insert_with(|| text.clone());
        if *previous != text {
            lost.push(format!("id {} names two schemas", ack.id));
        }
    }
    lost
}

/// What [`audit_versions`] found over every subject.
#[derive(Debug, Default)]
pub(crate) struct VersionAudit {
    /// Versions stored, over every subject.
    pub(crate) versions: usize,
    /// Subjects whose versions are not exactly `1..=n`, with the list.
    pub(crate) gaps: Vec<String>,
    /// IDs whose versions carry different texts.
    pub(crate) ids_naming_two: usize,
}

/// Lists every subject and its versions through `lister`, and reads every version through
/// `reader` (they may be different nodes of one database).
pub(crate) fn audit_versions(lister: &Server, reader: &Server) -> VersionAudit {
    let http = client();
    let subjects: Vec<String> = http
        .get(lister.at("/subjects"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let mut audit = VersionAudit::default();
    let mut id_texts: HashMap<u64, String> = HashMap::new();
    for subject in &subjects {
        let versions: Vec<u64> = http
            .get(lister.at(&format!("/subjects/{}/versions", encode_subject(subject))))
            .send()
            .unwrap()
            .json()
            .unwrap();
        if versions != (1..=versions.len() as u64).collect::<Vec<_>>() {
            audit.gaps.push(format!("{subject}: {versions:?}"));
        }
        audit.versions += versions.len();
        for v in versions {
            let body: serde_json::Value = http
                .get(reader.at(&format!(
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
                audit.ids_naming_two += 1;
            }
        }
    }
    audit
}
