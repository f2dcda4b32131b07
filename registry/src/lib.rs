//! huntreg-registry: a Confluent-compatible protobuf schema registry with hunts as
//! contexts, on an embedded sled store.
//!
//! Entry points: [`Application`] (bind and serve), [`router`] (the pure axum router, for
//! `oneshot` tests), [`store::Store`] (storage, also used by export/import).
#![warn(missing_docs, missing_debug_implementations)]

pub mod app;
pub mod auth;
pub mod config;
mod console;
/// The Confluent request and response bodies, from the client crate: one set for both sides.
pub use huntreg_client::wire as dto;
pub mod error;
pub mod extract;
pub mod limits;
pub mod metrics;
pub mod routes;
pub mod security;
pub mod startup;
pub mod tls;

pub use config::Config;
/// The schema layer, re-exported: compiling, canonical text, hashing.
pub use huntreg_schema as schema;
/// The storage layer, re-exported: the registry is written against its `Store` trait.
pub use huntreg_store as store;
/// The domain's names (contexts, subjects, IDs, versions, modes), from the store crate.
pub use huntreg_store::types;
pub use routes::{router, AppState};
pub use startup::Application;
