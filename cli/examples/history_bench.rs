//! The registration half of `scripts/bench-history`: what a registration costs against a
//! long history, relative to registering a same-size schema into a fresh subject.
//!
//! For each history size N (`--sizes 10,1000,10000`), registers N seed-like versions of one
//! subject at NONE: each adds one `TreasureType` enum value and nothing else, as in the field
//! report. Then, for each level (`--levels BACKWARD,BACKWARD_TRANSITIVE,FULL_TRANSITIVE`),
//! sets the subject to that level, makes one untimed registration (it builds the kept
//! history, timed separately as "warm-up") and times `--samples` pairs, interleaved:
//!
//! * *history*: the next version of the subject (one more enum value), checked at the level;
//! * *fresh*: a schema of the same size (same text, another package name of the same
//!   length) into a new subject of a context at NONE.
//!
//! Prints p50 and p99 of both and their ratios (target <= 1.5 at every size). Every request
//! must answer 200; a history registration must get a new id.
//!
//! Each pair is followed by two reads, paired the same way and printed below the
//! registrations: `POST /subjects/{s}` (lookup) of the text just registered, in the history
//! subject and in the fresh one; and `POST /compatibility/subjects/{s}/versions` (check) of
//! a schema with two more values, at the level, against the whole history and against the
//! fresh subject's one version (set to the same level for it). A read is sent a fifth of
//! `--pause-ms` after the previous answer (it leaves no work behind it).
//!
//! A p99 of `--samples` (100) is the second slowest sample: with 40, it was the slowest,
//! and at 10 versions (about 1.5 ms a registration) one 5 ms hiccup of the machine, on
//! either side, decided the ratio.
//!
//! Registrations of one hunt arrive about every 30 s in the field, and the registry does
//! some work right after answering one (it extends the subject's kept history and prepares
//! the newest version's image). So each timed request is sent `--pause-ms` (100) after the
//! previous answer, the same for both kinds: what is measured is a registration's latency,
//! not how two back-to-back registrations share the machine's two cores.
//!
//! With `--pid` (the registry's process id, on the same machine), also prints the
//! registry's resident memory after each size's versions registered and after its timed
//! registrations: whether memory follows the history's length or stays within the caches.
//!
//! With `--first-versions N` it does only this instead: registers, back to back, the first
//! version of N new subjects, each a seed-like schema of `--first-values` (10,000) values,
//! and prints the time taken and (with `--pid`) the registry's resident memory every tenth
//! of the way: what a registry holds after many large first versions, each a whole new
//! history at once.
//!
//! Usage: `history_bench --url http://127.0.0.1:PORT [--sizes 10,1000] [--levels ...]
//! [--samples 100] [--pause-ms 100] [--pid PID] [--first-versions N [--first-values V]]`.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

/// What `--help` prints.
const USAGE: &str = "history_bench --url http://127.0.0.1:PORT [--sizes 10,1000] [--levels BACKWARD,BACKWARD_TRANSITIVE,FULL_TRANSITIVE] [--samples 100] [--pause-ms 100] [--pid PID] [--first-versions N [--first-values 10000]]\n\nRegistration against seed-like histories of each size, p50 and p99 against a same-size schema into a fresh subject (target ratio <= 1.5). With --pid, also the resident memory of the registry process.";

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// The seed-like event with `values` treasure types, in package `package`.
fn schema(package: &str, values: usize) -> String {
    let mut s = format!(
        "syntax = \"proto3\";\npackage {package};\n\n\
         message TreasureTypeUpdated {{\n  TreasureType treasure_type = 1;\n  string hunt = 2;\n  \
         int64 points = 3;\n  repeated string tags = 4;\n}}\n\nenum TreasureType {{\n  TREASURE_TYPE_UNSPECIFIED = 0;\n"
    );
    for i in 1..=values {
        s.push_str(&format!("  TREASURE_TYPE_{i:05} = {i};\n"));
    }
    s.push_str("}\n");
    s
}

fn send(agent: &ureq::Agent, method: &str, url: &str, body: &Value) -> anyhow::Result<Value> {
    match agent
        .request(method, url)
        .set("Content-Type", CONTENT_TYPE)
        .send_string(&body.to_string())
    {
        Ok(resp) => Ok(resp.into_json()?),
        Err(ureq::Error::Status(code, resp)) => {
            bail!("{method} {url} -> {code} {}", resp.into_string()?)
        }
        Err(e) => Err(e).with_context(|| format!("{method} {url}")),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn encode(subject: &str) -> String {
    subject
        .replace('%', "%25")
        .replace(':', "%3A")
        .replace('/', "%2F")
}

fn register(agent: &ureq::Agent, url: &str, subject: &str, text: &str) -> anyhow::Result<i64> {
    let resp = send(
        agent,
        "POST",
        &format!("{url}/subjects/{}/versions", encode(subject)),
        &json!({"schemaType": "PROTOBUF", "schema": text}),
    )?;
    resp["id"]
        .as_i64()
        .context("register response without an id")
}

/// The resident memory of process `pid` in MiB, as a label (empty without a pid).
fn resident(pid: Option<u32>) -> String {
    let Some(pid) = pid else {
        return String::new();
    };
    let kib = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        });
    match kib {
        Some(kib) => format!(", registry resident {:.0} MiB", kib / 1024.0),
        None => format!(", registry {pid} not readable"),
    }
}

