//! `huntreg serve`: run the registry (a Confluent-compatible HTTP API over an embedded
//! store) until SIGINT or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use huntreg_compat::Level;
use huntreg_registry::{Application, Config, DEFAULT_CACHE_BYTES};

/// Arguments of `huntreg serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "HUNTREG_LISTEN", default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// Directory of the store (created when missing).
    #[arg(long, env = "HUNTREG_DATA_DIR", default_value = "./huntreg-data")]
    data_dir: PathBuf,
    /// Store everything in this PostgreSQL database (`postgres://user@host:port/db`)
    /// instead of --data-dir; any number of nodes may share it.
    #[arg(long, env = "HUNTREG_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Compatibility level when no subject, hunt or global config sets one.
    #[arg(long, env = "HUNTREG_DEFAULT_COMPATIBILITY", default_value = "BACKWARD", value_parser = parse_level)]
    default_compatibility: Level,
    /// Do not serve the web console at `/ui/` (the API is unchanged).
    #[arg(long, env = "HUNTREG_NO_UI")]
    no_ui: bool,
    /// Memory for the registry's caches, in MiB (at least 16), split 48:32:16:64:64 between
    /// compiled schemas, schema records, rendered `GET /schemas/ids/{id}` responses, kept
    /// compatibility histories and the store's page cache. The caches stay within it
    /// whatever the histories' length; a request needs memory of its own while it compiles
    /// a schema, and the allocator keeps some of that. A smaller budget costs repeated
    /// work (decoding, compiling) on large schemas.
    #[arg(long, env = "HUNTREG_CACHE_MIB", default_value_t = (DEFAULT_CACHE_BYTES >> 20) as u32,
          value_parser = clap::value_parser!(u32).range(16..=1_048_576))]
    cache_mib: u32,
    /// Authentication, limits and TLS.
    #[command(flatten)]
    security: huntreg_registry::SecurityArgs,
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse::<Level>().map_err(|e| e.to_string())
}

/// Runs `huntreg serve`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let tls = args.security.tls.tls_cert.is_some();
    let security = args.security.load()?;
    runtime.block_on(async move {
        let config = Config {
            listen: args.listen,
            data_dir: args.data_dir,
            database_url: args.database_url,
            default_compatibility: args.default_compatibility,
            security,
            ui: !args.no_ui,
            cache_bytes: (args.cache_mib as usize) << 20,
        };
        let app = Application::build(config).await?;
        let addr = app.local_addr()?;
        tracing::info!(%addr, "registry started");
        let mut stdout = std::io::stdout().lock();
        let scheme = if tls { "https" } else { "http" };
        writeln!(stdout, "huntreg listening on {scheme}://{addr}")?;
        if !args.no_ui {
            writeln!(stdout, "console: {scheme}://{addr}/ui/")?;
        }
        stdout.flush()?;
        drop(stdout);
        app.run_until_stopped().await?;
        Ok(ExitCode::SUCCESS)
    })
}
