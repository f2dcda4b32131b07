//! Differential test: `huntreg breaking` against the real `buf breaking` (1.75.0, installed
//! by `scripts/setup-tools`) on the same inputs. Cases: every rule fixture pair in
//! `compat/tests/cases/`, the fixtures in `tests/buf_diff/fixtures/`, and programmatic
//! mutations of the treasure-hunt tree in `tests/buf_diff/base/` under every rule category
//! and several configurations (ignores, v1 and missing configs, modules, git inputs).
//!
//! Both tools print `--error-format json`; verdicts (exit codes) must agree on every case,
//! findings, compared as (rule ID, path, start line), on every case, and every JSON line
//! (columns, end positions and messages too) must be identical. Every run writes
//! the disagreements to `target/buf-diff/disagreements.txt` and copies each disagreeing case
//! to `target/buf-diff/cases/<name>/` so it can be re-run by hand.

#[path = "buf_diff/harness.rs"]
mod harness;
#[path = "buf_diff/mutations.rs"]
mod mutations;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use harness::{Case, Outcome};
use mutations::{Edit, CATEGORIES, MUTATIONS};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workspace_root() -> PathBuf {
    manifest_dir().parent().unwrap().to_path_buf()
}

/// The real buf: the platform binary npm installed (what the `.bin/buf` wrapper starts).
fn buf() -> PathBuf {
    let tools = std::env::var_os("HUNTREG_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".tools"));
    let wrapper = tools.join("node_modules/.bin/buf");
    assert!(
        wrapper.exists(),
        "buf is not installed at {}: run scripts/setup-tools",
        wrapper.display()
    );
    let native = tools.join(format!(
        "node_modules/@bufbuild/buf-{}-{}/bin/buf",
        std::env::consts::OS,
        match std::env::consts::ARCH {
            "x86_64" => "x64",
            "aarch64" => "arm64",
            other => other,
        }
    ));
    if native.exists() {
        native
    } else {
        wrapper
    }
}

/// Deprecated rule IDs that only v1 configurations accept.
const DEPRECATED_V1: &[&str] = &[
    "FIELD_SAME_CTYPE",
    "FIELD_SAME_LABEL",
    "FILE_SAME_JAVA_STRING_CHECK_UTF8",
    "FILE_SAME_PHP_GENERIC_SERVICES",
];

/// Every rule ID of a v2 configuration, from the engine's categories.
fn v2_rules() -> Vec<&'static str> {
    use huntreg_compat::{Category, RuleSet};
    let mut ids: Vec<&'static str> = [
        Category::File,
        Category::Package,
        Category::WireJson,
        Category::Wire,
        Category::Csr,
    ]
    .into_iter()
    .flat_map(|c| RuleSet::category(c).ids().to_vec())
    .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn buf_yaml_v2(breaking: &str) -> String {
    format!("version: v2\nbreaking:\n{breaking}")
}

fn use_category(cat: &str) -> String {
    buf_yaml_v2(&format!("  use: [{cat}]\n"))
}

/// The base tree: module-relative path -> text.
fn base() -> BTreeMap<String, String> {
    harness::read_tree(&manifest_dir().join("tests/buf_diff/base"))
}

/// Applies a mutation's edits to a copy of `tree`.
fn mutate(tree: &BTreeMap<String, String>, name: &str, edits: &[Edit]) -> BTreeMap<String, String> {
    let mut out = tree.clone();
    for edit in edits {
        match *edit {
            Edit::Replace(file, from, to) => {
                let text = out
                    .get_mut(file)
                    .unwrap_or_else(|| panic!("{name}: no file {file}"));
                assert_eq!(
                    text.matches(from).count(),
                    1,
                    "{name}: {from:?} must occur once in {file}"
                );
                *text = text.replacen(from, to, 1);
            }
            Edit::Delete(file) => {
                out.remove(file)
                    .unwrap_or_else(|| panic!("{name}: no file {file}"));
            }
            Edit::Move(from, to) => {
                let text = out
                    .remove(from)
                    .unwrap_or_else(|| panic!("{name}: no file {from}"));
                out.insert(to.to_owned(), text);
            }
            Edit::Append(file, text) => {
                out.get_mut(file)
                    .unwrap_or_else(|| panic!("{name}: no file {file}"))
                    .push_str(text);
            }
        }
    }
    out
}

fn with(mut tree: BTreeMap<String, String>, path: &str, text: &str) -> BTreeMap<String, String> {
    tree.insert(path.to_owned(), text.to_owned());
    tree
}

