//! `Image`: the files one side of a comparison consists of (a descriptor pool plus which
//! of its files are checked, as opposed to imports).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use prost_reflect::DescriptorPool;

use crate::index::Index;

/// One side of a comparison: a compiled pool and the names of the files in it that are
/// checked. Files not listed (imports, well-known types) only resolve names.
#[derive(Debug, Clone)]
pub struct Image {
    pool: DescriptorPool,
    targets: Vec<String>,
    /// What the checked files contain, built on first check and reused by every later one
    /// (a registry checks one stored version against many new ones). Shared between clones,
    /// so a cache that hands out clones of one image builds its index once.
    index: Arc<OnceLock<Index>>,
    /// Source text of checked files, when the caller has it (see [`Image::with_source`]).
    sources: HashMap<String, Arc<str>>,
}

impl Image {
    /// Every file of `pool` is checked.
    pub fn new(pool: DescriptorPool) -> Image {
        let targets = pool.files().map(|f| f.name().to_owned()).collect();
        Image {
            pool,
            targets,
            index: Arc::default(),
            sources: HashMap::new(),
        }
    }

    /// Only the files named in `targets` are checked; the rest of `pool` are imports.
    pub fn with_targets<I, S>(pool: DescriptorPool, targets: I) -> Image
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Image {
            pool,
            targets: targets.into_iter().map(Into::into).collect(),
            index: Arc::default(),
            sources: HashMap::new(),
        }
    }

    /// The compiled pool.
    pub fn pool(&self) -> &DescriptorPool {
        &self.pool
    }

    /// Names of the checked files.
    pub fn targets(&self) -> &[String] {
        &self.targets
    }

    /// Attaches the source text of file `name`. Optional: with it, columns of findings in
    /// lines indented with tabs match buf's (a tab advances to the next multiple of 4
    /// columns); without it every character counts as one column, as in protox's spans.
    pub fn with_source(mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> Image {
        self.sources.insert(name.into(), text.into());
        // The index was built (if at all) without this source: start a new one, unshared.
        self.index = Arc::default();
        self
    }

    /// The edition (`"2023"`, `"2024"`) that file `name`'s attached source declares.
    ///
    /// Editions files reach the pool as their exactly equivalent proto2 or proto3 form (the
    /// vendored protox lowers them; `prost-reflect` knows no editions), so the declared
    /// edition is read from the source: buf's FILE_SAME_SYNTAX compares `editions` with
    /// proto2 and proto3, and edition 2024 changes the C++ string type default.
    pub fn declared_edition(&self, name: &str) -> Option<&str> {
        declared_edition(self.source(name)?)
    }

    /// The source text attached for file `name`, if any.
    pub fn source(&self, name: &str) -> Option<&str> {
        self.sources.get(name).map(|s| &**s)
    }

    /// Builds what checks compare now, for this image and every clone of it, so that a
    /// later check against it pays only for the other side (a registry warms the newest
    /// version of a subject this way after answering its registration).
    pub fn prepare(&self) {
        self.index();
    }

    pub(crate) fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::build(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A registry caches images and hands out clones; the index built through one clone
    /// must serve them all.
    #[test]
    fn clones_share_one_index() {
        let mut file = prost_types::FileDescriptorProto {
            name: Some("a.proto".into()),
            ..Default::default()
        };
        file.message_type.push(prost_types::DescriptorProto {
            name: Some("A".into()),
            ..Default::default()
        });
        let pool = DescriptorPool::from_file_descriptor_set(prost_types::FileDescriptorSet {
            file: vec![file],
        })
        .expect("valid descriptor");
        let cached = Image::new(pool);
        let handed_out = cached.clone();
        assert!(cached.index.get().is_none());
        handed_out.index();
        assert!(cached.index.get().is_some(), "the clone's index is shared");
        let with_source = handed_out.with_source("a.proto", "message A {}");
        assert!(with_source.index.get().is_none(), "new source, new index");
    }
}

/// The edition of an `edition = "…";` first statement, skipping whitespace and comments.
fn declared_edition(source: &str) -> Option<&str> {
    let mut rest = source;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    let rest = rest
        .strip_prefix("edition")?
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    value.split_once(quote).map(|(edition, _)| edition)
}

#[cfg(test)]
mod editions_tests {
    use super::declared_edition;

    #[test]
    fn the_declared_edition_is_the_first_statement() {
        assert_eq!(declared_edition("edition = \"2023\";\n"), Some("2023"));
        assert_eq!(
            declared_edition("// header\n/* block */\n  edition='2024';"),
            Some("2024")
        );
        assert_eq!(declared_edition("syntax = \"proto3\";\n"), None);
        assert_eq!(declared_edition("message edition {}"), None);
        assert_eq!(declared_edition("edition = \"2023"), None);
    }
}
