//! The `huntreg` command: serve the registry, gate pull requests with `breaking`, push
//! and pull a hunt's schemas, back the store up and restore it, migrate from another
//! registry, and ask a registry whether it would accept a change (`check`).
//!
//! Each subcommand lives in its own module with its own `Args` and `run`; this file only
//! dispatches.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod backup;
mod breaking;
mod check;
mod hash;
mod import;
mod migrate;
mod pull;
mod push;
mod remote;
mod serve;

/// A per-hunt protobuf schema registry and build-time codegen pipeline.
#[derive(Debug, Parser)]
#[command(name = "huntreg", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the registry: a Confluent-compatible HTTP API over an embedded store.
    Serve(serve::Args),
    /// Check a proto tree for breaking changes against another (a CI gate; exit 100 on a break).
    Breaking(breaking::Args),
    /// Ask the registry, as a dry run, whether it would accept a hunt directory's files
    /// (the pull-request gate against the registry itself; exit 100 on a refusal).
    Check(check::Args),
    /// Write a hunt's lockfile: every registered version of every subject in the hunt.
    Pull(pull::Args),
    /// Register a hunt's `.proto` files with a registry.
    Push(push::Args),
    /// Write a complete, versioned backup of a registry: a running one over its API
    /// (--from URL), or a stopped server's store (--data-dir).
    Export(backup::ExportArgs),
    /// Restore a backup into an empty store, or migrate from a running registry (--from).
    Import(import::Args),
    /// Hash a password or token (read from stdin) for `serve --auth-config`.
    HashSecret(hash::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Breaking(args) => breaking::run(args),
        Command::Check(args) => check::run(args),
        Command::Pull(args) => pull::run(args),
        Command::Push(args) => push::run(args),
        Command::Export(args) => backup::export(args),
        Command::Import(args) => import::run(args),
        Command::HashSecret(args) => hash::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("huntreg: error: {err:#}");
            ExitCode::from(1)
        }
    }
}
