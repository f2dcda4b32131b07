//! The plan of a migration, made before anything is written: which source versions go
//! where, in reference order, with their references pointed into the target hunt and
//! their canonical text computed here by the registry's own code (so "the same schema"
//! means what the target means by it), then checked against the target: every version
//! already there must be identical, and every source ID must be free on the target or
//! name the same schema there. Everything found is collected, not fail-fast, so one
//! report lists every clash.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use huntreg_schema::{self as schema, DepFiles, Input};
use huntreg_store::types::{Context, Subject};
use huntreg_store::ReferenceRecord;
use serde_json::Value;

use super::http::{qualified, qualified_segment, Api};
use super::source::{self, Snapshot, SourceVersion};

/// Source contexts and the target context each one is copied into.
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    pairs: Vec<(Context, Context)>,
}

impl Mapping {
    /// A mapping from `(source, target)` pairs.
    pub(crate) fn new(pairs: Vec<(Context, Context)>) -> Mapping {
        Mapping { pairs }
    }

    /// The target context of a source context, when it is copied.
    pub(crate) fn target(&self, source: &Context) -> Option<&Context> {
        self.pairs.iter().find(|(s, _)| s == source).map(|(_, t)| t)
    }

    /// The pairs, in order.
    pub(crate) fn pairs(&self) -> &[(Context, Context)] {
        &self.pairs
    }
}

/// Where a planned version stands on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnTarget {
    /// Not there: to be registered.
    Missing,
    /// There with the same ID and schema; `deleted` is its soft-deleted flag.
    Present {
        /// Soft-deleted on the target.
        deleted: bool,
    },
}

/// One source version in the plan.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// What the source serves.
    pub(crate) source: SourceVersion,
    /// The subject on the target.
    pub(crate) target: Subject,
    /// References as sent to the target (pointing into the target hunt).
    pub(crate) references: Vec<ReferenceRecord>,
    /// The canonical text the target stores for it.
    pub(crate) canonical: String,
    /// The compiled descriptor the registry stores for it (what `format=serialized` serves).
    pub(crate) descriptor: Vec<u8>,
    /// The registry's content hash of the canonical text and references.
    pub(crate) hash: [u8; 32],
    /// Where it stands on the target (after [`preflight`]).
    pub(crate) on_target: OnTarget,
}

/// Everything that stops a migration before it writes.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    /// IDs that already name another schema (on the target, or in the source itself).
    pub(crate) clashes: Vec<String>,
    /// Target subject versions that differ from the source's.
    pub(crate) conflicts: Vec<String>,
    /// Schemas huntreg cannot hold (not PROTOBUF) or cannot compile.
    pub(crate) unsupported: Vec<String>,
    /// References that do not resolve inside what is copied.
    pub(crate) references: Vec<String>,
}

impl Problems {
    /// True when nothing stops the migration.
    pub(crate) fn is_empty(&self) -> bool {
        self.clashes.is_empty()
            && self.conflicts.is_empty()
            && self.unsupported.is_empty()
            && self.references.is_empty()
    }
}

/// `:.hunt:orders-value version 3`.
pub(crate) fn describe(subject: &Subject, version: u32) -> String {
    format!("{} version {version}", qualified(subject))
}

/// `package treasure.v1, message TreasureFound` from canonical or source text.
fn gist(text: &str) -> String {
    let mut package = None;
    let mut first = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("package ") {
            package.get_or_insert_with(|| rest.trim_end_matches(';').trim().to_owned());
        }
        for kind in ["message ", "enum "] {
            if let Some(rest) = line.strip_prefix(kind) {
                let name = rest.split_whitespace().next().unwrap_or("");
                first.get_or_insert_with(|| format!("{kind}{name}"));
            }
        }
    }
    match (package, first) {
        (Some(p), Some(f)) => format!("package {p}, first {f}"),
        (None, Some(f)) => format!("first {f}"),
        (Some(p), None) => format!("package {p}"),
        (None, None) => "a schema".to_owned(),
    }
}

