//! `HttpResolver`: a blocking [`Resolver`] that asks a Confluent-compatible registry
//! (`GET /contexts/.{hunt}/schemas/ids/{id}/versions`; for the default context, the hunt
//! `.`, the root path `GET /schemas/ids/{id}/versions`). Behind the `http` feature.

use std::time::Duration;

use huntreg_client::path::hunt_prefix;
use huntreg_client::wire::{SchemaStringResponse, SubjectVersion as SubjectVersionBody};
use huntreg_client::Client;

use crate::{ResolveError, Resolver, SubjectVersion};

/// Asks a registry which subjects hold an ID. Wrap it in [`crate::CachingResolver`] so a
/// stream of records with one new ID costs one request.
#[derive(Debug, Clone)]
pub struct HttpResolver {
    client: Client,
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
        HttpResolver {
            client: Client::new(&base_url.into(), Duration::from_secs(5)),
        }
    }

    /// `GET {hunt's prefix}{rest}`: a 404 is `None`, any other failure an error.
    fn get<T: serde::de::DeserializeOwned>(
        &self,
        hunt: &str,
        rest: &str,
    ) -> Result<Option<T>, ResolveError> {
        self.client
            .get(&format!("{}{rest}", hunt_prefix(hunt)))
            .and_then(|answer| answer.found_json())
            .map_err(|e| ResolveError::new(e.to_string()))
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
        let versions: Vec<SubjectVersionBody> = self
            .get(hunt, &format!("/schemas/ids/{id}/versions"))?
            .unwrap_or_default();
        Ok(versions
            .into_iter()
            .map(|v| SubjectVersion {
                subject: v.subject,
                version: Some(v.version),
            })
            .collect())
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
        let Some(body) = self.get::<SchemaStringResponse<'static>>(
            hunt,
            &format!("/schemas/ids/{id}?format=serialized"),
        )?
        else {
            return Ok(None);
        };
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
