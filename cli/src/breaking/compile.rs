//! Compiling a module's `.proto` sources in memory with protox: the module's own files
//! first, then the other modules of its workspace, then protox's built-in well-known
//! types. A compile error becomes a `COMPILE` finding, as in buf.

use std::sync::Arc;

use huntreg_schema::MemoryResolver;
use miette::Diagnostic;
use prost_reflect::DescriptorPool;
use protox::file::{ChainFileResolver, GoogleFileResolver};

use super::source::Sources;

/// A compile error located the way buf prints `COMPILE` findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompileError {
    /// The module-relative file the error is in, when known.
    pub(crate) file: Option<String>,
    /// 1-based line, column, end line, end column; zeros when unknown.
    pub(crate) span: [u32; 4],
    /// What went wrong.
    pub(crate) message: String,
}

/// Compiles `targets` of the module at `own` (an index into `all`) into a pool, with
/// source info (spans) when `source_info` is set.
pub(crate) fn compile(
    all: &[Arc<Sources>],
    own: usize,
    targets: &[String],
    source_info: bool,
) -> Result<DescriptorPool, CompileError> {
    let mut roots = Vec::with_capacity(all.len());
    if let Some(s) = all.get(own) {
        roots.push(s.clone());
    }
    roots.extend(
        all.iter()
            .enumerate()
            .filter(|(i, _)| *i != own)
            .map(|(_, s)| s.clone()),
    );
    let mut chain = ChainFileResolver::new();
    let memory = roots.into_iter().fold(
        MemoryResolver::new().source_info(source_info),
        MemoryResolver::texts,
    );
    chain.add(memory);
    chain.add(GoogleFileResolver::new());
    let mut compiler = protox::Compiler::with_file_resolver(chain);
    compiler.include_source_info(true).include_imports(true);
    for t in targets {
        compiler.open_file(t).map_err(|e| locate(&e))?;
    }
    Ok(compiler.descriptor_pool())
}

/// Turns a protox error into a located `COMPILE` finding.
pub(crate) fn locate(err: &protox::Error) -> CompileError {
    let mut span = [0; 4];
    let mut file = err.file().map(str::to_owned);
    if let (Some(src), Some(label)) = (err.source_code(), err.labels().and_then(|mut l| l.next())) {
        let start = src.read_span(&(label.offset(), 0).into(), 0, 0).ok();
        let end = src
            .read_span(&(label.offset() + label.len(), 0).into(), 0, 0)
            .ok();
        if let Some(s) = start {
            span[0] = s.line() as u32 + 1;
            span[1] = s.column() as u32 + 1;
            if file.is_none() {
                file = s.name().map(str::to_owned);
            }
        }
        if let Some(e) = end {
            span[2] = e.line() as u32 + 1;
            span[3] = e.column() as u32 + 1;
        }
    }
    let message = err.to_string();
    CompileError {
        file,
        span,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> Arc<Sources> {
        Arc::new(
            files
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn imports_resolve_across_modules_and_well_known_types() {
        let a = sources(&[(
            "a.proto",
            "syntax = \"proto3\";\nimport \"b.proto\";\nimport \"google/protobuf/timestamp.proto\";\nmessage A { B b = 1; google.protobuf.Timestamp at = 2; }\n",
        )]);
        let b = sources(&[("b.proto", "syntax = \"proto3\";\nmessage B {}\n")]);
        let pool = compile(&[a, b], 0, &["a.proto".into()], true).unwrap();
        assert!(pool.get_message_by_name("A").is_some());
        let file = pool.get_file_by_name("a.proto").unwrap();
        assert!(file.file_descriptor_proto().source_code_info.is_some());
    }

    #[test]
    fn syntax_errors_are_located() {
        let a = sources(&[(
            "a.proto",
            "syntax = \"proto3\";\nmessage A {\n  int32 x = 1\n}\n",
        )]);
        let err = compile(&[a], 0, &["a.proto".into()], true).unwrap_err();
        assert_eq!(err.file.as_deref(), Some("a.proto"));
        assert_eq!(err.span[0], 4, "{err:?}");
    }

    #[test]
    fn missing_imports_are_errors() {
        let a = sources(&[("a.proto", "syntax = \"proto3\";\nimport \"nope.proto\";\n")]);
        let err = compile(&[a], 0, &["a.proto".into()], true).unwrap_err();
        assert!(err.message.contains("nope.proto"), "{err:?}");
    }
}
