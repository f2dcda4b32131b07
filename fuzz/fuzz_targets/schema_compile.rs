//! Fuzzes schema compilation and canonicalisation as the registry runs them on a
//! registration: the cheap limit checks first, then protox, then the canonical printer,
//! whose output must compile again to the same text and the same descriptor.
#![no_main]

use huntreg_registry::Limits;
use huntreg_registry::schema::{prepare, DepFiles, Input};
use libfuzzer_sys::fuzz_target;
use prost::Message as _;
use prost_types::FileDescriptorProto;

/// A served descriptor, decoded for comparison.
fn comparable(bytes: &[u8]) -> FileDescriptorProto {
    FileDescriptorProto::decode(bytes).expect("served descriptors decode")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if Limits::default().check_schema(text, 0).is_err() {
        return;
    }
    let input = Input::parse(text);
    let Ok(prepared) = prepare(&input, "fuzz.proto", &DepFiles::default(), &[], false) else {
        return;
    };
    let again = prepare(
        &Input::Text(prepared.canonical.clone()),
        "fuzz.proto",
        &DepFiles::default(),
        &[],
        false,
    )
    .unwrap_or_else(|e| {
        panic!(
            "canonical text does not compile: {e}\n{}",
            prepared.canonical
        )
    });
    assert_eq!(prepared.canonical, again.canonical);
    // The canonical text means what the input meant: it compiles to the same descriptor
    // (same fields, same order of fields and nested types, so the same message indexes).
    let (before, after) = (
        comparable(&prepared.descriptor),
        comparable(&again.descriptor),
    );
    if before != after {
        let (b, a) = (format!("{before:#?}"), format!("{after:#?}"));
        let first = b
            .lines()
            .zip(a.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        let context = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(8))
                .take(16)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "descriptor changed:\n{text}\n---\n{}\n--- before:\n{}\n--- after:\n{}",
            prepared.canonical,
            context(&b),
            context(&a)
        );
    }
});
