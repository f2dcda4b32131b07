//! Consumer crates for the end-to-end tests (`codegen_e2e.rs`, `clients.rs`): a crate
//! whose only dependency is huntreg-runtime and whose `build.rs` runs huntreg-codegen, built
//! offline into `target/codegen-e2e` (its first build compiles the codegen's dependencies,
//! later ones only the crate), and run on hex records.

#![allow(dead_code, unreachable_pub)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Writes a consumer crate named `name` into `dir` (`build.rs` as given, `src/main.rs`
/// copied from `cli/tests/codegen_e2e/{main}`) and builds it; returns its binary. Its only
/// dependency is huntreg-runtime (with the `http` resolver), its only build-dependency
/// huntreg-codegen: generated code reaches prost through the runtime's re-exports.
pub fn build_crate(dir: &Path, name: &str, build_rs: &str, main: &str) -> PathBuf {
    let ws = workspace().canonicalize().unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            r#"[package]
name = "{name}"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
huntreg-runtime = {{ path = "{ws}/runtime", features = ["http"] }}

[build-dependencies]
huntreg-codegen = {{ path = "{ws}/codegen" }}
"#,
            ws = ws.display()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("build.rs"), build_rs).unwrap();
    std::fs::copy(
        workspace().join("cli/tests/codegen_e2e").join(main),
        dir.join("src/main.rs"),
    )
    .unwrap();
    // The workspace's lockfile pins the same dependency versions, so the build is offline.
    std::fs::copy(ws.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let target = ws.join("target/codegen-e2e");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--offline", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("HUNTREG_URL")
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "consumer build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    target.join("debug").join(name)
}

/// Runs `consumer` with `args`, `records` (hex, one per line) on stdin; its output lines.
pub fn consume_args(consumer: &Path, args: &[&str], records: &[&str]) -> Vec<String> {
    let mut child = Command::new(consumer)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(records.join("\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}
