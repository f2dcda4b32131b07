//! huntreg-hunts: typed decoders for the example hunts in `schemas/`, generated at build
//! time by huntreg-codegen from the committed lockfile `schemas/huntreg.lock`.
//!
//! ```
//! use huntreg_hunts::hunt_42::{self, treasure::v1::TreasureFound, Event};
//!
//! let bytes = huntreg_runtime::encode(&TreasureFound {
//!     treasure_type: "golden-doubloon".into(),
//!     ..Default::default()
//! });
//! let decoded = hunt_42::decode(&bytes).unwrap();
//! // Framed by huntreg's encoder, as Confluent serializers frame records.
//! assert_eq!(decoded.framing, huntreg_runtime::Framing::Confluent);
//! match decoded.event {
//!     Event::TreasureFound(found) => assert_eq!(found.treasure_type, "golden-doubloon"),
//!     other => panic!("unexpected {other:?}"),
//! }
//! ```
#![warn(missing_docs)]

/// Hunt `hunt-42`: treasure catalog updates, treasures found, leaderboard changes.
pub mod hunt_42 {
    include!(concat!(env!("OUT_DIR"), "/hunt_42.rs"));
}

/// Hunt `hunt-7`: a scavenger hunt's solved clues, with schemas of its own.
pub mod hunt_7 {
    include!(concat!(env!("OUT_DIR"), "/hunt_7.rs"));
}

/// Hunt `hunt-23`: a relay hunt's batons passed, written in protobuf edition 2023.
pub mod hunt_23 {
    include!(concat!(env!("OUT_DIR"), "/hunt_23.rs"));
}
