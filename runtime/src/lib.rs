//! huntreg-runtime: what huntreg-generated decoders link. Confluent wire framing,
//! [`DecodeError`], and the [`Resolver`] trait for schema IDs newer than the build.
//!
//! Generated code calls [`Frame::parse`] on every record, dispatches on
//! `(frame.id, frame.index.as_slice())` with a `match`, and hands `frame.payload` to prost.
//! Nothing here allocates on the decode path, and no input makes it panic.
//!
//! The wire format (Confluent's "prefix" framing for PROTOBUF):
//!
//! ```text
//! 0x00 | schema id: 4 bytes big-endian | message-index array | protobuf payload
//! ```
//!
//! The message-index array is a zig-zag varint count followed by that many zig-zag varint
//! indexes; the common array `[0]` (the first message of the file) is the single byte `0x00`.
//!
//! @kafkajs/confluent-schema-registry writes no message-index array: `0x00 | id | payload`,
//! always the schema's first message. [`Frame::parse_lenient`] reads both and says which
//! one a record had ([`Framing`]): an index array of up to 3 indexes starts below 8, every
//! protobuf payload at 8 or more (a tag of field 1 or higher), so only an index path 4 or
//! more deep needs the schema's paths to tell. Generated decoders pass them in and return
//! the framing with the event ([`Decoded`]).
//!
//! ```
//! use huntreg_runtime::{Frame, write_header};
//!
//! let mut bytes = Vec::new();
//! write_header(42, &[1], &mut bytes);
//! bytes.extend_from_slice(&[0x08, 0x01]);
//! let frame = Frame::parse(&bytes).unwrap();
//! assert_eq!((frame.id, frame.index.as_slice(), frame.payload), (42, &[1][..], &[0x08, 0x01][..]));
//! ```
#![warn(missing_docs, missing_debug_implementations)]

mod encode;
mod error;
mod frame;
#[cfg(feature = "http")]
mod http;
mod resolver;

pub use encode::{encode, encode_framed, encode_to, EncodeError, Registered};
pub use error::DecodeError;
pub use frame::{
    split_first_message, write_header, Frame, Framing, MessageIndex, MAGIC, MAGIC_GUID,
    MAX_INDEX_DEPTH, MIN_PAYLOAD_BYTE,
};
#[cfg(feature = "http")]
pub use http::HttpResolver;
pub use resolver::{unqualify, CachingResolver, ResolveError, Resolver, SubjectVersion};

use std::borrow::Cow;

/// Re-exported so generated code and its users name one prost: generated message types
/// derive `::huntreg_runtime::prost::Message`, so a consumer crate depends on
/// huntreg-runtime alone.
pub use prost;
/// serde and proto3 JSON for generated types, behind the `json` feature: what code
/// generated with `huntreg_codegen::Builder::json(true)` names (pbjson's `Serialize` and
/// `Deserialize` impls, pbjson-types' well-known types), so a consumer still depends on
/// huntreg-runtime alone.
#[cfg(feature = "json")]
pub mod json {
    pub use pbjson;
    pub use pbjson_types;
    pub use serde;
}

/// Re-exported for the well-known types (`google.protobuf.Timestamp`, ...): generated code
/// names them as `::huntreg_runtime::prost_types::Timestamp`.
pub use prost_types;

/// What a generated `decode` returns: the event, the schema ID its record named, the
/// subject and version that ID was registered under (the writer's schema, without a
/// second look at the header), and how the record's header was read.
/// [`Framing::IndexFree`] marks the records that took the kafkajs reading, so a consumer
/// can count them.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<E> {
    /// The decoded message.
    pub event: E,
    /// The schema ID in the record (not necessarily the newest one of its message).
    pub schema_id: u32,
    /// The subject (unqualified, as the lockfile names it) the schema ID was registered
    /// under. For an ID of the build, from the build's table; when the same schema is
    /// registered under several subjects (one schema, one ID), the first of them by name
    /// (the generated `registrations(id)` lists them all). For an ID newer than the build,
    /// decoded by `decode_with`, the subject the [`Resolver`] named; `None` when nobody
    /// said.
    pub subject: Option<Cow<'static, str>>,
    /// The version of [`Decoded::subject`] holding the schema ID: from the build's table,
    /// or what the [`Resolver`] said ([`SubjectVersion::version`]); `None` when nobody said.
    pub version: Option<u32>,
    /// Whether the record had a message-index section.
    pub framing: Framing,
}

impl<E> Decoded<E> {
    /// The event, without the framing details.
    #[inline]
    pub fn into_event(self) -> E {
        self.event
    }

    /// True when the record had no message-index section (kafkajs framing).
    #[inline]
    pub fn is_index_free(&self) -> bool {
        self.framing == Framing::IndexFree
    }
}
