//! Semantic-version classification of real schema changes, and the version it leads to.

mod support;

use huntreg_compat::{classify, explain, next_version, ChangeKind, Image};

fn schema(body: &str) -> Image {
    let text = format!("syntax = \"proto3\";\npackage hunt.v1;\n{body}");
    support::compile_text(&[("hunt/v1/found.proto", &text)])
}

const V1: &str = "// A find.\nmessage Found {\n  string hunter = 1;\n}\n";

#[test]
fn comments_and_formatting_are_a_patch() {
    let edited =
        "// A find, reported by a hunter.\nmessage Found {\n\n  string   hunter = 1;  // who\n}\n";
    assert_eq!(classify(&schema(V1), &schema(edited)), ChangeKind::Patch);
}

#[test]
fn additions_are_minor() {
    for added in [
        "message Found {\n  string hunter = 1;\n  int32 points = 2;\n}\n",
        "message Found {\n  string hunter = 1;\n}\nmessage Lost {}\n",
        "message Found {\n  string hunter = 1;\n}\nenum Kind {\n  KIND_UNSPECIFIED = 0;\n}\n",
        "message Found {\n  string hunter = 1;\n}\nservice Hunts {\n  rpc Get(Found) returns (Found);\n}\n",
    ] {
        assert_eq!(classify(&schema(V1), &schema(added)), ChangeKind::Minor, "{added}");
    }
}

#[test]
fn breaking_changes_are_major() {
    for broken in [
        "message Found {\n  bytes hunter = 1;\n}\n",
        "message Found {\n  string finder = 1;\n}\n",
        "message Found {}\n",
        "message Renamed {\n  string hunter = 1;\n}\n",
    ] {
        assert_eq!(
            classify(&schema(V1), &schema(broken)),
            ChangeKind::Major,
            "{broken}"
        );
    }
}

#[test]
fn next_versions_follow_the_kind() {
    let v = semver::Version::new(1, 4, 2);
    assert_eq!(
        next_version(ChangeKind::Major, &v),
        semver::Version::new(2, 0, 0)
    );
    assert_eq!(
        next_version(ChangeKind::Minor, &v),
        semver::Version::new(1, 5, 0)
    );
    assert_eq!(
        next_version(ChangeKind::Patch, &v),
        semver::Version::new(1, 4, 3)
    );
}

#[test]
fn explanations_name_what_decided_the_kind() {
    let added = "message Found {\n  string hunter = 1;\n  int32 points = 2;\n}\nmessage Lost {}\n";
    let why = explain(&schema(V1), &schema(added));
    assert_eq!(why.kind, ChangeKind::Minor);
    let mut said: Vec<(&str, &str)> = why
        .reasons
        .iter()
        .map(|f| (f.rule, f.message.as_str()))
        .collect();
    said.sort();
    assert_eq!(
        said,
        [
            (
                "FIELD_NO_DELETE",
                "Field \"2\" with name \"points\" on message \"Found\" was added."
            ),
            ("MESSAGE_NO_DELETE", "Message \"Lost\" was added to file."),
        ]
    );
    let broken = explain(&schema(V1), &schema("message Found {}\n"));
    assert_eq!(broken.kind, ChangeKind::Major);
    assert!(
        broken.reasons.iter().any(|f| f.rule == "FIELD_NO_DELETE"),
        "{:?}",
        broken.reasons
    );
    let patch = explain(&schema(V1), &schema(V1));
    assert_eq!((patch.kind, patch.reasons.len()), (ChangeKind::Patch, 0));
    for (previous, current) in [(V1, added), (V1, "message Found {}\n"), (V1, V1)] {
        assert_eq!(
            explain(&schema(previous), &schema(current)).kind,
            classify(&schema(previous), &schema(current))
        );
    }
}
