//! `huntreg serve`.

use std::process::ExitCode;

/// Arguments of `huntreg serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

/// Runs `huntreg serve`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`huntreg serve` is not available yet")
}
