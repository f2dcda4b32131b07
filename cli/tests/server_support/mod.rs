//! The one test server harness of the CLI's end-to-end tests: start the real `huntreg`
//! binary on a data directory, wait for its "listening" line, keep its stderr, stop or
//! SIGKILL it, talk to it with a blocking HTTP client, and produce and consume records with
//! the published confluent-kafka Python serdes.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) mod crash;

/// The `huntreg` binary under test.
pub(crate) fn huntreg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_huntreg"))
}

/// A running `huntreg serve`: started from the built binary, stopped with SIGTERM or
/// SIGKILL, its stderr kept so a failing test can show what the server said.
pub(crate) struct Server {
    child: Option<Child>,
    /// Base URL, e.g. `http://127.0.0.1:40123`, without a trailing slash.
    pub(crate) url: String,
    /// The data directory it serves.
    pub(crate) data_dir: PathBuf,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `huntreg serve --listen 127.0.0.1:0 --data-dir DIR ARGS...`; panics with the
    /// server's stderr if it does not come up.
    pub(crate) fn start(data_dir: &Path, args: &[&str]) -> Server {
        Server::try_start(data_dir, args).unwrap_or_else(|e| panic!("server did not start: {e}"))
    }

    /// Like [`Server::start`], but returns the exit status and stderr when the server
    /// exits (or stays silent for 30 s) instead of listening.
    pub(crate) fn try_start(data_dir: &Path, args: &[&str]) -> Result<Server, String> {
        let mut child = huntreg()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(args)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&stderr);
        let stderr_reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keeps draining after the address, so the server never blocks on a full pipe.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("huntreg listening on ") {
                    let _ = tx.send(url.trim().trim_end_matches('/').to_owned());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => Ok(Server {
                child: Some(child),
                url,
                data_dir: data_dir.to_owned(),
                stderr,
            }),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                let _ = stderr_reader.join();
                let stderr = stderr.lock().unwrap().clone();
                Err(format!("{status}; stderr: {stderr}"))
            }
        }
    }

    /// What the server wrote to stderr so far.
    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("server running")
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().expect("server running").id()
    }

    /// Kills the server with SIGKILL (no chance to flush anything) and reaps it.
    pub(crate) fn kill(mut self) {
        let child = self.child();
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Sends SIGTERM and waits (up to 20 s) for a clean exit; panics with the server's
    /// stderr if it ignores the signal.
    pub(crate) fn stop(mut self) -> ExitStatus {
        let pid = self.pid();
        let sent = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child().try_wait().expect("wait for huntreg") {
                return status;
            }
            if Instant::now() >= deadline {
                let child = self.child();
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "huntreg serve ignored SIGTERM for 20 s\n--- server stderr ---\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A blocking client with a short timeout.
pub(crate) fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Who a test request is sent as.
#[derive(Debug, Clone, Copy)]
pub(crate) enum As<'a> {
    /// No credentials.
    Nobody,
    /// HTTP Basic `user:password`.
    Basic(&'a str, &'a str),
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
}

impl<'a> As<'a> {
    /// HTTP Basic as `name`, whose password in the tests' auth configs is its name.
    pub(crate) fn user(name: &'a str) -> As<'a> {
        As::Basic(name, name)
    }
}

/// What a test request got back.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The body as text.
    pub(crate) text: String,
    /// The `WWW-Authenticate` challenge, if any.
    pub(crate) challenge: Option<String>,
}

impl Reply {
    /// The body as JSON, or as a JSON string when it is not JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|_| serde_json::Value::String(self.text.clone()))
    }

    /// `(status, JSON body)`.
    pub(crate) fn pair(self) -> (u16, serde_json::Value) {
        (self.status, self.json())
    }
}

/// One request to `url` (a base URL and path) as `who`, with a Confluent JSON body when
/// given. Panics only when no HTTP answer comes back.
pub(crate) fn send(url: &str, who: As<'_>, method: &str, body: Option<&str>) -> Reply {
    let mut req = client().request(method.parse().unwrap(), url);
    req = match who {
        As::Nobody => req,
        As::Basic(user, password) => req.basic_auth(user, Some(password)),
        As::Bearer(token) => req.bearer_auth(token),
    };
    if let Some(body) = body {
        req = req
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .body(body.to_owned());
    }
    let resp = req.send().unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = resp.status().as_u16();
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = resp.text().unwrap_or_default();
    Reply {
        status,
        text,
        challenge,
    }
}

impl Server {
    /// One request to this server (see [`send`]).
    pub(crate) fn send(&self, who: As<'_>, method: &str, path: &str, body: Option<&str>) -> Reply {
        send(&self.at(path), who, method, body)
    }
}

/// A register request body for `.proto` text.
pub(crate) fn register_body(schema: &str) -> String {
    serde_json::json!({ "schemaType": "PROTOBUF", "schema": schema }).to_string()
}

/// Runs one request through the confluent-kafka (Python) driver of `tests/clients`.
pub(crate) fn confluent_python(request: serde_json::Value) -> serde_json::Value {
    let tools = std::env::var_os("HUNTREG_TOOLS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools"));
    let python = tools.join("venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-tools",
        python.display()
    );
    let mut child = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/confluent_python.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, request.to_string().as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "confluent-kafka driver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The fully qualified name of the fixtures' event message (it imports `treasure/common.proto`).
pub(crate) const UPDATED: &str = "treasure.v1.TreasureTypeUpdated";
/// The fully qualified name of the fixtures' clue message (no imports).
pub(crate) const CLUE: &str = "treasure.v1.Clue";

/// The client fixtures (`tests/clients/protos`) compiled into a descriptor set file in `dir`.
pub(crate) fn fixtures(dir: &Path) -> PathBuf {
    use prost::Message as _;
    let protos = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/protos");
    let mut compiler = protox::Compiler::new([protos]).unwrap();
    compiler.include_imports(true).include_source_info(false);
    compiler
        .open_files(["treasure/events.proto", "treasure/clue.proto"])
        .unwrap();
    let path = dir.join("fixtures.binpb");
    std::fs::write(&path, compiler.file_descriptor_set().encode_to_vec()).unwrap();
    path
}

/// A [`UPDATED`] value, as JSON.
pub(crate) fn updated() -> serde_json::Value {
    serde_json::json!({"treasureType": "golden-chalice", "rarity": "RARITY_LEGENDARY",
           "spawn": {"lat": 48.85, "lng": 2.35, "zone": "old-town"},
           "at": "2026-11-28T01:30:00Z", "points": "1500"})
}

/// A [`CLUE`] value, as JSON.
pub(crate) fn clue() -> serde_json::Value {
    serde_json::json!({"text": "under the old bridge", "difficulty": 3, "hints": ["water", "stone"]})
}

/// Produces one record with the published Python serializer into `hunt` (a context
/// strategy: subject `:.{hunt}:{topic}-value`, references `:.{hunt}:{import}`), with
/// `auth` (`user:password`) as `basic.auth.user.info` when given. Answers `{hex, id}`.
pub(crate) fn produce(
    url: &str,
    fds: &Path,
    ty: &str,
    topic: &str,
    hunt: &str,
    value: serde_json::Value,
    auth: Option<&str>,
) -> serde_json::Value {
    confluent_python(
        serde_json::json!({"op": "produce", "url": url, "fds": fds, "type": ty,
                            "topic": topic, "strategy": hunt, "value": value, "auth": auth}),
    )
}

/// Decodes a record with a fresh Python deserializer reading `hunt` of the registry at `url`.
pub(crate) fn consume(
    url: &str,
    fds: &Path,
    ty: &str,
    topic: &str,
    hunt: &str,
    hex: &serde_json::Value,
    auth: Option<&str>,
) -> serde_json::Value {
    confluent_python(
        serde_json::json!({"op": "consume", "url": url, "fds": fds, "type": ty,
                            "topic": topic, "strategy": hunt, "hex": hex, "auth": auth}),
    )["value"]
        .clone()
}

/// An argon2 hash of `secret` from `huntreg hash-secret`, for `--auth-config` files.
pub(crate) fn hash_secret(secret: &str) -> String {
    use std::io::Write as _;
    let mut child = huntreg()
        .arg("hash-secret")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(secret.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
