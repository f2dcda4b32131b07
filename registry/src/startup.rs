//! `Application`: opens the store, builds the router, binds the listener, and serves
//! until a shutdown signal, then flushes and closes the store.
//!
//! Cross-cutting layers (authentication, TLS, limits) are added in one place:
//! [`service`], which wraps the pure [`crate::routes::router`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

use crate::app::App;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::routes::AppState;
use crate::store::{SledStore, Store};

/// A bound, ready-to-run registry server.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    app: Router,
    state: AppState,
    tls: Option<crate::tls::Acceptor>,
}

/// The full service: the one reading of request paths outermost, so the auth layer and
/// the router see the same canonical path, then the security layers, then the routes.
pub fn service(state: AppState) -> Router {
    let security = state.0.config.security.clone();
    crate::routes::path::layer(security.apply(crate::routes::api(state)))
}

impl Application {
    /// Opens the store in `config.data_dir` and binds `config.listen`.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let tls = config.security.prepare(config.listen)?;
        let metrics = Arc::new(Metrics::default());
        let dir = config.data_dir.clone();
        std::fs::create_dir_all(&dir).map_err(|e| {
            anyhow::anyhow!("cannot create the data directory {}: {e}", dir.display())
        })?;
        let store_dir = dir.clone();
        let flush_metrics = metrics.clone();
        let store = tokio::task::spawn_blocking(move || {
            SledStore::open(
                &dir,
                Some(Box::new(move |d, jobs| {
                    flush_metrics.store_flush.observe(d);
                    flush_metrics
                        .store_jobs
                        .fetch_add(jobs as u64, std::sync::atomic::Ordering::Relaxed);
                })),
            )
        })
        .await?
        .map_err(|e| anyhow::anyhow!("cannot open the store in {}: {e}", store_dir.display()))?;
        let store: Arc<dyn Store> = Arc::new(store);
        let listener = TcpListener::bind(config.listen).await?;
        let state = AppState(Arc::new(App::new(store, config, metrics)));
        Ok(Application {
            listener,
            app: service(state.clone()),
            state,
            tls,
        })
    }

    /// The bound address (the real port when `listen` asked for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state (store, caches, metrics).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM, then closes the store.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, finishes in-flight requests, then flushes and
    /// closes the store.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application {
            listener,
            app,
            state,
            tls,
        } = self;
        match tls {
            Some(acceptor) => crate::tls::serve(listener, app, acceptor, shutdown).await?,
            None => {
                axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await?
            }
        }
        state.0.write_pending_histories();
        let store = state.0.store.clone();
        tokio::task::spawn_blocking(move || store.close()).await??;
        tracing::info!("store flushed and closed");
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
