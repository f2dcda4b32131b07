//! buf.yaml `breaking:` blocks applied to real findings: `ignore`, `ignore_only` and
//! `ignore_unstable_packages`, checked against `buf breaking` with the same configuration
//! when the real `buf` is installed, and snapshotted.

mod support;

use std::path::Path;

use huntreg_compat::BufYaml;

fn run(name: &str, yaml: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/config_ignores");
    let (previous, current) = (dir.join("previous"), dir.join("current"));
    let config = BufYaml::parse(yaml).expect("buf.yaml");
    let breaking = &config.modules()[0].breaking;
    let report = breaking.check(
        &support::compile_dir(&previous),
        &support::compile_dir(&current),
    );
    let rows = support::rows(&report.findings);
    if let Some(buf) = support::buf() {
        let value: serde_json::Value = serde_yaml::from_str(yaml).expect("yaml");
        let expected = support::buf_rows(&buf, &previous, &current, &value.to_string());
        assert_eq!(
            rows, expected,
            "huntreg (left) and buf (right) disagree on {name}"
        );
    }
    insta::assert_yaml_snapshot!(name, rows);
}

#[test]
fn nothing_ignored() {
    run(
        "config_nothing_ignored",
        "version: v2\nbreaking:\n  use: [FILE]\n",
    );
}

#[test]
fn ignore_directories_and_files() {
    run(
        "config_ignore",
        "version: v2\nbreaking:\n  use: [FILE]\n  ignore: [c, a/v1/keep.proto]\n",
    );
}

#[test]
fn ignore_only_some_rules() {
    run(
        "config_ignore_only",
        "version: v2\nbreaking:\n  use: [FILE]\n  ignore_only:\n    FIELD_NO_DELETE: [a]\n    WIRE: [c/c.proto]\n",
    );
}

#[test]
fn ignore_unstable_packages() {
    run(
        "config_ignore_unstable_packages",
        "version: v1\nbreaking:\n  use: [FILE, PACKAGE]\n  except: [FIELD_SAME_TYPE]\n  ignore_unstable_packages: true\n",
    );
}
