//! [`History`]: the distinct elements a subject's versions ever had, each with the versions
//! that hold it, so a transitive check costs what changed across the history instead of
//! versions × schema size.
//!
//! Every version is cut into *leaves*: the shell of each file, message, enum and service
//! (the element without its children), and each field, extension, oneof, enum value
//! number, reserved range or name and RPC. A leaf has a key (what it is and where: kind,
//! file, owner, name or number) and a digest of everything a rule can read of it,
//! including the file context. The history keeps, per key, the distinct digests seen
//! and the ranges of versions holding each.
//!
//! **Why a version the index does not name cannot fail.** Take a prior version all of
//! whose leaves appear, with the same digests, in the new schema. Then every pair the
//! walkers build between the two is either identical (and skipped, as in the pairwise
//! check) or differs only in children the new schema added. No rule reports a plain
//! addition in the backward direction, except an added required field
//! (`MESSAGE_SAME_REQUIRED_FIELDS`); in the forward direction the deletion rules are
//! skipped ([`crate::skipped_forward`]) except the two message rules, so there an added
//! message is the other exception. [`History::suspects`] therefore names, per direction:
//! versions holding a leaf the new schema lacks or has with another digest, versions
//! lacking a required field of the new schema, and (forward) versions lacking one of its
//! messages. Only those are checked pair by pair, with the pairwise check itself, so the
//! findings, messages and locations are exactly the pairwise check's.
//! `compat/tests/prop_history.rs` compares the two on random histories.
//!
//! **Persisting.** A history is kept as one entry per key ([`History::entries`]): the
//! key's 16 bytes, and its variants with their version ranges, the range still held by
//! the newest version written open-ended. Appending a version
//! ([`History::push_changes`]) changes only the entries of keys it adds, re-adds or
//! drops, so a store that keeps the entries (one by one, or grouped by a prefix of their
//! key: [`History::entries_where`]) writes what changed, not the history; and
//! [`History::from_entries`] reads them back without compiling any version.

use std::collections::HashMap;

use prost_reflect::{Cardinality, FileDescriptor, Kind};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FileDescriptorProto, ServiceDescriptorProto,
};

use crate::index::{file_context, hash_field, Digest};
use crate::level::Direction;
use crate::pairs::{enums_of, extensions_of, messages_of};
use crate::Image;

/// What a leaf is; part of its key.
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
enum LeafKind {
    File = 1,
    Message,
    Field,
    Oneof,
    MessageReservedRange,
    MessageReservedName,
    Enum,
    EnumNumber,
    EnumReservedRange,
    EnumReservedName,
    Extension,
    Service,
    Method,
}

/// The leaf is a required field: its addition is reported too.
const REQUIRED: u8 = 1;
/// The leaf is a message shell: its addition breaks the forward direction.
const MESSAGE: u8 = 2;

/// The flags of a field or extension leaf of this cardinality.
fn required_flag(cardinality: Cardinality) -> u8 {
    if cardinality == Cardinality::Required {
        REQUIRED
    } else {
        0
    }
}

/// Hashes what a field's enum type adds to its meaning: its implicit default (the first
/// value) and its openness, which live in the enum and its file.
fn hash_enum_kind(d: &mut Digest, kind: &Kind) {
    if let Kind::Enum(e) = kind {
        d.str(e.full_name());
        d.bytes(&file_context(&e.parent_file()));
        if let Some(first) = e.values().next() {
            d.str(first.name());
            d.int(i64::from(first.number()));
        }
    }
}

/// One leaf of one version.
#[derive(Debug, Clone, Copy)]
struct Leaf {
    key: u128,
    digest: u128,
    flags: u8,
}

/// One distinct (digest, flags) of a key, and the versions holding it.
#[derive(Debug, Clone)]
struct Variant {
    digest: u128,
    flags: u8,
    /// Sorted, disjoint, half-open ranges of version positions.
    versions: Vec<(u32, u32)>,
}

/// The distinct elements of a sequence of versions (oldest first), for
/// [`crate::check_history`].
///
/// Versions are numbered `0..len()` in the order pushed, skipping retired ones: the caller
/// keeps the mapping to its own version numbers, [`History::retire`]s a version that leaves
/// the history (a delete) and rebuilds it when [`History::retired`] outgrows what is live.
/// Memory grows with the distinct elements, not with versions × schema size.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Positions ever pushed (live and retired).
    len: u32,
    /// Per position: whether it left the history.
    retired: Vec<bool>,
    live: usize,
    leaves: HashMap<u128, Vec<Variant>>,
    /// The (key, variant index) the newest position holds.
    newest: Vec<(u128, usize)>,
}