/// Latencies of one read against the history and against a fresh subject, paired.
#[derive(Default)]
struct Pairs {
    history: Vec<Duration>,
    fresh: Vec<Duration>,
}

impl Pairs {
    /// Prints p50 and p99 of both and their ratios (history / fresh).
    fn print(mut self, size: usize, level: &str, what: &str, baseline: &str) {
        self.history.sort();
        self.fresh.sort();
        let (h50, h99) = (
            percentile(&self.history, 50.0),
            percentile(&self.history, 99.0),
        );
        let (f50, f99) = (percentile(&self.fresh, 50.0), percentile(&self.fresh, 99.0));
        println!(
            "  {size:>6} versions {level:<20}   {what:<6} history p50 {:>8.2} ms p99 {:>8.2} ms | {baseline} p50 {:>8.2} ms p99 {:>8.2} ms | ratio p50 {:.2} p99 {:.2}",
            ms(h50),
            ms(h99),
            ms(f50),
            ms(f99),
            ms(h50) / ms(f50),
            ms(h99) / ms(f99),
        );
    }
}

/// Times `POST /subjects/{subject}` of `text`, which must answer `id`.
fn lookup(
    agent: &ureq::Agent,
    url: &str,
    subject: &str,
    text: &str,
    id: i64,
) -> anyhow::Result<Duration> {
    let (took, found) = lookup_id(agent, url, subject, text)?;
    if found != id {
        bail!("looking up the version of id {id} in {subject} answered id {found}");
    }
    Ok(took)
}

/// Times `POST /subjects/{subject}` of `text`; answers the time and the id found.
fn lookup_id(
    agent: &ureq::Agent,
    url: &str,
    subject: &str,
    text: &str,
) -> anyhow::Result<(Duration, i64)> {
    let (took, resp) = post_schema(agent, &format!("{url}/subjects/{}", encode(subject)), text)?;
    Ok((took, resp["id"].as_i64().context("lookup without an id")?))
}

/// Times a `POST` of `text` as a protobuf schema to `url`; answers the time and the body.
fn post_schema(agent: &ureq::Agent, url: &str, text: &str) -> anyhow::Result<(Duration, Value)> {
    let start = Instant::now();
    let resp = send(
        agent,
        "POST",
        url,
        &json!({"schemaType": "PROTOBUF", "schema": text}),
    )?;
    Ok((start.elapsed(), resp))
}

/// Times `POST /compatibility/subjects/{subject}/versions` of `text`, which must be
/// compatible (it adds enum values).
fn compatible(
    agent: &ureq::Agent,
    url: &str,
    subject: &str,
    text: &str,
) -> anyhow::Result<Duration> {
    let path = format!("{url}/compatibility/subjects/{}/versions", encode(subject));
    let (took, resp) = post_schema(agent, &path, text)?;
    if resp["is_compatible"] != json!(true) {
        bail!("checking a schema that adds values to {subject} answered {resp}");
    }
    Ok(took)
}

