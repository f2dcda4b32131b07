//! Encoding: framing a message as a Confluent record, with the schema ID and message index
//! the build pinned ([`Registered`], [`encode`]) or the ones a generated `encode_as` picked
//! for a subject ([`encode_framed`]), and [`EncodeError`] for a subject that cannot frame
//! the message.

use std::fmt;

use crate::write_header;

/// A message type generated for a hunt: what [`encode`] needs to frame it.
///
/// Generated code implements it for every message that has a registered schema; the
/// constants name the newest registered schema that defines the message: of the subjects
/// whose newest version defines it, the one with the highest schema ID. That can be
/// another producer's subject (the same message under `found-value` and
/// `treasure/v1/found.proto`); a generated `Event::encode_as(subject)` frames with the
/// subject the caller names instead.
pub trait Registered: prost::Message + Sized {
    /// The schema ID producers frame this message with (the newest registered version).
    const SCHEMA_ID: u32;
    /// The message's index path in that schema (`[0]` = its first top-level message).
    const MESSAGE_INDEX: &'static [u32];
    /// The fully qualified protobuf name, e.g. `treasure.v1.TreasureFound`.
    const FULL_NAME: &'static str;
}

/// Frames `message` with its schema ID and message index, as Confluent serializers do.
pub fn encode<M: Registered>(message: &M) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + message.encoded_len());
    encode_to(message, &mut out);
    out
}

/// Appends the framed encoding of `message` to `out`.
pub fn encode_to<M: Registered>(message: &M, out: &mut Vec<u8>) {
    write_header(M::SCHEMA_ID, M::MESSAGE_INDEX, out);
    out.reserve(message.encoded_len());
    // Encoding into a Vec cannot run out of capacity: `reserve` grows it.
    message.encode_raw(out);
}

/// Frames `message` with schema ID `id` and message-index path `index`, as a Confluent
/// serializer does: what a generated `Event::encode_as(subject)` writes once it has
/// picked the subject's schema ID and the message's index in it.
pub fn encode_framed<M: prost::Message>(id: u32, index: &[u32], message: &M) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + index.len() + message.encoded_len());
    write_header(id, index, &mut out);
    // Encoding into a Vec cannot run out of capacity: it grows.
    message.encode_raw(&mut out);
    out
}

/// Why a generated `Event::encode_as(subject)` could not frame a message for a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The build knows no subject of that name in the hunt (or the name is qualified with
    /// another hunt's context).
    UnknownSubject {
        /// The hunt the code was generated for.
        hunt: &'static str,
        /// The subject asked for.
        subject: String,
    },
    /// The subject's newest version in the build does not define the message.
    NotInSubject {
        /// The hunt the code was generated for.
        hunt: &'static str,
        /// The subject asked for.
        subject: String,
        /// The message's fully qualified protobuf name.
        message: &'static str,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::UnknownSubject { hunt, subject } => {
                write!(f, "hunt {hunt} has no subject {subject} in this build")
            }
            EncodeError::NotInSubject {
                hunt,
                subject,
                message,
            } => write!(
                f,
                "the newest version of subject {subject} (hunt {hunt}) does not define message {message}"
            ),
        }
    }
}

impl std::error::Error for EncodeError {}
