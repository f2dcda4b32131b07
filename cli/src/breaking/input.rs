//! What one side of `huntreg breaking` names: a directory, a git reference in buf's syntax
//! (`.git#branch=main,subdir=schemas`), a binary `FileDescriptorSet`, or stdin. Parsing
//! only; reading happens in `source.rs`.

use std::fmt;

/// One side of the comparison, as written on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InputSpec {
    /// A directory on disk (with or without a `buf.yaml`).
    Dir(String),
    /// A commit of a git repository, read from its object store without a checkout.
    Git(GitRef),
    /// A binary `FileDescriptorSet` (a buf image) in a file.
    Image(String),
    /// A binary `FileDescriptorSet` on stdin (`-`).
    Stdin,
}

/// Which commit of a git repository to read, and where inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitRef {
    /// The repository: a `.git` directory or a bare repository (`path/to/repo.git`).
    pub(crate) repo: String,
    /// The revision to read.
    pub(crate) rev: GitRev,
    /// A directory inside the repository that the input points at ("" for the root).
    pub(crate) subdir: String,
}

/// A revision in buf's git input syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GitRev {
    /// `branch=NAME`: a local branch, else the `origin` remote-tracking branch.
    Branch(String),
    /// `tag=NAME`.
    Tag(String),
    /// `ref=REV` (also the deprecated `commit=SHA`): anything `git rev-parse` accepts.
    Ref(String),
    /// No revision given: `HEAD`.
    Head,
}

impl fmt::Display for GitRev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitRev::Branch(b) => write!(f, "branch {b}"),
            GitRev::Tag(t) => write!(f, "tag {t}"),
            GitRev::Ref(r) => write!(f, "ref {r}"),
            GitRev::Head => f.write_str("HEAD"),
        }
    }
}

/// Parses an input argument in buf's syntax.
///
/// `path#k=v,k=v` options: `format` (`dir`, `git`, `binpb`), and for git `branch`, `tag`,
/// `ref`, `commit`, `subdir` (`depth` and `recurse_submodules` are accepted and ignored:
/// the repository's object store is read directly).
pub(crate) fn parse(arg: &str) -> Result<InputSpec, String> {
    if arg == "-" {
        return Ok(InputSpec::Stdin);
    }
    let (path, options) = match arg.split_once('#') {
        Some((path, opts)) => (path, parse_options(opts)?),
        None => (arg, Vec::new()),
    };
    if path.is_empty() {
        return Err(format!(
            "invalid input {arg:?}: the path before '#' is empty"
        ));
    }
    let format = match options.iter().find(|(k, _)| k == "format") {
        Some((_, f)) => f.clone(),
        None => infer_format(path).to_owned(),
    };
    let unknown_for = |allowed: &[&str]| -> Result<(), String> {
        match options
            .iter()
            .find(|(k, _)| k != "format" && !allowed.contains(&k.as_str()))
        {
            Some((k, _)) => Err(format!(
                "invalid input {arg:?}: option {k:?} is not valid for format {format}"
            )),
            None => Ok(()),
        }
    };
    match format.as_str() {
        "dir" => {
            unknown_for(&[])?;
            Ok(InputSpec::Dir(path.to_owned()))
        }
        "binpb" | "bin" => {
            unknown_for(&[])?;
            Ok(if path == "-" {
                InputSpec::Stdin
            } else {
                InputSpec::Image(path.to_owned())
            })
        }
        "git" => {
            unknown_for(&[
                "branch",
                "tag",
                "ref",
                "commit",
                "subdir",
                "depth",
                "recurse_submodules",
            ])?;
            let mut rev = GitRev::Head;
            let mut subdir = String::new();
            for (k, v) in &options {
                let next = match k.as_str() {
                    "branch" => Some(GitRev::Branch(v.clone())),
                    "tag" => Some(GitRev::Tag(v.clone())),
                    "ref" | "commit" => Some(GitRev::Ref(v.clone())),
                    "subdir" => {
                        subdir = normalize_rel(v).ok_or_else(|| {
                            format!("invalid input {arg:?}: subdir {v:?} must be a relative path inside the repository")
                        })?;
                        None
                    }
                    _ => None,
                };
                if let Some(next) = next {
                    if rev != GitRev::Head {
                        return Err(format!(
                            "invalid input {arg:?}: only one of branch, tag, ref or commit may be given"
                        ));
                    }
                    if v.is_empty() {
                        return Err(format!("invalid input {arg:?}: {k} is empty"));
                    }
                    rev = next;
                }
            }
            Ok(InputSpec::Git(GitRef {
                repo: path.to_owned(),
                rev,
                subdir,
            }))
        }
        other => Err(format!(
            "invalid input {arg:?}: format {other:?} is not supported (dir, git, binpb)"
        )),
    }
}