fn under(prefix: &str, tree: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tree.iter()
        .map(|(k, v)| (format!("{prefix}/{k}"), v.clone()))
        .collect()
}

fn json_args(input: &str, against: &str) -> Vec<String> {
    vec![
        input.into(),
        "--against".into(),
        against.into(),
        "--error-format".into(),
        "json".into(),
    ]
}

/// Builds a `previous`/`current` case below `scratch`.
fn pair_case(
    scratch: &Path,
    name: &str,
    previous: &BTreeMap<String, String>,
    current: &BTreeMap<String, String>,
) -> Case {
    let root = scratch.join(name);
    harness::write_tree(&root.join("previous"), previous);
    harness::write_tree(&root.join("current"), current);
    Case {
        name: name.to_owned(),
        cwd: root.clone(),
        root,
        args: json_args("current", "previous"),
    }
}

fn git(dir: &Path, args: &[&str]) {
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
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository whose `main` holds `previous` and whose working tree holds `current`.
fn git_case(
    scratch: &Path,
    name: &str,
    previous: &BTreeMap<String, String>,
    current: &BTreeMap<String, String>,
    subdir: &str,
) -> Case {
    let root = scratch.join(name);
    let repo = root.join("repo");
    harness::write_tree(&repo, previous);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "previous"]);
    for path in previous.keys() {
        fs::remove_file(repo.join(path)).unwrap();
    }
    harness::write_tree(&repo, current);
    let (input, against) = if subdir.is_empty() {
        (".".to_owned(), ".git#branch=main".to_owned())
    } else {
        (
            subdir.to_owned(),
            format!(".git#branch=main,subdir={subdir}"),
        )
    };
    Case {
        name: name.to_owned(),
        cwd: repo,
        root,
        args: json_args(&input, &against),
    }
}

