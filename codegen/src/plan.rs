//! The plan: from a hunt's registered versions (or a directory of `.proto` files) to what
//! gets generated. Names every registered schema as a file, compiles each version as its
//! writer saw it, picks the newest schemas as the compiled types, proves with
//! huntreg-compat that they read every registered version, and builds the dispatch
//! table `(schema ID, message index) -> message`.
//!
//! Naming rule: a subject's schema is compiled under the import path other schemas
//! reference it by; else under the subject's name when it ends in `.proto` (huntreg
//! push's one-subject-per-file naming); else as `{subject}.proto`. When two subjects'
//! newest schemas define the same messages (a file pushed as `treasure/v1/found.proto`
//! and registered by a producer as `found-value`), the one with the higher schema ID is
//! compiled and the other decodes through it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use huntreg_compat::{check_history, Extent, History, Image, Level, RuleSet};
use prost_reflect::{DescriptorPool, FileDescriptor, MessageDescriptor};

use crate::compile::{compile_dir, compile_memory, Compiled};
use crate::error::{Error, ErrorKind};
use crate::lockfile::{LockedHunt, LockedVersion};

/// What generation needs, independent of templates.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) hunt: String,
    /// The newest schemas, compiled: the generated types.
    pub(crate) current: Compiled,
    /// Names of the files in `current` whose messages are events (not imports).
    pub(crate) targets: Vec<String>,
    /// Current file name -> the schema ID producers frame its messages with.
    pub(crate) file_ids: BTreeMap<String, u32>,
    /// Every registered schema ID, ascending, with the messages of its file.
    pub(crate) ids: Vec<IdEntry>,
    /// Current file name -> its messages' index paths (map entries excluded), in the
    /// order pinned by the lockfile; files not listed derive them from their text.
    pub(crate) paths: BTreeMap<String, Vec<(Vec<u32>, String)>>,
    /// Subject -> the schema ID of its newest version (what the resolver path uses).
    pub(crate) subjects: BTreeMap<String, u32>,
    /// Inputs read from disk (for `cargo:rerun-if-changed`).
    pub(crate) inputs: Vec<PathBuf>,
}

/// One registered schema ID and the messages records framed with it can hold.
#[derive(Debug)]
pub(crate) struct IdEntry {
    pub(crate) id: u32,
    pub(crate) subject: String,
    pub(crate) version: u32,
    /// Every (subject, version) registered with this ID, by subject name then version
    /// (one schema registered under several subjects has one ID).
    pub(crate) holders: Vec<(String, u32)>,
    /// (index path, full message name), map entries excluded.
    pub(crate) messages: Vec<(Vec<u32>, String)>,
}

/// Every message of `file` with its Confluent message-index path, map entries included
/// (descriptor-based serializers count them).
pub(crate) fn indexed_messages(file: &FileDescriptor) -> Vec<(Vec<u32>, MessageDescriptor)> {
    fn walk(
        path: &[u32],
        messages: impl Iterator<Item = MessageDescriptor>,
        out: &mut Vec<(Vec<u32>, MessageDescriptor)>,
    ) {
        for (i, message) in messages.enumerate() {
            let mut p = path.to_vec();
            p.push(i as u32);
            out.push((p.clone(), message.clone()));
            walk(&p, message.child_messages(), out);
        }
    }
    let mut out = Vec::new();
    walk(&[], file.messages(), &mut out);
    out
}

