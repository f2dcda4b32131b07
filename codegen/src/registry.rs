//! A small blocking client for the parts of the Confluent REST API huntreg needs at build
//! and CI time: reading every version of a hunt's subjects (`huntreg pull`, live builds),
//! or only those a lockfile lacks (`Registry::update_hunt`), and registering schemas
//! (`huntreg push`); and for huntreg's own lockfile endpoint
//! (`GET /huntreg/v1/subjects/{s}/lock`, `Registry::pull_hunt`), which serves the versions
//! a lockfile lacks already in its stored form (patches and digests). A hunt is the Confluent context `.{hunt}`,
//! addressed through the `/contexts/.{hunt}/` URL prefix; the default context (the hunt
//! `.`) through the root paths.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use prost::Message as _;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::ident::{hunt_name, is_default_context};
use crate::lockfile::{
    unhex, LockedHistory, LockedHunt, LockedSubject, LockedVersion, Reference, StoredHistory,
    StoredHunt, StoredSubject, StoredVersion,
};

/// Characters kept as-is in a path segment (RFC 3986 unreserved); `/` and `:` are encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// A Confluent-compatible registry, spoken to over blocking HTTP.
#[derive(Debug, Clone)]
pub struct Registry {
    base: String,
    agent: ureq::Agent,
}

/// The result of registering a schema under a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// The schema ID (existing one if the schema was already registered).
    pub id: u32,
    /// The subject version holding it.
    pub version: u32,
}

#[derive(Deserialize)]
struct VersionBody {
    id: u32,
    version: u32,
    schema: String,
    #[serde(default, rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
    #[serde(default)]
    deleted: bool,
}

#[derive(Deserialize)]
struct SubjectVersion {
    subject: String,
    version: u32,
}

/// What [`Registry::update_hunt`] read and what changed in what the lockfile had.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    /// Versions read in full (new ones, and pinned ones whose ID changed).
    pub fetched: usize,
    /// Pinned versions kept after the registry confirmed their IDs.
    pub kept: usize,
    /// One line per change to what the lockfile had: `~ subject v2: soft-deleted`,
    /// `~ subject v3: no longer ID 7, read again`, `- subject v1: no longer registered`.
    pub changes: Vec<String>,
}

#[derive(Deserialize)]
struct SerializedBody {
    schema: String,
}

#[derive(Serialize)]
struct RegisterBody<'a> {
    schema: &'a str,
    #[serde(rename = "schemaType")]
    schema_type: &'static str,
    references: &'a [Reference],
}

#[derive(Deserialize)]
struct IdBody {
    id: u32,
}

#[derive(Deserialize)]
struct LookupBody {
    id: u32,
    version: u32,
}

/// What `GET /huntreg/v1/subjects/{s}/lock?after=N` answers.
#[derive(Deserialize)]
struct LockBody {
    /// Every version: `[version, id, deleted]`, ascending.
    listed: Vec<(u32, u32, bool)>,
    /// The versions after `N`, in stored form, the first patched on version `N`.
    versions: Vec<StoredVersion>,
    /// The subject's compatibility history over its live versions, if kept.
    #[serde(default)]
    history: Option<HistoryBody>,
}

/// The `history` of a [`LockBody`].
#[derive(Deserialize)]
struct HistoryBody {
    /// `[version, id]` per position, oldest first.
    positions: Vec<(u32, u32)>,
    /// `[key, value]` in hex, in key order.
    entries: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error_code: i64,
    message: String,
}

