//! [`MemoryResolver`]: the one way huntreg hands in-memory files to protox, whether they are
//! `.proto` texts (a submitted schema, a lockfile's versions, a module's sources) or compiled
//! descriptors (a registered schema's references).

use std::collections::BTreeMap;
use std::sync::Arc;

use protox::file::{File, FileResolver};

use crate::DepFiles;

/// Source texts by import path.
pub type Texts = BTreeMap<String, String>;

/// Resolves imports from in-memory texts and descriptors, in the order they were added: the
/// first layer holding a name wins. Well-known files are not included; chain a resolver for
/// them after this one (the registry's bundled set, or protox's `GoogleFileResolver`).
#[derive(Debug, Clone)]
pub struct MemoryResolver {
    layers: Vec<Layer>,
    source_info: bool,
}

#[derive(Debug, Clone)]
enum Layer {
    Texts(Arc<Texts>),
    Text { name: String, source: String },
    Descriptors(DepFiles),
}

impl Default for MemoryResolver {
    fn default() -> MemoryResolver {
        MemoryResolver::new()
    }
}

impl MemoryResolver {
    /// An empty resolver that keeps source info (spans for errors and findings, comments).
    pub fn new() -> MemoryResolver {
        MemoryResolver {
            layers: Vec::new(),
            source_info: true,
        }
    }

    /// Adds a set of source texts.
    pub fn texts(mut self, texts: Arc<Texts>) -> MemoryResolver {
        self.layers.push(Layer::Texts(texts));
        self
    }

    /// Adds one source text named `name`.
    pub fn text(mut self, name: impl Into<String>, source: impl Into<String>) -> MemoryResolver {
        self.layers.push(Layer::Text {
            name: name.into(),
            source: source.into(),
        });
        self
    }

    /// Adds compiled files (references), by import path.
    pub fn descriptors(mut self, files: DepFiles) -> MemoryResolver {
        self.layers.push(Layer::Descriptors(files));
        self
    }

    /// Whether texts keep their source info. Without it a pool builds faster, but compile
    /// errors lose their spans and descriptors their comments.
    pub fn source_info(mut self, keep: bool) -> MemoryResolver {
        self.source_info = keep;
        self
    }

    fn open_text(&self, name: &str, source: &str) -> Result<File, protox::Error> {
        let file = File::from_source(name, source)?;
        if self.source_info {
            return Ok(file);
        }
        let mut proto = file.file_descriptor_proto().clone();
        proto.source_code_info = None;
        Ok(File::from_file_descriptor_proto(proto))
    }
}

impl FileResolver for MemoryResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        for layer in &self.layers {
            match layer {
                Layer::Texts(texts) => {
                    if let Some(source) = texts.get(name) {
                        return self.open_text(name, source);
                    }
                }
                Layer::Text { name: n, source } if n == name => {
                    return self.open_text(name, source);
                }
                Layer::Text { .. } => {}
                Layer::Descriptors(files) => {
                    if let Some(file) = files.get(name) {
                        return Ok(File::from_file_descriptor_proto(file.proto.clone()));
                    }
                }
            }
        }
        Err(protox::Error::file_not_found(name))
    }
}

/// A set of `.proto` texts compiled by [`compile_texts`].
#[derive(Debug, Clone)]
pub struct CompiledTexts {
    /// The opened files and their imports, in dependency order.
    pub files: prost_types::FileDescriptorSet,
    /// The same files as a pool.
    pub pool: prost_reflect::DescriptorPool,
}

/// Compiles `open` (names in `texts`) with imports resolved from `texts`, then from protox's
/// bundled `google/protobuf/*` files, keeping source info (comments become docs, findings
/// get lines).
pub fn compile_texts<S: AsRef<str>>(
    texts: Arc<Texts>,
    open: &[S],
) -> Result<CompiledTexts, protox::Error> {
    let mut chain = protox::file::ChainFileResolver::new();
    chain.add(MemoryResolver::new().texts(texts));
    chain.add(protox::file::GoogleFileResolver::new());
    let mut compiler = protox::Compiler::with_file_resolver(chain);
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(open.iter().map(AsRef::as_ref))?;
    Ok(CompiledTexts {
        files: compiler.file_descriptor_set(),
        pool: compiler.descriptor_pool(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(files: &[(&str, &str)]) -> Arc<Texts> {
        Arc::new(
            files
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn the_first_layer_holding_a_name_wins() {
        let resolver = MemoryResolver::new()
            .text("a.proto", "syntax = \"proto3\"; message A {}")
            .texts(texts(&[
                ("a.proto", "syntax = \"proto3\"; message Shadowed {}"),
                ("b.proto", "syntax = \"proto3\"; message B {}"),
            ]));
        let a = resolver.open_file("a.proto").unwrap();
        assert_eq!(a.file_descriptor_proto().message_type[0].name(), "A");
        let b = resolver.open_file("b.proto").unwrap();
        assert_eq!(b.file_descriptor_proto().message_type[0].name(), "B");
        assert!(resolver.open_file("c.proto").is_err());
    }

    #[test]
    fn texts_compile_with_the_well_known_files() {
        let compiled = compile_texts(
            texts(&[(
                "a.proto",
                "syntax = \"proto3\"; import \"google/protobuf/timestamp.proto\"; message A { google.protobuf.Timestamp at = 1; }",
            )]),
            &["a.proto"],
        )
        .unwrap();
        assert!(compiled.pool.get_message_by_name("A").is_some());
        assert_eq!(compiled.files.file.len(), 2);
        assert!(compile_texts(texts(&[]), &["missing.proto"]).is_err());
    }

    #[test]
    fn source_info_is_dropped_on_request() {
        let text = "syntax = \"proto3\";\n// doc\nmessage A {}";
        let kept = MemoryResolver::new().text("a.proto", text);
        let dropped = kept.clone().source_info(false);
        assert!(kept
            .open_file("a.proto")
            .unwrap()
            .file_descriptor_proto()
            .source_code_info
            .is_some());
        assert!(dropped
            .open_file("a.proto")
            .unwrap()
            .file_descriptor_proto()
            .source_code_info
            .is_none());
    }
}
