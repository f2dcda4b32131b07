//! The consumer crate `codegen_e2e.rs` builds to compare every field: decoders for the
//! default context (`.`, module `default_context`) and for the hunt `e2e-hunt`, generated
//! from one pulled lockfile by a crate whose only dependency is huntreg-runtime. Arguments:
//! the hunt to decode with (`.` or `e2e-hunt`), then optionally a registry URL to resolve
//! IDs newer than the build, or `--encode-as SUBJECT` to print each default-context record
//! re-encoded with `Event::encode_as(SUBJECT)` (`encoded HEX`) instead. Hex records on
//! stdin, one per line; one line out per record: the schema ID, the subject and version it
//! was registered under (as `decode` reports them), the framing and the whole event in
//! `Debug` form (every field).

mod default_context {
    include!(concat!(env!("OUT_DIR"), "/default_context.rs"));
}

mod e2e_hunt {
    include!(concat!(env!("OUT_DIR"), "/e2e_hunt.rs"));
}

use std::collections::BTreeMap;

use huntreg_runtime::{CachingResolver, HttpResolver, Resolver};

fn unhex(line: &str) -> Vec<u8> {
    (0..line.len() / 2)
        .filter_map(|i| u8::from_str_radix(line.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// One output line for a decode result of hunt module `$hunt`. A `HashMap`'s `Debug`
/// order changes from run to run, so a `TreasureHauled`'s maps are printed sorted, first,
/// and the rest of the message (maps emptied) after them.
macro_rules! describe {
    ($hunt:ident, $decoded:expr) => {
        match $decoded {
            Ok(d) => {
                let event = match d.event {
                    $hunt::Event::TreasureHauled(mut h) => {
                        let counts: BTreeMap<_, _> = std::mem::take(&mut h.counts).into_iter().collect();
                        let caches: BTreeMap<_, _> = std::mem::take(&mut h.caches).into_iter().collect();
                        format!("counts={counts:?} caches={caches:?} {h:?}")
                    }
                    other => format!("{other:?}"),
                };
                let subject = d.subject.as_deref().unwrap_or("-");
                let version = d.version.map_or("-".to_owned(), |v| v.to_string());
                format!("{} {subject} v{version} {:?} {event}", d.schema_id, d.framing)
            }
            Err(e) => format!("error {e}"),
        }
    };
}

/// `encoded HEX` for the default context's record re-encoded with `encode_as(subject)`.
fn encode_as(bytes: &[u8], subject: &str) -> String {
    let event = match default_context::decode(bytes) {
        Ok(decoded) => decoded.event,
        Err(e) => return format!("error {e}"),
    };
    match event.encode_as(subject) {
        Ok(out) => format!(
            "encoded {}",
            out.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
        Err(e) => format!("error {e}"),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let hunt = args.next().expect("the hunt: . or e2e-hunt");
    let mut resolver = None;
    let mut subject = None;
    match args.next().as_deref() {
        Some("--encode-as") => subject = args.next(),
        Some(url) => resolver = Some(CachingResolver::new(HttpResolver::new(url))),
        None => {}
    }
    assert_eq!(default_context::HUNT, ".");
    for record in std::io::stdin().lines() {
        let bytes = unhex(record.expect("stdin").trim());
        if let Some(subject) = &subject {
            println!("{}", encode_as(&bytes, subject));
            continue;
        }
        let out = match (hunt.as_str(), &resolver) {
            (".", None) => describe!(default_context, default_context::decode(&bytes)),
            (".", Some(r)) => describe!(
                default_context,
                default_context::decode_with(&bytes, r as &dyn Resolver)
            ),
            (_, None) => describe!(e2e_hunt, e2e_hunt::decode(&bytes)),
            (_, Some(r)) => describe!(e2e_hunt, e2e_hunt::decode_with(&bytes, r as &dyn Resolver)),
        };
        println!("{out}");
    }
}
