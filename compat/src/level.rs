//! Confluent compatibility levels and the one place they are interpreted: which
//! (reader, writer) pairs are checked, in which direction, with which rules.
//!
//! * `NONE` checks nothing.
//! * `BACKWARD` checks `check(prior = latest, current = new)`: the new schema must read
//!   what the latest wrote.
//! * `FORWARD` swaps the arguments, `check(prior = new, current = latest)`: the latest
//!   schema must read what the new one writes.
//! * `FULL` checks forward, then backward; the `*_TRANSITIVE` levels do the same against
//!   every entry of the history, newest to oldest, and report every failing pair.
//!
//! **Design decision: forward checks skip pure additions.** Swapping the arguments turns
//! every `*_NO_DELETE*` rule into "the new schema must not add anything", which protobuf
//! readers tolerate: an old reader skips unknown fields, maps unknown enum numbers to the
//! unknown value, and never sees new oneofs, services, RPCs, reserved ranges, extension
//! ranges or files. So in the forward direction every rule whose ID contains `_NO_DELETE`
//! is skipped, **except** `MESSAGE_NO_DELETE` and `PACKAGE_MESSAGE_NO_DELETE`: Confluent
//! itself refuses a new message under `FORWARD`, because an old reader cannot resolve the
//! message index a producer writes for it. The consequence: adding a field, an enum value,
//! a oneof or a service is compatible even under `FULL_TRANSITIVE`, while type, cardinality,
//! oneof-membership, name and JSON-name changes break in both directions, and deleting a
//! field breaks `BACKWARD` (with the `CSR` rules) but not `FORWARD`.
//!
//! The history excludes soft-deleted versions; that is the caller's job.

use std::str::FromStr;

use crate::{check, History, Image, Report, RuleSet};

/// A Confluent compatibility level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// No check.
    None,
    /// New schema reads data written with the latest.
    Backward,
    /// New schema reads data written with every prior version.
    BackwardTransitive,
    /// The latest schema reads data written with the new one.
    Forward,
    /// Every prior version reads data written with the new one.
    ForwardTransitive,
    /// Backward and forward against the latest.
    Full,
    /// Backward and forward against every prior version.
    FullTransitive,
}

impl Level {
    /// Every level, in Confluent's documentation order.
    pub const ALL: [Level; 7] = [
        Level::None,
        Level::Backward,
        Level::BackwardTransitive,
        Level::Forward,
        Level::ForwardTransitive,
        Level::Full,
        Level::FullTransitive,
    ];

    /// The Confluent spelling, e.g. `FULL_TRANSITIVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "NONE",
            Level::Backward => "BACKWARD",
            Level::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Level::Forward => "FORWARD",
            Level::ForwardTransitive => "FORWARD_TRANSITIVE",
            Level::Full => "FULL",
            Level::FullTransitive => "FULL_TRANSITIVE",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a string that names no compatibility level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid compatibility level {0:?}: expected one of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE")]
pub struct InvalidLevel(pub String);

impl FromStr for Level {
    type Err = InvalidLevel;
    fn from_str(s: &str) -> Result<Level, InvalidLevel> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| InvalidLevel(s.to_owned()))
    }
}

/// Which way a pair was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The new schema reads data written with the prior one: `check(prior, new)`.
    Backward,
    /// The prior schema reads data written with the new one: `check(new, prior)`.
    Forward,
}

/// The result of checking one prior version.
#[derive(Debug, Clone)]
pub struct PairReport {
    /// Index into the `history` slice given to [`check_level`].
    pub against: usize,
    /// Direction of this check.
    pub direction: Direction,
    /// What was found.
    pub report: Report,
}

/// The result of [`check_level`]: one entry per (prior version, direction) checked that found something.
#[derive(Debug, Clone, Default)]
pub struct LevelReport {
    /// Failing pairs only, in the order checked.
    pub pairs: Vec<PairReport>,
}

impl LevelReport {
    /// True when no checked pair found anything.
    pub fn is_compatible(&self) -> bool {
        self.pairs.iter().all(|p| p.report.is_empty())
    }
}

impl Level {
    /// Whether the level checks the new schema as a reader (backward direction).
    pub fn is_backward(self) -> bool {
        matches!(
            self,
            Level::Backward | Level::BackwardTransitive | Level::Full | Level::FullTransitive
        )
    }

    /// Whether the level checks the new schema as a writer (forward direction).
    pub fn is_forward(self) -> bool {
        matches!(
            self,
            Level::Forward | Level::ForwardTransitive | Level::Full | Level::FullTransitive
        )
    }

