//! What `huntreg pull` pins, served in the lockfile's own form
//! (`GET /huntreg/v1/subjects/{s}/lock?after=N`): every version's ID and soft-delete state,
//! and for each version after `N` its references, message-index order, text digest and
//! text as a line patch on the version before it ([`huntreg_schema::patch`], the same
//! functions the lockfile writer uses), so a pull of a long history transfers and
//! writes what changed instead of every version's full text. With them, the subject's
//! kept compatibility history (`huntreg_compat::History` entries over its live versions),
//! so a consumer's build checks the history through the index instead of compiling every
//! version.

use std::collections::BTreeMap;
use std::sync::Arc;

use huntreg_schema::patch;
use prost::Message as _;

use super::{decode_descriptor, App};
use crate::error::ApiError;
use crate::store::SchemaRecord;
use crate::types::Subject;

/// The lockfile rows of one subject, as the client crate defines them.
pub(crate) use crate::dto::{LockHistory as HistoryView, LockRow, SubjectLock as LockView};

/// The part of a `FileDescriptorProto` the message order needs; everything else is
/// skipped while decoding.
#[derive(Clone, PartialEq, prost::Message)]
struct FileShape {
    #[prost(string, optional, tag = "2")]
    package: Option<String>,
    #[prost(message, repeated, tag = "4")]
    message_type: Vec<MessageShape>,
}

/// The part of a `DescriptorProto` the message order needs.
#[derive(Clone, PartialEq, prost::Message)]
struct MessageShape {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(message, repeated, tag = "3")]
    nested_type: Vec<MessageShape>,
}

/// Versions read per worker thread at least: below this one thread does it all.
const PER_WORKER: usize = 64;

/// Bytes of a kept lockfile row at most. A larger row is a large new text (a first version,
/// or a rewrite), which costs about as much to compute from its record when served as to
/// read back; kept, it would sit in the store's tree beside the small entries (sled holds
/// far more memory than their size for leaves of large values) and, until written, in
/// memory.
const KEPT_ROW_BYTES: usize = 8 << 10;

/// Kept lockfile rows written per store write when a request computed many.
const ROWS_PER_WRITE: usize = 64;

/// The tag of kept lockfile rows among a subject's kept entries
/// ([`crate::store::Reads::history_entries`]): `r` + version (u32 BE) -> `1` and the ID
/// of the schema the row's patch is on (u32 BE), or `0` and four zero bytes for a row
/// patched on nothing, then the row as JSON.
pub(crate) const LOCK_ROW: u8 = b'r';

