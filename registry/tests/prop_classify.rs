//! Property tests of the auth layer's request classifier: it never panics, percent-encoding
//! a path does not change what it touches, and a request naming a hunt (qualified subject or
//! `/contexts/` prefix) is always checked against that hunt (or against every hunt).

use axum::http::{Method, Uri};
use huntreg_registry::{classify, Action, Scope};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use proptest::prelude::*;

/// Everything but unreserved characters, as `encodeURIComponent` and Python's `quote(s, safe='')` do.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn hunt() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_-]{0,12}".prop_filter("not the global context", |h| h != "__GLOBAL")
}

fn subject() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._/ -]{1,20}"
}

fn method() -> impl Strategy<Value = Method> {
    prop::sample::select(vec![
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
    ])
}

fn uri(path: &str) -> Uri {
    path.parse().unwrap()
}

fn covers(scopes: &[Scope], hunt: &str) -> bool {
    scopes
        .iter()
        .any(|s| *s == Scope::AllHunts || *s == Scope::Hunt(hunt.to_owned()))
}

const TAILS: &[&str] = &[
    "versions",
    "versions/1",
    "versions/latest/schema",
    "versions/2/referencedby",
    "",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics(path in "(/[a-zA-Z0-9%:._~*-]{0,12}){0,6}", query in "[a-zA-Z0-9%:=&._*-]{0,30}", m in method()) {
        if let Ok(u) = format!("{path}?{query}").parse::<Uri>() {
            let _ = classify(&m, &u);
        }
        if let Ok(u) = path.parse::<Uri>() {
            let _ = classify(&m, &u);
        }
    }

    #[test]
    fn qualified_subjects_are_checked_against_their_hunt(h in hunt(), s in subject(), tail in prop::sample::select(TAILS), m in method()) {
        let qualified = format!(":.{h}:{s}");
        let encoded = utf8_percent_encode(&qualified, COMPONENT).to_string();
        let path = format!("/subjects/{encoded}/{tail}");
        let access = classify(&m, &uri(&path));
        prop_assert!(covers(&access.scopes, &h), "{} {} -> {:?}", m, path, access);
        // Under another hunt's URL prefix the qualified subject still names its hunt: the
        // prefix qualifies only what is unqualified, and the router acts where it names.
        let prefixed = format!("/contexts/.other/subjects/{encoded}/{tail}");
        let access = classify(&m, &uri(&prefixed));
        prop_assert!(covers(&access.scopes, &h), "{} {} -> {:?}", m, prefixed, access);
    }

    #[test]
    fn context_prefixes_are_checked_against_their_hunt(h in hunt(), s in subject(), tail in prop::sample::select(TAILS), m in method()) {
        let encoded = utf8_percent_encode(&s, COMPONENT).to_string();
        for prefix in [format!(".{h}"), h.clone(), format!("%3A.{h}%3A")] {
            let path = format!("/contexts/{prefix}/subjects/{encoded}/{tail}");
            let access = classify(&m, &uri(&path));
            prop_assert!(covers(&access.scopes, &h), "{} {} -> {:?}", m, path, access);
        }
    }

    #[test]
    fn encoding_does_not_change_the_classification(h in hunt(), s in "[a-zA-Z0-9._-]{1,20}", tail in prop::sample::select(TAILS), m in method()) {
        let raw = format!("/subjects/:.{h}:{s}/{tail}");
        let encoded = format!("/subjects/{}/{tail}", utf8_percent_encode(&format!(":.{h}:{s}"), COMPONENT));
        prop_assert_eq!(classify(&m, &uri(&raw)), classify(&m, &uri(&encoded)));
    }

    #[test]
    fn writes_and_deletes_are_never_classified_as_reads(h in hunt(), s in subject()) {
        let encoded = utf8_percent_encode(&format!(":.{h}:{s}"), COMPONENT).to_string();
        let register = classify(&Method::POST, &uri(&format!("/subjects/{encoded}/versions")));
        prop_assert!(register.action >= Action::Write);
        for path in [format!("/subjects/{encoded}"), format!("/subjects/{encoded}/versions/1"), format!("/config/{encoded}"), format!("/mode/{encoded}")] {
            let access = classify(&Method::DELETE, &uri(&path));
            prop_assert_eq!(access.action, Action::Admin, "{}", path);
        }
    }
}
