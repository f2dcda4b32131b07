//! huntreg-codegen: a build.rs library that turns every registered version of a hunt
//! into typed Rust decoders (protox + prost-build + tera), with no `protoc` and, when a
//! lockfile is committed, no network.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), huntreg_codegen::Error> {
//!     huntreg_codegen::Builder::new()
//!         .lockfile("schemas/huntreg.lock") // written by `huntreg pull`
//!         .hunt("hunt-42")
//!         .compile()
//! }
//! ```
//!
//! The consumer crate needs huntreg-runtime as its only dependency (and huntreg-codegen
//! as its build-dependency): generated code names prost and the well-known types through
//! huntreg-runtime's re-exports (`::huntreg_runtime::prost`,
//! `::huntreg_runtime::prost_types`).
//!
//! ```text
//! // src/lib.rs
//! pub mod hunt_42 {
//!     include!(concat!(env!("OUT_DIR"), "/hunt_42.rs"));
//! }
//! // hunt_42::decode(bytes) -> Result<hunt_42::Decoded, huntreg_runtime::DecodeError>
//! // (Decoded = huntreg_runtime::Decoded<hunt_42::Event>: event, schema_id, the subject
//! // and version the ID was registered under, framing)
//! ```
//!
//! What is generated per hunt: the prost message types in package modules; an `Event`
//! enum over the newest message types; `decode` (Confluent framing, or by default also
//! @kafkajs/confluent-schema-registry's records without a message-index section, read as
//! the schema's first message and reported as `Framing::IndexFree`, see
//! [`Builder::index_free_fallback`]; then a `match` on schema ID and message index built
//! from every registered version, then prost);
//! `decode_with` (asks a [`huntreg_runtime::Resolver`] about IDs newer than the
//! build); `Event::encode_as(subject)` (framed for the subject the caller names) and
//! `Event::encode` with `huntreg_runtime::Registered` impls (framed with the highest ID of
//! any subject defining the message) for producers; `registrations(id)`;
//! `KNOWN_IDS`; `DEEP_INDEX_IDS` (the IDs whose index paths 4 or more deep make the
//! two framings need the schema to tell apart).
//!
//! Message indexes follow the registry's serialized descriptor of each version (pinned in
//! the lockfile as `messages`), which is what producers count: the `.proto` text alone
//! cannot say where a map field's synthetic entry message sits among nested messages.
//!
//! Older versions decode through the newest type. The build proves it can: every
//! registered version is checked against the newest schemas as BACKWARD_TRANSITIVE
//! (`huntreg_compat::check_history`, buf's WIRE rules by default, [`Builder::rules`]),
//! through the registry's compatibility history when the lockfile carries one (only the
//! versions it names as suspects are compiled, as their writers saw them), else with each
//! version compiled. A
//! version the newest type cannot read fails the build with the hunt, subject, version,
//! schema ID, rule and location; there are no per-version types.
#![warn(missing_docs, missing_debug_implementations)]

mod builder;
mod compile;
mod error;
mod ident;
mod lockfile;
mod model;
mod plan;
mod registry;
mod render;
mod write;

pub use builder::{
    Builder, GeneratedFile, PBJSON_TYPES_PATH, PROST_PATH, PROST_TYPES_PATH, REGISTRY_ENV,
    TOKEN_ENV, USER_INFO_ENV,
};
pub use error::Error;
/// Credentials for a registry with an auth config (HTTP Basic or a bearer token).
pub use huntreg_client::Credentials;
pub use ident::{
    hunt_module, hunt_name, is_default_context, DEFAULT_CONTEXT, DEFAULT_CONTEXT_MODULE,
};
pub use lockfile::{
    LockedHistory, LockedHunt, LockedSubject, LockedVersion, Lockfile, Reference, StoredHunt,
    StoredLockfile, FORMAT,
};
pub use registry::{Registered, Registry, Update};
pub use render::HUNT_TEMPLATE;
pub use write::write_if_changed;
