//! huntreg-codegen: a build.rs library that compiles every registered version of a hunt
//! into typed Rust decoders (protox + prost-build + tera).
#![warn(missing_docs, missing_debug_implementations)]
