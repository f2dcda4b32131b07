//! The registry's HTTP API, end to end over a real socket and a temporary sled store
//! (`api_pg` runs the same suite on PostgreSQL).

/// The store of every `TestApp`: sled here.
const ON_POSTGRES: bool = false;

#[path = "../../../store/tests/support/pg.rs"]
mod pg;

mod compatibility;
mod concurrency;
mod config;
mod contexts;
mod deletes;
mod editions;
mod guids;
mod helpers;
mod http;
mod references;
mod restart;
mod schemas;
mod subjects;
