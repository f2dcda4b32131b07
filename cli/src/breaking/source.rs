//! Reading one side of `huntreg breaking` into memory: the workspace's modules and their
//! `.proto` sources, from a directory or from a git commit (through `git rev-parse`,
//! `git ls-tree` and `git cat-file --batch`; no checkout), or a binary `FileDescriptorSet`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use super::config::{self, contains, join, strip, Module, Workspace};
use super::input::{GitRef, GitRev, InputSpec};

/// `.proto` sources of one module: module-relative name -> text.
pub(crate) type Sources = BTreeMap<String, String>;

/// One module of an input, read into memory.
#[derive(Debug)]
pub(crate) struct LoadedModule {
    /// The module's configuration.
    pub(crate) module: Module,
    /// Root relative to the workspace root (how modules of the two sides are paired).
    pub(crate) key: String,
    /// Index of this module's sources in [`LoadedDir::sources`].
    pub(crate) index: usize,
    /// Module-relative names of the module's files that are checked.
    pub(crate) targets: Vec<String>,
}

/// A directory-like input: every module of its workspace (for imports) and the selected ones.
#[derive(Debug)]
pub(crate) struct LoadedDir {
    /// Sources of every module of the workspace, in declaration order.
    pub(crate) sources: Vec<Arc<Sources>>,
    /// Where the files are, for printing their paths as buf does.
    pub(crate) paths: ExternalPaths,
    /// The modules the input points at.
    pub(crate) modules: Vec<LoadedModule>,
}

/// One side, read.
#[derive(Debug)]
pub(crate) enum Loaded {
    /// Directory or git input: sources to compile.
    Dir(LoadedDir),
    /// A `FileDescriptorSet`, already compiled.
    Image(prost_types::FileDescriptorSet),
}

/// Where a tree's files come from.
trait Tree {
    /// A file's text, if it exists.
    fn read_text(&self, path: &str) -> Option<String>;
    /// Every `.proto` file under `dir`, tree-relative.
    fn list_protos(&self, dir: &str) -> Result<Vec<String>, String>;
    /// Reads many files.
    fn read_many(&self, paths: &[String]) -> Result<Vec<String>, String>;
}

/// The file system, addressed by absolute paths without the leading `/`.
struct FsTree;

fn fs_path(p: &str) -> PathBuf {
    PathBuf::from(format!("/{p}"))
}

impl Tree for FsTree {
    fn read_text(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(fs_path(path)).ok()
    }

    fn list_protos(&self, dir: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_owned()];
        // Symbolic links to directories are followed (as buf does), each directory once.
        let mut seen = std::collections::HashSet::new();
        while let Some(d) = stack.pop() {
            let entries = match std::fs::read_dir(fs_path(&d)) {
                Ok(e) => e,
                Err(e) if d == dir => return Err(format!("{}: {e}", fs_path(&d).display())),
                Err(_) => continue,
            };
            if let Ok(real) = std::fs::canonicalize(fs_path(&d)) {
                if !seen.insert(real) {
                    continue;
                }
            }
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                let path = join(&d, name);
                let Ok(ty) = entry.file_type() else { continue };
                let is_dir = if ty.is_symlink() {
                    std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir())
                } else {
                    ty.is_dir()
                };
                if is_dir {
                    if name != ".git" {
                        stack.push(path);
                    }
                } else if name.ends_with(".proto") {
                    out.push(path);
                }
            }
        }
        Ok(out)
    }

    fn read_many(&self, paths: &[String]) -> Result<Vec<String>, String> {
        paths
            .iter()
            .map(|p| {
                let bytes = std::fs::read(fs_path(p))
                    .map_err(|e| format!("{}: {e}", fs_path(p).display()))?;
                String::from_utf8(bytes)
                    .map_err(|_| format!("{}: not valid UTF-8", fs_path(p).display()))
            })
            .collect()
    }
}

/// One commit of a git repository.
struct GitTree {
    git_dir: PathBuf,
    /// Tree-relative path -> blob object ID, for every blob of the commit.
    blobs: BTreeMap<String, String>,
}

