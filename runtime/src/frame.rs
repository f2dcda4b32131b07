//! Confluent wire framing: parsing a record's header and writing one. The only code that
//! knows the byte layout (magic byte, big-endian schema ID, zig-zag varint message indexes)
//! and how to tell it from kafkajs's index-free records.

use std::fmt;

use crate::DecodeError;

/// The magic byte of Confluent's ID-prefixed framing.
pub const MAGIC: u8 = 0x00;

/// The magic byte of Confluent 8's GUID-prefixed framing (`0x01` + 16-byte GUID). huntreg
/// decoders recognise it and answer [`DecodeError::GuidFraming`].
pub const MAGIC_GUID: u8 = 0x01;

/// The deepest message-index path a frame may carry. Deeper paths (messages nested more
/// than this many levels) are refused with [`DecodeError::IndexCountTooLarge`].
pub const MAX_INDEX_DEPTH: usize = 16;

/// A message-index path: which message of the writer's schema file a record holds.
/// `[0]` is the first top-level message, `[1, 0]` the first nested message of the second.
#[derive(Clone, Copy)]
pub struct MessageIndex {
    len: u8,
    path: [u32; MAX_INDEX_DEPTH],
}

impl MessageIndex {
    /// The path `[0]`: the first top-level message.
    pub const FIRST: MessageIndex = MessageIndex {
        len: 1,
        path: [0; MAX_INDEX_DEPTH],
    };

    /// Builds an index path; `None` when it is longer than [`MAX_INDEX_DEPTH`] or empty.
    pub fn new(path: &[u32]) -> Option<MessageIndex> {
        if path.is_empty() || path.len() > MAX_INDEX_DEPTH {
            return None;
        }
        let mut index = MessageIndex {
            len: 0,
            path: [0; MAX_INDEX_DEPTH],
        };
        index.path[..path.len()].copy_from_slice(path);
        index.len = path.len() as u8;
        Some(index)
    }

    /// The path as a slice (never empty).
    pub fn as_slice(&self) -> &[u32] {
        &self.path[..usize::from(self.len)]
    }
}

impl PartialEq for MessageIndex {
    fn eq(&self, other: &MessageIndex) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for MessageIndex {}

impl fmt::Debug for MessageIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl fmt::Display for MessageIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// How a record's header was read.
///
/// Confluent's serializers write a message-index section between the schema ID and the
/// payload; @kafkajs/confluent-schema-registry writes none. A decoder reading both
/// (see [`Frame::parse_lenient`]) says which one each record had, so a consumer can count
/// the records that took the index-free reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framing {
    /// Magic byte, schema ID, message-index section, payload: what Confluent's serializers
    /// (Java, Python, JavaScript, Go, .NET) write.
    Confluent,
    /// Magic byte, schema ID, payload, with no message-index section: what
    /// @kafkajs/confluent-schema-registry writes. The payload is the schema's first
    /// message (index `[0]`).
    IndexFree,
}

/// A parsed record: schema ID, message index and the protobuf payload it frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The schema ID the producer registered.
    pub id: u32,
    /// Which message of that schema the payload holds.
    pub index: MessageIndex,
    /// The protobuf-encoded message.
    pub payload: &'a [u8],
    /// Whether the record had a message-index section ([`Framing::IndexFree`] only from
    /// [`Frame::parse_lenient`]).
    pub framing: Framing,
}

/// The smallest first byte of a protobuf payload: a tag with field number 1 or more. A
/// message-index section starting below it (a count of 0 to 3 indexes, or an invalid
/// negative count) cannot be a payload; from it up, only a section of 4 or more indexes
/// can be.
pub const MIN_PAYLOAD_BYTE: u8 = 8;

/// The common case without building a [`Frame`]: a record framed for the first message of
/// its schema (index array `[0]` written as the single byte `0x00`) is split into its
/// schema ID and payload. `None` for anything else, which [`Frame::parse`] handles.
#[inline(always)]
pub fn split_first_message(bytes: &[u8]) -> Option<(u32, &[u8])> {
    match bytes {
        [MAGIC, a, b, c, d, 0, payload @ ..] => {
            Some((u32::from_be_bytes([*a, *b, *c, *d]), payload))
        }
        _ => None,
    }
}

