//! Proto3 JSON for generated types: hunt-42 generated with `Builder::json(true)`
//! (`hunt_42_json.rs`, see `build.rs`) serializes and parses its messages in the proto3
//! JSON form (lowerCamelCase names, enums by name, 64-bit integers as strings, a
//! `Timestamp` as RFC 3339), through huntreg-runtime's `json` feature alone.

#[allow(dead_code, unreachable_pub, missing_docs)]
mod hunt_42_json {
    include!(concat!(env!("OUT_DIR"), "/hunt_42_json.rs"));
}

use hunt_42_json::leaderboard::v1::{leaderboard_changed::Entry, LeaderboardChanged};
use hunt_42_json::treasure::v1::{Player, Rarity, TreasureTypeUpdated};
use hunt_42_json::Event;
use huntreg_runtime::json::pbjson_types::Timestamp;
use serde_json::json;

#[test]
fn messages_serialize_as_proto3_json_and_parse_back() {
    let updated = TreasureTypeUpdated {
        treasure_type: "ruby".into(),
        rarity: Rarity::Rare as i32,
        points: 5,
        updated_at: Some(Timestamp {
            seconds: 1_714_566_615,
            nanos: 250_000_000,
        }),
        display_name: "Ruby".into(),
        tags: vec!["red".into(), "gem".into()],
    };
    let expected = json!({
        "treasureType": "ruby",
        "rarity": "RARITY_RARE",
        "points": 5,
        "updatedAt": "2024-05-01T12:30:15.250Z",
        "displayName": "Ruby",
        "tags": ["red", "gem"],
    });
    // pbjson-types writes a Timestamp's zone as `+00:00` where the proto3 JSON mapping
    // writes `Z`; it reads both.
    let mut written = expected.clone();
    written["updatedAt"] = json!("2024-05-01T12:30:15.250+00:00");
    assert_eq!(serde_json::to_value(&updated).unwrap(), written);
    for form in [expected, written] {
        assert_eq!(
            serde_json::from_value::<TreasureTypeUpdated>(form).unwrap(),
            updated
        );
    }

    let changed = LeaderboardChanged {
        top: vec![Entry {
            player: Some(Player {
                player_id: "p1".into(),
                display_name: "Ada".into(),
            }),
            score: 10,
            rank: 1,
        }],
        sequence: 7,
        score_by_team: [("red".to_owned(), 10)].into_iter().collect(),
    };
    let expected = json!({
        "top": [{"player": {"playerId": "p1", "displayName": "Ada"}, "score": "10", "rank": 1}],
        "sequence": "7",
        "scoreByTeam": {"red": "10"},
    });
    assert_eq!(serde_json::to_value(&changed).unwrap(), expected);
    assert_eq!(
        serde_json::from_value::<LeaderboardChanged>(expected).unwrap(),
        changed
    );
    // Defaults are left out, as proto3 JSON prints them.
    assert_eq!(
        serde_json::to_value(TreasureTypeUpdated::default()).unwrap(),
        json!({})
    );
}

#[test]
fn a_decoded_record_prints_as_json() {
    let updated = TreasureTypeUpdated {
        treasure_type: "emerald".into(),
        points: 7,
        ..Default::default()
    };
    let bytes = Event::from(updated).encode();
    let Event::TreasureTypeUpdated(decoded) = hunt_42_json::decode(&bytes).unwrap().event else {
        panic!("not a TreasureTypeUpdated");
    };
    assert_eq!(
        serde_json::to_string(&decoded).unwrap(),
        r#"{"treasureType":"emerald","points":7}"#
    );
}
