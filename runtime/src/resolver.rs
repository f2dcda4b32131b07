//! The `Resolver` trait: how a decoder learns which subject (and version) a schema ID
//! newer than its build belongs to, and a caching wrapper so each ID is asked about once.

use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;

/// Answers "which subjects of this hunt hold schema ID `id`?" for IDs registered after the
/// decoder was built.
///
/// A generated `decode_with` asks only about IDs missing from its table. When one of the
/// returned subjects is a subject the build knows, the record decodes with that subject's
/// newest compiled type: the registry's compatibility check on that subject already
/// guaranteed it can. Otherwise the record fails with [`crate::DecodeError::UnknownId`].
pub trait Resolver: Send + Sync {
    /// The subjects (qualified `:.{hunt}:name` or bare `name`) holding `id` in `hunt`;
    /// empty when the registry does not know the ID there.
    fn subjects(&self, hunt: &str, id: u32) -> Result<Vec<String>, ResolveError>;

    /// The subject versions holding `id` in `hunt` (`GET /schemas/ids/{id}/versions`):
    /// what `decode_with` reports as the record's [`crate::Decoded::subject`] and
    /// [`crate::Decoded::version`]. The default asks [`Resolver::subjects`] and knows no
    /// versions.
    fn subject_versions(&self, hunt: &str, id: u32) -> Result<Vec<SubjectVersion>, ResolveError> {
        Ok(self
            .subjects(hunt, id)?
            .into_iter()
            .map(|subject| SubjectVersion {
                subject,
                version: None,
            })
            .collect())
    }

    /// The fully qualified name of the message at `index` in schema `id`, when the
    /// resolver can tell (from the registry's descriptor of that schema). The default
    /// cannot: the decoder then reads `index` against the subject's newest compiled
    /// version, which is exact as long as new versions only append messages.
    fn message_name(
        &self,
        hunt: &str,
        id: u32,
        index: &[u32],
    ) -> Result<Option<String>, ResolveError> {
        let _ = (hunt, id, index);
        Ok(None)
    }
}

/// One subject version holding a schema ID, as a [`Resolver`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectVersion {
    /// The subject, qualified (`:.{hunt}:name`) or bare.
    pub subject: String,
    /// The subject's version holding the ID, when the resolver knows it.
    pub version: Option<u32>,
}

impl<R: Resolver + ?Sized> Resolver for &R {
    fn subjects(&self, hunt: &str, id: u32) -> Result<Vec<String>, ResolveError> {
        (**self).subjects(hunt, id)
    }

    fn subject_versions(&self, hunt: &str, id: u32) -> Result<Vec<SubjectVersion>, ResolveError> {
        (**self).subject_versions(hunt, id)
    }

    fn message_name(
        &self,
        hunt: &str,
        id: u32,
        index: &[u32],
    ) -> Result<Option<String>, ResolveError> {
        (**self).message_name(hunt, id, index)
    }
}

/// A resolver failed to answer (network, HTTP status, malformed body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError {
    message: String,
}

impl ResolveError {
    /// An error with a human-readable message.
    pub fn new(message: impl Into<String>) -> ResolveError {
        ResolveError {
            message: message.into(),
        }
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ResolveError {}

/// Remembers every answer of an inner resolver, including "unknown", so a stream of
/// records with one new ID costs one lookup. Failures are not remembered.
#[derive(Debug)]
pub struct CachingResolver<R> {
    inner: R,
    cache: RwLock<HashMap<(String, u32), Vec<SubjectVersion>>>,
    names: RwLock<HashMap<NameKey, Option<String>>>,
}

/// (hunt, schema ID, message-index path).
type NameKey = (String, u32, Vec<u32>);

impl<R: Resolver> CachingResolver<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> CachingResolver<R> {
        CachingResolver {
            inner,
            cache: RwLock::new(HashMap::new()),
            names: RwLock::new(HashMap::new()),
        }
    }

    /// The wrapped resolver.
    pub fn inner(&self) -> &R {
        &self.inner
    }
}

impl<R: Resolver> Resolver for CachingResolver<R> {
    fn subjects(&self, hunt: &str, id: u32) -> Result<Vec<String>, ResolveError> {
        Ok(self
            .subject_versions(hunt, id)?
            .into_iter()
            .map(|v| v.subject)
            .collect())
    }

    fn subject_versions(&self, hunt: &str, id: u32) -> Result<Vec<SubjectVersion>, ResolveError> {
        let key = (hunt.to_owned(), id);
        // A poisoned lock only means another thread panicked mid-insert; the map is still valid.
        let cached = self
            .cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(subjects) = cached {
            return Ok(subjects);
        }
        let subjects = self.inner.subject_versions(hunt, id)?;
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, subjects.clone());
        Ok(subjects)
    }

    fn message_name(
        &self,
        hunt: &str,
        id: u32,
        index: &[u32],
    ) -> Result<Option<String>, ResolveError> {
        let key = (hunt.to_owned(), id, index.to_vec());
        let cached = self
            .names
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(name) = cached {
            return Ok(name);
        }
        let name = self.inner.message_name(hunt, id, index)?;
        self.names
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, name.clone());
        Ok(name)
    }
}

/// Strips the hunt's context qualifier from `subject`: `:.hunt-42:found-value` becomes
/// `found-value`; a bare name is returned as is; a subject of another context is `None`.
/// The hunt `.` is the default context, whose qualifier is `:.:`.
pub fn unqualify<'s>(hunt: &str, subject: &'s str) -> Option<&'s str> {
    let Some(rest) = subject.strip_prefix(":.") else {
        return Some(subject);
    };
    let (context, name) = rest.split_once(':')?;
    (context == hunt.trim_start_matches('.')).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);

    impl Resolver for Counting {
        fn subjects(&self, _hunt: &str, id: u32) -> Result<Vec<String>, ResolveError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            if id == 0 {
                return Err(ResolveError::new("unreachable"));
            }
            Ok(vec![format!("s{id}")])
        }
    }

    #[test]
    fn caches_answers_but_not_failures() {
        let r = CachingResolver::new(Counting(AtomicUsize::new(0)));
        assert_eq!(r.subjects("h", 5).unwrap(), ["s5"]);
        assert_eq!(r.subjects("h", 5).unwrap(), ["s5"]);
        assert_eq!(r.inner().0.load(Ordering::SeqCst), 1);
        assert!(r.subjects("h", 0).is_err());
        assert!(r.subjects("h", 0).is_err());
        assert_eq!(r.inner().0.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn unqualify_keeps_only_the_hunts_subjects() {
        assert_eq!(
            unqualify("hunt-42", ":.hunt-42:found-value"),
            Some("found-value")
        );
        assert_eq!(
            unqualify(".hunt-42", ":.hunt-42:a/b.proto"),
            Some("a/b.proto")
        );
        assert_eq!(unqualify("hunt-42", "found-value"), Some("found-value"));
        assert_eq!(unqualify("hunt-42", ":.hunt-7:found-value"), None);
        assert_eq!(unqualify("hunt-42", ":.hunt-42"), None);
        assert_eq!(unqualify(".", ":.:found-value"), Some("found-value"));
        assert_eq!(unqualify(".", "found-value"), Some("found-value"));
        assert_eq!(unqualify(".", ":.hunt-42:found-value"), None);
    }
}
