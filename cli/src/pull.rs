//! `huntreg pull`.

use std::process::ExitCode;

/// Arguments of `huntreg pull`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

/// Runs `huntreg pull`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`huntreg pull` is not available yet")
}
