//! Soft and permanent deletes of versions, subjects and contexts, with Confluent's order
//! of checks (spec §2.4, §2.9, §2.16, §4.7).

use std::sync::Arc;

use super::App;
use crate::error::ApiError;
use crate::store::{self, Txn, VersionRecord};
use crate::types::{Context, Subject, Version};

impl App {
    fn refuse_if_read_only(&self, subject: &Subject) -> Result<(), ApiError> {
        if self.effective_mode(subject)?.is_read_only() {
            return Err(ApiError::OperationNotPermitted(format!(
                "Subject {} in context {} is in read-only mode",
                subject.name,
                subject.context.display_name()
            )));
        }
        Ok(())
    }

    /// `DELETE /subjects/{s}/versions/{v}`: answers the deleted version number.
    pub async fn delete_version(
        self: &Arc<Self>,
        subject: Subject,
        version: Version,
        permanent: bool,
    ) -> Result<u32, ApiError> {
        let read_only = self.refuse_if_read_only(&subject);
        let label = subject.to_string();
        let app = self.clone();
        let result = store::write(&*self.store, move |tx| {
            delete_version_job(&app, tx, &subject, version, permanent, read_only)
        })
        .await??;
        // Soft deletes too: a by-id answer that names a subject prefers live versions.
        self.invalidate_rendered();
        tracing::info!(subject = %label, version = result, permanent, "version deleted");
        Ok(result)
    }

    /// `DELETE /subjects/{s}`: answers the deleted version numbers.
    pub async fn delete_subject(
        self: &Arc<Self>,
        subject: Subject,
        permanent: bool,
    ) -> Result<Vec<u32>, ApiError> {
        let read_only = self.refuse_if_read_only(&subject);
        let label = subject.to_string();
        let app = self.clone();
        let result = store::write(&*self.store, move |tx| {
            delete_subject_job(&app, tx, &subject, permanent, read_only)
        })
        .await??;
        // Soft deletes too: a by-id answer that names a subject prefers live versions.
        self.invalidate_rendered();
        tracing::info!(subject = %label, versions = ?result, permanent, "subject deleted");
        Ok(result)
    }

    /// `DELETE /contexts/{ctx}`: only an empty context can be deleted.
    pub async fn delete_context(&self, ctx: Context) -> Result<(), ApiError> {
        store::write(&*self.store, move |tx| -> Result<(), ApiError> {
            if !tx.subjects(Some(&ctx))?.is_empty() {
                return Err(ApiError::ContextNotEmpty(ctx.display_name().to_owned()));
            }
            tx.put_context(&ctx, false);
            Ok(())
        })
        .await?
    }
}

/// Whether `(subject, version)` is referenced by a version of another subject (only live
/// referrers count for a soft delete).
fn referenced(
    tx: &dyn Txn,
    subject: &Subject,
    version: u32,
    live_only: bool,
    other_subjects_only: bool,
) -> Result<bool, ApiError> {
    for (referrer, referrer_version, _) in tx.referrers(subject, version)? {
        if other_subjects_only && referrer == *subject {
            continue;
        }
        let live = tx
            .version(&referrer, referrer_version)?
            .is_some_and(|r| !r.deleted);
        if live || !live_only {
            return Ok(true);
        }
    }
    Ok(false)
}

fn targets_of(app: &App, subject: &Subject, id: u32) -> Result<Vec<(Subject, u32)>, ApiError> {
    Ok(match app.schema_record(&subject.context, id)? {
        Some(record) => super::reference_targets(subject, &record),
        None => Vec::new(),
    })
}

fn delete_version_job(
    app: &App,
    tx: &mut dyn Txn,
    subject: &Subject,
    version: Version,
    permanent: bool,
    read_only: Result<(), ApiError>,
) -> Result<u32, ApiError> {
    let versions = tx.versions(subject)?;
    let found = match version {
        Version::Latest => super::latest_live(&versions),
        Version::Number(n) => versions.iter().find(|(v, _)| *v == n),
    };
    let Some((number, record)) = found.copied() else {
        return Err(if super::latest_live(&versions).is_some() {
            ApiError::VersionNotFound(version.to_string())
        } else {
            ApiError::SubjectNotFound(subject.to_string())
        });
    };
    if record.deleted && !permanent {
        return Err(ApiError::VersionSoftDeleted(subject.to_string(), number));
    }
    read_only?;
    if referenced(tx, subject, number, !permanent, false)? {
        return Err(ApiError::ReferenceExists(subject.to_string(), number));
    }
    if permanent && !record.deleted {
        return Err(ApiError::VersionNotSoftDeleted(subject.to_string(), number));
    }
    let targets = targets_of(app, subject, record.id)?;
    if permanent {
        tx.remove_version(subject, number, record.id, &targets);
        if versions.len() == 1 {
            let scope = subject.to_string();
            tx.put_config(&scope, None)?;
            tx.put_mode(&scope, None)?;
        }
    } else {
        tx.put_version(
            subject,
            number,
            &VersionRecord {
                deleted: true,
                ..record
            },
            &targets,
        )?;
    }
    Ok(number)
}

fn delete_subject_job(
    app: &App,
    tx: &mut dyn Txn,
    subject: &Subject,
    permanent: bool,
    read_only: Result<(), ApiError>,
) -> Result<Vec<u32>, ApiError> {
    let versions = tx.versions(subject)?;
    if versions.is_empty() {
        return Err(ApiError::SubjectNotFound(subject.to_string()));
    }
    let any_live = super::latest_live(&versions).is_some();
    if !permanent && !any_live {
        return Err(ApiError::SubjectSoftDeleted(subject.to_string()));
    }
    read_only?;
    for (v, _) in &versions {
        if referenced(tx, subject, *v, !permanent, true)? {
            return Err(ApiError::ReferenceExists(subject.to_string(), *v));
        }
    }
    if permanent && any_live {
        return Err(ApiError::SubjectNotSoftDeleted(subject.to_string()));
    }
    let mut deleted = Vec::new();
    for (v, record) in versions.iter().rev() {
        let targets = targets_of(app, subject, record.id)?;
        if permanent {
            tx.remove_version(subject, *v, record.id, &targets);
            deleted.push(*v);
        } else if !record.deleted {
            tx.put_version(
                subject,
                *v,
                &VersionRecord {
                    deleted: true,
                    ..*record
                },
                &targets,
            )?;
            deleted.push(*v);
        }
    }
    if permanent {
        let scope = subject.to_string();
        tx.put_config(&scope, None)?;
        tx.put_mode(&scope, None)?;
    }
    deleted.sort_unstable();
    Ok(deleted)
}
