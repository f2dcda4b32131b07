//! The registry's HTTP API, end to end over a real socket and a temporary store.

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
