//! `huntreg breaking`.

use std::process::ExitCode;

/// Arguments of `huntreg breaking`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

/// Runs `huntreg breaking`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`huntreg breaking` is not available yet")
}
