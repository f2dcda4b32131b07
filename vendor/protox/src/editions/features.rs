//! The six wire and JSON features of `google.protobuf.FeatureSet`, their edition defaults, and
//! reading them from uninterpreted options (source files) or decoded options (descriptors).

use std::fmt;

use prost_reflect::{DynamicMessage, ReflectMessage, Value};
use prost_types::UninterpretedOption;

/// `google.protobuf.Edition.EDITION_PROTO2`.
pub const EDITION_PROTO2: i32 = 998;
/// `google.protobuf.Edition.EDITION_PROTO3`.
pub const EDITION_PROTO3: i32 = 999;
/// `google.protobuf.Edition.EDITION_2023`.
pub const EDITION_2023: i32 = protox_parse::EDITION_2023;
/// `google.protobuf.Edition.EDITION_2024`.
pub const EDITION_2024: i32 = protox_parse::EDITION_2024;

/// One resolved or partially set `google.protobuf.FeatureSet`: each feature is the enum value's
/// number, `None` where this scope does not set it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeatureSet {
    /// `field_presence`: 1 EXPLICIT, 2 IMPLICIT, 3 LEGACY_REQUIRED.
    pub field_presence: Option<i32>,
    /// `enum_type`: 1 OPEN, 2 CLOSED.
    pub enum_type: Option<i32>,
    /// `repeated_field_encoding`: 1 PACKED, 2 EXPANDED.
    pub repeated_field_encoding: Option<i32>,
    /// `utf8_validation`: 2 VERIFY, 3 NONE.
    pub utf8_validation: Option<i32>,
    /// `message_encoding`: 1 LENGTH_PREFIXED, 2 DELIMITED.
    pub message_encoding: Option<i32>,
    /// `json_format`: 1 ALLOW, 2 LEGACY_BEST_EFFORT.
    pub json_format: Option<i32>,
}

/// `FeatureSet.FieldPresence.EXPLICIT`.
pub const EXPLICIT: i32 = 1;
/// `FeatureSet.FieldPresence.IMPLICIT`.
pub const IMPLICIT: i32 = 2;
/// `FeatureSet.FieldPresence.LEGACY_REQUIRED`.
pub const LEGACY_REQUIRED: i32 = 3;
/// `FeatureSet.EnumType.OPEN`.
pub const OPEN: i32 = 1;
/// `FeatureSet.EnumType.CLOSED`.
pub const CLOSED: i32 = 2;
/// `FeatureSet.RepeatedFieldEncoding.PACKED`.
pub const PACKED: i32 = 1;
/// `FeatureSet.RepeatedFieldEncoding.EXPANDED`.
pub const EXPANDED: i32 = 2;
/// `FeatureSet.Utf8Validation.VERIFY`.
pub const VERIFY: i32 = 2;
/// `FeatureSet.Utf8Validation.NONE`.
pub const NONE: i32 = 3;
/// `FeatureSet.MessageEncoding.LENGTH_PREFIXED`.
pub const LENGTH_PREFIXED: i32 = 1;
/// `FeatureSet.MessageEncoding.DELIMITED`.
pub const DELIMITED: i32 = 2;
/// `FeatureSet.JsonFormat.ALLOW`.
pub const ALLOW: i32 = 1;
/// `FeatureSet.JsonFormat.LEGACY_BEST_EFFORT`.
pub const LEGACY_BEST_EFFORT: i32 = 2;

/// Feature names and their values' names, in `FeatureSet` field order.
const FEATURES: &[(&str, &[(&str, i32)])] = &[
    (
        "field_presence",
        &[
            ("EXPLICIT", EXPLICIT),
            ("IMPLICIT", IMPLICIT),
            ("LEGACY_REQUIRED", LEGACY_REQUIRED),
        ],
    ),
    ("enum_type", &[("OPEN", OPEN), ("CLOSED", CLOSED)]),
    (
        "repeated_field_encoding",
        &[("PACKED", PACKED), ("EXPANDED", EXPANDED)],
    ),
    ("utf8_validation", &[("VERIFY", VERIFY), ("NONE", NONE)]),
    (
        "message_encoding",
        &[
            ("LENGTH_PREFIXED", LENGTH_PREFIXED),
            ("DELIMITED", DELIMITED),
        ],
    ),
    (
        "json_format",
        &[("ALLOW", ALLOW), ("LEGACY_BEST_EFFORT", LEGACY_BEST_EFFORT)],
    ),
];

