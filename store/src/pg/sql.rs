//! Every SQL statement of the PostgreSQL backend, as async functions over one client:
//! the reads shared by the store and by a write job, and the writes of a job.
//!
//! Ids and versions are `bigint` columns holding `u32` values; text columns use the `C`
//! collation so listings come back in the byte order the sled backend returns.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

use super::backend_error;
use crate::records::{self, ConfigRecord, ModeRecord, SchemaRecord, VersionRecord};
use crate::types::{Context, Subject};
use crate::{ExportRecord, StoreError};

/// A shared client.
pub(crate) type Conn = Arc<PgConn>;

/// A connection whose statements are prepared once and then reused: a statement costs one
/// round trip instead of two (prepare, then execute).
pub(crate) struct PgConn {
    client: Client,
    statements: Mutex<HashMap<String, Statement>>,
}

impl std::ops::Deref for PgConn {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl PgConn {
    /// Wraps a connected client.
    pub(crate) fn new(client: Client) -> PgConn {
        PgConn {
            client,
            statements: Mutex::default(),
        }
    }

    async fn prepared(&self, sql: &str) -> Result<Statement, tokio_postgres::Error> {
        let cached = self
            .statements
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(sql)
            .cloned();
        if let Some(statement) = cached {
            return Ok(statement);
        }
        let statement = self.client.prepare(sql).await?;
        self.statements
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// [`Client::query`] with the statement prepared once per connection.
    pub(crate) async fn query(
        &self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let statement = self.prepared(sql).await?;
        self.client.query(&statement, params).await
    }

    /// [`Client::query_one`] with the statement prepared once per connection.
    pub(crate) async fn query_one(
        &self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Row, tokio_postgres::Error> {
        let statement = self.prepared(sql).await?;
        self.client.query_one(&statement, params).await
    }

    /// [`Client::query_opt`] with the statement prepared once per connection.
    pub(crate) async fn query_opt(
        &self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        let statement = self.prepared(sql).await?;
        self.client.query_opt(&statement, params).await
    }

    /// Sends the `deferred` writes, then runs `next`, without waiting in between: one
    /// round trip for all of them. Every deferred statement is prepared first, so the
    /// statements reach the database in order.
    pub(crate) async fn with_deferred<T>(
        &self,
        deferred: Vec<Deferred>,
        next: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        if deferred.is_empty() {
            return next.await;
        }
        let mut statements = Vec::with_capacity(deferred.len());
        for d in &deferred {
            statements.push(self.prepared(d.sql).await.map_err(backend_error)?);
        }
        let params: Vec<Vec<&(dyn ToSql + Sync)>> = deferred
            .iter()
            .map(|d| {
                d.params
                    .iter()
                    .map(|p| &**p as &(dyn ToSql + Sync))
                    .collect()
            })
            .collect();
        let mut writes: Vec<_> = statements
            .iter()
            .zip(&params)
            .map(|(statement, params)| Some(Box::pin(self.client.execute(statement, params))))
            .collect();
        let mut next = std::pin::pin!(next);
        let mut out = None;
        // Polled in order: each statement is sent on its first poll.
        std::future::poll_fn(|cx| {
            use std::future::Future as _;
            use std::task::Poll;
            for write in writes.iter_mut() {
                if let Some(w) = write {
                    match w.as_mut().poll(cx) {
                        Poll::Ready(Ok(_)) => *write = None,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(backend_error(e))),
                        Poll::Pending => {}
                    }
                }
            }
            if out.is_none() {
                if let Poll::Ready(r) = next.as_mut().poll(cx) {
                    out = Some(r);
                }
            }
            if out.is_some() && writes.iter().all(Option::is_none) {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            }
        })
        .await?;
        out.unwrap_or_else(|| Err(StoreError::Backend("a pipelined statement was lost".into())))
    }

    /// [`Client::execute`] with the statement prepared once per connection.
    pub(crate) async fn execute(
        &self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<u64, tokio_postgres::Error> {
        let statement = self.prepared(sql).await?;
        self.client.execute(&statement, params).await
    }
}

/// A write whose outcome its job does not wait for: it is sent together with the job's
/// next statement ([`PgConn::with_deferred`]); if it fails, the transaction fails, and the
/// job with it.
pub(crate) struct Deferred {
    sql: &'static str,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

fn to_u32(v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{v} is not a 4-byte id")))
}

fn version_record(
    id: i64,
    deleted: bool,
    registered_ms: Option<i64>,
) -> Result<VersionRecord, StoreError> {
    Ok(VersionRecord {
        v: records::FORMAT_VERSION,
        id: to_u32(id)?,
        deleted,
        registered_ms: registered_ms.and_then(|ms| u64::try_from(ms).ok()),
    })
}

/// The next id of the global sequence.
pub(crate) async fn next_id(c: Conn) -> Result<u32, StoreError> {
    let row = c
        .query_one("SELECT next_id FROM huntreg_meta", &[])
        .await
        .map_err(backend_error)?;
    to_u32(row.get(0))
}

/// A schema by (context, id).
pub(crate) async fn schema(
    c: Conn,
    ctx: Context,
    id: u32,
) -> Result<Option<SchemaRecord>, StoreError> {
    let row = c
        .query_opt(
            "SELECT record FROM huntreg_schemas WHERE context = $1 AND id = $2",
            &[&ctx.as_str(), &i64::from(id)],
        )
        .await
        .map_err(backend_error)?;
    row.map(|r| records::decode(r.get::<_, &str>(0).as_bytes()))
        .transpose()
}

/// Contexts holding schema `id`.
pub(crate) async fn contexts_with_id(c: Conn, id: u32) -> Result<Vec<Context>, StoreError> {
    let rows = c
        .query(
            "SELECT context FROM huntreg_schemas WHERE id = $1 ORDER BY context",
            &[&i64::from(id)],
        )
        .await
        .map_err(backend_error)?;
    Ok(rows
        .iter()
        .map(|r| Context::from_stored(r.get::<_, String>(0)))
        .collect())
}

/// The id of the content with this hash in a context.
pub(crate) async fn id_by_hash(
    c: Conn,
    ctx: Context,
    hash: Vec<u8>,
) -> Result<Option<u32>, StoreError> {
    let row = c
        .query_opt(
            "SELECT id FROM huntreg_hashes WHERE context = $1 AND hash = $2",
            &[&ctx.as_str(), &hash],
        )
        .await
        .map_err(backend_error)?;
    row.map(|r| to_u32(r.get(0))).transpose()
}

/// Ids of the content whose hash starts with `prefix`, in hash order.
pub(crate) async fn ids_by_hash_prefix(
    c: Conn,
    ctx: Context,
    prefix: Vec<u8>,
) -> Result<Vec<u32>, StoreError> {
    let len = i32::try_from(prefix.len()).unwrap_or(i32::MAX);
    let rows = c
        .query(
            "SELECT id FROM huntreg_hashes WHERE context = $1 \
             AND substring(hash FROM 1 FOR $3) = $2 ORDER BY hash",
            &[&ctx.as_str(), &prefix, &len],
        )
        .await
        .map_err(backend_error)?;
    rows.iter().map(|r| to_u32(r.get(0))).collect()
}

/// All versions of a subject, ascending.
pub(crate) async fn versions(
    c: Conn,
    subject: Subject,
) -> Result<Vec<(u32, VersionRecord)>, StoreError> {
    let rows = c
        .query(
            "SELECT version, id, deleted, registered_ms FROM huntreg_versions \
             WHERE context = $1 AND subject = $2 ORDER BY version",
            &[&subject.context.as_str(), &subject.name],
        )
        .await
        .map_err(backend_error)?;
    rows.iter()
        .map(|r| {
            Ok((
                to_u32(r.get(0))?,
                version_record(r.get(1), r.get(2), r.get(3))?,
            ))
        })
        .collect()
}

/// One version of a subject.
pub(crate) async fn version(
    c: Conn,
    subject: Subject,
    version: u32,
) -> Result<Option<VersionRecord>, StoreError> {
    let row = c
        .query_opt(
            "SELECT id, deleted, registered_ms FROM huntreg_versions \
             WHERE context = $1 AND subject = $2 AND version = $3",
            &[
                &subject.context.as_str(),
                &subject.name,
                &i64::from(version),
            ],
        )
        .await
        .map_err(backend_error)?;
    row.map(|r| version_record(r.get(0), r.get(1), r.get(2)))
        .transpose()
}

/// Every subject (in one context, or all) and whether it has a live version.
pub(crate) async fn subjects(
    c: Conn,
    ctx: Option<Context>,
) -> Result<Vec<(Subject, bool)>, StoreError> {
    let sql = "SELECT context, subject, bool_or(NOT deleted) FROM huntreg_versions \
               WHERE $1::text IS NULL OR context = $1 \
               GROUP BY context, subject ORDER BY context, subject";
    let ctx = ctx.map(|c| c.as_str().to_owned());
    let rows = c.query(sql, &[&ctx]).await.map_err(backend_error)?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                Subject::new(
                    Context::from_stored(r.get::<_, String>(0)),
                    r.get::<_, String>(1),
                ),
                r.get::<_, bool>(2),
            )
        })
        .collect())
}

