//! Compiling `.proto` text with protox, in memory (registered schemas and their
//! references) or from a directory. The only code that talks to protox.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use huntreg_schema::compile_texts;
use prost_reflect::DescriptorPool;
use prost_types::FileDescriptorSet;

/// A compiled set of files.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub(crate) fds: FileDescriptorSet,
    pub(crate) pool: DescriptorPool,
}

/// Compiles `open` (names in `files`) with their imports resolved from `files` and the
/// well-known types bundled with protox. Source info is kept (comments become docs,
/// compatibility findings get line numbers).
pub(crate) fn compile_memory(
    files: &BTreeMap<String, String>,
    open: &[String],
) -> Result<Compiled, String> {
    let compiled = compile_texts(Arc::new(files.clone()), open).map_err(render_protox)?;
    Ok(Compiled {
        fds: compiled.files,
        pool: compiled.pool,
    })
}

/// Compiles every `.proto` file under `dir` (names relative to it), and returns the
/// compiled set, the names of the files found, and their paths (for
/// `cargo:rerun-if-changed`).
pub(crate) fn compile_dir(dir: &Path) -> Result<(Compiled, Vec<String>, Vec<PathBuf>), String> {
    let mut paths = Vec::new();
    collect_protos(dir, &mut paths).map_err(|e| format!("{}: {e}", dir.display()))?;
    paths.sort();
    if paths.is_empty() {
        return Err(format!("{}: no .proto files", dir.display()));
    }
    let mut compiler = protox::Compiler::new([dir]).map_err(render_protox)?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(&paths).map_err(render_protox)?;
    let names = compiler
        .files()
        .filter(|f| !f.is_import())
        .map(|f| f.name().to_owned())
        .collect();
    Ok((
        Compiled {
            fds: compiler.file_descriptor_set(),
            pool: compiler.descriptor_pool(),
        },
        names,
        paths,
    ))
}

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
    Ok(())
}

/// protox errors carry spans; miette's narratable rendering prints the file, line and
/// snippet in plain text, which reads well in a build log.
fn render_protox(error: protox::Error) -> String {
    let mut out = String::new();
    let handler = miette::NarratableReportHandler::new();
    if handler.render_report(&mut out, &error).is_err() || out.is_empty() {
        return error.to_string();
    }
    out.trim_end().to_owned()
}