fn cases(scratch: &Path) -> Vec<Case> {
    let base = base();
    let mut out = Vec::new();

    // Every mutation under every category.
    for (name, edits) in MUTATIONS {
        let current = mutate(&base, name, edits);
        for cat in CATEGORIES {
            let yaml = use_category(cat);
            out.push(pair_case(
                scratch,
                &format!("{name}.{}", cat.to_lowercase()),
                &with(base.clone(), "buf.yaml", &yaml),
                &with(current.clone(), "buf.yaml", &yaml),
            ));
        }
    }

    // Configuration variants on a few mutations.
    let pick = |n: &str| -> BTreeMap<String, String> {
        let (name, edits) = MUTATIONS.iter().find(|(m, _)| *m == n).unwrap();
        mutate(&base, name, edits)
    };
    let variants: &[(&str, &[&str], Option<&str>)] = &[
        ("no_config", &["proto2_extension_deleted", "proto2_default_changed", "field_deleted", "file_deleted", "many_changes"], None),
        ("v1_wire_json", &["field_deleted", "json_name_changed", "enum_value_renamed"], Some("version: v1\nbreaking:\n  use: [WIRE_JSON]\n")),
        ("v1_default", &["proto2_extension_deleted", "rpc_deleted"], Some("version: v1\n")),
        ("v2_default", &["proto2_extension_deleted", "proto2_default_changed", "rpc_deleted"], Some("version: v2\n")),
        ("except", &["field_deleted", "many_changes"], Some("version: v2\nbreaking:\n  use: [FILE]\n  except: [FIELD_NO_DELETE, RPC_NO_DELETE]\n")),
        ("rule_ids", &["field_deleted", "many_changes", "enum_value_renamed"], Some("version: v2\nbreaking:\n  use: [FIELD_NO_DELETE, ENUM_VALUE_SAME_NAME]\n")),
        ("ignore_file", &["many_changes", "type_int32_to_int64"], Some("version: v2\nbreaking:\n  use: [FILE]\n  ignore: [hunt/v1/treasure.proto]\n")),
        ("ignore_dir", &["many_changes"], Some("version: v2\nbreaking:\n  use: [FILE]\n  ignore: [hunt/v1alpha1, legacy]\n")),
        ("ignore_only", &["many_changes", "field_deleted"], Some("version: v2\nbreaking:\n  use: [FILE]\n  ignore_only:\n    FIELD_NO_DELETE: [hunt/v1]\n    WIRE: [hunt/v1/find.proto]\n")),
        ("unstable", &["file_deleted", "package_changed", "enum_deleted", "many_changes"], Some("version: v2\nbreaking:\n  use: [FILE]\n  ignore_unstable_packages: true\n")),
    ];
    for (variant, names, yaml) in variants {
        for n in names.iter() {
            let (mut previous, mut current) = (base.clone(), pick(n));
            if let Some(yaml) = yaml {
                previous = with(previous, "buf.yaml", yaml);
                current = with(current, "buf.yaml", yaml);
            }
            out.push(pair_case(
                scratch,
                &format!("{n}.{variant}"),
                &previous,
                &current,
            ));
        }
    }

    // A v2 workspace with the tree as a module below `proto/`, and a second module.
    let ws_yaml = "version: v2\nmodules:\n  - path: proto\n  - path: extra\n    breaking:\n      use: [WIRE]\nbreaking:\n  use: [PACKAGE]\n";
    let extra = BTreeMap::from([(
        "extra/clue.proto".to_owned(),
        "syntax = \"proto3\";\npackage extra;\nimport \"hunt/v1/find.proto\";\nmessage Clue {\n  string text = 1;\n  hunt.v1.GeoPoint near = 2;\n  int32 level = 3;\n}\n".to_owned(),
    )]);
    for n in [
        "field_deleted",
        "message_moved_to_other_file",
        "many_changes",
        "unchanged",
    ] {
        let mut previous = under("proto", &base);
        previous.extend(extra.clone());
        let mut current = under("proto", &pick(n));
        current.extend(extra.clone());
        if n == "many_changes" {
            current.insert(
                "extra/clue.proto".into(),
                extra["extra/clue.proto"].replace("int32 level = 3", "int64 level = 3"),
            );
        }
        out.push(pair_case(
            scratch,
            &format!("{n}.modules"),
            &with(previous, "buf.yaml", ws_yaml),
            &with(current, "buf.yaml", ws_yaml),
        ));
    }
    // A v1 workspace (buf.work.yaml).
    for n in ["field_deleted", "many_changes"] {
        let work = "version: v1\ndirectories:\n  - proto\n";
        let module = "version: v1\nbreaking:\n  use: [WIRE_JSON]\n";
        let previous = with(
            with(under("proto", &base), "buf.work.yaml", work),
            "proto/buf.yaml",
            module,
        );
        let current = with(
            with(under("proto", &pick(n)), "buf.work.yaml", work),
            "proto/buf.yaml",
            module,
        );
        out.push(pair_case(
            scratch,
            &format!("{n}.buf_work"),
            &previous,
            &current,
        ));
    }

    // Flags. Path filters apply to each side's printed paths, so they are used as in CI:
    // the working tree `.` against `.git#branch=main` (a directory pair fails in both tools).
    let flag_cases: &[(&str, &str, &[&str])] = &[
        (
            "many_changes",
            "path_file",
            &["--path", "hunt/v1/treasure.proto"],
        ),
        ("many_changes", "path_dir", &["--path", "hunt/v1"]),
        ("many_changes", "path_missing", &["--path", "hunt/v9"]),
        (
            "many_changes",
            "exclude_path",
            &[
                "--exclude-path",
                "hunt/v1/find.proto",
                "--exclude-path",
                "hunt/v1alpha1",
            ],
        ),
        (
            "file_deleted",
            "limit_to_input_files",
            &["--limit-to-input-files"],
        ),
        ("many_changes", "exclude_imports", &["--exclude-imports"]),
        (
            "many_changes",
            "config_inline",
            &["--config", "version: v2\nbreaking:\n  use: [WIRE]\n"],
        ),
    ];
    for (n, flag, extra) in flag_cases {
        let mut case = git_case(scratch, &format!("{n}.{flag}"), &base, &pick(n), "");
        case.args.extend(extra.iter().map(|s| (*s).to_owned()));
        out.push(case);
    }
    let mut case = pair_case(
        scratch,
        "many_changes.path_dir_pair",
        &base,
        &pick("many_changes"),
    );
    case.args
        .extend(["--path".to_owned(), "current/hunt/v1".to_owned()]);
    out.push(case);
    for n in ["field_deleted", "many_changes"] {
        let mut previous = under("proto", &base);
        previous.extend(extra.clone());
        let mut current = under("proto", &pick(n));
        current.extend(extra.clone());
        let mut case = pair_case(
            scratch,
            &format!("{n}.modules_exclude_imports"),
            &with(previous, "buf.yaml", ws_yaml),
            &with(current, "buf.yaml", ws_yaml),
        );
        case.args.push("--exclude-imports".into());
        out.push(case);
    }

    // Paths as buf prints them when the input is `.`.
    for n in ["field_deleted", "file_deleted", "many_changes"] {
        let mut case = pair_case(scratch, &format!("{n}.dot_input"), &base, &pick(n));
        case.cwd = case.root.join("current");
        case.args = json_args(".", "../previous");
        out.push(case);
    }

    // Git inputs: `main` is previous, the working tree is current.
    for n in ["field_deleted", "many_changes", "file_moved", "unchanged"] {
        out.push(git_case(scratch, &format!("{n}.git"), &base, &pick(n), ""));
    }
    for n in ["field_deleted", "rpc_deleted"] {
        let yaml = "version: v2\nmodules:\n  - path: proto\nbreaking:\n  use: [WIRE_JSON]\n";
        let previous = with(under("schemas/proto", &base), "schemas/buf.yaml", yaml);
        let current = with(under("schemas/proto", &pick(n)), "schemas/buf.yaml", yaml);
        out.push(git_case(
            scratch,
            &format!("{n}.git_subdir"),
            &previous,
            &current,
            "schemas",
        ));
    }

    // Compile errors are COMPILE findings with exit code 100, on either side.
    let broken = with(
        base.clone(),
        "hunt/v1/find.proto",
        &base["hunt/v1/find.proto"].replace("  double score = 8;", "  double score = 8"),
    );
    out.push(pair_case(scratch, "syntax_error.current", &base, &broken));
    out.push(pair_case(scratch, "syntax_error.previous", &broken, &base));

    // Fixture pairs: the compat rule cases (read-only) and our own.
    for (dir, label) in [
        (workspace_root().join("compat/tests/cases"), "compat"),
        (manifest_dir().join("tests/buf_diff/fixtures"), "fixture"),
    ] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join("previous").is_dir() && p.join("current").is_dir())
            .collect();
        dirs.sort();
        for d in dirs {
            let case_name = d.file_name().unwrap().to_string_lossy().into_owned();
            let mut previous = harness::read_tree(&d.join("previous"));
            let mut current = harness::read_tree(&d.join("current"));
            // A rule case runs only its rule unless it brings its own configuration
            // (deprecated IDs only exist in v1 configurations).
            let rule = case_name.to_uppercase();
            if !current.contains_key("buf.yaml") && label == "compat" {
                let yaml = if v2_rules().contains(&rule.as_str()) {
                    Some(buf_yaml_v2(&format!("  use: [{rule}]\n")))
                } else if DEPRECATED_V1.contains(&rule.as_str()) {
                    Some(format!("version: v1\nbreaking:\n  use: [{rule}]\n"))
                } else {
                    None
                };
                if let Some(yaml) = yaml {
                    previous.insert("buf.yaml".into(), yaml.clone());
                    current.insert("buf.yaml".into(), yaml);
                }
            }
            out.push(pair_case(
                scratch,
                &format!("{label}.{case_name}"),
                &previous,
                &current,
            ));
        }
    }
    out
}