/// Subject-versions carrying `id` in `ctx`.
pub(crate) async fn usages(
    c: Conn,
    ctx: Context,
    id: u32,
) -> Result<Vec<(Subject, u32)>, StoreError> {
    let rows = c
        .query(
            "SELECT subject, version FROM huntreg_versions WHERE context = $1 AND id = $2 \
             ORDER BY subject, version",
            &[&ctx.as_str(), &i64::from(id)],
        )
        .await
        .map_err(backend_error)?;
    rows.iter()
        .map(|r| {
            Ok((
                Subject::new(ctx.clone(), r.get::<_, String>(0)),
                to_u32(r.get(1))?,
            ))
        })
        .collect()
}

/// Subject-versions whose schema references `target` at `version`, with their ids.
pub(crate) async fn referrers(
    c: Conn,
    target: Subject,
    version: u32,
) -> Result<Vec<(Subject, u32, u32)>, StoreError> {
    let rows = c
        .query(
            "SELECT context, subject, version, id FROM huntreg_references \
             WHERE target_context = $1 AND target_subject = $2 AND target_version = $3 \
             ORDER BY context, subject, version",
            &[&target.context.as_str(), &target.name, &i64::from(version)],
        )
        .await
        .map_err(backend_error)?;
    rows.iter()
        .map(|r| {
            Ok((
                Subject::new(
                    Context::from_stored(r.get::<_, String>(0)),
                    r.get::<_, String>(1),
                ),
                to_u32(r.get(2))?,
                to_u32(r.get(3))?,
            ))
        })
        .collect()
}

