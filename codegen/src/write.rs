//! Writing generated files: only when their content changed, so an unchanged build
//! leaves timestamps alone and cargo recompiles nothing.

use std::path::Path;

use crate::error::Error;

/// Writes `content` to `path` unless the file already holds exactly that; returns
/// whether it wrote.
pub fn write_if_changed(path: &Path, content: &str) -> Result<bool, Error> {
    if std::fs::read(path).is_ok_and(|old| old == content.as_bytes()) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    std::fs::write(path, content).map_err(|e| Error::io(path, e))?;
    Ok(true)
}
