//! Schemas by GUID (Confluent 8.x, spec §2.15, §4.9): `GET /schemas/guids/{guid}` and
//! `GET /schemas/guids/{guid}/ids`. A GUID is the content hash's first 16 bytes
//! ([`Guid`]), so it is found by a prefix scan of each context's hash index.

use super::{render, App, Format};
use crate::error::ApiError;
use crate::types::{Context, Guid};

impl App {
    /// The ids carrying `guid`, one per context: the default context first, then the named
    /// contexts in order (Confluent's `getIdUsingContexts`), or only `within`. As for ids,
    /// a schema whose every carrier was permanently deleted is not found.
    pub fn guid_ids(
        &self,
        guid: &Guid,
        within: Option<&Context>,
    ) -> Result<Vec<(Context, u32)>, ApiError> {
        let contexts = match within {
            Some(ctx) => vec![ctx.clone()],
            None => {
                let mut all = vec![Context::default_context()];
                all.extend(self.store.contexts()?);
                all
            }
        };
        let mut out = Vec::new();
        for ctx in contexts {
            for id in self.store.ids_by_hash_prefix(&ctx, guid.as_bytes())? {
                let Some(record) = self.schema_record(&ctx, id)? else {
                    continue;
                };
                if Guid::of_hash(&record.hash) == Some(*guid)
                    && !self.store.usages(&ctx, id)?.is_empty()
                {
                    out.push((ctx.clone(), id));
                    break;
                }
            }
        }
        Ok(out)
    }

    /// The SchemaString body of `GET /schemas/guids/{guid}` (no `subject` or `version`,
    /// as Confluent); a GUID that does not parse names no schema (40403).
    pub fn schema_by_guid_body(
        &self,
        raw: &str,
        within: Option<&Context>,
        format: Format,
    ) -> Result<Vec<u8>, ApiError> {
        let not_found = || ApiError::GuidNotFound(raw.to_owned());
        let guid = Guid::parse(raw).ok_or_else(not_found)?;
        let (ctx, id) = self
            .guid_ids(&guid, within)?
            .into_iter()
            .next()
            .ok_or_else(not_found)?;
        let record = self.schema_record(&ctx, id)?.ok_or_else(not_found)?;
        Ok(render::schema_string(&record, format))
    }
}
