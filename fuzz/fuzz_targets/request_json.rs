//! Fuzzes the request-body path of register, lookup and compatibility requests up to the
//! store: JSON decoding, boundary checks, the limit checks and schema preparation.
#![no_main]

use huntreg_registry::app::SchemaRequest;
use huntreg_registry::dto::RegisterRequest;
use huntreg_registry::limits::Limits;
use huntreg_registry::schema::{prepare, DepFiles, Input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dto) = serde_json::from_slice::<RegisterRequest>(data) else { return };
    let Ok(request) = SchemaRequest::from_dto(dto) else { return };
    if Limits::default().check_schema(&request.schema, request.references.len()).is_err() {
        return;
    }
    let _ = prepare(&Input::parse(&request.schema), "fuzz.proto", &DepFiles::default(), &[], false);
});
