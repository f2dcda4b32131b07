//! The generated decoders of the example hunts, fed framed bytes: every registered
//! version decodes through the newest type, unknown IDs and broken framing are typed
//! errors, the resolver path decodes IDs newer than the build, records without a
//! message-index section (kafkajs) decode as their schema's first message and say so
//! while Confluent-framed ones decode exactly as the Confluent-only build decodes them,
//! and no input panics.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use huntreg_hunts::hunt_42::leaderboard::v1::{
    leaderboard_changed, LeaderboardChanged, LeaderboardReset,
};
use huntreg_hunts::hunt_42::treasure::v1::{Player, Rarity, TreasureFound, TreasureTypeUpdated};
use huntreg_hunts::{hunt_42, hunt_7};
use huntreg_runtime::{
    write_header, CachingResolver, DecodeError, Framing, ResolveError, Resolver,
};

/// hunt-42 generated with `Builder::index_free_fallback(false)` (see `build.rs`).
#[allow(dead_code, unreachable_pub)]
mod hunt_42_confluent {
    include!(concat!(env!("OUT_DIR"), "/hunt_42_confluent.rs"));
}
use proptest::prelude::*;
use prost::Message;
use prost_reflect::{DynamicMessage, Value};

const LOCKFILE: &str = include_str!("../schemas/huntreg.lock");

/// The schema ID the lockfile pins for `subject` `version` of hunt-42.
fn id_of(subject: &str, version: u32) -> u32 {
    let lock = huntreg_codegen::Lockfile::parse(LOCKFILE).unwrap();
    lock.hunt("hunt-42")
        .unwrap()
        .subjects
        .iter()
        .find(|s| s.subject == subject)
        .and_then(|s| s.versions.iter().find(|v| v.version == version))
        .map(|v| v.id)
        .unwrap_or_else(|| panic!("{subject} v{version} is not pinned"))
}

const UPDATED: &str = "treasure/v1/treasure_type_updated.proto";
const LEADERBOARD: &str = "leaderboard/v1/leaderboard.proto";

fn framed(id: u32, index: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_header(id, index, &mut bytes);
    bytes.extend_from_slice(payload);
    bytes
}

/// The pool a producer of `subject` version `version` of hunt-42 compiled, built from the
/// lockfile's schema text (a writer older than the generated types).
fn writer_pool(subject: &str, version: u32) -> prost_reflect::DescriptorPool {
    let lock = huntreg_codegen::Lockfile::parse(LOCKFILE).unwrap();
    let hunt = lock.hunt("hunt-42").unwrap();
    let find = |s: &str, v: u32| {
        hunt.subjects
            .iter()
            .find(|x| x.subject == s)
            .and_then(|x| x.versions.iter().find(|y| y.version == v))
            .unwrap()
            .clone()
    };
    let main = find(subject, version);
    let mut files = BTreeMap::new();
    for r in &main.references {
        files.insert(r.name.clone(), find(&r.subject, r.version).schema);
    }
    files.insert(subject.to_owned(), main.schema.clone());
    huntreg_schema::compile_texts(std::sync::Arc::new(files), &[subject])
        .unwrap()
        .pool
}

#[test]
fn every_event_round_trips_with_its_newest_id() {
    let events: Vec<hunt_42::Event> = vec![
        TreasureTypeUpdated {
            treasure_type: "golden-doubloon".into(),
            rarity: Rarity::Mythic as i32,
            points: 500,
            display_name: "Golden doubloon".into(),
            tags: vec!["gold".into()],
            ..Default::default()
        }
        .into(),
        TreasureFound {
            player: Some(Player {
                player_id: "p1".into(),
                display_name: "Ada".into(),
            }),
            treasure_type: "golden-doubloon".into(),
            ..Default::default()
        }
        .into(),
        LeaderboardChanged {
            top: vec![leaderboard_changed::Entry {
                score: 10,
                rank: 1,
                ..Default::default()
            }],
            sequence: 3,
            score_by_team: [("red".to_owned(), 10)].into_iter().collect(),
        }
        .into(),
        LeaderboardReset {
            reason: "season end".into(),
            sequence: 4,
        }
        .into(),
    ];
    for event in events {
        let bytes = event.encode();
        assert_eq!(bytes[0], 0);
        assert_eq!(
            u32::from_be_bytes(bytes[1..5].try_into().unwrap()),
            event.schema_id()
        );
        assert!(hunt_42::KNOWN_IDS.contains(&event.schema_id()));
        assert_eq!(hunt_42::decode(&bytes).unwrap().event, event);
    }
}

