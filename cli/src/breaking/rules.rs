//! Turning a `buf.yaml` `breaking:` section (`use`, `except`, config version) into the
//! rule IDs to report, with buf's version differences: v1/v1beta1 configs know no
//! v2-only rules and no `CSR`, and deprecated IDs stand for their replacements.

use std::collections::BTreeSet;

use huntreg_compat::{Category, RuleSet};

use super::config::{Breaking, Version};

/// Rules that exist only in v2 configurations.
const V2_ONLY: &[&str] = &[
    "EXTENSION_NO_DELETE",
    "PACKAGE_EXTENSION_NO_DELETE",
    "FIELD_SAME_DEFAULT",
];

/// Deprecated IDs a configuration may name, and the rules they run instead.
fn replacements(id: &str, version: Version) -> Option<&'static [&'static str]> {
    Some(match id {
        "MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT" => &[],
        "FIELD_SAME_CTYPE" if version != Version::V2 => &["FIELD_SAME_CPP_STRING_TYPE"],
        "FILE_SAME_JAVA_STRING_CHECK_UTF8" if version != Version::V2 => {
            &["FIELD_SAME_JAVA_UTF8_VALIDATION"]
        }
        "FILE_SAME_PHP_GENERIC_SERVICES" if version != Version::V2 => &[],
        "FIELD_SAME_LABEL" if version == Version::V1Beta1 => &["FIELD_SAME_CARDINALITY"],
        "FIELD_SAME_LABEL" if version == Version::V1 => &[
            "FIELD_SAME_CARDINALITY",
            "FIELD_WIRE_COMPATIBLE_CARDINALITY",
            "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
        ],
        _ => return None,
    })
}

/// A category by its buf name.
pub(crate) fn category(name: &str) -> Option<Category> {
    Some(match name {
        "FILE" => Category::File,
        "PACKAGE" => Category::Package,
        "WIRE_JSON" => Category::WireJson,
        "WIRE" => Category::Wire,
        "CSR" => Category::Csr,
        _ => return None,
    })
}

const ALL_CATEGORIES: [Category; 5] = [
    Category::File,
    Category::Package,
    Category::WireJson,
    Category::Wire,
    Category::Csr,
];

/// The rule IDs a configuration selects, and the compat rule sets that cover them.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    /// The selected rule IDs.
    pub(crate) ids: BTreeSet<&'static str>,
    /// Rule sets to run so that every selected rule runs (findings are then filtered to `ids`).
    pub(crate) sets: Vec<RuleSet>,
}

fn ids_of(cat: Category, version: Version) -> Vec<&'static str> {
    RuleSet::category(cat)
        .ids()
        .iter()
        .copied()
        .filter(|id| version == Version::V2 || !V2_ONLY.contains(id))
        .collect()
}

/// Every rule known to the engine for `version`, each with a category that runs it.
fn known(version: Version) -> Vec<(&'static str, Category)> {
    let mut out: Vec<(&'static str, Category)> = Vec::new();
    for cat in ALL_CATEGORIES {
        if cat == Category::Csr && version != Version::V2 {
            continue;
        }
        for id in ids_of(cat, version) {
            if !out.iter().any(|(seen, _)| *seen == id) {
                out.push((id, cat));
            }
        }
    }
    out
}

/// Expands one `use`/`except` entry into rule IDs.
fn expand(entry: &str, version: Version) -> Result<Vec<&'static str>, String> {
    if let Some(cat) = category(entry) {
        if cat == Category::Csr && version != Version::V2 {
            return Err(format!(
                "category {entry:?} is only available in v2 configurations"
            ));
        }
        return Ok(ids_of(cat, version));
    }
    if let Some(repl) = replacements(entry, version) {
        return Ok(repl.to_vec());
    }
    known(version)
        .into_iter()
        .find(|(id, _)| *id == entry)
        .map(|(id, _)| vec![id])
        .ok_or_else(|| format!("{entry:?} is not a known breaking rule or category"))
}

/// Resolves a `breaking:` section. An empty `use` means buf's default set (`FILE`).
pub(crate) fn select(b: &Breaking, version: Version) -> Result<Selection, String> {
    let mut ids = BTreeSet::new();
    if b.use_.is_empty() {
        ids.extend(ids_of(Category::File, version));
    }
    for entry in &b.use_ {
        ids.extend(expand(entry, version)?);
    }
    for entry in &b.except {
        for id in expand(entry, version)? {
            ids.remove(id);
        }
    }
    // Cover the selection with as few category runs as possible.
    let mut sets = Vec::new();
    let mut uncovered = ids.clone();
    for cat in ALL_CATEGORIES {
        let covered = ids_of(cat, version);
        if covered.iter().any(|id| uncovered.contains(id)) {
            for id in &covered {
                uncovered.remove(id);
            }
            sets.push(RuleSet::category(cat));
        }
    }
    Ok(Selection { ids, sets })
}

/// True if an `ignore_only` key (rule ID or category) names `rule`.
pub(crate) fn key_matches(key: &str, rule: &str, version: Version) -> bool {
    if key == rule {
        return true;
    }
    match category(key) {
        Some(cat) => ids_of(cat, version).contains(&rule),
        None => replacements(key, version).is_some_and(|r| r.contains(&rule)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaking(use_: &[&str], except: &[&str]) -> Breaking {
        Breaking {
            use_: use_.iter().map(|s| (*s).to_owned()).collect(),
            except: except.iter().map(|s| (*s).to_owned()).collect(),
            ..Breaking::default()
        }
    }

    #[test]
    fn csr_is_v2_only() {
        assert!(select(&breaking(&["CSR"], &[]), Version::V1).is_err());
        assert!(select(&breaking(&["CSR"], &[]), Version::V2).is_ok());
    }

    #[test]
    fn unknown_ids_are_errors() {
        assert!(select(&breaking(&["NOT_A_RULE"], &[]), Version::V2).is_err());
        assert!(select(&breaking(&[], &["NOT_A_RULE"]), Version::V2).is_err());
    }

    #[test]
    fn default_is_file_and_except_removes() {
        let all = select(&breaking(&[], &[]), Version::V2).unwrap();
        let file: BTreeSet<_> = ids_of(Category::File, Version::V2).into_iter().collect();
        assert_eq!(all.ids, file);
        let fewer = select(&breaking(&["FILE"], &["FILE"]), Version::V2).unwrap();
        assert!(fewer.ids.is_empty());
        assert!(fewer.sets.is_empty());
    }

    #[test]
    fn deprecated_ids_expand() {
        let s = select(
            &breaking(&["MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT"], &[]),
            Version::V2,
        )
        .unwrap();
        assert!(s.ids.is_empty());
        assert!(key_matches(
            "FIELD_SAME_LABEL",
            "FIELD_SAME_CARDINALITY",
            Version::V1
        ));
    }
}
