//! Property test of the lockfile's patched text: random histories of one subject's texts
//! (lines inserted, dropped and replaced, empty lines, with and without a trailing
//! newline, lines that look like patch syntax) come back exactly through render + parse.

use huntreg_codegen::{LockedHunt, LockedSubject, LockedVersion, Lockfile};
use proptest::prelude::*;

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("+".to_owned()),
        Just("-1".to_owned()),
        Just("=2".to_owned()),
        Just("@@ -1,2 +1,3 @@".to_owned()),
        Just("  int32 a = 1;".to_owned()),
        "[-+=@ a-c\t\r#:|>'\"]{0,8}",
        "\\PC{0,4}",
    ]
}

/// One edit of a text's lines: what, where, the new line, and whether the text then ends
/// with a newline.
fn edits() -> impl Strategy<Value = Vec<(u8, prop::sample::Index, String, bool)>> {
    prop::collection::vec(
        (0..3u8, any::<prop::sample::Index>(), line(), any::<bool>()),
        0..12,
    )
}

fn history(start: Vec<String>, edits: Vec<(u8, prop::sample::Index, String, bool)>) -> Vec<String> {
    let mut lines = start;
    let mut texts = vec![lines.join("\n")];
    for (what, at, line, newline) in edits {
        match what {
            0 => {
                let i = at.index(lines.len() + 1);
                lines.insert(i, line);
            }
            1 if !lines.is_empty() => {
                lines.remove(at.index(lines.len()));
            }
            _ if !lines.is_empty() => {
                let i = at.index(lines.len());
                lines[i] = line;
            }
            _ => lines.push(line),
        }
        let mut text = lines.join("\n");
        if newline {
            text.push('\n');
        }
        texts.push(text);
    }
    texts
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn histories_round_trip(start in prop::collection::vec(line(), 0..10), edits in edits()) {
        let versions = history(start, edits)
            .into_iter()
            .enumerate()
            .map(|(i, schema)| LockedVersion {
                version: i as u32 + 1,
                id: i as u32 + 1,
                deleted: false,
                references: Vec::new(),
                messages: Vec::new(),
                schema,
            })
            .collect();
        let mut lock = Lockfile::default();
        lock.upsert(LockedHunt {
            hunt: "h".into(),
            subjects: vec![LockedSubject {
                subject: "s".into(),
                versions,
                history: None,
            }],
        });
        let text = lock.render();
        let parsed = Lockfile::parse(&text);
        prop_assert!(parsed.is_ok(), "{:?}\n{text}", parsed.err());
        prop_assert_eq!(parsed.unwrap(), lock);
    }
}
