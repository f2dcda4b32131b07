//! `huntreg export` and `huntreg import FILE`: a complete, versioned backup of the store,
//! and its restore into an empty store.
//!
//! The backup is JSON Lines: a header line (`{"format":"huntreg-backup","version":1,...}`),
//! one line per persisted record (the id sequence, contexts, config and mode entries,
//! schemas with their ids, versions with their deleted flags), and a trailer line with the
//! record count, so a truncated file is refused. Indexes are not written; import rebuilds
//! them. `export --data-dir` and `import` open the data directory directly, so the server
//! must be stopped (the store is locked while it runs); `export --from URL` reads a running
//! registry over its REST API instead ([`crate::migrate::export`]) and writes the same format.

use std::any::Any;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use huntreg_store::types::{Context, Subject};
use huntreg_store::{
    self as store, ConfigRecord, ExportRecord, ModeRecord, PgStore, SchemaRecord, SledStore, Store,
    StoreError, VersionRecord,
};
use serde::{Deserialize, Serialize};

use crate::migrate::{
    self,
    http::{Api, SourceCredentials},
};

/// The `format` field of a backup's header line.
const FORMAT: &str = "huntreg-backup";
/// The backup format version this build writes and reads.
const VERSION: u32 = 1;

/// Arguments of `huntreg export`.
#[derive(Debug, clap::Args)]
#[command(
    override_usage = "huntreg export --from URL [-o FILE]        (a running registry, over its API)\n       \
                      huntreg export [--data-dir DIR] [-o FILE]  (a stopped server's store)",
    after_long_help = "Both write the backup `huntreg import FILE` restores into an empty store.\n\n\
                       --from reads while the registry keeps serving writes: the backup holds everything \
                       acknowledged before the export started, with the IDs and version numbers as \
                       registered (soft-deleted versions too), every config and mode, and no version \
                       whose references it lacks; writes made during the export may or may not be in it. \
                       The credentials need read access on every hunt (hunts = [\"*\"]).\n\n\
                       Exit status: 0 written, 1 error, 2 refused (the registry holds schemas huntreg \
                       cannot restore); nothing is written under FILE unless the export succeeds."
)]
pub(crate) struct ExportArgs {
    /// Directory of the store to back up (the server must be stopped; ignored with --from).
    #[arg(long, env = "HUNTREG_DATA_DIR", default_value = "./huntreg-data")]
    data_dir: PathBuf,
    /// Back up the PostgreSQL store at this URL instead of --data-dir (a running registry
    /// may keep serving: the export reads one consistent snapshot).
    #[arg(
        long,
        env = "HUNTREG_DATABASE_URL",
        hide_env_values = true,
        conflicts_with = "from"
    )]
    database_url: Option<String>,
    /// File to write (standard output when absent or `-`).
    #[arg(short, long, visible_alias = "out", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Read a running registry at this base URL over its REST API instead of a data
    /// directory (huntreg, or any Confluent-compatible registry).
    #[arg(long, value_name = "URL", help_heading = "Export a running registry")]
    from: Option<String>,
    /// Credentials for the registry --from names.
    #[command(flatten, next_help_heading = "Export a running registry")]
    source: SourceCredentials,
    /// Leave out versions that are not PROTOBUF (AVRO, JSON) instead of refusing.
    #[arg(long, requires = "from", help_heading = "Export a running registry")]
    skip_unsupported: bool,
}

/// What `huntreg import FILE` restores, and where.
#[derive(Debug)]
pub(crate) struct ImportArgs {
    /// Directory of the store to restore into; it must be empty or not exist yet.
    pub(crate) data_dir: PathBuf,
    /// The backup written by `huntreg export` (`-` for standard input).
    pub(crate) file: PathBuf,
    /// Restore into the (empty) PostgreSQL store at this URL instead of `data_dir`.
    pub(crate) database_url: Option<String>,
}

/// The first line of a backup.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    created_by: String,
}

/// One line of a backup after the header.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Line {
    NextId {
        next_id: u32,
    },
    Context {
        context: String,
    },
    Config {
        scope: String,
        record: ConfigRecord,
    },
    Mode {
        scope: String,
        record: ModeRecord,
    },
    Schema {
        context: String,
        id: u32,
        record: SchemaRecord,
    },
    Version {
        context: String,
        subject: String,
        version: u32,
        record: VersionRecord,
    },
    End {
        records: u64,
    },
}

