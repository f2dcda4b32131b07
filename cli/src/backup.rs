//! `huntreg export` and `huntreg import`: a complete, versioned backup of the store.

use std::process::ExitCode;

/// Arguments of `huntreg export`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExportArgs {}

/// Arguments of `huntreg import`.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {}

/// Runs `huntreg export`.
pub(crate) fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`huntreg export` is not available yet")
}

/// Runs `huntreg import`.
pub(crate) fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`huntreg import` is not available yet")
}
