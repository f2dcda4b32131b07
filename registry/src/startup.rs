//! `Application`: opens the store, builds the router, binds the listener, and serves
//! until a shutdown signal, then flushes and closes the store.
//!
//! Cross-cutting layers (authentication, TLS, limits) are added in one place:
//! [`service`], which wraps the pure [`crate::routes::router`].

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use tokio::net::TcpListener;
use tower::Service;

use crate::app::App;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::routes::path::Canonical;
use crate::routes::AppState;
use crate::security::Secured;
use crate::store::{PgStore, SledStore, Store};

/// A bound, ready-to-run registry server.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    app: HttpService,
    state: AppState,
    tls: Option<crate::tls::Acceptor>,
}

/// The full service: the one reading of request paths outermost, so the auth layer and
/// the router see the same canonical path, then the security layers, then the routes.
pub fn service(state: AppState) -> HttpService {
    let security = state.0.config.security.clone();
    HttpService(Canonical::new(security.apply(crate::routes::api(state))))
}

/// The registry's HTTP service as [`service`] builds it: every request passes the path
/// reading, authentication (when configured), the limits and the router, each once and
/// without boxing on the way to a cached answer.
#[derive(Debug, Clone)]
pub struct HttpService(Canonical<Secured>);

impl Service<Request> for HttpService {
    type Response = Response;
    type Error = Infallible;
    type Future = HttpFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> HttpFuture {
        HttpFuture {
            inner: self.0.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`HttpService`].
    pub struct HttpFuture {
        #[pin]
        inner: <Canonical<Secured> as Service<Request>>::Future,
    }
}

impl std::fmt::Debug for HttpFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpFuture").finish_non_exhaustive()
    }
}

impl Future for HttpFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}

impl Application {
    /// Opens the store (PostgreSQL at `config.database_url`, or sled in
    /// `config.data_dir`) and binds `config.listen`.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let tls = config.security.prepare(config.listen)?;
        let metrics = Arc::new(Metrics::default());
        if let Some(url) = config.database_url.clone() {
            return Self::build_on_postgres(config, &url, metrics, tls).await;
        }
        let dir = config.data_dir.clone();
        std::fs::create_dir_all(&dir).map_err(|e| {
            anyhow::anyhow!("cannot create the data directory {}: {e}", dir.display())
        })?;
        let store_dir = dir.clone();
        let flush_metrics = metrics.clone();
        let cache_bytes = crate::config::CacheBudget::split(config.cache_bytes).sled;
        let store = tokio::task::spawn_blocking(move || {
            SledStore::open_with_cache(
                &dir,
                Some(Box::new(move |d, jobs| {
                    flush_metrics.store_flush.observe(d);
                    flush_metrics
                        .store_jobs
                        .fetch_add(jobs as u64, std::sync::atomic::Ordering::Relaxed);
                })),
                cache_bytes,
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

    /// A node of a registry on PostgreSQL: caches of what can change are dropped whenever
    /// another node commits a change (or the change listener reconnects), and the store's
    /// health is probed for `/metrics`.
    async fn build_on_postgres(
        config: Config,
        url: &str,
        metrics: Arc<Metrics>,
        tls: Option<crate::tls::Acceptor>,
    ) -> anyhow::Result<Application> {
        let url = url.to_owned();
        let flush_metrics = metrics.clone();
        let store = tokio::task::spawn_blocking(move || {
            PgStore::open(
                &url,
                Some(Box::new(move |d, jobs| {
                    flush_metrics.store_flush.observe(d);
                    flush_metrics
                        .store_jobs
                        .fetch_add(jobs as u64, std::sync::atomic::Ordering::Relaxed);
                })),
            )
        })
        .await?
        .map_err(|e| anyhow::anyhow!("cannot open the PostgreSQL store: {e}"))?;
        let store = Arc::new(store);
        let mut changes = store.changes();
        let listener = TcpListener::bind(config.listen).await?;
        let state = AppState(Arc::new(App::new(store.clone(), config, metrics.clone())));
        let app = Arc::downgrade(&state.0);
        tokio::spawn(async move {
            while changes.changed().await.is_ok() {
                match app.upgrade() {
                    Some(app) => app.invalidate_rendered(),
                    None => return,
                }
            }
        });
        let probed = Arc::downgrade(&store);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                let Some(store) = probed.upgrade() else {
                    return;
                };
                let up = tokio::task::spawn_blocking(move || store.is_up(true))
                    .await
                    .unwrap_or(false);
                metrics
                    .store_down
                    .store(!up, std::sync::atomic::Ordering::Relaxed);
            }
        });
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
                axum::serve(listener, axum::ServiceExt::into_make_service(app))
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