impl<'a> Frame<'a> {
    /// Parses Confluent's ID-prefixed framing. Every malformed input is a typed error.
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Result<Frame<'a>, DecodeError> {
        let (id, rest) = header(bytes)?;
        index_section(bytes, id, rest)
    }

    /// Parses Confluent's framing or kafkajs's (no message-index section), telling them
    /// apart by the byte after the schema ID; `deep_paths(id)` lists the schema's index
    /// paths 4 or more deep, the only sections that byte cannot tell from a payload.
    ///
    /// - Nothing after the ID: the schema's first message, empty ([`Framing::IndexFree`]).
    /// - A byte below [`MIN_PAYLOAD_BYTE`]: an index section, parsed as [`Frame::parse`]
    ///   does, with the same typed errors.
    /// - From [`MIN_PAYLOAD_BYTE`] up: an index section only when it parses and names one
    ///   of `deep_paths(id)` (never asked unless this case arises); otherwise no index
    ///   section, and everything after the ID is the payload of message `[0]`.
    ///
    /// ```
    /// use huntreg_runtime::{Frame, Framing, MessageIndex};
    ///
    /// // kafkajs: magic, ID 7, then the payload (field 1, varint 150).
    /// let frame = Frame::parse_lenient(&[0, 0, 0, 0, 7, 0x08, 0x96, 0x01], |_| &[]).unwrap();
    /// assert_eq!((frame.index, frame.framing), (MessageIndex::FIRST, Framing::IndexFree));
    /// assert_eq!(frame.payload, [0x08, 0x96, 0x01]);
    ///
    /// // The same first byte names the index path [0, 0, 0, 0] of a schema that has one.
    /// let deep: &[&[u32]] = &[&[0, 0, 0, 0]];
    /// let frame = Frame::parse_lenient(&[0, 0, 0, 0, 7, 8, 0, 0, 0, 0, 0x08, 0x01], |_| deep).unwrap();
    /// assert_eq!((frame.index.as_slice(), frame.framing), (&[0, 0, 0, 0][..], Framing::Confluent));
    /// ```
    #[inline]
    pub fn parse_lenient<'p>(
        bytes: &'a [u8],
        deep_paths: impl FnOnce(u32) -> &'p [&'p [u32]],
    ) -> Result<Frame<'a>, DecodeError> {
        let (id, rest) = header(bytes)?;
        match rest.first() {
            Some(&byte) if byte < MIN_PAYLOAD_BYTE => index_section(bytes, id, rest),
            Some(_) => {
                let deep = deep_paths(id);
                if !deep.is_empty() {
                    if let Ok(frame) = index_section(bytes, id, rest) {
                        if deep.contains(&frame.index.as_slice()) {
                            return Ok(frame);
                        }
                    }
                }
                Ok(Frame::index_free(id, rest))
            }
            None => Ok(Frame::index_free(id, rest)),
        }
    }

    fn index_free(id: u32, payload: &'a [u8]) -> Frame<'a> {
        Frame {
            id,
            index: MessageIndex::FIRST,
            payload,
            framing: Framing::IndexFree,
        }
    }
}

/// The magic byte and schema ID; returns the ID and the bytes after it.
#[inline]
fn header(bytes: &[u8]) -> Result<(u32, &[u8]), DecodeError> {
    let (&magic, rest) = bytes.split_first().ok_or(DecodeError::Empty)?;
    if magic != MAGIC {
        return Err(if magic == MAGIC_GUID {
            DecodeError::GuidFraming
        } else {
            DecodeError::BadMagic { byte: magic }
        });
    }
    match rest {
        [a, b, c, d, rest @ ..] => Ok((u32::from_be_bytes([*a, *b, *c, *d]), rest)),
        _ => Err(DecodeError::TruncatedHeader { len: bytes.len() }),
    }
}

/// The message-index section `rest` starts with (`bytes` is the whole record, for
/// offsets and lengths in errors), and the payload after it.
#[inline]
fn index_section<'a>(bytes: &'a [u8], id: u32, rest: &'a [u8]) -> Result<Frame<'a>, DecodeError> {
    let confluent = |index, payload| Frame {
        id,
        index,
        payload,
        framing: Framing::Confluent,
    };
    // The common case: the array `[0]` written as the single byte 0x00.
    if let [0, payload @ ..] = rest {
        return Ok(confluent(MessageIndex::FIRST, payload));
    }
    let mut cursor = Cursor {
        bytes: rest,
        offset: 5,
    };
    let count = cursor.zigzag(bytes.len())?;
    if count <= 0 {
        // Zero was handled above only for its one-byte form; a longer encoding of zero
        // still means `[0]`. A negative count is invalid.
        if count == 0 {
            return Ok(confluent(MessageIndex::FIRST, cursor.bytes));
        }
        return Err(DecodeError::InvalidIndex {
            offset: 5,
            value: count,
        });
    }
    if count as usize > MAX_INDEX_DEPTH {
        return Err(DecodeError::IndexCountTooLarge {
            count: count as u32,
        });
    }
    let mut index = MessageIndex {
        len: count as u8,
        path: [0; MAX_INDEX_DEPTH],
    };
    for slot in &mut index.path[..count as usize] {
        let offset = cursor.offset;
        let value = cursor.zigzag(bytes.len())?;
        *slot = u32::try_from(value).map_err(|_| DecodeError::InvalidIndex { offset, value })?;
    }
    Ok(confluent(index, cursor.bytes))
}

