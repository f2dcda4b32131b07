//! Reading a registry's contexts over the REST API into a [`Snapshot`]: every subject
//! (soft-deleted ones included), every version in order with its ID, type, text and
//! references, and the config and mode set on each subject and context.
//!
//! Listings are read page by page ([`listing`]): registries cap a page (huntreg at
//! `--max-page-size`, 1000 by default), and a capped first page is not the whole list.

use std::collections::BTreeMap;

use anyhow::{bail, Context as _};
use huntreg_store::types::{Context, Subject};
use huntreg_store::ReferenceRecord;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::http::{qualified, segment, Api};

/// One version as the source serves it.
#[derive(Debug, Clone)]
pub(crate) struct SourceVersion {
    /// The subject, with its source context.
    pub(crate) subject: Subject,
    /// The version number.
    pub(crate) version: u32,
    /// The schema ID.
    pub(crate) id: u32,
    /// `PROTOBUF`, `AVRO`, `JSON`, ... (absent means `AVRO`, as Confluent clients read it).
    pub(crate) schema_type: String,
    /// The schema text as the source stores it.
    pub(crate) schema: String,
    /// References as the source stores them.
    pub(crate) references: Vec<ReferenceRecord>,
    /// Soft-deleted on the source.
    pub(crate) deleted: bool,
}

/// A compatibility setting set on one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigSetting {
    /// The level, e.g. `FULL`.
    pub(crate) compatibility: Option<String>,
    /// `normalize`, when set.
    pub(crate) normalize: Option<bool>,
}

impl ConfigSetting {
    /// Reads a `GET /config…` answer.
    pub(crate) fn from_json(body: &Value) -> ConfigSetting {
        ConfigSetting {
            compatibility: body
                .get("compatibilityLevel")
                .or_else(|| body.get("compatibility"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            normalize: body.get("normalize").and_then(Value::as_bool),
        }
    }

    /// The `PUT /config…` body.
    pub(crate) fn to_json(&self) -> Value {
        let mut body = serde_json::Map::new();
        if let Some(level) = &self.compatibility {
            body.insert("compatibility".into(), Value::String(level.clone()));
        }
        if let Some(normalize) = self.normalize {
            body.insert("normalize".into(), Value::Bool(normalize));
        }
        Value::Object(body)
    }
}

/// Config and mode set on a subject (not inherited).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Settings {
    /// The subject's own config.
    pub(crate) config: Option<ConfigSetting>,
    /// The subject's own mode.
    pub(crate) mode: Option<String>,
}

/// Everything read from the source, in order.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    /// Every version of every subject, subjects sorted, versions ascending.
    pub(crate) versions: Vec<SourceVersion>,
    /// Per-subject config and mode.
    pub(crate) settings: BTreeMap<Subject, Settings>,
    /// Context-level config (for the default context: the top-level config).
    pub(crate) context_config: BTreeMap<Context, ConfigSetting>,
    /// Context-level mode, when set (reported, not copied).
    pub(crate) context_mode: BTreeMap<Context, String>,
}

/// The contexts a registry lists (`GET /contexts`), or only the default context when it
/// has no contexts API (Karapace, older Confluent).
pub(crate) fn list_contexts(api: &Api) -> anyhow::Result<Vec<Context>> {
    let Some(names) = listing::<String>(api, "/contexts")? else {
        return Ok(vec![Context::default_context()]);
    };
    let mut contexts = Vec::new();
    for name in names {
        contexts.push(Context::parse(&name).map_err(|e| anyhow::anyhow!("context {name:?}: {e}"))?);
    }
    if contexts.is_empty() {
        contexts.push(Context::default_context());
    }
    Ok(contexts)
}

/// The path of a source subject: bare in the default context (registries without
/// contexts understand it), qualified otherwise.
pub(crate) fn source_segment(subject: &Subject) -> String {
    if subject.context.is_default() {
        segment(&subject.name)
    } else {
        segment(&qualified(subject))
    }
}

