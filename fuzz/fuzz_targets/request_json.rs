//! Fuzzes request bodies through the real service (security layers, router, handlers, a
//! sled store in a temporary directory): register, lookup, compatibility, config and mode
//! requests with arbitrary bodies never get a 5xx, and every error is Confluent JSON.
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::Request;
use huntreg_registry::store::{SledStore, Store};
use huntreg_registry::{App, AppState, Config, Metrics};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt as _;

struct Harness {
    runtime: tokio::runtime::Runtime,
    service: huntreg_registry::HttpService,
    _dir: tempfile::TempDir,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path(), None).expect("store"));
        let config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let state = AppState(Arc::new(App::new(
            store,
            config,
            Arc::new(Metrics::default()),
        )));
        Harness {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
            service: huntreg_registry::service(state),
            _dir: dir,
        }
    })
}

const ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/subjects/fuzz/versions"),
    ("POST", "/subjects/fuzz"),
    ("POST", "/compatibility/subjects/fuzz/versions/latest"),
    ("POST", "/contexts/.hunt/subjects/fuzz/versions"),
    ("PUT", "/config/fuzz"),
    ("PUT", "/mode/:.other:fuzz"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (method, path) = ENDPOINTS[usize::from(selector) % ENDPOINTS.len()];
    let h = harness();
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/vnd.schemaregistry.v1+json")
        .body(Body::from(body.to_vec()))
        .expect("request");
    let (status, bytes) = h.runtime.block_on(async {
        let response = h
            .service
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        (
            status,
            axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body"),
        )
    });
    assert!(
        !status.is_server_error(),
        "{method} {path} -> {status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    if status.is_client_error() {
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("error body is JSON");
        assert!(
            json["error_code"].is_u64() && json["message"].is_string(),
            "{json}"
        );
    }
});
