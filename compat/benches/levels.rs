//! Benchmark: one registration checked FULL_TRANSITIVE against 100 prior versions with the
//! CSR rules, on pools kept in memory (no recompilation). Prints the time per registration
//! and its ratio to the 10 ms budget, and to the baseline of recompiling the 100 versions
//! with protox (what caching compiled pools avoids).
//!
//! A second measurement checks a tree of 300 files (4,500 messages) with buf's default
//! rules, as `huntreg breaking` does once per run, against the time protox needs to compile
//! the tree (the part of a run the check must stay small next to).
//!
//! Run: `cargo bench -p huntreg-compat --bench levels`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use huntreg_compat::{check_level, Category, Image, Level, RuleSet};

#[path = "../tests/support/mod.rs"]
mod support;

/// Version `n` of a hunt schema: 20 messages, the last one growing one field per version.
fn version(n: usize) -> String {
    let mut out = String::from("syntax = \"proto3\";\npackage hunt.v1;\nenum Rarity {\n  RARITY_UNSPECIFIED = 0;\n  RARITY_GOLD = 1;\n}\n");
    for m in 0..20 {
        out.push_str(&format!("message Event{m} {{\n  string hunt_id = 1;\n  int64 at = 2;\n  Rarity rarity = 3;\n  repeated string tags = 4;\n  map<string, int32> scores = 5;\n  oneof payload {{\n    string text = 6;\n    bytes blob = 7;\n  }}\n"));
        if m == 19 {
            for f in 0..n {
                out.push_str(&format!("  string extra_{f} = {};\n", 100 + f));
            }
        }
        out.push_str("}\n");
    }
    out
}

/// File `i` of a large tree: 15 messages with a few fields each; `changed` renames a field.
fn tree_file(i: usize, changed: bool) -> String {
    let mut out = format!("syntax = \"proto3\";\npackage tree.p{}.v1;\n", i % 30);
    for m in 0..15 {
        let name = if changed && m == 7 { "renamed" } else { "name" };
        out.push_str(&format!("message M{i}x{m} {{\n  string {name} = 1;\n  int64 at = 2;\n  repeated int32 xs = 3;\n  map<string, string> attrs = 4;\n  oneof o {{\n    string a = 5;\n    bytes b = 6;\n  }}\n}}\n"));
    }
    out
}

fn compile_tree(changed: bool) -> (Image, Duration) {
    let texts: Vec<String> = (0..300)
        .map(|i| tree_file(i, changed && i % 10 == 0))
        .collect();
    let names: Vec<String> = (0..300).map(|i| format!("f{i}.proto")).collect();
    let start = Instant::now();
    let files: Vec<(&str, &str)> = names
        .iter()
        .zip(&texts)
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let pool = support::compile_memory(&files, true).expect("compiles");
    (Image::with_targets(pool, names), start.elapsed())
}

fn compile(text: &str) -> Image {
    support::compile_one("hunt/v1/events.proto", text, false).expect("compiles")
}

fn main() {
    let history: Vec<Image> = (0..100).map(|n| compile(&version(n))).collect();
    let refs: Vec<&Image> = history.iter().collect();
    let new = compile(&version(100));
    let rules = RuleSet::category(Category::Csr);

    let runs = 30;
    let start = Instant::now();
    for _ in 0..runs {
        let report = check_level(
            Level::FullTransitive,
            black_box(&new),
            black_box(&refs),
            &rules,
        );
        assert!(report.is_compatible());
    }
    let per_check = start.elapsed() / runs;

    let start = Instant::now();
    for n in 0..100 {
        black_box(compile(&version(n)));
    }
    let recompile = start.elapsed();

    let (before, _) = compile_tree(false);
    let (after, compile_time) = compile_tree(true);
    let start = Instant::now();
    let report = huntreg_compat::check(&before, &after, &RuleSet::default());
    let tree_check = start.elapsed();
    assert_eq!(report.findings.len(), 30 * 2);

    let budget = Duration::from_millis(10);
    println!("check_level FULL_TRANSITIVE vs 100 versions (CSR): {per_check:?} per registration");
    println!(
        "ratio to the 10 ms budget: {:.3} (must be < 1)",
        per_check.as_secs_f64() / budget.as_secs_f64()
    );
    println!(
        "tree of 300 files: check {tree_check:?} vs protox compile {compile_time:?} (ratio {:.3})",
        tree_check.as_secs_f64() / compile_time.as_secs_f64()
    );
    println!(
        "baseline, recompiling the 100 versions: {recompile:?} ({:.1}x slower than checking cached pools)",
        recompile.as_secs_f64() / per_check.as_secs_f64()
    );
}
