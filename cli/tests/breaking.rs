//! `huntreg breaking` as a user runs it: every input form (directories, git references in
//! buf's syntax, bare repositories, FileDescriptorSets, stdin), configuration, path filters,
//! output formats, exit codes, and inputs that must fail cleanly instead of panicking.
//! Agreement with the real buf is tested separately in `buf_diff.rs`.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const PREVIOUS: &str = "syntax = \"proto3\";\npackage hunt.v1;\n\nmessage Find {\n  string find_id = 1;\n  string player_id = 2;\n  int32 points = 3;\n}\n";
const CURRENT: &str = "syntax = \"proto3\";\npackage hunt.v1;\n\nmessage Find {\n  string find_id = 1;\n  string player_id = 2;\n}\n";
const OTHER: &str =
    "syntax = \"proto3\";\npackage hunt.v1;\n\nmessage Board {\n  string hunt_id = 1;\n}\n";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn huntreg(cwd: &Path, args: &[&str]) -> Run {
    huntreg_stdin(cwd, args, &[])
}

fn huntreg_stdin(cwd: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_huntreg"))
        .arg("breaking")
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// `previous/` and `current/` directories differing by one deleted field, plus an unchanged file.
fn pair() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (side, find) in [("previous", PREVIOUS), ("current", CURRENT)] {
        write(dir.path(), &format!("{side}/hunt/v1/find.proto"), find);
        write(dir.path(), &format!("{side}/hunt/v1/board.proto"), OTHER);
    }
    dir
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Hunt CI",
            "-c",
            "user.email=ci@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A repository: `main` and tag `v1` hold PREVIOUS under `schemas/`, a second commit on
/// `main` holds CURRENT, and the working tree holds CURRENT too.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    git(r, &["init", "-q", "-b", "main"]);
    write(r, "schemas/hunt/v1/find.proto", PREVIOUS);
    write(r, "schemas/hunt/v1/board.proto", OTHER);
    write(r, "README.md", "not a proto\n");
    git(r, &["add", "."]);
    git(r, &["commit", "-q", "-m", "first"]);
    git(r, &["tag", "v1"]);
    write(r, "schemas/hunt/v1/find.proto", CURRENT);
    git(r, &["commit", "-q", "-am", "second"]);
    dir
}