impl Registry {
    /// A client for the registry at `url` (e.g. `http://127.0.0.1:8081`).
    pub fn new(url: &str) -> Registry {
        Registry {
            base: url.trim_end_matches('/').to_owned(),
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5))
                .timeout(Duration::from_secs(30))
                .build(),
        }
    }

    /// The registry's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// `{base}/contexts/.{hunt}/{rest}`, or `{base}/{rest}` for the default context.
    fn hunt_url(&self, hunt: &str, rest: &str) -> String {
        if is_default_context(hunt) {
            return format!("{}/{rest}", self.base);
        }
        let hunt = hunt.trim_start_matches('.');
        format!(
            "{}/contexts/.{}/{rest}",
            self.base,
            utf8_percent_encode(hunt, SEGMENT)
        )
    }

    fn error(&self, hunt: &str, message: String) -> Error {
        ErrorKind::Registry {
            hunt: hunt.to_owned(),
            url: self.base.clone(),
            message,
        }
        .into()
    }

    fn call(
        &self,
        hunt: &str,
        request: ureq::Request,
        body: Option<serde_json::Value>,
    ) -> Result<ureq::Response, Error> {
        let what = format!("{} {}", request.method(), request.url());
        let request = request
            .set("Accept", CONTENT_TYPE)
            .set("Content-Type", CONTENT_TYPE);
        let result = match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        };
        result.map_err(|e| match e {
            ureq::Error::Status(code, response) => {
                let text = response.into_string().unwrap_or_default();
                let detail = serde_json::from_str::<ErrorBody>(&text)
                    .map(|b| format!("{} (error code {})", b.message, b.error_code))
                    .unwrap_or(text);
                self.error(hunt, format!("{what}: HTTP {code}: {detail}"))
            }
            other => self.error(hunt, format!("{what}: {other}")),
        })
    }

    /// Every page of the listing at `url` (which has a query already): registries cap a
    /// page (huntreg at 1000 items by default), so this asks with `offset` until a page
    /// is empty, or repeats an item (a registry that ignores `offset`). A 404 is an empty
    /// listing.
    fn list_all<T>(&self, hunt: &str, url: &str) -> Result<Vec<T>, Error>
    where
        T: for<'de> Deserialize<'de> + Eq + std::hash::Hash + Clone,
    {
        let mut all: Vec<T> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            let page: Vec<T> = if all.is_empty() {
                self.get_json_or_empty(hunt, url)?
            } else {
                self.get_json_or_empty(hunt, &format!("{url}&offset={}", all.len()))?
            };
            let before = all.len();
            for item in page {
                if seen.insert(item.clone()) {
                    all.push(item);
                } else {
                    return Ok(all);
                }
            }
            if all.len() == before {
                return Ok(all);
            }
        }
    }

    /// `GET url` as JSON; a 404 (an ID or subject the registry no longer has) is `T`'s
    /// default.
    fn get_json_or_empty<T: for<'de> Deserialize<'de> + Default>(
        &self,
        hunt: &str,
        url: &str,
    ) -> Result<T, Error> {
        let request = self.agent.get(url).set("Accept", CONTENT_TYPE);
        match request.call() {
            Err(ureq::Error::Status(404, _)) => Ok(T::default()),
            Err(_) => self.get_json(hunt, url),
            Ok(response) => response
                .into_json()
                .map_err(|e| self.error(hunt, format!("GET {url}: malformed response: {e}"))),
        }
    }

    fn get_json<T: for<'de> Deserialize<'de>>(&self, hunt: &str, url: &str) -> Result<T, Error> {
        let response = self.call(hunt, self.agent.get(url), None)?;
        response
            .into_json()
            .map_err(|e| self.error(hunt, format!("GET {url}: malformed response: {e}")))
    }

    /// Reads every version (soft-deleted ones included) of every subject of `hunt`; `.`
    /// reads the default context through the root paths (`GET /subjects`, ...), keeping
    /// its unqualified subjects only.
    pub fn fetch_hunt(&self, hunt: &str) -> Result<LockedHunt, Error> {
        self.update_hunt(hunt, None).map(|(locked, _)| locked)
    }

    /// Like [`Registry::fetch_hunt`], but reads in full only the versions `pinned` (the
    /// hunt as the lockfile has it) lacks. A pinned version the registry still lists is
    /// kept once `GET /schemas/ids/{id}/versions` confirms it still has its ID (else it
    /// is read again); a pinned version no longer listed is dropped. Every version's
    /// soft-delete state comes from `GET .../versions?deletedOnly=true`. The result equals what
    /// `fetch_hunt` would return.
    pub fn update_hunt(
        &self,
        hunt: &str,
        pinned: Option<&LockedHunt>,
    ) -> Result<(LockedHunt, Update), Error> {
        let hunt = hunt_name(hunt);
        let hunt = hunt.as_str();
        let subjects: Vec<String> =
            self.list_all(hunt, &self.hunt_url(hunt, "subjects?deleted=true"))?;
        let mut locked = LockedHunt {
            hunt: hunt.to_owned(),
            subjects: Vec::new(),
        };
        let mut update = Update::default();
        for qualified in subjects {
            let Some(subject) = huntreg_runtime::unqualify(hunt, &qualified) else {
                continue;
            };
            let old = pinned
                .and_then(|p| p.subjects.iter().find(|s| s.subject == subject))
                .map_or(&[][..], |s| s.versions.as_slice());
            let entry = self.update_subject(hunt, subject, old, &mut update)?;
            locked.subjects.push(entry);
        }
        for old in pinned.map_or(&[][..], |p| p.subjects.as_slice()) {
            if !locked.subjects.iter().any(|s| s.subject == old.subject) {
                update
                    .changes
                    .push(format!("- {}: no longer registered", old.subject));
            }
        }
        let mut lockfile = crate::Lockfile::default();
        lockfile.upsert(locked);
        Ok((lockfile.hunts.remove(0), update))
    }

    /// Reads what the lockfile's `pinned` hunt lacks through huntreg's lockfile endpoint,
    /// already in stored form: per subject one request (two when a pinned version
    /// changed), no version's full text unless the registry holds it whole. The result
    /// renders byte for byte as [`Registry::update_hunt`]'s would. `Ok(None)` when the
    /// registry does not serve the endpoint (another registry, or an older huntreg):
    /// the caller falls back to `update_hunt`.
    pub fn pull_hunt(
        &self,
        hunt: &str,
        pinned: Option<&StoredHunt>,
    ) -> Result<Option<(StoredHunt, Update)>, Error> {
        let hunt = hunt_name(hunt);
        let hunt = hunt.as_str();
        let subjects: Vec<String> =
            self.list_all(hunt, &self.hunt_url(hunt, "subjects?deleted=true"))?;
        let mut out = StoredHunt {
            hunt: hunt.to_owned(),
            subjects: Vec::new(),
        };
        let mut update = Update::default();
        for qualified in subjects {
            let Some(subject) = huntreg_runtime::unqualify(hunt, &qualified) else {
                continue;
            };
            let old = pinned
                .and_then(|p| p.subjects.iter().find(|s| s.subject == subject))
                .map_or(&[][..], |s| s.versions.as_slice());
            match self.pull_subject(hunt, subject, old, &mut update)? {
                Some(entry) => out.subjects.push(entry),
                None => return Ok(None),
            }
        }
        for old in pinned.map_or(&[][..], |p| p.subjects.as_slice()) {
            if !out.subjects.iter().any(|s| s.subject == old.subject) {
                update
                    .changes
                    .push(format!("- {}: no longer registered", old.subject));
            }
        }
        out.subjects.sort_by(|a, b| a.subject.cmp(&b.subject));
        Ok(Some((out, update)))
    }

    /// One subject of [`Registry::pull_hunt`]; `None` when the endpoint is not served.
    fn pull_subject(
        &self,
        hunt: &str,
        subject: &str,
        old: &[StoredVersion],
        update: &mut Update,
    ) -> Result<Option<StoredSubject>, Error> {
        let mut after = old.last().map_or(0, |v| v.version);
        let mut body = match self.lock_rows(hunt, subject, after)? {
            Some(body) => body,
            None => return Ok(None),
        };
        // The pinned versions kept: the longest run from the first that the registry
        // still lists in the same order with the same IDs (the versions served after it
        // are patched on its last).
        let kept = old
            .iter()
            .zip(&body.listed)
            .take_while(|(pinned, (version, id, _))| pinned.version == *version && pinned.id == *id)
            .count();
        if kept < old.len() {
            after = kept.checked_sub(1).map_or(0, |last| old[last].version);
            body = match self.lock_rows(hunt, subject, after)? {
                Some(body) => body,
                None => return Ok(None),
            };
        }
        let listed: BTreeMap<u32, (u32, bool)> = body
            .listed
            .iter()
            .map(|&(version, id, deleted)| (version, (id, deleted)))
            .collect();
        let mut versions = Vec::with_capacity(body.listed.len());
        for pinned in &old[..kept] {
            let mut version = pinned.clone();
            version.deleted = listed.get(&pinned.version).is_some_and(|(_, d)| *d);
            if version.deleted != pinned.deleted {
                update.changes.push(format!(
                    "~ {subject} v{}: {}",
                    version.version,
                    if version.deleted {
                        "soft-deleted"
                    } else {
                        "no longer soft-deleted"
                    }
                ));
            }
            versions.push(version);
            update.kept += 1;
        }
        for pinned in &old[kept..] {
            match listed.get(&pinned.version) {
                None => update.changes.push(format!(
                    "- {subject} v{}: no longer registered",
                    pinned.version
                )),
                Some((id, _)) if *id != pinned.id => update.changes.push(format!(
                    "~ {subject} v{}: no longer ID {}, read again",
                    pinned.version, pinned.id
                )),
                Some(_) => {}
            }
        }
        if body
            .versions
            .first()
            .is_some_and(|v| v.schema.is_none() && after == 0)
        {
            return Err(self.error(
                hunt,
                format!("subject {subject}: the registry's lockfile rows start with a patch"),
            ));
        }
        update.fetched += body.versions.len();
        versions.extend(body.versions);
        let history = body
            .history
            .and_then(|h| history_of(&h, &versions))
            .map(|h| StoredHistory::of(&h));
        Ok(Some(StoredSubject {
            subject: subject.to_owned(),
            versions,
            history,
        }))
    }

    /// `GET /huntreg/v1/subjects/{s}/lock?after={after}`; `None` when the registry answers
    /// 404 without naming the subject (no such endpoint).
    fn lock_rows(&self, hunt: &str, subject: &str, after: u32) -> Result<Option<LockBody>, Error> {
        let segment = utf8_percent_encode(subject, SEGMENT).to_string();
        let url = self.hunt_url(
            hunt,
            &format!("huntreg/v1/subjects/{segment}/lock?after={after}"),
        );
        let request = self.agent.get(&url).set("Accept", CONTENT_TYPE);
        let response = match request.call() {
            Err(ureq::Error::Status(404, response)) => {
                let text = response.into_string().unwrap_or_default();
                let code = serde_json::from_str::<ErrorBody>(&text).map_or(0, |b| b.error_code);
                if code == 40401 {
                    // Deleted since it was listed: no versions.
                    return Ok(Some(LockBody {
                        listed: Vec::new(),
                        versions: Vec::new(),
                        history: None,
                    }));
                }
                return Ok(None);
            }
            Err(_) => self.call(hunt, self.agent.get(&url), None)?,
            Ok(response) => response,
        };
        let body: LockBody = response
            .into_json()
            .map_err(|e| self.error(hunt, format!("GET {url}: malformed response: {e}")))?;
        Ok(Some(body))
    }

    /// One subject of [`Registry::update_hunt`].
    fn update_subject(
        &self,
        hunt: &str,
        subject: &str,
        old: &[LockedVersion],
        update: &mut Update,
    ) -> Result<LockedSubject, Error> {
        let segment = utf8_percent_encode(subject, SEGMENT).to_string();
        let listed: Vec<u32> = self.list_all(
            hunt,
            &self.hunt_url(hunt, &format!("subjects/{segment}/versions?deleted=true")),
        )?;
        // A version's own body need not say it is soft-deleted; this listing does (404
        // when there are none).
        let deleted: Vec<u32> = self.list_all(
            hunt,
            &self.hunt_url(
                hunt,
                &format!("subjects/{segment}/versions?deletedOnly=true"),
            ),
        )?;
        let deleted: BTreeSet<u32> = deleted.into_iter().collect();
        let listed_set: BTreeSet<u32> = listed.iter().copied().collect();
        let pinned: Vec<&LockedVersion> = old
            .iter()
            .filter(|v| listed_set.contains(&v.version))
            .collect();
        let held = self.held(hunt, subject, &pinned)?;
        let pinned: BTreeMap<u32, (&LockedVersion, bool)> = pinned
            .into_iter()
            .zip(held)
            .map(|(v, held)| (v.version, (v, held)))
            .collect();
        let mut entry = LockedSubject {
            subject: subject.to_owned(),
            versions: Vec::new(),
            history: None,
        };
        for &version in &listed {
            let kept = match pinned.get(&version) {
                Some(&(pinned, true)) => Some(pinned),
                Some(&(pinned, false)) => {
                    update.changes.push(format!(
                        "~ {subject} v{version}: no longer ID {}, read again",
                        pinned.id
                    ));
                    None
                }
                None => None,
            };
            let Some(pinned) = kept else {
                let mut fetched = self.fetch_version(hunt, subject, &segment, version)?;
                fetched.deleted |= deleted.contains(&version);
                entry.versions.push(fetched);
                update.fetched += 1;
                continue;
            };
            let mut version = pinned.clone();
            version.deleted = deleted.contains(&version.version);
            if version.deleted != pinned.deleted {
                update.changes.push(format!(
                    "~ {subject} v{}: {}",
                    version.version,
                    if version.deleted {
                        "soft-deleted"
                    } else {
                        "no longer soft-deleted"
                    }
                ));
            }
            entry.versions.push(version);
            update.kept += 1;
        }
        for pinned in old {
            if !listed_set.contains(&pinned.version) {
                update.changes.push(format!(
                    "- {subject} v{}: no longer registered",
                    pinned.version
                ));
            }
        }
        Ok(entry)
    }

    /// [`Registry::holds`] for each of `pinned`, asked over a few connections at once.
    fn held(
        &self,
        hunt: &str,
        subject: &str,
        pinned: &[&LockedVersion],
    ) -> Result<Vec<bool>, Error> {
        const CONNECTIONS: usize = 4;
        if pinned.is_empty() {
            return Ok(Vec::new());
        }
        let chunk = pinned.len().div_ceil(CONNECTIONS);
        std::thread::scope(|scope| {
            let workers: Vec<_> = pinned
                .chunks(chunk)
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|v| self.holds(hunt, subject, v))
                            .collect::<Result<Vec<bool>, Error>>()
                    })
                })
                .collect();
            let mut held = Vec::with_capacity(pinned.len());
            for worker in workers {
                let part = worker
                    .join()
                    .map_err(|_| self.error(hunt, "an ID check thread panicked".to_owned()))?;
                held.extend(part?);
            }
            Ok(held)
        })
    }

    /// True when the registry still holds `pinned` (a version of `subject`) under its ID.
    fn holds(&self, hunt: &str, subject: &str, pinned: &LockedVersion) -> Result<bool, Error> {
        let url = self.hunt_url(
            hunt,
            &format!("schemas/ids/{}/versions?deleted=true", pinned.id),
        );
        let holders: Vec<SubjectVersion> = self.get_json_or_empty(hunt, &url)?;
        Ok(holders.iter().any(|h| {
            h.version == pinned.version
                && huntreg_runtime::unqualify(hunt, &h.subject) == Some(subject)
        }))
    }

    /// One version read in full: its body, then its serialized descriptor's message order.
    fn fetch_version(
        &self,
        hunt: &str,
        subject: &str,
        segment: &str,
        version: u32,
    ) -> Result<LockedVersion, Error> {
        let url = self.hunt_url(
            hunt,
            &format!("subjects/{segment}/versions/{version}?deleted=true"),
        );
        let body: VersionBody = self.get_json(hunt, &url)?;
        if let Some(t) = body.schema_type.as_deref().filter(|t| *t != "PROTOBUF") {
            return Err(self.error(
                hunt,
                format!("subject {subject} version {version} has schema type {t}; huntreg handles PROTOBUF only"),
            ));
        }
        let messages = self.message_order(hunt, &format!("{url}&format=serialized"));
        Ok(LockedVersion {
            version: body.version,
            id: body.id,
            deleted: body.deleted,
            references: body.references,
            messages,
            schema: body.schema,
        })
    }

    /// The message-index order of a version, from its serialized descriptor
    /// (`format=serialized`, a base64 `FileDescriptorProto`). Empty when the registry does
    /// not serve one: codegen then derives the order from the text.
    fn message_order(&self, hunt: &str, url: &str) -> Vec<String> {
        let Ok(body) = self.get_json::<SerializedBody>(hunt, url) else {
            return Vec::new();
        };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(body.schema.trim()) else {
            return Vec::new();
        };
        let Ok(file) = prost_types::FileDescriptorProto::decode(bytes.as_slice()) else {
            return Vec::new();
        };
        fn walk(prefix: &str, messages: &[prost_types::DescriptorProto], out: &mut Vec<String>) {
            for message in messages {
                let name = format!("{prefix}.{}", message.name());
                out.push(name.trim_start_matches('.').to_owned());
                walk(&name, &message.nested_type, out);
            }
        }
        let mut out = Vec::new();
        walk(
            &format!(".{}", file.package()),
            &file.message_type,
            &mut out,
        );
        out
    }

    /// Registers `schema` (`.proto` text) under `subject` in `hunt`, then looks up the
    /// version it landed in. Idempotent: an identical schema returns its existing ID.
    pub fn register(
        &self,
        hunt: &str,
        subject: &str,
        schema: &str,
        references: &[Reference],
    ) -> Result<Registered, Error> {
        let segment = utf8_percent_encode(subject, SEGMENT).to_string();
        let body = serde_json::to_value(RegisterBody {
            schema,
            schema_type: "PROTOBUF",
            references,
        })
        .map_err(|e| self.error(hunt, e.to_string()))?;
        let url = self.hunt_url(hunt, &format!("subjects/{segment}/versions"));
        let response = self.call(hunt, self.agent.post(&url), Some(body.clone()))?;
        let registered: IdBody = response
            .into_json()
            .map_err(|e| self.error(hunt, format!("POST {url}: malformed response: {e}")))?;
        let url = self.hunt_url(hunt, &format!("subjects/{segment}"));
        let response = self.call(hunt, self.agent.post(&url), Some(body))?;
        let found: LookupBody = response
            .into_json()
            .map_err(|e| self.error(hunt, format!("POST {url}: malformed response: {e}")))?;
        if found.id != registered.id {
            return Err(self.error(
                hunt,
                format!(
                    "subject {subject}: registered as ID {} but looked up as ID {}",
                    registered.id, found.id
                ),
            ));
        }
        Ok(Registered {
            id: registered.id,
            version: found.version,
        })
    }
}

/// The history the registry served, when every position names a version the lockfile
/// pins with the same ID and its entries are hex (else none: the build compiles).
fn history_of(body: &HistoryBody, versions: &[StoredVersion]) -> Option<LockedHistory> {
    let ids: BTreeMap<u32, u32> = versions.iter().map(|v| (v.version, v.id)).collect();
    let mut positions = Vec::with_capacity(body.positions.len());
    for (version, id) in &body.positions {
        if ids.get(version) != Some(id) || positions.last().is_some_and(|last| last >= version) {
            return None;
        }
        positions.push(*version);
    }
    let mut entries = Vec::with_capacity(body.entries.len());
    for (key, value) in &body.entries {
        let key: [u8; 16] = unhex(key)?.try_into().ok()?;
        entries.push((key, unhex(value)?));
    }
    Some(LockedHistory {
        versions: positions,
        entries,
    })
}