#[test]
fn second_top_level_message_is_framed_with_index_1() {
    let bytes = huntreg_runtime::encode(&LeaderboardReset {
        reason: "r".into(),
        sequence: 1,
    });
    assert_eq!(&bytes[5..7], &[0x02, 0x02]);
    assert!(matches!(
        hunt_42::decode(&bytes).map(|d| d.event),
        Ok(hunt_42::Event::LeaderboardReset(_))
    ));
}

#[test]
fn version_1_records_decode_through_the_version_2_type() {
    let pool = writer_pool("treasure/v1/treasure_type_updated.proto", 1);
    let desc = pool
        .get_message_by_name("treasure.v1.TreasureTypeUpdated")
        .unwrap();
    assert!(
        desc.get_field_by_name("display_name").is_none(),
        "v1 predates display_name"
    );
    let mut v1 = DynamicMessage::new(desc);
    v1.set_field_by_name("treasure_type", Value::String("silver-coin".into()));
    v1.set_field_by_name("points", Value::U32(5));
    v1.set_field_by_name("rarity", Value::EnumNumber(2));
    let bytes = framed(id_of(UPDATED, 1), &[0], &v1.encode_to_vec());

    let hunt_42::Event::TreasureTypeUpdated(decoded) = hunt_42::decode(&bytes).unwrap().event
    else {
        panic!("wrong variant");
    };
    assert_eq!(decoded.treasure_type, "silver-coin");
    assert_eq!(decoded.points, 5);
    assert_eq!(decoded.rarity(), Rarity::Rare);
    assert_eq!(decoded.display_name, "");
}

#[test]
fn a_producer_subject_holding_the_same_schema_shares_its_id() {
    // `treasure-found-value` (a producer's TopicNameStrategy subject) holds ID 3, the same
    // schema as `treasure/v1/treasure_found.proto` version 1.
    let pool = writer_pool("treasure-found-value", 1);
    let mut found = DynamicMessage::new(
        pool.get_message_by_name("treasure.v1.TreasureFound")
            .unwrap(),
    );
    found.set_field_by_name("treasure_type", Value::String("ruby".into()));
    let bytes = framed(
        id_of("treasure-found-value", 1),
        &[0],
        &found.encode_to_vec(),
    );
    assert!(
        matches!(hunt_42::decode(&bytes).map(|d| d.event), Ok(hunt_42::Event::TreasureFound(f)) if f.treasure_type == "ruby")
    );
}

#[test]
fn nested_messages_dispatch_and_map_entries_do_not() {
    let entry = leaderboard_changed::Entry {
        score: 7,
        rank: 2,
        player: None,
    };
    let leaderboard_v1 = id_of(LEADERBOARD, 1);
    let bytes = framed(leaderboard_v1, &[0, 0], &entry.encode_to_vec());
    assert_eq!(
        hunt_42::decode(&bytes).map(|d| d.event),
        Ok(hunt_42::Event::LeaderboardChangedEntry(entry))
    );
    // [0, 1] is the synthetic `ScoreByTeamEntry` map-entry message.
    let err = hunt_42::decode(&framed(leaderboard_v1, &[0, 1], &[])).unwrap_err();
    assert!(
        matches!(err, DecodeError::UnknownMessageIndex { id, .. } if id == leaderboard_v1),
        "{err:?}"
    );
    assert!(matches!(
        hunt_42::decode(&framed(leaderboard_v1, &[5], &[])),
        Err(DecodeError::UnknownMessageIndex { .. })
    ));
}

#[test]
fn unknown_enum_values_survive_decoding() {
    let update = TreasureTypeUpdated {
        treasure_type: "from-the-future".into(),
        rarity: 99,
        ..Default::default()
    };
    let hunt_42::Event::TreasureTypeUpdated(decoded) =
        hunt_42::decode(&update.clone().into_event_bytes())
            .unwrap()
            .event
    else {
        panic!("wrong variant");
    };
    assert_eq!(decoded.rarity, 99);
    assert!(Rarity::try_from(decoded.rarity).is_err());
    // Re-encoding keeps the value for the next consumer.
    assert_eq!(decoded.encode_to_vec(), update.encode_to_vec());
}

