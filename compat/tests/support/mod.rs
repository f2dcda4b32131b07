//! Test support shared by the integration tests: compiling a directory of `.proto` files
//! with protox into an [`Image`], rendering findings as snapshot rows, and running the real
//! `buf breaking` (installed by `scripts/setup-tools`) on the same directories.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

use huntreg_compat::{Finding, Image};
use serde::Serialize;

/// Every `.proto` file under `dir`, relative to it, sorted.
pub fn proto_files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "proto") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Compiles every `.proto` file under `dir` (with source info) into an image whose targets
/// are exactly those files.
pub fn compile_dir(dir: &Path) -> Image {
    let files = proto_files(dir);
    let mut compiler = protox::Compiler::new([dir]).expect("compiler");
    compiler.include_source_info(true);
    compiler
        .open_files(&files)
        .unwrap_or_else(|e| panic!("compile {}: {e:?}", dir.display()));
    let mut image = Image::with_targets(compiler.descriptor_pool(), files.clone());
    for name in files {
        let text = std::fs::read_to_string(dir.join(&name)).expect("read proto");
        image = image.with_source(name, text);
    }
    image
}

/// In-memory `.proto` files (name, text) for protox, then its bundled `google/protobuf/*`
/// files: the test-side resolver (the product's is `huntreg_schema::MemoryResolver`, which
/// this crate cannot depend on: huntreg-schema depends on it).
pub struct MemoryFiles(pub Vec<(String, String)>);

impl protox::file::FileResolver for MemoryFiles {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        match self.0.iter().find(|(n, _)| n == name) {
            Some((_, text)) => protox::file::File::from_source(name, text),
            None => protox::file::GoogleFileResolver::new().open_file(name),
        }
    }
}

/// Compiles in-memory `files`, opening every one, into a pool (imports included); with
/// source info (comments, spans) only when `source_info` (the pool is built from the
/// descriptor set protox writes, since its own pool always keeps source info).
pub fn compile_memory(
    files: &[(&str, &str)],
    source_info: bool,
) -> Result<prost_reflect::DescriptorPool, protox::Error> {
    let owned = files
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    let mut compiler = protox::Compiler::with_file_resolver(MemoryFiles(owned));
    compiler
        .include_imports(true)
        .include_source_info(source_info);
    compiler.open_files(files.iter().map(|(n, _)| *n))?;
    Ok(
        prost_reflect::DescriptorPool::from_file_descriptor_set(compiler.file_descriptor_set())
            .expect("protox's output is a valid pool"),
    )
}

/// The image of one in-memory file, every file of its pool checked (no source info unless
/// `source_info`), or protox's error.
pub fn compile_one(name: &str, text: &str, source_info: bool) -> Result<Image, protox::Error> {
    Ok(Image::new(compile_memory(&[(name, text)], source_info)?))
}

/// Compiles in-memory files (name, text) into an image.
pub fn compile_text(files: &[(&str, &str)]) -> Image {
    let dir = tempdir();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let image = compile_dir(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    image
}

fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "huntreg-compat-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One finding as the snapshots (and buf's JSON) show it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Row {
    pub file: Option<String>,
    pub span: String,
    pub rule: String,
    pub message: String,
}

/// Renders findings as rows; a missing span prints as buf prints it, `1:1-1:1`.
pub fn rows(findings: &[Finding]) -> Vec<Row> {
    findings
        .iter()
        .map(|f| {
            let span = f
                .location
                .as_ref()
                .and_then(|l| l.span)
                .map(|s| {
                    format!(
                        "{}:{}-{}:{}",
                        s.start_line, s.start_column, s.end_line, s.end_column
                    )
                })
                .unwrap_or_else(|| "1:1-1:1".to_owned());
            Row {
                file: f.location.as_ref().map(|l| l.file.clone()),
                span,
                rule: f.rule.to_owned(),
                message: f.message.clone(),
            }
        })
        .collect()
}

/// The real `buf` binary, when `scripts/setup-tools` installed it.
pub fn buf() -> Option<PathBuf> {
    let tools = std::env::var_os("HUNTREG_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools"));
    let bin = tools.join("node_modules/.bin/buf");
    bin.is_file().then_some(bin)
}

/// Runs `buf breaking current --against previous` with `config` (buf.yaml as JSON) and
/// returns its findings as rows, in buf's order.
pub fn buf_rows(buf: &Path, previous: &Path, current: &Path, config: &str) -> Vec<Row> {
    let output = Command::new(buf)
        .current_dir(current)
        .args([
            "breaking",
            ".",
            "--error-format",
            "json",
            "--config",
            config,
        ])
        .arg("--against")
        .arg(previous)
        .args(["--against-config", config])
        .output()
        .expect("run buf");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        matches!(output.status.code(), Some(0 | 100)),
        "buf failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("buf json");
            let n = |k: &str| {
                v.get(k)
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(1)
                    .max(1)
            };
            Row {
                file: v.get("path").and_then(|p| p.as_str()).map(str::to_owned),
                span: format!(
                    "{}:{}-{}:{}",
                    n("start_line"),
                    n("start_column"),
                    n("end_line"),
                    n("end_column")
                ),
                rule: v["type"].as_str().unwrap_or_default().to_owned(),
                message: v["message"].as_str().unwrap_or_default().to_owned(),
            }
        })
        .collect()
}
