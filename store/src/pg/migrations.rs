//! The PostgreSQL schema: embedded, numbered migrations, applied under an advisory lock so
//! several nodes starting together on an empty database are safe, and the refusal to run
//! on a database migrated by a newer build.

use tokio_postgres::Client;

use super::backend_error;
use crate::StoreError;

/// Advisory lock key held while migrating (`"huntreg"` as bytes, truncated to 8).
const MIGRATION_LOCK: i64 = 0x6875_6e74_7265_6701;

/// The migrations this build knows, in order; a migration is never edited once released.
const MIGRATIONS: &[(i32, &str)] = &[(1, V1), (2, V2), (3, V3)];

/// The newest schema version this build knows.
pub(crate) const LATEST: i32 = 3;

/// Version 1: the registry's tables. Constraints, not only code, enforce what the
/// registry promises:
/// - an id fits the wire's 4 bytes (`next_id_fits_4_bytes`, `id_fits_4_bytes`);
/// - an id names one schema content in every context (`huntreg_ids`: one hash per id,
///   referenced by every schema row);
/// - one id per schema content per context (`huntreg_hashes` keyed by context and hash);
/// - versions are unique per subject (primary key) and only appended after the subject's
///   newest version (`huntreg_versions_append`);
/// - a version names a stored schema (foreign key).
const V1: &str = r#"
CREATE TABLE huntreg_meta (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    next_id bigint NOT NULL DEFAULT 1
        CONSTRAINT next_id_fits_4_bytes CHECK (next_id BETWEEN 1 AND 2147483648)
);
INSERT INTO huntreg_meta DEFAULT VALUES;

CREATE TABLE huntreg_contexts (
    name text COLLATE "C" PRIMARY KEY
);

CREATE TABLE huntreg_ids (
    id bigint PRIMARY KEY CONSTRAINT id_fits_4_bytes CHECK (id BETWEEN 0 AND 2147483647),
    hash bytea NOT NULL,
    UNIQUE (id, hash)
);

CREATE TABLE huntreg_schemas (
    context text COLLATE "C" NOT NULL,
    id bigint NOT NULL,
    hash bytea NOT NULL,
    record text NOT NULL,
    PRIMARY KEY (context, id),
    FOREIGN KEY (id, hash) REFERENCES huntreg_ids (id, hash)
);

CREATE TABLE huntreg_hashes (
    context text COLLATE "C" NOT NULL,
    hash bytea NOT NULL,
    id bigint NOT NULL,
    PRIMARY KEY (context, hash),
    FOREIGN KEY (context, id) REFERENCES huntreg_schemas (context, id)
);

CREATE TABLE huntreg_versions (
    context text COLLATE "C" NOT NULL,
    subject text COLLATE "C" NOT NULL,
    version bigint NOT NULL CHECK (version BETWEEN 1 AND 2147483647),
    id bigint NOT NULL,
    deleted boolean NOT NULL,
    registered_ms bigint,
    PRIMARY KEY (context, subject, version),
    FOREIGN KEY (context, id) REFERENCES huntreg_schemas (context, id)
);
CREATE INDEX huntreg_versions_by_id ON huntreg_versions (context, id, subject, version);

-- BEFORE INSERT triggers also fire for an INSERT ... ON CONFLICT DO UPDATE that turns
-- into an update (a soft delete): only a version that does not exist yet is checked.
CREATE FUNCTION huntreg_versions_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM huntreg_versions
                   WHERE context = NEW.context AND subject = NEW.subject
                     AND version = NEW.version)
       AND EXISTS (SELECT 1 FROM huntreg_versions
               WHERE context = NEW.context AND subject = NEW.subject
                 AND version > NEW.version) THEN
        RAISE EXCEPTION 'version % of subject % would be inserted behind a newer version',
            NEW.version, NEW.subject USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER huntreg_versions_append BEFORE INSERT ON huntreg_versions
    FOR EACH ROW EXECUTE FUNCTION huntreg_versions_append();

CREATE TABLE huntreg_references (
    target_context text COLLATE "C" NOT NULL,
    target_subject text COLLATE "C" NOT NULL,
    target_version bigint NOT NULL,
    context text COLLATE "C" NOT NULL,
    subject text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    id bigint NOT NULL,
    PRIMARY KEY (target_context, target_subject, target_version, context, subject, version)
);

CREATE TABLE huntreg_configs (
    scope text COLLATE "C" PRIMARY KEY,
    record text NOT NULL
);