/// The end of a range held by the newest version, in [`History::entries`].
const OPEN: u32 = u32::MAX;

/// One persisted entry of a [`History`]: a key's 16 bytes and the encoding of its variants.
pub type HistoryEntry = ([u8; 16], Vec<u8>);

/// Which versions of a [`History`] may report findings against a new schema, per direction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suspects {
    backward: Vec<bool>,
    forward: Vec<bool>,
}

impl Suspects {
    /// Whether the check of version `against` in `direction` may find something.
    pub fn contains(&self, against: usize, direction: Direction) -> bool {
        let set = match direction {
            Direction::Backward => &self.backward,
            Direction::Forward => &self.forward,
        };
        set.get(against).copied().unwrap_or(true)
    }

    /// How many versions are suspects in `direction`.
    pub fn count(&self, direction: Direction) -> usize {
        match direction {
            Direction::Backward => self.backward.iter().filter(|b| **b).count(),
            Direction::Forward => self.forward.iter().filter(|b| **b).count(),
        }
    }
}

impl History {
    /// An empty history.
    pub fn new() -> History {
        History::default()
    }

    /// How many versions the history holds.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether the history holds no version.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// How many versions were retired (their elements are still indexed).
    pub fn retired(&self) -> usize {
        self.len as usize - self.live
    }

    /// Takes the versions at `indices` (numbered as before the call) out of the history.
    /// Their distinct elements stay indexed but never make a suspect again.
    pub fn retire(&mut self, indices: &[usize]) {
        let mut live = 0;
        let mut next = indices
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>();
        for retired in &mut self.retired {
            if *retired {
                continue;
            }
            if next.first() == Some(&live) {
                next.pop_first();
                *retired = true;
                self.live -= 1;
            }
            live += 1;
        }
    }

    /// How many distinct leaves (element variants) the history holds.
    pub fn distinct_elements(&self) -> usize {
        self.leaves.values().map(Vec::len).sum()
    }

    /// How many positions were ever pushed (live and retired): the position the next
    /// [`History::push`] takes.
    pub fn positions(&self) -> usize {
        self.len as usize
    }

    /// Appends `image` as the newest version (position `positions()` before the call).
    pub fn push(&mut self, image: &Image) {
        self.push_changes(image);
    }

    /// Appends `image` as [`History::push`] does and returns the keys whose entry changed
    /// (keys the new version adds, re-adds, changes or drops), sorted: writing their
    /// entries ([`History::entries_where`]) over the previous [`History::entries`] gives
    /// this history's entries.
    pub fn push_changes(&mut self, image: &Image) -> Vec<[u8; 16]> {
        let at = self.len;
        let mut changed = std::collections::HashSet::new();
        let mut newest = Vec::new();
        for leaf in leaves(image) {
            // Most keys keep one variant holding one range: sized for that (a history of
            // 10,000 enum values holds 10,000 of each).
            let variants = (self.leaves.entry(leaf.key)).or_insert_with(|| Vec::with_capacity(1));
            let index = match variants
                .iter()
                .position(|v| v.digest == leaf.digest && v.flags == leaf.flags)
            {
                Some(i) => i,
                None => {
                    variants.push(Variant {
                        digest: leaf.digest,
                        flags: leaf.flags,
                        versions: Vec::with_capacity(1),
                    });
                    variants.len() - 1
                }
            };
            let variant = &mut variants[index];
            match variant.versions.last_mut() {
                Some((_, end)) if *end > at => {}
                // Held by the version before: the open range stays open.
                Some((_, end)) if *end == at => *end = at + 1,
                _ => {
                    variant.versions.push((at, at + 1));
                    changed.insert(leaf.key);
                }
            }
            newest.push((leaf.key, index));
        }
        // What the previous newest version held and this one does not is closed.
        for (key, index) in std::mem::replace(&mut self.newest, newest) {
            let held = self.leaves[&key][index].versions.last().map(|r| r.1);
            if held == Some(at) {
                changed.insert(key);
            }
        }
        self.len += 1;
        self.retired.push(false);
        self.live += 1;
        self.newest.shrink_to_fit();
        let mut out: Vec<[u8; 16]> = changed.into_iter().map(u128::to_be_bytes).collect();
        out.sort_unstable();
        out
    }

