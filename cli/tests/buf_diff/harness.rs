//! Running `buf breaking` and `huntreg breaking` on the same case and comparing them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// One comparison: a directory and the arguments both tools get, run from `cwd`.
#[derive(Debug)]
pub(crate) struct Case {
    /// Unique name (used for the saved copy of a disagreeing case).
    pub(crate) name: String,
    /// The case's directory (everything it needs lives below it).
    pub(crate) root: PathBuf,
    /// Where the tools run.
    pub(crate) cwd: PathBuf,
    /// `breaking` arguments after the subcommand.
    pub(crate) args: Vec<String>,
}

/// What one tool said.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// Exit code (-1 if killed).
    pub(crate) code: i32,
    /// The JSON lines printed on stdout.
    pub(crate) lines: Vec<String>,
    /// stderr.
    pub(crate) stderr: String,
}

impl Outcome {
    /// The comparison keys: (rule ID, path, start line) -> count.
    pub(crate) fn keys(&self) -> BTreeMap<(String, String, u64), usize> {
        let mut out = BTreeMap::new();
        for line in &self.lines {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                *out.entry(("UNPARSEABLE".to_owned(), line.clone(), 0))
                    .or_default() += 1;
                continue;
            };
            let key = (
                v["type"].as_str().unwrap_or("").to_owned(),
                v["path"].as_str().unwrap_or("").to_owned(),
                v["start_line"].as_u64().unwrap_or(0),
            );
            *out.entry(key).or_default() += 1;
        }
        out
    }
}

/// Runs `program breaking <args>` in `cwd`.
pub(crate) fn run(program: &Path, case: &Case) -> Outcome {
    let out = Command::new(program)
        .arg("breaking")
        .args(&case.args)
        .current_dir(&case.cwd)
        .env("BUF_CACHE_DIR", case.root.join(".bufcache"))
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", program.display()));
    Outcome {
        code: out.status.code().unwrap_or(-1),
        lines: String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `f` over `items` on `workers` threads, keeping the order of results.
pub(crate) fn parallel<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                *results[i].lock().unwrap() = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|m| m.into_inner().unwrap().expect("every item ran"))
        .collect()
}

/// Writes `files` (relative path -> text) below `dir`.
pub(crate) fn write_tree(dir: &Path, files: &BTreeMap<String, String>) {
    for (path, text) in files {
        let p = dir.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
}

/// Reads every file below `dir` into a map of relative path -> text.
pub(crate) fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

/// Copies a directory tree (for keeping disagreeing cases around).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    for (rel, text) in read_tree(from) {
        if rel.starts_with(".bufcache") || rel.contains("/.git/") || rel.starts_with(".git/") {
            continue;
        }
        let p = to.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
}