CREATE TABLE huntreg_modes (
    scope text COLLATE "C" PRIMARY KEY,
    record text NOT NULL
);

-- A subject's kept compatibility history: derived data the registry reads back instead of
-- compiling every version; keys and values are the registry's, opaque here.
CREATE TABLE huntreg_history (
    context text COLLATE "C" NOT NULL,
    subject text COLLATE "C" NOT NULL,
    key bytea NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (context, subject, key)
);
"#;

/// Version 2:
/// - `huntreg_meta.changes` counts committed write transactions of every node. A node
///   reads it (one round trip, shared by every request waiting at that moment) before it
///   serves a cached answer that a write on another node could have made stale: equal to
///   what the cache was built at means nothing changed since.
/// - A version may be inserted behind a newer one when the subject is in IMPORT mode
///   (Confluent accepts any positive version there); the effective mode is the first mode
///   record of the subject's scope chain (subject, its context, the global scope), as the
///   registry resolves it. In every other mode the append-only rule of version 1 stands.
const V2: &str = r#"
ALTER TABLE huntreg_meta ADD COLUMN changes bigint NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION huntreg_versions_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    chain text[];
    effective text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM huntreg_versions
                   WHERE context = NEW.context AND subject = NEW.subject
                     AND version = NEW.version)
       AND EXISTS (SELECT 1 FROM huntreg_versions
               WHERE context = NEW.context AND subject = NEW.subject
                 AND version > NEW.version) THEN
        IF NEW.context = '' THEN
            chain := ARRAY[NEW.subject, '', ':.__GLOBAL:'];
        ELSE
            chain := ARRAY[':' || NEW.context || ':' || NEW.subject, ':' || NEW.context || ':',
                           ':.__GLOBAL:'];
        END IF;
        SELECT upper(record::jsonb ->> 'mode') INTO effective FROM huntreg_modes
            WHERE scope = ANY (chain) ORDER BY array_position(chain, scope::text) LIMIT 1;
        IF effective IS DISTINCT FROM 'IMPORT' THEN
            RAISE EXCEPTION 'version % of subject % would be inserted behind a newer version',
                NEW.version, NEW.subject USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;
"#;

/// Version 3: what lets a node serve `GET /schemas/ids/{id}` from memory without a round
/// trip, while a permanent delete on another node is still never answered from a stale
/// cache:
/// - `huntreg_meta.removals` counts committed write transactions that removed a version
///   (or re-pointed one at another id): the only writes that change what an id without a
///   `subject` answers.
/// - `huntreg_nodes` holds one row per running node: the removal count its change
///   listener has seen (`seen`) and until when (database clock) it may serve such answers
///   from memory (`lease_until`). A node renews its lease only while its listener is
///   connected; a transaction that removed waits, before it answers, until every other
///   node with a lease has seen it or its lease has run out.
const V3: &str = r#"
ALTER TABLE huntreg_meta ADD COLUMN removals bigint NOT NULL DEFAULT 0;
CREATE TABLE huntreg_nodes (
    node bigint PRIMARY KEY,
    lease_until timestamptz NOT NULL,
    seen bigint NOT NULL
);
"#;

/// Applies the migrations this database lacks, under a session advisory lock, or refuses
/// a database whose schema is newer than this build.
pub(crate) async fn migrate(client: &Client) -> Result<(), StoreError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(backend_error)?;
    let result = apply(client).await;
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(backend_error);
    result.and(unlocked.map(|_| ()))
}

async fn apply(client: &Client) -> Result<(), StoreError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS huntreg_migrations (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await
        .map_err(backend_error)?;
    let row = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM huntreg_migrations",
            &[],
        )
        .await
        .map_err(backend_error)?;
    let current: i32 = row.get(0);
    if current > LATEST {
        return Err(StoreError::Backend(format!(
            "the database schema is at version {current}, newer than this huntreg knows \
             ({LATEST}): run a newer huntreg, or point this one at another database"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        client.batch_execute("BEGIN").await.map_err(backend_error)?;
        let applied = async {
            client.batch_execute(sql).await?;
            client
                .execute(
                    "INSERT INTO huntreg_migrations (version) VALUES ($1)",
                    &[version],
                )
                .await?;
            client.batch_execute("COMMIT").await
        }
        .await;
        if let Err(e) = applied {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(StoreError::Backend(format!(
                "migration {version} failed: {}",
                super::describe(&e)
            )));
        }
        tracing::info!(version, "database migrated");
    }
    Ok(())
}
