//! A subject's kept compatibility history: the [`History`] and the versions it was built
//! from, what changed since it was last written, and its encoding as a few grouped
//! entries of the store.
//!
//! The entries are grouped because a store write of many small keys is costly out of
//! proportion: sled 0.34 keeps about 4 KiB of memory per key written in a batch of 10,000
//! small keys, for good (measured on 2026-12-07: 40 batches of 10,000 57-byte entries left
//! 1.6 GiB resident, the same bytes as 40 batches of 256 grouped values 28 MiB). One
//! entry per element made a subject's first schema of 10,000 enum values such a batch.
//! Grouped, a subject has at most 256 leaf entries and one position entry per 256
//! versions, whatever its schemas hold.

use std::collections::{BTreeMap, BTreeSet};

use huntreg_compat::History;

use super::{lock, LiveVersion};
use crate::store;
use crate::types::Subject;

/// The format of the kept history entries (1 held one entry per element and position).
const FORMAT: u8 = 2;
/// The key of the format entry.
const FORMAT_KEY: u8 = b'f';
/// The tag of position groups: `p` + group (u32 BE) -> per position its version and id
/// (u32 BE each), [`POSITIONS_PER_GROUP`] per group but the last.
const POSITION: u8 = b'p';
/// The tag of leaf groups: `l` + the first byte of the leaves' keys -> per leaf, in key
/// order, its key (16 bytes), the length of its encoding (u32 BE) and the encoding.
const LEAF: u8 = b'l';
/// Positions per position group.
const POSITIONS_PER_GROUP: usize = 256;
/// Bytes of memory a [`History`] holds per distinct element, allocator overhead included:
/// its slot in the map by key (hashbrown, 40 bytes at up to 7/8 load, capacities powers of
/// two), the element's variant list (48 bytes) and range list (8 bytes) each in an
/// allocation of its own (16 bytes of overhead, 32 at least), and its place in the newest
/// version's list (32 bytes). `heaptrack` on `huntreg serve` after 200 first versions of
/// 10,000 enum values (2026-12-07) found 300 bytes per element held when the lists grew
/// from empty (a first push reserves four); sized for one since, rounded up.
const BYTES_PER_ELEMENT: usize = 224;
/// Bytes of memory a kept history holds whatever its size: `heaptrack` on `huntreg serve`
/// after 500 first versions of a 15-value schema (2026-12-07) found the 256 kept histories
/// holding about 43 KiB each, against about 6 KiB counted per element.
const BYTES_PER_HISTORY: usize = 40 << 10;

/// A subject's compatibility [`History`] and the live versions it was built from,
/// oldest first. Extended as versions register; deleted versions are retired, and a
/// history mostly retired is rebuilt.
///
/// It is kept in the store as entries of the subject ([`store::Reads::history_entries`]),
/// under keys of the registry's own: `f` (the format), position groups (the version and
/// id of every position ever pushed) and leaf groups (the [`History`] entries, grouped by
/// the first byte of their key). A registration rewrites its position's group and the
/// groups of the leaves it changed. The subject's kept lockfile rows (`r` + version,
/// `lock.rs`) share these entries and ride along the same way; reading the history skips
/// them.
#[derive(Debug, Default)]
pub(crate) struct SyncedHistory {
    /// The live versions, oldest first.
    pub(crate) live: Vec<LiveVersion>,
    /// The distinct elements of the versions pushed.
    pub(crate) history: History,
    /// Every position pushed since the history was built (live and retired), in order.
    pushed: Vec<LiveVersion>,
    /// The store holds entries this history cannot be read from: rewrite them all.
    pub(super) stale: bool,
    /// What changed since the last write, written with the next registration.
    dirty: Dirty,
}

