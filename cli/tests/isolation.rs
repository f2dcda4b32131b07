//! The two promises under attack, against the real `huntreg serve` with `--auth-config`:
//! a schema ID names one schema everywhere and forever (explicit-ID imports cannot take an
//! ID over), and a hunt's grants are its walls (references into another hunt need read on
//! it; paths with dot or empty segments are refused before anyone places them in a hunt;
//! every route, in every spelling that names a hunt, acts in the hunt it was authorized for).

mod server_support;

use std::io::{Read, Write};
use std::path::Path;

use serde_json::{json, Value};
use server_support::{confluent_python, hash_secret, As, Server};

/// Principals: `a-admin` (admin on hunt-a), `a-writer` (write on hunt-a), `ab` (write on
/// hunt-a, read on hunt-b), `b-admin` (admin on hunt-b), `reader` (read everywhere) and
/// `ops` (admin everywhere). Every password is the name.
fn start(dir: &Path) -> Server {
    let principal = |name: &str, grants: &str| {
        format!(
            "[[principals]]\nname = \"{name}\"\npassword_hash = \"{}\"\ngrants = [{grants}]\n\n",
            hash_secret(name)
        )
    };
    let config = [
        principal("a-admin", r#"{ hunts = ["hunt-a"], actions = ["admin"] }"#),
        principal("a-writer", r#"{ hunts = ["hunt-a"], actions = ["write"] }"#),
        principal(
            "ab",
            r#"{ hunts = ["hunt-a"], actions = ["write"] }, { hunts = ["hunt-b"], actions = ["read"] }"#,
        ),
        principal("b-admin", r#"{ hunts = ["hunt-b"], actions = ["admin"] }"#),
        principal("reader", r#"{ hunts = ["*"], actions = ["read"] }"#),
        principal("ops", r#"{ hunts = ["*"], actions = ["admin"] }"#),
    ]
    .concat();
    let path = dir.join("auth.toml");
    std::fs::write(&path, config).unwrap();
    Server::start(
        &dir.join("data"),
        &["--auth-config", path.to_str().unwrap()],
    )
}

/// One request as `who` (password = name); returns status and JSON body.
fn call(server: &Server, who: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let body = body.map(|b| b.to_string());
    server
        .send(As::user(who), method, path, body.as_deref())
        .pair()
}

fn schema(text: &str) -> Value {
    json!({"schemaType": "PROTOBUF", "schema": text})
}

const B_TEXT: &str = "syntax = \"proto3\";\npackage b.v1;\n\nmessage TreasureFound {\n  string player_id = 1;\n  uint32 points = 2;\n}\n";
const A_TEXT: &str = "syntax = \"proto3\";\npackage a.v1;\n\nmessage Impostor {\n  uint64 gold = 1;\n  string note = 2;\n}\n";

/// An admin of hunt A, with A in IMPORT mode, cannot make an ID of hunt B (or of the
/// default context) name A's schema; B's records keep decoding with B's schema through a
/// fresh confluent-kafka deserializer that looks the ID up without a context.
#[test]
fn an_explicit_id_cannot_take_over_another_hunts_id() {
    use prost::Message as _;

    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path());

    // Hunt B's producer writes a record with the published Python serializer.
    let src = tmp.path().join("protos");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("found.proto"), B_TEXT).unwrap();
    let mut compiler = protox::Compiler::new([&src]).unwrap();
    compiler.include_imports(true).include_source_info(false);
    compiler.open_file("found.proto").unwrap();
    let fds = tmp.path().join("found.binpb");
    std::fs::write(&fds, compiler.file_descriptor_set().encode_to_vec()).unwrap();
    let serde = |op: &str, auth: &str, strategy: &str| {
        json!({"op": op, "auth": auth, "url": server.url, "fds": fds,
               "type": "b.v1.TreasureFound", "topic": "found", "strategy": strategy})
    };
    let mut produce = serde("produce", "b-admin:b-admin", ".hunt-b");
    produce["value"] = json!({"playerId": "p1", "points": 7});
    let produced = confluent_python(produce);
    let b_id = produced["id"].as_u64().unwrap();

    // A default-context schema too.
    let (status, body) = call(
        &server,
        "ops",
        "POST",
        "/subjects/legacy-value/versions",
        Some(schema(B_TEXT.replace("b.v1", "legacy.v1").as_str())),
    );
    assert_eq!(status, 200, "{body}");
    let default_id = body["id"].as_u64().unwrap();

    let (status, _) = call(
        &server,
        "a-admin",
        "PUT",
        "/mode/:.hunt-a:",
        Some(json!({"mode": "IMPORT"})),
    );
    assert_eq!(status, 200);
    for taken in [b_id, default_id] {
        let mut body = schema(A_TEXT);
        body["id"] = json!(taken);
        body["version"] = json!(1);
        for who in ["a-admin", "a-writer"] {
            let (status, answer) = call(
                &server,
                who,
                "POST",
                "/subjects/:.hunt-a:found-value/versions",
                Some(body.clone()),
            );
            assert_eq!(status, 422, "{who}: {answer}");
            assert_eq!(answer["error_code"], 42205, "{answer}");
            let message = answer["message"].as_str().unwrap();
            assert_eq!(
                message,
                format!(
                    "Overwrite new schema with id {taken} in context .hunt-a is not permitted."
                )
            );
            assert!(!message.contains("hunt-b") && !message.contains("TreasureFound"));
        }
    }
    // The same schema under the same ID in another hunt stays allowed.
    let mut same = schema(B_TEXT);
    same["id"] = json!(b_id);
    same["version"] = json!(1);
    let (status, answer) = call(
        &server,
        "a-admin",
        "POST",
        "/subjects/:.hunt-a:found-value/versions",
        Some(same),
    );
    assert_eq!(
        (status, answer["id"].as_u64()),
        (200, Some(b_id)),
        "{answer}"
    );

    // Every lookup form answers B's schema for B's ID, and B's subject still holds it.
    let text = |path: &str| call(&server, "reader", "GET", path, None);
    for path in [
        format!("/schemas/ids/{b_id}"),
        format!("/schemas/ids/{b_id}?subject=found-value"),
        format!("/schemas/ids/{b_id}?subject=:.hunt-b:found-value"),
        format!("/schemas/ids/{b_id}?subject=:.hunt-a:found-value"),
        format!("/contexts/.hunt-a/schemas/ids/{b_id}"),
    ] {
        let (status, body) = text(&path);
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body["schema"], B_TEXT, "{path}");
    }
    let (_, subjects) = text(&format!("/schemas/ids/{b_id}/subjects?subject=:.hunt-b:"));
    assert_eq!(subjects, json!([":.hunt-b:found-value"]));
    let (_, raw) = text(&format!("/schemas/ids/{default_id}/schema"));
    assert_eq!(raw, Value::String(B_TEXT.replace("b.v1", "legacy.v1")));

    // A fresh deserializer in its default setup (no context) decodes B's record as B's.
    let mut consume = serde("consume", "reader:reader", "associated");
    consume["hex"] = produced["hex"].clone();
    assert_eq!(
        confluent_python(consume)["value"],
        json!({"playerId": "p1", "points": 7})
    );
}

/// A writer of hunt A cannot reach into hunt B (or the default context) through
/// `references`, whether registering, looking up or checking compatibility, and the 403 is
/// the same whether or not the referenced subject, or the caller's own subject, exists.
/// With read on B it can.
#[test]
fn references_need_read_on_the_referenced_hunt() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path());
    let common =
        "syntax = \"proto3\";\npackage common.v1;\n\nmessage Coin {\n  uint32 value = 1;\n}\n";
    for subject in [":.hunt-b:common.proto", ":.:common.proto"] {
        let (status, body) = call(
            &server,
            "ops",
            "POST",
            &format!("/subjects/{subject}/versions"),
            Some(schema(common)),
        );
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = call(
        &server,
        "ops",
        "POST",
        "/subjects/:.hunt-a:loot-value/versions",
        Some(schema(
            "syntax = \"proto3\";\npackage a.v1;\n\nmessage Loot {\n}\n",
        )),
    );
    assert_eq!(status, 200, "{body}");
    let main = "syntax = \"proto3\";\npackage a.v1;\nimport \"common.proto\";\n\nmessage Loot {\n  common.v1.Coin coin = 1;\n}\n";
    let with_ref = |subject: &str, version: i64| {
        let mut body = schema(main);
        body["references"] =
            json!([{"name": "common.proto", "subject": subject, "version": version}]);
        body
    };
    let endpoints = [
        ("POST", "/subjects/:.hunt-a:loot-value/versions"),
        ("POST", "/subjects/:.hunt-a:loot-value"),
        (
            "POST",
            "/compatibility/subjects/:.hunt-a:loot-value/versions?verbose=true",
        ),
        (
            "POST",
            "/compatibility/subjects/:.hunt-a:loot-value/versions/latest?verbose=true",
        ),
        ("POST", "/contexts/.hunt-a/subjects/loot-value/versions"),
        // The caller's own subjects and versions that do not exist: the reference is
        // refused before anything is looked up, so the answer is the same 403.
        ("POST", "/subjects/:.hunt-a:never-registered"),
        (
            "POST",
            "/compatibility/subjects/:.hunt-a:loot-value/versions/7?verbose=true",
        ),
        (
            "POST",
            "/compatibility/subjects/:.hunt-a:never-registered/versions/latest",
        ),
    ];
    for (method, path) in endpoints {
        for (hunt, scope) in [
            (":.hunt-b:", "hunt 'hunt-b'"),
            (":.:", "the default context"),
        ] {
            let mut answers = Vec::new();
            for (name, version) in [
                ("common.proto", 1),
                ("common.proto", -1),
                ("absent.proto", 1),
                ("absent.proto", -1),
                ("common.proto", 9),
            ] {
                let (status, body) = call(
                    &server,
                    "a-writer",
                    method,
                    path,
                    Some(with_ref(&format!("{hunt}{name}"), version)),
                );
                assert_eq!(status, 403, "{method} {path} {hunt}{name}: {body}");
                answers.push(body);
            }
            assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
            assert_eq!(answers[0]["error_code"], 40301);
            assert_eq!(
                answers[0]["message"],
                format!("Forbidden: principal 'a-writer' may not read {scope}")
            );
        }
    }
    // With read on hunt B the same registration goes through, and B's admin can still
    // delete what A did not manage to pin.
    let (status, body) = call(
        &server,
        "a-writer",
        "POST",
        "/subjects/:.:common.proto/versions",
        Some(schema(common)),
    );
    assert_eq!(status, 403, "{body}");
    let (status, body) = call(
        &server,
        "ab",
        "POST",
        "/subjects/:.hunt-a:loot-value/versions",
        Some(with_ref(":.hunt-b:common.proto", -1)),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        &server,
        "b-admin",
        "DELETE",
        "/subjects/:.hunt-b:common.proto/versions/1",
        None,
    );
    assert_eq!(
        (status, body["error_code"].clone()),
        (422, json!(42206)),
        "referenced now: {body}"
    );
    let (status, body) = call(
        &server,
        "ops",
        "DELETE",
        "/subjects/:.:common.proto/versions/1",
        None,
    );
    assert_eq!(
        (status, body),
        (200, json!(1)),
        "never referenced, never pinned"
    );
}

/// Sends a request line exactly as written (HTTP clients normalise `..` away).
fn raw_get(server: &Server, path: &str, who: &str) -> (u16, String) {
    use base64::Engine as _;
    let addr = server.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{who}:{who}"));
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

/// Dot and empty segments, raw or percent-encoded, are refused before any principal is
/// placed in a hunt, so the authorizer and the router can never read a path two ways; a
/// path the router does not know needs a grant on every hunt.
#[test]
fn dot_segments_are_refused_before_anyone_places_the_request() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path());
    let (status, _) = call(
        &server,
        "ops",
        "POST",
        "/subjects/:.hunt-a:y/versions",
        Some(schema(A_TEXT)),
    );
    assert_eq!(status, 200);
    for path in [
        "/subjects/:.hunt-b:x/versions/1/../../../:.hunt-a:y/versions/1",
        "/subjects/:.hunt-b:x/versions/1/%2E%2E/%2e%2E/%2E./:.hunt-a:y/versions/1",
        "/subjects/:.hunt-a:y/versions/./1",
        "/subjects//:.hunt-a:y/versions/1",
        "/contexts/.hunt-b/subjects/x/../../../.hunt-a/subjects/y/versions/1",
    ] {
        for who in ["b-admin", "a-admin", "ops"] {
            let (status, body) = raw_get(&server, path, who);
            assert_eq!(status, 400, "{who} {path}: {body}");
            assert!(body.contains("\"error_code\":400"), "{body}");
        }
    }
    // The canonical spelling works for the hunt's principal and no one else.
    assert_eq!(
        raw_get(&server, "/subjects/:.hunt-a:y/versions/1", "a-admin").0,
        200
    );
    assert_eq!(
        raw_get(&server, "/subjects/:.hunt-a:y/versions/1", "b-admin").0,
        403
    );
    // Unknown paths: every hunt.
    assert_eq!(
        raw_get(&server, "/subjects/:.hunt-a:y/nope", "a-admin").0,
        403
    );
    assert_eq!(raw_get(&server, "/subjects/:.hunt-a:y/nope", "ops").0, 404);
}

