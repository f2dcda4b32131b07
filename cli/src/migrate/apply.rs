//! Writing a checked plan to the target, then verifying the target against it.
//!
//! Each subject that still needs versions is put in IMPORT mode on its own (never the
//! whole hunt, so entering IMPORT purges nothing else), its versions are registered with
//! their explicit IDs and version numbers in reference order, versions soft-deleted on the
//! source are soft-deleted last (referrers first), and then each subject's config and mode
//! are set to the source's. Every step reads the target first, so a rerun after an
//! interruption skips what is done and continues.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context as _};
use huntreg_store::types::Subject;
use serde_json::{json, Value};

use super::http::{qualified, qualified_segment, segment, Api};
use super::plan::{describe, Item, Mapping, OnTarget};
use super::source::{self, ConfigSetting, Settings, Snapshot};

/// What a run wrote.
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// Versions registered.
    pub(crate) versions: usize,
    /// Versions soft-deleted.
    pub(crate) deleted: usize,
    /// Config and mode changes.
    pub(crate) settings: usize,
}

fn mode_of(api: &Api, seg: &str) -> anyhow::Result<Option<String>> {
    Ok(api
        .get(&format!("/mode/{seg}"))?
        .found()?
        .and_then(|b| b.get("mode").and_then(Value::as_str).map(str::to_owned)))
}

/// Registers, soft-deletes and configures what the plan says is missing.
pub(crate) fn write(
    target: &Api,
    items: &[Item],
    snapshot: &Snapshot,
    mapping: &Mapping,
) -> anyhow::Result<Written> {
    let mut written = Written::default();
    let mut importing: BTreeSet<Subject> = BTreeSet::new();
    for item in items.iter().filter(|i| i.on_target == OnTarget::Missing) {
        let seg = qualified_segment(&item.target);
        if importing.insert(item.target.clone())
            && mode_of(target, &seg)?.as_deref() != Some("IMPORT")
        {
            // `force`: a subject half-written by an interrupted run has live versions.
            target
                .send(
                    "PUT",
                    &format!("/mode/{seg}?force=true"),
                    Some(&json!({"mode": "IMPORT"})),
                )?
                .ok()?;
            written.settings += 1;
        }
        let body = json!({
            "schema": item.source.schema,
            "schemaType": "PROTOBUF",
            "references": item.references,
            "id": item.source.id,
            "version": item.source.version,
        });
        let answer = target.send("POST", &format!("/subjects/{seg}/versions"), Some(&body))?;
        let at = describe(&item.target, item.source.version);
        if answer.error_code() == Some(42205) {
            bail!(
                "{}\nthe target refused ID {} for {at}: it names another schema there that the \
                 preflight could not see (one whose every version was permanently deleted, or one \
                 registered since the preflight). {} versions were written before it; the subjects \
                 written to stay in IMPORT mode. See \"Migrating from another registry\" in docs/operations.md.",
                answer.describe(),
                item.source.id,
                written.versions
            );
        }
        let answer = answer.ok()?;
        let id = answer.get("id").and_then(Value::as_u64);
        if id != Some(u64::from(item.source.id)) {
            bail!(
                "the target registered {at} under ID {id:?}, not the source's {}",
                item.source.id
            );
        }
        println!("wrote {at} (ID {})", item.source.id);
        written.versions += 1;
    }

    // Soft deletes last, referrers before what they reference.
    for item in items.iter().rev() {
        let live_on_target = match item.on_target {
            OnTarget::Missing => true,
            OnTarget::Present { deleted } => !deleted,
        };
        if item.source.deleted && live_on_target {
            let seg = qualified_segment(&item.target);
            target
                .send(
                    "DELETE",
                    &format!("/subjects/{seg}/versions/{}", item.source.version),
                    None,
                )?
                .ok()?;
            println!(
                "soft-deleted {}",
                describe(&item.target, item.source.version)
            );
            written.deleted += 1;
        }
    }

    // Each subject's own config and mode become the source's (this also ends IMPORT).
    let subjects: BTreeMap<Subject, &Subject> = items
        .iter()
        .map(|i| (i.target.clone(), &i.source.subject))
        .collect();
    for (target_subject, source_subject) in &subjects {
        let want = snapshot
            .settings
            .get(*source_subject)
            .cloned()
            .unwrap_or_default();
        written.settings += set_settings(target, target_subject, &want)?;
    }

    // Hunt-level compatibility: the source context's (for the default context, the
    // top-level one, when the target's effective level differs). Hunt modes are not copied.
    for (source_ctx, target_ctx) in mapping.pairs() {
        let Some(want) = snapshot.context_config.get(source_ctx) else {
            continue;
        };
        let seg = segment(&format!(":{}:", target_ctx.display_name()));
        let have = if source_ctx.is_default() {
            target
                .get(&format!("/config/{seg}?defaultToGlobal=true"))?
                .found()?
                .map(|b| ConfigSetting::from_json(&b))
        } else {
            target
                .get(&format!("/config/{seg}"))?
                .found()?
                .map(|b| ConfigSetting::from_json(&b))
        };
        let differs = match &have {
            None => true,
            Some(have) if source_ctx.is_default() => have.compatibility != want.compatibility,
            Some(have) => have != want,
        };
        if differs {
            target
                .send("PUT", &format!("/config/{seg}"), Some(&want.to_json()))?
                .ok()?;
            println!(
                "set the compatibility of hunt {} to {}",
                target_ctx.display_name(),
                want.compatibility.as_deref().unwrap_or("(inherited)")
            );
            written.settings += 1;
        }
    }
    Ok(written)
}

