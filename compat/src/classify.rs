//! Semantic-version classification of a schema change: major when buf's default `FILE`
//! rules find anything, minor when something was added, patch otherwise.

use crate::{check, Finding, Image, RuleSet};

/// How big a change between two versions of a schema is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// Nothing was broken or added (comments, formatting, option-free edits).
    Patch,
    /// Something was added (file, message, enum, service, RPC, field, enum value, oneof,
    /// extension) and nothing broken.
    Minor,
    /// The default `FILE` rule set (v2) finds at least one breaking change.
    Major,
}

/// The rules that detect additions when run with the arguments swapped: an element
/// "deleted" from the new schema relative to the old one is an element the new one added.
const ADDITIONS: &[&str] = &[
    "FILE_NO_DELETE",
    "MESSAGE_NO_DELETE",
    "ENUM_NO_DELETE",
    "SERVICE_NO_DELETE",
    "EXTENSION_NO_DELETE",
    "RPC_NO_DELETE",
    "FIELD_NO_DELETE",
    "ENUM_VALUE_NO_DELETE",
    "ONEOF_NO_DELETE",
];

/// Classifies the change from `previous` to `current`.
///
/// * `Major`: `check(previous, current, FILE rules of v2)` finds anything.
/// * `Minor`: otherwise, `current` adds a file, message, enum, service, RPC,
///   extension, field, enum value or oneof (found by running the deletion rules with the
///   images swapped).
/// * `Patch`: otherwise.
pub fn classify(previous: &Image, current: &Image) -> ChangeKind {
    if !check(previous, current, &RuleSet::default()).is_empty() {
        return ChangeKind::Major;
    }
    match RuleSet::from_ids(ADDITIONS) {
        Ok(additions) if !check(current, previous, &additions).is_empty() => ChangeKind::Minor,
        _ => ChangeKind::Patch,
    }
}

/// A classification with its reasons: what [`explain`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// How big the change is.
    pub kind: ChangeKind,
    /// Why: for `Major`, the breaking findings of the default rule set (as the images
    /// locate them); for `Minor`, one entry per addition, its message reworded to say what
    /// was added (`Field "2" with name "b" on message "M" was added.`) and located in the
    /// previous image's parent element, where buf reports deletions; empty for `Patch`.
    pub reasons: Vec<Finding>,
}

/// [`classify()`] with the findings that decided it.
pub fn explain(previous: &Image, current: &Image) -> Classification {
    let breaking = check(previous, current, &RuleSet::default());
    if !breaking.is_empty() {
        return Classification {
            kind: ChangeKind::Major,
            reasons: breaking.findings,
        };
    }
    let additions = match RuleSet::from_ids(ADDITIONS) {
        Ok(additions) => check(current, previous, &additions).findings,
        Err(_) => Vec::new(),
    };
    if additions.is_empty() {
        return Classification {
            kind: ChangeKind::Patch,
            reasons: Vec::new(),
        };
    }
    Classification {
        kind: ChangeKind::Minor,
        reasons: additions
            .into_iter()
            .map(|mut f| {
                f.message = addition_message(&f.message);
                f
            })
            .collect(),
    }
}

/// Rewords a deletion message of the swapped check as the addition it stands for:
/// `Previously present field "2" … was deleted.` becomes `Field "2" … was added.`
fn addition_message(deleted: &str) -> String {
    let Some(rest) = deleted.strip_prefix("Previously present ") else {
        return deleted.to_owned();
    };
    let rest = rest
        .replacen(" was deleted from ", " was added to ", 1)
        .replacen(" was deleted", " was added", 1);
    let mut chars = rest.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => rest,
    }
}

/// The version after `version` for a change of `kind`. Pre-release and build metadata are
/// dropped.
///
/// Before 1.0 the components shift down, as Cargo reads semver: for `0.y.z` a major change
/// bumps `y` and anything else bumps `z`; for `0.0.z` every change bumps `z` (every such
/// version is its own compatibility line, so there is nothing smaller to bump).
pub fn next_version(kind: ChangeKind, version: &semver::Version) -> semver::Version {
    let (major, minor, patch) = (version.major, version.minor, version.patch);
    let (major, minor, patch) = match (major, minor, kind) {
        (0, 0, _) => (0, 0, patch + 1),
        (0, _, ChangeKind::Major) => (0, minor + 1, 0),
        (0, _, _) => (0, minor, patch + 1),
        (_, _, ChangeKind::Major) => (major + 1, 0, 0),
        (_, _, ChangeKind::Minor) => (major, minor + 1, 0),
        (_, _, ChangeKind::Patch) => (major, minor, patch + 1),
    };
    semver::Version::new(major, minor, patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn additions_are_reworded() {
        assert_eq!(
            addition_message(
                "Previously present field \"2\" with name \"b\" on message \"M\" was deleted."
            ),
            "Field \"2\" with name \"b\" on message \"M\" was added."
        );
        assert_eq!(
            addition_message("Previously present message \"N\" was deleted from file."),
            "Message \"N\" was added to file."
        );
    }

    #[test]
    fn bumps() {
        let v = |s: &str| semver::Version::parse(s).unwrap();
        assert_eq!(next_version(ChangeKind::Major, &v("1.2.3")), v("2.0.0"));
        assert_eq!(next_version(ChangeKind::Minor, &v("1.2.3")), v("1.3.0"));
        assert_eq!(
            next_version(ChangeKind::Patch, &v("1.2.3-rc.1")),
            v("1.2.4")
        );
        assert_eq!(next_version(ChangeKind::Major, &v("0.2.3")), v("0.3.0"));
        assert_eq!(next_version(ChangeKind::Minor, &v("0.2.3")), v("0.2.4"));
        assert_eq!(next_version(ChangeKind::Major, &v("0.0.3")), v("0.0.4"));
    }
}
