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
use huntreg_client::path::{hunt_prefix, segment};
use huntreg_client::wire::{
    LockHistory as HistoryBody, LockRow, RegisterRequest, RegisterResponse, SchemaResponse,
    SchemaStringResponse, SubjectLock as LockBody, SubjectVersion, PROTOBUF,
};
use huntreg_client::{Answer, Client, Credentials, TransportError};
use prost::Message as _;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind};
use crate::ident::{hunt_name, is_default_context};
use crate::lockfile::{
    unhex, LockedHistory, LockedHunt, LockedSubject, LockedVersion, Reference, StoredHistory,
    StoredHunt, StoredSubject, StoredVersion,
};

/// A Confluent-compatible registry, spoken to over blocking HTTP.
#[derive(Debug, Clone)]
pub struct Registry {
    client: Client,
}

/// The result of registering a schema under a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// The schema ID (existing one if the schema was already registered).
    pub id: u32,
    /// The subject version holding it.
    pub version: u32,
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

impl Update {
    /// Notes that a pinned version's soft-delete state changed to `deleted`.
    fn soft_delete_changed(&mut self, subject: &str, version: u32, deleted: bool) {
        let now = if deleted {
            "soft-deleted"
        } else {
            "no longer soft-deleted"
        };
        self.changes.push(format!("~ {subject} v{version}: {now}"));
    }
}

impl Registry {
    /// A client for the registry at `url` (e.g. `http://127.0.0.1:8081`).
    pub fn new(url: &str) -> Registry {
        Registry {
            client: Client::new(url, Duration::from_secs(30)),
        }
    }

    /// The same client sending `credentials` (HTTP Basic or a bearer token) with every
    /// request, for a registry with an auth config: reading a hunt needs `read` on it,
    /// registering needs `write`.
    pub fn with_credentials(mut self, credentials: &Credentials) -> Registry {
        self.client = self.client.with_credentials(credentials);
        self
    }

    /// The registry's base URL.
    pub fn url(&self) -> &str {
        self.client.url()
    }

    /// `/contexts/.{hunt}/{rest}`, or `/{rest}` for the default context.
    fn hunt_url(&self, hunt: &str, rest: &str) -> String {
        if is_default_context(hunt) {
            return format!("/{rest}");
        }
        format!("{}/{rest}", hunt_prefix(hunt))
    }

    fn error(&self, hunt: &str, message: String) -> Error {
        ErrorKind::Registry {
            hunt: hunt.to_owned(),
            url: self.client.url().to_owned(),
            message,
        }
        .into()
    }