/// The groups of a kept history changed since it was last written, and its lockfile rows
/// computed since.
#[derive(Debug, Default)]
struct Dirty {
    leaves: BTreeSet<u8>,
    positions: BTreeSet<u32>,
    rows: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

/// Entries to write for one subject, in key order.
#[derive(Debug, Default)]
pub(super) struct HistoryWrites {
    clear: bool,
    entries: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl HistoryWrites {
    /// Whether there is nothing to write.
    pub(super) fn is_empty(&self) -> bool {
        !self.clear && self.entries.is_empty()
    }

    /// Stages the writes in a job's batch (a failure is logged: the entries are a cache).
    pub(super) fn apply(&self, tx: &mut dyn store::Txn, subject: &Subject) {
        if self.clear {
            if let Err(e) = tx.clear_history(subject) {
                tracing::warn!(error = %e, %subject, "compatibility history not kept");
                return;
            }
        }
        for (key, value) in &self.entries {
            tx.put_history_entry(subject, key, value.as_deref());
        }
    }
}

fn position_group_key(group: u32) -> Vec<u8> {
    let mut k = vec![POSITION];
    k.extend_from_slice(&group.to_be_bytes());
    k
}

impl SyncedHistory {
    /// Bytes of memory this history is estimated to hold: [`BYTES_PER_HISTORY`], per
    /// distinct element [`BYTES_PER_ELEMENT`], per position its numbers (live and pushed),
    /// and the rows waiting to be written.
    pub(super) fn estimated_bytes(&self) -> usize {
        BYTES_PER_HISTORY
            + self.history.distinct_elements() * BYTES_PER_ELEMENT
            + (self.live.len() + self.pushed.len()) * std::mem::size_of::<LiveVersion>()
            + self.dirty_row_bytes()
    }

    fn dirty_row_bytes(&self) -> usize {
        (self.dirty.rows.iter())
            .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
            .sum()
    }

    /// Bytes the writes waiting for the next registration are estimated to take (a leaf
    /// group holds about a 256th of the elements, at about 64 bytes each).
    pub(super) fn pending_bytes(&self) -> usize {
        let per_leaf_group = self.history.distinct_elements() * 64 / 256 + 64;
        self.dirty.leaves.len() * per_leaf_group
            + self.dirty.positions.len() * POSITIONS_PER_GROUP * 8
            + self.dirty_row_bytes()
    }

    /// Appends `version` (its `image`) to the history and marks the groups it changed.
    pub(super) fn push(&mut self, image: &huntreg_compat::Image, version: LiveVersion) {
        let position = self.pushed.len();
        for key in self.history.push_changes(image) {
            self.dirty.leaves.insert(key[0]);
        }
        self.dirty
            .positions
            .insert((position / POSITIONS_PER_GROUP) as u32);
        self.pushed.push(version);
        self.live.push(version);
    }

    /// Takes the live versions that left `live`'s list out of the history (retired: their
    /// elements stay, never naming a suspect).
    pub(super) fn retire_gone(&mut self, live: &[LiveVersion]) {
        let mut at = 0;
        let mut gone = Vec::new();
        for (i, kept) in self.live.iter().enumerate() {
            if live.get(at) == Some(kept) {
                at += 1;
            } else {
                gone.push(i);
            }
        }
        if gone.is_empty() {
            return;
        }
        self.history.retire(&gone);
        let mut i = 0;
        self.live.retain(|_| {
            i += 1;
            gone.binary_search(&(i - 1)).is_err()
        });
    }

    /// Queues a kept lockfile row (`lock.rs`), written with the history's next writes.
    pub(super) fn keep_row(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.dirty.rows.insert(key, Some(value));
    }

    /// The kept lockfile rows computed since the last write (key and value).
    pub(crate) fn pending_rows(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        (self.dirty.rows.iter()).filter_map(|(key, value)| Some((&key[..], value.as_deref()?)))
    }

    /// Takes what changed since the last write, as entries to write.
    pub(super) fn take_writes(&mut self) -> HistoryWrites {
        let dirty = std::mem::take(&mut self.dirty);
        let mut entries = dirty.rows;
        self.render_groups(&dirty.leaves, &dirty.positions, &mut entries);
        HistoryWrites {
            clear: false,
            entries,
        }
    }