trait SchemaId {
    fn schema_id(&self) -> u32;
}

impl<M: huntreg_runtime::Registered> SchemaId for M {
    fn schema_id(&self) -> u32 {
        M::SCHEMA_ID
    }
}

trait IntoEventBytes {
    fn into_event_bytes(self) -> Vec<u8>;
}

impl<M: huntreg_runtime::Registered> IntoEventBytes for M {
    fn into_event_bytes(self) -> Vec<u8> {
        huntreg_runtime::encode(&self)
    }
}

#[test]
fn unknown_ids_are_typed_errors_and_hunts_are_isolated() {
    assert_eq!(
        hunt_42::decode(&framed(0x9d, &[0], &[])),
        Err(DecodeError::UnknownId {
            hunt: "hunt-42",
            id: 0x9d
        })
    );
    // hunt-7's ClueSolved never decodes as a hunt-42 type.
    let hunt_7_bytes = hunt_7::scavenger::v1::ClueSolved {
        team_id: "t".into(),
        ..Default::default()
    }
    .into_event_bytes();
    assert!(hunt_7::decode(&hunt_7_bytes).is_ok());
    assert_eq!(
        hunt_42::decode(&hunt_7_bytes),
        Err(DecodeError::UnknownId {
            hunt: "hunt-42",
            id: hunt_7::scavenger::v1::ClueSolved::default().schema_id(),
        })
    );
    assert!(hunt_7::KNOWN_IDS
        .iter()
        .all(|id| !hunt_42::KNOWN_IDS.contains(id)));
}

/// hunt-7's `HintRevealed` is written in edition 2023: its generated type keeps explicit
/// presence (`cost: Option<u32>`) and implicit presence (`team_id: String`) as declared,
/// and a record decodes back to the same value, a zero cost included.
#[test]
fn the_edition_2023_event_keeps_its_presence() {
    use hunt_7::scavenger::v1::{Difficulty, HintRevealed};
    let free = HintRevealed {
        team_id: "t".into(),
        clue_id: "c".into(),
        cost: Some(0),
        difficulty: Difficulty::Hard.into(),
        words: vec!["north".into(), "well".into()],
    };
    let decoded = hunt_7::decode(&free.clone().into_event_bytes()).unwrap();
    assert_eq!(decoded.event, hunt_7::Event::HintRevealed(free.clone()));
    // Set to zero and unset are two records on the wire.
    let unknown = HintRevealed {
        cost: None,
        ..free.clone()
    };
    assert_ne!(free.encode_to_vec(), unknown.encode_to_vec());
    let decoded = hunt_7::decode(&unknown.clone().into_event_bytes()).unwrap();
    assert_eq!(decoded.event, hunt_7::Event::HintRevealed(unknown));
}

/// hunt-23 is written in edition 2023 as a whole: explicit presence by default (a split of
/// 0 seconds is not an unknown split), implicit where a field says so, and heart rates
/// expanded on the wire (one tag per reading) as the file asks.
#[test]
fn the_edition_2023_hunt_decodes_with_its_features() {
    use huntreg_hunts::hunt_23::{
        self,
        relay::v1::{BatonPassed, Checkpoint, Mode},
    };
    let passed = BatonPassed {
        team_id: "t".into(),
        at: Some(Checkpoint {
            id: "cp-3".into(),
            latitude: Some(1.5),
            longitude: None,
        }),
        mode: Some(Mode::Bike.into()),
        split_seconds: Some(0),
        heart_rates: vec![-1, 2],
    };
    let decoded = hunt_23::decode(&passed.clone().into_event_bytes()).unwrap();
    assert_eq!(decoded.event, hunt_23::Event::BatonPassed(passed.clone()));
    let bytes = passed.encode_to_vec();
    // Field 5 as two varint records (tag 0x28), not one packed record (tag 0x2a).
    assert!(bytes.ends_with(&[0x28, 0x01, 0x28, 0x04]), "{bytes:02x?}");
    let unknown = BatonPassed {
        split_seconds: None,
        ..passed.clone()
    };
    assert_ne!(unknown.encode_to_vec(), bytes);
    assert!(hunt_23::KNOWN_IDS
        .iter()
        .all(|id| !hunt_7::KNOWN_IDS.contains(id) && !hunt_42::KNOWN_IDS.contains(id)));
}