/// A config or mode record at a scope (`table` is one of the two fixed table names).
async fn scoped<T: for<'de> serde::Deserialize<'de>>(
    c: Conn,
    table: &'static str,
    scope: String,
) -> Result<Option<T>, StoreError> {
    let sql = format!("SELECT record FROM {table} WHERE scope = $1");
    let row = c.query_opt(&sql, &[&scope]).await.map_err(backend_error)?;
    row.map(|r| records::decode(r.get::<_, &str>(0).as_bytes()))
        .transpose()
}

/// The config at a scope key.
pub(crate) async fn config(c: Conn, scope: String) -> Result<Option<ConfigRecord>, StoreError> {
    scoped(c, "huntreg_configs", scope).await
}

/// The mode at a scope key.
pub(crate) async fn mode(c: Conn, scope: String) -> Result<Option<ModeRecord>, StoreError> {
    scoped(c, "huntreg_modes", scope).await
}

/// Named contexts, sorted.
pub(crate) async fn contexts(c: Conn) -> Result<Vec<Context>, StoreError> {
    let rows = c
        .query("SELECT name FROM huntreg_contexts ORDER BY name", &[])
        .await
        .map_err(backend_error)?;
    Ok(rows
        .iter()
        .map(|r| Context::from_stored(r.get::<_, String>(0)))
        .collect())
}

/// The subject's kept history entries, in key order (bytewise, as `bytea` sorts).
pub(crate) async fn history_entries(
    c: Conn,
    subject: Subject,
) -> Result<Vec<crate::HistoryEntry>, StoreError> {
    let rows = c
        .query(
            "SELECT key, value FROM huntreg_history WHERE context = $1 AND subject = $2 \
             ORDER BY key",
            &[&subject.context.as_str(), &subject.name],
        )
        .await
        .map_err(backend_error)?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, Vec<u8>>(0), r.get::<_, Vec<u8>>(1)))
        .collect())
}

/// Sets the next id (refused by a constraint past the 4-byte limit).
pub(crate) fn set_next_id(next: u32) -> Deferred {
    Deferred {
        sql: "UPDATE huntreg_meta SET next_id = $1",
        params: vec![Box::new(i64::from(next))],
    }
}