    /// Every entry of the history, by key: what a store keeps so that
    /// [`History::from_entries`] can read it back.
    pub fn entries(&self) -> Vec<HistoryEntry> {
        self.entries_where(|_| true)
    }

    /// The entries of [`History::entries`] whose key `keep` accepts, by key: a store that
    /// groups entries (by a prefix of their key) rewrites one group from them.
    pub fn entries_where(&self, mut keep: impl FnMut(&[u8; 16]) -> bool) -> Vec<HistoryEntry> {
        let mut out: Vec<HistoryEntry> = self
            .leaves
            .keys()
            .map(|&key| key.to_be_bytes())
            .filter(|key| keep(key))
            .map(|key| (key, self.encode(u128::from_be_bytes(key))))
            .collect();
        out.sort_unstable();
        out
    }

    /// The encoding of one key's variants: per variant its digest (16 bytes), flags (1),
    /// range count (u32) and ranges (start, end; u32 each, big-endian), the end of a range
    /// the newest position holds written as open.
    fn encode(&self, key: u128) -> Vec<u8> {
        let variants = &self.leaves[&key];
        let mut out = Vec::with_capacity(variants.len() * 29);
        for v in variants {
            out.extend_from_slice(&v.digest.to_be_bytes());
            out.push(v.flags);
            out.extend_from_slice(&(v.versions.len() as u32).to_be_bytes());
            for &(start, end) in &v.versions {
                out.extend_from_slice(&start.to_be_bytes());
                let end = if end == self.len { OPEN } else { end };
                out.extend_from_slice(&end.to_be_bytes());
            }
        }
        out
    }

    /// Reads back a history of `positions` versions (all live) from its
    /// [`History::entries`], without compiling anything. `None` when an entry is not one
    /// this version wrote, or names a position past `positions`.
    pub fn from_entries<'a>(
        positions: usize,
        entries: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Option<History> {
        let len = u32::try_from(positions).ok().filter(|l| *l < OPEN)?;
        let mut history = History {
            len,
            retired: vec![false; positions],
            live: positions,
            ..History::default()
        };
        for (key, value) in entries {
            let key = u128::from_be_bytes(key.try_into().ok()?);
            let mut at = 0;
            let mut take = |n: usize| -> Option<&'a [u8]> {
                let bytes = value.get(at..at + n)?;
                at += n;
                Some(bytes)
            };
            let u32_of = |b: &[u8]| u32::from_be_bytes(b.try_into().expect("4 bytes"));
            let mut variants = Vec::new();
            while let Some(digest) = take(16) {
                let digest = u128::from_be_bytes(digest.try_into().ok()?);
                let flags = take(1)?[0];
                let count = u32_of(take(4)?) as usize;
                let mut versions = Vec::with_capacity(count.min(1 << 16));
                let mut after = 0;
                for _ in 0..count {
                    let start = u32_of(take(4)?);
                    let end = match u32_of(take(4)?) {
                        OPEN => len,
                        end => end,
                    };
                    if start < after || end <= start || end > len {
                        return None;
                    }
                    after = end;
                    versions.push((start, end));
                }
                if versions.last().is_some_and(|r| r.1 == len) {
                    history.newest.push((key, variants.len()));
                }
                variants.push(Variant {
                    digest,
                    flags,
                    versions,
                });
            }
            if take(1).is_some() || variants.is_empty() {
                return None;
            }
            history.leaves.insert(key, variants);
        }
        Some(history)
    }

    /// The versions whose pairwise check against `new` may find something, per direction;
    /// every other check is certain to come back empty (see the module docs).
    pub fn suspects(&self, new: &Image) -> Suspects {
        let n = self.len as usize;
        let mut backward = Marks::new(n);
        let mut forward = Marks::new(n);
        let mut new_leaves: HashMap<u128, Vec<Leaf>> = HashMap::new();
        for leaf in leaves(new) {
            new_leaves.entry(leaf.key).or_default().push(leaf);
        }
        for (key, variants) in &self.leaves {
            match new_leaves.get(key).map(Vec::as_slice) {
                None => {
                    for v in variants {
                        // Deleted by the new schema: a deletion (backward); in the forward
                        // check an addition, which only a required field makes visible.
                        backward.add(&v.versions);
                        if v.flags & REQUIRED != 0 {
                            forward.add(&v.versions);
                        }
                    }
                }
                Some([current]) => {
                    for v in variants {
                        if v.digest != current.digest || v.flags != current.flags {
                            backward.add(&v.versions);
                            forward.add(&v.versions);
                        }
                    }
                    if current.flags & (REQUIRED | MESSAGE) != 0 {
                        let lacking = lacking(variants, self.len);
                        if current.flags & REQUIRED != 0 {
                            backward.add(&lacking);
                        }
                        forward.add(&lacking);
                    }
                }
                // A key the new schema holds twice is never taken as unchanged.
                Some(_) => {
                    for v in variants {
                        backward.add(&v.versions);
                        forward.add(&v.versions);
                    }
                }
            }
        }
        let all = [(0, self.len)];
        for (key, current) in &new_leaves {
            if self.leaves.contains_key(key) {
                continue;
            }
            let flags = current.iter().fold(0, |f, l| f | l.flags);
            if flags & REQUIRED != 0 {
                backward.add(&all);
            }
            if flags & (REQUIRED | MESSAGE) != 0 {
                forward.add(&all);
            }
        }
        let live = |marks: Marks| -> Vec<bool> {
            marks
                .finish()
                .into_iter()
                .zip(&self.retired)
                .filter(|(_, retired)| !**retired)
                .map(|(suspect, _)| suspect)
                .collect()
        };
        Suspects {
            backward: live(backward),
            forward: live(forward),
        }
    }
}

