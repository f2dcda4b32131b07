//! Confluent wire framing: parsing a record's header and writing one. The only code that
//! knows the byte layout (magic byte, big-endian schema ID, zig-zag varint message indexes).

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

/// A parsed record: schema ID, message index and the protobuf payload it frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The schema ID the producer registered.
    pub id: u32,
    /// Which message of that schema the payload holds.
    pub index: MessageIndex,
    /// The protobuf-encoded message.
    pub payload: &'a [u8],
}

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
        let (&magic, rest) = bytes.split_first().ok_or(DecodeError::Empty)?;
        if magic != MAGIC {
            return Err(if magic == MAGIC_GUID {
                DecodeError::GuidFraming
            } else {
                DecodeError::BadMagic { byte: magic }
            });
        }
        let (id, rest) = match rest {
            [a, b, c, d, rest @ ..] => (u32::from_be_bytes([*a, *b, *c, *d]), rest),
            _ => return Err(DecodeError::TruncatedHeader { len: bytes.len() }),
        };
        // The common case: the array `[0]` written as the single byte 0x00.
        if let [0, payload @ ..] = rest {
            return Ok(Frame {
                id,
                index: MessageIndex::FIRST,
                payload,
            });
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
                return Ok(Frame {
                    id,
                    index: MessageIndex::FIRST,
                    payload: cursor.bytes,
                });
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
            *slot =
                u32::try_from(value).map_err(|_| DecodeError::InvalidIndex { offset, value })?;
        }
        Ok(Frame {
            id,
            index,
            payload: cursor.bytes,
        })
    }
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
}
