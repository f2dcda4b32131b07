//! huntreg-registry: a Confluent-compatible protobuf schema registry with hunts as
//! contexts, on an embedded sled store.
#![warn(missing_docs, missing_debug_implementations)]
pub mod auth;
