//! `huntreg pull`: pins every registered version of a hunt's subjects in the lockfile
//! that builds read (`huntreg_codegen::Lockfile`), or, with `--check`, fails when the
//! committed lockfile no longer matches the registry. With a lockfile already there, only
//! the versions it lacks are read; the ones it has are confirmed by ID, and what changed in
//! them is reported. A huntreg registry serves the missing versions already as lockfile
//! rows (`Registry::pull_hunt`: one request per subject, patches instead of full texts),
//! and the lockfile is extended without rebuilding any text; other registries are read
//! through Confluent's endpoints (`Registry::update_hunt`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use huntreg_codegen::{Builder, StoredHunt, StoredLockfile};

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
    /// the hunt changed; it compiles each subject's newest version and the older ones the
    /// pulled history names (every version when no history was served), and the
    /// consumer's build runs it anyway.
    #[arg(long)]
    no_build_check: bool,
    /// Read through Confluent's endpoints only, as from a registry other than huntreg
    /// (by default a huntreg registry's lockfile endpoint is used when it answers).
    #[arg(long)]
    confluent_api: bool,
}

/// Runs `huntreg pull`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let registry = args.remote.codegen_registry()?;
    let mut lockfile = if args.lockfile.exists() {
        StoredLockfile::read(&args.lockfile)?
    } else {
        StoredLockfile::default()
    };
    let mut stale = false;
    for hunt in &args.hunt {
        let pinned = lockfile.hunt(hunt);
        let native = if args.confluent_api {
            None
        } else {
            registry.pull_hunt(hunt, pinned)?
        };
        let (fetched, update) = match native {
            Some(pulled) => pulled,
            None => {
                let pinned = pinned.map(StoredHunt::expand).transpose()?;
                let (fetched, update) = registry.update_hunt(hunt, pinned.as_ref())?;
                (StoredHunt::from_locked(&fetched), update)
            }
        };
        let versions = fetched.version_count();
        if !args.no_build_check && pinned != Some(&fetched) {
            let built = Builder::new()
                .hunt(fetched.name())
                .generate_stored(&fetched);
            if let Err(err) = built {
                eprintln!(
                    "huntreg: warning: hunt {} would not build from these versions:\n{err}",
                    fetched.name()
                );
            }
        }
        if args.check {
            let diff = match lockfile.hunt(hunt) {
                Some(pinned) => pinned.diff(&fetched),
                None => vec![format!("+ hunt {} (not in the lockfile)", fetched.name())],
            };
            if diff.is_empty() {
                println!(
                    "{}: hunt {} is up to date ({versions} versions)",
                    args.lockfile.display(),
                    fetched.name()
                );
            } else {
                stale = true;
                println!(
                    "{}: hunt {} is stale:",
                    args.lockfile.display(),
                    fetched.name()
                );
                for line in diff {
                    println!("  {line}");
                }
            }
        } else {
            println!(
                "hunt {}: {} subjects, {versions} versions ({} read, {} already pinned)",
                fetched.name(),
                fetched.subject_count(),
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
