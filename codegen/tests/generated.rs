//! The golden generated code (`tests/generated/golden_hunt.rs`, kept equal to the
//! snapshot by `golden.rs`) compiles, with its escaped names, decodes what it encodes, and
//! reads records without a message-index section (kafkajs) next to Confluent-framed ones,
//! including for a schema whose index path 4 deep starts like a payload.

#[allow(dead_code, unreachable_pub)]
mod golden_hunt {
    include!("generated/golden_hunt.rs");
}

use golden_hunt::atlas::v1::{region, Region};
use golden_hunt::{r#match, shop, Event};
use huntreg_runtime::prost::Message as _;
use huntreg_runtime::{write_header, DecodeError, EncodeError, Framing};
use proptest::prelude::*;

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
        let decoded = golden_hunt::decode(&event.encode()).unwrap();
        assert_eq!(decoded.framing, Framing::Confluent);
        assert_eq!(decoded.schema_id, event.schema_id());
        assert_eq!(decoded.event, event);
    }
    assert_eq!(golden_hunt::KNOWN_IDS, &[10, 11, 12, 14, 15]);
}

#[test]
fn encode_as_frames_with_the_subject_the_caller_chose() {
    let order: Event = shop::v1::OrderPlaced {
        order_id: "o".into(),
        ..Default::default()
    }
    .into();
    // `encode` frames with the highest ID of any subject defining the message: 14, the
    // newest shop/v1/order.proto, though order-value is another producer's subject at 11.
    assert_eq!(order.schema_id(), 14);
    assert_eq!(&order.encode()[..6], &[0, 0, 0, 0, 14, 0]);
    // `encode_as` frames with the named subject's newest version and the message's index.
    let bytes = order.encode_as("order-value").unwrap();
    assert_eq!(&bytes[..6], &[0, 0, 0, 0, 11, 0]);
    assert_eq!(
        order.encode_as(":.golden-hunt:order-value").unwrap(),
        bytes,
        "a qualified subject names the same"
    );
    let decoded = golden_hunt::decode(&bytes).unwrap();
    assert_eq!(
        (
            decoded.schema_id,
            decoded.subject.as_deref(),
            decoded.version
        ),
        (11, Some("order-value"), Some(1))
    );
    assert_eq!(decoded.event, order);
    assert_eq!(
        order.encode_as("shop/v1/order.proto").unwrap(),
        order.encode()
    );
    // A nested message gets its index path in the subject's version.
    let line: Event = shop::v1::order_placed::Line {
        sku: "s".into(),
        quantity: 1,
    }
    .into();
    let nested = line.encode_as("shop/v1/order.proto").unwrap();
    assert_eq!(&nested[..7], &[0, 0, 0, 0, 14, 4, 0]);
    assert_eq!(golden_hunt::decode(&nested).unwrap().event, line);

    // The subject's newest version does not define the message: a typed error.
    let cancelled: Event = shop::v1::OrderCancelled {
        order_id: "o".into(),
        r#type: "x".into(),
    }
    .into();
    assert_eq!(
        cancelled.encode_as("order-value"),
        Err(EncodeError::NotInSubject {
            hunt: "golden-hunt",
            subject: "order-value".into(),
            message: "shop.v1.OrderCancelled",
        })
    );
    // Subjects the build does not know, or another hunt's.
    for subject in ["no-such-value", ":.hunt-7:order-value"] {
        assert_eq!(
            order.encode_as(subject),
            Err(EncodeError::UnknownSubject {
                hunt: "golden-hunt",
                subject: subject.into(),
            })
        );
    }
    let err = cancelled.encode_as("order-value").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the newest version of subject order-value (hunt golden-hunt) does not define message shop.v1.OrderCancelled"
    );
}

