//! The registration half of `scripts/bench-load`: per-request latency of durable
//! registrations checked FULL_TRANSITIVE against (at least) 100 prior versions.
//!
//! Sets the subject to FULL_TRANSITIVE, registers `--prior` versions of a hunt event
//! message (each adds a field, so each is compatible with all before it), then times
//! `--samples` more registrations one after another on one keep-alive connection, and
//! prints p50/p90/p99/max. After each timed registration the oldest live version is
//! soft-deleted (untimed), so every timed one is checked against exactly `--prior` live
//! versions. Every timed request must answer 200 with a new id.
//!
//! Usage: `register_latency --url http://127.0.0.1:PORT [--subject S] [--prior 100]
//! [--samples 200] [--level FULL_TRANSITIVE] [--target-ms 10]` (`--level NONE` shows the
//! cost of a durable registration without the check; `--target-ms` is the p99 the run is
//! judged against: 10 ms on sled in `scripts/bench-load`, 15 ms on PostgreSQL in
//! `scripts/bench-nodes`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

/// What `--help` prints.
const USAGE: &str = "register_latency --url http://127.0.0.1:PORT [--subject S] [--prior 100] [--samples 200] [--level FULL_TRANSITIVE] [--target-ms 10]\n\nLatency of durable registrations checked at --level against --prior live versions: p50, p90, p99 and max.";

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// A treasure-hunt event with `extra` added fields; version `n` has `n - 1` extras.
fn schema(extra: usize) -> String {
    let mut s = String::from(
        "syntax = \"proto3\";\npackage hunt.bench.v1;\n\nimport \"google/protobuf/timestamp.proto\";\n\n\
         message TreasureTypeUpdated {\n  string treasure_type = 1;\n  Rarity rarity = 2;\n  Spawn spawn = 3;\n  \
         google.protobuf.Timestamp at = 4;\n  int64 points = 5;\n  map<string, int64> drops = 6;\n  repeated string tags = 7;\n",
    );
    for i in 0..extra {
        s.push_str(&format!("  string extra_{i} = {};\n", 100 + i));
    }
    s.push_str(
        "}\n\nmessage Spawn {\n  double lat = 1;\n  double lng = 2;\n  string zone = 3;\n}\n\n\
         enum Rarity {\n  RARITY_UNSPECIFIED = 0;\n  RARITY_COMMON = 1;\n  RARITY_LEGENDARY = 2;\n}\n",
    );
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

fn main() -> anyhow::Result<()> {
    let (mut url, mut subject, mut prior, mut samples) = (
        None,
        ":.bench:treasure-value".to_owned(),
        100usize,
        200usize,
    );
    let mut level = "FULL_TRANSITIVE".to_owned();
    let mut target_ms = 10.0f64;
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
            "--subject" => subject = value,
            "--prior" => prior = value.parse()?,
            "--samples" => samples = value.parse()?,
            "--target-ms" => target_ms = value.parse()?,
            "--level" => level = value,
            other => bail!("unknown argument {other}"),
        }
    }
    let url = url.context("--url is required")?;
    if samples == 0 {
        bail!("--samples must be at least 1");
    }
    let encoded = subject
        .replace('%', "%25")
        .replace(':', "%3A")
        .replace('/', "%2F");
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    send(
        &agent,
        "PUT",
        &format!("{url}/config/{encoded}"),
        &json!({"compatibility": level}),
    )?;

    let versions_url = format!("{url}/subjects/{encoded}/versions");
    let mut ids = HashSet::new();
    let setup = Instant::now();
    for extra in 0..prior {
        let resp = send(
            &agent,
            "POST",
            &versions_url,
            &json!({"schemaType": "PROTOBUF", "schema": schema(extra)}),
        )?;
        ids.insert(
            resp["id"]
                .as_i64()
                .context("register response without an id")?,
        );
    }
    let setup = setup.elapsed();

    let mut latencies = Vec::with_capacity(samples);
    for extra in prior..prior + samples {
        let body = json!({"schemaType": "PROTOBUF", "schema": schema(extra)});
        let start = Instant::now();
        let resp = send(&agent, "POST", &versions_url, &body)?;
        latencies.push(start.elapsed());
        let id = resp["id"]
            .as_i64()
            .context("register response without an id")?;
        if !ids.insert(id) {
            bail!(
                "registration {} returned id {id}, already used by an earlier version",
                extra + 1
            );
        }
        // Keep exactly `prior` live versions: soft-delete the oldest (not timed).
        let oldest = extra + 1 - prior;
        let delete = format!("{versions_url}/{oldest}");
        if let Err(e) = agent.delete(&delete).call() {
            bail!("DELETE {delete}: {e}");
        }
    }
    latencies.sort();
    let p99 = percentile(&latencies, 99.0);
    println!(
        "durable registration, {level} against {prior} prior versions \
         ({samples} samples; the first {prior} versions took {:.0} ms):",
        ms(setup)
    );
    println!(
        "  p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   max {:.2} ms",
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 90.0)),
        ms(p99),
        ms(*latencies.last().expect("samples >= 1"))
    );
    println!(
        "  p99 / target ({target_ms} ms) = {:.2}   {}",
        ms(p99) / target_ms,
        if ms(p99) < target_ms {
            "OK"
        } else {
            "ABOVE TARGET"
        }
    );
    Ok(())
}