/// The index table of `file`: from `order` (the registry's descriptor order, pinned in the
/// lockfile) when given, else from the compiled text.
pub(crate) fn index_table(
    file: &FileDescriptor,
    order: &[String],
) -> Result<Vec<(Vec<u32>, MessageDescriptor)>, String> {
    let derived = indexed_messages(file);
    if order.is_empty() {
        return Ok(derived);
    }
    let pool = file.parent_pool();
    let mut paths: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut children: BTreeMap<String, u32> = BTreeMap::new();
    let mut out = Vec::new();
    for name in order {
        let message = pool
            .get_message_by_name(name)
            .filter(|m| m.parent_file().name() == file.name())
            .ok_or_else(|| {
                format!("the registry's descriptor lists message {name}, which the schema text does not define")
            })?;
        let parent = message.parent_message().map(|p| p.full_name().to_owned());
        let mut path = match &parent {
            Some(p) => paths
                .get(p)
                .cloned()
                .ok_or_else(|| format!("message {name} is listed before its parent"))?,
            None => Vec::new(),
        };
        let count = children.entry(parent.unwrap_or_default()).or_insert(0);
        path.push(*count);
        *count += 1;
        paths.insert(name.clone(), path.clone());
        out.push((path, message));
    }
    if out.len() != derived.len() {
        return Err(format!(
            "the registry's descriptor lists {} messages, the schema text defines {}",
            out.len(),
            derived.len()
        ));
    }
    Ok(out)
}

/// The index table of a version from the message order the lockfile pins (`order`, map
/// entries included), without compiling it: each message found in the newest types,
/// map entries (as the newest types define them) left out. `None` when the order is not
/// pinned or names a message the newest types lack: the version is compiled instead.
fn pinned_table(order: &[String], newest: &DescriptorPool) -> Option<Vec<(Vec<u32>, String)>> {
    if order.is_empty() {
        return None;
    }
    let mut paths: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut children: BTreeMap<String, u32> = BTreeMap::new();
    let mut out = Vec::new();
    for name in order {
        let message = newest.get_message_by_name(name)?;
        let parent = message
            .parent_message()
            .map(|p| p.full_name().to_owned())
            .unwrap_or_default();
        let mut path = if parent.is_empty() {
            Vec::new()
        } else {
            paths.get(&parent)?.clone()
        };
        let count = children.entry(parent).or_insert(0);
        path.push(*count);
        *count += 1;
        paths.insert(name.clone(), path.clone());
        if !message.is_map_entry() {
            out.push((path, name.clone()));
        }
    }
    Some(out)
}

fn unqualify<'a>(hunt: &str, subject: &'a str) -> &'a str {
    huntreg_runtime::unqualify(hunt, subject).unwrap_or(subject)
}

fn what(subject: &str, version: u32, id: u32) -> String {
    format!("subject {subject} version {version} (schema ID {id})")
}

impl Plan {
    /// Builds the plan for a `.proto` directory: types and events, no schema IDs.
    pub(crate) fn from_dir(hunt: &str, dir: &Path) -> Result<Plan, Error> {
        let (current, targets, inputs) = compile_dir(dir).map_err(|detail| ErrorKind::Compile {
            hunt: hunt.to_owned(),
            what: format!("schema directory {}", dir.display()),
            detail,
        })?;
        Ok(Plan {
            hunt: hunt.to_owned(),
            current,
            targets,
            file_ids: BTreeMap::new(),
            ids: Vec::new(),
            paths: BTreeMap::new(),
            subjects: BTreeMap::new(),
            inputs,
        })
    }