/// Makes `subject`'s own config and mode on the target equal `want`; returns the number of
/// changes.
fn set_settings(target: &Api, subject: &Subject, want: &Settings) -> anyhow::Result<usize> {
    let seg = qualified_segment(subject);
    let have = source::read_settings(target, &seg)?;
    let mut changes = 0;
    if have.config != want.config {
        match &want.config {
            Some(config) => target
                .send("PUT", &format!("/config/{seg}"), Some(&config.to_json()))?
                .ok()?,
            None => target
                .send("DELETE", &format!("/config/{seg}"), None)?
                .ok()?,
        };
        changes += 1;
    }
    if have.mode != want.mode {
        match &want.mode {
            Some(mode) => target
                .send(
                    "PUT",
                    &format!("/mode/{seg}?force=true"),
                    Some(&json!({ "mode": mode })),
                )?
                .ok()?,
            None => target.send("DELETE", &format!("/mode/{seg}"), None)?.ok()?,
        };
        changes += 1;
    }
    Ok(changes)
}

/// What verification compared.
#[derive(Debug, Default)]
pub(crate) struct Verified {
    /// Versions compared.
    pub(crate) versions: usize,
    /// Of which soft-deleted.
    pub(crate) deleted: usize,
    /// Subjects compared (versions, config, mode).
    pub(crate) subjects: usize,
    /// Distinct IDs resolved through `GET /schemas/ids/{id}`.
    pub(crate) ids: usize,
}

/// Reads the target back and compares it with the plan: every source (subject, version)
/// has the same ID, canonical text, references and deleted flag on the target, every ID
/// resolves to that schema in its subject's hunt, and every subject's own config and mode
/// equal the source's. Returns what was compared, or every difference.
pub(crate) fn verify(
    target: &Api,
    items: &[Item],
    snapshot: &Snapshot,
) -> anyhow::Result<Result<Verified, Vec<String>>> {
    let mut differences = Vec::new();
    let mut verified = Verified::default();
    let mut by_subject: BTreeMap<&Subject, Vec<&Item>> = BTreeMap::new();
    for item in items {
        by_subject.entry(&item.target).or_default().push(item);
    }
    let mut ids = BTreeSet::new();
    for (subject, planned) in &by_subject {
        let seg = qualified_segment(subject);
        let have: BTreeMap<u32, source::SourceVersion> =
            source::read_subject(target, subject, &seg)
                .with_context(|| format!("verifying {}", qualified(subject)))?
                .into_iter()
                .map(|v| (v.version, v))
                .collect();
        for item in planned {
            let at = describe(subject, item.source.version);
            let Some(v) = have.get(&item.source.version) else {
                differences.push(format!("{at} is missing on the target"));
                continue;
            };
            if v.id != item.source.id {
                differences.push(format!(
                    "{at} has ID {} on the target, {} on the source",
                    v.id, item.source.id
                ));
            }
            if v.schema != item.canonical {
                differences.push(format!("{at} has another schema text on the target"));
            }
            if v.references != item.references {
                differences.push(format!("{at} has other references on the target"));
            }
            if v.deleted != item.source.deleted {
                differences.push(format!(
                    "{at} is {} on the target but {} on the source",
                    if v.deleted { "soft-deleted" } else { "live" },
                    if item.source.deleted {
                        "soft-deleted"
                    } else {
                        "live"
                    }
                ));
            }
            verified.versions += 1;
            verified.deleted += usize::from(item.source.deleted);
            if ids.insert(item.source.id) {
                // What a consumer asks: the ID, in its subject's hunt.
                let path = format!(
                    "/schemas/ids/{}?subject={}",
                    item.source.id,
                    segment(&qualified(subject))
                );
                match target.get(&path)?.found()? {
                    Some(body)
                        if body.get("schema").and_then(Value::as_str) == Some(&item.canonical) => {}
                    Some(_) => differences.push(format!(
                        "ID {} resolves to another schema in {}",
                        item.source.id,
                        qualified(subject)
                    )),
                    None => differences.push(format!(
                        "ID {} does not resolve in {}",
                        item.source.id,
                        qualified(subject)
                    )),
                }
            }
        }
        let want = snapshot
            .settings
            .get(&planned[0].source.subject)
            .cloned()
            .unwrap_or_default();
        let got = source::read_settings(target, &seg)?;
        if got != want {
            differences.push(format!(
                "{}: config {:?} and mode {:?} on the target, {:?} and {:?} on the source",
                qualified(subject),
                got.config,
                got.mode,
                want.config,
                want.mode
            ));
        }
        verified.subjects += 1;
    }
    verified.ids = ids.len();
    Ok(if differences.is_empty() {
        Ok(verified)
    } else {
        Err(differences)
    })
}