/// Every route of the registry's API, by method, as its endpoint table lists it. A
/// test below fails when the router gains a route this table does not name, so a new
/// endpoint cannot skip the check that it acts in the hunt it was authorized for.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("POST", "/"),
    ("GET", "/schemas/types"),
    ("GET", "/schemas"),
    ("GET", "/schemas/ids/{id}"),
    ("GET", "/schemas/ids/{id}/schema"),
    ("GET", "/schemas/ids/{id}/subjects"),
    ("GET", "/schemas/ids/{id}/versions"),
    ("GET", "/schemas/guids/{guid}"),
    ("GET", "/schemas/guids/{guid}/ids"),
    ("GET", "/subjects"),
    ("POST", "/subjects/{subject}"),
    ("GET", "/subjects/{subject}/versions"),
    ("POST", "/subjects/{subject}/versions"),
    ("GET", "/subjects/{subject}/metadata"),
    ("GET", "/subjects/{subject}/versions/{version}"),
    ("GET", "/subjects/{subject}/versions/{version}/schema"),
    ("GET", "/subjects/{subject}/versions/{version}/referencedby"),
    ("GET", "/huntreg/v1/subjects/{subject}/lock"),
    ("POST", "/compatibility/subjects/{subject}/versions"),
    (
        "POST",
        "/compatibility/subjects/{subject}/versions/{version}",
    ),
    ("GET", "/config"),
    ("PUT", "/config"),
    ("GET", "/config/{subject}"),
    ("PUT", "/config/{subject}"),
    ("GET", "/mode"),
    ("PUT", "/mode"),
    ("GET", "/mode/{subject}"),
    ("PUT", "/mode/{subject}"),
    ("GET", "/contexts"),
    ("GET", "/v1/metadata/id"),
    ("GET", "/v1/metadata/version"),
    ("GET", "/associations/{*rest}"),
    ("GET", "/metrics"),
    ("GET", "/ready"),
    // Destructive last: they run after every read and write above.
    ("DELETE", "/subjects/{subject}/versions/{version}"),
    ("DELETE", "/config/{subject}"),
    ("DELETE", "/mode/{subject}"),
    ("DELETE", "/subjects/{subject}"),
    ("DELETE", "/config"),
    ("DELETE", "/mode"),
    ("DELETE", "/contexts/{context}"),
];