    /// Builds the plan for a hunt's registered versions, checking with `rules` that the
    /// newest schemas read every version. `texts` gives a version's full text (subject,
    /// version): asked only for the versions compiled, so `locked` need not hold the
    /// others' texts.
    pub(crate) fn from_locked(
        locked: &LockedHunt,
        texts: &dyn Fn(&str, u32) -> Result<String, Error>,
        rules: &RuleSet,
    ) -> Result<Plan, Error> {
        let hunt = locked.hunt.as_str();
        let mut by_version: BTreeMap<(&str, u32), &LockedVersion> = BTreeMap::new();
        let mut holders: BTreeMap<u32, Vec<(&str, &LockedVersion)>> = BTreeMap::new();
        for subject in &locked.subjects {
            for version in &subject.versions {
                by_version.insert((subject.subject.as_str(), version.version), version);
                holders
                    .entry(version.id)
                    .or_default()
                    .push((subject.subject.as_str(), version));
            }
        }

        for hs in holders.values_mut() {
            hs.sort_by(|a, b| (a.0, a.1.version).cmp(&(b.0, b.1.version)));
        }

        // Import names other schemas use for each subject.
        let mut ref_names: BTreeMap<&str, &str> = BTreeMap::new();
        for version in by_version.values() {
            for r in &version.references {
                let subject = unqualify(hunt, &r.subject);
                let entry = ref_names.entry(subject).or_insert(r.name.as_str());
                if r.name.as_str() < *entry {
                    *entry = r.name.as_str();
                }
            }
        }
        let subject_file = |subject: &str| -> (u8, String) {
            if let Some(name) = ref_names.get(subject) {
                (0, (*name).to_owned())
            } else if subject.ends_with(".proto") {
                (1, subject.to_owned())
            } else {
                let clean: String = subject
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || "_-./".contains(c) {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                (2, format!("{clean}.proto"))
            }
        };
        let id_file: BTreeMap<u32, String> = holders
            .iter()
            .map(|(id, hs)| {
                let best = hs
                    .iter()
                    .map(|(s, _)| subject_file(s))
                    .min()
                    .map(|(_, n)| n);
                (*id, best.unwrap_or_default())
            })
            .collect();

        // Every version's files as its writer saw them: the schema plus its references,
        // transitively, at their pinned versions. Built and compiled only for the versions
        // that need it: the newest of each subject, and those the compatibility history
        // names (or that no history covers).
        let writer_files = |id: u32| -> Result<BTreeMap<String, String>, Error> {
            let (subject, version) = holders[&id][0];
            let mut files = BTreeMap::new();
            files.insert(id_file[&id].clone(), texts(subject, version.version)?);
            let mut stack: Vec<&LockedVersion> = vec![version];
            while let Some(v) = stack.pop() {
                for r in &v.references {
                    if files.contains_key(&r.name) {
                        continue;
                    }
                    let target_subject = unqualify(hunt, &r.subject);
                    let target = by_version
                        .get(&(target_subject, r.version))
                        .ok_or_else(|| ErrorKind::MissingReference {
                            hunt: hunt.to_owned(),
                            what: what(subject, version.version, id),
                            reference: r.name.clone(),
                            subject: r.subject.clone(),
                            version: r.version,
                        })?;
                    files.insert(r.name.clone(), texts(target_subject, r.version)?);
                    stack.push(target);
                }
            }
            Ok(files)
        };
        let compile_writer = |id: u32| -> Result<Compiled, Error> {
            let (subject, version) = holders[&id][0];
            compile_memory(&writer_files(id)?, &[id_file[&id].clone()]).map_err(|detail| {
                ErrorKind::Compile {
                    hunt: hunt.to_owned(),
                    what: what(subject, version.version, id),
                    detail,
                }
                .into()
            })
        };
        let image_of = |id: u32, compiled: &Compiled| {
            Image::with_targets(compiled.pool.clone(), [id_file[&id].clone()])
        };

        // The newest version of every subject, one file per name (highest ID wins).
        let mut subjects = BTreeMap::new();
        let mut candidates: BTreeMap<String, u32> = BTreeMap::new();
        for subject in &locked.subjects {
            let newest = subject
                .versions
                .iter()
                .filter(|v| !v.deleted)
                .max_by_key(|v| v.version)
                .or_else(|| subject.versions.iter().max_by_key(|v| v.version));
            if let Some(v) = newest {
                subjects.insert(subject.subject.clone(), v.id);
                let name = id_file[&v.id].clone();
                let e = candidates.entry(name).or_insert(v.id);
                *e = (*e).max(v.id);
            }
        }
        let mut writers: BTreeMap<u32, Compiled> = BTreeMap::new();
        for id in candidates.values() {
            writers.insert(*id, compile_writer(*id)?);
        }
        // Files that only repeat definitions of a newer file decode through it.
        let mut by_id: Vec<(u32, String)> = candidates.into_iter().map(|(n, id)| (id, n)).collect();
        by_id.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        let mut defined: BTreeMap<String, u32> = BTreeMap::new();
        let mut file_ids = BTreeMap::new();
        for (id, name) in by_id {
            let file = writers[&id].pool.get_file_by_name(&name);
            let names: Vec<String> = file
                .iter()
                .flat_map(|f| {
                    f.messages()
                        .map(|m| m.full_name().to_owned())
                        .chain(f.enums().map(|e| e.full_name().to_owned()))
                        .collect::<Vec<_>>()
                })
                .collect();
            let clashes: Vec<&String> = names.iter().filter(|n| defined.contains_key(*n)).collect();
            if !names.is_empty() && clashes.len() == names.len() {
                continue;
            }
            if let Some(first) = clashes.first() {
                let (subject, version) = holders[&id][0];
                return Err(ErrorKind::NameClash {
                    hunt: hunt.to_owned(),
                    detail: format!(
                        "{} defines {first}, which schema ID {} also defines, but the two files differ in other definitions; register them under one subject",
                        what(subject, version.version, id),
                        defined[*first]
                    ),
                }
                .into());
            }
            for n in names {
                defined.insert(n, id);
            }
            file_ids.insert(name, id);
        }

        // Compile the newest files together; imports a newest file does not provide come
        // from the pinned references.
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        let newest_files: Vec<BTreeMap<String, String>> = file_ids
            .values()
            .map(|id| writer_files(*id))
            .collect::<Result<_, _>>()?;
        for (name, newest) in file_ids.keys().zip(&newest_files) {
            files.insert(name.clone(), newest[name].clone());
        }
        for newest in &newest_files {
            for (name, text) in newest {
                files.entry(name.clone()).or_insert_with(|| text.clone());
            }
        }
        let targets: Vec<String> = file_ids.keys().cloned().collect();
        let current = compile_memory(&files, &targets).map_err(|detail| ErrorKind::Compile {
            hunt: hunt.to_owned(),
            what: "the newest version of every subject, compiled together".to_owned(),
            detail,
        })?;
        let current_image = Image::with_targets(current.pool.clone(), targets.clone());
        let current_ids: BTreeSet<u32> = file_ids.values().copied().collect();

        // The registry's histories the lockfile carries: each version one covers is
        // checked through it (compiled only if it names the version a suspect). A version
        // is covered by the history of the subject it is listed under first; the newest
        // versions, and versions the lockfile pins under another ID, are retired from it.
        let mut kept: Vec<(History, Vec<u32>)> = Vec::new();
        let mut covered: BTreeSet<u32> = BTreeSet::new();
        for subject in &locked.subjects {
            let Some(pinned) = &subject.history else {
                continue;
            };
            let entries = pinned.entries.iter().map(|(k, v)| (&k[..], &v[..]));
            let Some(mut history) = History::from_entries(pinned.versions.len(), entries) else {
                continue;
            };
            let ids_of: BTreeMap<u32, u32> =
                subject.versions.iter().map(|v| (v.version, v.id)).collect();
            let mut retire = Vec::new();
            let mut ids = Vec::new();
            for (position, number) in pinned.versions.iter().enumerate() {
                match ids_of.get(number) {
                    Some(&id)
                        if !current_ids.contains(&id)
                            && holders[&id][0].0 == subject.subject
                            && covered.insert(id) =>
                    {
                        ids.push(id)
                    }
                    _ => retire.push(position),
                }
            }
            history.retire(&retire);
            if !ids.is_empty() {
                kept.push((history, ids));
            }
        }

        // Map every version's messages: from the message order the lockfile pins when the
        // newest types define them all (no compiling), else from the version compiled.
        let mut errors = Vec::new();
        let mut ids = Vec::new();
        let mut paths = BTreeMap::new();
        let mut history: Vec<(u32, Image)> = Vec::new();
        for (id, hs) in &holders {
            let (subject, version) = hs[0];
            let name = &id_file[id];
            let pinned = if current_ids.contains(id) {
                None
            } else {
                pinned_table(&version.messages, &current.pool)
            };
            let mut image = None;
            let messages = match pinned {
                Some(messages) => messages,
                None => {
                    if !writers.contains_key(id) {
                        writers.insert(*id, compile_writer(*id)?);
                    }
                    let compiled = &writers[id];
                    let Some(file) = compiled.pool.get_file_by_name(name) else {
                        continue;
                    };
                    let table = match index_table(&file, &version.messages) {
                        Ok(table) => table,
                        Err(detail) => {
                            errors.push(
                                ErrorKind::Compile {
                                    hunt: hunt.to_owned(),
                                    what: what(subject, version.version, *id),
                                    detail,
                                }
                                .into(),
                            );
                            continue;
                        }
                    };
                    let mut messages = Vec::new();
                    for (path, message) in table {
                        if message.is_map_entry() {
                            continue;
                        }
                        if current
                            .pool
                            .get_message_by_name(message.full_name())
                            .is_none()
                        {
                            errors.push(Error::from(ErrorKind::MessageRemoved {
                                hunt: hunt.to_owned(),
                                what: what(subject, version.version, *id),
                                message: message.full_name().to_owned(),
                                index: path,
                            }));
                            continue;
                        }
                        messages.push((path, message.full_name().to_owned()));
                    }
                    image = Some(image_of(*id, compiled));
                    messages
                }
            };
            if file_ids.get(name) == Some(id) {
                paths.insert(name.clone(), messages.clone());
            }
            if !current_ids.contains(id) && !covered.contains(id) {
                let image = match image {
                    Some(image) => image,
                    None => image_of(*id, &compile_writer(*id)?),
                };
                history.push((*id, image));
            }
            ids.push(IdEntry {
                id: *id,
                subject: subject.to_owned(),
                version: version.version,
                holders: holders[id]
                    .iter()
                    .map(|(s, v)| ((*s).to_owned(), v.version))
                    .collect(),
                messages,
            });
        }
        // Versions compiled here hold less memory once their images are taken.
        drop(writers);

        // Newest reads every version: BACKWARD_TRANSITIVE, with each version's own image.
        // The distinct elements of the history are compared once; only versions holding
        // one the newest schemas lack or changed are compared pair by pair: for the
        // versions no kept history covers, with an index built here; for the others, with
        // the registry's (each version it names compiled then).
        let mut index = History::new();
        for (_, image) in &history {
            index.push(image);
        }
        let mut failing: Vec<(u32, huntreg_compat::Report)> = Vec::new();
        let verdict = check_history(
            Level::BackwardTransitive,
            &current_image,
            history.len(),
            Some(&index),
            rules,
            Extent::Every,
            |i| Ok::<_, std::convert::Infallible>(history[i].1.clone()),
        )
        .unwrap_or_else(|never| match never {});
        for pair in verdict.pairs {
            if let Some((id, _)) = history.get(pair.against) {
                failing.push((*id, pair.report));
            }
        }
        for (index, covered_ids) in &kept {
            let verdict = check_history(
                Level::BackwardTransitive,
                &current_image,
                index.len(),
                Some(index),
                rules,
                Extent::Every,
                |i| compile_writer(covered_ids[i]).map(|c| image_of(covered_ids[i], &c)),
            )?;
            for pair in verdict.pairs {
                if let Some(id) = covered_ids.get(pair.against) {
                    failing.push((*id, pair.report));
                }
            }
        }
        failing.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
        for (id, report) in failing.iter().filter(|(_, r)| !r.is_empty()) {
            let (subject, version) = holders[id][0];
            let findings = report
                .findings
                .iter()
                .map(|f| {
                    let against = f
                        .against
                        .as_ref()
                        .map(|l| {
                            let line = l.span.map(|s| s.start_line).unwrap_or(1);
                            format!(
                                " [newest schema; version {} at {}:{line}]",
                                version.version, l.file
                            )
                        })
                        .unwrap_or_default();
                    format!("  {f}{against}")
                })
                .collect::<Vec<_>>()
                .join("\n");
            errors.push(
                ErrorKind::Incompatible {
                    hunt: hunt.to_owned(),
                    what: what(subject, version.version, *id),
                    findings,
                }
                .into(),
            );
        }
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        Ok(Plan {
            hunt: hunt.to_owned(),
            current,
            targets,
            file_ids,
            ids,
            paths,
            subjects,
            inputs: Vec::new(),
        })
    }
}
