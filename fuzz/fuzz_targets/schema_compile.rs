//! Fuzzes schema compilation and canonicalisation as the registry runs them on a
//! registration: the cheap limit checks first, then protox, then the canonical printer,
//! whose output must compile again to the same text and the same descriptor.
#![no_main]

use huntreg_registry::limits::Limits;
use huntreg_registry::schema::{prepare, DepFiles, Input};
use libfuzzer_sys::fuzz_target;
use prost::Message as _;
use prost_types::{DescriptorProto, FileDescriptorProto};

/// A descriptor with every message's fields sorted by number and its map-entry types moved
/// after its declared nested messages: the canonical layout prints fields (and so map
/// entries) before nested messages. (Whether that may move a nested message's index is the
/// registry's map-entry decision; this target checks everything else.)
fn comparable(bytes: &[u8]) -> FileDescriptorProto {
    fn sort(message: &mut DescriptorProto) {
        message.field.sort_by_key(|f| f.number);
        let is_entry =
            |m: &DescriptorProto| m.options.as_ref().and_then(|o| o.map_entry) == Some(true);
        message.nested_type.sort_by_key(|m| is_entry(m));
        message.nested_type.iter_mut().for_each(sort);
    }
    let mut file = FileDescriptorProto::decode(bytes).expect("served descriptors decode");
    file.message_type.iter_mut().for_each(sort);
    file
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
    // The canonical text means what the input meant: it compiles to the same descriptor, up
    // to the order of fields (the canonical layout prints plain fields before oneofs).
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
