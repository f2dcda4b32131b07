//! buf's configuration files as `huntreg breaking` reads them: `buf.yaml` (v1beta1, v1, v2
//! with `modules:`), `buf.work.yaml` (v1 workspaces), and how a workspace is found by
//! walking up from the input directory. Works on any tree through a read callback, so
//! directories and git commits share it.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::input::normalize_rel;

/// A `buf.yaml` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// `version: v1beta1`.
    V1Beta1,
    /// `version: v1` (also what a missing `buf.yaml` means).
    V1,
    /// `version: v2`.
    V2,
}

/// A module's `breaking:` section, with paths made relative to the module root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Breaking {
    /// Rule IDs and categories to run (empty: the default set).
    pub(crate) use_: Vec<String>,
    /// Rule IDs and categories removed from `use_`.
    pub(crate) except: Vec<String>,
    /// Module-relative files or directories whose findings are dropped.
    pub(crate) ignore: Vec<String>,
    /// Rule ID or category -> module-relative paths whose findings of that rule are dropped.
    pub(crate) ignore_only: Vec<(String, Vec<String>)>,
    /// Drop findings in packages such as `foo.v1beta1`.
    pub(crate) ignore_unstable_packages: bool,
    /// True when an `ignore` entry names the module itself: the module is not checked.
    pub(crate) ignore_module: bool,
}

/// One module: a root directory of `.proto` files and its breaking configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Module {
    /// Root directory, relative to the tree ("" for the tree root).
    pub(crate) root: String,
    /// Tree-relative directories the module is limited to (v2 `includes`); empty: all.
    pub(crate) includes: Vec<String>,
    /// Tree-relative directories left out of the module.
    pub(crate) excludes: Vec<String>,
    /// The module's breaking configuration.
    pub(crate) breaking: Breaking,
    /// The configuration version the module was declared with.
    pub(crate) version: Version,
}

