//! Large values of the sled store kept outside sled's tree, one content-addressed file each.
//!
//! sled 0.34 pins in memory every page that holds a large value (it counts only a blob's
//! pointer against its page cache), so a store whose schema records grow with a hunt's
//! history (a seed-like schema of 10,000 enum values is a record of several hundred KiB)
//! kept its whole history resident. A value of [`THRESHOLD`] bytes or more is therefore
//! written to `huntreg-records/<sha256>` in the data directory, and the tree holds a
//! [`POINTER_LEN`]-byte pointer to it: a zero byte (no JSON record starts with one) and
//! the SHA-256 of the file's content.
//!
//! **Durability.** The file is written to a temporary name, fsynced, renamed into place and
//! the directory fsynced *before* the batch that points at it is applied, so a crash leaves
//! at worst a file nothing points at, never a pointer without its file. Files are never
//! removed: schema records are never removed either (an ID keeps naming its schema).
//! **Integrity.** A read checks the content against its name; a damaged file is a
//! `Corrupt` error naming it, never a wrong schema.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{hex_encode, StoreError};

/// Values this long or longer go to a side file. sled 0.34 holds far more memory than
/// their size for leaves of values of a few KiB and up (it copies a leaf on each write to
/// it and frees the old copy late): at 10,000 seed-like versions, a bound of 2 KiB instead
/// of 32 KiB took resident memory after the run from 521 to 271 MiB (both `malloc_trim`med;
/// `docs/long-histories.md`). 8 KiB keeps a typical treasure schema's record in the tree,
/// where the writer's group commit covers it with one flush, and moves a seed-like history's
/// records past about 250 values out.
pub(crate) const THRESHOLD: usize = 8 * 1024;

/// Length of a pointer value: the marker byte and a SHA-256.
pub(crate) const POINTER_LEN: usize = 33;

/// The directory of side files inside a sled data directory.
const DIR: &str = "huntreg-records";

/// The side files of one store.
#[derive(Debug)]
pub(crate) struct SideFiles {
    dir: PathBuf,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Backend(format!("{what} {}: {e}", path.display()))
}

impl SideFiles {
    /// The side files of the sled store in `data_dir` (the directory is created on the
    /// first large value).
    pub(crate) fn new(data_dir: &Path) -> SideFiles {
        SideFiles {
            dir: data_dir.join(DIR),
        }
    }

    /// What the tree stores for `value`: `value` itself when short, else a pointer to a
    /// durable side file holding it.
    pub(crate) fn store(&self, value: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        if value.len() < THRESHOLD {
            return Ok(value);
        }
        let digest: [u8; 32] = Sha256::digest(&value).into();
        let path = self.dir.join(hex_encode(&digest));
        if !path.exists() {
            self.write_durably(&path, &value)?;
        }
        let mut pointer = Vec::with_capacity(POINTER_LEN);
        pointer.push(0);
        pointer.extend_from_slice(&digest);
        Ok(pointer)
    }

    fn write_durably(&self, path: &Path, value: &[u8]) -> Result<(), StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| io("creating", &self.dir, e))?;
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        let mut file = std::fs::File::create(&tmp).map_err(|e| io("creating", &tmp, e))?;
        file.write_all(value)
            .and_then(|()| file.sync_all())
            .map_err(|e| io("writing", &tmp, e))?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(|e| io("renaming", &tmp, e))?;
        std::fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io("syncing", &self.dir, e))
    }

    /// The value the tree's `stored` bytes stand for: read from its side file when they are
    /// a pointer, else `stored` itself.
    pub(crate) fn load<'a>(
        &self,
        stored: &'a [u8],
    ) -> Result<std::borrow::Cow<'a, [u8]>, StoreError> {
        let [0, digest @ ..] = stored else {
            return Ok(std::borrow::Cow::Borrowed(stored));
        };
        if digest.len() != POINTER_LEN - 1 {
            return Err(StoreError::Corrupt(format!(
                "a side-file pointer of {} bytes",
                stored.len()
            )));
        }
        let path = self.dir.join(hex_encode(digest));
        let value = std::fs::read(&path).map_err(|e| {
            StoreError::Corrupt(format!("side file {} is unreadable: {e}", path.display()))
        })?;
        if Sha256::digest(&value).as_slice() != digest {
            return Err(StoreError::Corrupt(format!(
                "side file {} does not hold what its name says",
                path.display()
            )));
        }
        Ok(std::borrow::Cow::Owned(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_stay_inline_and_long_ones_round_trip_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let side = SideFiles::new(dir.path());
        let short = b"{\"v\":1}".to_vec();
        assert_eq!(side.store(short.clone()).unwrap(), short);
        assert_eq!(&*side.load(&short).unwrap(), short.as_slice());

        let long = vec![b'x'; THRESHOLD];
        let pointer = side.store(long.clone()).unwrap();
        assert_eq!(pointer.len(), POINTER_LEN);
        assert_eq!(&*side.load(&pointer).unwrap(), long.as_slice());
        // The same content is one file.
        assert_eq!(side.store(long.clone()).unwrap(), pointer);
        assert_eq!(std::fs::read_dir(dir.path().join(DIR)).unwrap().count(), 1);
    }

    #[test]
    fn a_damaged_or_missing_side_file_is_corrupt_not_a_wrong_value() {
        let dir = tempfile::tempdir().unwrap();
        let side = SideFiles::new(dir.path());
        let pointer = side.store(vec![b'y'; THRESHOLD + 1]).unwrap();
        let file = std::fs::read_dir(dir.path().join(DIR))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        std::fs::write(&file, b"something else").unwrap();
        assert!(matches!(side.load(&pointer), Err(StoreError::Corrupt(_))));
        std::fs::remove_file(&file).unwrap();
        assert!(matches!(side.load(&pointer), Err(StoreError::Corrupt(_))));
        assert!(matches!(side.load(&[0, 1, 2]), Err(StoreError::Corrupt(_))));
    }
}
