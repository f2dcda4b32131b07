//! `huntreg import --from URL --to URL`: copies the subjects, versions, IDs, configs and
//! modes of one context (or every context) of a running Confluent-compatible registry
//! (Confluent, Karapace, Apicurio's ccompat API, Redpanda, another huntreg) into a hunt of
//! a running huntreg, over their REST APIs.
//!
//! Plan first, write after: everything is read from the source and checked against the
//! target before the first write ([`plan`]); any ID that already names another schema, any
//! target version that differs, any schema huntreg cannot hold stops the run with a report
//! of all of them and nothing written. The write ([`apply`]) is resumable, and the run ends
//! by verifying the target against the source.

mod apply;
pub(crate) mod export;
pub(crate) mod http;
mod plan;
mod source;

use std::process::ExitCode;

use anyhow::bail;
use huntreg_store::types::Context;

use http::{Api, Credentials, SourceCredentials};
pub(crate) use plan::Problems;
use plan::{Mapping, OnTarget};

/// Exit status when the preflight refuses the migration (clashes, conflicts, unsupported
/// schemas, unresolvable references); nothing was written.
pub(crate) const REFUSED: u8 = 2;

/// The live-migration arguments of `huntreg import`.
#[derive(Debug, clap::Args)]
pub(crate) struct LiveArgs {
    /// Source registry base URL (any Confluent-compatible registry).
    #[arg(
        long,
        value_name = "URL",
        help_heading = "Migrate from a live registry"
    )]
    pub(crate) from: Option<String>,
    /// Target huntreg base URL.
    #[arg(
        long,
        value_name = "URL",
        env = "HUNTREG_URL",
        help_heading = "Migrate from a live registry"
    )]
    to: Option<String>,
    /// Source context to copy (`.` is the default context).
    #[arg(
        long,
        value_name = "CONTEXT",
        default_value = ".",
        conflicts_with = "all_contexts",
        help_heading = "Migrate from a live registry"
    )]
    context: String,
    /// Copy every context the source lists (`GET /contexts`), each into the hunt of the same name.
    #[arg(long, help_heading = "Migrate from a live registry")]
    all_contexts: bool,
    /// Target hunt (context) to copy into; defaults to the source context's name.
    #[arg(
        long,
        value_name = "HUNT",
        conflicts_with = "all_contexts",
        help_heading = "Migrate from a live registry"
    )]
    into_hunt: Option<String>,
    /// Credentials for the source registry.
    #[command(flatten, next_help_heading = "Migrate from a live registry")]
    source: SourceCredentials,
    /// Target credentials for HTTP Basic: admin on the target hunts and read on every hunt (`*`).
    #[arg(
        long,
        value_name = "USER:PASSWORD",
        env = "HUNTREG_TO_USER_INFO",
        hide_env_values = true,
        help_heading = "Migrate from a live registry"
    )]
    to_user_info: Option<String>,
    /// Target bearer token (same grants as --to-user-info).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "HUNTREG_TO_TOKEN",
        hide_env_values = true,
        help_heading = "Migrate from a live registry"
    )]
    to_token: Option<String>,
    /// Leave out versions that are not PROTOBUF (AVRO, JSON) instead of refusing to start.
    #[arg(long, help_heading = "Migrate from a live registry")]
    skip_unsupported: bool,
    /// Read, plan and check against the target; write nothing.
    #[arg(long, help_heading = "Migrate from a live registry")]
    dry_run: bool,
}

fn context(raw: &str) -> anyhow::Result<Context> {
    Context::parse(raw).map_err(|e| anyhow::anyhow!("context {raw:?}: {e}"))
}

