//! A property test of the two promises, against the real `huntreg serve` with
//! `--auth-config`: random sequences of registrations, explicit-ID imports, lookups,
//! compatibility checks, soft and hard deletes, config and mode changes, across three
//! hunts and the default context, by principals with random grants. After every step:
//!
//! * every ID ever handed out names exactly one schema, under every lookup form (text and
//!   `format=serialized`, with and without a subject), and the one it first named;
//! * no request changed a hunt in which its principal lacked the needed grant;
//! * a denied request's status and body are those of the same request aimed at a target
//!   that does not exist;
//! * nothing answers 5xx.

mod server_support;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use server_support::{hash_secret, As, Server};

/// The hunts under test: three named ones and the default context (`.`).
const HUNTS: [&str; 4] = ["hunt-a", "hunt-b", "hunt-c", "."];
const SUBJECTS: [&str; 3] = ["s0", "s1", "s2"];
/// Grants a principal may hold on one hunt.
const ACTIONS: [Option<&str>; 4] = [None, Some("read"), Some("write"), Some("admin")];
const PRINCIPALS: usize = 5;

/// What a principal may do on each hunt (index into [`HUNTS`]), and on every hunt at once.
#[derive(Debug, Clone)]
struct Grants {
    per_hunt: [u8; 4],
    everywhere: u8,
}

impl Grants {
    /// 0 none, 1 read, 2 write, 3 admin.
    fn level(&self, hunt: usize) -> u8 {
        self.per_hunt[hunt].max(self.everywhere)
    }
}

/// Writes an auth config: principals `p0`…`p4` with `grants`, and `ops` (admin everywhere),
/// who takes the snapshots. Every password is the principal's name.
fn auth_config(dir: &std::path::Path, grants: &[Grants]) -> std::path::PathBuf {
    let mut out = String::new();
    for (i, g) in grants.iter().enumerate() {
        let mut rules = Vec::new();
        for (h, hunt) in HUNTS.iter().enumerate() {
            if let Some(action) = ACTIONS[usize::from(g.per_hunt[h])] {
                rules.push(format!(
                    "{{ hunts = [\"{hunt}\"], actions = [\"{action}\"] }}"
                ));
            }
        }
        if let Some(action) = ACTIONS[usize::from(g.everywhere)] {
            rules.push(format!("{{ hunts = [\"*\"], actions = [\"{action}\"] }}"));
        }
        out.push_str(&format!(
            "[[principals]]\nname = \"p{i}\"\npassword_hash = \"{}\"\ngrants = [{}]\n\n",
            hash_secret(&format!("p{i}")),
            rules.join(", ")
        ));
    }
    out.push_str(&format!(
        "[[principals]]\nname = \"ops\"\npassword_hash = \"{}\"\ngrants = [{{ hunts = [\"*\"], actions = [\"admin\"] }}]\n",
        hash_secret("ops")
    ));
    let path = dir.join("auth.toml");
    std::fs::write(&path, out).unwrap();
    path
}

/// One schema of a small family: some pairs compatible, some not (a field changes type),
/// some importing the hunt's `common.proto`.
fn schema_text(variant: u8, with_import: bool) -> String {
    let mut fields = vec![format!(
        "  {} f1 = 1;",
        if variant % 3 == 2 { "string" } else { "int32" }
    )];
    if variant & 1 == 1 {
        fields.push("  string f2 = 2;".into());
    }
    if variant & 4 == 4 {
        fields.push("  repeated int64 f3 = 3;".into());
    }
    let import = if with_import {
        fields.push("  common.v1.Coin coin = 9;".into());
        "import \"common.proto\";\n"
    } else {
        ""
    };
    format!(
        "syntax = \"proto3\";\npackage prop.v1;\n{import}\nmessage M {{\n{}\n}}\n",
        fields.join("\n")
    )
}

const COMMON: &str =
    "syntax = \"proto3\";\npackage common.v1;\n\nmessage Coin {\n  uint32 value = 1;\n}\n";

/// How a request names a subject of a hunt.
#[derive(Debug, Clone, Copy)]
enum Spelling {
    /// `/subjects/:.hunt:s` (the default context: `:.:s`).
    Qualified,
    /// `/contexts/.hunt/subjects/s` (the default context: `/contexts/:.:/`).
    Prefix,
    /// `/subjects/s`: the default context, with Confluent's fallback to other hunts on reads.
    Bare,
}

