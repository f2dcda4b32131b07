//! `huntreg export --from URL`: a backup of a running registry, read over its REST API by
//! the migration's reader ([`source`]) and canonicalized by its plan ([`plan`]), turned
//! into the records `huntreg import FILE` restores.
//!
//! The registry keeps serving and accepting writes meanwhile. What the backup holds:
//! - everything acknowledged before the export started: every subject of every context,
//!   every version (soft-deleted ones marked) with its ID and version number as
//!   registered, each subject's, context's and the global config and mode;
//! - writes made during the export or not, each version whole (a version is one answer);
//! - no dangling reference: a version registered meanwhile that references a version its
//!   subject did not have when it was read makes that subject be read again;
//! - a next ID above every ID the registry answered for when the reading ended, so a
//!   restored registry does not hand out again an ID a producer may already have used.
//!
//! Permanently deleted versions are not listed by any registry and are not in it.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use anyhow::bail;
use base64::Engine as _;
use huntreg_registry::scope_key;
use huntreg_store::records::FORMAT_VERSION;
use huntreg_store::types::{Context, Subject, GLOBAL_CONTEXT};
use huntreg_store::{
    hex_encode, ConfigRecord, ExportRecord, ModeRecord, SchemaRecord, VersionRecord,
};

use super::http::{segment, Api};
use super::plan::{self, Mapping, Problems};
use super::source::{self, ConfigSetting, Settings, Snapshot};

/// How many times subjects are read again to close the references of versions registered
/// during the export; whatever is still missing after that is reported by the plan.
const REREAD_ROUNDS: usize = 8;

/// How many IDs past the highest one read are probed, at most, for IDs handed out meanwhile.
const MAX_ID_PROBES: u32 = 10_000;

/// How many IDs in a row must not answer for the probe to stop.
const ID_GAP: u32 = 64;

/// A live registry read into backup records.
#[derive(Debug)]
pub(crate) struct LiveExport {
    /// The records, in the order `huntreg import` applies them (schemas before versions).
    pub(crate) records: Vec<ExportRecord>,
    /// Versions read (soft-deleted ones included).
    pub(crate) versions: usize,
    /// Of those, soft-deleted.
    pub(crate) deleted: usize,
    /// Subjects read.
    pub(crate) subjects: usize,
    /// Distinct schema IDs.
    pub(crate) ids: usize,
    /// The next ID a restored registry hands out.
    pub(crate) next_id: u32,
    /// Subjects read again because a version registered during the export referenced a
    /// version they did not have when first read.
    pub(crate) reread: usize,
    /// Versions left out (`skip_unsupported`), one line each.
    pub(crate) skipped: Vec<String>,
}