struct Cursor<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl Cursor<'_> {
    /// Reads one zig-zag varint of at most 5 bytes (Kafka's `ByteUtils.readVarint`).
    fn zigzag(&mut self, total_len: usize) -> Result<i32, DecodeError> {
        let start = self.offset;
        let mut raw: u32 = 0;
        for (i, &byte) in self.bytes.iter().enumerate().take(5) {
            if i == 4 && byte > 0x0f {
                return Err(DecodeError::BadVarint { offset: start });
            }
            raw |= u32::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.bytes = &self.bytes[i + 1..];
                self.offset += i + 1;
                return Ok(((raw >> 1) as i32) ^ -((raw & 1) as i32));
            }
        }
        if self.bytes.len() >= 5 {
            Err(DecodeError::BadVarint { offset: start })
        } else {
            Err(DecodeError::TruncatedHeader { len: total_len })
        }
    }
}

/// Appends the header for schema `id` and message `index` to `out`, as Confluent
/// serializers write it (`[0]` as the single byte `0x00`).
pub fn write_header(id: u32, index: &[u32], out: &mut Vec<u8>) {
    out.push(MAGIC);
    out.extend_from_slice(&id.to_be_bytes());
    if index == [0] || index.is_empty() {
        out.push(0);
        return;
    }
    write_zigzag(index.len() as i32, out);
    for &i in index {
        write_zigzag(i as i32, out);
    }
}

