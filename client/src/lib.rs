//! huntreg-client: the one set of Confluent Schema Registry request and response types
//! ([`wire`]), the URL shapes of a hunt's paths ([`path`]), and, behind the `blocking`
//! feature, the blocking HTTP client ([`Client`]) that `huntreg pull`, `push`, `check`,
//! `import --from`, codegen's live-registry mode and the runtime's `http` feature speak
//! through. The registry serves the same [`wire`] types, so a field renamed on one side is
//! renamed on both.

pub mod path;
pub mod wire;

#[cfg(feature = "blocking")]
mod blocking;

#[cfg(feature = "blocking")]
pub use blocking::{Answer, Client, Credentials, CredentialsError, TransportError};
