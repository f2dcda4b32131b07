//! The long-history lockfile benchmark (`scripts/bench-lockfile`): N seed-like versions
//! of one subject (each adds a field) in a fresh `huntreg serve`, then, each against its
//! target, the first `huntreg pull --no-build-check`, the build (what a consumer's build
//! script runs: `Builder::compile` from the lockfile), a second pull after 10 new
//! versions, a third with nothing new, `pull --check`, and the lockfile's size. Up to
//! 1,000 versions it also runs the same first pull through Confluent's endpoints
//! (`--confluent-api`, what pull did before the lockfile endpoint) as the baseline, and
//! renders format 1 (every text in full) for the size ratio.
//!
//! The first pull is timed twice: against the imported store, which keeps no lockfile
//! rows, so the registry computes them from the stored texts (and keeps them; the
//! baseline), and again into a new lockfile, reading the kept rows as a registry whose
//! versions were registered does (judged against the target). Both lockfiles must be
//! byte for byte the same.
//!
//! Set-up: the versions are written with `huntreg import` from a backup this program
//! generates (registering 10,000 growing versions over HTTP takes longer than the whole
//! benchmark): the texts are the canonical texts the registry would store, checked
//! against `huntreg_schema::prepare` for a sample of versions, the descriptors are the
//! newest one's cut to each version's fields (also checked). A store filled by import
//! has no kept compatibility history (the registry keeps one as versions register), so
//! one unmeasured lockfile request builds it before the timings; its time is printed.
//! The new versions are registered over HTTP.
//!
//! Settings (environment): `BENCH_HUNTREG` (the `huntreg` binary, default the release
//! build next to this example), `BENCH_VERSIONS` (N, default 1000), `BENCH_NEW` (10).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context as _};
use base64::Engine as _;
use huntreg_codegen::{Builder, Lockfile};
use prost::Message as _;

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

