//! The view model: plain serializable structs the templates render. The only
//! `Serialize` types of the generator; every name in them is computed here (and in
//! `ident.rs`), so templates only loop and branch.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, ErrorKind};
use crate::ident;
use crate::plan::{indexed_messages, Plan};

/// Everything a hunt's template renders.
#[derive(Debug, Serialize)]
pub(crate) struct HuntModel {
    /// The hunt's name, e.g. `hunt-42` (`.` for the default context).
    pub(crate) hunt: String,
    /// The hunt's context in words, for docs: "its Confluent context is `.hunt-42`".
    pub(crate) context: String,
    /// Where the schemas came from, for the generated file's header.
    pub(crate) source: String,
    /// The generator's crate name.
    pub(crate) generator: String,
    /// False for a schema directory (no registry, so no IDs, no dispatch, no encode).
    pub(crate) has_ids: bool,
    /// Every known schema ID, ascending.
    pub(crate) known_ids: Vec<u32>,
    /// One per message type of the newest schemas, sorted by variant.
    pub(crate) events: Vec<EventModel>,
    /// The dispatch table, by ID ascending.
    pub(crate) dispatch: Vec<IdModel>,
    /// The distinct message tables of the registered IDs (most IDs of a long history share
    /// one): the generated dispatch grows with these, not with versions.
    pub(crate) classes: Vec<ClassModel>,
    /// Runs of consecutive registered IDs with the same class, ascending.
    pub(crate) runs: Vec<RunModel>,
    /// Subjects and the ID of their newest version, by name.
    pub(crate) subjects: Vec<SubjectModel>,
    /// The prost-generated types, nested in package modules (filled in by `render`).
    pub(crate) types: String,
    /// Whether `decode` reads records without a message-index section (kafkajs) as the
    /// first message (set by the builder; default true).
    pub(crate) index_free_fallback: bool,
}

/// One message type: an `Event` variant.
#[derive(Debug, Serialize)]
pub(crate) struct EventModel {
    /// The `Event` (and `Kind`) variant name.
    pub(crate) variant: String,
    /// The Rust path relative to the hunt module.
    pub(crate) rust_type: String,
    /// The fully qualified protobuf name.
    pub(crate) full_name: String,
    /// The ID `encode` frames it with (the newest schema defining it).
    pub(crate) schema_id: Option<u32>,
    /// Its index path in that schema, as a Rust slice literal (`&[0]`).
    pub(crate) index: String,
}

/// The messages one schema ID can hold.
#[derive(Debug, Serialize)]
pub(crate) struct IdModel {
    pub(crate) id: u32,
    pub(crate) subject: String,
    pub(crate) version: u32,
    pub(crate) entries: Vec<EntryModel>,
    /// Every subject version registered with the ID, by subject name then version.
    pub(crate) holders: Vec<HolderModel>,
    /// The entries' index paths 4 or more deep, as slice literals: the Confluent sections
    /// whose first byte (8 or more) could also start a kafkajs record's payload.
    pub(crate) deep: Vec<String>,
}

/// One distinct message table: (index path -> variant) rows.
#[derive(Debug, Serialize)]
pub(crate) struct ClassModel {
    /// Its number, as the dispatch runs name it.
    pub(crate) index: usize,
    pub(crate) entries: Vec<EntryModel>,
}

/// Consecutive registered IDs `first..=last` sharing message table `class`.
#[derive(Debug, Serialize)]
pub(crate) struct RunModel {
    pub(crate) first: u32,
    pub(crate) last: u32,
    pub(crate) class: usize,
}

/// One subject version a schema ID is registered under.
#[derive(Debug, Serialize)]
pub(crate) struct HolderModel {
    /// The subject as a Rust string literal (quoted and escaped).
    pub(crate) subject: String,
    pub(crate) version: u32,
}

/// One row of the dispatch table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct EntryModel {
    /// The index path as a slice pattern (`[0]`, `[1, 0]`).
    pub(crate) pattern: String,
    /// The variant it dispatches to.
    pub(crate) variant: String,
}

/// A subject and its newest schema ID.
#[derive(Debug, Serialize)]
pub(crate) struct SubjectModel {
    pub(crate) name: String,
    /// The name as a Rust string literal (quoted and escaped).
    pub(crate) literal: String,
    pub(crate) latest_id: u32,
    /// The messages of its newest version, as `encode_as(subject)` frames them.
    pub(crate) framings: Vec<FramingModel>,
}

/// How `encode_as` frames one message for one subject.
#[derive(Debug, Serialize)]
pub(crate) struct FramingModel {
    /// The `Event` (and `Kind`) variant.
    pub(crate) variant: String,
    /// The message's index path in the subject's newest version, as `&[..]`.
    pub(crate) index: String,
}

/// The shortest index path whose Confluent section starts at 8 or more (a zig-zag count
/// of 4 is the byte 8), as every protobuf payload does.
const DEEP_INDEX: usize = 4;

fn slice(path: &[u32]) -> String {
    let items: Vec<String> = path.iter().map(u32::to_string).collect();
    format!("[{}]", items.join(", "))
}

struct Message {
    package: String,
    names: Vec<String>,
    full_name: String,
    schema_id: Option<u32>,
    index: Vec<u32>,
}