/// Points a source reference at the target: a subject qualified with a copied context is
/// requalified with its target context; an unqualified one resolves in the referencing
/// subject's context on both sides and is kept as written.
fn map_reference(
    mapping: &Mapping,
    reference: &ReferenceRecord,
) -> Result<ReferenceRecord, String> {
    if !reference.subject.starts_with(":.") {
        return Ok(reference.clone());
    }
    let parsed = Subject::parse(&reference.subject).map_err(|e| e.to_string())?;
    let target = mapping.target(&parsed.context).ok_or_else(|| {
        format!(
            "its reference {} points into context {}, which is not copied (copy it too, or use --all-contexts)",
            reference.subject,
            parsed.context.display_name()
        )
    })?;
    Ok(ReferenceRecord {
        subject: qualified(&Subject::new(target.clone(), parsed.name)),
        ..reference.clone()
    })
}

/// Orders, maps and canonicalizes the snapshot's versions. Versions of other schema types
/// are problems, or left out with `skip_unsupported`; the second list names those left out.
pub(crate) fn build(
    snapshot: &Snapshot,
    mapping: &Mapping,
    skip_unsupported: bool,
    problems: &mut Problems,
) -> (Vec<Item>, Vec<String>) {
    let mut skipped = Vec::new();
    let mut versions: Vec<&SourceVersion> = Vec::new();
    for v in &snapshot.versions {
        if v.schema_type.eq_ignore_ascii_case("PROTOBUF") {
            versions.push(v);
        } else {
            let line = format!(
                "{} (ID {}) is {}: huntreg holds PROTOBUF schemas only",
                describe(&v.subject, v.version),
                v.id,
                v.schema_type
            );
            if skip_unsupported {
                skipped.push(line);
            } else {
                problems.unsupported.push(line);
            }
        }
    }
    let index: HashMap<(Subject, u32), usize> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| ((v.subject.clone(), v.version), i))
        .collect();

    // Reference edges, and each reference pointed at the target.
    let mut edges: Vec<Vec<(String, usize)>> = vec![Vec::new(); versions.len()];
    let mut mapped: Vec<Vec<ReferenceRecord>> = vec![Vec::new(); versions.len()];
    let mut broken = vec![false; versions.len()];
    for (i, v) in versions.iter().enumerate() {
        for r in &v.references {
            let at = describe(&v.subject, v.version);
            let found = v
                .subject
                .qualify_reference(&r.subject)
                .ok()
                .and_then(|s| index.get(&(s, r.version)).copied());
            let Some(j) = found else {
                problems.references.push(format!(
                    "{at}: its reference {} version {} (import {:?}) is not among the copied versions",
                    r.subject, r.version, r.name
                ));
                broken[i] = true;
                continue;
            };
            match map_reference(mapping, r) {
                Ok(m) => mapped[i].push(m),
                Err(why) => {
                    problems.references.push(format!("{at}: {why}"));
                    broken[i] = true;
                }
            }
            edges[i].push((r.name.clone(), j));
        }
    }

    // Referenced versions first (depth first, source order otherwise).
    let mut order = Vec::with_capacity(versions.len());
    let mut state = vec![0u8; versions.len()]; // 0 new, 1 on the stack, 2 done
    fn visit(
        i: usize,
        edges: &[Vec<(String, usize)>],
        state: &mut [u8],
        order: &mut Vec<usize>,
    ) -> bool {
        match state[i] {
            2 => return true,
            1 => return false,
            _ => {}
        }
        state[i] = 1;
        for (_, j) in &edges[i] {
            if !visit(*j, edges, state, order) {
                return false;
            }
        }
        state[i] = 2;
        order.push(i);
        true
    }
    for (i, v) in versions.iter().enumerate() {
        if !visit(i, &edges, &mut state, &mut order) {
            problems.references.push(format!(
                "{}: its references form a cycle",
                describe(&v.subject, v.version)
            ));
            return (Vec::new(), skipped);
        }
    }

    // Canonicalize as the target will, in that order.
    let mut prepared: Vec<Option<Vec<u8>>> = vec![None; versions.len()];
    let mut items = Vec::new();
    for i in order {
        let v = versions[i];
        let at = describe(&v.subject, v.version);
        if broken[i] {
            continue;
        }
        let mut deps = DepFiles::default();
        let mut seen = BTreeSet::new();
        if let Err(why) = add_deps(i, &edges, &prepared, &mut deps, &mut seen) {
            problems.unsupported.push(format!(
                "{at}: a referenced version did not compile here ({why})"
            ));
            continue;
        }
        let main = schema::main_file_name(&v.subject.name, &deps);
        match schema::prepare(&Input::parse(&v.schema), &main, &deps, &mapped[i], false) {
            Ok(p) => {
                prepared[i] = Some(p.descriptor.clone());
                let Some(target_ctx) = mapping.target(&v.subject.context) else {
                    continue;
                };
                items.push(Item {
                    source: v.clone(),
                    target: Subject::new(target_ctx.clone(), v.subject.name.clone()),
                    references: mapped[i].clone(),
                    canonical: p.canonical,
                    descriptor: p.descriptor,
                    hash: p.hash,
                    on_target: OnTarget::Missing,
                });
            }
            Err(why) => problems
                .unsupported
                .push(format!("{at} (ID {}) does not compile: {why}", v.id)),
        }
    }

    // One ID, one schema, inside the source too (Confluent's IDs are per context).
    let mut by_id: BTreeMap<u32, &Item> = BTreeMap::new();
    for item in &items {
        match by_id.get(&item.source.id) {
            None => {
                by_id.insert(item.source.id, item);
            }
            Some(first) if same(first, item) => {}
            Some(first) => problems.clashes.push(format!(
                "ID {}: inside the source it names two schemas: {} ({}) and {} ({})",
                item.source.id,
                describe(&first.source.subject, first.source.version),
                gist(&first.canonical),
                describe(&item.source.subject, item.source.version),
                gist(&item.canonical),
            )),
        }
    }
    (items, skipped)
}

