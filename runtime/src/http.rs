//! `HttpResolver`: a blocking [`Resolver`] that asks a Confluent-compatible registry
//! (`GET /contexts/.{hunt}/schemas/ids/{id}/versions`). Behind the `http` feature.

use std::time::Duration;

use crate::{ResolveError, Resolver};

/// Asks a registry which subjects hold an ID. Wrap it in [`crate::CachingResolver`] so a
/// stream of records with one new ID costs one request.
#[derive(Debug, Clone)]
pub struct HttpResolver {
    base: String,
    agent: ureq::Agent,
}

#[derive(serde::Deserialize)]
struct SubjectVersion {
    subject: String,
}

impl HttpResolver {
    /// A resolver for the registry at `base_url` (e.g. `http://127.0.0.1:8081`), with a
    /// 5-second timeout per request.
    pub fn new(base_url: impl Into<String>) -> HttpResolver {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(5))
            .build();
        HttpResolver {
            base: base_url.into().trim_end_matches('/').to_owned(),
            agent,
        }
    }
}

impl Resolver for HttpResolver {
    fn subjects(&self, hunt: &str, id: u32) -> Result<Vec<String>, ResolveError> {
        let hunt = hunt.trim_start_matches('.');
        let url = format!("{}/contexts/.{hunt}/schemas/ids/{id}/versions", self.base);
        match self
            .agent
            .get(&url)
            .set("Accept", "application/vnd.schemaregistry.v1+json")
            .call()
        {
            Ok(response) => {
                let versions: Vec<SubjectVersion> = response
                    .into_json()
                    .map_err(|e| ResolveError::new(format!("GET {url}: malformed body: {e}")))?;
                Ok(versions.into_iter().map(|v| v.subject).collect())
            }
            Err(ureq::Error::Status(404, _)) => Ok(Vec::new()),
            Err(ureq::Error::Status(code, _)) => {
                Err(ResolveError::new(format!("GET {url}: HTTP {code}")))
            }
            Err(e) => Err(ResolveError::new(format!("GET {url}: {e}"))),
        }
    }
}
