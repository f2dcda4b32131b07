//! Fuzzes the Confluent framing decoder: any bytes give a frame or a typed error, and an
//! accepted frame re-encodes to itself.
#![no_main]

use huntreg_runtime::{write_header, Frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = Frame::parse(data) {
        let mut again = Vec::new();
        write_header(frame.id, frame.index.as_slice(), &mut again);
        again.extend_from_slice(frame.payload);
        assert_eq!(Frame::parse(&again).ok(), Some(frame));
    }
});
