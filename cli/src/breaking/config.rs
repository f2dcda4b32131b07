//! buf's configuration files as `huntreg breaking` reads them: `buf.yaml` (v1beta1, v1, v2
//! with `modules:`), `buf.work.yaml` (v1 workspaces), and how a workspace is found by
//! walking up from the input directory. Works on any tree through a read callback, so
//! directories and git commits share it.

use huntreg_compat::{BreakingConfig, BufYaml, ConfigVersion};
use serde::Deserialize;

use super::input::normalize_rel;

/// One module: buf.yaml's module (`huntreg_compat::Module`) with its `path`, `includes` and
/// `excludes` rebased onto the tree (`""` is the tree root); its breaking configuration keeps
/// module-relative paths and the version the module was declared with.
pub(crate) use huntreg_compat::Module;

/// The modules of one input, in declaration order.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    /// Tree-relative directory holding the workspace's configuration.
    pub(crate) root: String,
    /// The modules.
    pub(crate) modules: Vec<Module>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawBufWork {
    version: Option<String>,
    directories: Vec<String>,
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

/// Reads a `buf.yaml` found (or given) at tree directory `dir` into its modules.
pub(crate) fn parse_buf_yaml(text: &str, dir: &str, file: &str) -> Result<Workspace, String> {
    let yaml = BufYaml::parse(text).map_err(|e| format!("{file}: {e}"))?;
    let version = yaml.version();
    let mut modules = Vec::new();
    for m in yaml.modules() {
        let under = |paths: &[String]| -> Result<Vec<String>, String> {
            paths.iter().map(|p| rel(dir, p, file)).collect()
        };
        let root = rel(dir, &m.path, file)?;
        if version == ConfigVersion::V1Beta1 && !m.includes.is_empty() {
            // v1beta1 `build.roots`: each root is a module of its own.
            for r in under(&m.includes)? {
                modules.push(Module {
                    path: r,
                    includes: Vec::new(),
                    excludes: under(&m.excludes)?,
                    breaking: m.breaking.clone(),
                });
            }
            continue;
        }
        modules.push(Module {
            path: root,
            includes: under(&m.includes)?,
            excludes: under(&m.excludes)?,
            breaking: m.breaking.clone(),
        });
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
            path: dir.to_owned(),
            includes: Vec::new(),
            excludes: Vec::new(),
            breaking: BreakingConfig::default(),
        }],
    }
}

