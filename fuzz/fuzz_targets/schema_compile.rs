//! Fuzzes schema compilation and canonicalisation as the registry runs them on a
//! registration: the cheap limit checks first, then protox, then the canonical printer,
//! whose output must compile again to the same text.
#![no_main]

use huntreg_registry::limits::Limits;
use huntreg_registry::schema::{prepare, DepFiles, Input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if Limits::default().check_schema(text, 0).is_err() {
        return;
    }
    let input = Input::parse(text);
    let Ok(prepared) = prepare(&input, "fuzz.proto", &DepFiles::default(), &[], false) else {
        return;
    };
    let again = prepare(&Input::Text(prepared.canonical.clone()), "fuzz.proto", &DepFiles::default(), &[], false)
        .unwrap_or_else(|e| panic!("canonical text does not compile: {e}\n{}", prepared.canonical));
    assert_eq!(prepared.canonical, again.canonical);
});
