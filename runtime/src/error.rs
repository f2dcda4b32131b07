//! `DecodeError`: every way a record can fail to decode, as data a consumer can route
//! (typically to a dead-letter topic). Decoding never panics.

use std::fmt;

use crate::{MessageIndex, ResolveError};

/// Why a record did not decode. Framing errors come first (the bytes are not a Confluent
/// record), then dispatch errors (the record names a schema this build does not know),
/// then payload errors (the protobuf bytes do not parse as the dispatched type).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The record has no bytes at all.
    Empty,
    /// The first byte is not Confluent's magic byte `0x00`.
    BadMagic {
        /// The byte found.
        byte: u8,
    },
    /// The record uses Confluent 8's GUID framing (magic `0x01`), which names a schema by
    /// GUID rather than ID; huntreg decoders dispatch on IDs only.
    GuidFraming,
    /// The record ends inside its header (magic, 4-byte ID, message-index array).
    TruncatedHeader {
        /// The record's length.
        len: usize,
    },
    /// A message-index varint is longer than 5 bytes or overflows 32 bits.
    BadVarint {
        /// Byte offset of the varint in the record.
        offset: usize,
    },
    /// The message-index array is deeper than [`crate::MAX_INDEX_DEPTH`].
    IndexCountTooLarge {
        /// The count the record claims.
        count: u32,
    },
    /// A message-index count or index is negative.
    InvalidIndex {
        /// Byte offset of the varint in the record.
        offset: usize,
        /// The decoded value.
        value: i32,
    },
    /// No registered version of the hunt known to this build has this schema ID (and no
    /// resolver confirmed it belongs to one of the hunt's subjects).
    UnknownId {
        /// The hunt the decoder was generated for.
        hunt: &'static str,
        /// The schema ID in the record.
        id: u32,
    },
    /// The schema ID is known but has no message at this index path.
    UnknownMessageIndex {
        /// The schema ID in the record.
        id: u32,
        /// The index path in the record.
        index: MessageIndex,
    },
    /// The payload is not a valid encoding of the dispatched message type.
    Payload {
        /// The schema ID in the record.
        id: u32,
        /// The protobuf message the record was dispatched to.
        message: &'static str,
        /// What prost reported.
        source: prost::DecodeError,
    },
    /// The resolver could not answer for a schema ID newer than the build.
    Resolver {
        /// The schema ID in the record.
        id: u32,
        /// What the resolver reported.
        source: ResolveError,
    },
}

impl DecodeError {
    /// True for errors about the bytes' framing rather than the schema they name.
    pub fn is_framing(&self) -> bool {
        matches!(
            self,
            DecodeError::Empty
                | DecodeError::BadMagic { .. }
                | DecodeError::GuidFraming
                | DecodeError::TruncatedHeader { .. }
                | DecodeError::BadVarint { .. }
                | DecodeError::IndexCountTooLarge { .. }
                | DecodeError::InvalidIndex { .. }
        )
    }

    /// True when the record names a schema ID this build (and its resolver) does not know.
    pub fn is_unknown_id(&self) -> bool {
        matches!(self, DecodeError::UnknownId { .. })
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => f.write_str("empty record: expected a Confluent-framed message"),
            DecodeError::BadMagic { byte } => {
                write!(
                    f,
                    "bad magic byte 0x{byte:02x}: expected 0x00 (Confluent framing)"
                )
            }
            DecodeError::GuidFraming => f.write_str(
                "record uses GUID framing (magic 0x01); only ID framing (magic 0x00) is supported",
            ),
            DecodeError::TruncatedHeader { len } => {
                write!(f, "record of {len} bytes ends inside its Confluent header")
            }
            DecodeError::BadVarint { offset } => {
                write!(f, "malformed message-index varint at byte {offset}")
            }
            DecodeError::IndexCountTooLarge { count } => write!(
                f,
                "message-index array of {count} entries exceeds the maximum of {}",
                crate::MAX_INDEX_DEPTH
            ),
            DecodeError::InvalidIndex { offset, value } => {
                write!(f, "negative message-index value {value} at byte {offset}")
            }
            DecodeError::UnknownId { hunt, id } => {
                write!(f, "no known schema for ID {id} (0x{id:x}) in hunt {hunt}")
            }
            DecodeError::UnknownMessageIndex { id, index } => {
                write!(f, "schema ID {id} has no message at index {index}")
            }
            DecodeError::Payload {
                id,
                message,
                source,
            } => write!(
                f,
                "payload of schema ID {id} is not a valid {message}: {source}"
            ),
            DecodeError::Resolver { id, source } => {
                write!(f, "could not resolve schema ID {id}: {source}")
            }
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Payload { source, .. } => Some(source),
            DecodeError::Resolver { source, .. } => Some(source),
            _ => None,
        }
    }
}
