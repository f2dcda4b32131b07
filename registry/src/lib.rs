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
pub mod dto;
pub mod error;
pub mod extract;
pub mod limits;
pub mod metrics;
pub mod routes;
pub mod schema;
pub mod security;
pub mod startup;
pub mod store;
pub mod tls;
pub mod types;

pub use config::Config;
pub use routes::{router, AppState};
pub use startup::Application;
