//! huntreg-registry: a Confluent-compatible protobuf schema registry with hunts as
//! contexts, on an embedded sled store or on PostgreSQL.
//!
//! Every module is private; what other crates use is re-exported here, flat:
//! [`Application`] (bind and serve), [`router`] and [`service`] (the pure axum router and the
//! router behind the security layers, for `oneshot` tests and fuzzing), [`App`] (the
//! behaviour behind the handlers), the endpoint table ([`ENDPOINTS`]), the request
//! classifier ([`classify`]) and the secret helpers the CLI's `hash-secret` uses.
#![warn(missing_docs, missing_debug_implementations)]

mod app;
mod auth;
mod config;
mod console;
mod error;
mod extract;
mod limits;
mod metrics;
mod routes;
mod security;
mod startup;
mod tls;

/// The Confluent request and response bodies, from the client crate: one set for both sides.
pub use huntreg_client::wire as dto;
/// The schema layer, re-exported: compiling, canonical text, hashing.
pub use huntreg_schema as schema;
/// The storage layer, re-exported: the registry is written against its `Store` trait.
pub use huntreg_store as store;
/// The domain's names (contexts, subjects, IDs, versions, modes), from the store crate.
pub use huntreg_store::types;

pub use app::{scope_key, App};
pub use auth::{
    classify, generate_token, hash_secret, layer as auth_layer, verify_secret, Access, Action,
    AuthConfig, Scope, DEFAULT_HUNT,
};
pub use config::{CacheBudget, Config, DEFAULT_CACHE_BYTES, MIN_CACHE_BYTES};
pub use error::ApiError;
pub use limits::Limits;
pub use metrics::Metrics;
pub use routes::endpoints::{Media, ENDPOINTS};
pub use routes::{router, AppState};
pub use security::SecurityArgs;
pub use startup::{service, Application, HttpFuture, HttpService};