fn write_zigzag(value: i32, out: &mut Vec<u8>) {
    let mut raw = ((value << 1) ^ (value >> 31)) as u32;
    while raw >= 0x80 {
        out.push((raw as u8) | 0x80);
        raw >>= 7;
    }
    out.push(raw as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(id: u32, index: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        write_header(id, index, &mut out);
        out
    }

    #[test]
    fn index_arrays_are_written_as_confluent_serializers_write_them() {
        // Examples from Confluent's MessageIndexes and confluent-kafka-python.
        assert_eq!(header(1, &[0]), [0, 0, 0, 0, 1, 0x00]);
        assert_eq!(header(1, &[1])[5..], [0x02, 0x02]);
        assert_eq!(header(1, &[2])[5..], [0x02, 0x04]);
        assert_eq!(header(1, &[0, 1])[5..], [0x04, 0x00, 0x02]);
        assert_eq!(header(1, &[3, 0, 2])[5..], [0x06, 0x06, 0x00, 0x04]);
        assert_eq!(header(0x0102_0304, &[0])[..5], [0, 1, 2, 3, 4]);
    }

    #[test]
    fn the_fast_path_agrees_with_parse() {
        for bytes in [
            &[0, 0, 0, 1, 2, 0, 9][..],
            &[0, 0, 0, 1, 2, 0],
            &[0, 0, 0, 1, 2, 2, 2, 9],
            &[0, 0, 0, 1, 2],
            &[1, 0, 0, 1, 2, 0],
        ] {
            let parsed = Frame::parse(bytes)
                .ok()
                .filter(|f| f.index == MessageIndex::FIRST && bytes.get(5) == Some(&0))
                .map(|f| (f.id, f.payload));
            assert_eq!(split_first_message(bytes), parsed, "{bytes:?}");
        }
    }

    #[test]
    fn long_zero_count_means_first_message() {
        let frame = Frame::parse(&[0, 0, 0, 0, 9, 0x80, 0x00, 0xaa]).unwrap();
        assert_eq!(frame.index.as_slice(), &[0]);
        assert_eq!(frame.payload, &[0xaa]);
    }

    #[test]
    fn explicit_single_zero_index_is_first_message() {
        let frame = Frame::parse(&[0, 0, 0, 0, 9, 0x02, 0x00]).unwrap();
        assert_eq!(frame.index, MessageIndex::FIRST);
        assert!(frame.payload.is_empty());
    }

    #[test]
    fn malformed_headers_are_typed_errors() {
        assert_eq!(Frame::parse(&[]), Err(DecodeError::Empty));
        assert_eq!(
            Frame::parse(&[7, 0, 0, 0, 1, 0]),
            Err(DecodeError::BadMagic { byte: 7 })
        );
        assert_eq!(Frame::parse(&[1; 21]), Err(DecodeError::GuidFraming));
        assert_eq!(
            Frame::parse(&[0, 0, 1]),
            Err(DecodeError::TruncatedHeader { len: 3 })
        );
        assert_eq!(
            Frame::parse(&[0, 0, 0, 0, 1]),
            Err(DecodeError::TruncatedHeader { len: 5 })
        );
        assert_eq!(
            Frame::parse(&[0, 0, 0, 0, 1, 0x04, 0x02]),
            Err(DecodeError::TruncatedHeader { len: 7 })
        );
        assert_eq!(
            Frame::parse(&[0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(DecodeError::BadVarint { offset: 5 })
        );
        assert_eq!(
            Frame::parse(&[0, 0, 0, 0, 1, 0x22]),
            Err(DecodeError::IndexCountTooLarge { count: 17 })
        );
        assert_eq!(
            Frame::parse(&[0, 0, 0, 0, 1, 0x01]),
            Err(DecodeError::InvalidIndex {
                offset: 5,
                value: -1
            })
        );
        assert_eq!(
            Frame::parse(&[0, 0, 0, 0, 1, 0x02, 0x03]),
            Err(DecodeError::InvalidIndex {
                offset: 6,
                value: -2
            })
        );
    }

    const NO_DEEP: fn(u32) -> &'static [&'static [u32]] = |_| &[];

    #[test]
    fn lenient_reads_sections_below_8_as_parse_does() {
        for bytes in [
            &[0, 0, 0, 0, 1, 0x00, 0x08, 0x01][..],
            &[0, 0, 0, 0, 1, 0x02, 0x02, 0x08],
            &[0, 0, 0, 0, 1, 0x06, 0x06, 0x00, 0x04],
            &[0, 0, 0, 0, 1, 0x04, 0x02],
            &[0, 0, 0, 0, 1, 0x01],
            &[0, 0, 0, 0, 1, 0x07, 0x02],
            &[0, 0, 0, 1],
            &[1; 21],
            &[],
        ] {
            assert_eq!(
                Frame::parse_lenient(bytes, NO_DEEP),
                Frame::parse(bytes),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn lenient_reads_8_and_up_as_a_payload_of_the_first_message() {
        // kafkajs: field 1 varint, field 2 bytes, field 16 (two-byte tag), negative-looking.
        for payload in [
            &[0x08, 0x01][..],
            &[0x12, 0x01, b'x'],
            &[0x80, 0x01, 0x05],
            &[0x09, 0, 0, 0, 0, 0, 0, 0, 0],
            &[0x22, 0x00],
        ] {
            let mut bytes = vec![0, 0, 0, 0, 3];
            bytes.extend_from_slice(payload);
            let frame = Frame::parse_lenient(&bytes, NO_DEEP).unwrap();
            assert_eq!(frame.id, 3);
            assert_eq!(frame.index, MessageIndex::FIRST);
            assert_eq!(frame.payload, payload);
            assert_eq!(frame.framing, Framing::IndexFree);
        }
        // Nothing after the ID: the empty first message.
        let frame = Frame::parse_lenient(&[0, 0, 0, 0, 3], NO_DEEP).unwrap();
        assert_eq!(
            (frame.index, frame.payload, frame.framing),
            (MessageIndex::FIRST, &[][..], Framing::IndexFree)
        );
    }

    #[test]
    fn lenient_takes_a_deep_section_only_when_it_names_a_deep_path() {
        let deep: &[&[u32]] = &[&[0, 0, 0, 0], &[1, 2, 0, 0, 3]];
        let mut asked = Vec::new();
        let mut parse = |bytes: &[u8]| {
            let frame = Frame::parse_lenient(bytes, |id| {
                asked.push(id);
                deep
            })
            .unwrap();
            (
                frame.index.as_slice().to_vec(),
                frame.payload.len(),
                frame.framing,
            )
        };
        let named = [&header(5, &[0, 0, 0, 0])[..], &[0x08, 0x01]].concat();
        assert_eq!(parse(&named), (vec![0, 0, 0, 0], 2, Framing::Confluent));
        let named = header(5, &[1, 2, 0, 0, 3]);
        assert_eq!(parse(&named), (vec![1, 2, 0, 0, 3], 0, Framing::Confluent));
        // A well-formed section naming a path the schema lacks, and a malformed one.
        let unnamed = header(5, &[0, 0, 0, 1]);
        assert_eq!(parse(&unnamed), (vec![0], 5, Framing::IndexFree));
        assert_eq!(
            parse(&[0, 0, 0, 0, 5, 0x08, 0x00]),
            (vec![0], 2, Framing::IndexFree)
        );
        // Below 8 the schema's paths are never asked about.
        assert_eq!(parse(&header(5, &[1])), (vec![1], 0, Framing::Confluent));
        assert_eq!(asked, [5, 5, 5, 5]);
        // The strict parser reads the unnamed section as a Confluent one.
        assert_eq!(
            Frame::parse(&unnamed).unwrap().index.as_slice(),
            &[0, 0, 0, 1]
        );
    }
}
