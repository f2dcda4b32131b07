//! The golden generated code (`tests/generated/golden_hunt.rs`, kept equal to the
//! snapshot by `golden.rs`) compiles, with its escaped names, and decodes what it encodes.

#[allow(dead_code, unreachable_pub)]
mod golden_hunt {
    include!("generated/golden_hunt.rs");
}

use golden_hunt::{r#match, shop, Event};
use huntreg_runtime::DecodeError;

#[test]
fn escaped_names_and_qualified_variants_round_trip() {
    let events: Vec<Event> = vec![
        r#match::v1::Self_ { r#type: "t".into() }.into(),
        r#match::v1::OrderPlaced { r#ref: "r".into() }.into(),
        shop::v1::OrderPlaced {
            order_id: "o".into(),
            lines: vec![shop::v1::order_placed::Line {
                sku: "s".into(),
                quantity: 2,
            }],
            ..Default::default()
        }
        .into(),
        shop::v1::OrderCancelled {
            order_id: "o".into(),
            r#type: "x".into(),
        }
        .into(),
    ];
    for event in events {
        assert_eq!(golden_hunt::decode(&event.encode()), Ok(event));
    }
    assert_eq!(golden_hunt::KNOWN_IDS, &[10, 11, 12, 14]);
}

#[test]
fn the_first_version_decodes_through_the_newest_type() {
    // ID 11 is version 1 of shop/v1/order.proto (and of the producer subject order-value).
    let mut bytes = vec![0, 0, 0, 0, 11, 0];
    bytes.extend_from_slice(&[0x0a, 0x01, b'o']);
    match golden_hunt::decode(&bytes) {
        Ok(Event::ShopV1OrderPlaced(order)) => assert_eq!(order.order_id, "o"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        golden_hunt::decode(&[0, 0, 0, 0, 13, 0]),
        Err(DecodeError::UnknownId {
            hunt: "golden-hunt",
            id: 13
        })
    );
}
