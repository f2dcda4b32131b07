//! `Config`: everything the server needs to start, with the defaults in one `Default` impl.

use std::net::SocketAddr;
use std::path::PathBuf;

use huntreg_compat::Level;

/// Server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Directory of the sled store (created if missing); unused with `database_url`.
    pub data_dir: PathBuf,
    /// A PostgreSQL URL: store everything there instead of `data_dir`, shared with any
    /// number of other nodes.
    pub database_url: Option<String>,
    /// Compatibility level when neither subject, context nor global config sets one.
    pub default_compatibility: Level,
    /// Authentication, limits and TLS (the `security` module).
    pub security: crate::security::Security,
    /// Serve the web console at `/ui/` (behind the same auth as the API).
    pub ui: bool,
    /// Bytes of memory the registry's caches hold at most, split between them
    /// ([`CacheBudget`]), whatever the length of its histories. Not bounded by it: the
    /// memory a request uses while it compiles a schema, and what the allocator keeps.
    pub cache_bytes: usize,
}

/// The default of [`Config::cache_bytes`]: 224 MiB.
pub const DEFAULT_CACHE_BYTES: usize = 224 << 20;

/// The least [`Config::cache_bytes`] accepted: 16 MiB.
pub const MIN_CACHE_BYTES: usize = 16 << 20;

/// [`Config::cache_bytes`] split between the caches, in the proportions measured to serve
/// long histories (`docs/long-histories.md`): 48/224 for compiled images, 32/224 for
/// schema records, 16/224 for rendered `GET /schemas/ids/{id}` bodies, 64/224 for kept
/// compatibility histories and 64/224 for sled's page cache (unused on PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheBudget {
    /// Estimated bytes of compiled images.
    pub images: usize,
    /// Bytes of schema text and descriptors of cached records.
    pub records: usize,
    /// Bytes of rendered `GET /schemas/ids/{id}` bodies.
    pub rendered: usize,
    /// Estimated bytes of kept compatibility histories.
    pub histories: usize,
    /// Bytes of sled's page cache.
    pub sled: usize,
}

impl CacheBudget {
    /// Splits `total` bytes (at least [`MIN_CACHE_BYTES`]).
    pub fn split(total: usize) -> CacheBudget {
        let part = |n: usize| total.max(MIN_CACHE_BYTES) / 224 * n;
        CacheBudget {
            images: part(48),
            records: part(32),
            rendered: part(16),
            histories: part(64),
            sled: part(64),
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            data_dir: PathBuf::from("huntreg-data"),
            database_url: None,
            default_compatibility: Level::Backward,
            security: crate::security::Security::default(),
            ui: true,
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_budget_splits_within_the_total_and_has_a_floor() {
        let b = CacheBudget::split(DEFAULT_CACHE_BYTES);
        assert_eq!(
            (b.images, b.records, b.rendered, b.histories, b.sled),
            (48 << 20, 32 << 20, 16 << 20, 64 << 20, 64 << 20)
        );
        let sum = |b: CacheBudget| b.images + b.records + b.rendered + b.histories + b.sled;
        let small = CacheBudget::split(1);
        assert!(
            sum(small) <= MIN_CACHE_BYTES && sum(small) > MIN_CACHE_BYTES - 224,
            "{small:?}"
        );
        assert!(sum(CacheBudget::split(100 << 20)) <= 100 << 20);
    }
}