fn git(git_dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run git: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("git {}: {}", args.join(" "), err.trim()));
    }
    Ok(out.stdout)
}

impl GitTree {
    fn open(r: &GitRef) -> Result<GitTree, String> {
        let git_dir = PathBuf::from(&r.repo);
        if !git_dir.is_dir() {
            return Err(format!("{}: not a git repository", r.repo));
        }
        let candidates: Vec<String> = match &r.rev {
            GitRev::Branch(b) => vec![
                format!("refs/heads/{b}"),
                format!("refs/remotes/origin/{b}"),
            ],
            GitRev::Tag(t) => vec![format!("refs/tags/{t}")],
            GitRev::Ref(x) => vec![x.clone()],
            GitRev::Head => vec!["HEAD".to_owned()],
        };
        let commit = candidates
            .iter()
            .find_map(|c| {
                git(
                    &git_dir,
                    &[
                        "rev-parse",
                        "--verify",
                        "--quiet",
                        &format!("{c}^{{commit}}"),
                    ],
                )
                .ok()
            })
            .map(|o| String::from_utf8_lossy(&o).trim().to_owned())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| format!("{}: {} does not name a commit", r.repo, r.rev))?;
        let listing = git(&git_dir, &["ls-tree", "-r", "-z", "--full-tree", &commit])?;
        let mut blobs = BTreeMap::new();
        for entry in listing.split(|b| *b == 0) {
            // "<mode> <type> <oid>\t<path>"
            let Ok(entry) = std::str::from_utf8(entry) else {
                continue;
            };
            let Some((meta, path)) = entry.split_once('\t') else {
                continue;
            };
            let mut meta = meta.split(' ');
            let (_, Some("blob"), Some(oid)) = (meta.next(), meta.next(), meta.next()) else {
                continue;
            };
            blobs.insert(path.to_owned(), oid.to_owned());
        }
        Ok(GitTree { git_dir, blobs })
    }
}

impl Tree for GitTree {
    fn read_text(&self, path: &str) -> Option<String> {
        self.read_many(&[path.to_owned()]).ok()?.pop()
    }

    fn list_protos(&self, dir: &str) -> Result<Vec<String>, String> {
        Ok(self
            .blobs
            .keys()
            .filter(|p| p.ends_with(".proto") && contains(dir, p))
            .cloned()
            .collect())
    }

