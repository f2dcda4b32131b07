//! Decode benchmark on one framed `treasure.v1.TreasureTypeUpdated` record of hunt-42,
//! four ways: bare prost on the payload (the floor), huntreg's generated `decode`
//! (framing + dispatch + prost), prost-reflect `DynamicMessage` with a cached descriptor,
//! and compiling the schema with protox for every record (the field report's
//! anti-pattern). Criterion measures each; a final interleaved timing loop in this same
//! process prints the ratios the project is judged by:
//! generated/bare <= 1.05 and dynamic/generated >= 3.
//!
//! Run: `cargo bench -p huntreg-hunts --bench decode`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use huntreg_hunts::hunt_42::{self, treasure::v1::TreasureTypeUpdated};
use huntreg_runtime::Frame;
use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor};

const LOCKFILE: &str = include_str!("../schemas/huntreg.lock");
const MESSAGE: &str = "treasure.v1.TreasureTypeUpdated";
const SUBJECT: &str = "treasure/v1/treasure_type_updated.proto";

fn record() -> Vec<u8> {
    let update = TreasureTypeUpdated {
        treasure_type: "golden-doubloon".into(),
        rarity: 3,
        points: 1500,
        updated_at: Some(prost_types::Timestamp {
            seconds: 1_764_288_000,
            nanos: 250_000_000,
        }),
        display_name: "Golden Doubloon of the Sunken Fleet".into(),
        tags: vec!["gold".into(), "pirate".into(), "limited".into()],
    };
    update.into_record()
}

trait IntoRecord {
    fn into_record(self) -> Vec<u8>;
}

impl<M: huntreg_runtime::Registered> IntoRecord for M {
    fn into_record(self) -> Vec<u8> {
        huntreg_runtime::encode(&self)
    }
}

/// The newest schema text of every hunt-42 subject, by file name, from the lockfile.
fn sources() -> BTreeMap<String, String> {
    let lock = huntreg_codegen::Lockfile::parse(LOCKFILE).expect("lockfile parses");
    let hunt = lock.hunt("hunt-42").expect("hunt-42 is pinned");
    hunt.subjects
        .iter()
        .filter(|s| s.subject.ends_with(".proto"))
        .filter_map(|s| {
            let newest = s.versions.iter().max_by_key(|v| v.version)?;
            Some((s.subject.clone(), newest.schema.clone()))
        })
        .collect()
}

/// Compiles the schema from text, as a consumer that compiles per message would.
fn compile(sources: &BTreeMap<String, String>) -> MessageDescriptor {
    huntreg_schema::compile_texts(std::sync::Arc::new(sources.clone()), &[SUBJECT])
        .expect("schema compiles")
        .pool
        .get_message_by_name(MESSAGE)
        .expect("message exists")
}

fn bare(record: &[u8]) -> TreasureTypeUpdated {
    // The payload starts after the 6-byte header (magic, ID, index `[0]`).
    TreasureTypeUpdated::decode(&record[6..]).expect("valid payload")
}

fn generated(record: &[u8]) -> hunt_42::Event {
    hunt_42::decode(record).expect("valid record").event
}

fn dynamic(record: &[u8], descriptor: &MessageDescriptor) -> DynamicMessage {
    let frame = Frame::parse(record).expect("valid frame");
    DynamicMessage::decode(descriptor.clone(), frame.payload).expect("valid payload")
}

fn compile_then_dynamic(record: &[u8], sources: &BTreeMap<String, String>) -> DynamicMessage {
    let descriptor = compile(sources);
    dynamic(record, &descriptor)
}

fn criterion_benches(
    c: &mut Criterion,
    record: &[u8],
    sources: &BTreeMap<String, String>,
    descriptor: &MessageDescriptor,
) {
    let mut group = c.benchmark_group("decode");
    group.bench_function("bare_prost", |b| b.iter(|| bare(black_box(record))));
    group.bench_function("huntreg_generated", |b| {
        b.iter(|| generated(black_box(record)))
    });
    group.bench_function("prost_reflect_cached", |b| {
        b.iter(|| dynamic(black_box(record), descriptor))
    });
    group.bench_function("protox_compile_each", |b| {
        b.iter(|| compile_then_dynamic(black_box(record), sources))
    });
    group.finish();
}

/// Nanoseconds per call of each variant: the fastest of `ROUNDS` interleaved rounds
/// (the round least disturbed by other processes on a shared machine) and the median.
fn timings(
    record: &[u8],
    sources: &BTreeMap<String, String>,
    descriptor: &MessageDescriptor,
) -> [(f64, f64); 4] {
    const ROUNDS: usize = 25;
    let fast_iters = 100_000u32;
    let slow_iters = 100u32;
    let mut samples: [Vec<f64>; 4] = Default::default();
    let time = |iters: u32, f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        start.elapsed().as_nanos() as f64 / f64::from(iters)
    };
    for _ in 0..ROUNDS {
        samples[0].push(time(fast_iters, &mut || {
            black_box(bare(black_box(record)));
        }));
        samples[1].push(time(fast_iters, &mut || {
            black_box(generated(black_box(record)));
        }));
        samples[2].push(time(fast_iters, &mut || {
            black_box(dynamic(black_box(record), descriptor));
        }));
        samples[3].push(time(slow_iters, &mut || {
            black_box(compile_then_dynamic(black_box(record), sources));
        }));
    }
    samples.map(|mut s| {
        s.sort_by(f64::total_cmp);
        (s[0], s[s.len() / 2])
    })
}

fn main() {
    let record = record();
    let sources = sources();
    let descriptor = compile(&sources);
    // All four read the same record into the same values.
    assert_eq!(
        hunt_42::Event::TreasureTypeUpdated(bare(&record)),
        generated(&record)
    );
    assert_eq!(dynamic(&record, &descriptor).encode_to_vec(), record[6..]);
    assert_eq!(
        compile_then_dynamic(&record, &sources).encode_to_vec(),
        record[6..]
    );

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    criterion_benches(&mut criterion, &record, &sources, &descriptor);
    criterion.final_summary();

    let [bare, generated, dynamic, compile] = timings(&record, &sources, &descriptor);
    println!();
    println!(
        "decode of one framed {MESSAGE} ({} bytes), ns/record (fastest round, median round):",
        record.len()
    );
    let row = |name: &str, (fastest, median): (f64, f64)| {
        println!("  {name:<34} {fastest:>10.1} {median:>10.1}");
    };
    row("bare prost (payload only)", bare);
    row("huntreg generated decode", generated);
    row("prost-reflect, cached descriptor", dynamic);
    row("protox compile + prost-reflect", compile);
    let overhead = generated.0 / bare.0;
    let speedup = dynamic.0 / generated.0;
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "ratio generated/bare    = {overhead:.3}  (target <= 1.05: {}; medians: {:.3})",
        verdict(overhead <= 1.05),
        generated.1 / bare.1
    );
    println!(
        "ratio dynamic/generated = {speedup:.2}  (target >= 3: {}; medians: {:.2})",
        verdict(speedup >= 3.0),
        dynamic.1 / generated.1
    );
    println!("ratio compile/generated = {:.0}", compile.0 / generated.0);
}