impl Line {
    fn from_record(record: ExportRecord) -> Line {
        match record {
            ExportRecord::NextId(next_id) => Line::NextId { next_id },
            ExportRecord::Context(ctx) => Line::Context {
                context: ctx.as_str().to_owned(),
            },
            ExportRecord::Config(scope, record) => Line::Config { scope, record },
            ExportRecord::Mode(scope, record) => Line::Mode { scope, record },
            ExportRecord::Schema(ctx, id, record) => Line::Schema {
                context: ctx.as_str().to_owned(),
                id,
                record,
            },
            ExportRecord::Version(subject, version, record) => Line::Version {
                context: subject.context.as_str().to_owned(),
                subject: subject.name,
                version,
                record,
            },
        }
    }

    fn into_record(self) -> anyhow::Result<ExportRecord> {
        let context = |raw: &str| -> anyhow::Result<Context> {
            Context::parse(raw).map_err(|e| anyhow::anyhow!("context {raw:?}: {e}"))
        };
        Ok(match self {
            Line::NextId { next_id } => ExportRecord::NextId(next_id),
            Line::Context { context: c } => ExportRecord::Context(context(&c)?),
            Line::Config { scope, record } => ExportRecord::Config(scope, record),
            Line::Mode { scope, record } => ExportRecord::Mode(scope, record),
            Line::Schema {
                context: c,
                id,
                record,
            } => ExportRecord::Schema(context(&c)?, id, record),
            Line::Version {
                context: c,
                subject,
                version,
                record,
            } => ExportRecord::Version(Subject::new(context(&c)?, subject), version, record),
            Line::End { .. } => bail!("an end line is not a record"),
        })
    }
}

/// What the command opening the store is doing, for the message when a server holds it.
#[derive(Debug, Clone, Copy)]
enum Opening {
    Export,
    Import,
}

/// Opens the store in `dir`, explaining the usual failure: a running server holds the lock.
fn open_store(dir: &Path, opening: Opening) -> anyhow::Result<SledStore> {
    match SledStore::open(dir, None) {
        Ok(store) => Ok(store),
        Err(err) if err.to_string().contains("could not acquire lock") => {
            let way = match opening {
                Opening::Export => {
                    "stop it first, or export the running registry over its API instead: \
                     huntreg export --from http://HOST:PORT -o backup.jsonl"
                }
                Opening::Import => "stop it first, or import into another directory",
            };
            bail!(
                "the store in {} is locked: a `huntreg serve` is still running on it; {way}",
                dir.display()
            )
        }
        Err(err) => Err(err).with_context(|| format!("cannot open the store in {}", dir.display())),
    }
}