    fn failed(&self, hunt: &str) -> impl Fn(TransportError) -> Error + '_ {
        let hunt = hunt.to_owned();
        move |e| self.error(&hunt, e.to_string())
    }

    /// Sends one request; any HTTP status is an answer.
    fn send(
        &self,
        hunt: &str,
        method: &str,
        path: &str,
        body: Option<&RegisterRequest>,
    ) -> Result<Answer, Error> {
        self.client
            .send(method, path, body)
            .map_err(self.failed(hunt))
    }

    /// Every page of the listing at `path` (which has a query already): registries cap a
    /// page (huntreg at 1000 items by default), so this asks with `offset` until a page
    /// is empty, or repeats an item (a registry that ignores `offset`). A 404 is an empty
    /// listing.
    fn list_all<T>(&self, hunt: &str, path: &str) -> Result<Vec<T>, Error>
    where
        T: DeserializeOwned + Eq + std::hash::Hash + Clone,
    {
        let mut all: Vec<T> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            let page: Vec<T> = if all.is_empty() {
                self.get_json_or_empty(hunt, path)?
            } else {
                self.get_json_or_empty(hunt, &format!("{path}&offset={}", all.len()))?
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

    /// `GET path` as JSON; a 404 (an ID or subject the registry no longer has) is `T`'s
    /// default.
    fn get_json_or_empty<T: DeserializeOwned + Default>(
        &self,
        hunt: &str,
        path: &str,
    ) -> Result<T, Error> {
        let answer = self.send(hunt, "GET", path, None)?;
        answer
            .found_json()
            .map(Option::unwrap_or_default)
            .map_err(self.failed(hunt))
    }

    fn get_json<T: DeserializeOwned>(&self, hunt: &str, path: &str) -> Result<T, Error> {
        let answer = self.send(hunt, "GET", path, None)?;
        answer.json().map_err(self.failed(hunt))
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
        let mut update = Update::default();
        let subjects = self.each_subject(
            hunt,
            pinned.map_or(&[][..], |p| p.subjects.as_slice()),
            &mut update,
            |subject, old, update| self.update_subject(hunt, subject, old, update).map(Some),
        )?;
        let locked = LockedHunt {
            hunt: hunt.to_owned(),
            subjects: subjects.unwrap_or_default(),
        };
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
        let mut update = Update::default();
        let Some(subjects) = self.each_subject(
            hunt,
            pinned.map_or(&[][..], |p| p.subjects.as_slice()),
            &mut update,
            |subject, old, update| self.pull_subject(hunt, subject, old, update),
        )?
        else {
            return Ok(None);
        };
        let mut out = StoredHunt {
            hunt: hunt.to_owned(),
            subjects,
        };
        out.subjects.sort_by(|a, b| a.subject.cmp(&b.subject));
        Ok(Some((out, update)))
    }

    /// The loop both ways of reading a hunt share: every subject the registry lists for
    /// `hunt` (soft-deleted ones included), read by `read` with what `pinned` holds of it,
    /// in the registry's order; each pinned subject no longer listed is noted in `update`.
    /// `None` as soon as `read` answers `None`.
    fn each_subject<S: PinnedSubject>(
        &self,
        hunt: &str,
        pinned: &[S],
        update: &mut Update,
        mut read: impl FnMut(&str, &[S::Version], &mut Update) -> Result<Option<S>, Error>,
    ) -> Result<Option<Vec<S>>, Error> {
        let listed: Vec<String> =
            self.list_all(hunt, &self.hunt_url(hunt, "subjects?deleted=true"))?;
        let mut subjects = Vec::new();
        for qualified in listed {
            let Some(subject) = huntreg_runtime::unqualify(hunt, &qualified) else {
                continue;
            };
            let old = pinned
                .iter()
                .find(|s| s.name() == subject)
                .map_or(&[][..], PinnedSubject::versions);
            match read(subject, old, update)? {
                Some(entry) => subjects.push(entry),
                None => return Ok(None),
            }
        }
        for old in pinned {
            if !subjects.iter().any(|s| s.name() == old.name()) {
                update
                    .changes
                    .push(format!("- {}: no longer registered", old.name()));
            }
        }
        Ok(Some(subjects))
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
                update.soft_delete_changed(subject, version.version, version.deleted);
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
        versions.extend(body.versions.into_iter().map(stored_version));
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
        let segment = segment(subject);
        let path = self.hunt_url(
            hunt,
            &format!("huntreg/v1/subjects/{segment}/lock?after={after}"),
        );
        let answer = self.send(hunt, "GET", &path, None)?;
        if answer.status == 404 {
            if answer.error_code() == Some(40401) {
                // Deleted since it was listed: no versions.
                return Ok(Some(LockBody {
                    listed: Vec::new(),
                    versions: Vec::new(),
                    history: None,
                }));
            }
            return Ok(None);
        }
        let body: LockBody = answer.json().map_err(self.failed(hunt))?;
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
        let segment = segment(subject);
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
                update.soft_delete_changed(subject, version.version, version.deleted);
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
        let body: SchemaResponse = self.get_json(hunt, &url)?;
        if body.schema_type != PROTOBUF {
            let t = &body.schema_type;
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
            references: body
                .references
                .into_iter()
                .map(|r| Reference {
                    name: r.name,
                    subject: r.subject,
                    version: u32::try_from(r.version).unwrap_or(0),
                })
                .collect(),
            messages,
            schema: body.schema,
        })
    }

    /// The message-index order of a version, from its serialized descriptor
    /// (`format=serialized`, a base64 `FileDescriptorProto`). Empty when the registry does
    /// not serve one: codegen then derives the order from the text.
    fn message_order(&self, hunt: &str, path: &str) -> Vec<String> {
        let Ok(body) = self.get_json::<SchemaStringResponse<'static>>(hunt, path) else {
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
        let segment = segment(subject);
        let references: Vec<huntreg_client::wire::Reference> = references
            .iter()
            .map(|r| huntreg_client::wire::Reference {
                name: r.name.clone(),
                subject: r.subject.clone(),
                version: i64::from(r.version),
            })
            .collect();
        let body = RegisterRequest::protobuf(schema, &references);
        let path = self.hunt_url(hunt, &format!("subjects/{segment}/versions"));
        let registered: RegisterResponse = self
            .send(hunt, "POST", &path, Some(&body))?
            .json()
            .map_err(self.failed(hunt))?;
        let path = self.hunt_url(hunt, &format!("subjects/{segment}"));
        let found: SchemaResponse = self
            .send(hunt, "POST", &path, Some(&body))?
            .json()
            .map_err(self.failed(hunt))?;
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

/// A subject as a lockfile pins it, in either of its forms (read in full, or as stored).
trait PinnedSubject {
    /// One pinned version.
    type Version;
    /// The unqualified subject name.
    fn name(&self) -> &str;
    /// Its pinned versions, oldest first.
    fn versions(&self) -> &[Self::Version];
}

impl PinnedSubject for LockedSubject {
    type Version = LockedVersion;
    fn name(&self) -> &str {
        &self.subject
    }
    fn versions(&self) -> &[LockedVersion] {
        &self.versions
    }
}

impl PinnedSubject for StoredSubject {
    type Version = StoredVersion;
    fn name(&self) -> &str {
        &self.subject
    }
    fn versions(&self) -> &[StoredVersion] {
        &self.versions
    }
}

/// The history the registry served, when every position names a version the lockfile
/// pins with the same ID and its entries are hex (else none: the build compiles).
/// A lockfile row as the endpoint serves it, in the lockfile's stored form.
fn stored_version(row: LockRow) -> StoredVersion {
    StoredVersion {
        version: row.version,
        id: row.id,
        deleted: row.deleted,
        references: row
            .references
            .into_iter()
            .map(|r| Reference {
                name: r.name,
                subject: r.subject,
                version: u32::try_from(r.version).unwrap_or(0),
            })
            .collect(),
        messages: row.messages,
        sha256: Some(row.sha256),
        schema: row.schema,
        patch: row.patch,
    }
}

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
