//! Well-known imports resolved without references, as Confluent does
//! (`ProtobufSchema.KNOWN_DEPENDENCIES`): `google/protobuf/*` (shipped by protox),
//! `google/type/*` and the Confluent files (embedded from `schema/proto/`).
//! Compiled once, on first use, into descriptor bytes the pools are built from.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use prost::Message;

/// Embedded sources that protox does not ship.
pub(crate) const EMBEDDED: &[(&str, &str)] = &[
    (
        "google/type/calendar_period.proto",
        include_str!("../proto/google/type/calendar_period.proto"),
    ),
    (
        "google/type/color.proto",
        include_str!("../proto/google/type/color.proto"),
    ),
    (
        "google/type/date.proto",
        include_str!("../proto/google/type/date.proto"),
    ),
    (
        "google/type/datetime.proto",
        include_str!("../proto/google/type/datetime.proto"),
    ),
    (
        "google/type/dayofweek.proto",
        include_str!("../proto/google/type/dayofweek.proto"),
    ),
    (
        "google/type/decimal.proto",
        include_str!("../proto/google/type/decimal.proto"),
    ),
    (
        "google/type/expr.proto",
        include_str!("../proto/google/type/expr.proto"),
    ),
    (
        "google/type/fraction.proto",
        include_str!("../proto/google/type/fraction.proto"),
    ),
    (
        "google/type/interval.proto",
        include_str!("../proto/google/type/interval.proto"),
    ),
    (
        "google/type/latlng.proto",
        include_str!("../proto/google/type/latlng.proto"),
    ),
    (
        "google/type/localized_text.proto",
        include_str!("../proto/google/type/localized_text.proto"),
    ),
    (
        "google/type/money.proto",
        include_str!("../proto/google/type/money.proto"),
    ),
    (
        "google/type/month.proto",
        include_str!("../proto/google/type/month.proto"),
    ),
    (
        "google/type/phone_number.proto",
        include_str!("../proto/google/type/phone_number.proto"),
    ),
    (
        "google/type/postal_address.proto",
        include_str!("../proto/google/type/postal_address.proto"),
    ),
    (
        "google/type/quaternion.proto",
        include_str!("../proto/google/type/quaternion.proto"),
    ),
    (
        "google/type/timeofday.proto",
        include_str!("../proto/google/type/timeofday.proto"),
    ),
    (
        "confluent/meta.proto",
        include_str!("../proto/confluent/meta.proto"),
    ),
    (
        "confluent/type/decimal.proto",
        include_str!("../proto/confluent/type/decimal.proto"),
    ),
    (
        "confluent/type/variant.proto",
        include_str!("../proto/confluent/type/variant.proto"),
    ),
];

/// `google/protobuf/*` files protox ships.
const GOOGLE_PROTOBUF: &[&str] = &[
    "google/protobuf/any.proto",
    "google/protobuf/api.proto",
    "google/protobuf/descriptor.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/empty.proto",
    "google/protobuf/field_mask.proto",
    "google/protobuf/source_context.proto",
    "google/protobuf/struct.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/type.proto",
    "google/protobuf/wrappers.proto",
];

/// One compiled well-known file.
#[derive(Debug)]
pub(crate) struct KnownFile {
    /// Serialized `FileDescriptorProto`.
    pub(crate) bytes: Arc<[u8]>,
    /// Its decoded form.
    pub(crate) proto: prost_types::FileDescriptorProto,
}

/// True when `name` is resolved by the registry itself.
pub fn is_well_known(name: &str) -> bool {
    known().contains_key(name)
}

/// The compiled well-known files by import path.
pub(crate) fn known() -> &'static HashMap<String, KnownFile> {
    static KNOWN: OnceLock<HashMap<String, KnownFile>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut compiler = protox::Compiler::with_file_resolver(resolver());
        compiler.include_imports(true).include_source_info(false);
        let names = GOOGLE_PROTOBUF
            .iter()
            .copied()
            .chain(EMBEDDED.iter().map(|(n, _)| *n));
        for name in names {
            if let Err(err) = compiler.open_file(name) {
                tracing::error!("cannot compile the well-known file {name}: {err}");
            }
        }
        compiler
            .file_descriptor_set()
            .file
            .into_iter()
            .map(|proto| {
                let bytes: Arc<[u8]> = proto.encode_to_vec().into();
                (proto.name().to_owned(), KnownFile { bytes, proto })
            })
            .collect()
    })
}

/// A resolver for the well-known files only.
pub(crate) fn resolver() -> protox::file::ChainFileResolver {
    let mut chain = protox::file::ChainFileResolver::new();
    chain.add(EmbeddedResolver);
    chain.add(protox::file::GoogleFileResolver::new());
    chain
}

/// Resolves the embedded `google/type/*` and `confluent/*` sources.
#[derive(Debug)]
struct EmbeddedResolver;

impl protox::file::FileResolver for EmbeddedResolver {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        match EMBEDDED.iter().find(|(n, _)| *n == name) {
            Some((n, source)) => protox::file::File::from_source(n, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_well_known_file_compiles() {
        for (name, _) in EMBEDDED {
            assert!(is_well_known(name), "{name}");
        }
        for name in GOOGLE_PROTOBUF {
            assert!(is_well_known(name), "{name}");
        }
        assert!(!is_well_known("treasure/common.proto"));
    }
}