/// The subjects of `context`, soft-deleted ones included, sorted.
fn subjects(api: &Api, context: &Context) -> anyhow::Result<Vec<Subject>> {
    let path = if context.is_default() {
        "/subjects?deleted=true".to_owned()
    } else {
        format!(
            "/subjects?deleted=true&subjectPrefix={}",
            segment(&format!(":{}:", context.as_str()))
        )
    };
    let names: Vec<String> = listing(api, &path)?.with_context(|| {
        format!(
            "{} GET {path}: HTTP 404: the registry lists no subjects",
            api.role
        )
    })?;
    let mut out = Vec::new();
    for name in names {
        let subject =
            Subject::parse(&name).map_err(|e| anyhow::anyhow!("subject {name:?}: {e}"))?;
        // Without a prefix Confluent lists every context; keep the one asked for.
        if subject.context == *context && !subject.name.is_empty() {
            out.push(Subject::new(context.clone(), subject.name));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn version_list(api: &Api, path: &str) -> anyhow::Result<Vec<u32>> {
    Ok(listing(api, path)?.unwrap_or_default())
}

/// A whole sorted listing (`GET path`: subjects, versions, contexts), `None` for a 404.
///
/// Each next page asks for `offset` one item before the end of what was read, so it should
/// start with the last item read (or an earlier one): the listing is sorted, so then nothing
/// after that item was skipped, even if items before it were deleted meanwhile; otherwise it
/// asks again further back. It ends on a page shorter than the first (the end of the list
/// when it was asked for) or one that adds nothing (a registry that ignores `offset` answers
/// its whole list again).
fn listing<T: DeserializeOwned + Ord>(api: &Api, path: &str) -> anyhow::Result<Option<Vec<T>>> {
    let page = |offset: usize| -> anyhow::Result<Option<Vec<T>>> {
        let at = if offset == 0 {
            path.to_owned()
        } else {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}offset={offset}")
        };
        match api.get(&at)?.found()? {
            None => Ok(None),
            Some(body) => serde_json::from_value(body)
                .map(Some)
                .with_context(|| format!("{} GET {at}: not a list", api.role)),
        }
    };
    let Some(mut all) = page(0)? else {
        return Ok(None);
    };
    let full = all.len();
    let mut back = 1;
    while let Some(last) = all.last() {
        // Never offset 0: the first page again would add nothing when it is capped.
        let offset = all.len().saturating_sub(back).max(1);
        let next = page(offset)?.unwrap_or_default();
        if offset > 1 && next.first().is_none_or(|first| first > last) {
            // Items before the boundary went away meanwhile: look further back.
            back = back.saturating_mul(2);
            continue;
        }
        let short = next.len() < full;
        let fresh: Vec<T> = next.into_iter().filter(|item| item > last).collect();
        if fresh.is_empty() {
            break;
        }
        all.extend(fresh);
        if short {
            break;
        }
        back = 1;
    }
    Ok(Some(all))
}

/// Reads one version; `deleted` comes from the caller (the live list).
pub(crate) fn read_version(
    api: &Api,
    subject: &Subject,
    seg: &str,
    version: u32,
    deleted: bool,
) -> anyhow::Result<Option<SourceVersion>> {
    let path = format!("/subjects/{seg}/versions/{version}?deleted=true");
    let Some(body) = api.get(&path)?.found()? else {
        return Ok(None);
    };
    let field = |name: &str| body.get(name).cloned().unwrap_or(Value::Null);
    let id = field("id")
        .as_u64()
        .and_then(|id| u32::try_from(id).ok())
        .with_context(|| format!("{} GET {path}: no schema id", api.role))?;
    let references: Vec<ReferenceRecord> = match field("references") {
        Value::Null => Vec::new(),
        refs => serde_json::from_value(refs)
            .with_context(|| format!("{} GET {path}: malformed references", api.role))?,
    };
    Ok(Some(SourceVersion {
        subject: subject.clone(),
        version,
        id,
        schema_type: field("schemaType").as_str().unwrap_or("AVRO").to_owned(),
        schema: field("schema")
            .as_str()
            .with_context(|| format!("{} GET {path}: no schema", api.role))?
            .to_owned(),
        references,
        deleted,
    }))
}

/// Every version of `subject` (soft-deleted ones marked) from `api`, using `seg` as its
/// path segment.
pub(crate) fn read_subject(
    api: &Api,
    subject: &Subject,
    seg: &str,
) -> anyhow::Result<Vec<SourceVersion>> {
    let all = version_list(api, &format!("/subjects/{seg}/versions?deleted=true"))?;
    let live = version_list(api, &format!("/subjects/{seg}/versions"))?;
    let mut out = Vec::new();
    for version in all {
        if let Some(v) = read_version(api, subject, seg, version, !live.contains(&version))? {
            out.push(v);
        }
    }
    Ok(out)
}

/// The config and mode set on one scope path (`/config/{seg}`, `/mode/{seg}`).
pub(crate) fn read_settings(api: &Api, seg: &str) -> anyhow::Result<Settings> {
    let config = api
        .get(&format!("/config/{seg}"))?
        .found()?
        .map(|b| ConfigSetting::from_json(&b));
    let mode = api
        .get(&format!("/mode/{seg}"))?
        .found()?
        .and_then(|b| b.get("mode").and_then(Value::as_str).map(str::to_owned));
    Ok(Settings { config, mode })
}

/// Reads `contexts` from the source.
pub(crate) fn read(api: &Api, contexts: &[Context]) -> anyhow::Result<Snapshot> {
    let mut snapshot = Snapshot::default();
    for context in contexts {
        if context.is_global() {
            bail!("the context .__GLOBAL holds settings only, not schemas");
        }
        for subject in subjects(api, context)? {
            let seg = source_segment(&subject);
            snapshot.versions.extend(read_subject(api, &subject, &seg)?);
            snapshot
                .settings
                .insert(subject.clone(), read_settings(api, &seg)?);
        }
        if context.is_default() {
            // The top-level config always answers (its default when never set).
            if let Some(body) = api.get("/config")?.found()? {
                snapshot
                    .context_config
                    .insert(context.clone(), ConfigSetting::from_json(&body));
            }
            if let Some(mode) = api
                .get("/mode")?
                .found()?
                .and_then(|b| b.get("mode").and_then(Value::as_str).map(str::to_owned))
            {
                snapshot.context_mode.insert(context.clone(), mode);
            }
        } else {
            let settings = read_settings(api, &segment(&format!(":{}:", context.as_str())))?;
            if let Some(config) = settings.config {
                snapshot.context_config.insert(context.clone(), config);
            }
            if let Some(mode) = settings.mode {
                snapshot.context_mode.insert(context.clone(), mode);
            }
        }
    }
    Ok(snapshot)
}