fn parse_options(opts: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for part in opts.split(',') {
        let Some((k, v)) = part.split_once('=') else {
            return Err(format!("invalid input option {part:?}: expected key=value"));
        };
        let k = k.trim();
        if out.iter().any(|(seen, _): &(String, String)| seen == k) {
            return Err(format!("invalid input option {k:?}: given twice"));
        }
        out.push((k.to_owned(), v.trim().to_owned()));
    }
    Ok(out)
}

fn infer_format(path: &str) -> &'static str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.ends_with(".git") {
        "git"
    } else if trimmed.ends_with(".binpb") || trimmed.ends_with(".pb") || trimmed.ends_with(".bin") {
        "binpb"
    } else {
        "dir"
    }
}

/// Normalizes a relative `/`-separated path: drops `.` and empty components, resolves
/// `..` inside it. `None` if it is absolute or climbs above its start.
pub(crate) fn normalize_rel(path: &str) -> Option<String> {
    if path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split(['/', '\\']) {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(repo: &str, rev: GitRev, subdir: &str) -> InputSpec {
        InputSpec::Git(GitRef {
            repo: repo.into(),
            rev,
            subdir: subdir.into(),
        })
    }

    #[test]
    fn directories_are_the_default() {
        assert_eq!(parse("schemas").unwrap(), InputSpec::Dir("schemas".into()));
        assert_eq!(parse(".").unwrap(), InputSpec::Dir(".".into()));
        assert_eq!(
            parse("a/b#format=dir").unwrap(),
            InputSpec::Dir("a/b".into())
        );
    }

    #[test]
    fn git_references_in_buf_syntax() {
        let main = GitRev::Branch("main".into());
        assert_eq!(
            parse(".git#branch=main").unwrap(),
            git(".git", main.clone(), "")
        );
        assert_eq!(
            parse(".git#branch=main,subdir=schemas").unwrap(),
            git(".git", main, "schemas")
        );
        assert_eq!(
            parse(".git#ref=HEAD~1").unwrap(),
            git(".git", GitRev::Ref("HEAD~1".into()), "")
        );
        assert_eq!(
            parse("path/to/repo.git#tag=v1,subdir=./a/b/").unwrap(),
            git("path/to/repo.git", GitRev::Tag("v1".into()), "a/b")
        );
        assert_eq!(
            parse("../.git#commit=0123abc").unwrap(),
            git("../.git", GitRev::Ref("0123abc".into()), "")
        );
        assert_eq!(parse(".git").unwrap(), git(".git", GitRev::Head, ""));
        assert_eq!(
            parse("repo#format=git,branch=dev").unwrap(),
            git("repo", GitRev::Branch("dev".into()), "")
        );
        assert_eq!(
            parse(".git#branch=main,depth=50,recurse_submodules=true").unwrap(),
            git(".git", GitRev::Branch("main".into()), "")
        );
    }

    #[test]
    fn bad_git_references_are_rejected() {
        for bad in [
            ".git#branch=main,tag=v1",
            ".git#branch=",
            ".git#subdir=../outside",
            ".git#subdir=/abs",
            ".git#nonsense=1",
            ".git#branch",
            ".git#branch=a,branch=b",
            "#branch=main",
            "x#format=zip",
            "dir#branch=main,format=dir",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn images_and_stdin() {
        assert_eq!(parse("-").unwrap(), InputSpec::Stdin);
        assert_eq!(
            parse("img.binpb").unwrap(),
            InputSpec::Image("img.binpb".into())
        );
        assert_eq!(
            parse("out/img.pb").unwrap(),
            InputSpec::Image("out/img.pb".into())
        );
        assert_eq!(parse("-#format=binpb").unwrap(), InputSpec::Stdin);
        assert_eq!(
            parse("img#format=binpb").unwrap(),
            InputSpec::Image("img".into())
        );
    }

    #[test]
    fn relative_paths_normalize() {
        assert_eq!(normalize_rel("./a//b/../c/").as_deref(), Some("a/c"));
        assert_eq!(normalize_rel(".").as_deref(), Some(""));
        assert_eq!(normalize_rel("a/../.."), None);
    }
}
