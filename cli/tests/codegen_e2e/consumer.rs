//! The consumer crate `codegen_e2e.rs` builds: decoders generated from a pulled lockfile,
//! fed hex records on stdin (one per line). With a registry URL argument, IDs newer than
//! the build are resolved over HTTP. One line out per record, marked `(index-free)` when
//! the record had no message-index section (kafkajs framing).

mod hunt {
    include!(concat!(env!("OUT_DIR"), "/e2e_hunt.rs"));
}

use huntreg_runtime::{CachingResolver, Framing, HttpResolver};

fn unhex(line: &str) -> Vec<u8> {
    (0..line.len() / 2)
        .filter_map(|i| u8::from_str_radix(line.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn main() {
    let resolver = std::env::args()
        .nth(1)
        .map(|url| CachingResolver::new(HttpResolver::new(url)));
    for line in std::io::stdin().lines() {
        let bytes = unhex(line.expect("stdin").trim());
        let decoded = match &resolver {
            Some(resolver) => hunt::decode_with(&bytes, resolver),
            None => hunt::decode(&bytes),
        };
        let decoded = match decoded {
            Ok(decoded) => decoded,
            Err(e) => {
                println!("error {e}");
                continue;
            }
        };
        // Records without a message-index section (kafkajs) say so.
        let framing = match decoded.framing {
            Framing::Confluent => "",
            Framing::IndexFree => " (index-free)",
        };
        match decoded.event {
            hunt::Event::TreasureTypeUpdated(u) => println!(
                "updated {} rarity={} points={} display_name={:?}{framing}",
                u.treasure_type, u.rarity, u.points, u.display_name
            ),
            hunt::Event::TreasureLost(l) => println!("lost {}{framing}", l.player_id),
            hunt::Event::TreasureSighted(s) => {
                let at = s.seen_at.unwrap_or_default();
                println!(
                    "sighted {} at ({}, {}) rarity={} count={}{framing}",
                    s.player_id, at.latitude, at.longitude, s.rarity, s.count
                )
            }
            other => println!("other {}{framing}", other.full_name()),
        }
    }
}
