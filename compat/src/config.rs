//! buf.yaml's `breaking:` configuration (v1beta1, v1, v2 with `modules:`), parsed from a
//! string, and how its `ignore`, `ignore_only` and `ignore_unstable_packages` drop findings
//! from a [`Report`]. No file I/O: callers read the file.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{ConfigError, ErrorKind};
use crate::ruleset::expand;
use crate::{check, ConfigVersion, Finding, Image, Report, RuleSet};

/// A parsed buf.yaml: its version and the modules it declares.
#[derive(Debug, Clone)]
pub struct BufYaml {
    version: ConfigVersion,
    modules: Vec<Module>,
}

/// One module of a buf.yaml: where its files are, and how they are checked.
#[derive(Debug, Clone)]
pub struct Module {
    /// Module root relative to the buf.yaml directory (`.` for the directory itself).
    pub path: String,
    /// Directories (relative to the buf.yaml directory) the module is limited to; empty
    /// means all. v1beta1 `build.roots` are reported here.
    pub includes: Vec<String>,
    /// Directories (relative to the buf.yaml directory) left out of the module.
    pub excludes: Vec<String>,
    /// The module's breaking configuration, paths made module-relative.
    pub breaking: BreakingConfig,
}

/// The `breaking:` block that applies to one module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakingConfig {
    version: ConfigVersion,
    rules: RuleSet,
    ignore: Vec<String>,
    ignore_only: Vec<(Vec<&'static str>, Vec<String>)>,
    ignore_unstable_packages: bool,
}

impl Default for BreakingConfig {
    /// What buf does without a buf.yaml: version v1 defaults, nothing ignored.
    fn default() -> BreakingConfig {
        BreakingConfig::defaults(ConfigVersion::V1)
    }
}

impl BreakingConfig {
    /// The default rules of `version`, nothing ignored.
    pub fn defaults(version: ConfigVersion) -> BreakingConfig {
        BreakingConfig {
            version,
            rules: RuleSet::defaults(version),
            ignore: Vec::new(),
            ignore_only: Vec::new(),
            ignore_unstable_packages: false,
        }
    }

    /// A configuration from its parts, as a `breaking:` block spells them. Paths are
    /// relative to the module root, as the checked files' names are.
    pub fn new<S: AsRef<str>>(
        version: ConfigVersion,
        use_: &[S],
        except: &[S],
        ignore: &[S],
        ignore_only: &[(S, Vec<S>)],
        ignore_unstable_packages: bool,
    ) -> Result<BreakingConfig, ConfigError> {
        let rules = RuleSet::from_config(version, use_, except)?;
        let mut only = Vec::new();
        for (id, paths) in ignore_only {
            let ids = expand(version, id.as_ref())?
                .into_iter()
                .map(|i| crate::rules::RULES[i].id)
                .collect();
            only.push((ids, paths.iter().map(|p| clean(p.as_ref())).collect()));
        }
        Ok(BreakingConfig {
            version,
            rules,
            ignore: ignore.iter().map(|p| clean(p.as_ref())).collect(),
            ignore_only: only,
            ignore_unstable_packages,
        })
    }

    /// The config version the block was written for.
    pub fn version(&self) -> ConfigVersion {
        self.version
    }

    /// The rules to run.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// True when `ignore` names the module root itself: nothing is checked.
    pub fn ignores_everything(&self) -> bool {
        self.ignore.iter().any(|p| p.is_empty())
    }

    /// Checks `current` against `previous` with these rules and drops ignored findings.
    pub fn check(&self, previous: &Image, current: &Image) -> Report {
        self.filter(check(previous, current, &self.rules), previous, current)
    }

    /// Drops the findings this configuration ignores. A finding is dropped when either its
    /// location (in `current`) or its counterpart (in `previous`) is in an ignored file:
    /// `ignore` and `ignore_only` match a path or any directory above it;
    /// `ignore_unstable_packages` matches files whose package is alpha, beta or test.
    pub fn filter(&self, report: Report, previous: &Image, current: &Image) -> Report {
        let findings = report
            .findings
            .into_iter()
            .filter(|f| !self.ignored(f, previous, current))
            .collect();
        Report { findings }
    }

    fn ignored(&self, finding: &Finding, previous: &Image, current: &Image) -> bool {
        let sides = [
            finding
                .location
                .as_ref()
                .map(|l| (l.file.as_str(), current)),
            finding
                .against
                .as_ref()
                .map(|l| (l.file.as_str(), previous)),
        ];
        sides.into_iter().flatten().any(|(file, image)| {
            self.ignore.iter().any(|p| covers(p, file))
                || self.ignore_only.iter().any(|(ids, paths)| {
                    ids.contains(&finding.rule) && paths.iter().any(|p| covers(p, file))
                })
                || (self.ignore_unstable_packages
                    && image
                        .pool()
                        .get_file_by_name(file)
                        .is_some_and(|f| is_unstable_package(f.package_name())))
        })
    }
}

