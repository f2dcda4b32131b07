//! Protobuf editions (2023 and 2024): features resolved from the edition defaults down through
//! file, message, oneof, field, enum and extension, checked as protoc checks them, and each
//! editions file lowered to the proto2 or proto3 file with exactly the same semantics.
//!
//! `prost-reflect` 0.16 (which builds protox's descriptor pool) and `prost-types` 0.14 know only
//! proto2 and proto3: they have no `edition` field and no `FeatureSet`. An editions file is
//! therefore added to the pool as its *lowered* form. Lowering keeps every name, number, option
//! and source location, drops the `features` options, and expresses each resolved feature in
//! the chosen syntax:
//!
//! | feature | proto3 view | proto2 view |
//! |---|---|---|
//! | `field_presence = EXPLICIT` (scalar) | `optional` (a synthetic oneof) | `optional` |
//! | `field_presence = IMPLICIT` | a plain field | (none) |
//! | `field_presence = LEGACY_REQUIRED` | (none) | `required` |
//! | `enum_type = OPEN` / `CLOSED` | open / (none) | (none) / closed |
//! | `repeated_field_encoding` | `[packed = false]` when EXPANDED | `[packed = true]` when PACKED |
//! | `utf8_validation = VERIFY` / `NONE` | verified / (none) | (none) / unverified |
//! | `message_encoding = DELIMITED` | (none) | a group-typed field |
//! | `json_format = ALLOW` / `LEGACY_BEST_EFFORT` | allowed / (none) | (none) / best effort |
//!
//! Defaults, extension ranges and extensions of messages other than `google.protobuf.*Options`
//! need proto2 too. A file that needs both syntaxes has no exact equivalent and is refused,
//! naming the two features and pointing at the element that needed proto3.

mod features;
mod lower;

use miette::{NamedSource, SourceOffset, SourceSpan};
use prost_reflect::{DescriptorPool, DynamicMessage};
use prost_types::FileDescriptorProto;

pub use self::features::{
    Feature, FeatureSet, ALLOW, CLOSED, DELIMITED, EDITION_2023, EDITION_2024, EDITION_PROTO2,
    EDITION_PROTO3, EXPANDED, EXPLICIT, IMPLICIT, LEGACY_BEST_EFFORT, LEGACY_REQUIRED,
    LENGTH_PREFIXED, NONE, OPEN, PACKED, VERIFY,
};
use self::lower::{lower, Explicit, Failure};
use crate::error::{Error, ErrorKind};

/// Whether a descriptor declares `syntax = "editions"`.
pub(crate) fn is_editions(file: &FileDescriptorProto) -> bool {
    file.syntax.as_deref() == Some("editions")
}

/// Lowers a parsed editions source file of `edition`.
pub(crate) fn lower_source(
    file: FileDescriptorProto,
    edition: i32,
    source: Option<&str>,
    pool: &DescriptorPool,
) -> Result<FileDescriptorProto, Error> {
    let located = file.clone();
    lower(file, edition, Explicit::Source, pool).map_err(|f| to_error(f, &located, source))
}

/// Lowers an encoded editions `FileDescriptorProto`, reading its `edition` and `features`.
pub(crate) fn lower_encoded(
    file: FileDescriptorProto,
    encoded: &[u8],
    pool: &DescriptorPool,
) -> Result<FileDescriptorProto, Error> {
    let descriptor = DescriptorPool::global()
        .get_message_by_name("google.protobuf.FileDescriptorProto")
        .expect("prost-reflect bundles descriptor.proto");
    let dynamic = DynamicMessage::decode(descriptor, encoded).map_err(|e| {
        editions_error(
            file.name(),
            format!("the descriptor does not decode: {e}"),
            None,
        )
    })?;
    let edition = dynamic
        .get_field_by_name("edition")
        .and_then(|v| v.as_enum_number())
        .unwrap_or_default();
    let located = file.clone();
    lower(file, edition, Explicit::Descriptor(&dynamic), pool)
        .map_err(|f| to_error(f, &located, None))
}

