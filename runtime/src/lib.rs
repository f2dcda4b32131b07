//! huntreg-runtime: what huntreg-generated decoders link. Confluent wire framing,
//! `DecodeError`, and the resolver trait for schema IDs newer than the build.
#![warn(missing_docs, missing_debug_implementations)]
