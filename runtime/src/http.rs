//! `HttpResolver`: a blocking [`Resolver`] that asks a Confluent-compatible registry
//! (`GET /contexts/.{hunt}/schemas/ids/{id}/versions`; for the default context, the hunt
//! `.`, the root path `GET /schemas/ids/{id}/versions`). Behind the `http` feature.

use std::time::Duration;

use crate::{ResolveError, Resolver, SubjectVersion};

/// Asks a registry which subjects hold an ID. Wrap it in [`crate::CachingResolver`] so a
/// stream of records with one new ID costs one request.
#[derive(Debug, Clone)]
pub struct HttpResolver {
    base: String,
    agent: ureq::Agent,
}

#[derive(serde::Deserialize)]
struct SubjectVersionBody {
    subject: String,
    #[serde(default)]
    version: Option<u32>,
}

#[derive(serde::Deserialize)]
struct SerializedSchema {
    schema: String,
}

/// The full name of the message at `index` in `file` (Confluent message indexes: message
/// declarations only, depth first).
fn name_at(file: &prost_types::FileDescriptorProto, index: &[u32]) -> Option<String> {
    let (first, rest) = index.split_first()?;
    let mut message = file.message_type.get(*first as usize)?;
    let mut name = format!("{}.{}", file.package(), message.name());
    for i in rest {
        message = message.nested_type.get(*i as usize)?;
        name = format!("{name}.{}", message.name());
    }
    Some(name.trim_start_matches('.').to_owned())
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

impl HttpResolver {
    /// `{base}/contexts/.{hunt}`, or the base URL itself for the default context (`.`).
    fn prefix(&self, hunt: &str) -> String {
        match hunt.trim_start_matches('.') {
            "" => self.base.clone(),
            hunt => format!("{}/contexts/.{hunt}", self.base),
        }
    }
}

impl Resolver for HttpResolver {
    fn subjects(&self, hunt: &str, id: u32) -> Result<Vec<String>, ResolveError> {
        Ok(self
            .subject_versions(hunt, id)?
            .into_iter()
            .map(|v| v.subject)
            .collect())
    }

    /// `GET /contexts/.{hunt}/schemas/ids/{id}/versions`: every subject version holding
    /// the ID (the root path for the default context).
    fn subject_versions(&self, hunt: &str, id: u32) -> Result<Vec<SubjectVersion>, ResolveError> {
        let url = format!("{}/schemas/ids/{id}/versions", self.prefix(hunt));
        match self
            .agent
            .get(&url)
            .set("Accept", "application/vnd.schemaregistry.v1+json")
            .call()
        {
            Ok(response) => {
                let versions: Vec<SubjectVersionBody> = response
                    .into_json()
                    .map_err(|e| ResolveError::new(format!("GET {url}: malformed body: {e}")))?;
                Ok(versions
                    .into_iter()
                    .map(|v| SubjectVersion {
                        subject: v.subject,
                        version: v.version,
                    })
                    .collect())
            }
            Err(ureq::Error::Status(404, _)) => Ok(Vec::new()),
            Err(ureq::Error::Status(code, _)) => {
                Err(ResolveError::new(format!("GET {url}: HTTP {code}")))
            }
            Err(e) => Err(ResolveError::new(format!("GET {url}: {e}"))),
        }
    }

    /// Reads the message's name from the registry's descriptor of the schema
    /// (`GET /contexts/.{hunt}/schemas/ids/{id}?format=serialized`, or the root path for
    /// the default context).
    fn message_name(
        &self,
        hunt: &str,
        id: u32,
        index: &[u32],
    ) -> Result<Option<String>, ResolveError> {
        use base64::Engine as _;
        use prost::Message as _;
        let url = format!("{}/schemas/ids/{id}?format=serialized", self.prefix(hunt));
        let response = match self
            .agent
            .get(&url)
            .set("Accept", "application/vnd.schemaregistry.v1+json")
            .call()
        {
            Ok(response) => response,
            Err(ureq::Error::Status(404, _)) => return Ok(None),
            Err(ureq::Error::Status(code, _)) => {
                return Err(ResolveError::new(format!("GET {url}: HTTP {code}")))
            }
            Err(e) => return Err(ResolveError::new(format!("GET {url}: {e}"))),
        };
        let body: SerializedSchema = response
            .into_json()
            .map_err(|e| ResolveError::new(format!("GET {url}: malformed body: {e}")))?;
        // A registry that answers with text instead of a descriptor tells us nothing.
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(body.schema.trim()) else {
            return Ok(None);
        };
        let Ok(file) = prost_types::FileDescriptorProto::decode(bytes.as_slice()) else {
            return Ok(None);
        };
        Ok(name_at(&file, index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_name_messages_depth_first() {
        let message =
            |name: &str, nested: Vec<prost_types::DescriptorProto>| prost_types::DescriptorProto {
                name: Some(name.into()),
                nested_type: nested,
                ..Default::default()
            };
        let file = prost_types::FileDescriptorProto {
            package: Some("p".into()),
            message_type: vec![
                message("A", vec![]),
                message("B", vec![message("X", vec![]), message("Y", vec![])]),
            ],
            ..Default::default()
        };
        assert_eq!(name_at(&file, &[0]).as_deref(), Some("p.A"));
        assert_eq!(name_at(&file, &[1, 1]).as_deref(), Some("p.B.Y"));
        assert_eq!(name_at(&file, &[2]), None);
        assert_eq!(name_at(&file, &[0, 0]), None);
        assert_eq!(name_at(&file, &[]), None);
    }
}