impl FeatureSet {
    /// The defaults of an edition (protobuf's `editions/defaults`), or of proto2 and proto3.
    ///
    /// Returns `None` for an edition this compiler does not know.
    pub fn defaults(edition: i32) -> Option<FeatureSet> {
        let proto2 = FeatureSet {
            field_presence: Some(EXPLICIT),
            enum_type: Some(CLOSED),
            repeated_field_encoding: Some(EXPANDED),
            utf8_validation: Some(NONE),
            message_encoding: Some(LENGTH_PREFIXED),
            json_format: Some(LEGACY_BEST_EFFORT),
        };
        let proto3 = FeatureSet {
            field_presence: Some(IMPLICIT),
            enum_type: Some(OPEN),
            repeated_field_encoding: Some(PACKED),
            utf8_validation: Some(VERIFY),
            message_encoding: Some(LENGTH_PREFIXED),
            json_format: Some(ALLOW),
        };
        match edition {
            EDITION_PROTO2 => Some(proto2),
            EDITION_PROTO3 => Some(proto3),
            // Edition 2024 changes only naming style and symbol visibility defaults, which
            // have no wire or JSON meaning.
            EDITION_2023 | EDITION_2024 => Some(FeatureSet {
                field_presence: Some(EXPLICIT),
                ..proto3
            }),
            _ => None,
        }
    }

    /// This scope's features over its parent's resolved ones.
    pub fn over(self, parent: FeatureSet) -> FeatureSet {
        FeatureSet {
            field_presence: self.field_presence.or(parent.field_presence),
            enum_type: self.enum_type.or(parent.enum_type),
            repeated_field_encoding: self
                .repeated_field_encoding
                .or(parent.repeated_field_encoding),
            utf8_validation: self.utf8_validation.or(parent.utf8_validation),
            message_encoding: self.message_encoding.or(parent.message_encoding),
            json_format: self.json_format.or(parent.json_format),
        }
    }

    fn slot(&mut self, index: usize) -> &mut Option<i32> {
        match index {
            0 => &mut self.field_presence,
            1 => &mut self.enum_type,
            2 => &mut self.repeated_field_encoding,
            3 => &mut self.utf8_validation,
            4 => &mut self.message_encoding,
            _ => &mut self.json_format,
        }
    }

    fn get(&self, index: usize) -> Option<i32> {
        let mut copy = *self;
        *copy.slot(index)
    }

    /// Reads `features.*` options from a source file's uninterpreted options, removing them.
    ///
    /// Errors name the option that is not a known feature or value.
    pub(crate) fn take_uninterpreted(
        options: &mut Vec<UninterpretedOption>,
    ) -> Result<FeatureSet, (usize, String)> {
        let mut set = FeatureSet::default();
        let mut error = None;
        let mut index = 0;
        options.retain(|option| {
            index += 1;
            let parts = &option.name;
            if parts
                .first()
                .is_none_or(|p| p.is_extension || p.name_part != "features")
            {
                return true;
            }
            if error.is_some() {
                return false;
            }
            match parts.get(1) {
                // Language features (`features.(pb.cpp).…`) have no meaning on the wire.
                Some(part) if part.is_extension => {}
                Some(part) if parts.len() == 2 => {
                    match feature_value(&part.name_part, option.identifier_value.as_deref()) {
                        Ok((index, value)) => {
                            let slot = set.slot(index);
                            if slot.is_some() {
                                error = Some((
                                    index,
                                    format!("feature '{}' is set twice", part.name_part),
                                ));
                            }
                            *slot = Some(value);
                        }
                        Err(e) => error = Some((index, e)),
                    }
                }
                _ => {
                    error = Some((
                        index,
                        "set features one at a time, as 'option features.<name> = <VALUE>;'"
                            .to_owned(),
                    ))
                }
            }
            false
        });
        match error {
            Some(e) => Err(e),
            None => Ok(set),
        }
        .map_err(|(at, e): (usize, String)| (at - 1, e))
    }

