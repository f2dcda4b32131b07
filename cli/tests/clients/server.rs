//! A real `huntreg serve` process on a loopback port, for the end-to-end tests
//! (`clients.rs`, `restart.rs`): started from the built binary, stopped with SIGTERM or
//! SIGKILL, its stderr kept so a failing test can show what the server said.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A running `huntreg serve --listen 127.0.0.1:0 --data-dir DIR`.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    /// The data directory the server was started on.
    pub data_dir: PathBuf,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts the server on `data_dir` and waits (up to 20 s) for its
    /// `huntreg listening on http://ADDR` line.
    pub fn start(data_dir: &Path) -> Server {
        Server::start_with(data_dir, &[])
    }

    /// Starts the server on `data_dir` with more arguments (such as `--database-url`).
    pub fn start_with(data_dir: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_huntreg"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn huntreg serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("stderr piped");
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
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
        let out_pipe = child.stdout.take().expect("stdout piped");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(out_pipe).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep draining so the server never blocks on a full stdout pipe.
            for _ in lines {}
        });
        let mut server = Server {
            child: Some(child),
            url: String::new(),
            data_dir: data_dir.to_owned(),
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let line = loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => break line,
                Err(_) if Instant::now() < deadline && !server.exited() => {}
                Err(_) => {
                    thread::sleep(Duration::from_millis(100)); // let the stderr reader catch up
                    panic!(
                        "huntreg serve did not report its address\n--- server stderr ---\n{}",
                        server.stderr()
                    )
                }
            }
        };
        let addr = line
            .strip_prefix("huntreg listening on ")
            .unwrap_or_else(|| panic!("unexpected first stdout line from huntreg serve: {line:?}"));
        server.url = addr.trim_end_matches('/').to_owned();
        server
    }

    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_some())
    }

    /// Sends SIGTERM and waits (up to 20 s) for a clean exit.
    pub fn stop(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("server running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("wait for huntreg") {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "huntreg serve ignored SIGTERM for 20 s\n--- server stderr ---\n{}",
                    self.stderr()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server with SIGKILL (no chance to flush anything) and reaps it.
    pub fn kill(mut self) {
        let mut child = self.child.take().expect("server running");
        child.kill().expect("SIGKILL huntreg");
        let _ = child.wait();
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