/// Lowers an encoded `FileDescriptorProto` for a caller that builds its own
/// [`DescriptorPool`]: an editions file comes back as its proto2 or proto3 equivalent (see the
/// module docs), resolved against the files already in `pool`; any other file is returned
/// decoded as it is.
///
/// # Errors
///
/// The bytes do not decode, or the editions file fails a feature check or has no proto2 or
/// proto3 equivalent.
pub fn lower_descriptor(
    encoded: &[u8],
    pool: &DescriptorPool,
) -> Result<FileDescriptorProto, Error> {
    use prost::Message;
    let file = FileDescriptorProto::decode(encoded)
        .map_err(|e| editions_error("", format!("the descriptor does not decode: {e}"), None))?;
    if is_editions(&file) {
        lower_encoded(file, encoded, pool)
    } else {
        Ok(file)
    }
}

/// The `edition` (field 14) of an encoded `FileDescriptorProto`, read from the bytes:
/// `prost-types` has no field for it. `None` when the field is absent or the bytes do not
/// parse as far as it.
pub fn encoded_edition(encoded: &[u8]) -> Option<i32> {
    const EDITION_FIELD: u64 = 14;
    let mut rest = encoded;
    let mut edition = None;
    while !rest.is_empty() {
        let (key, after_key) = varint(rest)?;
        rest = match key & 7 {
            0 => {
                let (value, after) = varint(after_key)?;
                if key >> 3 == EDITION_FIELD {
                    // The last occurrence wins, as for any scalar field.
                    edition = i32::try_from(value).ok();
                }
                after
            }
            1 => after_key.get(8..)?,
            2 => {
                let (len, after) = varint(after_key)?;
                after.get(usize::try_from(len).ok()?..)?
            }
            5 => after_key.get(4..)?,
            _ => return edition,
        };
    }
    edition
}

fn varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut n = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((n, &bytes[i + 1..]));
        }
    }
    None
}

/// Lowers an editions `FileDescriptorProto` handed over already decoded by `prost-types`,
/// which has dropped its `edition` and `features`: only a file that relies on the edition
/// defaults alone can be lowered, and edition 2023 and 2024 share those.
pub(crate) fn lower_decoded(
    file: FileDescriptorProto,
    pool: &DescriptorPool,
) -> Result<FileDescriptorProto, Error> {
    let located = file.clone();
    lower(file, EDITION_2023, Explicit::Source, pool).map_err(|f| to_error(f, &located, None))
}

fn to_error(failure: Failure, file: &FileDescriptorProto, source: Option<&str>) -> Error {
    let location = file.source_code_info.as_ref().and_then(|info| {
        info.location
            .iter()
            .find(|l| l.path == failure.path)
            .or_else(|| {
                // Fall back to the closest enclosing element that has a span.
                (0..failure.path.len())
                    .rev()
                    .find_map(|n| info.location.iter().find(|l| l.path == failure.path[..n]))
            })
    });
    let located = location.and_then(|l| {
        let (line, col) = (*l.span.first()?, *l.span.get(1)?);
        let end_col = *l.span.last()?;
        Some((
            line as usize + 1,
            col as usize + 1,
            end_col as usize + 1,
            l.span.len() == 3,
        ))
    });
    match (source, located) {
        (Some(source), Some((line, col, end_col, one_line))) => {
            let offset = SourceOffset::from_location(source, line, col);
            let len = if one_line {
                end_col.saturating_sub(col)
            } else {
                1
            };
            editions_error(
                file.name(),
                failure.message,
                Some((
                    SourceSpan::new(offset, len),
                    NamedSource::new(file.name(), source.to_owned()),
                )),
            )
        }
        (None, Some((line, col, _, _))) => editions_error(
            file.name(),
            format!("{}:{line}:{col}: {}", file.name(), failure.message),
            None,
        ),
        _ => editions_error(file.name(), failure.message, None),
    }
}

fn editions_error(
    name: &str,
    message: String,
    span: Option<(SourceSpan, NamedSource<String>)>,
) -> Error {
    let (span, source_code) = match span {
        Some((span, source)) => (Some(span), source),
        None => (None, NamedSource::new(name, String::new())),
    };
    Error::from_kind(ErrorKind::Editions {
        name: name.to_owned(),
        message,
        span,
        source_code,
    })
}
