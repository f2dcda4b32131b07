//! The server's protective settings in one place: authentication ([`crate::auth`]), limits
//! ([`crate::limits`]) and TLS ([`crate::tls`]), their `huntreg serve` flags, the safe
//! default (no unauthenticated service on a network address unless asked for), and
//! [`Security::apply`], which wraps the router in the layers in the right order.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::auth::{self, AuthConfig, ConfigError};
use crate::limits::{self, Limits};
use crate::tls::{Acceptor, TlsArgs, TlsError};
use axum::Router;
use tower::util::Either;
use tower::Layer as _;

/// The protective flags of `huntreg serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SecurityArgs {
    /// Principals, hashed secrets and per-hunt grants (TOML, or YAML by extension); without
    /// it every request is served unauthenticated.
    #[arg(long, value_name = "FILE")]
    pub auth_config: Option<PathBuf>,
    /// Serve without authentication even on a non-loopback address (refused otherwise).
    #[arg(long, conflicts_with = "auth_config")]
    pub allow_unauthenticated: bool,
    /// Limits.
    #[command(flatten)]
    pub limits: Limits,
    /// TLS.
    #[command(flatten)]
    pub tls: TlsArgs,
}

impl SecurityArgs {
    /// Reads the files the flags name (auth config) into `Security`.
    pub fn load(self) -> Result<Security, ConfigError> {
        let auth = self
            .auth_config
            .as_deref()
            .map(AuthConfig::load)
            .transpose()?;
        Ok(Security {
            auth,
            allow_unauthenticated: self.allow_unauthenticated,
            limits: self.limits,
            tls: self.tls,
        })
    }
}

/// Authentication, limits and TLS settings of a running server.
#[derive(Debug, Clone, Default)]
pub struct Security {
    /// Principals and grants; `None` serves every request unauthenticated.
    pub auth: Option<AuthConfig>,
    /// Whether serving unauthenticated on a non-loopback address was asked for.
    pub allow_unauthenticated: bool,
    /// Every limit.
    pub limits: Limits,
    /// Certificate and key for HTTPS.
    pub tls: TlsArgs,
}

/// Why the server refuses to start with these settings.
#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    /// Unauthenticated service on a network address without `--allow-unauthenticated`.
    #[error(
        "refusing to serve without authentication on {0}, which is not a loopback address: \
         pass --auth-config FILE (see `huntreg hash-secret`), or --allow-unauthenticated to \
         let anyone who can reach this address read and change every hunt"
    )]
    Unauthenticated(SocketAddr),
    /// The TLS material does not load.
    #[error(transparent)]
    Tls(#[from] TlsError),
}

impl Security {
    /// Checks the settings against the address to listen on, and loads the TLS acceptor
    /// (`None` for plain HTTP). Call before binding.
    pub fn prepare(&self, listen: SocketAddr) -> Result<Option<Acceptor>, SecurityError> {
        if self.auth.is_none() && !listen.ip().is_loopback() {
            if !self.allow_unauthenticated {
                return Err(SecurityError::Unauthenticated(listen));
            }
            tracing::warn!(%listen, "serving WITHOUT authentication on a network address");
        }
        Ok(self.tls.acceptor()?)
    }

    /// Wraps `router` in the protective layers: authentication outermost (nothing is
    /// buffered or run for a caller without credentials), then the limits. The layers wrap
    /// the router as a whole (not each route), so a request passes each of them once.
    pub(crate) fn apply(&self, router: Router) -> Secured {
        let limited = limits::layer(&self.limits).layer(router);
        match &self.auth {
            Some(cfg) => Either::Left(auth::layer(cfg.clone()).layer(limited)),
            None => Either::Right(limited),
        }
    }
}

/// The router inside the protective layers, as [`Security::apply`] builds it.
pub(crate) type Secured =
    Either<auth::AuthService<limits::LimitsService<Router>>, limits::LimitsService<Router>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_unauthenticated_network_listeners() {
        let open: SocketAddr = "0.0.0.0:8081".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:8081".parse().unwrap();
        let v6_local: SocketAddr = "[::1]:8081".parse().unwrap();
        let security = Security::default();
        let err = security.prepare(open).unwrap_err().to_string();
        assert!(
            err.contains("--allow-unauthenticated") && err.contains("0.0.0.0:8081"),
            "{err}"
        );
        assert!(security.prepare(local).unwrap().is_none());
        assert!(security.prepare(v6_local).unwrap().is_none());
        let allowed = Security {
            allow_unauthenticated: true,
            ..Security::default()
        };
        assert!(allowed.prepare(open).is_ok());
        let authed = Security {
            auth: Some(AuthConfig::from_toml("").unwrap()),
            ..Security::default()
        };
        assert!(authed.prepare(open).is_ok());
    }

    #[test]
    fn flags_parse() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            security: SecurityArgs,
        }
        let cli = <Cli as clap::Parser>::try_parse_from([
            "x",
            "--allow-unauthenticated",
            "--max-page-size",
            "7",
        ])
        .unwrap();
        let security = cli.security.load().unwrap();
        assert!(security.allow_unauthenticated && security.auth.is_none());
        assert_eq!(security.limits.max_page_size, 7);
        assert!(<Cli as clap::Parser>::try_parse_from(["x", "--tls-cert", "c.pem"]).is_err());
        assert!(<Cli as clap::Parser>::try_parse_from([
            "x",
            "--auth-config",
            "a.toml",
            "--allow-unauthenticated"
        ])
        .is_err());
        let missing =
            <Cli as clap::Parser>::try_parse_from(["x", "--auth-config", "/nonexistent/a.toml"])
                .unwrap()
                .security
                .load()
                .unwrap_err()
                .to_string();
        assert!(missing.contains("/nonexistent/a.toml"), "{missing}");
    }
}
