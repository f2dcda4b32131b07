//! Listings: subjects, versions, referrers, the subjects and versions of an id, schemas
//! and contexts (spec §2.2, §2.5, §2.10, §2.15, §2.16).

use super::{App, ResolvedVersion, SchemaView};
use crate::error::ApiError;
use crate::types::{Context, Subject, DEFAULT_CONTEXT_NAME};

/// Which versions a listing includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// Live only.
    Exclude,
    /// Live and soft-deleted.
    Include,
    /// Soft-deleted only.
    Only,
}

impl Deleted {
    /// From the `deleted` and `deletedOnly` flags (`deletedOnly` wins).
    pub fn from_flags(deleted: bool, deleted_only: bool) -> Deleted {
        if deleted_only {
            Deleted::Only
        } else if deleted {
            Deleted::Include
        } else {
            Deleted::Exclude
        }
    }

    fn keeps(self, is_deleted: bool) -> bool {
        match self {
            Deleted::Exclude => !is_deleted,
            Deleted::Include => true,
            Deleted::Only => is_deleted,
        }
    }
}

/// A subject prefix filter (`subjectPrefix`): `:*:` (or absent) is every context.
#[derive(Debug, Clone)]
pub struct SubjectPrefix {
    context: Option<Context>,
    name: String,
}

impl SubjectPrefix {
    /// Parses a prefix; `None` means all contexts.
    pub fn parse(raw: Option<&str>) -> Result<SubjectPrefix, ApiError> {
        let raw = raw.unwrap_or(":*:");
        if let Some(name) = raw.strip_prefix(":*:") {
            return Ok(SubjectPrefix {
                context: None,
                name: name.to_owned(),
            });
        }
        let s = Subject::parse(raw)?;
        Ok(SubjectPrefix {
            context: Some(s.context),
            name: s.name,
        })
    }

    fn matches(&self, subject: &Subject) -> bool {
        self.context.as_ref().is_none_or(|c| *c == subject.context)
            && subject.name.starts_with(&self.name)
    }
}

/// Applies `offset` and a page size (already clamped by the configured limits).
pub(crate) fn paginate<T>(items: Vec<T>, offset: Option<i64>, page_size: usize) -> Vec<T> {
    let offset = usize::try_from(offset.unwrap_or(0).max(0)).unwrap_or(usize::MAX);
    items.into_iter().skip(offset).take(page_size).collect()
}

impl App {
    /// `GET /subjects`: qualified names, sorted; a subject is deleted when all its versions are.
    pub fn list_subjects(
        &self,
        prefix: &SubjectPrefix,
        deleted: Deleted,
    ) -> Result<Vec<String>, ApiError> {
        let mut out: Vec<String> = self
            .store
            .subjects(prefix.context.as_ref())?
            .into_iter()
            .filter(|(s, live)| prefix.matches(s) && deleted.keeps(!live))
            .map(|(s, _)| s.to_string())
            .collect();
        out.sort();
        Ok(out)
    }

    /// `GET /subjects/{s}/versions`.
    pub fn list_versions(&self, subject: &Subject, deleted: Deleted) -> Result<Vec<u32>, ApiError> {
        // No fallback to other contexts here: a hunt's subjects stay out of the default
        // context's listings.
        let versions = self.store.versions(subject)?;
        let out: Vec<u32> = versions
            .iter()
            .filter(|(_, r)| deleted.keeps(r.deleted))
            .map(|(v, _)| *v)
            .collect();
        if out.is_empty() {
            return Err(ApiError::SubjectNotFound(subject.to_string()));
        }
        Ok(out)
    }

    /// `GET /subjects/{s}/versions?deletedAsNegative=true` (8.x): every version, the
    /// soft-deleted ones as negative numbers, ascending by magnitude. It takes precedence
    /// over `deletedOnly`; the subject must exist as `deleted`/`deletedOnly` say (live
    /// versions unless one is set), else 40401, as Confluent.
    pub fn list_versions_deleted_as_negative(
        &self,
        subject: &Subject,
        deleted: Deleted,
    ) -> Result<Vec<i64>, ApiError> {
        let versions = self.store.versions(subject)?;
        if !versions
            .iter()
            .any(|(_, r)| deleted != Deleted::Exclude || !r.deleted)
        {
            return Err(ApiError::SubjectNotFound(subject.to_string()));
        }
        Ok(versions
            .iter()
            .map(|(v, r)| {
                if r.deleted {
                    -i64::from(*v)
                } else {
                    i64::from(*v)
                }
            })
            .collect())
    }