/// The key of version `version`'s kept row.
fn row_key(version: u32) -> Vec<u8> {
    let mut key = vec![LOCK_ROW];
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// A kept row: the ID its patch is on, then the row; `None` for a row too large to keep
/// ([`KEPT_ROW_BYTES`]).
fn row_value(before: Option<u32>, row: &LockRow) -> Option<Vec<u8>> {
    let mut value = vec![u8::from(before.is_some())];
    value.extend_from_slice(&before.unwrap_or(0).to_be_bytes());
    // Serializing strings and integers cannot fail.
    value.extend(serde_json::to_vec(row).unwrap_or_default());
    (value.len() <= KEPT_ROW_BYTES).then_some(value)
}

/// A kept row read back (`None` if it does not decode: it is then computed again).
fn read_row(value: &[u8]) -> Option<(Option<u32>, LockRow)> {
    let (&flag, rest) = value.split_first()?;
    let (id, json) = rest.split_at_checked(4)?;
    let id = u32::from_be_bytes(id.try_into().ok()?);
    let before = match flag {
        0 => None,
        1 => Some(id),
        _ => return None,
    };
    Some((before, serde_json::from_slice(json).ok()?))
}

/// Whether a kept entry's key is a lockfile row's.
pub(crate) fn is_row_key(key: &[u8]) -> bool {
    key.first() == Some(&LOCK_ROW)
}

impl App {
    /// The lockfile rows of `subject` after version `after` (0 for all).
    ///
    /// Each row is a function of the version's schema and the one before it (both
    /// immutable records), so it is kept with the subject's kept entries: computed right
    /// after the version registers (`App::keep_lock_row`), or by the first request that
    /// serves it (then written back), and read instead of the records afterwards. A kept
    /// row is used only for the same ID on the same previous ID.
    pub fn lock_rows(&self, subject: &Subject, after: u32) -> Result<LockView, ApiError> {
        let versions = self.store.versions(subject)?;
        if versions.is_empty() {
            return Err(ApiError::SubjectNotFound(subject.to_string()));
        }
        let listed: Vec<(u32, u32, bool)> = versions
            .iter()
            .map(|(v, r)| (*v, r.id, r.deleted))
            .collect();
        // The rows to serve, each with the ID of the version before it (if it is served
        // too, or is `after` itself).
        let start = listed.partition_point(|(v, _, _)| *v <= after);
        let base = listed
            .get(start.wrapping_sub(1))
            .filter(|(v, _, _)| *v == after && start > 0)
            .map(|(_, id, _)| *id);
        let wanted = &listed[start..];
        let before = |i: usize| if i == 0 { base } else { Some(wanted[i - 1].1) };

        let live = super::live_versions(&versions);
        // The history first: building one clears the subject's kept entries, rows too.
        let (history, mut kept) = if live.is_empty() {
            (None, BTreeMap::new())
        } else {
            let entry = self.history(subject, &live)?;
            let synced = entry.lock().unwrap_or_else(|p| p.into_inner());
            let view =
                (synced.history.retired() == 0 && synced.live == live).then(|| HistoryView {
                    positions: synced.live.iter().map(|l| (l.version, l.id)).collect(),
                    entries: synced
                        .history
                        .entries()
                        .iter()
                        .map(|(key, value)| (hex(key), hex(value)))
                        .collect(),
                });
            // Rows computed after a registration and not written yet.
            let pending: BTreeMap<Vec<u8>, Vec<u8>> = synced
                .pending_rows()
                .map(|(k, v)| (k.to_vec(), v.to_vec()))
                .collect();
            (view, pending)
        };
        if !wanted.is_empty() {
            for (key, value) in self.store.history_entries(subject)? {
                if is_row_key(&key) {
                    kept.entry(key).or_insert(value);
                }
            }
        }
        let mut rows: Vec<Option<LockRow>> = wanted
            .iter()
            .enumerate()
            .map(|(i, &(version, id, deleted))| {
                let (on, row) = read_row(kept.get(&row_key(version))?)?;
                (on == before(i) && row.version == version && row.id == id)
                    .then_some(LockRow { deleted, ..row })
            })
            .collect();
        drop(kept);

        // The rest from the records, each run of missing rows in parallel.
        let mut computed: Vec<(Option<u32>, LockRow)> = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            if rows[i].is_some() {
                i += 1;
                continue;
            }
            let end = (i..rows.len())
                .find(|&j| rows[j].is_some())
                .unwrap_or(rows.len());
            let part = self.compute_rows(subject, before(i), &wanted[i..end])?;
            for (j, row) in (i..end).zip(part) {
                computed.push((before(j), row.clone()));
                rows[j] = Some(row);
            }
            i = end;
        }
        // Kept for the next request, written after this answer (a cache: a failed write
        // only leaves them to be computed again), a few rows per write: a store batch of
        // thousands of keys costs memory out of proportion (see `kept.rs`).
        let mut computed = computed.into_iter().peekable();
        while computed.peek().is_some() {
            let part: Vec<(Vec<u8>, Vec<u8>)> = computed
                .by_ref()
                .take(ROWS_PER_WRITE)
                .filter_map(|(on, row)| Some((row_key(row.version), row_value(on, &row)?)))
                .collect();
            let subject = subject.clone();
            let _answer = self.store.submit(Box::new(move |tx| {
                for (key, value) in &part {
                    tx.put_history_entry(&subject, key, Some(value));
                }
                Box::new(())
            }));
        }
        Ok(LockView {
            listed,
            versions: rows.into_iter().flatten().collect(),
            history,
        })
    }

    /// Computes and queues the kept lockfile row of `subject`'s newest version (after it
    /// registered), written with the subject's next registration like its history entries.
    pub(crate) fn keep_lock_row(
        &self,
        subject: &Subject,
        kept: &mut super::SyncedHistory,
    ) -> Result<(), ApiError> {
        let versions = self.store.versions(subject)?;
        let Some((version, record)) = versions.last() else {
            return Ok(());
        };
        let before = versions.len().checked_sub(2).map(|i| versions[i].1.id);
        let rows = self.lock_part(subject, before, &[(*version, record.id, record.deleted)])?;
        for row in rows {
            if let Some(value) = row_value(before, &row) {
                kept.keep_row(row_key(row.version), value);
            }
        }
        Ok(())
    }

    /// The rows of `wanted` (consecutive versions), the first patched on schema `base`,
    /// from the records: on two threads when there are many.
    fn compute_rows(
        &self,
        subject: &Subject,
        base: Option<u32>,
        wanted: &[(u32, u32, bool)],
    ) -> Result<Vec<LockRow>, ApiError> {
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(wanted.len() / PER_WORKER)
            .max(1);
        let chunk = wanted.len().div_ceil(workers).max(1);
        std::thread::scope(|scope| {
            let parts: Vec<_> = wanted
                .chunks(chunk)
                .enumerate()
                .map(|(i, part)| {
                    let before = if i == 0 {
                        base
                    } else {
                        Some(wanted[i * chunk - 1].1)
                    };
                    scope.spawn(move || self.lock_part(subject, before, part))
                })
                .collect();
            let mut rows = Vec::with_capacity(wanted.len());
            for part in parts {
                let part = part
                    .join()
                    .map_err(|_| ApiError::Internal("a lockfile worker panicked".to_owned()))?;
                rows.extend(part?);
            }
            Ok::<_, ApiError>(rows)
        })
    }

    /// The rows of `part` (consecutive versions), the first patched on schema `before`.
    fn lock_part(
        &self,
        subject: &Subject,
        before: Option<u32>,
        part: &[(u32, u32, bool)],
    ) -> Result<Vec<LockRow>, ApiError> {
        let mut previous: Option<(Arc<SchemaRecord>, Vec<String>)> = match before {
            Some(id) => {
                let record = self.record(subject, id)?;
                let messages = message_order(&record)?;
                Some((record, messages))
            }
            None => None,
        };
        let mut rows = Vec::with_capacity(part.len());
        for &(version, id, deleted) in part {
            let record = self.record(subject, id)?;
            let text = record.schema.as_str();
            let patch = previous
                .as_ref()
                .map(|(p, _)| patch::diff(&p.schema, text))
                .filter(|patch| patch.len() < text.len());
            let messages = match (&previous, &patch) {
                (Some((_, messages)), Some(patch)) if !touches_messages(patch) => messages.clone(),
                _ => message_order(&record)?,
            };
            rows.push(LockRow {
                version,
                id,
                deleted,
                references: record
                    .references
                    .iter()
                    .map(|r| crate::dto::Reference {
                        name: r.name.clone(),
                        subject: r.subject.clone(),
                        version: i64::from(r.version),
                    })
                    .collect(),
                messages: messages.clone(),
                sha256: patch::digest(text),
                schema: patch.is_none().then(|| text.to_owned()),
                patch,
            });
            previous = Some((record, messages));
        }
        Ok(rows)
    }

    /// Schema `id` of `subject`'s context, read through the record cache without filling
    /// it (a first pull reads every version once).
    fn record(&self, subject: &Subject, id: u32) -> Result<Arc<SchemaRecord>, ApiError> {
        match self.cached_record(&subject.context, id) {
            Some(record) => Ok(record),
            None => Ok(Arc::new(
                self.store
                    .schema(&subject.context, id)?
                    .ok_or(ApiError::SchemaNotFound(Some(id)))?,
            )),
        }
    }
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Whether a patch may change the message order: it drops lines (which could hold a
/// message, map field or group), or inserts a line that could declare one. A patch that
/// only inserts other lines (fields, enum values, options) keeps the previous order.
fn touches_messages(patch: &str) -> bool {
    patch.lines().any(|line| match line.split_at_checked(1) {
        Some(("-", _)) => true,
        Some(("+", text)) => {
            text.contains("message")
                || text.contains("map<")
                || text.contains("group")
                || text.contains("package")
        }
        _ => false,
    })
}

/// The stored descriptor's messages, depth first, fully qualified without the leading
/// dot (what `huntreg pull` reads from `format=serialized`).
fn message_order(record: &SchemaRecord) -> Result<Vec<String>, ApiError> {
    let bytes = decode_descriptor(record)?;
    let file = FileShape::decode(bytes.as_slice())
        .map_err(|e| ApiError::Internal(format!("stored descriptor does not decode: {e}")))?;
    fn walk(prefix: &str, messages: &[MessageShape], out: &mut Vec<String>) {
        for message in messages {
            let name = format!("{prefix}.{}", message.name.as_deref().unwrap_or_default());
            out.push(name.trim_start_matches('.').to_owned());
            walk(&name, &message.nested_type, out);
        }
    }
    let mut out = Vec::new();
    walk(
        &format!(".{}", file.package.as_deref().unwrap_or_default()),
        &file.message_type,
        &mut out,
    );
    Ok(out)
}
