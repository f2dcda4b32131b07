//! Confluent compatibility levels on real schemas compiled with protox: which changes each
//! level accepts, in which direction a change breaks, and what transitive levels add.

mod support;

use huntreg_compat::{check_level, Category, Direction, Image, Level, RuleSet};

fn schema(body: &str) -> Image {
    let text = format!("syntax = \"proto3\";\npackage hunt.v1;\n{body}");
    support::compile_text(&[("hunt/v1/found.proto", &text)])
}

const V1: &str = "message Found {\n  string hunter = 1;\n  int32 points = 2;\n}\n";

fn csr() -> RuleSet {
    RuleSet::category(Category::Csr)
}

/// The levels under which `new` is accepted after `history` (oldest first).
fn accepted(new: &Image, history: &[&Image]) -> Vec<Level> {
    Level::ALL
        .into_iter()
        .filter(|&l| check_level(l, new, history, &csr()).is_compatible())
        .collect()
}

#[test]
fn adding_a_field_is_compatible_under_every_level() {
    let v1 = schema(V1);
    let v2 = schema(
        "message Found {\n  string hunter = 1;\n  int32 points = 2;\n  string note = 3;\n}\n",
    );
    assert_eq!(accepted(&v2, &[&v1]), Level::ALL.to_vec());
}

#[test]
fn adding_an_enum_value_a_oneof_or_a_service_is_compatible_under_full_transitive() {
    let v1 =
        schema("enum Kind {\n  KIND_UNSPECIFIED = 0;\n}\nmessage Found {\n  Kind kind = 1;\n}\n");
    let v2 = schema("enum Kind {\n  KIND_UNSPECIFIED = 0;\n  KIND_GOLD = 1;\n}\nmessage Found {\n  Kind kind = 1;\n  oneof extra {\n    string note = 2;\n  }\n}\nservice Hunts {\n  rpc Get(Found) returns (Found);\n}\n");
    let report = check_level(Level::FullTransitive, &v2, &[&v1], &csr());
    assert!(report.is_compatible(), "{:#?}", report.pairs);
}

#[test]
fn deleting_a_field_breaks_backward_but_not_forward() {
    let v1 = schema(V1);
    let v2 = schema("message Found {\n  string hunter = 1;\n}\n");
    let backward = check_level(Level::Backward, &v2, &[&v1], &csr());
    assert_eq!(backward.pairs.len(), 1);
    assert_eq!(backward.pairs[0].direction, Direction::Backward);
    assert_eq!(backward.pairs[0].report.findings[0].rule, "FIELD_NO_DELETE");
    assert!(check_level(Level::Forward, &v2, &[&v1], &csr()).is_compatible());
    assert!(!check_level(Level::Full, &v2, &[&v1], &csr()).is_compatible());
}

#[test]
fn changing_int32_to_string_breaks_both_directions() {
    let v1 = schema(V1);
    let v2 = schema("message Found {\n  string hunter = 1;\n  string points = 2;\n}\n");
    let full = check_level(Level::Full, &v2, &[&v1], &csr());
    let directions: Vec<Direction> = full.pairs.iter().map(|p| p.direction).collect();
    assert_eq!(directions, [Direction::Forward, Direction::Backward]);
    for pair in &full.pairs {
        assert!(pair
            .report
            .findings
            .iter()
            .any(|f| f.rule == "FIELD_SAME_TYPE"));
    }
    assert_eq!(accepted(&v2, &[&v1]), [Level::None]);
}

#[test]
fn adding_a_message_breaks_forward() {
    let v1 = schema(V1);
    let v2 = schema(&format!("{V1}message Lost {{\n  string hunter = 1;\n}}\n"));
    let forward = check_level(Level::Forward, &v2, &[&v1], &csr());
    assert_eq!(
        forward.pairs[0].report.findings[0].rule,
        "MESSAGE_NO_DELETE"
    );
    assert!(check_level(Level::Backward, &v2, &[&v1], &csr()).is_compatible());
}

#[test]
fn transitive_levels_check_every_prior_version() {
    // v1 had `points` as int32; v2 dropped it; v3 reuses number 2 as a string.
    let v1 = schema(V1);
    let v2 = schema("message Found {\n  string hunter = 1;\n}\n");
    let v3 = schema("message Found {\n  string hunter = 1;\n  string points = 2;\n}\n");
    let history = [&v1, &v2];
    assert!(check_level(Level::Backward, &v3, &history, &csr()).is_compatible());
    let transitive = check_level(Level::BackwardTransitive, &v3, &history, &csr());
    assert_eq!(transitive.pairs.len(), 1);
    assert_eq!(transitive.pairs[0].against, 0);
    assert!(transitive.pairs[0]
        .report
        .findings
        .iter()
        .any(|f| f.rule == "FIELD_SAME_TYPE"));
    // FULL_TRANSITIVE reports every failing pair, newest first, forward before backward.
    let full = check_level(Level::FullTransitive, &v3, &history, &csr());
    let pairs: Vec<(usize, Direction)> = full
        .pairs
        .iter()
        .map(|p| (p.against, p.direction))
        .collect();
    assert_eq!(pairs, [(0, Direction::Forward), (0, Direction::Backward)]);
}

#[test]
fn none_and_empty_history_check_nothing() {
    let v1 = schema(V1);
    let v2 = schema("message Found {\n  bytes hunter = 1;\n}\n");
    assert!(check_level(Level::None, &v2, &[&v1], &csr())
        .pairs
        .is_empty());
    assert!(check_level(Level::FullTransitive, &v2, &[], &csr())
        .pairs
        .is_empty());
}

#[test]
fn pools_without_source_info_report_files_without_spans() {
    let compile = |body: &str| {
        let text = format!("syntax = \"proto3\";\npackage hunt.v1;\n{body}");
        let pool = support::compile_memory(&[("hunt/v1/found.proto", &text)], false).unwrap();
        assert!(pool
            .file_descriptor_protos()
            .all(|f| f.source_code_info.is_none()));
        Image::with_targets(pool, ["hunt/v1/found.proto"])
    };
    let v1 = compile(V1);
    let v2 = compile("message Found {\n  string hunter = 1;\n  string points = 2;\n}\n");
    let report = huntreg_compat::check(&v1, &v2, &csr());
    assert!(!report.is_empty());
    for finding in &report.findings {
        let location = finding.location.as_ref().expect("a file");
        assert_eq!(location.file, "hunt/v1/found.proto");
        assert_eq!(location.span, None);
    }
}