impl HuntModel {
    /// Builds the model from a plan. Fails on `Event` variant names that clash even
    /// after qualifying them with their packages.
    pub(crate) fn new(plan: &Plan, source: String) -> Result<HuntModel, Error> {
        let mut messages: Vec<Message> = Vec::new();
        for name in &plan.targets {
            let Some(file) = plan.current.pool.get_file_by_name(name) else {
                continue;
            };
            let table: Vec<(Vec<u32>, String)> = match plan.paths.get(name) {
                Some(pinned) => pinned.clone(),
                None => indexed_messages(&file)
                    .into_iter()
                    .filter(|(_, m)| !m.is_map_entry())
                    .map(|(path, m)| (path, m.full_name().to_owned()))
                    .collect(),
            };
            for (index, full_name) in table {
                let Some(message) = plan.current.pool.get_message_by_name(&full_name) else {
                    continue;
                };
                let package = message.package_name().to_owned();
                let relative = full_name
                    .strip_prefix(&package)
                    .unwrap_or(&full_name)
                    .trim_start_matches('.');
                messages.push(Message {
                    names: relative.split('.').map(str::to_owned).collect(),
                    package,
                    full_name: full_name.clone(),
                    schema_id: plan.file_ids.get(name).copied(),
                    index,
                });
            }
        }
        if messages.is_empty() {
            return Err(ErrorKind::Compile {
                hunt: plan.hunt.clone(),
                what: "the newest schemas".to_owned(),
                detail: "they define no message types".to_owned(),
            }
            .into());
        }
        messages.sort_by(|a, b| a.full_name.cmp(&b.full_name));
        messages.dedup_by(|a, b| a.full_name == b.full_name);

        // Short variant names, qualified by package where two would clash.
        let short = |m: &Message| {
            let names: Vec<&str> = m.names.iter().map(String::as_str).collect();
            ident::variant(None, &names)
        };
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for m in &messages {
            *counts.entry(short(m)).or_default() += 1;
        }
        let mut events = Vec::new();
        let mut variants: BTreeMap<String, String> = BTreeMap::new();
        for m in &messages {
            let names: Vec<&str> = m.names.iter().map(String::as_str).collect();
            let mut variant = short(m);
            if counts[&variant] > 1 {
                variant = ident::variant(Some(&m.package), &names);
            }
            if let Some(other) = variants.insert(variant.clone(), m.full_name.clone()) {
                return Err(ErrorKind::NameClash {
                    hunt: plan.hunt.clone(),
                    detail: format!(
                        "messages {other} and {} both map to the Event variant {variant}",
                        m.full_name
                    ),
                }
                .into());
            }
            events.push(EventModel {
                variant,
                rust_type: ident::message_path(&m.package, &names),
                full_name: m.full_name.clone(),
                schema_id: m.schema_id,
                index: format!("&{}", slice(&m.index)),
            });
        }
        events.sort_by(|a, b| a.variant.cmp(&b.variant));
        let variant_of: BTreeMap<&str, &str> = events
            .iter()
            .map(|e| (e.full_name.as_str(), e.variant.as_str()))
            .collect();

        let dispatch: Vec<IdModel> = plan
            .ids
            .iter()
            .map(|entry| {
                let dispatched: Vec<(&Vec<u32>, &str)> = entry
                    .messages
                    .iter()
                    .filter_map(|(path, full_name)| {
                        variant_of.get(full_name.as_str()).map(|v| (path, *v))
                    })
                    .collect();
                IdModel {
                    id: entry.id,
                    subject: entry.subject.clone(),
                    version: entry.version,
                    holders: entry
                        .holders
                        .iter()
                        .map(|(subject, version)| HolderModel {
                            subject: format!("{subject:?}"),
                            version: *version,
                        })
                        .collect(),
                    entries: dispatched
                        .iter()
                        .map(|(path, variant)| EntryModel {
                            pattern: slice(path),
                            variant: (*variant).to_owned(),
                        })
                        .collect(),
                    deep: dispatched
                        .iter()
                        .filter(|(path, _)| path.len() >= DEEP_INDEX)
                        .map(|(path, _)| slice(path))
                        .collect(),
                }
            })
            .collect();

        let mut classes: Vec<ClassModel> = Vec::new();
        let mut runs: Vec<RunModel> = Vec::new();
        for entry in &dispatch {
            let class = match classes.iter().position(|c| c.entries == entry.entries) {
                Some(class) => class,
                None => {
                    classes.push(ClassModel {
                        index: classes.len(),
                        entries: entry.entries.clone(),
                    });
                    classes.len() - 1
                }
            };
            match runs.last_mut() {
                Some(run) if run.class == class && run.last.checked_add(1) == Some(entry.id) => {
                    run.last = entry.id;
                }
                _ => runs.push(RunModel {
                    first: entry.id,
                    last: entry.id,
                    class,
                }),
            }
        }

        let context = if ident::is_default_context(&plan.hunt) {
            "the default Confluent context, `.`: root paths, unqualified subjects".to_owned()
        } else {
            format!("its Confluent context is `.{}`", plan.hunt)
        };
        let subjects = plan
            .subjects
            .iter()
            .map(|(name, id)| SubjectModel {
                name: name.clone(),
                literal: format!("{name:?}"),
                latest_id: *id,
                framings: plan
                    .ids
                    .iter()
                    .filter(|entry| entry.id == *id)
                    .flat_map(|entry| &entry.messages)
                    .filter_map(|(path, full_name)| {
                        Some(FramingModel {
                            variant: (*variant_of.get(full_name.as_str())?).to_owned(),
                            index: format!("&{}", slice(path)),
                        })
                    })
                    .collect(),
            })
            .collect();
        Ok(HuntModel {
            hunt: plan.hunt.clone(),
            context,
            source,
            generator: env!("CARGO_PKG_NAME").to_owned(),
            has_ids: !plan.ids.is_empty(),
            known_ids: plan.ids.iter().map(|e| e.id).collect(),
            events,
            dispatch,
            classes,
            runs,
            subjects,
            types: String::new(),
            index_free_fallback: true,
        })
    }
}