fn subject_path(hunt: usize, subject: &str, spelling: Spelling) -> String {
    let h = HUNTS[hunt];
    match (spelling, h) {
        (Spelling::Bare, _) => format!("/subjects/{subject}"),
        (Spelling::Qualified, ".") => format!("/subjects/:.:{subject}"),
        (Spelling::Qualified, h) => format!("/subjects/:.{h}:{subject}"),
        (Spelling::Prefix, ".") => format!("/contexts/:.:/subjects/{subject}"),
        (Spelling::Prefix, h) => format!("/contexts/.{h}/subjects/{subject}"),
    }
}

/// The hunt a path acts on (for the bare spelling, the default context).
fn hunt_of(hunt: usize, spelling: Spelling) -> usize {
    match spelling {
        Spelling::Bare => 3,
        _ => hunt,
    }
}

fn qualified(hunt: usize, subject: &str) -> String {
    match HUNTS[hunt] {
        "." => format!(":.:{subject}"),
        h => format!(":.{h}:{subject}"),
    }
}

/// A reference to `common.proto` of some hunt, at a version (`-1` = latest).
#[derive(Debug, Clone, Copy)]
struct Reference {
    hunt: usize,
    version: i64,
}

#[derive(Debug, Clone)]
enum Op {
    Register {
        hunt: usize,
        subject: usize,
        spelling: Spelling,
        variant: u8,
        reference: Option<Reference>,
    },
    Import {
        hunt: usize,
        subject: usize,
        variant: u8,
        /// An ID already handed out (index into the known ones), or a fresh one.
        id: Result<usize, u32>,
        version: u8,
    },
    Check {
        hunt: usize,
        subject: usize,
        spelling: Spelling,
        variant: u8,
        reference: Option<Reference>,
    },
    Lookup {
        hunt: usize,
        subject: usize,
        spelling: Spelling,
        variant: u8,
        reference: Option<Reference>,
    },
    DeleteVersion {
        hunt: usize,
        subject: usize,
        version: u8,
        permanent: bool,
    },
    DeleteSubject {
        hunt: usize,
        subject: usize,
        permanent: bool,
    },
    Mode {
        hunt: usize,
        subject: Option<usize>,
        import: bool,
    },
    Config {
        hunt: usize,
        subject: Option<usize>,
        level: usize,
    },
}

fn spelling() -> impl Strategy<Value = Spelling> {
    prop_oneof![
        3 => Just(Spelling::Qualified),
        2 => Just(Spelling::Prefix),
        1 => Just(Spelling::Bare),
    ]
}

fn reference() -> impl Strategy<Value = Option<Reference>> {
    prop::option::weighted(
        0.4,
        (
            0..4usize,
            prop_oneof![Just(-1i64), Just(1), Just(2), Just(7)],
        )
            .prop_map(|(hunt, version)| Reference { hunt, version }),
    )
}

fn op() -> impl Strategy<Value = Op> {
    let h = 0..4usize;
    let s = 0..3usize;
    prop_oneof![
        4 => (h.clone(), s.clone(), spelling(), 0..8u8, reference()).prop_map(
            |(hunt, subject, spelling, variant, reference)| Op::Register { hunt, subject, spelling, variant, reference }
        ),
        3 => (h.clone(), s.clone(), 0..8u8, prop_oneof![(0..64usize).prop_map(Ok), (1..50u32).prop_map(Err)], 1..4u8).prop_map(
            |(hunt, subject, variant, id, version)| Op::Import { hunt, subject, variant, id, version }
        ),
        2 => (h.clone(), s.clone(), spelling(), 0..8u8, reference()).prop_map(
            |(hunt, subject, spelling, variant, reference)| Op::Check { hunt, subject, spelling, variant, reference }
        ),
        2 => (h.clone(), s.clone(), spelling(), 0..8u8, reference()).prop_map(
            |(hunt, subject, spelling, variant, reference)| Op::Lookup { hunt, subject, spelling, variant, reference }
        ),
        2 => (h.clone(), s.clone(), 1..4u8, any::<bool>()).prop_map(
            |(hunt, subject, version, permanent)| Op::DeleteVersion { hunt, subject, version, permanent }
        ),
        1 => (h.clone(), s.clone(), any::<bool>()).prop_map(
            |(hunt, subject, permanent)| Op::DeleteSubject { hunt, subject, permanent }
        ),
        2 => (h.clone(), prop::option::of(s.clone()), any::<bool>()).prop_map(
            |(hunt, subject, import)| Op::Mode { hunt, subject, import }
        ),
        1 => (h, prop::option::of(s), 0..3usize).prop_map(
            |(hunt, subject, level)| Op::Config { hunt, subject, level }
        ),
    ]
}