/// Binds version `i`'s references, then theirs, as the registry does (first binding of an
/// import path wins).
fn add_deps(
    i: usize,
    edges: &[Vec<(String, usize)>],
    prepared: &[Option<Vec<u8>>],
    deps: &mut DepFiles,
    seen: &mut BTreeSet<usize>,
) -> Result<(), String> {
    for (name, j) in &edges[i] {
        if !seen.insert(*j) {
            continue;
        }
        let descriptor = prepared[*j]
            .as_ref()
            .ok_or_else(|| format!("import {name:?}"))?;
        deps.add(name, descriptor)?;
        add_deps(*j, edges, prepared, deps, seen)?;
    }
    Ok(())
}

/// Same canonical text and same references: the registry's content hash is equal.
fn same(a: &Item, b: &Item) -> bool {
    a.canonical == b.canonical && a.references == b.references
}

/// A schema as the target serves it (`GET /schemas/ids/{id}` or a version).
fn served(body: &Value) -> (String, Vec<ReferenceRecord>) {
    let text = body
        .get("schema")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let refs = body
        .get("references")
        .cloned()
        .and_then(|r| serde_json::from_value(r).ok())
        .unwrap_or_default();
    (text, refs)
}

/// Checks the plan against the target without writing: marks versions already there,
/// and records every ID clash and every differing version.
pub(crate) fn preflight(
    target: &Api,
    items: &mut [Item],
    problems: &mut Problems,
) -> anyhow::Result<()> {
    // Versions already on the target (an earlier, interrupted run, or a shared subject).
    let subjects: BTreeSet<Subject> = items.iter().map(|i| i.target.clone()).collect();
    for subject in &subjects {
        let seg = qualified_segment(subject);
        let existing = source::read_subject(target, subject, &seg)?;
        for have in &existing {
            let planned = items
                .iter_mut()
                .find(|i| i.target == *subject && i.source.version == have.version);
            let at = describe(subject, have.version);
            match planned {
                None => problems.conflicts.push(format!(
                    "{at} exists on the target (ID {}) but not on the source",
                    have.id
                )),
                Some(item) => {
                    if have.id != item.source.id
                        || have.schema != item.canonical
                        || have.references != item.references
                    {
                        problems.conflicts.push(format!(
                            "{at} exists on the target with ID {} ({}); the source's is ID {} ({})",
                            have.id,
                            gist(&have.schema),
                            item.source.id,
                            gist(&item.canonical)
                        ));
                    } else if have.deleted && !item.source.deleted {
                        problems.conflicts.push(format!(
                            "{at} is soft-deleted on the target but live on the source"
                        ));
                    } else {
                        item.on_target = OnTarget::Present {
                            deleted: have.deleted,
                        };
                    }
                }
            }
        }
    }

    // Every ID: free, or naming the same schema (anywhere on the target: IDs are global).
    let mut checked = BTreeSet::new();
    for item in items.iter() {
        let id = item.source.id;
        if !checked.insert(id) {
            continue;
        }
        let answer = target.get(&format!("/schemas/ids/{id}"))?;
        if matches!(answer.status, 401 | 403) {
            anyhow::bail!(
                "{}\nchecking that the source's IDs are free needs read access to every hunt of the target \
                 (IDs are global): give the target credentials a grant on hunts = [\"*\"]",
                answer.describe()
            );
        }
        let Some(body) = answer.found()? else {
            continue;
        };
        let (text, refs) = served(&body);
        if text == item.canonical && refs == item.references {
            continue;
        }
        let holders = target
            .get(&format!("/schemas/ids/{id}/versions"))?
            .found()?
            .and_then(|b| b.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|sv| {
                Some(format!(
                    "{} version {}",
                    sv.get("subject")?.as_str()?,
                    sv.get("version")?.as_u64()?
                ))
            })
            .collect::<Vec<_>>();
        let holders = if holders.is_empty() {
            String::new()
        } else {
            format!(", held by {}", holders.join(", "))
        };
        let carriers: Vec<String> = items
            .iter()
            .filter(|i| i.source.id == id)
            .map(|i| describe(&i.source.subject, i.source.version))
            .collect();
        problems.clashes.push(format!(
            "ID {id}: the source's {} ({}) but on the target ID {id} names another schema ({}{holders})",
            carriers.join(", "),
            gist(&item.canonical),
            gist(&text),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_into_copied_contexts_are_requalified() {
        let ctx = |c: &str| Context::parse(c).unwrap();
        let mapping = Mapping::new(vec![(ctx(".src"), ctx(".dst")), (ctx("."), ctx(".d2"))]);
        let r = |subject: &str| ReferenceRecord {
            name: "a.proto".into(),
            subject: subject.into(),
            version: 2,
        };
        assert_eq!(
            map_reference(&mapping, &r("a.proto")).unwrap(),
            r("a.proto")
        );
        assert_eq!(
            map_reference(&mapping, &r(":.src:a.proto")).unwrap(),
            r(":.dst:a.proto")
        );
        assert_eq!(
            map_reference(&mapping, &r(":.:a.proto")).unwrap(),
            r(":.d2:a.proto")
        );
        let err = map_reference(&mapping, &r(":.other:a.proto")).unwrap_err();
        assert!(err.contains("context .other, which is not copied"), "{err}");
    }

    #[test]
    fn gist_names_the_package_and_first_type() {
        assert_eq!(
            gist("syntax = \"proto3\";\npackage a.v1;\n\nmessage X {\n}\n"),
            "package a.v1, first message X"
        );
        assert_eq!(gist("enum E { A = 0; }"), "first enum E");
    }
}
