//! Rule selection: which rules of [`RULES`] run, from categories and IDs as buf.yaml's
//! `breaking.use` / `breaking.except` name them, per config version (membership differs
//! between v1beta1, v1 and v2). Deprecated IDs expand to their replacements.

use std::fmt;
use std::str::FromStr;

use crate::error::{ConfigError, ErrorKind};
use crate::rules::{index_of, Rule, RULES};
use crate::Category;

/// A buf.yaml `version:`; it decides which rule IDs and categories exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigVersion {
    /// `version: v1beta1`.
    V1Beta1,
    /// `version: v1` (also what a missing buf.yaml means).
    V1,
    /// `version: v2`.
    V2,
}

impl ConfigVersion {
    /// The spelling in buf.yaml.
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigVersion::V1Beta1 => "v1beta1",
            ConfigVersion::V1 => "v1",
            ConfigVersion::V2 => "v2",
        }
    }
}

impl fmt::Display for ConfigVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConfigVersion {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<ConfigVersion, ConfigError> {
        match s.trim() {
            "v1beta1" => Ok(ConfigVersion::V1Beta1),
            "v1" => Ok(ConfigVersion::V1),
            "v2" => Ok(ConfigVersion::V2),
            other => Err(ErrorKind::UnknownVersion(other.to_owned()).into()),
        }
    }
}

impl Category {
    /// Every category, strictest first.
    pub const ALL: [Category; 5] = [
        Category::File,
        Category::Package,
        Category::WireJson,
        Category::Wire,
        Category::Csr,
    ];

    /// buf's ID for the category, e.g. `WIRE_JSON`.
    pub fn id(self) -> &'static str {
        match self {
            Category::File => "FILE",
            Category::Package => "PACKAGE",
            Category::WireJson => "WIRE_JSON",
            Category::Wire => "WIRE",
            Category::Csr => "CSR",
        }
    }

    /// The category with buf ID `id`.
    pub fn from_id(id: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.id() == id)
    }
}

/// A set of rules to run, built from rule IDs and categories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    ids: Vec<&'static str>,
    indices: Vec<usize>,
}

impl Default for RuleSet {
    /// buf's default set (the `FILE` category) for `version: v2`.
    fn default() -> RuleSet {
        RuleSet::defaults(ConfigVersion::V2)
    }
}

impl RuleSet {
    fn from_indices(mut indices: Vec<usize>) -> RuleSet {
        indices.sort_unstable();
        indices.dedup();
        RuleSet {
            ids: indices.iter().map(|&i| RULES[i].id).collect(),
            indices,
        }
    }

    /// Every non-deprecated rule of `category`, as in `version: v2`.
    pub fn category(category: Category) -> RuleSet {
        RuleSet::from_indices(members(ConfigVersion::V2, category))
    }

    /// The rules that run when `breaking.use` is empty: the `FILE` category of `version`.
    pub fn defaults(version: ConfigVersion) -> RuleSet {
        RuleSet::from_indices(
            RULES
                .iter()
                .enumerate()
                .filter(|(_, r)| r.default && r.exists_in(version))
                .map(|(i, _)| i)
                .collect(),
        )
    }

    /// The rules named by `use_` minus those named by `except`, as buf.yaml selects them:
    /// entries are rule IDs or categories known to `version`; an empty `use_` means the
    /// defaults; a deprecated ID stands for its replacements.
    pub fn from_config<S: AsRef<str>>(
        version: ConfigVersion,
        use_: &[S],
        except: &[S],
    ) -> Result<RuleSet, ConfigError> {
        let mut selected = if use_.is_empty() {
            RuleSet::defaults(version).indices
        } else {
            let mut out = Vec::new();
            for id in use_ {
                out.extend(expand(version, id.as_ref())?);
            }
            out
        };
        let mut removed = Vec::new();
        for id in except {
            removed.extend(expand(version, id.as_ref())?);
        }
        selected.retain(|i| !removed.contains(i));
        if selected.is_empty() {
            return Err(ErrorKind::EmptyRuleSet.into());
        }
        Ok(RuleSet::from_indices(selected))
    }