/// The modules of one input, in declaration order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Workspace {
    /// Tree-relative directory holding the workspace's configuration.
    pub(crate) root: String,
    /// The modules.
    pub(crate) modules: Vec<Module>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawBufYaml {
    version: Option<String>,
    modules: Option<Vec<RawModule>>,
    breaking: Option<RawBreaking>,
    build: Option<RawBuild>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawModule {
    path: Option<String>,
    includes: Vec<String>,
    excludes: Vec<String>,
    breaking: Option<RawBreaking>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawBuild {
    roots: Vec<String>,
    excludes: Vec<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
struct RawBreaking {
    #[serde(rename = "use")]
    use_: Vec<String>,
    except: Vec<String>,
    ignore: Vec<String>,
    ignore_only: BTreeMap<String, Vec<String>>,
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

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawBufWork {
    version: Option<String>,
    directories: Vec<String>,
}

fn parse_version(v: Option<&str>, file: &str) -> Result<Version, String> {
    match v.map(str::trim) {
        Some("v1beta1") => Ok(Version::V1Beta1),
        Some("v1") => Ok(Version::V1),
        Some("v2") => Ok(Version::V2),
        Some(other) => Err(format!("{file}: unknown version {other:?}")),
        None => Err(format!("{file}: \"version\" is required")),
    }
}

fn parse_yaml<T: for<'de> Deserialize<'de> + Default>(text: &str, file: &str) -> Result<T, String> {
    if text.trim().is_empty() {
        return Ok(T::default());
    }
    serde_yaml::from_str(text).map_err(|e| format!("{file}: invalid YAML: {e}"))
}

/// Joins two `/`-separated relative paths.
pub(crate) fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}/{b}"),
    }
}

/// True if `path` equals `dir` or lies inside it ("" contains everything).
pub(crate) fn contains(dir: &str, path: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

/// `path` relative to `dir`, if inside it.
pub(crate) fn strip(dir: &str, path: &str) -> Option<String> {
    if dir.is_empty() {
        Some(path.to_owned())
    } else if path == dir {
        Some(String::new())
    } else if contains(dir, path) {
        Some(path[dir.len() + 1..].to_owned())
    } else {
        None
    }
}

fn rel(base: &str, p: &str, what: &str) -> Result<String, String> {
    normalize_rel(p)
        .map(|p| join(base, &p))
        .ok_or_else(|| format!("{what}: path {p:?} must be relative and stay inside the workspace"))
}

/// Turns workspace-relative (`base`-relative) ignore paths into module-relative ones,
/// dropping those outside the module.
fn breaking_for(
    raw: &RawBreaking,
    base: &str,
    module_root: &str,
    file: &str,
) -> Result<Breaking, String> {
    let to_module = |paths: &[String]| -> Result<(Vec<String>, bool), String> {
        let mut out = Vec::new();
        let mut whole = false;
        for p in paths {
            let tree = rel(base, p, file)?;
            match strip(module_root, &tree) {
                Some(m) if m.is_empty() => whole = true,
                Some(m) => out.push(m),
                None => {}
            }
        }
        Ok((out, whole))
    };
    let (ignore, ignore_module) = to_module(&raw.ignore)?;
    let mut ignore_only = Vec::new();
    for (rule, paths) in &raw.ignore_only {
        let (mut ps, whole) = to_module(paths)?;
        if whole {
            ps = vec![String::new()];
        }
        if !ps.is_empty() {
            ignore_only.push((rule.clone(), ps));
        }
    }
    Ok(Breaking {
        use_: raw.use_.clone(),
        except: raw.except.clone(),
        ignore,
        ignore_only,
        ignore_unstable_packages: raw.ignore_unstable_packages,
        ignore_module,
    })
}

/// Reads a `buf.yaml` found (or given) at tree directory `dir` into its modules.
pub(crate) fn parse_buf_yaml(text: &str, dir: &str, file: &str) -> Result<Workspace, String> {
    let raw: RawBufYaml = parse_yaml(text, file)?;
    let version = parse_version(raw.version.as_deref(), file)?;
    let top = raw.breaking.clone().unwrap_or_default();
    let mut modules = Vec::new();
    match version {
        Version::V2 => {
            let raws = match raw.modules {
                Some(m) if !m.is_empty() => m,
                _ => vec![RawModule::default()],
            };
            for m in raws {
                let root = rel(dir, m.path.as_deref().unwrap_or("."), file)?;
                let section = match &m.breaking {
                    Some(b) if !b.is_empty() => b,
                    _ => &top,
                };
                let includes = m
                    .includes
                    .iter()
                    .map(|p| rel(dir, p, file))
                    .collect::<Result<Vec<_>, _>>()?;
                let excludes = m
                    .excludes
                    .iter()
                    .map(|p| rel(dir, p, file))
                    .collect::<Result<Vec<_>, _>>()?;
                let breaking = breaking_for(section, dir, &root, file)?;
                modules.push(Module {
                    root,
                    includes,
                    excludes,
                    breaking,
                    version,
                });
            }
        }
        Version::V1 | Version::V1Beta1 => {
            let build = raw.build.unwrap_or_default();
            let roots = if version == Version::V1Beta1 && !build.roots.is_empty() {
                build.roots.clone()
            } else {
                vec![".".to_owned()]
            };
            for r in roots {
                let root = rel(dir, &r, file)?;
                // Excludes are relative to the buf.yaml directory, ignores to the root.
                let excludes = build
                    .excludes
                    .iter()
                    .map(|p| rel(dir, p, file))
                    .collect::<Result<Vec<_>, _>>()?;
                let breaking = breaking_for(&top, &root, &root, file)?;
                modules.push(Module {
                    root,
                    includes: Vec::new(),
                    excludes,
                    breaking,
                    version,
                });
            }
        }
    }
    Ok(Workspace {
        root: dir.to_owned(),
        modules,
    })
}

/// The module a directory without any configuration stands for: buf's v1 defaults.
pub(crate) fn default_workspace(dir: &str) -> Workspace {
    Workspace {
        root: dir.to_owned(),
        modules: vec![Module {
            root: dir.to_owned(),
            includes: Vec::new(),
            excludes: Vec::new(),
            breaking: Breaking::default(),
            version: Version::V1,
        }],
    }
}

fn parse_buf_work(
    text: &str,
    dir: &str,
    read: &dyn Fn(&str) -> Option<String>,
) -> Result<Workspace, String> {
    let file = join(dir, "buf.work.yaml");
    let raw: RawBufWork = parse_yaml(text, &file)?;
    parse_version(raw.version.as_deref(), &file)?;
    let mut modules = Vec::new();
    for d in &raw.directories {
        let root = rel(dir, d, &file)?;
        let yaml_path = join(&root, "buf.yaml");
        let ws = match read(&yaml_path) {
            Some(text) => parse_buf_yaml(&text, &root, &yaml_path)?,
            None => default_workspace(&root),
        };
        modules.extend(ws.modules);
    }
    if modules.is_empty() {
        return Err(format!("{file}: \"directories\" lists no module"));
    }
    Ok(Workspace {
        root: dir.to_owned(),
        modules,
    })
}

/// Every ancestor of `start`, nearest first, ending with "" (the tree root).
fn ancestors(start: &str) -> Vec<String> {
    let mut out = vec![start.to_owned()];
    let mut cur = start;
    while !cur.is_empty() {
        cur = cur.rfind('/').map_or("", |i| &cur[..i]);
        out.push(cur.to_owned());
    }
    out
}

/// Finds the workspace an input directory belongs to, as buf does: walking up from
/// `start`, the first `buf.work.yaml` or v2 `buf.yaml` wins; otherwise the nearest v1
/// `buf.yaml`; otherwise `start` itself with default settings. `read` returns a tree
/// file's text, if it exists.
pub(crate) fn discover(
    start: &str,
    read: &dyn Fn(&str) -> Option<String>,
) -> Result<Workspace, String> {
    let mut nearest_v1: Option<Workspace> = None;
    for dir in ancestors(start) {
        let work = join(&dir, "buf.work.yaml");
        if let Some(text) = read(&work) {
            let ws = parse_buf_work(&text, &dir, read)?;
            if ws
                .modules
                .iter()
                .any(|m| contains(&m.root, start) || contains(start, &m.root))
            {
                return Ok(ws);
            }
        }
        let yaml = join(&dir, "buf.yaml");
        if let Some(text) = read(&yaml) {
            let ws = parse_buf_yaml(&text, &dir, &yaml)?;
            if ws.modules.first().map(|m| m.version) == Some(Version::V2) {
                return Ok(ws);
            }
            if nearest_v1.is_none() {
                nearest_v1 = Some(ws);
            }
        }
    }
    Ok(nearest_v1.unwrap_or_else(|| default_workspace(start)))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn tree(files: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = files
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |p| map.get(p).cloned()
    }

    #[test]
    fn no_configuration_means_one_v1_module_at_the_input() {
        let ws = discover("a/b", &tree(&[])).unwrap();
        assert_eq!(ws.modules.len(), 1);
        assert_eq!(ws.modules[0].root, "a/b");
        assert_eq!(ws.modules[0].version, Version::V1);
    }

    #[test]
    fn v2_modules_are_found_above_the_input() {
        let yaml = "version: v2\nmodules:\n  - path: proto\n  - path: other\n    breaking:\n      use: [WIRE]\nbreaking:\n  use: [PACKAGE]\n  ignore: [proto/legacy, other/x.proto]\n";
        let ws = discover("ws/proto", &tree(&[("ws/buf.yaml", yaml)])).unwrap();
        assert_eq!(ws.root, "ws");
        let roots: Vec<_> = ws.modules.iter().map(|m| m.root.as_str()).collect();
        assert_eq!(roots, ["ws/proto", "ws/other"]);
        assert_eq!(ws.modules[0].breaking.use_, ["PACKAGE"]);
        assert_eq!(ws.modules[0].breaking.ignore, ["legacy"]);
        assert_eq!(ws.modules[1].breaking.use_, ["WIRE"]);
        assert!(ws.modules[1].breaking.ignore.is_empty());
    }

    #[test]
    fn v1_workspaces_list_modules_with_their_own_buf_yaml() {
        let files = [
            ("buf.work.yaml", "version: v1\ndirectories: [a, b]\n"),
            (
                "a/buf.yaml",
                "version: v1\nbreaking:\n  use: [WIRE_JSON]\n  ignore: [x.proto]\n",
            ),
        ];
        let ws = discover("a", &tree(&files)).unwrap();
        assert_eq!(ws.modules.len(), 2);
        assert_eq!(ws.modules[0].breaking.use_, ["WIRE_JSON"]);
        assert_eq!(ws.modules[0].breaking.ignore, ["x.proto"]);
        assert_eq!(ws.modules[1].root, "b");
        assert_eq!(ws.modules[1].breaking, Breaking::default());
    }

    #[test]
    fn ignoring_the_module_directory_disables_it() {
        let yaml = "version: v2\nmodules: [{path: p}]\nbreaking: {ignore: [p]}\n";
        let ws = parse_buf_yaml(yaml, "", "buf.yaml").unwrap();
        assert!(ws.modules[0].breaking.ignore_module);
    }

    #[test]
    fn bad_configuration_is_an_error_not_a_panic() {
        for bad in [
            "version: v9\n",
            "breaking: {use: [FILE]}\n",
            "version: v2\nmodules: [{path: ../out}]\n",
            "version: [\n",
            "version: v2\nbreaking: {use: 3}\n",
        ] {
            assert!(parse_buf_yaml(bad, "", "buf.yaml").is_err(), "{bad}");
        }
    }

    #[test]
    fn path_helpers() {
        assert!(contains("", "x"));
        assert!(contains("a", "a/b"));
        assert!(!contains("a", "ab/c"));
        assert_eq!(strip("a", "a/b/c").as_deref(), Some("b/c"));
        assert_eq!(strip("a", "b"), None);
        assert_eq!(ancestors("a/b"), ["a/b", "a", ""]);
    }
}