    /// Every entry of the history, replacing whatever the store holds for the subject
    /// (rows included: what was waiting is dropped).
    pub(super) fn rewrite(&mut self) -> HistoryWrites {
        self.dirty = Dirty::default();
        let leaves: BTreeSet<u8> = (0..=u8::MAX).collect();
        let groups = self.pushed.len().div_ceil(POSITIONS_PER_GROUP) as u32;
        let positions: BTreeSet<u32> = (0..groups).collect();
        let mut entries = BTreeMap::from([(vec![FORMAT_KEY], Some(vec![FORMAT]))]);
        self.render_groups(&leaves, &positions, &mut entries);
        // The store is cleared first: an empty group needs no removal (a small schema
        // fills a few dozen of the 256, and every key of a batch costs the store).
        entries.retain(|_, value| value.is_some());
        HistoryWrites {
            clear: true,
            entries,
        }
    }

    /// Renders the leaf groups `leaves` and position groups `positions` from the history
    /// as it is now; a leaf group left empty is removed.
    fn render_groups(
        &self,
        leaves: &BTreeSet<u8>,
        positions: &BTreeSet<u32>,
        out: &mut BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    ) {
        if !leaves.is_empty() {
            let mut groups: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
            for (key, value) in self.history.entries_where(|key| leaves.contains(&key[0])) {
                let group = groups.entry(key[0]).or_default();
                group.extend_from_slice(&key);
                group.extend_from_slice(&(value.len() as u32).to_be_bytes());
                group.extend_from_slice(&value);
            }
            for &first in leaves {
                out.insert(vec![LEAF, first], groups.remove(&first));
            }
        }
        for &group in positions {
            let start = group as usize * POSITIONS_PER_GROUP;
            let end = self.pushed.len().min(start + POSITIONS_PER_GROUP);
            let value: Option<Vec<u8>> = (start < end).then(|| {
                (self.pushed[start..end].iter())
                    .flat_map(|v| [v.version.to_be_bytes(), v.id.to_be_bytes()])
                    .flatten()
                    .collect()
            });
            out.insert(position_group_key(group), value);
        }
    }

    /// Reads a kept history back from its stored entries (key order). Entries of another
    /// format, or with a position missing, give an empty history marked stale.
    pub(super) fn load(entries: &[store::HistoryEntry]) -> SyncedHistory {
        // The subject's kept lockfile rows (`lock.rs`) share its entries.
        let entries: Vec<&store::HistoryEntry> = entries
            .iter()
            .filter(|(key, _)| !lock::is_row_key(key))
            .collect();
        if entries.is_empty() {
            return SyncedHistory::default();
        }
        Self::read(&entries).unwrap_or_else(|| SyncedHistory {
            stale: true,
            ..SyncedHistory::default()
        })
    }