/// Whether `dir_or_file` is `path` or a directory above it (path components, not bytes).
fn covers(dir_or_file: &str, path: &str) -> bool {
    dir_or_file.is_empty()
        || path == dir_or_file
        || path
            .strip_prefix(dir_or_file)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Normalizes a config path: no `./`, no trailing `/`; the root is the empty string.
fn clean(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    parts.join("/")
}

/// Whether a package's last component is an alpha, beta or test version (`foo.v1beta1`,
/// `foo.v1alpha`, `foo.v2test`, `foo.v1p1beta1`), as buf's `protoversion` reads it.
pub fn is_unstable_package(package: &str) -> bool {
    let parts: Vec<&str> = package.split('.').collect();
    if parts.len() < 2 {
        return false;
    }
    let last = parts[parts.len() - 1];
    let Some(version) = last.strip_prefix('v') else {
        return false;
    };
    if version.is_empty() {
        return false;
    }
    let positive = |s: &str| s.parse::<i32>().is_ok_and(|n| n >= 1) && !s.starts_with('+');
    if let Some((major, _)) = version.split_once("test") {
        return positive(major);
    }
    let (alpha, beta) = (version.contains("alpha"), version.contains("beta"));
    let level = match (alpha, beta) {
        (true, false) => "alpha",
        (false, true) => "beta",
        _ => return false,
    };
    let Some((head, minor)) = version.split_once(level) else {
        return false;
    };
    if !minor.is_empty() && !positive(minor) {
        return false;
    }
    match head.split_once('p') {
        Some((major, patch)) => positive(major) && positive(patch),
        None => positive(head),
    }
}

#[derive(Deserialize, Default)]
struct RawBreaking {
    #[serde(default, rename = "use")]
    use_: Vec<String>,
    #[serde(default)]
    except: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    ignore_only: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    ignore_unstable_packages: bool,
}

impl RawBreaking {
    fn is_empty(&self) -> bool {
        self.use_.is_empty()
            && self.except.is_empty()
            && self.ignore.is_empty()
            && self.ignore_only.is_empty()
            && !self.ignore_unstable_packages
    }
}

#[derive(Deserialize, Default)]
struct RawBuild {
    #[serde(default)]
    roots: Vec<String>,
    #[serde(default)]
    excludes: Vec<String>,
}

#[derive(Deserialize)]
struct RawModule {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    includes: Vec<String>,
    #[serde(default)]
    excludes: Vec<String>,
    #[serde(default)]
    breaking: Option<RawBreaking>,
}

#[derive(Deserialize, Default)]
struct RawBufYaml {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    breaking: Option<RawBreaking>,
    #[serde(default)]
    build: Option<RawBuild>,
    #[serde(default)]
    modules: Option<Vec<RawModule>>,
}

/// Keeps the paths inside `module` and makes them module-relative.
fn relative_to(module: &str, paths: &[String]) -> Vec<String> {
    paths
        .iter()
        .filter_map(|p| {
            let p = clean(p);
            if module.is_empty() {
                Some(p)
            } else if p == module {
                Some(String::new())
            } else {
                p.strip_prefix(module)
                    .and_then(|r| r.strip_prefix('/'))
                    .map(str::to_owned)
            }
        })
        .collect()
}

fn to_config(
    version: ConfigVersion,
    raw: &RawBreaking,
    module: &str,
    strict: bool,
) -> Result<BreakingConfig, ConfigError> {
    let relative = |paths: &[String]| -> Result<Vec<String>, ConfigError> {
        let kept = relative_to(module, paths);
        if strict && kept.len() != paths.len() {
            let outside = paths
                .iter()
                .find(|p| relative_to(module, std::slice::from_ref(p)).is_empty())
                .cloned()
                .unwrap_or_default();
            return Err(ErrorKind::PathOutsideModule {
                module: module.to_owned(),
                path: outside,
            }
            .into());
        }
        Ok(kept)
    };
    let ignore = relative(&raw.ignore)?;
    let mut ignore_only = Vec::new();
    for (id, paths) in &raw.ignore_only {
        let paths = relative(paths)?;
        if !paths.is_empty() {
            ignore_only.push((id.clone(), paths));
        }
    }
    BreakingConfig::new(
        version,
        &raw.use_,
        &raw.except,
        &ignore,
        &ignore_only,
        raw.ignore_unstable_packages,
    )
}

impl BufYaml {
    /// Parses buf.yaml text. Only the parts that matter for breaking checks are read;
    /// other keys (`lint`, `deps`, `name`, ...) are accepted and ignored.
    pub fn parse(text: &str) -> Result<BufYaml, ConfigError> {
        let raw: Option<RawBufYaml> = serde_yaml::from_str(text).map_err(ErrorKind::Yaml)?;
        let raw = raw.unwrap_or_default();
        let version = match raw.version.as_deref() {
            Some(v) => v.parse()?,
            None => ConfigVersion::V1,
        };
        let top = raw.breaking.unwrap_or_default();
        let modules = match (version, raw.modules) {
            (ConfigVersion::V2, Some(modules)) if !modules.is_empty() => {
                let mut out = Vec::with_capacity(modules.len());
                for m in modules {
                    let path = clean(m.path.as_deref().unwrap_or("."));
                    let breaking = match &m.breaking {
                        Some(own) if !own.is_empty() => to_config(version, own, &path, true)?,
                        _ => to_config(version, &top, &path, false)?,
                    };
                    out.push(Module {
                        path: if path.is_empty() {
                            ".".to_owned()
                        } else {
                            path
                        },
                        includes: m.includes.iter().map(|p| clean(p)).collect(),
                        excludes: m.excludes.iter().map(|p| clean(p)).collect(),
                        breaking,
                    });
                }
                out
            }
            _ => {
                let build = raw.build.unwrap_or_default();
                vec![Module {
                    path: ".".to_owned(),
                    includes: build.roots.iter().map(|p| clean(p)).collect(),
                    excludes: build.excludes.iter().map(|p| clean(p)).collect(),
                    breaking: to_config(version, &top, "", false)?,
                }]
            }
        };
        Ok(BufYaml { version, modules })
    }

    /// What a missing buf.yaml means: one module at `.` with version v1 defaults.
    pub fn missing() -> BufYaml {
        BufYaml {
            version: ConfigVersion::V1,
            modules: vec![Module {
                path: ".".to_owned(),
                includes: Vec::new(),
                excludes: Vec::new(),
                breaking: BreakingConfig::default(),
            }],
        }
    }

    /// The file's `version:` (v1 when absent).
    pub fn version(&self) -> ConfigVersion {
        self.version
    }

    /// The modules, in declaration order (one module at `.` unless v2 `modules:` says otherwise).
    pub fn modules(&self) -> &[Module] {
        &self.modules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstable_packages_follow_protoversion() {
        for p in [
            "foo.v1alpha1",
            "foo.v1beta",
            "foo.v2test",
            "foo.v1p1beta1",
            "a.b.v1testfoo",
        ] {
            assert!(is_unstable_package(p), "{p}");
        }
        for p in [
            "foo.v1",
            "foo",
            "v1beta1",
            "foo.v1development",
            "foo.v1alphabeta1",
            "foo.v0beta1",
        ] {
            assert!(!is_unstable_package(p), "{p}");
        }
    }

    #[test]
    fn paths_match_by_component() {
        assert!(covers("foo", "foo/bar.proto"));
        assert!(covers("foo/bar.proto", "foo/bar.proto"));
        assert!(!covers("fo", "foo/bar.proto"));
        assert!(covers("", "anything.proto"));
    }

    #[test]
    fn v2_modules_take_their_own_breaking_block() {
        let yaml = "version: v2\nmodules:\n  - path: proto/a\n  - path: proto/b\n    excludes: [proto/b/internal]\n    breaking:\n      use: [WIRE]\n      ignore: [proto/b/x]\nbreaking:\n  use: [PACKAGE]\n  ignore: [proto/a/old, proto/b/other]\n";
        let cfg = BufYaml::parse(yaml).unwrap();
        assert_eq!(cfg.version(), ConfigVersion::V2);
        let [a, b] = cfg.modules() else {
            panic!("two modules")
        };
        assert_eq!(a.path, "proto/a");
        assert!(a.breaking.rules().contains("PACKAGE_NO_DELETE"));
        assert_eq!(a.breaking.ignore, vec!["old".to_owned()]);
        assert_eq!(b.excludes, vec!["proto/b/internal".to_owned()]);
        assert!(!b.breaking.rules().contains("FIELD_SAME_NAME"));
        assert_eq!(b.breaking.ignore, vec!["x".to_owned()]);
        let bad = "version: v2\nmodules:\n  - path: a\n    breaking:\n      ignore: [b/x]\n";
        assert!(BufYaml::parse(bad).is_err());
    }

    #[test]
    fn missing_version_and_empty_file_mean_v1() {
        assert_eq!(BufYaml::parse("").unwrap().version(), ConfigVersion::V1);
        let cfg = BufYaml::parse("breaking:\n  use: [FILE]\n").unwrap();
        assert!(!cfg.modules()[0]
            .breaking
            .rules()
            .contains("FIELD_SAME_DEFAULT"));
        assert!(BufYaml::parse("version: v3\n").is_err());
        assert!(BufYaml::parse("version: v2\nbreaking:\n  use: [NOPE]\n")
            .unwrap_err()
            .is_unknown_rule());
    }
}