    /// Reads the `features` field of a decoded `*Options` message.
    pub(crate) fn from_options(options: &DynamicMessage) -> FeatureSet {
        let mut set = FeatureSet::default();
        let Some(features) = options.descriptor().get_field_by_name("features") else {
            return set;
        };
        if !options.has_field(&features) {
            return set;
        }
        if let Value::Message(features) = &*options.get_field(&features) {
            for (index, (name, _)) in FEATURES.iter().enumerate() {
                let Some(field) = features.descriptor().get_field_by_name(name) else {
                    continue;
                };
                if features.has_field(&field) {
                    if let Value::EnumNumber(n) = &*features.get_field(&field) {
                        *set.slot(index) = Some(*n);
                    }
                }
            }
        }
        set
    }

    /// Whether no feature is set at this scope.
    pub fn is_empty(&self) -> bool {
        *self == FeatureSet::default()
    }
}

/// The feature's index and the value's number for `features.<name> = <value>`.
fn feature_value(name: &str, value: Option<&str>) -> Result<(usize, i32), String> {
    let Some((index, (_, values))) = FEATURES
        .iter()
        .enumerate()
        .find(|(_, (feature, _))| *feature == name)
    else {
        return Err(format!("unknown feature 'features.{name}'"));
    };
    let Some(value) = value else {
        return Err(format!(
            "feature 'features.{name}' takes an enum value name"
        ));
    };
    values
        .iter()
        .find(|(n, _)| *n == value)
        .map(|(_, number)| (index, *number))
        .ok_or_else(|| {
            let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
            format!(
                "'{value}' is not a value of 'features.{name}' (expected one of {})",
                names.join(", ")
            )
        })
}

/// Writes a feature and value as `features.field_presence = IMPLICIT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    index: usize,
    value: i32,
}

impl Feature {
    /// The resolved value of feature `name` in `set`, if both exist.
    pub(crate) fn of(set: &FeatureSet, name: &str) -> Option<Feature> {
        let index = FEATURES.iter().position(|(n, _)| *n == name)?;
        set.get(index).map(|value| Feature { index, value })
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, values) = FEATURES[self.index];
        let value = values
            .iter()
            .find(|(_, n)| *n == self.value)
            .map_or_else(|| self.value.to_string(), |(v, _)| (*v).to_owned());
        write!(f, "features.{name} = {value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edition_2023_defaults_are_proto3_with_explicit_presence() {
        let d = FeatureSet::defaults(EDITION_2023).unwrap();
        assert_eq!(d.field_presence, Some(EXPLICIT));
        assert_eq!(d.enum_type, Some(OPEN));
        assert_eq!(d.repeated_field_encoding, Some(PACKED));
        assert_eq!(d.utf8_validation, Some(VERIFY));
        assert_eq!(d.json_format, Some(ALLOW));
        assert_eq!(FeatureSet::defaults(EDITION_2024), Some(d));
        assert_eq!(FeatureSet::defaults(1002), None);
    }

    #[test]
    fn a_scope_overrides_only_what_it_sets() {
        let file = FeatureSet {
            field_presence: Some(IMPLICIT),
            ..FeatureSet::default()
        };
        let resolved = file.over(FeatureSet::defaults(EDITION_2023).unwrap());
        assert_eq!(resolved.field_presence, Some(IMPLICIT));
        assert_eq!(resolved.enum_type, Some(OPEN));
    }

    #[test]
    fn unknown_features_and_values_are_named() {
        assert!(feature_value("field_presense", Some("IMPLICIT"))
            .unwrap_err()
            .contains("unknown feature 'features.field_presense'"));
        assert!(feature_value("enum_type", Some("SHUT"))
            .unwrap_err()
            .contains("expected one of OPEN, CLOSED"));
        assert_eq!(
            Feature::of(
                &FeatureSet::defaults(EDITION_PROTO2).unwrap(),
                "message_encoding"
            )
            .unwrap()
            .to_string(),
            "features.message_encoding = LENGTH_PREFIXED"
        );
    }
}