    fn read(entries: &[&store::HistoryEntry]) -> Option<SyncedHistory> {
        let format = entries
            .iter()
            .find(|(key, _)| key[..] == [FORMAT_KEY])
            .and_then(|(_, value)| value.first().copied());
        if format != Some(FORMAT) {
            return None;
        }
        let mut pushed = Vec::new();
        let mut leaves: Vec<(&[u8], &[u8])> = Vec::new();
        for (key, value) in entries {
            match key.split_first() {
                Some((&FORMAT_KEY, [])) => {}
                Some((&POSITION, group)) => {
                    let group = u32::from_be_bytes(group.try_into().ok()?) as usize;
                    // Groups in order, each but the last full.
                    if pushed.len() != group * POSITIONS_PER_GROUP
                        || value.is_empty()
                        || value.len() % 8 != 0
                        || value.len() > POSITIONS_PER_GROUP * 8
                    {
                        return None;
                    }
                    for v in value.chunks_exact(8) {
                        let version = u32::from_be_bytes(v[..4].try_into().ok()?);
                        let id = u32::from_be_bytes(v[4..].try_into().ok()?);
                        pushed.push(LiveVersion { version, id });
                    }
                }
                Some((&LEAF, &[first])) => {
                    let mut rest = &value[..];
                    while !rest.is_empty() {
                        let (key, after) = rest.split_at_checked(16)?;
                        let (len, after) = after.split_at_checked(4)?;
                        let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
                        let (value, after) = after.split_at_checked(len)?;
                        if key[0] != first {
                            return None;
                        }
                        leaves.push((key, value));
                        rest = after;
                    }
                }
                _ => return None,
            }
        }
        let history = History::from_entries(pushed.len(), leaves)?;
        Some(SyncedHistory {
            live: pushed.clone(),
            history,
            pushed,
            ..SyncedHistory::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    fn image(values: usize) -> huntreg_compat::Image {
        let mut text = String::from("syntax = \"proto3\";\npackage t;\nenum E {\n  E_0 = 0;\n");
        for i in 1..=values {
            text.push_str(&format!("  E_{i} = {i};\n"));
        }
        text.push_str("}\nmessage M {\n  E e = 1;\n}\n");
        let texts = std::sync::Arc::new(schema::Texts::from([("t.proto".to_owned(), text)]));
        let compiled = schema::compile_texts(texts, &["t.proto"]).expect("compiles");
        huntreg_compat::Image::with_targets(compiled.pool, ["t.proto"])
    }

    /// Applies `writes` to `store` as a store would.
    fn apply(store: &mut BTreeMap<Vec<u8>, Vec<u8>>, writes: HistoryWrites) {
        if writes.clear {
            store.clear();
        }
        for (key, value) in writes.entries {
            match value {
                Some(v) => store.insert(key, v),
                None => store.remove(&key),
            };
        }
    }

    fn read_back(store: &BTreeMap<Vec<u8>, Vec<u8>>) -> SyncedHistory {
        let entries: Vec<store::HistoryEntry> =
            store.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        SyncedHistory::load(&entries)
    }

    #[test]
    fn grouped_entries_read_back_as_the_history_written() {
        let mut store = BTreeMap::new();
        let mut synced = SyncedHistory::default();
        // More than a position group, written in runs of a few versions.
        for n in 0..600u32 {
            let version = LiveVersion {
                version: n + 1,
                id: 1000 + n,
            };
            synced.push(&image(n as usize % 40 + 1), version);
            if n == 0 {
                apply(&mut store, synced.rewrite());
            } else if n % 7 == 0 {
                apply(&mut store, synced.take_writes());
            }
        }
        apply(&mut store, synced.take_writes());
        let back = read_back(&store);
        assert!(!back.stale);
        assert_eq!(back.live, synced.live);
        assert_eq!(back.history.entries(), synced.history.entries());
        let keys = store.keys().filter(|k| k[0] == LEAF).count();
        assert!(keys <= 256, "{keys} leaf entries");
        assert_eq!(store.keys().filter(|k| k[0] == POSITION).count(), 3);
    }

    #[test]
    fn entries_of_another_format_or_with_a_gap_read_as_stale() {
        let mut store = BTreeMap::new();
        let mut synced = SyncedHistory::default();
        for n in 0..300u32 {
            synced.push(
                &image(3),
                LiveVersion {
                    version: n + 1,
                    id: n + 1,
                },
            );
        }
        apply(&mut store, synced.rewrite());
        assert!(!read_back(&store).stale);

        let mut old = store.clone();
        old.insert(vec![FORMAT_KEY], vec![1]);
        assert!(read_back(&old).stale, "format 1");

        let mut gap = store.clone();
        gap.remove(&position_group_key(0));
        assert!(read_back(&gap).stale, "first position group missing");

        let mut torn = store.clone();
        let leaf = torn.keys().find(|k| k[0] == LEAF).unwrap().clone();
        torn.get_mut(&leaf).unwrap().pop();
        assert!(read_back(&torn).stale, "a leaf group cut short");
    }
}