/// Prints every problem found before writing, with what the operator can do.
pub(crate) fn print_problems(problems: &Problems) {
    let section = |title: &str, lines: &[String]| {
        if !lines.is_empty() {
            println!("{title} ({}):", lines.len());
            for line in lines {
                println!("  {line}");
            }
        }
    };
    section("ID clashes", &problems.clashes);
    section("versions that differ on the target", &problems.conflicts);
    section("schemas huntreg cannot hold", &problems.unsupported);
    section("unresolvable references", &problems.references);
    if !problems.clashes.is_empty() {
        println!(
            "\nA huntreg schema ID names one schema in every hunt (one global sequence), and a record \
             carries only the ID, so these IDs cannot be imported here. Keeping the IDs is what lets \
             old records decode; renumbering would break their framing, so it is not offered. What \
             you can do:\n  \
             - import this source into another huntreg instance (a target whose IDs are free), and \
             point this source's clients at it;\n  \
             - if no record carrying these IDs is still read (topics expired or re-produced), copy \
             that registry's schemas without their IDs instead (`huntreg push` of its .proto files, \
             or the clients' auto-registration): they get new IDs;\n  \
             - if the clash is with a schema that should not be on the target at all, it cannot be \
             freed: huntreg never reuses an ID, even after a permanent delete."
        );
    }
    if !problems.unsupported.is_empty() {
        println!(
            "\nhuntreg serves PROTOBUF only: --skip-unsupported leaves the other versions out."
        );
    }
}

/// Runs `huntreg import --from URL --to URL`.
pub(crate) fn run(args: LiveArgs) -> anyhow::Result<ExitCode> {
    let (Some(from), Some(to)) = (&args.from, &args.to) else {
        bail!("--from needs --to (the target huntreg's URL, or HUNTREG_URL)");
    };
    let source = Api::new("source", from, &args.source.credentials()?);
    let target = Api::new(
        "target",
        to,
        &Credentials::from_flags(args.to_user_info.clone(), args.to_token.clone())?,
    );
    let mapping = if args.all_contexts {
        let contexts = source::list_contexts(&source)?;
        Mapping::new(contexts.into_iter().map(|c| (c.clone(), c)).collect())
    } else {
        let from_ctx = context(&args.context)?;
        let into = match &args.into_hunt {
            Some(hunt) => context(hunt)?,
            None => from_ctx.clone(),
        };
        if into.is_global() {
            bail!("--into-hunt: .__GLOBAL holds settings only");
        }
        Mapping::new(vec![(from_ctx, into)])
    };
    let contexts: Vec<Context> = mapping.pairs().iter().map(|(s, _)| s.clone()).collect();

    let snapshot = source::read(&source, &contexts)?;
    let subjects = snapshot.settings.len();
    let deleted = snapshot.versions.iter().filter(|v| v.deleted).count();
    for (s, t) in mapping.pairs() {
        println!(
            "source {} context {} -> target {} hunt {}",
            source.url(),
            s.display_name(),
            target.url(),
            t.display_name()
        );
    }
    println!(
        "read {} versions ({deleted} soft-deleted) of {subjects} subjects",
        snapshot.versions.len()
    );
    for (ctx, mode) in &snapshot.context_mode {
        if mode != "READWRITE" {
            println!(
                "note: the source context {} is in {mode} mode; context modes are not copied",
                ctx.display_name()
            );
        }
    }

    let mut problems = Problems::default();
    let (mut items, skipped) =
        plan::build(&snapshot, &mapping, args.skip_unsupported, &mut problems);
    for line in &skipped {
        println!("left out: {line}");
    }
    plan::preflight(&target, &mut items, &mut problems)?;
    let present = items
        .iter()
        .filter(|i| i.on_target != OnTarget::Missing)
        .count();
    println!(
        "plan: {} versions, {present} already on the target, {} to write",
        items.len(),
        items.len() - present
    );
    if !problems.is_empty() {
        print_problems(&problems);
        eprintln!("huntreg: import refused before writing anything");
        return Ok(ExitCode::from(REFUSED));
    }
    if args.dry_run {
        for item in items.iter().filter(|i| i.on_target == OnTarget::Missing) {
            println!(
                "would write {} (ID {})",
                plan::describe(&item.target, item.source.version),
                item.source.id
            );
        }
        println!("dry run: nothing written");
        return Ok(ExitCode::SUCCESS);
    }

    let written = apply::write(&target, &items, &snapshot, &mapping)?;
    println!(
        "wrote {} versions, soft-deleted {}, changed {} settings",
        written.versions, written.deleted, written.settings
    );
    match apply::verify(&target, &items, &snapshot)? {
        Ok(v) => {
            println!(
                "verified: {} versions ({} soft-deleted) of {} subjects and {} IDs match the source",
                v.versions, v.deleted, v.subjects, v.ids
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(differences) => {
            println!("verification failed ({}):", differences.len());
            for d in &differences {
                println!("  {d}");
            }
            Ok(ExitCode::from(1))
        }
    }
}
