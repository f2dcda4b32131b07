//! Property tests of the framing decoder beyond "never panics": whatever it accepts, the
//! writer reproduces, so a consumer can re-frame any record it decoded.

use huntreg_runtime::{write_header, DecodeError, Frame};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn accepted_frames_re_encode_to_the_same_frame(bytes in prop::collection::vec(any::<u8>(), 0..48)) {
        let Ok(frame) = Frame::parse(&bytes) else { return Ok(()) };
        let mut again = Vec::new();
        write_header(frame.id, frame.index.as_slice(), &mut again);
        again.extend_from_slice(frame.payload);
        let reparsed = Frame::parse(&again).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(reparsed, frame);
        // The writer's form is the shortest: never longer than what was accepted.
        prop_assert!(again.len() <= bytes.len());
    }

    #[test]
    fn errors_are_typed_and_printable(bytes in prop::collection::vec(any::<u8>(), 0..16)) {
        if let Err(err) = Frame::parse(&bytes) {
            prop_assert!(!err.to_string().is_empty());
            let unknown_id = matches!(err, DecodeError::UnknownId { .. });
            prop_assert!(err.is_framing() || unknown_id, "{:?}", err);
        }
    }
}
