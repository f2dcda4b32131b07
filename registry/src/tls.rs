//! Optional TLS for `huntreg serve`: load a PEM certificate chain and private key
//! (`--tls-cert`, `--tls-key`) into a rustls acceptor, and serve a router over TLS with
//! HTTP/1.1 and HTTP/2 (ALPN) and graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;
use tower::{Service, ServiceExt as _};

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long graceful shutdown waits for open connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The TLS flags of `huntreg serve`: both or neither.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct TlsArgs {
    /// PEM file with the server certificate chain (leaf first); enables HTTPS.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM file with the server's private key (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl TlsArgs {
    /// The acceptor these flags ask for, or `None` for plain HTTP.
    pub fn acceptor(&self) -> Result<Option<Acceptor>, TlsError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => load(cert, key).map(|a| Some(Acceptor(a))),
            (None, None) => Ok(None),
            _ => Err(TlsError(
                "--tls-cert and --tls-key must be given together".into(),
            )),
        }
    }
}

/// A loaded TLS acceptor (a `Debug` wrapper around [`TlsAcceptor`]).
#[derive(Clone)]
pub struct Acceptor(pub TlsAcceptor);

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Acceptor(..)")
    }
}

/// TLS material that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("TLS: {0}")]
pub struct TlsError(String);

/// Loads a certificate chain and private key from PEM files into an acceptor.
pub(crate) fn load(cert_path: &Path, key_path: &Path) -> Result<TlsAcceptor, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| TlsError(format!("reading certificate {}: {e}", cert_path.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError(format!("parsing certificate {}: {e}", cert_path.display())))?;
    if certs.is_empty() {
        return Err(TlsError(format!(
            "no certificate found in {}",
            cert_path.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| TlsError(format!("reading private key {}: {e}", key_path.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            TlsError(format!(
                "certificate {} and key {} do not form a usable pair: {e}",
                cert_path.display(),
                key_path.display()
            ))
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves `router` over TLS on `listener` until `shutdown` completes, then waits (up to
/// ten seconds) for open connections to finish.
pub(crate) async fn serve<S>(
    listener: TcpListener,
    router: S,
    acceptor: Acceptor,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let acceptor = acceptor.0;
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(err) => {
                    // Running out of file descriptors and similar: back off, keep serving.
                    tracing::warn!(%err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(
            router
                .clone()
                .map_request(|req: http::Request<Incoming>| req.map(Body::new)),
        );
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(err)) => {
                    tracing::debug!(%peer, %err, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            let builder = Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
            if let Err(err) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(%peer, %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the shutdown grace period");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Router;

    fn self_signed(dir: &Path) -> (PathBuf, PathBuf, String) {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert_path = dir.join("cert.pem");
        let key_path = dir.join("key.pem");
        let pem = cert.cert.pem();
        std::fs::write(&cert_path, &pem).unwrap();
        std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
        (cert_path, key_path, pem)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn serves_https_with_a_trusted_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key, pem) = self_signed(dir.path());
        let acceptor = load(&cert, &key).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/", get(|| async { "{}" }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, router, Acceptor(acceptor), async {
            let _ = stopped.await;
        }));

        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
            .resolve("localhost", addr)
            .build()
            .unwrap();
        let url = format!("https://localhost:{}/", addr.port());
        let body = client.get(&url).send().await.unwrap().text().await.unwrap();
        assert_eq!(body, "{}");

        // A client that does not trust the certificate is refused.
        let untrusting = reqwest::Client::builder()
            .resolve("localhost", addr)
            .build()
            .unwrap();
        assert!(untrusting.get(&url).send().await.is_err());
        // Plain HTTP gets no HTTP answer.
        let plain = reqwest::Client::new();
        assert!(plain.get(format!("http://{addr}/")).send().await.is_err());

        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    }

    fn load_err(cert: &Path, key: &Path) -> String {
        match load(cert, key) {
            Ok(_) => panic!("{} / {} loaded", cert.display(), key.display()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn bad_material_gives_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key, _) = self_signed(dir.path());
        let missing = dir.path().join("missing.pem");
        let err = load_err(&missing, &key);
        assert!(
            err.contains("reading certificate") && err.contains("missing.pem"),
            "{err}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let err = load_err(&empty, &key);
        assert!(err.contains("no certificate found"), "{err}");
        let err = load_err(&cert, &cert);
        assert!(err.contains("private key"), "{err}");
        let (other_cert, _, _) = self_signed(&{
            let d = dir.path().join("other");
            std::fs::create_dir(&d).unwrap();
            d
        });
        let err = load_err(&other_cert, &key);
        assert!(err.contains("do not form a usable pair"), "{err}");
        assert!(TlsArgs::default().acceptor().unwrap().is_none());
    }
}