#[test]
fn the_first_version_decodes_through_the_newest_type() {
    // ID 11 is version 1 of shop/v1/order.proto (and of the producer subject order-value).
    let mut bytes = vec![0, 0, 0, 0, 11, 0];
    bytes.extend_from_slice(&[0x0a, 0x01, b'o']);
    let decoded = golden_hunt::decode(&bytes).unwrap();
    match &decoded.event {
        Event::ShopV1OrderPlaced(order) => assert_eq!(order.order_id, "o"),
        other => panic!("{other:?}"),
    }
    // The writer's subject and version come with the event: ID 11 is held by two
    // subjects, and the first by name is reported.
    assert_eq!(
        (
            decoded.schema_id,
            decoded.subject.as_deref(),
            decoded.version
        ),
        (11, Some("order-value"), Some(1))
    );
    assert_eq!(
        golden_hunt::registrations(11),
        &[("order-value", 1), ("shop/v1/order.proto", 1)]
    );
    let newest = golden_hunt::decode(&[0, 0, 0, 0, 14, 0]).unwrap();
    assert_eq!(
        (newest.subject.as_deref(), newest.version),
        (Some("shop/v1/order.proto"), Some(2))
    );
    assert!(golden_hunt::registrations(13).is_empty());
    assert_eq!(
        golden_hunt::decode(&[0, 0, 0, 0, 13, 0]),
        Err(DecodeError::UnknownId {
            hunt: "golden-hunt",
            id: 13
        })
    );
}

fn cell(x: u32, y: u32) -> region::zone::sector::Cell {
    region::zone::sector::Cell { x, y }
}

/// A kafkajs record: magic, ID, payload.
fn index_free(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0];
    bytes.extend_from_slice(&id.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

fn framed(id: u32, index: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_header(id, index, &mut bytes);
    bytes.extend_from_slice(payload);
    bytes
}

#[test]
fn index_free_records_decode_as_the_first_message_and_say_so() {
    // OrderCancelled is message [1] of ID 14: kafkajs can only write OrderPlaced, [0].
    let order = shop::v1::OrderPlaced {
        order_id: "o".into(),
        ..Default::default()
    };
    let decoded = golden_hunt::decode(&index_free(14, &order.encode_to_vec())).unwrap();
    assert_eq!(decoded.event, Event::from(order));
    assert_eq!(
        (decoded.schema_id, decoded.framing),
        (14, Framing::IndexFree)
    );
    assert!(decoded.is_index_free());
    // Nothing after the ID: the empty first message.
    let empty = golden_hunt::decode(&index_free(11, &[])).unwrap();
    assert_eq!(empty.event, shop::v1::OrderPlaced::default().into());
    assert_eq!(empty.framing, Framing::IndexFree);
    // No deep paths under ID 14: a section 4 deep is a payload, here not a valid one.
    let err = golden_hunt::decode(&framed(14, &[0, 0, 0, 0], &[])).unwrap_err();
    assert!(
        matches!(err, DecodeError::Payload { id: 14, .. }),
        "{err:?}"
    );
    // Unknown IDs stay unknown in either framing.
    assert_eq!(
        golden_hunt::decode(&index_free(13, &[0x08, 0x01])),
        Err(DecodeError::UnknownId {
            hunt: "golden-hunt",
            id: 13
        })
    );
}

#[test]
fn a_schema_with_a_deep_path_is_read_both_ways() {
    assert_eq!(golden_hunt::DEEP_INDEX_IDS, &[15]);
    // Confluent: the section [0, 0, 0, 0] starts with 0x08, like a payload would.
    let confluent = framed(15, &[0, 0, 0, 0], &cell(3, 4).encode_to_vec());
    assert_eq!(confluent[5], 0x08);
    let decoded = golden_hunt::decode(&confluent).unwrap();
    assert_eq!(decoded.event, Event::RegionZoneSectorCell(cell(3, 4)));
    assert_eq!(decoded.framing, Framing::Confluent);
    // kafkajs: a Region whose payload also starts with 0x08 (field 1, varint).
    let region = Region {
        level: 2,
        name: "north".into(),
        zones: vec![region::Zone::default()],
    };
    let payload = region.encode_to_vec();
    assert_eq!(payload[0], 0x08);
    let decoded = golden_hunt::decode(&index_free(15, &payload)).unwrap();
    assert_eq!(decoded.event, Event::Region(region));
    assert_eq!(decoded.framing, Framing::IndexFree);
    // A well-formed section 4 deep that names no path of the schema is a payload of the
    // first message (here not a valid one: its second tag is 0).
    let err = golden_hunt::decode(&framed(15, &[0, 0, 0, 1], &[])).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::Payload {
                id: 15,
                message: "atlas.v1.Region",
                ..
            }
        ),
        "{err:?}"
    );
    // Below 8 the section is always Confluent's, with today's errors.
    assert!(matches!(
        golden_hunt::decode(&framed(15, &[0, 1], &[])),
        Err(DecodeError::UnknownMessageIndex { id: 15, .. })
    ));
}

