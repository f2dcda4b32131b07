//! A throwaway PostgreSQL for tests: `initdb` and `pg_ctl` from the machine's PostgreSQL
//! (15, from Debian's postgresql-15; `scripts/setup-tools` installs it) in a temporary
//! directory, on a free loopback port, run as a non-root user because PostgreSQL refuses
//! root. It never touches a system database. When it cannot start, the test fails and says
//! why: it is never skipped.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A running throwaway cluster; stopped (immediately) and deleted on drop.
pub struct TempPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// The loopback port it listens on.
    pub port: u16,
    user: Option<String>,
    databases: AtomicUsize,
}

/// The directory holding `initdb` and `pg_ctl`: `HUNTREG_PG_BIN`, or the newest
/// `/usr/lib/postgresql/<major>/bin`.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("HUNTREG_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): \
             run scripts/setup-tools, or set HUNTREG_PG_BIN"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

impl TempPostgres {
    /// Initializes and starts a cluster (about a second).
    pub fn start() -> TempPostgres {
        let bin = bin_dir();
        let user = is_root()
            .then(|| std::env::var("HUNTREG_PG_USER").unwrap_or_else(|_| "postgres".to_owned()));
        let dir = tempfile::Builder::new()
            .prefix("huntreg-pg-")
            .tempdir()
            .expect("temp dir");
        if let Some(user) = &user {
            let status = Command::new("chown")
                .arg(user)
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(
                status.success(),
                "cannot give {} to user {user} (PostgreSQL refuses to run as root; \
                 set HUNTREG_PG_USER to an unprivileged user)",
                dir.path().display()
            );
        }
        let pg = TempPostgres {
            dir,
            bin,
            port: free_port(),
            user,
            databases: AtomicUsize::new(0),
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "huntreg",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ],
        );
        pg.start_server();
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Runs a PostgreSQL program as the cluster's user; panics with its output on failure.
    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut cmd = match &self.user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(user).arg("--").arg(&path);
                c
            }
            None => Command::new(&path),
        };
        cmd.args(args).current_dir(self.dir.path());
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
        assert!(
            out.status.success(),
            "{program} failed: {}\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
    }

    fn start_server(&self) {
        let socket_dir = self.dir.path().display().to_string();
        let options = format!(
            "-k {socket_dir} -p {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            self.port
        );
        let log = self.dir.path().join("log").display().to_string();
        let data = self.data();
        self.run(
            "pg_ctl",
            &[
                "-D", &data, "-o", &options, "-l", &log, "-w", "-t", "30", "start",
            ],
        );
    }

    /// Stops the server immediately (no shutdown checkpoint: what a crash leaves) and
    /// starts it again.
    pub fn restart_immediate(&self) {
        self.stop_immediate();
        self.start_server();
    }

    /// Stops the server immediately.
    pub fn stop_immediate(&self) {
        let data = self.data();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }

    /// Starts the server again after [`TempPostgres::stop_immediate`].
    pub fn start_again(&self) {
        self.start_server();
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://huntreg@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates a fresh empty database and returns its URL.
    pub fn fresh_database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::SeqCst);
        let name = format!("t{n}");
        let psql = self.bin.join("psql");
        let out = Command::new(&psql)
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "huntreg",
            ])
            .args(["-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qc"])
            .arg(format!("CREATE DATABASE {name}"))
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", psql.display()));
        assert!(
            out.status.success(),
            "CREATE DATABASE failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url(&name)
    }

    /// Runs SQL on database `url` with psql and returns its unaligned output.
    pub fn psql(&self, url: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql])
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The temporary directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// One cluster for the whole test process, started on first use (a test binary whose
    /// every test needs a database of its own: each takes [`TempPostgres::fresh_database`]).
    /// A static is never dropped, so a watchdog process stops the cluster and deletes its
    /// directory once this process has exited, however it exits.
    pub fn shared() -> &'static TempPostgres {
        static SHARED: std::sync::OnceLock<TempPostgres> = std::sync::OnceLock::new();
        SHARED.get_or_init(|| {
            let pg = TempPostgres::start();
            let stop = match &pg.user {
                Some(user) => format!("runuser -u {user} -- "),
                None => String::new(),
            };
            let script = format!(
                "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
                 {stop}'{pg_ctl}' -D '{data}' -m immediate -w stop >/dev/null 2>&1; \
                 rm -rf '{dir}'",
                pid = std::process::id(),
                pg_ctl = pg.bin.join("pg_ctl").display(),
                data = pg.data(),
                dir = pg.dir().display(),
            );
            // The watchdog runs in the background of a shell that exits at once.
            let started = Command::new("sh")
                .args(["-c", &format!("({script}) >/dev/null 2>&1 </dev/null &")])
                .status()
                .expect("cannot start the cluster's watchdog (sh)");
            assert!(started.success(), "the cluster's watchdog did not start");
            pg
        })
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let data = self.data();
        let path = self.bin.join("pg_ctl");
        let mut cmd = match &self.user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(user).arg("--").arg(&path);
                c
            }
            None => Command::new(&path),
        };
        let _ = cmd
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .current_dir(self.dir.path())
            .output();
    }
}
