//! Property tests of the framing parser: arbitrary bytes never panic, every header
//! written by `write_header` parses back to the same ID, index path and payload, and the
//! lenient reading keeps every Confluent-framed record as it was while reading kafkajs's
//! index-free records as the first message.

use huntreg_runtime::{
    write_header, DecodeError, Frame, Framing, MessageIndex, MAX_INDEX_DEPTH, MIN_PAYLOAD_BYTE,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Frame::parse(&bytes);
    }

    #[test]
    fn bytes_after_a_valid_prefix_never_panic(
        id in any::<u32>(),
        tail in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut bytes = vec![0];
        bytes.extend_from_slice(&id.to_be_bytes());
        bytes.extend_from_slice(&tail);
        match Frame::parse(&bytes) {
            Ok(frame) => {
                prop_assert_eq!(frame.id, id);
                prop_assert!(!frame.index.as_slice().is_empty());
            }
            Err(e) => prop_assert!(e.is_framing(), "unexpected error {e:?}"),
        }
    }

    #[test]
    fn written_headers_round_trip(
        id in any::<u32>(),
        index in proptest::collection::vec(0u32..=i32::MAX as u32, 1..=MAX_INDEX_DEPTH),
        payload in proptest::collection::vec(any::<u8>(), 0..32),
    ) {
        let mut bytes = Vec::new();
        write_header(id, &index, &mut bytes);
        bytes.extend_from_slice(&payload);
        let frame = Frame::parse(&bytes).unwrap();
        prop_assert_eq!(frame.id, id);
        prop_assert_eq!(frame.index.as_slice(), &index[..]);
        prop_assert_eq!(frame.payload, &payload[..]);
    }

    #[test]
    fn every_truncation_of_a_header_is_a_typed_error(
        id in any::<u32>(),
        index in proptest::collection::vec(0u32..=i32::MAX as u32, 1..=4),
    ) {
        let mut bytes = Vec::new();
        write_header(id, &index, &mut bytes);
        for cut in 0..bytes.len() {
            let err = Frame::parse(&bytes[..cut]).unwrap_err();
            prop_assert!(
                matches!(err, DecodeError::Empty | DecodeError::TruncatedHeader { .. }),
                "cut {cut}: {err:?}"
            );
        }
    }
}

/// Deep index paths (4 or more indexes) a schema might have, for the lenient reading.
fn deep_paths() -> impl Strategy<Value = Vec<Vec<u32>>> {
    proptest::collection::vec(proptest::collection::vec(0u32..6, 4..=6), 0..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn lenient_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
        deep in deep_paths(),
    ) {
        let deep: Vec<&[u32]> = deep.iter().map(Vec::as_slice).collect();
        let _ = Frame::parse_lenient(&bytes, |_| &deep);
    }

    /// Every Confluent-framed record whose index path the schema has reads as before.
    #[test]
    fn confluent_records_read_leniently_as_before(
        id in any::<u32>(),
        index in proptest::collection::vec(0u32..=i32::MAX as u32, 1..=MAX_INDEX_DEPTH),
        payload in proptest::collection::vec(any::<u8>(), 0..32),
        others in deep_paths(),
    ) {
        let mut bytes = Vec::new();
        write_header(id, &index, &mut bytes);
        bytes.extend_from_slice(&payload);
        let mut deep: Vec<&[u32]> = others.iter().map(Vec::as_slice).collect();
        if index.len() >= 4 {
            deep.push(&index);
        }
        let frame = Frame::parse_lenient(&bytes, |_| &deep).unwrap();
        prop_assert_eq!(frame, Frame::parse(&bytes).unwrap());
        prop_assert_eq!(frame.framing, Framing::Confluent);
    }

    /// Every index-free record (nothing, or a payload starting with a tag) reads as the
    /// first message, unless its first bytes name one of the schema's deep paths.
    #[test]
    fn index_free_records_read_as_the_first_message(
        id in any::<u32>(),
        first in MIN_PAYLOAD_BYTE..=u8::MAX,
        rest in proptest::collection::vec(any::<u8>(), 0..32),
        empty in any::<bool>(),
        deep in deep_paths(),
    ) {
        let mut bytes = vec![0];
        bytes.extend_from_slice(&id.to_be_bytes());
        if !empty {
            bytes.push(first);
            bytes.extend_from_slice(&rest);
        }
        let deep: Vec<&[u32]> = deep.iter().map(Vec::as_slice).collect();
        let frame = Frame::parse_lenient(&bytes, |_| &deep).unwrap();
        prop_assert_eq!(frame.id, id);
        match frame.framing {
            Framing::IndexFree => {
                prop_assert_eq!(frame.index, MessageIndex::FIRST);
                prop_assert_eq!(frame.payload, &bytes[5..]);
            }
            Framing::Confluent => {
                prop_assert!(deep.contains(&frame.index.as_slice()));
                prop_assert_eq!(Ok(frame), Frame::parse(&bytes));
            }
        }
        // A schema without deep paths always reads it index-free.
        let frame = Frame::parse_lenient(&bytes, |_| &[]).unwrap();
        prop_assert_eq!((frame.framing, frame.payload), (Framing::IndexFree, &bytes[5..]));
    }
}