#[test]
fn broken_records_are_typed_errors() {
    assert_eq!(hunt_42::decode(&[]), Err(DecodeError::Empty));
    assert_eq!(
        hunt_42::decode(b"{\"json\":1}"),
        Err(DecodeError::BadMagic { byte: b'{' })
    );
    assert_eq!(
        hunt_42::decode(&[0, 0, 0]),
        Err(DecodeError::TruncatedHeader { len: 3 })
    );
    assert_eq!(hunt_42::decode(&[1; 30]), Err(DecodeError::GuidFraming));
    let updated_v2 = id_of(UPDATED, 2);
    let err = hunt_42::decode(&framed(updated_v2, &[0], &[0xff, 0xff, 0xff])).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::Payload {
                id,
                message: "treasure.v1.TreasureTypeUpdated",
                ..
            } if id == updated_v2
        ),
        "{err:?}"
    );
}

/// Answers like a registry that has registered ID 100 as version 3 of the type-update
/// subject, and ID 200 in hunt-7.
struct Registry {
    calls: AtomicUsize,
}

impl Resolver for Registry {
    fn subjects(&self, hunt: &str, id: u32) -> Result<Vec<String>, ResolveError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        assert_eq!(hunt, "hunt-42");
        match id {
            100 => Ok(vec![
                ":.hunt-42:treasure/v1/treasure_type_updated.proto".into()
            ]),
            101 => Ok(vec![":.hunt-42:leaderboard/v1/leaderboard.proto".into()]),
            200 => Ok(vec![":.hunt-7:scavenger/v1/clue_solved.proto".into()]),
            500 => Err(ResolveError::new("registry unreachable")),
            _ => Ok(vec![]),
        }
    }

    fn message_name(
        &self,
        _hunt: &str,
        id: u32,
        index: &[u32],
    ) -> Result<Option<String>, ResolveError> {
        // ID 101: a leaderboard version that declares LeaderboardReset first, then a
        // message this build has never seen.
        Ok(match (id, index) {
            (101, [0]) => Some("leaderboard.v1.LeaderboardReset".into()),
            (101, [1]) => Some("leaderboard.v1.LeaderboardFrozen".into()),
            _ => None,
        })
    }
}

#[test]
fn resolver_confirms_new_ids_of_known_subjects() {
    let resolver = CachingResolver::new(Registry {
        calls: AtomicUsize::new(0),
    });
    let update = TreasureTypeUpdated {
        treasure_type: "v3".into(),
        ..Default::default()
    };
    let new_id = framed(100, &[0], &update.encode_to_vec());
    assert!(matches!(
        hunt_42::decode(&new_id),
        Err(DecodeError::UnknownId { id: 100, .. })
    ));
    for _ in 0..3 {
        assert_eq!(
            hunt_42::decode_with(&new_id, &resolver).map(|d| d.event),
            Ok(update.clone().into())
        );
    }
    // The subject is the one the resolver named (unqualified); it knew no version.
    let decoded = hunt_42::decode_with(&new_id, &resolver).unwrap();
    assert_eq!(
        (decoded.subject.as_deref(), decoded.version),
        (Some("treasure/v1/treasure_type_updated.proto"), None)
    );
    assert_eq!(
        resolver.inner().calls.load(Ordering::SeqCst),
        1,
        "answers are cached"
    );

    // Known IDs never reach the resolver.
    let known = huntreg_runtime::encode(&update);
    assert!(hunt_42::decode_with(&known, &resolver).is_ok());
    assert_eq!(resolver.inner().calls.load(Ordering::SeqCst), 1);

    // An ID of another hunt's subject, or one the registry does not know, stays unknown.
    assert_eq!(
        hunt_42::decode_with(&framed(200, &[0], &[]), &resolver),
        Err(DecodeError::UnknownId {
            hunt: "hunt-42",
            id: 200
        })
    );
    assert_eq!(
        hunt_42::decode_with(&framed(300, &[0], &[]), &resolver),
        Err(DecodeError::UnknownId {
            hunt: "hunt-42",
            id: 300
        })
    );
    let err = hunt_42::decode_with(&framed(500, &[0], &[]), &resolver).unwrap_err();
    assert!(
        matches!(err, DecodeError::Resolver { id: 500, .. }),
        "{err:?}"
    );
    // A new ID of a known subject with an index the newest type does not have.
    assert!(matches!(
        hunt_42::decode_with(&framed(100, &[3], &[]), &resolver),
        Err(DecodeError::UnknownMessageIndex { id: 100, .. })
    ));
    // When the resolver names the message, the name decides, not the build's index.
    let reset = LeaderboardReset {
        reason: "moved".into(),
        sequence: 9,
    };
    assert_eq!(
        hunt_42::decode_with(&framed(101, &[0], &reset.encode_to_vec()), &resolver)
            .map(|d| d.event),
        Ok(reset.into())
    );
    assert!(matches!(
        hunt_42::decode_with(&framed(101, &[1], &[]), &resolver),
        Err(DecodeError::UnknownMessageIndex { id: 101, .. })
    ));
}