fn parse_buf_work(
    text: &str,
    dir: &str,
    read: &dyn Fn(&str) -> Option<String>,
) -> Result<Workspace, String> {
    let file = join(dir, "buf.work.yaml");
    let raw: RawBufWork = if text.trim().is_empty() {
        RawBufWork::default()
    } else {
        serde_yaml::from_str(text).map_err(|e| format!("{file}: invalid YAML: {e}"))?
    };
    if raw.version.as_deref().map(str::trim) != Some("v1") {
        return Err(format!("{file}: \"version\" must be v1"));
    }
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
                .any(|m| contains(&m.path, start) || contains(start, &m.path))
            {
                return Ok(ws);
            }
        }
        let yaml = join(&dir, "buf.yaml");
        if let Some(text) = read(&yaml) {
            let ws = parse_buf_yaml(&text, &dir, &yaml)?;
            if ws.modules.first().map(|m| m.breaking.version()) == Some(ConfigVersion::V2) {
                // A v2 workspace counts only if the input is in one of its modules or
                // holds some of them; otherwise the input stands on its own.
                if ws
                    .modules
                    .iter()
                    .any(|m| contains(&m.path, start) || contains(start, &m.path))
                {
                    return Ok(ws);
                }
                continue;
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

    fn ids(m: &Module) -> Vec<&'static str> {
        m.breaking.rules().ids().to_vec()
    }

    fn category(c: huntreg_compat::Category) -> Vec<&'static str> {
        huntreg_compat::RuleSet::category(c).ids().to_vec()
    }

    #[test]
    fn no_configuration_means_one_v1_module_at_the_input() {
        let ws = discover("a/b", &tree(&[])).unwrap();
        assert_eq!(ws.modules.len(), 1);
        assert_eq!(ws.modules[0].path, "a/b");
        assert_eq!(ws.modules[0].breaking.version(), ConfigVersion::V1);
    }

    #[test]
    fn v2_modules_are_found_above_the_input() {
        let yaml = "version: v2\nmodules:\n  - path: proto\n  - path: other\n    breaking:\n      use: [WIRE]\nbreaking:\n  use: [PACKAGE]\n  ignore: [proto/legacy, other/x.proto]\n";
        let ws = discover("ws/proto", &tree(&[("ws/buf.yaml", yaml)])).unwrap();
        assert_eq!(ws.root, "ws");
        let roots: Vec<_> = ws.modules.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(roots, ["ws/proto", "ws/other"]);
        assert_eq!(
            ids(&ws.modules[0]),
            category(huntreg_compat::Category::Package)
        );
        assert_eq!(
            ids(&ws.modules[1]),
            category(huntreg_compat::Category::Wire)
        );
        assert_eq!(ws.modules[0].breaking.version(), ConfigVersion::V2);
    }

    #[test]
    fn v1_workspaces_list_modules_with_their_own_buf_yaml() {
        let files = [
            ("buf.work.yaml", "version: v1\ndirectories: [a, b]\n"),
            ("a/buf.yaml", "version: v1\nbreaking:\n  use: [WIRE]\n"),
        ];
        let ws = discover("a", &tree(&files)).unwrap();
        assert_eq!(ws.modules.len(), 2);
        assert_eq!(ws.root, "");
        let v1_wire =
            huntreg_compat::RuleSet::from_config(ConfigVersion::V1, &["WIRE"], &[]).unwrap();
        assert_eq!(ids(&ws.modules[0]), v1_wire.ids());
        assert_eq!(ws.modules[1].path, "b");
        assert_eq!(ws.modules[1].breaking, BreakingConfig::default());
    }

    #[test]
    fn a_nearer_v1_buf_yaml_is_used_without_a_workspace() {
        let files = [
            ("x/buf.yaml", "version: v1\n"),
            ("x/y/buf.yaml", "version: v1\nbreaking: {use: [WIRE]}\n"),
        ];
        let ws = discover("x/y/z", &tree(&files)).unwrap();
        assert_eq!(ws.modules[0].path, "x/y");
    }

    #[test]
    fn a_v2_workspace_that_does_not_cover_the_input_is_skipped() {
        let files = [("buf.yaml", "version: v2\nmodules: [{path: schemas}]\n")];
        let ws = discover("tests/cases", &tree(&files)).unwrap();
        assert_eq!(ws.modules[0].path, "tests/cases");
        let ws = discover("schemas", &tree(&files)).unwrap();
        assert_eq!(ws.root, "");
    }

    #[test]
    fn ignoring_the_module_directory_disables_it() {
        let yaml = "version: v2\nmodules: [{path: p}]\nbreaking: {ignore: [p]}\n";
        let ws = parse_buf_yaml(yaml, "", "buf.yaml").unwrap();
        assert!(ws.modules[0].breaking.ignores_everything());
    }

    #[test]
    fn v1beta1_roots_are_modules() {
        let yaml = "version: v1beta1\nbuild:\n  roots: [a, b]\n";
        let ws = parse_buf_yaml(yaml, "w", "w/buf.yaml").unwrap();
        let roots: Vec<_> = ws.modules.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(roots, ["w/a", "w/b"]);
    }

    #[test]
    fn bad_configuration_is_an_error_not_a_panic() {
        for bad in [
            "version: v9\n",
            "version: v2\nmodules: [{path: ../out}]\n",
            "version: [\n",
            "version: v2\nbreaking: {use: 3}\n",
            "version: v2\nbreaking: {use: [NOT_A_RULE]}\n",
        ] {
            assert!(parse_buf_yaml(bad, "", "buf.yaml").is_err(), "{bad}");
        }
        let work = [("buf.work.yaml", "version: v1\ndirectories: []\n")];
        assert!(discover("", &tree(&work)).is_err());
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
