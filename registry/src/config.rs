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
        }
    }
}