#[test]
fn the_lockfile_pins_the_schemas_directory() {
    // The newest version of every file subject is the file in schemas/<hunt>/.
    let lock = huntreg_codegen::Lockfile::parse(LOCKFILE).unwrap();
    assert_eq!(lock.render(), LOCKFILE, "the lockfile is in canonical form");
    for hunt in &lock.hunts {
        for subject in hunt
            .subjects
            .iter()
            .filter(|s| s.subject.ends_with(".proto"))
        {
            let newest = subject.versions.iter().max_by_key(|v| v.version).unwrap();
            let path = format!("schemas/{}/{}", hunt.hunt, subject.subject);
            let on_disk =
                protox::compile([&subject.subject], [format!("schemas/{}", hunt.hunt)]).unwrap();
            let pinned = {
                let mut files = BTreeMap::new();
                files.insert(subject.subject.clone(), newest.schema.clone());
                for other in &hunt.subjects {
                    if let Some(v) = other.versions.iter().max_by_key(|v| v.version) {
                        files
                            .entry(other.subject.clone())
                            .or_insert(v.schema.clone());
                    }
                }
                let mut resolver = protox::file::ChainFileResolver::new();
                resolver.add(huntreg_schema::MemoryResolver::new().texts(files.into()));
                resolver.add(protox::file::GoogleFileResolver::new());
                let mut compiler = protox::Compiler::with_file_resolver(resolver);
                compiler.include_source_info(false);
                compiler.open_file(&subject.subject).unwrap();
                compiler.file_descriptor_set()
            };
            let file = |set: &prost_types::FileDescriptorSet| {
                set.file
                    .iter()
                    .find(|f| f.name() == subject.subject)
                    .cloned()
                    .unwrap()
            };
            let (on_disk, pinned) = (file(&on_disk), file(&pinned));
            // Producers compiling schemas/ count messages in the order the registry pinned.
            if !newest.messages.is_empty() {
                assert_eq!(
                    preorder(&on_disk),
                    newest.messages,
                    "{path}: message-index order"
                );
            }
            // Text can move a map entry among nested messages; everything else is equal.
            assert_eq!(
                normalize(on_disk),
                normalize(pinned),
                "{path} differs from its newest pinned version"
            );
        }
    }
}

/// Message names depth first, as Confluent message indexes count them.
fn preorder(file: &prost_types::FileDescriptorProto) -> Vec<String> {
    fn walk(prefix: &str, messages: &[prost_types::DescriptorProto], out: &mut Vec<String>) {
        for m in messages {
            let name = format!("{prefix}.{}", m.name());
            out.push(name.trim_start_matches('.').to_owned());
            walk(&name, &m.nested_type, out);
        }
    }
    let mut out = Vec::new();
    walk(
        &format!(".{}", file.package()),
        &file.message_type,
        &mut out,
    );
    out
}

fn normalize(mut file: prost_types::FileDescriptorProto) -> prost_types::FileDescriptorProto {
    fn sort(messages: &mut [prost_types::DescriptorProto]) {
        for m in messages.iter_mut() {
            m.nested_type.sort_by(|a, b| a.name().cmp(b.name()));
            sort(&mut m.nested_type);
        }
    }
    file.source_code_info = None;
    sort(&mut file.message_type);
    file
}

