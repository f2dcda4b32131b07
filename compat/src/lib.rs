//! huntreg-compat: buf's breaking-change rules over protobuf descriptors, and the one
//! mapping from Confluent compatibility levels onto them. A pure library: no I/O.
//!
//! * [`check`] compares two [`Image`]s with a [`RuleSet`] and returns a [`Report`] whose
//!   findings carry buf's rule IDs, buf's messages and `file:line:col` locations.
//! * [`RULES`] is the rule table (every rule of `buf breaking`, v1beta1, v1 and v2);
//!   [`RuleSet`] selects rules from IDs and categories as buf.yaml does, and [`BufYaml`] /
//!   [`BreakingConfig`] read buf.yaml and apply its ignores.
//! * [`check_level`] is the only place Confluent compatibility levels are interpreted;
//!   [`check_history`] returns the same report over a [`History`] (the distinct elements of
//!   a long history), checking pair by pair only the versions that could fail.
//! * [`classify()`] and [`next_version`] turn a change into a semantic-version bump.
//!
//! Architecture invariants: no I/O (callers read files and pass text or pools); findings are
//! data, never errors ([`ConfigError`] is only for configurations that cannot be used);
//! `location.rs` is the only code that reads source spans; `level.rs` is the only code that
//! interprets compatibility levels. An [`Image`] caches an index of its files on first use,
//! so keep images (not just pools) around when checking one version many times.
//!
//! ```
//! use huntreg_compat::{check, check_level, Category, Image, Level, RuleSet};
//! use prost_reflect::DescriptorPool;
//! use prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet};
//!
//! // One file with message `Found { <fields> }`; a real caller compiles .proto text.
//! fn image(fields: &[(&str, i32, i32)]) -> Image {
//!     let field = |&(name, number, ty): &(&str, i32, i32)| FieldDescriptorProto {
//!         name: Some(name.into()),
//!         number: Some(number),
//!         r#type: Some(ty),
//!         label: Some(1),
//!         json_name: Some(name.into()),
//!         ..Default::default()
//!     };
//!     let file = FileDescriptorProto {
//!         name: Some("treasure/v1/found.proto".into()),
//!         package: Some("treasure.v1".into()),
//!         syntax: Some("proto3".into()),
//!         message_type: vec![DescriptorProto {
//!             name: Some("Found".into()),
//!             field: fields.iter().map(field).collect(),
//!             ..Default::default()
//!         }],
//!         ..Default::default()
//!     };
//!     let pool = DescriptorPool::from_file_descriptor_set(FileDescriptorSet { file: vec![file] }).unwrap();
//!     Image::new(pool)
//! }
//! const INT32: i32 = 5;
//! const STRING: i32 = 9;
//!
//! let v1 = image(&[("id", 1, INT32)]);
//! let v2 = image(&[("id", 1, STRING)]);
//! let report = check(&v1, &v2, &RuleSet::default());
//! assert_eq!(report.findings[0].rule, "FIELD_SAME_TYPE");
//! assert_eq!(
//!     report.findings[0].message,
//!     r#"Field "1" with name "id" on message "Found" changed type from "int32" to "string"."#
//! );
//!
//! // Adding a field is fine even under FULL_TRANSITIVE with the CSR rules.
//! let v3 = image(&[("id", 1, INT32), ("note", 2, STRING)]);
//! let csr = RuleSet::category(Category::Csr);
//! assert!(check_level(Level::FullTransitive, &v3, &[&v1], &csr).is_compatible());
//! ```
#![warn(missing_docs, missing_debug_implementations)]

mod classify;
mod config;
mod error;
mod finding;
mod history;
mod image;
mod index;
mod level;
mod location;
mod pairs;
mod rules;
mod ruleset;

pub use classify::{classify, explain, next_version, ChangeKind, Classification};
pub use config::{is_unstable_package, BreakingConfig, BufYaml, Module};
pub use error::ConfigError;
pub use finding::{Finding, Location, Report, Span};
pub use history::{History, HistoryEntry, Suspects};
pub use image::Image;
pub use level::{
    check_history, check_level, skipped_forward, Direction, Extent, InvalidLevel, Level,
    LevelReport, PairReport,
};
pub use rules::{Rule, RULES};
pub use ruleset::{ConfigVersion, RuleSet};

use location::Resolver;
use pairs::{Pairs, Side};

/// A rule category, as in buf (`FILE`, `PACKAGE`, `WIRE_JSON`, `WIRE`, `CSR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// `FILE`: source compatibility of generated code per file (buf's default).
    File,
    /// `PACKAGE`: source compatibility per package.
    Package,
    /// `WIRE_JSON`: binary and JSON encoding compatibility.
    WireJson,
    /// `WIRE`: binary encoding compatibility only.
    Wire,
    /// `CSR`: Confluent Schema Registry compatibility (WIRE_JSON plus deletion rules).
    Csr,
}

/// Checks `current` against `previous` with `rules` and reports every finding.
///
/// A finding means `current` breaks something that `previous` promised. Findings are
/// sorted and de-duplicated as buf does; locations point into `current` (and, as
/// `against`, into `previous`), with spans when the pools carry source info.
pub fn check(previous: &Image, current: &Image, rules: &RuleSet) -> Report {
    let prev = Side::new(previous);
    let cur = Side::new(current);
    let pairs = Pairs::new(&prev, &cur);
    let mut raw = Vec::new();
    for &index in rules.indices() {
        rules::run(&RULES[index], &pairs, &prev, &cur, &mut raw);
    }
    if raw.is_empty() {
        return Report::default();
    }
    let mut current_spans = Resolver::new(current);
    let mut previous_spans = Resolver::new(previous);
    let findings = raw
        .into_iter()
        .map(|r| Finding {
            rule: r.rule,
            message: r.message,
            location: r.location.map(|l| current_spans.resolve(l)),
            against: r.against.map(|l| previous_spans.resolve(l)),
        })
        .collect();
    Report::new(findings)
}