/// A request: method, path, body; and the hunts it may change with the action that takes.
#[derive(Debug, Clone)]
struct Request {
    method: &'static str,
    path: String,
    body: Option<Value>,
}

struct Harness {
    server: Server,
    grants: Vec<Grants>,
    /// Every ID seen, with the text and descriptor it named when first seen.
    ids: BTreeMap<u64, (Value, Value)>,
    fresh: u32,
}

impl Harness {
    fn send(&self, who: &str, req: &Request) -> (u16, Value) {
        let body = req.body.as_ref().map(Value::to_string);
        let (status, body) = self
            .server
            .send(As::user(who), req.method, &req.path, body.as_deref())
            .pair();
        assert!(
            status < 500,
            "{} {} answered {status}: {body}",
            req.method,
            req.path
        );
        (status, body)
    }

    fn ops(&self, method: &'static str, path: String) -> (u16, Value) {
        self.send(
            "ops",
            &Request {
                method,
                path,
                body: None,
            },
        )
    }

    /// Everything observable about one hunt: its subjects, their versions (live and
    /// soft-deleted) with their IDs, and its config and mode at every scope.
    fn snapshot(&self, hunt: usize) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        let ctx = qualified(hunt, "");
        for what in ["config", "mode"] {
            out.insert(
                format!("{what} {ctx}"),
                self.ops("GET", format!("/{what}/{ctx}")).1,
            );
        }
        let (_, subjects) = self.ops(
            "GET",
            format!("/subjects?deleted=true&subjectPrefix={}", urlencode(&ctx)),
        );
        for subject in subjects.as_array().into_iter().flatten() {
            let subject = subject.as_str().unwrap().to_owned();
            let enc = urlencode(&subject);
            for what in ["config", "mode"] {
                out.insert(
                    format!("{what} {subject}"),
                    self.ops("GET", format!("/{what}/{enc}")).1,
                );
            }
            let (_, live) = self.ops("GET", format!("/subjects/{enc}/versions"));
            out.insert(format!("live {subject}"), live);
            let (_, all) = self.ops("GET", format!("/subjects/{enc}/versions?deleted=true"));
            for v in all.as_array().into_iter().flatten() {
                let (_, body) =
                    self.ops("GET", format!("/subjects/{enc}/versions/{v}?deleted=true"));
                out.insert(format!("version {subject} {v}"), body["id"].clone());
            }
        }
        out
    }

    fn snapshots(&self) -> Vec<BTreeMap<String, Value>> {
        (0..HUNTS.len()).map(|h| self.snapshot(h)).collect()
    }

    /// Checks every known ID under every lookup form; learns IDs from the snapshots.
    fn check_ids(&mut self, snapshots: &[BTreeMap<String, Value>]) {
        let mut holders: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
        for snap in snapshots {
            for (key, id) in snap {
                if let (Some(rest), Some(id)) = (key.strip_prefix("version "), id.as_u64()) {
                    let subject = rest.rsplit_once(' ').unwrap().0.to_owned();
                    holders.entry(id).or_default().insert(subject);
                    self.ids.entry(id).or_insert((Value::Null, Value::Null));
                }
            }
        }
        let known: Vec<u64> = self.ids.keys().copied().collect();
        for id in known {
            let (status, text) = self.ops("GET", format!("/schemas/ids/{id}"));
            let (_, serialized) = self.ops("GET", format!("/schemas/ids/{id}?format=serialized"));
            if status == 404 {
                continue;
            }
            let entry = self.ids.get_mut(&id).unwrap();
            if entry.0.is_null() {
                *entry = (text["schema"].clone(), serialized["schema"].clone());
            }
            let (first_text, first_descriptor) = entry.clone();
            assert_eq!(text["schema"], first_text, "id {id} changed what it names");
            assert_eq!(
                serialized["schema"], first_descriptor,
                "id {id} changed its descriptor"
            );
            let (_, raw) = self.ops("GET", format!("/schemas/ids/{id}/schema"));
            assert_eq!(raw, first_text, "id {id}: /schema");
            for subject in holders.get(&id).into_iter().flatten() {
                for format in ["", "&format=serialized"] {
                    let (status, body) = self.ops(
                        "GET",
                        format!("/schemas/ids/{id}?subject={}{format}", urlencode(subject)),
                    );
                    assert_eq!(status, 200, "id {id} with subject {subject}: {body}");
                    let want = if format.is_empty() {
                        &first_text
                    } else {
                        &first_descriptor
                    };
                    assert_eq!(
                        &body["schema"], want,
                        "id {id} with subject {subject}{format}"
                    );
                }
            }
        }
    }

    /// The request an op makes, and the same request aimed at targets that do not exist.
    fn request(&mut self, op: &Op) -> (Request, Request, Vec<(usize, u8)>) {
        let register_body = |variant: u8, reference: Option<Reference>, absent: bool| {
            let mut body = json!({"schemaType": "PROTOBUF", "schema": schema_text(variant, reference.is_some())});
            if let Some(r) = reference {
                let name = if absent {
                    "absent.proto"
                } else {
                    "common.proto"
                };
                body["references"] = json!([{"name": "common.proto",
                    "subject": qualified(r.hunt, name), "version": r.version}]);
            }
            body
        };
        let absent_subject = "zz-absent";
        // A context-level setting has no target that could be absent: its twin is itself.
        let settings = |what: &str, hunt: usize, subject: Option<usize>, body: Value| {
            let path = |s: &str| format!("/{what}/{}", urlencode(&qualified(hunt, s)));
            let req = Request {
                method: "PUT",
                path: path(subject.map_or("", |s| SUBJECTS[s])),
                body: Some(body.clone()),
            };
            let twin = match subject {
                Some(_) => Request {
                    method: "PUT",
                    path: path(absent_subject),
                    body: Some(body),
                },
                None => req.clone(),
            };
            (req, twin, vec![(hunt, 3)])
        };
        match *op {
            Op::Register {
                hunt,
                subject,
                spelling,
                variant,
                reference,
            }
            | Op::Check {
                hunt,
                subject,
                spelling,
                variant,
                reference,
            }
            | Op::Lookup {
                hunt,
                subject,
                spelling,
                variant,
                reference,
            } => {
                let path = |s: &str| {
                    let base = subject_path(hunt, s, spelling);
                    match op {
                        Op::Register { .. } => format!("{base}/versions"),
                        Op::Check { .. } => format!(
                            "{}/versions?verbose=true",
                            base.replacen("/subjects/", "/compatibility/subjects/", 1)
                        ),
                        _ => base,
                    }
                };
                let changes = match op {
                    Op::Register { .. } => vec![(hunt_of(hunt, spelling), 2)],
                    _ => Vec::new(),
                };
                (
                    Request {
                        method: "POST",
                        path: path(SUBJECTS[subject]),
                        body: Some(register_body(variant, reference, false)),
                    },
                    Request {
                        method: "POST",
                        path: path(absent_subject),
                        body: Some(register_body(variant, reference, true)),
                    },
                    changes,
                )
            }
            Op::Import {
                hunt,
                subject,
                variant,
                id,
                version,
            } => {
                let id = match id {
                    Ok(i) if !self.ids.is_empty() => {
                        *self.ids.keys().nth(i % self.ids.len()).unwrap()
                    }
                    Ok(_) | Err(_) => {
                        self.fresh += 1;
                        u64::from(1000 + self.fresh + id.err().unwrap_or(0))
                    }
                };
                let mut body = register_body(variant, None, false);
                body["id"] = json!(id);
                body["version"] = json!(version);
                let path =
                    |s: &str| format!("{}/versions", subject_path(hunt, s, Spelling::Qualified));
                (
                    Request {
                        method: "POST",
                        path: path(SUBJECTS[subject]),
                        body: Some(body.clone()),
                    },
                    Request {
                        method: "POST",
                        path: path(absent_subject),
                        body: Some(body),
                    },
                    vec![(hunt, 2)],
                )
            }
            Op::DeleteVersion {
                hunt,
                subject,
                version,
                permanent,
            } => {
                let path = |s: &str, v: u8| {
                    format!(
                        "{}/versions/{v}?permanent={permanent}",
                        subject_path(hunt, s, Spelling::Qualified)
                    )
                };
                (
                    Request {
                        method: "DELETE",
                        path: path(SUBJECTS[subject], version),
                        body: None,
                    },
                    Request {
                        method: "DELETE",
                        path: path(absent_subject, version + 50),
                        body: None,
                    },
                    vec![(hunt, 3)],
                )
            }
            Op::DeleteSubject {
                hunt,
                subject,
                permanent,
            } => {
                let path = |s: &str| {
                    format!(
                        "{}?permanent={permanent}",
                        subject_path(hunt, s, Spelling::Qualified)
                    )
                };
                (
                    Request {
                        method: "DELETE",
                        path: path(SUBJECTS[subject]),
                        body: None,
                    },
                    Request {
                        method: "DELETE",
                        path: path(absent_subject),
                        body: None,
                    },
                    vec![(hunt, 3)],
                )
            }
            Op::Mode {
                hunt,
                subject,
                import,
            } => {
                let body = json!({"mode": if import { "IMPORT" } else { "READWRITE" }});
                settings("mode", hunt, subject, body)
            }
            Op::Config {
                hunt,
                subject,
                level,
            } => {
                let level = ["NONE", "BACKWARD", "FULL_TRANSITIVE"][level];
                settings("config", hunt, subject, json!({"compatibility": level}))
            }
        }
    }

    fn step(&mut self, who: usize, op: &Op) -> Result<(), TestCaseError> {
        let before = self.snapshots();
        let (req, twin, needs) = self.request(op);
        let principal = format!("p{who}");
        let (status, body) = self.send(&principal, &req);
        let after = self.snapshots();
        let grants = &self.grants[who];
        for (hunt, (b, a)) in before.iter().zip(&after).enumerate() {
            if b != a {
                let needed = needs
                    .iter()
                    .find(|(h, _)| *h == hunt)
                    .map(|(_, level)| *level);
                prop_assert!(
                    needed.is_some_and(|level| grants.level(hunt) >= level),
                    "{principal} ({grants:?}) changed {} with {op:?} ({status} {body})",
                    HUNTS[hunt]
                );
            }
        }
        if status == 401 || status == 403 {
            for (hunt, (b, a)) in before.iter().zip(&after).enumerate() {
                prop_assert_eq!(b, a, "a denied request changed {}", HUNTS[hunt]);
            }
            let (twin_status, twin_body) = self.send(&principal, &twin);
            prop_assert_eq!(
                (status, &body),
                (twin_status, &twin_body),
                "a denial that depends on existence: {:?} vs {:?}",
                req,
                twin
            );
        }
        self.check_ids(&after);
        Ok(())
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn ids_name_one_schema_and_grants_are_walls() {
    let mut runner = TestRunner::new(Config {
        cases: 12,
        max_shrink_iters: 16,
        failure_persistence: None,
        ..Config::default()
    });
    // Random grants for the run: every principal holds a random action on each hunt, and
    // some hold one on every hunt.
    let grants: Vec<Grants> = {
        use proptest::strategy::ValueTree as _;
        let one = (
            prop::array::uniform4(0..4u8),
            prop_oneof![3 => Just(0u8), 1 => 1..4u8],
        )
            .prop_map(|(per_hunt, everywhere)| Grants {
                per_hunt,
                everywhere,
            });
        let mut all = prop::collection::vec(one, PRINCIPALS)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        // One reader of every hunt, so context-free lookups are exercised as a principal.
        all[0].everywhere = all[0].everywhere.max(1);
        all
    };
    let tmp = tempfile::tempdir().unwrap();
    let config = auth_config(tmp.path(), &grants);
    let server = Server::start(
        &tmp.path().join("data"),
        &["--auth-config", config.to_str().unwrap()],
    );
    let harness = Harness {
        server,
        grants,
        ids: BTreeMap::new(),
        fresh: 0,
    };
    // Every hunt has a `common.proto` to reference, at versions 1 and 2.
    for hunt in 0..HUNTS.len() {
        for text in [
            COMMON.to_owned(),
            COMMON.replace("uint32 value = 1;", "uint32 value = 1;\n  string mint = 2;"),
        ] {
            let req = Request {
                method: "POST",
                path: format!(
                    "/subjects/{}/versions",
                    urlencode(&qualified(hunt, "common.proto"))
                ),
                body: Some(json!({"schemaType": "PROTOBUF", "schema": text})),
            };
            assert_eq!(harness.send("ops", &req).0, 200);
        }
    }
    let harness = std::cell::RefCell::new(harness);
    runner
        .run(
            &prop::collection::vec((0..PRINCIPALS, op()), 1..14),
            |steps| {
                let mut h = harness.borrow_mut();
                for (who, op) in &steps {
                    h.step(*who, op)?;
                }
                Ok(())
            },
        )
        .unwrap();
}