    fn read_many(&self, paths: &[String]) -> Result<Vec<String>, String> {
        let oids = paths
            .iter()
            .map(|p| {
                self.blobs
                    .get(p)
                    .ok_or_else(|| format!("{p}: no such file in the commit"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if oids.is_empty() {
            return Ok(Vec::new());
        }
        let mut child = Command::new("git")
            .arg("--git-dir")
            .arg(&self.git_dir)
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not run git: {e}"))?;
        let mut request = String::new();
        for oid in &oids {
            request.push_str(oid);
            request.push('\n');
        }
        let mut stdin = child.stdin.take().ok_or("git cat-file: no stdin")?;
        let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
        let mut out = Vec::new();
        child
            .stdout
            .take()
            .ok_or("git cat-file: no stdout")?
            .read_to_end(&mut out)
            .map_err(|e| format!("git cat-file: {e}"))?;
        let _ = writer.join();
        let _ = child.wait();
        let mut texts = Vec::with_capacity(oids.len());
        let mut rest = out.as_slice();
        for (path, _) in paths.iter().zip(&oids) {
            let nl = rest
                .iter()
                .position(|b| *b == b'\n')
                .ok_or("git cat-file: truncated output")?;
            let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
            let size: usize = header
                .rsplit(' ')
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("git cat-file: unexpected header {header:?}"))?;
            let body = rest
                .get(nl + 1..nl + 1 + size)
                .ok_or("git cat-file: truncated output")?;
            texts.push(
                String::from_utf8(body.to_vec()).map_err(|_| format!("{path}: not valid UTF-8"))?,
            );
            rest = rest.get(nl + 2 + size..).unwrap_or_default();
        }
        Ok(texts)
    }
}

/// Reads a `--config` value: a path to a file, or the YAML itself.
pub(crate) fn config_text(value: &str) -> Result<String, String> {
    let looks_like_file = !value.contains('\n') && !value.contains(':');
    if looks_like_file || Path::new(value).is_file() {
        std::fs::read_to_string(value).map_err(|e| format!("--config {value}: {e}"))
    } else {
        Ok(value.to_owned())
    }
}

/// Lexically cleans a user-given directory for display: `./a/` -> `a`, `.` -> ``.
fn display_path(p: &str) -> String {
    let absolute = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Reads the input named by `spec`. `config` overrides the workspace's `buf.yaml`.
pub(crate) fn load(spec: &InputSpec, config: Option<&str>) -> Result<Loaded, String> {
    match spec {
        InputSpec::Dir(dir) => {
            let abs = std::fs::canonicalize(dir).map_err(|e| format!("{dir}: {e}"))?;
            if !abs.is_dir() {
                return Err(format!("{dir}: not a directory"));
            }
            let Some(start) = abs.to_str().map(|s| s.trim_start_matches('/').to_owned()) else {
                return Err(format!("{dir}: the path is not valid UTF-8"));
            };
            load_tree(&FsTree, &start, config, &display_path(dir)).map(Loaded::Dir)
        }
        InputSpec::Git(r) => {
            let tree = GitTree::open(r)?;
            load_tree(&tree, &r.subdir, config, "").map(Loaded::Dir)
        }
        InputSpec::Image(path) => {
            let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
            decode_image(&bytes, path).map(Loaded::Image)
        }
        InputSpec::Stdin => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("stdin: {e}"))?;
            decode_image(&bytes, "stdin").map(Loaded::Image)
        }
    }
}

fn decode_image(bytes: &[u8], what: &str) -> Result<prost_types::FileDescriptorSet, String> {
    use prost::Message;
    let set = prost_types::FileDescriptorSet::decode(bytes)
        .map_err(|e| format!("{what}: not a binary FileDescriptorSet: {e}"))?;
    if set.file.is_empty() {
        return Err(format!("{what}: the FileDescriptorSet holds no file"));
    }
    Ok(set)
}

fn load_tree(
    tree: &dyn Tree,
    start: &str,
    config: Option<&str>,
    display: &str,
) -> Result<LoadedDir, String> {
    let ws: Workspace = match config {
        Some(value) => config::parse_buf_yaml(&config_text(value)?, start, "--config")?,
        None => config::discover(start, &|p| tree.read_text(p))?,
    };
    let mut sources = Vec::with_capacity(ws.modules.len());
    let mut roots = Vec::with_capacity(ws.modules.len());
    let mut modules = Vec::new();
    for (index, module) in ws.modules.into_iter().enumerate() {
        let mut paths: Vec<String> = tree
            .list_protos(&module.path)?
            .into_iter()
            .filter(|p| {
                (module.includes.is_empty() || module.includes.iter().any(|i| contains(i, p)))
                    && !module.excludes.iter().any(|e| contains(e, p))
            })
            .collect();
        paths.sort();
        let texts = tree.read_many(&paths)?;
        let mut src = Sources::new();
        for (path, text) in paths.iter().zip(texts) {
            if let Some(name) = strip(&module.path, path) {
                src.insert(name, text);
            }
        }
        roots.push(module.path.clone());
        if config.is_none() && contains(&module.path, start) && module.path != start {
            let rel = |p: &str| match strip(&ws.root, p) {
                Some(r) if !r.is_empty() => r,
                _ => ".".to_owned(),
            };
            return Err(format!(
                "failed to build input \"{}\" because it is contained by module at path \"{}\" specified in your configuration, you must provide the workspace or module as the input, and filter to this path using --path",
                rel(start),
                rel(&module.path)
            ));
        }
        let selected = contains(&module.path, start) || contains(start, &module.path);
        // A module ignored as a whole stays resolvable for imports but is never checked.
        if selected && !module.breaking.ignores_everything() {
            let targets = src
                .keys()
                .filter(|name| contains(start, &join(&module.path, name)))
                .cloned()
                .collect();
            let key = strip(&ws.root, &module.path).unwrap_or_else(|| module.path.clone());
            modules.push(LoadedModule {
                module,
                key,
                index,
                targets,
            });
        }
        sources.push(Arc::new(src));
    }
    if let Some(empty) = modules.iter().find(|m| sources[m.index].is_empty()) {
        let shown = join(display, &relative(start, &empty.module.path));
        return Err(format!(
            "Module \"path: \"{}\"\" had no .proto files",
            if shown.is_empty() { "." } else { &shown }
        ));
    }
    Ok(LoadedDir {
        sources,
        paths: ExternalPaths {
            roots,
            start: start.to_owned(),
            display: display.to_owned(),
        },
        modules,
    })
}

/// How the paths of an input's files are printed: relative to the input as the user wrote
/// it (buf's "external path").
#[derive(Debug, Clone, Default)]
pub(crate) struct ExternalPaths {
    /// Tree-relative root of each module.
    pub(crate) roots: Vec<String>,
    /// Tree-relative directory the input points at.
    pub(crate) start: String,
    /// The input as written, cleaned (`""` for `.`).
    pub(crate) display: String,
}

impl ExternalPaths {
    /// The printed path of module `module`'s file `name`.
    pub(crate) fn of(&self, module: usize, name: &str) -> String {
        match self.roots.get(module) {
            Some(root) => join(&self.display, &relative(&self.start, &join(root, name))),
            None => name.to_owned(),
        }
    }
}

/// The `/`-separated path that leads from directory `from` to `to` (both tree-relative).
pub(crate) fn relative(from: &str, to: &str) -> String {
    let from: Vec<&str> = from.split('/').filter(|c| !c.is_empty()).collect();
    let to: Vec<&str> = to.split('/').filter(|c| !c.is_empty()).collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts = vec![".."; from.len() - common];
    parts.extend(&to[common..]);
    parts.join("/")
}

/// Paths named by `--path`/`--exclude-path`, turned into module-relative filters.
#[derive(Debug, Default)]
pub(crate) struct PathFilter {
    /// External paths the targets are limited to (empty: all).
    pub(crate) paths: Vec<String>,
    /// External paths taken out of the targets.
    pub(crate) exclude: Vec<String>,
}

impl PathFilter {
    /// True if the file with this external path is kept.
    pub(crate) fn keeps(&self, external: &str) -> bool {
        (self.paths.is_empty() || self.paths.iter().any(|p| contains(p, external)))
            && !self.exclude.iter().any(|p| contains(p, external))
    }

    /// Cleans user-given paths.
    pub(crate) fn new(paths: &[String], exclude: &[String]) -> PathFilter {
        PathFilter {
            paths: paths.iter().map(|p| display_path(p)).collect(),
            exclude: exclude.iter().map(|p| display_path(p)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_cleaned_like_buf_prints_them() {
        assert_eq!(display_path("."), "");
        assert_eq!(display_path("./current/"), "current");
        assert_eq!(display_path("../previous"), "../previous");
        assert_eq!(display_path("a/../b"), "b");
        assert_eq!(display_path("/tmp/x/"), "/tmp/x");
    }

    #[test]
    fn relative_paths_between_directories() {
        assert_eq!(relative("a/b", "a/b/c"), "c");
        assert_eq!(relative("a/b", "a"), "..");
        assert_eq!(relative("a/b", "a/x/y"), "../x/y");
        assert_eq!(relative("", "p"), "p");
        assert_eq!(relative("p", "p"), "");
    }

    #[test]
    fn path_filters_match_files_and_directories() {
        let f = PathFilter::new(&["current/a".into()], &["current/a/skip.proto".into()]);
        assert!(f.keeps("current/a/x.proto"));
        assert!(!f.keeps("current/a/skip.proto"));
        assert!(!f.keeps("current/b.proto"));
        assert!(PathFilter::default().keeps("anything.proto"));
    }
}