/// Routes that answer without touching any hunt's data.
const DATA_FREE: &[&str] = &[
    "/",
    "/schemas/types",
    "/v1/metadata/id",
    "/v1/metadata/version",
    "/associations/{*rest}",
    "/ready",
];

/// The (method, path) pairs of the registry's API: its endpoint table, which the router is
/// built from, without the console's pages (`tests/console.rs` covers their grants).
fn registered_routes() -> std::collections::BTreeSet<(String, String)> {
    use huntreg_registry::{Media, ENDPOINTS};
    ENDPOINTS
        .iter()
        .filter(|e| e.media != Media::Console)
        .map(|e| (e.verb.as_str().to_owned(), e.path.to_owned()))
        .collect()
}

#[test]
fn the_route_table_of_the_isolation_test_is_the_routers() {
    let listed: std::collections::BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(listed.len(), ROUTES.len(), "a route is listed twice");
    assert_eq!(listed, registered_routes());
}

/// Every spelling of `route` that names `hunt` (a hunt name, `.`-less), with the path
/// parameters filled from `fill`: the `/contexts/.{hunt}` prefix, and, where the route has
/// a subject, the qualified subject (or the `subject`/`subjectPrefix` query parameter).
fn spellings(route: &str, hunt: &str, fill: &dyn Fn(&str) -> String) -> Vec<String> {
    let bare = fill(route);
    let mut out = vec![format!("/contexts/.{hunt}{bare}")];
    if route.contains("{subject}") {
        out.push(fill(
            &route.replace("{subject}", &format!("%3A.{hunt}%3As")),
        ));
    } else if route.starts_with("/schemas/ids") || route.starts_with("/schemas/guids") {
        out.push(format!("{bare}?subject=%3A.{hunt}%3As"));
    } else if route == "/subjects" || route == "/schemas" {
        out.push(format!("{bare}?subjectPrefix=%3A.{hunt}%3A"));
    } else if route == "/config" || route == "/mode" {
        out.push(format!("{bare}/%3A.{hunt}%3A"));
    } else if route == "/contexts/{context}" {
        out = vec![format!("/contexts/.{hunt}")];
    } else {
        out.clear();
    }
    out
}

