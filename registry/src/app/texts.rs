//! The text index of a subject's versions, for `POST /subjects/{s}` when the content hash
//! names no version of the subject (a normalized lookup of a version stored unnormalized,
//! or a lookup without the references a version was stored with).
//!
//! The lookup then compares texts: the stored canonical text, or its normalized form, of
//! every visible version, newest first. The index keeps, per `(version, id)`, a hash of
//! each text and whether the version has references, so a miss reads the records of the
//! versions it has not seen yet (all of them once, then only new ones) and compares the
//! texts of the few versions whose hash matches, instead of every version's record on every
//! miss. A `(version, id)` names an immutable record, so its entry never goes stale: a
//! deleted version is simply not among the visible versions a lookup passes in.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// Which text of a stored version a lookup compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextKind {
    /// The canonical text as stored.
    Stored,
    /// The canonical text of the stored version's compiled file, normalized.
    Normalized,
}

/// What the index knows of one `(version, id)`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Computed on the first normalized lookup that needs it; `Some(None)` when the
    /// version's image has no main file (it never matches).
    normalized: Option<Option<u64>>,
    has_references: bool,
}

/// Text hashes of a subject's versions (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct TextIndex {
    entries: HashMap<(u32, u32), Entry>,
    stored: HashMap<u64, Vec<(u32, u32)>>,
    normalized: HashMap<u64, Vec<(u32, u32)>>,
}

/// The hash of a text the index keys by (a match is confirmed on the text itself).
pub(crate) fn text_hash(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

impl TextIndex {
    /// Whether `(version, id)` is indexed (its stored text at least).
    pub(crate) fn covers(&self, key: (u32, u32)) -> bool {
        self.entries.contains_key(&key)
    }

    /// Whether `(version, id)` has its normalized text indexed.
    pub(crate) fn covers_normalized(&self, key: (u32, u32)) -> bool {
        self.entries
            .get(&key)
            .is_some_and(|e| e.normalized.is_some())
    }

    /// Indexes the stored text of `(version, id)`.
    pub(crate) fn insert(&mut self, key: (u32, u32), stored_text: &str, has_references: bool) {
        if self.covers(key) {
            return;
        }
        let stored = text_hash(stored_text);
        self.entries.insert(
            key,
            Entry {
                normalized: None,
                has_references,
            },
        );
        self.stored.entry(stored).or_default().push(key);
    }

    /// Indexes the normalized text of an indexed `(version, id)` (`None`: it has none).
    pub(crate) fn insert_normalized(&mut self, key: (u32, u32), text: Option<&str>) {
        let Some(entry) = self.entries.get_mut(&key) else {
            return;
        };
        if entry.normalized.is_some() {
            return;
        }
        let hash = text.map(text_hash);
        entry.normalized = Some(hash);
        if let Some(hash) = hash {
            self.normalized.entry(hash).or_default().push(key);
        }
    }

    /// The indexed `(version, id)`s whose `kind` text hashes as `text` does.
    pub(crate) fn candidates(&self, kind: TextKind, text: &str) -> HashSet<(u32, u32)> {
        let map = match kind {
            TextKind::Stored => &self.stored,
            TextKind::Normalized => &self.normalized,
        };
        map.get(&text_hash(text))
            .map(|keys| keys.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Whether the indexed `(version, id)` was stored with references.
    pub(crate) fn has_references(&self, key: (u32, u32)) -> bool {
        self.entries.get(&key).is_some_and(|e| e.has_references)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_the_versions_whose_text_hashes_alike() {
        let mut index = TextIndex::default();
        index.insert((1, 10), "a", false);
        index.insert((2, 11), "b", true);
        index.insert((3, 10), "a", false);
        assert_eq!(
            index.candidates(TextKind::Stored, "a"),
            HashSet::from([(1, 10), (3, 10)])
        );
        assert!(index.candidates(TextKind::Normalized, "a").is_empty());
        index.insert_normalized((2, 11), Some("a"));
        index.insert_normalized((1, 10), None);
        assert_eq!(
            index.candidates(TextKind::Normalized, "a"),
            HashSet::from([(2, 11)])
        );
        assert!(index.covers_normalized((1, 10)));
        assert!(!index.covers_normalized((3, 10)));
        assert!(index.has_references((2, 11)));
        assert!(!index.has_references((1, 10)));
    }
}