/// Registers the first version of `count` new subjects (schemas of `values` values) back
/// to back, printing progress every tenth.
fn first_versions_of(
    agent: &ureq::Agent,
    url: &str,
    count: usize,
    values: usize,
    pid: Option<u32>,
) -> anyhow::Result<()> {
    send(
        agent,
        "PUT",
        &format!("{url}/config/{}", encode(":.bench-first:")),
        &json!({"compatibility": "NONE"}),
    )?;
    println!("first versions of {count} subjects, {values} values each, back to back:");
    let start = Instant::now();
    for n in 1..=count {
        let package = format!("hunt.g{n:07}");
        let text = schema(&package[..13.min(package.len())], values);
        register(agent, url, &format!(":.bench-first:first-{n}-value"), &text)?;
        if n % count.div_ceil(10) == 0 || n == count {
            println!(
                "  {n:>6} subjects in {:>6.1} s{}",
                start.elapsed().as_secs_f64(),
                resident(pid)
            );
        }
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let mut url = None;
    let mut sizes = vec![10usize, 1000];
    let mut levels: Vec<String> = ["BACKWARD", "BACKWARD_TRANSITIVE", "FULL_TRANSITIVE"]
        .map(String::from)
        .to_vec();
    let mut samples = 100usize;
    let mut pause = Duration::from_millis(100);
    let mut pid = None;
    let (mut first_versions, mut first_values) = (0usize, 10_000usize);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            println!("usage: {USAGE}");
            return Ok(());
        }
        let value = args
            .next()
            .with_context(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--url" => url = Some(value.trim_end_matches('/').to_owned()),
            "--sizes" => {
                sizes = value
                    .split(',')
                    .map(|s| s.trim().parse())
                    .collect::<Result<_, _>>()?
            }
            "--levels" => levels = value.split(',').map(|s| s.trim().to_owned()).collect(),
            "--samples" => samples = value.parse()?,
            "--pause-ms" => pause = Duration::from_millis(value.parse()?),
            "--pid" => pid = Some(value.parse()?),
            "--first-versions" => first_versions = value.parse()?,
            "--first-values" => first_values = value.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    let url = url.context("--url is required")?;
    if samples == 0 {
        bail!("--samples must be at least 1");
    }
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(600))
        .build();
    if first_versions > 0 {
        return first_versions_of(&agent, &url, first_versions, first_values, pid);
    }
    // A read leaves no work behind it: a shorter pause before it.
    let read_pause = pause / 5;
    // Fresh subjects live in a context at NONE.
    send(
        &agent,
        "PUT",
        &format!("{url}/config/{}", encode(":.bench-fresh:")),
        &json!({"compatibility": "NONE"}),
    )?;
    let mut fresh_n = 0usize;
    println!("registration against a seed-like history vs a same-size schema into a fresh subject (interleaved):");
    let mut worst: f64 = 0.0;
    for &size in &sizes {
        let subject = format!(":.bench-history-{size}:treasure-value");
        let config = format!("{url}/config/{}", encode(&subject));
        send(&agent, "PUT", &config, &json!({"compatibility": "NONE"}))?;
        let setup = Instant::now();
        let mut values = 0;
        for _ in 0..size {
            values += 1;
            register(&agent, &url, &subject, &schema("hunt.bench.v1", values))?;
        }
        println!(
            "  {size} versions registered in {:.1} s{}",
            setup.elapsed().as_secs_f64(),
            resident(pid),
        );
        for level in &levels {
            send(&agent, "PUT", &config, &json!({"compatibility": level}))?;
            values += 1;
            let warm = Instant::now();
            register(&agent, &url, &subject, &schema("hunt.bench.v1", values))?;
            let warm = warm.elapsed();
            let (mut history, mut fresh) = (Vec::new(), Vec::new());
            let (mut lookups, mut checks) = (Pairs::default(), Pairs::default());
            let mut last_id = 0;
            for _ in 0..samples {
                values += 1;
                let text = schema("hunt.bench.v1", values);
                std::thread::sleep(pause);
                let start = Instant::now();
                let id = register(&agent, &url, &subject, &text)?;
                history.push(start.elapsed());
                if id == last_id {
                    bail!("registration into {subject} returned the previous id {id}");
                }
                last_id = id;
                let history_text = text;
                fresh_n += 1;
                // Same length as "hunt.bench.v1": a distinct schema of the same size.
                let package = format!("hunt.f{fresh_n:07}");
                let package = &package[..13.min(package.len())];
                let text = schema(package, values);
                let fresh_subject = format!(":.bench-fresh:fresh-{fresh_n}-value");
                std::thread::sleep(pause);
                let start = Instant::now();
                register(&agent, &url, &fresh_subject, &text)?;
                fresh.push(start.elapsed());

                // Reads: looking up the version just registered, and checking a schema
                // with two more values (not registered next) at the level, against the
                // whole history and against the fresh subject's one version.
                std::thread::sleep(read_pause);
                lookups
                    .history
                    .push(lookup(&agent, &url, &subject, &history_text, id)?);
                std::thread::sleep(read_pause);
                let fresh_id = lookup_id(&agent, &url, &fresh_subject, &text)?;
                lookups.fresh.push(fresh_id.0);
                let fresh_config = format!("{url}/config/{}", encode(&fresh_subject));
                send(
                    &agent,
                    "PUT",
                    &fresh_config,
                    &json!({"compatibility": level}),
                )?;
                std::thread::sleep(read_pause);
                let next = schema("hunt.bench.v1", values + 2);
                checks
                    .history
                    .push(compatible(&agent, &url, &subject, &next)?);
                std::thread::sleep(read_pause);
                let next = schema(package, values + 2);
                checks
                    .fresh
                    .push(compatible(&agent, &url, &fresh_subject, &next)?);
            }
            history.sort();
            fresh.sort();
            let (h50, h99) = (percentile(&history, 50.0), percentile(&history, 99.0));
            let (f50, f99) = (percentile(&fresh, 50.0), percentile(&fresh, 99.0));
            let (r50, r99) = (ms(h50) / ms(f50), ms(h99) / ms(f99));
            worst = worst.max(r50).max(r99);
            println!(
                "  {size:>6} versions {level:<20} history p50 {:>8.2} ms p99 {:>8.2} ms | fresh p50 {:>8.2} ms p99 {:>8.2} ms | ratio p50 {r50:.2} p99 {r99:.2} {} (warm-up {:.0} ms)",
                ms(h50),
                ms(h99),
                ms(f50),
                ms(f99),
                if r50 <= 1.5 && r99 <= 1.5 { "OK" } else { "ABOVE TARGET" },
                ms(warm),
            );
            lookups.print(size, level, "lookup", "fresh");
            checks.print(size, level, "check", "one version");
        }
        if pid.is_some() {
            println!(
                "  after the timed registrations at {size} versions{}",
                resident(pid)
            );
        }
    }
    println!("  worst ratio {worst:.2} (target <= 1.5)");
    Ok(())
}