/// Everything a principal could change or learn of `prefix`'s hunt, read as `ops`.
fn hunt_state(server: &Server, prefix: &str) -> Vec<Value> {
    let get = |path: String| call(server, "ops", "GET", &path, None);
    let mut state = Vec::new();
    let (_, subjects) = get(format!("{prefix}/subjects?deleted=true"));
    state.push(subjects.clone());
    for subject in subjects.as_array().into_iter().flatten() {
        let s = subject
            .as_str()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .to_owned();
        let (_, versions) = get(format!("{prefix}/subjects/{s}/versions?deleted=true"));
        for v in versions.as_array().into_iter().flatten() {
            state.push(get(format!("{prefix}/subjects/{s}/versions/{v}?deleted=true")).1);
        }
        state.push(versions);
        for what in ["config", "mode"] {
            state.push(get(format!("{prefix}/{what}/{s}")).1);
        }
    }
    for what in ["config", "mode"] {
        state.push(get(format!("{prefix}/{what}")).1);
    }
    state
}

/// For every route and every spelling that names hunt A, the hunt the authorizer placed the
/// request in (A: its admin, who holds nothing else, is let through) is the hunt the handler
/// acted on: hunt B and the default context are unchanged and nothing of theirs is in the
/// answer, whether the caller is A's admin or an admin of every hunt, and whether the path
/// names A's IDs or B's. The same spellings naming B are refused to A's admin and change
/// nothing.
#[test]
fn every_route_acts_in_the_hunt_it_was_authorized_for() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path());
    let a_text = A_TEXT;
    let b_text = B_TEXT.replace("TreasureFound", "VictimOnlyB");
    let default_text = B_TEXT.replace("TreasureFound", "VictimOnlyDefault");
    let register = |prefix: &str, text: &str| {
        let (status, body) = call(
            &server,
            "ops",
            "POST",
            &format!("{prefix}/subjects/s/versions"),
            Some(schema(text)),
        );
        assert_eq!(status, 200, "{body}");
        let id = body["id"].as_u64().unwrap();
        let (_, by_id) = call(&server, "ops", "GET", &format!("/schemas/ids/{id}"), None);
        (id, by_id["guid"].as_str().unwrap_or("0").to_owned())
    };
    let a = register("/contexts/.hunt-a", a_text);
    let b = register("/contexts/.hunt-b", &b_text);
    register("", &default_text);
    let leaks = |body: &Value| {
        let text = body.to_string();
        text.contains("VictimOnly") || text.contains("hunt-b")
    };
    let victims = || {
        (
            hunt_state(&server, "/contexts/.hunt-b"),
            hunt_state(&server, ""),
        )
    };
    let before = victims();
    let body_for = |method: &str, route: &str| match (method, route) {
        ("POST", r) if r.starts_with("/subjects/") || r.starts_with("/compatibility/") => Some(
            schema(&a_text.replace("string note = 2;", "string note = 2;\n  bool shiny = 3;")),
        ),
        ("PUT", r) if r.starts_with("/config") => Some(json!({"compatibility": "NONE"})),
        ("PUT", r) if r.starts_with("/mode") => Some(json!({"mode": "READWRITE"})),
        _ => None,
    };
    let mut acted = 0;
    for (method, route) in ROUTES {
        if DATA_FREE.contains(route) {
            let path = route.replace("{*rest}", "resources/-/orders");
            let (status, body) = call(&server, "a-admin", method, &path, body_for(method, route));
            assert!(
                status < 500 && status != 403,
                "{method} {route}: {status} {body}"
            );
            continue;
        }
        for own in [&a, &b] {
            let fill = |r: &str| {
                r.replace("{id}", &own.0.to_string())
                    .replace("{guid}", &own.1)
                    .replace("{subject}", "s")
                    .replace("{version}", "1")
            };
            for path in spellings(route, "hunt-a", &fill) {
                for who in ["a-admin", "ops"] {
                    let (status, body) = call(&server, who, method, &path, body_for(method, route));
                    assert!(
                        status != 401 && status != 403 && status < 500,
                        "{who} {method} {path}: placed outside hunt-a ({status} {body})"
                    );
                    assert!(!leaks(&body), "{who} {method} {path} answered {body}");
                    assert_eq!(
                        victims(),
                        before,
                        "{who} {method} {path} changed another hunt"
                    );
                    if status < 300 {
                        acted += 1;
                    }
                }
            }
            for path in spellings(route, "hunt-b", &fill) {
                let (status, body) =
                    call(&server, "a-admin", method, &path, body_for(method, route));
                assert_eq!(status, 403, "a-admin {method} {path}: {body}");
                assert_eq!(victims(), before, "a-admin {method} {path} changed hunt-b");
            }
        }
        let global = call(&server, "a-admin", method, route, body_for(method, route));
        assert_eq!(
            victims(),
            before,
            "a-admin {method} {route} changed another hunt"
        );
        if global.0 != 403 {
            assert!(
                !leaks(&global.1),
                "a-admin {method} {route} answered {}",
                global.1
            );
        }
    }
    assert!(
        acted > 60,
        "only {acted} requests succeeded: the test lost its teeth"
    );
}
