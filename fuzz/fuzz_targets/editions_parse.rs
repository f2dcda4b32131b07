//! Fuzzes the editions parser and feature lowering: any text after an `edition` statement
//! either fails with an error (never a panic) or lowers to a proto2 or proto3 file whose
//! canonical text (printed in the file's edition) compiles again to the same text and the
//! same descriptor.
#![no_main]

use huntreg_registry::schema::{prepare, DepFiles, Input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(body) = std::str::from_utf8(rest) else {
        return;
    };
    if body.len() > 16 * 1024 {
        return;
    }
    let edition = if pick & 1 == 0 { "2023" } else { "2024" };
    let text = format!("edition = \"{edition}\";\n{body}");
    // The parser alone, as protox-parse exposes it.
    if let Ok((file, number)) = protox_parse::parse_with_edition("fuzz.proto", &text) {
        assert_eq!(file.syntax.as_deref(), Some("editions"));
        assert!(number.is_some());
    }
    // Feature resolution, checks and lowering, as the registry runs them.
    let Ok(prepared) = prepare(&Input::Text(text), "fuzz.proto", &DepFiles::default(), &[], false)
    else {
        return;
    };
    let again = prepare(
        &Input::Text(prepared.canonical.clone()),
        "fuzz.proto",
        &DepFiles::default(),
        &[],
        false,
    )
    .expect("the canonical text of a lowered editions file compiles");
    assert_eq!(again.canonical, prepared.canonical);
    assert_eq!(again.descriptor, prepared.descriptor);
});