/// The versions in `0..len` that hold none of `variants`.
fn lacking(variants: &[Variant], len: u32) -> Vec<(u32, u32)> {
    let mut held: Vec<(u32, u32)> = variants
        .iter()
        .flat_map(|v| v.versions.iter().copied())
        .collect();
    held.sort_unstable();
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end) in held {
        if start > at {
            out.push((at, start));
        }
        at = at.max(end);
    }
    if at < len {
        out.push((at, len));
    }
    out
}

/// A set of version positions built from ranges with a difference array: adding a range
/// costs O(1), reading the set O(versions).
struct Marks(Vec<i32>);

impl Marks {
    fn new(len: usize) -> Marks {
        Marks(vec![0; len + 1])
    }

    fn add(&mut self, ranges: &[(u32, u32)]) {
        for &(start, end) in ranges {
            self.0[start as usize] += 1;
            self.0[end as usize] -= 1;
        }
    }

    fn finish(self) -> Vec<bool> {
        let mut depth = 0;
        let mut out = Vec::with_capacity(self.0.len().saturating_sub(1));
        for d in &self.0[..self.0.len().saturating_sub(1)] {
            depth += d;
            out.push(depth > 0);
        }
        out
    }
}

/// The key of a leaf: its kind, its file, its owner's (or its own) full name and a number.
fn key(kind: LeafKind, file: &str, name: &str, number: i64) -> u128 {
    let mut d = Digest::new();
    d.int(kind as i64);
    d.str(file);
    d.str(name);
    d.int(number);
    d.finish()
}

/// Every leaf of the checked files of `image`.
fn leaves(image: &Image) -> Vec<Leaf> {
    let mut out = Vec::new();
    let mut seen_files = std::collections::HashSet::new();
    for target in image.targets() {
        if !seen_files.insert(target.as_str()) {
            continue;
        }
        if let Some(file) = image.pool().get_file_by_name(target) {
            file_leaves(&file, &mut out);
        }
    }
    out
}