    /// The rules with these IDs or categories, as `version: v2` knows them.
    pub fn from_ids<S: AsRef<str>>(ids: &[S]) -> Result<RuleSet, ConfigError> {
        let mut out = Vec::new();
        for id in ids {
            out.extend(expand(ConfigVersion::V2, id.as_ref())?);
        }
        Ok(RuleSet::from_indices(out))
    }

    /// The IDs of the rules in this set, in table order.
    pub fn ids(&self) -> &[&'static str] {
        &self.ids
    }

    /// Whether rule `id` is in the set.
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(&id)
    }

    /// The rules in this set, in table order.
    pub fn rules(&self) -> impl Iterator<Item = &'static Rule> + '_ {
        self.indices.iter().map(|&i| &RULES[i])
    }

    /// This set without the rules for which `drop` is true.
    pub fn without(&self, drop: impl Fn(&Rule) -> bool) -> RuleSet {
        RuleSet::from_indices(
            self.indices
                .iter()
                .copied()
                .filter(|&i| !drop(&RULES[i]))
                .collect(),
        )
    }

    pub(crate) fn indices(&self) -> &[usize] {
        &self.indices
    }
}

fn members(version: ConfigVersion, category: Category) -> Vec<usize> {
    RULES
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            !r.deprecated
                && r.categories(version)
                    .is_some_and(|cats| cats.contains(&category))
        })
        .map(|(i, _)| i)
        .collect()
}

/// The rule indices an ID or category stands for in `version`.
pub(crate) fn expand(version: ConfigVersion, id: &str) -> Result<Vec<usize>, ConfigError> {
    if let Some(category) = Category::from_id(id) {
        if category != Category::Csr || version == ConfigVersion::V2 {
            return Ok(members(version, category));
        }
    }
    let unknown = || ConfigError::from(ErrorKind::UnknownRule(id.to_owned()));
    let index = index_of(id).ok_or_else(unknown)?;
    let rule = &RULES[index];
    if !rule.exists_in(version) {
        return Err(unknown());
    }
    if !rule.deprecated {
        return Ok(vec![index]);
    }
    Ok(rule
        .replaced_by
        .iter()
        .filter_map(|r| index_of(r))
        .filter(|&i| RULES[i].exists_in(version))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_sizes_match_buf() {
        let count = |v, c| members(v, c).len();
        assert_eq!(RuleSet::defaults(ConfigVersion::V2).ids().len(), 51);
        assert_eq!(RuleSet::defaults(ConfigVersion::V1).ids().len(), 49);
        assert_eq!(RuleSet::defaults(ConfigVersion::V1Beta1).ids().len(), 49);
        assert_eq!(count(ConfigVersion::V2, Category::Package), 51);
        assert_eq!(count(ConfigVersion::V2, Category::WireJson), 22);
        assert_eq!(count(ConfigVersion::V2, Category::Wire), 15);
        assert_eq!(count(ConfigVersion::V2, Category::Csr), 32);
        assert_eq!(count(ConfigVersion::V1, Category::WireJson), 21);
        assert_eq!(count(ConfigVersion::V1, Category::Wire), 14);
        assert_eq!(count(ConfigVersion::V1Beta1, Category::Package), 48);
        assert_eq!(count(ConfigVersion::V1Beta1, Category::Wire), 14);
    }

    #[test]
    fn deprecated_ids_expand_and_unknown_ids_fail() {
        let set = RuleSet::from_config(ConfigVersion::V1, &["FIELD_SAME_LABEL"], &[]).unwrap();
        assert_eq!(
            set.ids(),
            [
                "FIELD_SAME_CARDINALITY",
                "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
                "FIELD_WIRE_COMPATIBLE_CARDINALITY"
            ]
        );
        let err = RuleSet::from_config(ConfigVersion::V2, &["FIELD_SAME_LABEL"], &[]).unwrap_err();
        assert!(err.is_unknown_rule());
        assert!(RuleSet::from_config(ConfigVersion::V1, &["CSR"], &[]).is_err());
        let wire =
            RuleSet::from_config(ConfigVersion::V1, &["WIRE"], &["FIELD_SAME_LABEL"]).unwrap();
        assert!(!wire.contains("FIELD_WIRE_COMPATIBLE_CARDINALITY"));
        assert!(RuleSet::from_config(
            ConfigVersion::V2,
            &["FIELD_NO_DELETE"],
            &["FIELD_NO_DELETE"]
        )
        .is_err());
    }
}