/// Runs `huntreg export`.
pub(crate) fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    if let Some(from) = &args.from {
        return export_live(from, &args);
    }
    if let Some(url) = &args.database_url {
        let store = PgStore::open(url, None).context("cannot open the PostgreSQL store")?;
        let count = write_backup(args.output.as_deref(), store.export())?;
        if let Some(path) = written_to(args.output.as_deref()) {
            eprintln!("huntreg: exported {count} records to {}", path.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.data_dir.is_dir() {
        bail!(
            "no store at {}: the directory does not exist",
            args.data_dir.display()
        );
    }
    let store = open_store(&args.data_dir, Opening::Export)?;
    let count = write_backup(args.output.as_deref(), store.export())?;
    if let Some(path) = written_to(args.output.as_deref()) {
        eprintln!("huntreg: exported {count} records to {}", path.display());
    }
    store.close().context("closing the store")?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `huntreg export --from URL`.
fn export_live(from: &str, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let credentials = args.source.credentials()?;
    let api = Api::new("source", from, &credentials);
    let live = match migrate::export::read(&api, args.skip_unsupported)? {
        Ok(live) => live,
        Err(problems) => {
            migrate::print_problems(&problems);
            eprintln!("huntreg: export refused: nothing written");
            return Ok(ExitCode::from(migrate::REFUSED));
        }
    };
    for line in &live.skipped {
        eprintln!("huntreg: left out: {line}");
    }
    if live.reread > 0 {
        eprintln!(
            "huntreg: {} subject(s) read again: versions registered during the export reference \
             versions of theirs registered after they were first read",
            live.reread
        );
    }
    let count = write_backup(args.output.as_deref(), live.records.into_iter().map(Ok))?;
    eprintln!(
        "huntreg: exported {} versions ({} soft-deleted) of {} subjects, {} IDs (next ID {}), \
         {count} records from {}{}",
        live.versions,
        live.deleted,
        live.subjects,
        live.ids,
        live.next_id,
        api.url(),
        written_to(args.output.as_deref())
            .map(|p| format!(" to {}", p.display()))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

/// The file an export writes, `None` for standard output.
fn written_to(output: Option<&Path>) -> Option<&Path> {
    output.filter(|p| *p != Path::new("-"))
}

/// Writes a whole backup of `records` to `output` (standard output when `None` or `-`) and
/// returns the record count. A file is written under a temporary name, synced, then renamed,
/// so a failed export never leaves a partial backup under the final name.
fn write_backup(
    output: Option<&Path>,
    records: impl IntoIterator<Item = Result<ExportRecord, StoreError>>,
) -> anyhow::Result<u64> {
    let to_stdout = written_to(output).is_none();
    // Write to a temporary file next to the target and rename it, so a failed export never
    // leaves a partial backup under the final name.
    let (sink, temp): (Box<dyn Write>, Option<(PathBuf, PathBuf)>) = match output {
        Some(path) if !to_stdout => {
            let tmp = path.with_extension("partial");
            let file = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
            (Box::new(file), Some((tmp, path.to_owned())))
        }
        _ => (Box::new(std::io::stdout().lock()), None),
    };
    let mut out = BufWriter::new(sink);
    let header = Header {
        format: FORMAT.to_owned(),
        version: VERSION,
        created_by: format!("huntreg {}", env!("CARGO_PKG_VERSION")),
    };
    writeln!(out, "{}", serde_json::to_string(&header)?)?;
    let mut count = 0u64;
    for record in records {
        let record = record.context("reading the store")?;
        writeln!(
            out,
            "{}",
            serde_json::to_string(&Line::from_record(record))?
        )?;
        count += 1;
    }
    writeln!(
        out,
        "{}",
        serde_json::to_string(&Line::End { records: count })?
    )?;
    let sink = out.into_inner().map_err(|e| e.into_error())?;
    drop(sink);
    if let Some((tmp, path)) = temp {
        File::open(&tmp)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("syncing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("renaming to {}", path.display()))?;
    }
    Ok(count)
}

/// Reads and checks a whole backup before anything is written.
fn read_backup(reader: impl BufRead) -> anyhow::Result<Vec<ExportRecord>> {
    let mut lines = reader.lines().enumerate();
    let Some((_, first)) = lines.next() else {
        bail!("the backup is empty");
    };
    let header: Header =
        serde_json::from_str(&first?).context("line 1 is not a huntreg backup header")?;
    if header.format != FORMAT {
        bail!("not a huntreg backup (format {:?})", header.format);
    }
    if header.version > VERSION {
        bail!(
            "backup format version {} is newer than this build reads ({VERSION}); written by {}",
            header.version,
            header.created_by
        );
    }
    let mut records = Vec::new();
    let mut ended = None;
    for (index, line) in lines {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        if ended.is_some() {
            bail!("line {}: data after the end of the backup", index + 1);
        }
        let parsed: Line =
            serde_json::from_str(&line).with_context(|| format!("line {}", index + 1))?;
        match parsed {
            Line::End { records: n } => ended = Some(n),
            other => records.push(
                other
                    .into_record()
                    .with_context(|| format!("line {}", index + 1))?,
            ),
        }
    }
    match ended {
        None => bail!("the backup is truncated (no end line)"),
        Some(n) if n != records.len() as u64 => {
            bail!("the backup says {n} records but holds {}", records.len())
        }
        Some(_) => Ok(records),
    }
}

/// Runs `huntreg import FILE`.
pub(crate) fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let records = if args.file == Path::new("-") {
        read_backup(std::io::stdin().lock())
    } else {
        let file =
            File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
        read_backup(BufReader::new(file))
    }
    .with_context(|| format!("reading backup {}", args.file.display()))?;

    if let Some(url) = &args.database_url {
        return import_postgres(url, records);
    }
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let store = Arc::new(open_store(&args.data_dir, Opening::Import)?);
    refuse_non_empty(&*store, &args.data_dir.display().to_string())?;
    let count = records.len();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let target: Arc<dyn Store> = store.clone();
    // One write job per record, all queued at once: the single writer applies them in order
    // (each job reads what the earlier ones wrote) and group-commits them.
    let replies: Vec<_> = records
        .into_iter()
        .map(|record| {
            target.submit(Box::new(move |tx| {
                Box::new(huntreg_store::import_record(tx, &record)) as Box<dyn Any + Send>
            }))
        })
        .collect();
    runtime
        .block_on(async {
            for reply in replies {
                let boxed = reply.await.map_err(|_| StoreError::Closed)??;
                match boxed.downcast::<Result<(), StoreError>>() {
                    Ok(result) => (*result)?,
                    Err(_) => return Err(StoreError::Backend("unexpected job result".into())),
                }
            }
            Ok::<(), StoreError>(())
        })
        .with_context(|| {
            format!(
                "restoring the records; the store in {} is incomplete: delete it before retrying",
                args.data_dir.display()
            )
        })?;
    store.close().context("closing the store")?;
    eprintln!(
        "huntreg: imported {count} records into {}",
        args.data_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Refuses a target store that holds anything but the id sequence.
fn refuse_non_empty(store: &dyn Store, place: &str) -> anyhow::Result<()> {
    for existing in store.export() {
        match existing.context("reading the target store")? {
            ExportRecord::NextId(_) => {}
            _ => bail!(
                "refusing to import into {place}: the store is not empty (import restores into an empty store only)"
            ),
        }
    }
    Ok(())
}

/// Restores `records` into an empty PostgreSQL store, in one transaction: all or nothing.
fn import_postgres(url: &str, records: Vec<ExportRecord>) -> anyhow::Result<ExitCode> {
    let store = PgStore::open(url, None).context("cannot open the PostgreSQL store")?;
    refuse_non_empty(&store, "the PostgreSQL database")?;
    let count = records.len();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime
        .block_on(store::write(&store, move |tx| {
            records
                .iter()
                .try_for_each(|record| store::import_record(tx, record))
        }))
        .and_then(|r| r)
        .context("restoring the records (nothing was written)")?;
    store.close().context("closing the store")?;
    eprintln!("huntreg: imported {count} records into the PostgreSQL database");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_backups() {
        let header = r#"{"format":"huntreg-backup","version":1,"created_by":"t"}"#;
        let cases = [
            ("", "empty"),
            ("{}", "header"),
            (r#"{"format":"other","version":1,"created_by":"t"}"#, "not a huntreg backup"),
            (r#"{"format":"huntreg-backup","version":9,"created_by":"t"}"#, "newer"),
            (header, "truncated"),
            (&format!("{header}\n{{\"kind\":\"next_id\",\"next_id\":3}}\n"), "truncated"),
            (&format!("{header}\n{{\"kind\":\"end\",\"records\":1}}\n"), "says 1 records"),
            (&format!("{header}\n{{\"kind\":\"nope\"}}\n"), "line 2"),
            (
                &format!("{header}\n{{\"kind\":\"context\",\"context\":\"a:b\"}}\n{{\"kind\":\"end\",\"records\":1}}\n"),
                "colon",
            ),
            (
                &format!("{header}\n{{\"kind\":\"end\",\"records\":0}}\n{{\"kind\":\"next_id\",\"next_id\":3}}\n"),
                "after the end",
            ),
        ];
        for (text, expected) in cases {
            let err = format!("{:#}", read_backup(text.as_bytes()).unwrap_err());
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        let ok = format!("{header}\n{{\"kind\":\"next_id\",\"next_id\":3}}\n{{\"kind\":\"end\",\"records\":1}}\n");
        assert_eq!(read_backup(ok.as_bytes()).unwrap().len(), 1);
    }
}
