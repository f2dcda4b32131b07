//! The long-history lockfile benchmark (`scripts/bench-lockfile`): registers N seed-like
//! versions of one subject (each adds a field) into a fresh `huntreg serve`, times the
//! first `huntreg pull --no-build-check`, a second one after 10 new versions and a third
//! with nothing new, then (with `BENCH_BUILD_CHECK=1`) a pull after 10 more versions with
//! the build check pull runs by default, and prints the lockfile's size against format
//! 1's for the same versions (rendered in the same run) and the time to read it back
//! (what a build pays before compiling).
//!
//! Settings (environment): `BENCH_HUNTREG` (the `huntreg` binary, default the release
//! build next to this example), `BENCH_VERSIONS` (N, default 1000), `BENCH_NEW` (10),
//! `BENCH_BUILD_CHECK` (1 for N up to 1000, else 0).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context as _};
use huntreg_codegen::Lockfile;

const HUNT: &str = "bench-lockfile";
const SUBJECT: &str = "treasure-value";

/// The seed-like event with `fields` extra fields after its first four.
fn schema(fields: usize) -> String {
    let mut s = "syntax = \"proto3\";\npackage hunt.v1;\n\n\
                 message TreasureFound {\n  string treasure_id = 1;\n  string hunt = 2;\n  \
                 int64 points = 3;\n  repeated string tags = 4;\n"
        .to_owned();
    for i in 1..=fields {
        s.push_str(&format!("  string clue_{i:05} = {};\n", i + 4));
    }
    s.push_str("}\n");
    s
}

/// `huntreg serve` on a loopback port, killed on drop.
struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(bin: &Path, data: &Path) -> anyhow::Result<Server> {
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let mut lines = BufReader::new(child.stdout.take().context("piped stdout")?).lines();
    for line in lines.by_ref() {
        if let Some(url) = line?.strip_prefix("huntreg listening on ") {
            let url = url.trim().to_owned();
            // Keep reading: a closed pipe would end the server at its next line.
            std::thread::spawn(move || lines.for_each(drop));
            return Ok(Server(child, url));
        }
    }
    bail!("huntreg serve exited before listening")
}

/// Registers versions `from..=to` (a bare `POST .../versions`: `Registry::register` also
/// looks each one up, and at thousands of versions that lookup is what takes the time).
fn register(url: &str, from: usize, to: usize) -> anyhow::Result<()> {
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(120))
        .build();
    let url = format!("{url}/contexts/.{HUNT}/subjects/{SUBJECT}/versions");
    for n in from..=to {
        agent
            .post(&url)
            .set("Content-Type", "application/vnd.schemaregistry.v1+json")
            .send_json(serde_json::json!({ "schemaType": "PROTOBUF", "schema": schema(n) }))
            .with_context(|| format!("registering version {n}"))?;
        if n % 1000 == 0 {
            eprint!("\rlockfile_bench: registered {n}");
            std::io::stderr().flush()?;
        }
    }
    eprintln!();
    Ok(())
}

/// Runs `huntreg pull` and returns its seconds and its report line.
fn pull(
    bin: &Path,
    url: &str,
    lockfile: &Path,
    build_check: bool,
) -> anyhow::Result<(f64, String)> {
    let start = Instant::now();
    let mut command = Command::new(bin);
    command
        .args(["pull", "--registry", url, "--hunt", HUNT, "--lockfile"])
        .arg(lockfile);
    if !build_check {
        command.arg("--no-build-check");
    }
    let out = command.output()?;
    let secs = start.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "huntreg pull failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let report = stdout.lines().next().unwrap_or_default().to_owned();
    Ok((secs, report))
}

/// Counts bytes written.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

fn main() -> anyhow::Result<()> {
    let versions: usize = std::env::var("BENCH_VERSIONS").map_or(Ok(1000), |v| v.parse())?;
    let new: usize = std::env::var("BENCH_NEW").map_or(Ok(10), |v| v.parse())?;
    let bin = match std::env::var_os("BENCH_HUNTREG") {
        Some(bin) => PathBuf::from(bin),
        None => std::env::current_exe()?
            .parent()
            .and_then(Path::parent)
            .context("no target directory")?
            .join("huntreg"),
    };
    let dir = tempfile::tempdir()?;
    let server = serve(&bin, &dir.path().join("data"))?;
    let lockfile = dir.path().join("huntreg.lock");

    let start = Instant::now();
    register(&server.1, 1, versions)?;
    eprintln!(
        "lockfile_bench: {versions} versions registered in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let (first, report) = pull(&bin, &server.1, &lockfile, false)?;
    println!("first pull, {versions} versions: {first:.2} s ({report})");
    register(&server.1, versions + 1, versions + new)?;
    let (second, report) = pull(&bin, &server.1, &lockfile, false)?;
    println!("second pull after {new} new versions: {second:.2} s ({report})");
    let (third, report) = pull(&bin, &server.1, &lockfile, false)?;
    println!("third pull, nothing new: {third:.2} s ({report})");
    let mut total = versions + new;
    let build_check = std::env::var("BENCH_BUILD_CHECK").map_or(versions <= 1000, |v| v == "1");
    if build_check {
        register(&server.1, total + 1, total + new)?;
        total += new;
        let (secs, report) = pull(&bin, &server.1, &lockfile, true)?;
        println!("pull after {new} new versions, with the build check: {secs:.2} s ({report})");
    }

    let size = std::fs::metadata(&lockfile)?.len();
    let start = Instant::now();
    let mut lock = Lockfile::read(&lockfile)?;
    let read = start.elapsed().as_secs_f64();
    // Format 1 is the same versions with every text in full: the struct's own serde shape.
    lock.format = 1;
    let mut format_1 = Counter("# @generated by huntreg pull; do not edit.\n".len() as u64);
    serde_yaml::to_writer(&mut format_1, &lock)?;
    println!(
        "lockfile, {} versions: format 2 {} vs format 1 {} (ratio {:.4}, 1/{:.0}); read and checked in {read:.2} s",
        total,
        mb(size),
        mb(format_1.0),
        size as f64 / format_1.0 as f64,
        format_1.0 as f64 / size as f64
    );
    Ok(())
}