fn any_region() -> impl Strategy<Value = Region> {
    (
        any::<u32>(),
        "[a-z]{0,8}",
        prop::collection::vec(
            prop::collection::vec((any::<u32>(), any::<u32>()), 0..3),
            0..3,
        ),
    )
        .prop_map(|(level, name, zones)| Region {
            level,
            name,
            zones: zones
                .into_iter()
                .map(|cells| region::Zone {
                    sectors: cells
                        .into_iter()
                        .map(|(x, y)| region::zone::Sector {
                            origin: Some(cell(x, y)),
                        })
                        .collect(),
                })
                .collect(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Every record a Confluent serializer writes (any registered ID and index path, any
    /// payload) decodes as it did before the fallback: the dispatched type's prost decode.
    #[test]
    fn confluent_records_decode_as_before(
        entry in prop::sample::select(vec![
            (10u32, vec![0u32]), (11, vec![0]), (12, vec![0]), (12, vec![1]),
            (14, vec![0]), (14, vec![0, 0]), (14, vec![1]),
            (15, vec![0]), (15, vec![0, 0]), (15, vec![0, 0, 0]), (15, vec![0, 0, 0, 0]),
        ]),
        payload in prop::collection::vec(any::<u8>(), 0..24),
    ) {
        use golden_hunt::atlas::v1::region::{zone::{sector::Cell, Sector}, Zone};
        let (id, index) = entry;
        let p = &payload[..];
        let expected: Result<Event, _> = match (id, &index[..]) {
            (10, _) => shop::v1::Money::decode(p).map(Event::from),
            (11 | 14, [0]) => shop::v1::OrderPlaced::decode(p).map(Event::from),
            (14, [0, 0]) => shop::v1::order_placed::Line::decode(p).map(Event::from),
            (14, [1]) => shop::v1::OrderCancelled::decode(p).map(Event::from),
            (12, [0]) => r#match::v1::Self_::decode(p).map(Event::from),
            (12, [1]) => r#match::v1::OrderPlaced::decode(p).map(Event::from),
            (15, [0]) => Region::decode(p).map(Event::from),
            (15, [0, 0]) => Zone::decode(p).map(Event::from),
            (15, [0, 0, 0]) => Sector::decode(p).map(Event::from),
            (15, [0, 0, 0, 0]) => Cell::decode(p).map(Event::from),
            other => unreachable!("{other:?}"),
        };
        match golden_hunt::decode(&framed(id, &index, p)) {
            Ok(decoded) => {
                prop_assert_eq!(decoded.framing, Framing::Confluent);
                prop_assert_eq!(Ok(decoded.event), expected);
            }
            Err(DecodeError::Payload { id: got, .. }) => {
                prop_assert_eq!(got, id);
                prop_assert!(expected.is_err());
            }
            Err(e) => prop_assert!(false, "{e:?}"),
        }
    }

    /// Every index-free record of a first message decodes as that message, deep paths or not.
    #[test]
    fn index_free_first_messages_decode_as_themselves(
        region in any_region(),
        order_id in "[a-z0-9]{0,12}",
        units in any::<i64>(),
    ) {
        let decoded = golden_hunt::decode(&index_free(15, &region.encode_to_vec())).unwrap();
        prop_assert_eq!(decoded.framing, Framing::IndexFree);
        prop_assert_eq!(decoded.event, Event::Region(region));
        let order = shop::v1::OrderPlaced {
            order_id,
            total: Some(shop::v1::Money { currency: "EUR".into(), units }),
            ..Default::default()
        };
        for id in [11, 14] {
            let decoded = golden_hunt::decode(&index_free(id, &order.encode_to_vec())).unwrap();
            prop_assert_eq!(decoded.framing, Framing::IndexFree);
            prop_assert_eq!(&decoded.event, &Event::from(order.clone()));
        }
    }

    #[test]
    fn no_input_panics(bytes in prop::collection::vec(any::<u8>(), 0..48)) {
        let _ = golden_hunt::decode(&bytes);
        let _ = golden_hunt::decode_with(&bytes, &NoRegistry);
    }
}

/// A resolver that knows no IDs.
struct NoRegistry;

impl huntreg_runtime::Resolver for NoRegistry {
    fn subjects(&self, _: &str, _: u32) -> Result<Vec<String>, huntreg_runtime::ResolveError> {
        Ok(Vec::new())
    }
}