/// The schema's canonical text and stored descriptor for every version `1..=n`, as the
/// registry would store them, written as a `huntreg import` backup to `out`.
fn write_backup(n: usize, out: &mut impl Write) -> anyhow::Result<()> {
    let deps = huntreg_schema::DepFiles::default();
    let main = format!("{SUBJECT}.proto");
    let prepare = |fields: usize| {
        huntreg_schema::prepare(
            &huntreg_schema::Input::Text(schema(fields)),
            &main,
            &deps,
            &[],
            false,
        )
        .map_err(|e| anyhow::anyhow!("preparing version {fields}: {e}"))
    };
    let newest = prepare(n)?;
    let full = prost_types::FileDescriptorProto::decode(newest.descriptor.as_slice())?;
    let lines: Vec<&str> = newest.canonical.split_inclusive('\n').collect();
    let first_field = lines
        .iter()
        .position(|l| l.contains("treasure_id = 1;"))
        .context("no first field in the canonical text")?;
    let after_fields = first_field + 4 + n;
    let version = |fields: usize| -> (String, Vec<u8>) {
        let mut text: String = lines[..first_field + 4 + fields].concat();
        text.push_str(&lines[after_fields..].concat());
        let mut file = full.clone();
        file.message_type[0].field.truncate(4 + fields);
        (text, file.encode_to_vec())
    };
    for fields in [1, 2, n / 2, n.saturating_sub(1).max(1), n] {
        let (text, descriptor) = version(fields);
        let prepared = prepare(fields)?;
        if prepared.canonical != text || prepared.descriptor != descriptor {
            bail!("the generated version {fields} differs from what the registry stores");
        }
    }
    let context = format!(".{HUNT}");
    writeln!(
        out,
        r#"{{"format":"huntreg-backup","version":1,"created_by":"lockfile_bench"}}"#
    )?;
    writeln!(out, r#"{{"kind":"next_id","next_id":{}}}"#, n + 1)?;
    writeln!(
        out,
        "{}",
        serde_json::json!({"kind": "context", "context": context})
    )?;
    let mut records = 2;
    for fields in 1..=n {
        let (text, descriptor) = version(fields);
        let hash = huntreg_schema::content_hash(&text, &[]);
        let hash: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        let record = serde_json::json!({
            "kind": "schema", "context": context, "id": fields,
            "record": {
                "v": 1, "schema": text,
                "descriptor": base64::engine::general_purpose::STANDARD.encode(&descriptor),
                "references": [], "hash": hash,
            },
        });
        serde_json::to_writer(&mut *out, &record)?;
        writeln!(out)?;
        let version = serde_json::json!({
            "kind": "version", "context": context, "subject": SUBJECT, "version": fields,
            "record": { "v": 1, "id": fields, "deleted": false },
        });
        serde_json::to_writer(&mut *out, &version)?;
        writeln!(out)?;
        records += 2;
    }
    writeln!(out, r#"{{"kind":"end","records":{records}}}"#)?;
    Ok(())
}

/// `huntreg import`s N generated versions into `data`.
fn import(bin: &Path, data: &Path, n: usize) -> anyhow::Result<()> {
    let mut child = Command::new(bin)
        .args(["import", "--data-dir"])
        .arg(data)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let mut stdin = std::io::BufWriter::new(child.stdin.take().context("piped stdin")?);
    write_backup(n, &mut stdin)?;
    drop(stdin);
    if !child.wait()?.success() {
        bail!("huntreg import failed");
    }
    Ok(())
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
        // The set-up's one request that builds the kept history of an imported store
        // takes longer than the default 30 s request limit at 10,000 versions.
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--request-timeout-secs",
            "3600",
            "--data-dir",
        ])
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
fn pull(bin: &Path, url: &str, lockfile: &Path, extra: &[&str]) -> anyhow::Result<(f64, String)> {
    let start = Instant::now();
    let mut command = Command::new(bin);
    command
        .args(["pull", "--registry", url, "--hunt", HUNT, "--lockfile"])
        .arg(lockfile);
    command.args(extra);
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

/// `measured` against `target` seconds (or bytes): the ratio and the verdict.
fn against(measured: f64, target: f64) -> String {
    let verdict = if measured < target { "met" } else { "NOT met" };
    format!("ratio to target {:.3}, {verdict}", measured / target)
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
    let data = dir.path().join("data");
    let lockfile = dir.path().join("huntreg.lock");
    const NO_CHECK: &[&str] = &["--no-build-check"];

    let start = Instant::now();
    import(&bin, &data, versions)?;
    eprintln!(
        "lockfile_bench: {versions} versions imported in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let server = serve(&bin, &data)?;
    let start = Instant::now();
    ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(1800))
        .build()
        .get(&format!(
            "{}/contexts/.{HUNT}/huntreg/v1/subjects/{SUBJECT}/lock?after={versions}",
            server.1
        ))
        .call()
        .context("building the kept history")?;
    println!(
        "set-up: {versions} versions imported; the kept history (which registrations keep as they go) built once in {:.2} s",
        start.elapsed().as_secs_f64()
    );

    // An imported store keeps no lockfile rows either (registrations keep each
    // version's row as they go): the first pull computes them from the stored texts and
    // the registry keeps them. That pull is the baseline; the first pull of a consumer
    // after it (a new lockfile) reads the kept rows, as it would from a registry whose
    // versions were registered.
    let computed_lock = dir.path().join("computed.lock");
    let (computed, report) = pull(&bin, &server.1, &computed_lock, NO_CHECK)?;
    println!(
        "  baseline, first pull from a store that kept no rows (they are computed from the texts): {computed:.2} s ({report})"
    );
    // The rows are written back after that answer: give the write a moment.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let (first, report) = pull(&bin, &server.1, &lockfile, NO_CHECK)?;
    println!(
        "first pull, {versions} versions: {first:.2} s, target < 5 s: {} ({report}); kept rows / computed rows: {:.3}",
        against(first, 5.0),
        first / computed
    );
    if std::fs::read(&lockfile)? != std::fs::read(&computed_lock)? {
        bail!("the lockfile from kept rows differs from the one from computed rows");
    }
    if versions <= 1000 {
        let baseline = dir.path().join("confluent.lock");
        let (secs, report) = pull(
            &bin,
            &server.1,
            &baseline,
            &["--no-build-check", "--confluent-api"],
        )?;
        println!(
            "  baseline, the same first pull through Confluent's endpoints: {secs:.2} s ({report}); lockfile endpoint / Confluent endpoints: {:.3}",
            first / secs
        );
    }
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&out_dir)?;
    let build = || -> anyhow::Result<(f64, u64)> {
        let start = Instant::now();
        Builder::new()
            .lockfile(&lockfile)
            .hunt(HUNT)
            .out_dir(&out_dir)
            .emit_rerun_if_changed(false)
            .compile()?;
        let secs = start.elapsed().as_secs_f64();
        let generated = std::fs::metadata(out_dir.join("bench_lockfile.rs"))?.len();
        Ok((secs, generated))
    };
    let (secs, generated) = build()?;
    println!(
        "build script (Builder::compile from the lockfile), {versions} versions: {secs:.2} s, target < 10 s: {} (generated code {})",
        against(secs, 10.0),
        mb(generated)
    );

    register(&server.1, versions + 1, versions + new)?;
    let (second, report) = pull(&bin, &server.1, &lockfile, NO_CHECK)?;
    println!(
        "second pull after {new} new versions: {second:.2} s, target < 1 s: {} ({report})",
        against(second, 1.0)
    );
    let (third, report) = pull(&bin, &server.1, &lockfile, NO_CHECK)?;
    println!("third pull, nothing new: {third:.2} s ({report})");
    let (check, report) = pull(&bin, &server.1, &lockfile, &["--check"])?;
    println!("pull --check: {check:.2} s ({report})");
    let (secs, generated) = build()?;
    println!(
        "build script after {new} new versions: {secs:.2} s, target < 10 s: {} (generated code {})",
        against(secs, 10.0),
        mb(generated)
    );
    let total = versions + new;

    let size = std::fs::metadata(&lockfile)?.len();
    println!(
        "lockfile, {total} versions: {}, target < 10 MB: {}",
        mb(size),
        against(size as f64, 10e6)
    );
    if versions <= 1000 {
        let mut lock = Lockfile::read(&lockfile)?;
        // Format 1 is the same versions with every text in full: the struct's own serde
        // shape, without the histories format 1 did not have.
        lock.format = 1;
        for hunt in &mut lock.hunts {
            for subject in &mut hunt.subjects {
                subject.history = None;
            }
        }
        let mut format_1 = Counter("# @generated by huntreg pull; do not edit.\n".len() as u64);
        serde_yaml::to_writer(&mut format_1, &lock)?;
        println!(
            "  format 1 (every text in full) would be {} (format 3 / format 1: {:.4})",
            mb(format_1.0),
            size as f64 / format_1.0 as f64
        );
    }
    Ok(())
}