fn report_line(out: &mut String, tool: &str, o: &Outcome) {
    let _ = writeln!(out, "  {tool}: exit {}", o.code);
    for l in &o.lines {
        let _ = writeln!(out, "    {l}");
    }
    if !o.stderr.trim().is_empty() {
        let _ = writeln!(out, "    stderr: {}", o.stderr.trim());
    }
}

#[test]
fn huntreg_breaking_agrees_with_buf() {
    let buf = buf();
    let scratch = tempfile::tempdir().unwrap();
    // A private copy: a build running meanwhile may replace target/debug/huntreg.
    let huntreg = scratch.path().join("huntreg");
    fs::copy(env!("CARGO_BIN_EXE_huntreg"), &huntreg).unwrap();
    let cases = cases(scratch.path());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let results = harness::parallel(&cases, workers, |case| {
        (harness::run(&buf, case), harness::run(&huntreg, case))
    });

    let out_dir = workspace_root().join("target/buf-diff");
    let _ = fs::remove_dir_all(out_dir.join("cases"));
    fs::create_dir_all(&out_dir).unwrap();
    let (mut verdicts_same, mut shared, mut union) = (0usize, 0usize, 0usize);
    let mut report = String::new();
    let mut disagreements = 0;
    let (mut exact_shared, mut exact_union) = (0usize, 0usize);
    let mut details = String::new();
    for (case, (b, h)) in cases.iter().zip(&results) {
        assert!(
            !b.lines.iter().any(|l| l.contains("\"COMPILE\""))
                || case.name.starts_with("syntax_error")
                || case.name.starts_with("compat.")
                || case.name.starts_with("fixture."),
            "{}: buf could not compile the case (a broken mutation): {:?}",
            case.name,
            b.lines
        );
        assert!(
            b.code == 0
                || b.code == 100
                || case.name.starts_with("compat.")
                || case.name.contains(".path")
                // Fixtures buf refuses on purpose (exit code 1), named so.
                || (case.name.starts_with("fixture.") && case.name.ends_with("_refused")),
            "{}: buf failed: {}",
            case.name,
            b.stderr
        );
        let verdict_ok = b.code == h.code;
        verdicts_same += usize::from(verdict_ok);
        let (bk, hk) = (b.keys(), h.keys());
        let mut case_shared = 0;
        let mut case_union = 0;
        for key in bk.keys().chain(hk.keys().filter(|k| !bk.contains_key(*k))) {
            let (nb, nh) = (
                bk.get(key).copied().unwrap_or(0),
                hk.get(key).copied().unwrap_or(0),
            );
            case_shared += nb.min(nh);
            case_union += nb.max(nh);
        }
        shared += case_shared;
        union += case_union;
        // Whole lines (columns, end positions, messages), compile errors aside: their
        // messages come from different compilers.
        let exact = |o: &Outcome| -> Vec<String> {
            let mut v: Vec<String> = o
                .lines
                .iter()
                .filter(|l| !l.contains("\"COMPILE\""))
                .cloned()
                .collect();
            v.sort();
            v
        };
        let (bl, hl) = (exact(b), exact(h));
        let only_b: Vec<&String> = bl.iter().filter(|l| !hl.contains(l)).collect();
        let only_h: Vec<&String> = hl.iter().filter(|l| !bl.contains(l)).collect();
        exact_union += bl.len().max(hl.len());
        exact_shared += bl.len().max(hl.len()) - only_b.len().max(only_h.len());
        if verdict_ok && case_shared == case_union && (!only_b.is_empty() || !only_h.is_empty()) {
            let _ = writeln!(
                details,
                "== {} `breaking {}`",
                case.name,
                case.args.join(" ")
            );
            for l in only_b {
                let _ = writeln!(details, "  buf:     {l}");
            }
            for l in only_h {
                let _ = writeln!(details, "  huntreg: {l}");
            }
        }
        if !verdict_ok || case_shared != case_union {
            disagreements += 1;
            let _ = writeln!(
                report,
                "== {} ({}) `breaking {}` in {}",
                case.name,
                if verdict_ok {
                    "findings differ"
                } else {
                    "VERDICT differs"
                },
                case.args.join(" "),
                case.cwd
                    .strip_prefix(&case.root)
                    .unwrap_or(&case.cwd)
                    .display()
            );
            let only_buf: Vec<_> = bk.keys().filter(|k| hk.get(*k) < bk.get(*k)).collect();
            let only_hr: Vec<_> = hk.keys().filter(|k| bk.get(*k) < hk.get(*k)).collect();
            let _ = writeln!(
                report,
                "  only buf:     {only_buf:?}\n  only huntreg: {only_hr:?}"
            );
            report_line(&mut report, "buf", b);
            report_line(&mut report, "huntreg", h);
            harness::copy_dir(&case.root, &out_dir.join("cases").join(&case.name));
        }
    }
    let verdict_pct = 100.0 * verdicts_same as f64 / cases.len() as f64;
    let finding_pct = if union == 0 {
        100.0
    } else {
        100.0 * shared as f64 / union as f64
    };
    let summary = format!(
        "buf-diff: {} cases; verdict agreement {verdict_pct:.1}% ({verdicts_same}/{}); finding agreement {finding_pct:.1}% ({shared}/{union} (rule, path, line) findings); {disagreements} cases disagree\n",
        cases.len(),
        cases.len()
    );
    let exact_pct = if exact_union == 0 {
        100.0
    } else {
        100.0 * exact_shared as f64 / exact_union as f64
    };
    let details = format!(
        "\n# Same findings, other details (columns, end positions, messages): {exact_pct:.1}% of JSON lines identical ({exact_shared}/{exact_union})\n{details}"
    );
    fs::write(
        out_dir.join("disagreements.txt"),
        format!("{summary}\n{report}{details}"),
    )
    .unwrap();
    println!("{summary}{report}buf-diff: {exact_pct:.1}% of JSON lines identical (columns and messages too)");
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    assert_eq!(
        verdicts_same,
        cases.len(),
        "{summary}see target/buf-diff/disagreements.txt"
    );
    assert_eq!(
        shared, union,
        "{summary}see target/buf-diff/disagreements.txt"
    );
    assert_eq!(
        exact_shared, exact_union,
        "{summary}{details}\nsee target/buf-diff/disagreements.txt"
    );
}