    /// The level that checks one chosen version as this one checks each: a transitive level
    /// without its transitivity (Confluent's `/compatibility/.../versions/{v}`).
    pub fn single(self) -> Level {
        match self {
            Level::BackwardTransitive => Level::Backward,
            Level::ForwardTransitive => Level::Forward,
            Level::FullTransitive => Level::Full,
            other => other,
        }
    }

    /// Whether the level checks every prior version rather than only the latest.
    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            Level::BackwardTransitive | Level::ForwardTransitive | Level::FullTransitive
        )
    }
}

/// Whether a rule only guards against additions once the arguments are swapped, which
/// protobuf readers tolerate (see the module docs).
pub fn skipped_forward(rule_id: &str) -> bool {
    rule_id.contains("_NO_DELETE")
        && rule_id != "MESSAGE_NO_DELETE"
        && rule_id != "PACKAGE_MESSAGE_NO_DELETE"
}

/// How much of a failing history a check reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extent {
    /// Every failing prior version (the CI gate and the build check report them all).
    Every,
    /// Only the newest failing prior version, both directions of it: a Confluent registry
    /// stops a transitive check there and reports only that version.
    FirstFailing,
}

/// Checks `new` against `history` (oldest first) as `level` demands, with `rules`.
///
/// Only failing pairs are returned, in the order checked: newest prior version first and,
/// for `FULL*`, the forward check of a version before its backward check. This is the
/// pairwise reference: every checked pair is compared in full. [`check_history`] returns
/// the same report at the cost of what changed across the history.
pub fn check_level(level: Level, new: &Image, history: &[&Image], rules: &RuleSet) -> LevelReport {
    let load = |i: usize| Ok::<_, std::convert::Infallible>(history[i].clone());
    match run(
        level,
        new,
        history.len(),
        rules,
        Extent::Every,
        |_, _| true,
        load,
    ) {
        Ok(report) => report,
        Err(never) => match never {},
    }
}

/// [`check_level`] over `len` prior versions (oldest first), with the report of
/// [`check_level`] (for `Extent::Every`). With `index`, the [`History`] of exactly those
/// versions, only the versions the index names as suspects are compared pair by pair (at a
/// transitive level, so a registration against thousands of versions costs what changed
/// across them; at any other level, the newest version is compared only when the new schema
/// lacks or changed one of its elements, so adding one value to a large enum costs no rule
/// run); without it every pair the level names is compared.
/// `load(i)` returns the image of version `i`, the one the index was built from; it is
/// called only for the versions actually compared, newest first.
pub fn check_history<E>(
    level: Level,
    new: &Image,
    len: usize,
    index: Option<&History>,
    rules: &RuleSet,
    extent: Extent,
    load: impl FnMut(usize) -> Result<Image, E>,
) -> Result<LevelReport, E> {
    match index {
        Some(history) if history.len() == len => {
            let suspects = history.suspects(new);
            run(
                level,
                new,
                len,
                rules,
                extent,
                |against, direction| suspects.contains(against, direction),
                load,
            )
        }
        _ => run(level, new, len, rules, extent, |_, _| true, load),
    }
}

/// The one interpretation of a level: which prior versions, which directions, which rules,
/// in which order. `suspect(i, direction)` may rule a pair out (it is certain to be empty).
fn run<E>(
    level: Level,
    new: &Image,
    len: usize,
    rules: &RuleSet,
    extent: Extent,
    mut suspect: impl FnMut(usize, Direction) -> bool,
    mut load: impl FnMut(usize) -> Result<Image, E>,
) -> Result<LevelReport, E> {
    let mut out = LevelReport::default();
    if level == Level::None || len == 0 {
        return Ok(out);
    }
    let forward_rules = rules.without(|r| skipped_forward(r.id));
    let oldest = if level.is_transitive() { 0 } else { len - 1 };
    for against in (oldest..len).rev() {
        let forward = level.is_forward() && suspect(against, Direction::Forward);
        let backward = level.is_backward() && suspect(against, Direction::Backward);
        if !forward && !backward {
            continue;
        }
        let prior = load(against)?;
        let before = out.pairs.len();
        if forward {
            let report = check(new, &prior, &forward_rules);
            if !report.is_empty() {
                out.pairs.push(PairReport {
                    against,
                    direction: Direction::Forward,
                    report,
                });
            }
        }
        if backward {
            let report = check(&prior, new, rules);
            if !report.is_empty() {
                out.pairs.push(PairReport {
                    against,
                    direction: Direction::Backward,
                    report,
                });
            }
        }
        if extent == Extent::FirstFailing && out.pairs.len() > before {
            break;
        }
    }
    Ok(out)
}
