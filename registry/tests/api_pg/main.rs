//! The registry's HTTP API suite (`tests/api`) again, every `TestApp` on a fresh database
//! of one throwaway PostgreSQL cluster, plus what only several nodes on one database show
//! (`nodes`). `restart` stays sled-only: it reads the sled files; restarts on PostgreSQL
//! are `huntreg-cli`'s `pg_crash` test.

/// The store of every `TestApp`: PostgreSQL here.
const ON_POSTGRES: bool = true;

#[path = "../../../store/tests/support/pg.rs"]
mod pg;

#[path = "../api/compatibility.rs"]
mod compatibility;
#[path = "../api/concurrency.rs"]
mod concurrency;
#[path = "../api/config.rs"]
mod config;
#[path = "../api/contexts.rs"]
mod contexts;
#[path = "../api/deletes.rs"]
mod deletes;
#[path = "../api/editions.rs"]
mod editions;
#[path = "../api/guids.rs"]
mod guids;
#[path = "../api/helpers.rs"]
mod helpers;
#[path = "../api/http.rs"]
mod http;
mod nodes;
#[path = "../api/references.rs"]
mod references;
#[path = "../api/schemas.rs"]
mod schemas;
#[path = "../api/subjects.rs"]
mod subjects;