/// Reads every context of the registry behind `api`. `Ok(Err(problems))` when something
/// in it cannot be restored into huntreg (a schema that is not PROTOBUF, unless
/// `skip_unsupported`; a schema that does not compile; an ID naming two schemas).
pub(crate) fn read(
    api: &Api,
    skip_unsupported: bool,
) -> anyhow::Result<Result<LiveExport, Problems>> {
    let access = api.get("/contexts")?;
    if matches!(access.status, 401 | 403) {
        bail!(
            "{}\nan export reads every hunt: give it credentials (--from-user-info or \
             --from-token) with read on hunts = [\"*\"]",
            access.describe()
        );
    }
    let listed: Vec<Context> = source::list_contexts(api)?
        .into_iter()
        .filter(|c| !c.is_global())
        .collect();
    let mut snapshot = source::read(api, &listed)?;
    let reread = complete_references(api, &mut snapshot)?;
    let global = source::read_settings(api, &segment(&format!(":{GLOBAL_CONTEXT}:")))?;

    let contexts: BTreeSet<Context> = listed
        .iter()
        .cloned()
        .chain(snapshot.versions.iter().map(|v| v.subject.context.clone()))
        .collect();
    let mapping = Mapping::new(contexts.iter().map(|c| (c.clone(), c.clone())).collect());
    let mut problems = Problems::default();
    let (items, skipped) = plan::build(&snapshot, &mapping, skip_unsupported, &mut problems);
    if !problems.is_empty() {
        return Ok(Err(problems));
    }

    let mut schemas: BTreeMap<(Context, u32), SchemaRecord> = BTreeMap::new();
    let mut versions = Vec::with_capacity(items.len());
    for item in &items {
        schemas
            .entry((item.target.context.clone(), item.source.id))
            .or_insert_with(|| SchemaRecord {
                v: FORMAT_VERSION,
                schema: item.canonical.clone(),
                descriptor: base64::engine::general_purpose::STANDARD.encode(&item.descriptor),
                references: item.references.clone(),
                hash: hex_encode(&item.hash),
            });
        versions.push(ExportRecord::Version(
            item.target.clone(),
            item.source.version,
            VersionRecord {
                v: FORMAT_VERSION,
                id: item.source.id,
                deleted: item.source.deleted,
                registered_ms: None,
            },
        ));
    }
    let ids: BTreeSet<u32> = schemas.keys().map(|(_, id)| *id).collect();
    // Last, so it covers every ID handed out while the rest was read.
    let next_id = next_id(api, ids.last().map_or(1, |id| id.saturating_add(1)))?;

    let mut records = vec![ExportRecord::NextId(next_id)];
    records.extend(
        contexts
            .iter()
            .filter(|c| !c.is_default())
            .map(|c| ExportRecord::Context(c.clone())),
    );
    let global_scope = Subject::new(
        Context::parse(GLOBAL_CONTEXT).map_err(|e| anyhow::anyhow!("{e}"))?,
        "",
    );
    let mut scopes: Vec<(String, Settings)> = vec![(scope_key(&global_scope), global)];
    for ctx in &contexts {
        scopes.push((
            scope_key(&Subject::new(ctx.clone(), "")),
            Settings {
                config: snapshot.context_config.get(ctx).cloned(),
                mode: snapshot.context_mode.get(ctx).cloned(),
            },
        ));
    }
    let kept: HashSet<&Subject> = items.iter().map(|i| &i.target).collect();
    scopes.extend(
        snapshot
            .settings
            .iter()
            .filter(|(s, _)| kept.contains(s))
            .map(|(s, settings)| (scope_key(s), settings.clone())),
    );
    for (scope, mut settings) in scopes {
        // The top level always answers a mode; READWRITE there is the default, not a setting.
        if scope.is_empty() && settings.mode.as_deref() == Some("READWRITE") {
            settings.mode = None;
        }
        if let Some(record) = settings.config.as_ref().and_then(config_record) {
            records.push(ExportRecord::Config(scope.clone(), record));
        }
        if let Some(mode) = settings.mode {
            records.push(ExportRecord::Mode(
                scope,
                ModeRecord {
                    v: FORMAT_VERSION,
                    mode,
                },
            ));
        }
    }
    records.extend(
        schemas
            .into_iter()
            .map(|((ctx, id), record)| ExportRecord::Schema(ctx, id, record)),
    );
    records.extend(versions);

    Ok(Ok(LiveExport {
        records,
        versions: items.len(),
        deleted: items.iter().filter(|i| i.source.deleted).count(),
        subjects: kept.len(),
        ids: ids.len(),
        next_id,
        reread,
        skipped,
    }))
}

/// A config as stored, when it sets anything.
fn config_record(setting: &ConfigSetting) -> Option<ConfigRecord> {
    if setting.compatibility.is_none() && setting.normalize.is_none() {
        return None;
    }
    Some(ConfigRecord {
        v: FORMAT_VERSION,
        compatibility: setting.compatibility.clone(),
        normalize: setting.normalize,
    })
}

/// Reads again every subject that a read version references at a version the snapshot
/// lacks: such a reference can only come from a version registered during the export,
/// after its subject was read. Reading the whole subject again keeps its versions gap-free.
/// Answers how many subjects were read again.
fn complete_references(api: &Api, snapshot: &mut Snapshot) -> anyhow::Result<usize> {
    let mut reread = 0;
    for _ in 0..REREAD_ROUNDS {
        let have: HashSet<(&Subject, u32)> = snapshot
            .versions
            .iter()
            .map(|v| (&v.subject, v.version))
            .collect();
        let mut missing = BTreeSet::new();
        for v in &snapshot.versions {
            for r in &v.references {
                if let Ok(target) = v.subject.qualify_reference(&r.subject) {
                    if !have.contains(&(&target, r.version)) {
                        missing.insert(target);
                    }
                }
            }
        }
        if missing.is_empty() {
            break;
        }
        reread += missing.len();
        for subject in missing {
            let seg = source::source_segment(&subject);
            let versions = source::read_subject(api, &subject, &seg)?;
            snapshot.versions.retain(|v| v.subject != subject);
            snapshot.versions.extend(versions);
            snapshot
                .settings
                .insert(subject.clone(), source::read_settings(api, &seg)?);
        }
    }
    Ok(reread)
}

/// The ID after the highest one the registry answers for, searching up from `from` until
/// [`ID_GAP`] IDs in a row do not answer (IDs whose every version was permanently deleted
/// no longer answer). IDs are handed out in sequence, so this is past every ID registered
/// before the search ends.
fn next_id(api: &Api, from: u32) -> anyhow::Result<u32> {
    let mut next = from;
    let mut probe = from;
    for _ in 0..MAX_ID_PROBES {
        if probe.saturating_sub(next) >= ID_GAP {
            break;
        }
        if api
            .get(&format!("/schemas/ids/{probe}"))?
            .found()?
            .is_some()
        {
            next = probe.saturating_add(1);
        }
        probe = probe.saturating_add(1);
    }
    Ok(next)
}
