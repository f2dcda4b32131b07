//! `huntreg pull`: pins every registered version of a hunt's subjects in the lockfile
//! that builds read (`huntreg_codegen::Lockfile`), or, with `--check`, fails when the
//! committed lockfile no longer matches the registry. With a lockfile already there, only
//! the versions it lacks are read in full (`Registry::update_hunt`); the ones it has are
//! confirmed by ID, and what changed in them is reported.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use huntreg_codegen::{Builder, Lockfile};

use crate::remote::RegistryArgs;

/// Arguments of `huntreg pull`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    remote: RegistryArgs,
    /// The hunt (Confluent context, without the leading dot) to pin, or `.` for the
    /// default context (read through the registry's root paths); repeat for several.
    #[arg(long, required = true)]
    hunt: Vec<String>,
    /// The lockfile to write; other hunts in it are kept.
    #[arg(long, default_value = "schemas/huntreg.lock")]
    lockfile: PathBuf,
    /// Write nothing; exit 1 with a summary of the differences when the lockfile is stale.
    #[arg(long)]
    check: bool,
    /// Skip compiling the hunt to warn when it would not build. That check runs only when
    /// the hunt changed, but compiles every version: at thousands of versions it takes
    /// longer than the pull itself, and the consumer's build runs it anyway.
    #[arg(long)]
    no_build_check: bool,
}

/// Runs `huntreg pull`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let registry = args.remote.codegen_registry()?;
    let mut lockfile = if args.lockfile.exists() {
        Lockfile::read(&args.lockfile)?
    } else {
        Lockfile::default()
    };
    let mut stale = false;
    for hunt in &args.hunt {
        let pinned = lockfile.hunt(hunt);
        let (fetched, update) = registry.update_hunt(hunt, pinned)?;
        let versions: usize = fetched.subjects.iter().map(|s| s.versions.len()).sum();
        if !args.no_build_check && pinned != Some(&fetched) {
            if let Err(err) = Builder::new().hunt(&fetched.hunt).generate(&fetched) {
                eprintln!(
                    "huntreg: warning: hunt {} would not build from these versions:\n{err}",
                    fetched.hunt
                );
            }
        }
        if args.check {
            let diff = match lockfile.hunt(hunt) {
                Some(pinned) => pinned.diff(&fetched),
                None => vec![format!("+ hunt {} (not in the lockfile)", fetched.hunt)],
            };
            if diff.is_empty() {
                println!(
                    "{}: hunt {} is up to date ({versions} versions)",
                    args.lockfile.display(),
                    fetched.hunt
                );
            } else {
                stale = true;
                println!(
                    "{}: hunt {} is stale:",
                    args.lockfile.display(),
                    fetched.hunt
                );
                for line in diff {
                    println!("  {line}");
                }
            }
        } else {
            println!(
                "hunt {}: {} subjects, {versions} versions ({} read, {} already pinned)",
                fetched.hunt,
                fetched.subjects.len(),
                update.fetched,
                update.kept
            );
            for line in &update.changes {
                println!("  {line}");
            }
            lockfile.upsert(fetched);
        }
    }
    if args.check {
        if stale {
            println!("run `huntreg pull` without --check to update it");
            return Ok(ExitCode::from(1));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let wrote = huntreg_codegen::write_if_changed(&args.lockfile, &lockfile.render())
        .with_context(|| format!("writing {}", args.lockfile.display()))?;
    println!(
        "{} {}",
        if wrote { "wrote" } else { "unchanged:" },
        args.lockfile.display()
    );
    Ok(ExitCode::SUCCESS)
}
