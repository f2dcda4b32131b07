//! Property tests of the framing parser: arbitrary bytes never panic, and every header
//! written by `write_header` parses back to the same ID, index path and payload.

use huntreg_runtime::{write_header, DecodeError, Frame, MAX_INDEX_DEPTH};
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
