//! `huntreg push`.

use std::process::ExitCode;

/// Arguments of `huntreg push`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

/// Runs `huntreg push`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`huntreg push` is not available yet")
}
