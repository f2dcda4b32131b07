//! Fuzzes the framing decoder: any bytes give a frame or a typed error, an accepted
//! Confluent frame re-encodes to itself, and the lenient reading (kafkajs's index-free
//! records) agrees with the strict one below byte 8 and otherwise either names one of the
//! schema's deep paths or takes everything after the ID as the first message's payload.
#![no_main]

use huntreg_runtime::{write_header, Frame, Framing, MessageIndex, MIN_PAYLOAD_BYTE};
use libfuzzer_sys::fuzz_target;

/// Deep index paths of an imaginary schema, as a generated decoder passes them.
const DEEP: &[&[u32]] = &[&[0, 0, 0, 0], &[1, 0, 2, 0, 0], &[4, 4, 4, 4]];

fuzz_target!(|data: &[u8]| {
    let strict = Frame::parse(data);
    if let Ok(frame) = strict {
        let mut again = Vec::new();
        write_header(frame.id, frame.index.as_slice(), &mut again);
        again.extend_from_slice(frame.payload);
        assert_eq!(Frame::parse(&again).ok(), Some(frame));
    }
    for deep in [DEEP, &[]] {
        let lenient = Frame::parse_lenient(data, |_| deep);
        if data.len() < 5 || data[0] != 0 {
            // No magic byte and ID: the same typed error.
            assert_eq!(lenient, strict);
            continue;
        }
        match data.get(5) {
            None => assert_eq!(lenient.map(|f| f.framing), Ok(Framing::IndexFree)),
            Some(&byte) if byte < MIN_PAYLOAD_BYTE => assert_eq!(lenient, strict),
            Some(_) => {
                let frame = lenient.expect("a 5-byte header is enough");
                match frame.framing {
                    Framing::Confluent => {
                        assert!(deep.contains(&frame.index.as_slice()));
                        assert_eq!(Ok(frame), strict);
                    }
                    Framing::IndexFree => {
                        assert_eq!(frame.index, MessageIndex::FIRST);
                        assert_eq!(frame.payload, &data[5..]);
                    }
                }
            }
        }
    }
});