/// Writes a schema, its id's content and (when the context has none yet) its hash index.
pub(crate) async fn put_schema(
    c: Conn,
    ctx: Context,
    id: u32,
    record: String,
    hash: Vec<u8>,
) -> Result<(), StoreError> {
    let id = i64::from(id);
    let ctx = ctx.as_str();
    // Three statements in one round trip, sent in order (the schema's row refers to the
    // id's).
    let writes = vec![
        Deferred {
            sql: "INSERT INTO huntreg_ids (id, hash) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
            params: vec![Box::new(id), Box::new(hash.clone())],
        },
        Deferred {
            sql: "INSERT INTO huntreg_schemas (context, id, hash, record) VALUES ($1, $2, $3, $4) \
                  ON CONFLICT (context, id) DO UPDATE \
                  SET record = EXCLUDED.record, hash = EXCLUDED.hash",
            params: vec![
                Box::new(ctx.to_owned()),
                Box::new(id),
                Box::new(hash.clone()),
                Box::new(record),
            ],
        },
    ];
    c.with_deferred(writes, async {
        c.execute(
            "INSERT INTO huntreg_hashes (context, hash, id) VALUES ($1, $2, $3) \
             ON CONFLICT (context, hash) DO NOTHING",
            &[&ctx, &hash, &id],
        )
        .await
        .map_err(backend_error)
    })
    .await?;
    Ok(())
}

/// Writes (inserts or updates) a version and the reference index of its schema. Returns
/// whether it re-pointed an existing version at another id (which removes a usage of the
/// old id, as [`remove_version`] does).
pub(crate) async fn put_version(
    c: Conn,
    subject: Subject,
    version: u32,
    record: VersionRecord,
    references: Vec<(Subject, u32)>,
) -> Result<bool, StoreError> {
    let ctx = subject.context.as_str();
    let version = i64::from(version);
    let id = i64::from(record.id);
    let registered = record.registered_ms.and_then(|ms| i64::try_from(ms).ok());
    let row = c
        .query_one(
            "WITH old AS (SELECT id FROM huntreg_versions \
             WHERE context = $1 AND subject = $2 AND version = $3) \
         INSERT INTO huntreg_versions (context, subject, version, id, deleted, registered_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (context, subject, version) DO UPDATE \
         SET id = EXCLUDED.id, deleted = EXCLUDED.deleted, registered_ms = EXCLUDED.registered_ms \
         RETURNING (SELECT id FROM old)",
            &[
                &ctx,
                &subject.name,
                &version,
                &id,
                &record.deleted,
                &registered,
            ],
        )
        .await
        .map_err(backend_error)?;
    let repointed = row.get::<_, Option<i64>>(0).is_some_and(|old| old != id);
    for (target, target_version) in references {
        c.execute(
            "INSERT INTO huntreg_references (target_context, target_subject, target_version, \
             context, subject, version, id) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT DO NOTHING",
            &[
                &target.context.as_str(),
                &target.name,
                &i64::from(target_version),
                &ctx,
                &subject.name,
                &version,
                &id,
            ],
        )
        .await
        .map_err(backend_error)?;
    }
    Ok(repointed)
}

/// Removes a version and its reference index.
pub(crate) async fn remove_version(
    c: Conn,
    subject: Subject,
    version: u32,
    references: Vec<(Subject, u32)>,
) -> Result<(), StoreError> {
    let ctx = subject.context.as_str();
    let version = i64::from(version);
    c.execute(
        "DELETE FROM huntreg_versions WHERE context = $1 AND subject = $2 AND version = $3",
        &[&ctx, &subject.name, &version],
    )
    .await
    .map_err(backend_error)?;
    for (target, target_version) in references {
        c.execute(
            "DELETE FROM huntreg_references WHERE target_context = $1 AND target_subject = $2 \
             AND target_version = $3 AND context = $4 AND subject = $5 AND version = $6",
            &[
                &target.context.as_str(),
                &target.name,
                &i64::from(target_version),
                &ctx,
                &subject.name,
                &version,
            ],
        )
        .await
        .map_err(backend_error)?;
    }
    Ok(())
}

/// Writes or removes a config or mode record.
async fn put_scoped(
    c: Conn,
    table: &'static str,
    scope: String,
    record: Option<String>,
) -> Result<(), StoreError> {
    match record {
        Some(record) => {
            let sql = format!(
                "INSERT INTO {table} (scope, record) VALUES ($1, $2) \
                 ON CONFLICT (scope) DO UPDATE SET record = EXCLUDED.record"
            );
            c.execute(&sql, &[&scope, &record]).await
        }
        None => {
            let sql = format!("DELETE FROM {table} WHERE scope = $1");
            c.execute(&sql, &[&scope]).await
        }
    }
    .map_err(backend_error)?;
    Ok(())
}

/// Writes or removes a config entry.
pub(crate) async fn put_config(
    c: Conn,
    scope: String,
    record: Option<String>,
) -> Result<(), StoreError> {
    put_scoped(c, "huntreg_configs", scope, record).await
}