    /// `GET /subjects/{s}/metadata`: the newest version whose metadata properties hold
    /// every `key`/`value` pair (spec §2.11).
    ///
    /// huntreg does not store data-contract metadata (a registration's `metadata` is
    /// ignored), and Confluent's `getLatestWithMetadata` matches only versions that have
    /// metadata properties, even for an empty query: so a subject with versions (live, or
    /// any with `deleted`) answers 40403 `Schema not found`, and one without 40401, as
    /// Confluent does for schemas registered without metadata. No fallback to other
    /// contexts (Confluent has none here).
    pub fn latest_with_metadata(
        &self,
        subject: &Subject,
        _properties: &[(&str, &str)],
        deleted: bool,
    ) -> Result<SchemaView, ApiError> {
        let versions = self.store.versions(subject)?;
        if !versions.iter().any(|(_, r)| deleted || !r.deleted) {
            return Err(ApiError::SubjectNotFound(subject.to_string()));
        }
        Err(ApiError::SchemaNotFound(None))
    }

    /// The Schema object of one version.
    pub fn view(&self, version: ResolvedVersion) -> Result<SchemaView, ApiError> {
        let record = self
            .schema_record(&version.subject.context, version.record.id)?
            .ok_or(ApiError::SchemaNotFound(Some(version.record.id)))?;
        Ok(SchemaView { version, record })
    }

    /// `GET /subjects/{s}/versions/{v}/referencedby`: ids of referrers, ascending.
    pub fn referenced_by(
        &self,
        version: &ResolvedVersion,
        deleted: bool,
    ) -> Result<Vec<u32>, ApiError> {
        let mut ids = Vec::new();
        for (referrer, referrer_version, id) in
            self.store.referrers(&version.subject, version.version)?
        {
            let live = self
                .store
                .version(&referrer, referrer_version)?
                .is_some_and(|r| !r.deleted);
            if live || deleted {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Subject-versions carrying `id` (`/schemas/ids/{id}/subjects|versions`).
    pub fn id_usages(
        &self,
        id: u32,
        subject: Option<&str>,
        deleted: bool,
    ) -> Result<Vec<(Subject, u32)>, ApiError> {
        let (ctx, _) = self
            .resolve_id(id, subject)
            .map_err(|_| ApiError::SchemaNotFound(None))?;
        let mut out = Vec::new();
        for (s, v) in self.store.usages(&ctx, id)? {
            let live = self.store.version(&s, v)?.is_some_and(|r| !r.deleted);
            if live || deleted {
                out.push((s, v));
            }
        }
        out.sort();
        Ok(out)
    }

    /// `GET /schemas`: Schema objects of every (or the latest) version under a prefix.
    pub fn list_schemas(
        &self,
        prefix: &SubjectPrefix,
        deleted: bool,
        latest_only: bool,
    ) -> Result<Vec<SchemaView>, ApiError> {
        let mut out = Vec::new();
        for (subject, _) in self.store.subjects(prefix.context.as_ref())? {
            if !prefix.matches(&subject) {
                continue;
            }
            let versions: Vec<_> = self
                .store
                .versions(&subject)?
                .into_iter()
                .filter(|(_, r)| deleted || !r.deleted)
                .collect();
            let chosen: Vec<_> = if latest_only {
                versions.last().copied().into_iter().collect()
            } else {
                versions
            };
            for (version, record) in chosen {
                out.push(self.view(ResolvedVersion {
                    subject: subject.clone(),
                    version,
                    record,
                })?);
            }
        }
        Ok(out)
    }

    /// `GET /contexts`: `.` first, then named contexts sorted.
    pub fn list_contexts(&self, prefix: Option<&str>) -> Result<Vec<String>, ApiError> {
        let mut out = vec![DEFAULT_CONTEXT_NAME.to_owned()];
        let mut named: Vec<String> = self
            .store
            .contexts()?
            .into_iter()
            .map(|c| c.display_name().to_owned())
            .collect();
        named.sort();
        out.extend(named);
        if let Some(p) = prefix {
            out.retain(|c| c.starts_with(p));
        }
        Ok(out)
    }
}