fn json_lines(run: &Run) -> Vec<serde_json::Value> {
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn rules_and_paths(run: &Run) -> Vec<(String, String)> {
    json_lines(run)
        .iter()
        .map(|v| {
            (
                v["type"].as_str().unwrap().to_owned(),
                v["path"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

const JSON: &[&str] = &["--error-format", "json"];

fn args<'a>(input: &'a str, against: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![input, "--against", against];
    v.extend_from_slice(extra);
    v
}

#[test]
fn directories_report_findings_with_input_relative_paths() {
    let dir = pair();
    let run = huntreg(dir.path(), &args("current", "previous", JSON));
    assert_eq!(run.code, 100, "{}", run.stderr);
    let found = rules_and_paths(&run);
    assert!(
        found.contains(&(
            "FIELD_NO_DELETE".into(),
            "current/hunt/v1/find.proto".into()
        )),
        "{found:?}"
    );
    let v = &json_lines(&run)[0];
    assert!(v["start_line"].as_u64().unwrap() >= 1 && v["end_column"].as_u64().unwrap() >= 1);

    // From inside the input, paths are module-relative.
    let run = huntreg(&dir.path().join("current"), &args(".", "../previous", JSON));
    assert_eq!(run.code, 100);
    assert!(
        rules_and_paths(&run)
            .iter()
            .all(|(_, p)| p == "hunt/v1/find.proto"),
        "{}",
        run.stdout
    );

    // Unchanged trees are clean.
    let run = huntreg(dir.path(), &args("previous", "previous", JSON));
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
}

#[test]
fn git_references_are_read_without_a_checkout() {
    let dir = repo();
    let r = dir.path();
    let head_before = git(r, &["rev-parse", "HEAD"]);
    let status_before = git(r, &["status", "--porcelain"]);
    // Working tree (CURRENT) against the tag (PREVIOUS): the field is gone.
    for against in [
        ".git#tag=v1,subdir=schemas",
        ".git#ref=HEAD~1,subdir=schemas",
        ".git#branch=main,subdir=schemas,depth=1",
    ] {
        let run = huntreg(r, &args("schemas", against, JSON));
        let expected = if against.contains("branch=main") {
            0
        } else {
            100
        };
        assert_eq!(
            run.code, expected,
            "{against}: {}{}",
            run.stdout, run.stderr
        );
        if expected == 100 {
            assert_eq!(
                rules_and_paths(&run)[0].1,
                "schemas/hunt/v1/find.proto",
                "{against}"
            );
        }
    }
    // Both sides from git; the input side prints paths relative to its subdir.
    let run = huntreg(
        r,
        &args(
            ".git#branch=main,subdir=schemas",
            ".git#tag=v1,subdir=schemas",
            JSON,
        ),
    );
    assert_eq!(run.code, 100, "{}", run.stderr);
    assert_eq!(rules_and_paths(&run)[0].1, "hunt/v1/find.proto");
    // A reversed comparison has nothing deleted: adding a field breaks nothing.
    let run = huntreg(
        r,
        &args(
            ".git#tag=v1,subdir=schemas",
            ".git#branch=main,subdir=schemas",
            JSON,
        ),
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // Nothing in the repository changed.
    assert_eq!(git(r, &["rev-parse", "HEAD"]), head_before);
    assert_eq!(git(r, &["status", "--porcelain"]), status_before);
}

#[test]
fn bare_repositories_and_remote_tracking_branches() {
    let dir = repo();
    let outer = tempfile::tempdir().unwrap();
    git(
        outer.path(),
        &[
            "clone",
            "-q",
            "--bare",
            dir.path().to_str().unwrap(),
            "hunt.git",
        ],
    );
    let run = huntreg(
        outer.path(),
        &args(
            "hunt.git#branch=main,subdir=schemas",
            "hunt.git#tag=v1,subdir=schemas",
            JSON,
        ),
    );
    assert_eq!(run.code, 100, "{}", run.stderr);

    // A pull-request checkout has `origin/main` but no local `main`.
    let clone = tempfile::tempdir().unwrap();
    git(
        clone.path(),
        &["clone", "-q", dir.path().to_str().unwrap(), "work"],
    );
    let work = clone.path().join("work");
    git(&work, &["checkout", "-q", "--detach", "HEAD~1"]);
    git(&work, &["branch", "-q", "-D", "main"]);
    let run = huntreg(
        &work,
        &args("schemas", ".git#branch=main,subdir=schemas", JSON),
    );
    // The working tree is PREVIOUS, main is CURRENT: a field was added, nothing breaks.
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn file_descriptor_sets_from_files_and_stdin() {
    let dir = pair();
    let fds = protox::Compiler::new([dir.path().join("previous")])
        .unwrap()
        .open_files(["hunt/v1/find.proto", "hunt/v1/board.proto"])
        .unwrap()
        .encode_file_descriptor_set();
    fs::write(dir.path().join("previous.binpb"), &fds).unwrap();
    let run = huntreg(dir.path(), &args("current", "previous.binpb", JSON));
    assert_eq!(run.code, 100, "{}", run.stderr);
    assert!(rules_and_paths(&run).contains(&(
        "FIELD_NO_DELETE".into(),
        "current/hunt/v1/find.proto".into()
    )));
    let run = huntreg_stdin(dir.path(), &args("current", "-", JSON), &fds);
    assert_eq!(run.code, 100, "{}", run.stderr);
    let run = huntreg_stdin(dir.path(), &args("-", "previous.binpb", JSON), &fds);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
}

#[test]
fn configuration_chooses_and_ignores_rules() {
    let dir = pair();
    let p = dir.path();
    // Only wire rules: deleting a field without reserving its number is still a break.
    write(
        p,
        "current/buf.yaml",
        "version: v2\nbreaking:\n  use: [WIRE]\n",
    );
    let run = huntreg(p, &args("current", "previous", JSON));
    assert_eq!(run.code, 100);
    assert!(
        rules_and_paths(&run)
            .iter()
            .all(|(r, _)| r == "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"),
        "{}",
        run.stdout
    );
    // Ignored file.
    write(
        p,
        "current/buf.yaml",
        "version: v2\nbreaking:\n  use: [FILE]\n  ignore: [hunt/v1/find.proto]\n",
    );
    assert_eq!(huntreg(p, &args("current", "previous", JSON)).code, 0);
    // ignore_only by category.
    write(
        p,
        "current/buf.yaml",
        "version: v2\nbreaking:\n  ignore_only:\n    FILE: [hunt]\n",
    );
    assert_eq!(huntreg(p, &args("current", "previous", JSON)).code, 0);
    // --config overrides the buf.yaml (inline YAML).
    let run = huntreg(
        p,
        &args(
            "current",
            "previous",
            &[
                "--config",
                "version: v2\nbreaking:\n  use: [FILE]\n  except: [FIELD_NO_DELETE]\n",
            ],
        ),
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // Bad configuration is a failure, not a finding.
    write(
        p,
        "current/buf.yaml",
        "version: v2\nbreaking:\n  use: [NOT_A_RULE]\n",
    );
    let run = huntreg(p, &args("current", "previous", JSON));
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("Failure: "), "{}", run.stderr);
    write(p, "current/buf.yaml", "version: v2\nbreaking: [\n");
    assert_eq!(huntreg(p, &args("current", "previous", JSON)).code, 1);
}

#[test]
fn v2_modules_and_v1_workspaces() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for (side, find) in [("previous", PREVIOUS), ("current", CURRENT)] {
        write(
            p,
            &format!("{side}/buf.yaml"),
            "version: v2\nmodules:\n  - path: hunts/a\n  - path: hunts/b\n",
        );
        write(p, &format!("{side}/hunts/a/hunt/v1/find.proto"), find);
        write(p, &format!("{side}/hunts/b/hunt/v1/find.proto"), PREVIOUS);
    }
    let run = huntreg(p, &args("current", "previous", JSON));
    assert_eq!(run.code, 100, "{}", run.stderr);
    assert_eq!(
        rules_and_paths(&run),
        [(
            "FIELD_NO_DELETE".to_owned(),
            "current/hunts/a/hunt/v1/find.proto".to_owned()
        )]
    );
    // Pointing at one module checks that module only.
    assert_eq!(
        huntreg(p, &args("current/hunts/b", "previous/hunts/b", JSON)).code,
        0
    );
    // An added module (the input has more) is compared as buf 1.55+ compares it: the
    // buf_diff fixtures `workspace_module_added*` check that against buf itself.
    // An against module the input does not have cannot be paired.
    write(
        p,
        "previous/buf.yaml",
        "version: v2\nmodules:\n  - path: hunts/a\n  - path: hunts/b\n",
    );
    write(
        p,
        "current/buf.yaml",
        "version: v2\nmodules:\n  - path: hunts/a\n",
    );
    let run = huntreg(p, &args("current", "previous", JSON));
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("input contained 1 images, whereas against contained 2 images"),
        "{}",
        run.stderr
    );

    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for (side, find) in [("previous", PREVIOUS), ("current", CURRENT)] {
        write(
            p,
            &format!("{side}/buf.work.yaml"),
            "version: v1\ndirectories: [proto]\n",
        );
        write(
            p,
            &format!("{side}/proto/buf.yaml"),
            "version: v1\nbreaking:\n  use: [WIRE_JSON]\n",
        );
        write(p, &format!("{side}/proto/hunt/v1/find.proto"), find);
    }
    let run = huntreg(p, &args("current", "previous", JSON));
    assert_eq!(run.code, 100);
    assert!(rules_and_paths(&run)
        .iter()
        .all(|(_, path)| path == "current/proto/hunt/v1/find.proto"));
}

#[test]
fn path_filters_apply_to_each_sides_printed_paths() {
    let dir = repo();
    let schemas = dir.path().join("schemas");
    let against = "../.git#tag=v1,subdir=schemas";
    let run = |extra: &[&str]| huntreg(&schemas, &args(".", against, extra));
    assert_eq!(run(&[]).code, 100);
    let only_board = run(&["--path", "hunt/v1/board.proto"]);
    assert_eq!(
        only_board.code, 0,
        "{}{}",
        only_board.stdout, only_board.stderr
    );
    assert_eq!(run(&["--path", "hunt/v1/find.proto"]).code, 100);
    assert_eq!(run(&["--path", "hunt"]).code, 100);
    assert_eq!(run(&["--exclude-path", "hunt/v1/find.proto"]).code, 0);
    // Nothing left to check is a failure, as in buf.
    let none = run(&["--path", "hunt/v9"]);
    assert_eq!(none.code, 1);
    assert!(
        none.stderr.contains("no .proto files were targeted"),
        "{}",
        none.stderr
    );

    // A file deleted from the input is not reported when only input files are compared.
    fs::remove_file(schemas.join("hunt/v1/board.proto")).unwrap();
    let run_json = |extra: &[&str]| {
        let mut a = vec!["--error-format", "json"];
        a.extend_from_slice(extra);
        huntreg(&schemas, &args(".", against, &a))
    };
    assert!(run_json(&[]).stdout.contains("FILE_NO_DELETE"));
    let limited = run_json(&["--limit-to-input-files"]);
    assert_eq!(limited.code, 100, "{}", limited.stderr);
    assert!(
        !limited.stdout.contains("FILE_NO_DELETE"),
        "{}",
        limited.stdout
    );
}

#[test]
fn output_formats() {
    let dir = pair();
    let p = dir.path();
    let text = huntreg(p, &args("current", "previous", &[]));
    assert_eq!(text.code, 100);
    let line = text.stdout.lines().next().unwrap();
    assert!(
        line.starts_with("current/hunt/v1/find.proto:4:1:Previously present field \"3\""),
        "{line}"
    );
    let gha = huntreg(
        p,
        &args("current", "previous", &["--error-format", "github-actions"]),
    );
    assert!(
        gha.stdout
            .starts_with("::error file=current/hunt/v1/find.proto,line=4,col=1,endLine="),
        "{}",
        gha.stdout
    );
    let junit = huntreg(
        p,
        &args("current", "previous", &["--error-format", "junit"]),
    );
    assert!(
        junit
            .stdout
            .starts_with("<testsuites>\n  <testsuite name=\"current/hunt/v1/find\""),
        "{}",
        junit.stdout
    );
    assert!(junit.stdout.ends_with("</testsuites>\n"));
}

// Columns count a tab as advancing to the next multiple of 4, as buf 1.75.0 printed for
// this input (`start_column` 13 and 18).
#[test]
fn columns_count_tabs_as_buf_does() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "previous/a.proto", "syntax = \"proto2\";\nmessage M {\n  optional\tstring a = 1;\n  optional string b = 2;\n}\n");
    write(p, "current/a.proto", "syntax = \"proto2\";\nmessage M {\n  optional\tbytes a = 1;\n\t \toptional bytes b = 2;\n}\n");
    let run = huntreg(p, &args("current", "previous", JSON));
    let columns: Vec<(u64, u64)> = json_lines(&run)
        .iter()
        .map(|v| {
            (
                v["start_column"].as_u64().unwrap(),
                v["end_column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(columns, [(13, 18), (18, 23)], "{}", run.stdout);
}

#[test]
fn compile_errors_are_findings() {
    let dir = pair();
    let p = dir.path();
    write(
        p,
        "current/hunt/v1/find.proto",
        "syntax = \"proto3\";\nmessage Find {\n  string find_id = 1\n}\n",
    );
    let run = huntreg(p, &args("current", "previous", JSON));
    assert_eq!(run.code, 100);
    let v = &json_lines(&run)[0];
    assert_eq!(v["type"], "COMPILE");
    assert_eq!(v["path"], "current/hunt/v1/find.proto");
    assert_eq!(v["start_line"], 4);
    write(
        p,
        "current/hunt/v1/find.proto",
        "syntax = \"proto3\";\nimport \"nowhere.proto\";\n",
    );
    let run = huntreg(p, &args("current", "previous", JSON));
    assert_eq!(run.code, 100);
    assert_eq!(json_lines(&run)[0]["type"], "COMPILE");
}

#[test]
fn unreadable_inputs_fail_cleanly() {
    let dir = pair();
    let p = dir.path();
    write(p, "garbage.binpb", "\u{ff}\u{fe} definitely not protobuf");
    fs::create_dir_all(p.join("empty")).unwrap();
    for (input, against) in [
        ("missing", "previous"),
        ("current", "missing"),
        ("current", "garbage.binpb"),
        ("current", ".git#branch=main"),
        ("current", "previous#branch=main"),
        ("current", "previous#format=zip"),
        ("empty", "previous"),
    ] {
        let run = huntreg(p, &args(input, against, JSON));
        assert_eq!(
            run.code, 1,
            "{input} vs {against}: {}{}",
            run.stdout, run.stderr
        );
        assert!(run.stderr.starts_with("Failure: "), "{}", run.stderr);
    }
    let repo = repo();
    let run = huntreg(
        repo.path(),
        &args("schemas", ".git#branch=nope,subdir=schemas", JSON),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("does not name a commit"),
        "{}",
        run.stderr
    );
}

#[test]
fn hostile_sources_never_panic() {
    let sources: &[&[u8]] = &[
        b"",
        b"\xff\xfe\x00binary",
        b"syntax = \"proto4\";",
        b"syntax = \"proto3\"; message A { A a = 1; message B { B b = 1; } }",
        b"syntax = \"proto3\"; message A { int32 x = 536870912; }",
        b"syntax = \"proto2\"; message A { extensions 1 to max; } extend A { optional int32 x = 1; }",
        b"syntax = \"proto3\"; enum E { }",
        b"syntax = \"proto3\"; import \"a.proto\";",
        b"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{",
        b"syntax = \"proto3\"; message M { map<M, int32> m = 1; }",
    ];
    let dir = pair();
    let p = dir.path();
    for (i, src) in sources.iter().enumerate() {
        let file = p.join("current/hunt/v1/find.proto");
        fs::write(&file, src).unwrap();
        for (input, against) in [("current", "previous"), ("previous", "current")] {
            let run = huntreg(p, &args(input, against, JSON));
            assert!(
                [0, 1, 100].contains(&run.code),
                "source {i} ({input}): exit {} {}",
                run.code,
                run.stderr
            );
            assert!(
                !run.stderr.contains("panicked"),
                "source {i}: {}",
                run.stderr
            );
        }
    }
}

/// `--semver` prints the bump after the findings, in every format, with the next version
/// when given the current one; exit codes stay buf's.
#[test]
fn semver_prints_the_bump_and_why() {
    let dir = pair();
    // current/ deletes a field: major, and the findings still decide the exit code.
    let run = huntreg(
        dir.path(),
        &args("current", "previous", &["--semver=1.4.2"]),
    );
    assert_eq!(run.code, 100, "{}", run.stderr);
    let tail: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("semver:"))
        .collect();
    assert_eq!(
        tail[0], "semver: major, next version 2.0.0",
        "{}",
        run.stdout
    );
    assert!(
        tail[1..].iter().any(|l| l.ends_with("(FIELD_NO_DELETE)")),
        "{}",
        run.stdout
    );
    // previous/ against current/ adds the field back: minor, clean exit.
    let run = huntreg(
        dir.path(),
        &args("previous", "current", &["--semver=0.3.1"]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "semver: minor, next version 0.3.2\n  current/hunt/v1/find.proto:4:1:Field \"3\" with name \"points\" on message \"Find\" was added. (FIELD_NO_DELETE)\n"
    );
    // Against itself: a patch, in JSON.
    let run = huntreg(
        dir.path(),
        &args(
            "current",
            "current",
            &["--semver", "--error-format", "json"],
        ),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let verdict: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(
        verdict,
        serde_json::json!({"semver": "patch", "reasons": []})
    );
    // GitHub Actions annotations are notices, never errors.
    let run = huntreg(
        dir.path(),
        &args(
            "previous",
            "current",
            &["--semver", "--error-format", "github-actions"],
        ),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("::notice title=semver::minor\n::notice file=current/hunt/v1/find.proto,line=4,col=1::Field"),
        "{}",
        run.stdout
    );
    // A current version that is not one is a usage error.
    let run = huntreg(dir.path(), &args("current", "previous", &["--semver=one"]));
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("--semver=one: not a semantic version"),
        "{}",
        run.stderr
    );
}