/// Writes or removes a mode entry.
pub(crate) async fn put_mode(
    c: Conn,
    scope: String,
    record: Option<String>,
) -> Result<(), StoreError> {
    put_scoped(c, "huntreg_modes", scope, record).await
}

/// Records that a named context exists, or removes it.
pub(crate) fn put_context(ctx: Context, exists: bool) -> Deferred {
    let sql = if exists {
        "INSERT INTO huntreg_contexts (name) VALUES ($1) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM huntreg_contexts WHERE name = $1"
    };
    Deferred {
        sql,
        params: vec![Box::new(ctx.as_str().to_owned())],
    }
}

/// Writes (or, with `None`, removes) one kept history entry of the subject.
pub(crate) fn put_history_entry(
    subject: Subject,
    key: Vec<u8>,
    value: Option<Vec<u8>>,
) -> Deferred {
    let ctx = subject.context.as_str().to_owned();
    match value {
        Some(value) => Deferred {
            sql: "INSERT INTO huntreg_history (context, subject, key, value) \
                  VALUES ($1, $2, $3, $4) \
                  ON CONFLICT (context, subject, key) DO UPDATE SET value = EXCLUDED.value",
            params: vec![
                Box::new(ctx),
                Box::new(subject.name),
                Box::new(key),
                Box::new(value),
            ],
        },
        None => Deferred {
            sql: "DELETE FROM huntreg_history WHERE context = $1 AND subject = $2 AND key = $3",
            params: vec![Box::new(ctx), Box::new(subject.name), Box::new(key)],
        },
    }
}

/// Removes every kept history entry of the subject.
pub(crate) async fn clear_history(c: Conn, subject: Subject) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM huntreg_history WHERE context = $1 AND subject = $2",
        &[&subject.context.as_str(), &subject.name],
    )
    .await
    .map_err(backend_error)?;
    Ok(())
}

/// Every persisted record, in the order `huntreg import` replays them: the sequence,
/// contexts, configs, modes, schemas, then versions.
pub(crate) async fn export(c: Conn) -> Result<Vec<ExportRecord>, StoreError> {
    // One snapshot for the whole export, so a registry in use exports a consistent state.
    c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .map_err(backend_error)?;
    let out = export_in_snapshot(&c).await;
    let _ = c.batch_execute("COMMIT").await;
    out
}

async fn export_in_snapshot(c: &Client) -> Result<Vec<ExportRecord>, StoreError> {
    let mut out = Vec::new();
    let row = c
        .query_one("SELECT next_id FROM huntreg_meta", &[])
        .await
        .map_err(backend_error)?;
    out.push(ExportRecord::NextId(to_u32(row.get(0))?));
    for r in c
        .query("SELECT name FROM huntreg_contexts ORDER BY name", &[])
        .await
        .map_err(backend_error)?
    {
        out.push(ExportRecord::Context(Context::from_stored(r.get(0))));
    }
    for r in c
        .query(
            "SELECT scope, record FROM huntreg_configs ORDER BY scope",
            &[],
        )
        .await
        .map_err(backend_error)?
    {
        let record = records::decode(r.get::<_, &str>(1).as_bytes())?;
        out.push(ExportRecord::Config(r.get(0), record));
    }
    for r in c
        .query(
            "SELECT scope, record FROM huntreg_modes ORDER BY scope",
            &[],
        )
        .await
        .map_err(backend_error)?
    {
        let record = records::decode(r.get::<_, &str>(1).as_bytes())?;
        out.push(ExportRecord::Mode(r.get(0), record));
    }
    for r in c
        .query(
            "SELECT context, id, record FROM huntreg_schemas ORDER BY context, id",
            &[],
        )
        .await
        .map_err(backend_error)?
    {
        let record = records::decode(r.get::<_, &str>(2).as_bytes())?;
        out.push(ExportRecord::Schema(
            Context::from_stored(r.get(0)),
            to_u32(r.get(1))?,
            record,
        ));
    }
    for r in c
        .query(
            "SELECT context, subject, version, id, deleted, registered_ms FROM huntreg_versions \
             ORDER BY context, subject, version",
            &[],
        )
        .await
        .map_err(backend_error)?
    {
        out.push(ExportRecord::Version(
            Subject::new(Context::from_stored(r.get(0)), r.get::<_, String>(1)),
            to_u32(r.get(2))?,
            version_record(r.get(3), r.get(4), r.get(5))?,
        ));
    }
    Ok(out)
}
