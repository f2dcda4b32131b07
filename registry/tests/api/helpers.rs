//! `TestApp`: a registry on `127.0.0.1:0` over a temporary store, with reqwest helpers.
//! The store is sled in a temporary directory, or, in the binary that sets
//! `crate::ON_POSTGRES`, a fresh database of one throwaway PostgreSQL cluster per process.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use huntreg_registry::{AppState, Application, Config};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running registry.
pub(crate) struct TestApp {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
    pub(crate) dir: Arc<tempfile::TempDir>,
    /// The running registry's state (its store, for tests that look at what was written).
    pub(crate) state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// Starts a registry on a fresh store.
    pub(crate) async fn spawn() -> TestApp {
        let dir = Arc::new(tempfile::tempdir().unwrap());
        TestApp::spawn_in(dir).await
    }

    /// Starts a registry on the store of `dir` (for restart tests): its data directory, or
    /// on PostgreSQL the database it names (a fresh one the first time).
    pub(crate) async fn spawn_in(dir: Arc<tempfile::TempDir>) -> TestApp {
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: data_dir(dir.path()),
            database_url: crate::ON_POSTGRES.then(|| database_of(dir.path())),
            ..Config::default()
        };
        // The store of a stopped instance is closed, but its last handles may still be
        // dropping on another thread (the file lock goes with them): retry briefly.
        let mut tries = 0;
        let app = loop {
            match Application::build(config.clone()).await {
                Ok(app) => break app,
                Err(e) if tries < 50 => {
                    tries += 1;
                    eprintln!("registry did not start yet ({e:#}); retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("registry did not start: {e:#}"),
            }
        };
        let base = format!("http://{}", app.local_addr().unwrap());
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        TestApp {
            base,
            client: reqwest::Client::new(),
            dir,
            state,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Stops the server, flushing the store; returns the data directory for a restart.
    pub(crate) async fn stop(mut self) -> Arc<tempfile::TempDir> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
        self.dir.clone()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.client.get(self.url(path))).await
    }

    pub(crate) async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.client.delete(self.url(path))).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            self.client
                .post(self.url(path))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .body(body.to_string()),
        )
        .await
    }

    pub(crate) async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.client.put(self.url(path)).json(&body)).await
    }

    /// Registers `.proto` text under `subject` (path-encoded by the caller if needed).
    pub(crate) async fn register(&self, subject: &str, schema: &str) -> (StatusCode, Value) {
        self.post(
            &format!("/subjects/{}/versions", enc(subject)),
            json!({"schemaType": "PROTOBUF", "schema": schema}),
        )
        .await
    }

    /// Registers and asserts success; returns the id.
    pub(crate) async fn register_ok(&self, subject: &str, schema: &str) -> u64 {
        let (status, body) = self.register(subject, schema).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["id"].as_u64().unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub(crate) fn data_dir(p: &Path) -> PathBuf {
    p.join("store")
}

/// The URL of the PostgreSQL database of the test directory `p`, created on first use.
pub(crate) fn database_of(p: &Path) -> String {
    let named = p.join("database-url");
    if let Ok(url) = std::fs::read_to_string(&named) {
        return url;
    }
    let url = crate::pg::TempPostgres::shared().fresh_database();
    std::fs::write(&named, &url).unwrap();
    url
}

/// Percent-encodes a path segment as clients do (`quote(safe='')`).
pub(crate) fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Asserts a Confluent error body.
pub(crate) fn assert_error(status: StatusCode, body: &Value, http: u16, code: u64) {
    assert_eq!(status.as_u16(), http, "{body}");
    assert_eq!(body["error_code"].as_u64(), Some(code), "{body}");
    assert!(body["message"].is_string(), "{body}");
}

/// `body` without its `guid`, which must be there (8.x answers carry one).
#[track_caller]
pub(crate) fn without_guid(body: &Value) -> Value {
    let mut body = body.clone();
    let guid = body.as_object_mut().and_then(|o| o.remove("guid"));
    assert!(
        guid.as_ref().is_some_and(Value::is_string),
        "no guid in {body}"
    );
    body
}

/// The base64 `FileDescriptorProto` a serializer would send for `.proto` text.
pub(crate) fn descriptor_b64(name: &str, source: &str) -> String {
    let texts = [(name.to_owned(), source.to_owned())].into_iter().collect();
    let fds = huntreg_schema::compile_texts(std::sync::Arc::new(texts), &[name])
        .unwrap()
        .files;
    let fd = fds.file.into_iter().find(|f| f.name() == name).unwrap();
    base64::engine::general_purpose::STANDARD.encode(prost::Message::encode_to_vec(&fd))
}

pub(crate) const ORDER_V1: &str = r#"syntax = "proto3";
package shop;

// An order.
message Order {
  string id = 1;
  int64 qty = 2;
}
"#;

pub(crate) const ORDER_V2: &str = r#"syntax = "proto3";
package shop;

message Order {
  string id = 1;
  int64 qty = 2;
  string note = 3;
}
"#;

/// Incompatible with V1 under every level: field 2 changes type.
pub(crate) const ORDER_BAD: &str = r#"syntax = "proto3";
package shop;

message Order {
  string id = 1;
  string qty = 2;
}
"#;