/// A kafkajs record: magic, schema ID, payload, no message-index section.
fn index_free(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0];
    bytes.extend_from_slice(&id.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

#[test]
fn index_free_records_decode_as_the_first_message_and_say_so() {
    // No hunt-42 schema has an index path 4 deep: the byte after the ID decides alone.
    assert!(hunt_42::DEEP_INDEX_IDS.is_empty());
    assert_eq!(
        (
            hunt_42::INDEX_FREE_FALLBACK,
            hunt_42_confluent::INDEX_FREE_FALLBACK
        ),
        (true, false)
    );
    let update = TreasureTypeUpdated {
        treasure_type: "ruby".into(),
        points: 5,
        ..Default::default()
    };
    for version in [1, 2] {
        let id = id_of(UPDATED, version);
        let decoded = hunt_42::decode(&index_free(id, &update.encode_to_vec())).unwrap();
        assert_eq!(decoded.event, update.clone().into());
        assert_eq!(
            (decoded.schema_id, decoded.framing),
            (id, Framing::IndexFree)
        );
    }
    // LeaderboardChanged is [0] of its schema; kafkajs cannot write LeaderboardReset ([1]).
    let changed = LeaderboardChanged {
        sequence: 9,
        ..Default::default()
    };
    let bytes = index_free(id_of(LEADERBOARD, 1), &changed.encode_to_vec());
    assert_eq!(
        hunt_42::decode(&bytes).map(|d| (d.event, d.framing)),
        Ok((changed.into(), Framing::IndexFree))
    );
    // The empty first message is the bare header; the Confluent-only build refuses it.
    let empty = index_free(id_of(UPDATED, 2), &[]);
    assert_eq!(
        hunt_42::decode(&empty).map(|d| (d.event, d.framing)),
        Ok((TreasureTypeUpdated::default().into(), Framing::IndexFree))
    );
    assert_eq!(
        hunt_42_confluent::decode(&empty),
        Err(DecodeError::TruncatedHeader { len: 5 })
    );
    // 0x0a (field 1, bytes) is a count of 5 to a Confluent-only reader.
    let err = hunt_42_confluent::decode(&index_free(id_of(UPDATED, 2), &update.encode_to_vec()))
        .unwrap_err();
    assert!(
        err.is_framing() || matches!(err, DecodeError::UnknownMessageIndex { .. }),
        "{err:?}"
    );
    // Resolved IDs fall back too.
    let resolver = Registry {
        calls: AtomicUsize::new(0),
    };
    let decoded =
        hunt_42::decode_with(&index_free(100, &update.encode_to_vec()), &resolver).unwrap();
    assert_eq!(
        (decoded.event, decoded.framing),
        (update.into(), Framing::IndexFree)
    );
}

/// What a decode of either build says, comparable across the two generated modules.
type View = Result<(u32, Framing, &'static str, Vec<u8>), DecodeError>;

fn view(r: Result<hunt_42::Decoded, DecodeError>) -> View {
    r.map(|d| {
        (
            d.schema_id,
            d.framing,
            d.event.full_name(),
            d.event.encode(),
        )
    })
}

fn view_confluent(r: Result<hunt_42_confluent::Decoded, DecodeError>) -> View {
    r.map(|d| {
        (
            d.schema_id,
            d.framing,
            d.event.full_name(),
            d.event.encode(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Every Confluent-framed record (any known or unknown ID, any index section a
    /// serializer writes up to 3 deep, any payload) decodes as the Confluent-only build
    /// decodes it, errors included.
    #[test]
    fn confluent_records_decode_as_before(
        id in prop_oneof![prop::sample::select(hunt_42::KNOWN_IDS), any::<u32>()],
        index in proptest::collection::vec(0u32..4, 1..=3),
        payload in proptest::collection::vec(any::<u8>(), 0..48),
    ) {
        let bytes = framed(id, &index, &payload);
        let lenient = view(hunt_42::decode(&bytes));
        prop_assert_eq!(&lenient, &view_confluent(hunt_42_confluent::decode(&bytes)));
        if let Ok((_, framing, _, _)) = lenient {
            prop_assert_eq!(framing, Framing::Confluent);
        }
        let resolver = Registry { calls: AtomicUsize::new(0) };
        prop_assert_eq!(
            view(hunt_42::decode_with(&bytes, &resolver)),
            view_confluent(hunt_42_confluent::decode_with(&bytes, &resolver))
        );
    }

    /// Every index-free record of a first message decodes as that message.
    #[test]
    fn index_free_first_messages_decode_as_themselves(
        treasure_type in "[a-z-]{0,16}",
        rarity in 0i32..6,
        points in any::<u32>(),
        tags in proptest::collection::vec("[a-z]{1,6}", 0..3),
        sequence in any::<u64>(),
        scores in proptest::collection::vec((any::<u64>(), any::<u32>()), 0..3),
        version in 1u32..=2,
    ) {
        let update = TreasureTypeUpdated {
            treasure_type,
            rarity,
            points,
            tags,
            ..Default::default()
        };
        let id = id_of(UPDATED, version);
        let decoded = hunt_42::decode(&index_free(id, &update.encode_to_vec())).unwrap();
        prop_assert_eq!((decoded.schema_id, decoded.framing), (id, Framing::IndexFree));
        prop_assert_eq!(decoded.event, update.into());
        let changed = LeaderboardChanged {
            top: scores
                .into_iter()
                .map(|(score, rank)| leaderboard_changed::Entry { score, rank, player: None })
                .collect(),
            sequence,
            ..Default::default()
        };
        let id = id_of(LEADERBOARD, 1);
        let decoded = hunt_42::decode(&index_free(id, &changed.encode_to_vec())).unwrap();
        prop_assert_eq!(decoded.framing, Framing::IndexFree);
        prop_assert_eq!(decoded.event, changed.into());
    }

    #[test]
    fn no_input_panics(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
        let _ = hunt_42::decode(&bytes);
        let _ = hunt_42_confluent::decode(&bytes);
        let _ = hunt_7::decode(&bytes);
        let resolver = Registry { calls: AtomicUsize::new(0) };
        let _ = hunt_42::decode_with(&bytes, &resolver);
        let _ = hunt_42_confluent::decode_with(&bytes, &resolver);
    }

    /// A known ID followed by anything: the index-free path never panics either.
    #[test]
    fn known_ids_with_arbitrary_tails_never_panic(
        id in prop::sample::select(hunt_42::KNOWN_IDS),
        tail in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let bytes = index_free(id, &tail);
        let _ = hunt_42::decode(&bytes);
        let resolver = Registry { calls: AtomicUsize::new(0) };
        let _ = hunt_42::decode_with(&index_free(100, &tail), &resolver);
        let _ = hunt_42::decode_with(&index_free(101, &tail), &resolver);
    }

    #[test]
    fn known_headers_with_arbitrary_payloads_never_panic(
        id in prop::sample::select(hunt_42::KNOWN_IDS),
        index in prop::sample::select(vec![vec![0u32], vec![1], vec![0, 0], vec![0, 1], vec![2]]),
        payload in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        match hunt_42::decode(&framed(id, &index, &payload)) {
            Ok(_) => {}
            Err(e) => prop_assert!(
                matches!(e, DecodeError::Payload { .. } | DecodeError::UnknownMessageIndex { .. }),
                "{e:?}"
            ),
        }
    }

    #[test]
    fn truncated_records_are_errors_or_shorter_messages(cut in 0usize..40) {
        let bytes = huntreg_runtime::encode(&TreasureTypeUpdated {
            treasure_type: "golden-doubloon".into(),
            display_name: "Golden".into(),
            points: 300,
            ..Default::default()
        });
        let cut = cut.min(bytes.len());
        match hunt_42::decode(&bytes[..cut]) {
            // Magic and ID alone are the empty first message, without an index section.
            Ok(d) if cut == 5 => prop_assert!(d.is_index_free(), "{d:?}"),
            Ok(d) => prop_assert!(cut >= 6, "decoded {d:?} from a {cut}-byte header"),
            Err(e) if cut < 5 => prop_assert!(e.is_framing(), "{e:?}"),
            Err(e) => prop_assert!(matches!(e, DecodeError::Payload { .. }), "{e:?}"),
        }
        match hunt_42_confluent::decode(&bytes[..cut]) {
            Ok(d) => prop_assert!(cut >= 6, "decoded {d:?} from a {cut}-byte header"),
            Err(e) if cut < 6 => prop_assert!(e.is_framing(), "{e:?}"),
            Err(e) => prop_assert!(matches!(e, DecodeError::Payload { .. }), "{e:?}"),
        }
    }
}