fn file_leaves(file: &FileDescriptor, out: &mut Vec<Leaf>) {
    let path = file.name();
    let context = file_context(file);
    let p = file.file_descriptor_proto();
    let leaf = |kind: LeafKind, name: &str, number: i64, digest: u128, flags: u8| Leaf {
        key: key(kind, path, name, number),
        digest,
        flags,
    };
    // The file without its elements, imports or source info.
    let shell = FileDescriptorProto {
        name: p.name.clone(),
        package: p.package.clone(),
        options: p.options.clone(),
        syntax: p.syntax.clone(),
        ..Default::default()
    };
    out.push(leaf(LeafKind::File, "", 0, digest_of(&shell, &context), 0));

    for m in messages_of(file) {
        let raw = m.descriptor_proto();
        let name = m.full_name();
        let shell = DescriptorProto {
            name: raw.name.clone(),
            options: raw.options.clone(),
            extension_range: raw.extension_range.clone(),
            ..Default::default()
        };
        out.push(leaf(
            LeafKind::Message,
            name,
            0,
            digest_of(&shell, &context),
            MESSAGE,
        ));
        for f in m.fields() {
            let mut d = Digest::new();
            hash_field(&mut d, f.field_descriptor_proto());
            d.bytes(&context);
            d.str(f.containing_oneof().as_ref().map_or("", |o| o.name()));
            d.int(i64::from(f.is_map()));
            d.int(i64::from(f.is_group()));
            hash_enum_kind(&mut d, &f.kind());
            out.push(leaf(
                LeafKind::Field,
                name,
                i64::from(f.number()),
                d.finish(),
                required_flag(f.cardinality()),
            ));
        }
        for (i, o) in raw.oneof_decl.iter().enumerate() {
            let mut d = Digest::new();
            d.message(Some(o));
            d.int(i as i64);
            out.push(Leaf {
                key: {
                    let mut k = Digest::new();
                    k.int(LeafKind::Oneof as i64);
                    k.str(path);
                    k.str(name);
                    k.str(o.name());
                    k.finish()
                },
                digest: d.finish(),
                flags: 0,
            });
        }
        for r in &raw.reserved_range {
            let number = (i64::from(r.start()) << 32) | i64::from(r.end() as u32);
            out.push(leaf(LeafKind::MessageReservedRange, name, number, 0, 0));
        }
        for n in &raw.reserved_name {
            let mut k = Digest::new();
            k.int(LeafKind::MessageReservedName as i64);
            k.str(path);
            k.str(name);
            k.str(n);
            out.push(Leaf {
                key: k.finish(),
                digest: 0,
                flags: 0,
            });
        }
    }

    for e in enums_of(file) {
        let raw = e.enum_descriptor_proto();
        let name = e.full_name();
        let shell = EnumDescriptorProto {
            name: raw.name.clone(),
            options: raw.options.clone(),
            ..Default::default()
        };
        out.push(leaf(
            LeafKind::Enum,
            name,
            0,
            digest_of(&shell, &context),
            0,
        ));
        // Values by number: every name a number has (aliases included), in order.
        let mut by_number: Vec<(i32, usize)> = raw
            .value
            .iter()
            .enumerate()
            .map(|(i, v)| (v.number(), i))
            .collect();
        by_number.sort_unstable();
        for group in by_number.chunk_by(|a, b| a.0 == b.0) {
            let mut d = Digest::new();
            for &(_, i) in group {
                d.message(Some(&raw.value[i]));
            }
            d.bytes(&context);
            out.push(leaf(
                LeafKind::EnumNumber,
                name,
                i64::from(group[0].0),
                d.finish(),
                0,
            ));
        }
        for r in &raw.reserved_range {
            let number = (i64::from(r.start()) << 32) | i64::from(r.end() as u32);
            out.push(leaf(LeafKind::EnumReservedRange, name, number, 0, 0));
        }
        for n in &raw.reserved_name {
            let mut k = Digest::new();
            k.int(LeafKind::EnumReservedName as i64);
            k.str(path);
            k.str(name);
            k.str(n);
            out.push(Leaf {
                key: k.finish(),
                digest: 0,
                flags: 0,
            });
        }
    }

    for x in extensions_of(file) {
        let mut d = Digest::new();
        hash_field(&mut d, x.field_descriptor_proto());
        d.bytes(&context);
        d.str(x.full_name());
        hash_enum_kind(&mut d, &x.kind());
        out.push(leaf(
            LeafKind::Extension,
            x.containing_message().full_name(),
            i64::from(x.number()),
            d.finish(),
            required_flag(x.cardinality()),
        ));
    }

    for s in file.services() {
        let raw = s.service_descriptor_proto();
        let name = s.full_name();
        let shell = ServiceDescriptorProto {
            name: raw.name.clone(),
            options: raw.options.clone(),
            ..Default::default()
        };
        out.push(leaf(
            LeafKind::Service,
            name,
            0,
            digest_of(&shell, &context),
            0,
        ));
        for m in &raw.method {
            let mut k = Digest::new();
            k.int(LeafKind::Method as i64);
            k.str(path);
            k.str(name);
            k.str(m.name());
            let mut d = Digest::new();
            d.message(Some(m));
            out.push(Leaf {
                key: k.finish(),
                digest: d.finish(),
                flags: 0,
            });
        }
    }
}

/// The digest of a shell descriptor in its file context.
fn digest_of<M: prost::Message>(shell: &M, context: &[u8]) -> u128 {
    let mut d = Digest::new();
    d.message(Some(shell));
    d.bytes(context);
    d.finish()
}
