//! `huntreg import`: restores a backup file into an empty store (offline, [`crate::backup`]),
//! or, with `--from`, migrates from a running Confluent-compatible registry into a running
//! huntreg ([`crate::migrate`]).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::{backup, migrate};

/// Arguments of `huntreg import`.
#[derive(Debug, clap::Args)]
#[command(
    override_usage = "huntreg import [--data-dir DIR] FILE\n       \
                      huntreg import --from URL --to URL [--context C | --all-contexts] [--into-hunt H] [--dry-run]",
    after_long_help = "Exit status: 0 done (for --from: written and verified), 1 error or failed \
                       verification, 2 refused before writing (ID clashes, versions that differ on the \
                       target, schemas that are not PROTOBUF, references outside what is copied).\n\n\
                       A migration reruns safely: after an interruption, run the same command again; it \
                       skips what the target already holds and continues."
)]
pub(crate) struct Args {
    /// The backup written by `huntreg export` (`-` for standard input).
    #[arg(
        value_name = "FILE",
        required_unless_present = "from",
        conflicts_with = "from",
        help_heading = "Restore a backup (offline)"
    )]
    file: Option<PathBuf>,
    /// Directory of the store to restore into; it must be empty or not exist yet.
    #[arg(
        long,
        env = "HUNTREG_DATA_DIR",
        default_value = "./huntreg-data",
        help_heading = "Restore a backup (offline)"
    )]
    data_dir: PathBuf,
    /// Restore into the (empty) PostgreSQL store at this URL instead of --data-dir.
    #[arg(
        long,
        env = "HUNTREG_DATABASE_URL",
        hide_env_values = true,
        conflicts_with = "from",
        help_heading = "Restore a backup (offline)"
    )]
    database_url: Option<String>,
    #[command(flatten)]
    live: migrate::LiveArgs,
}

/// Runs `huntreg import`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.file {
        Some(file) => backup::import(backup::ImportArgs {
            data_dir: args.data_dir,
            file,
            database_url: args.database_url,
        }),
        None => migrate::run(args.live),
    }
}
