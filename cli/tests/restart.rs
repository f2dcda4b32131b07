//! Durability across restarts of a real `huntreg serve` process: what was acknowledged is
//! still there, with the same ids and versions, after a clean stop (SIGTERM) and after a
//! crash (SIGKILL right after the 200). Ids are never handed out again after a restart.

mod server_support;

use std::collections::BTreeSet;
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};
use server_support::Server;
use tempfile::TempDir;

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Sends one request; returns the HTTP status and the JSON body (`null` if empty).
fn call(method: &str, url: &str, body: Option<&Value>) -> (u16, Value) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let req = agent.request(method, url).set("Content-Type", CONTENT_TYPE);
    let result = match body {
        Some(b) => req.send_string(&b.to_string()),
        None => req.call(),
    };
    let resp = match result {
        Ok(resp) => resp,
        Err(ureq::Error::Status(_, resp)) => resp,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = resp.status();
    let text = resp.into_string().expect("read body");
    let json = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {url}: not JSON ({e}): {text}"))
    };
    (status, json)
}

/// The body of a successful request.
#[track_caller]
fn ok(server: &Server, method: &str, path: &str, body: Option<&Value>) -> Value {
    let (status, json) = call(method, &format!("{}{path}", server.url), body);
    assert_eq!(
        status,
        200,
        "{method} {path} -> {status} {json}\n--- server stderr ---\n{}",
        server.stderr()
    );
    json
}

/// A subject as one percent-encoded path segment.
fn enc(subject: &str) -> String {
    subject
        .replace('%', "%25")
        .replace(':', "%3A")
        .replace('/', "%2F")
}

fn schema(package: &str, fields: usize) -> Value {
    let body: String = (1..=fields)
        .map(|i| format!("  string f{i} = {i};\n"))
        .collect();
    json!({"schemaType": "PROTOBUF", "schema": format!("syntax = \"proto3\";\npackage {package};\n\nmessage Event {{\n{body}}}\n")})
}

/// Registers and returns the id.
fn register(server: &Server, subject: &str, body: &Value) -> i64 {
    let resp = ok(
        server,
        "POST",
        &format!("/subjects/{}/versions", enc(subject)),
        Some(body),
    );
    resp["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("register response without an id: {resp}"))
}

/// Everything a client can read back: subjects (live and soft-deleted), every version with
/// its id and schema, every schema by id, and the config at each level used here.
fn snapshot(server: &Server) -> Value {
    let live = ok(server, "GET", "/subjects", None);
    let all = ok(server, "GET", "/subjects?deleted=true", None);
    let mut versions = serde_json::Map::new();
    let mut ids = BTreeSet::new();
    for s in all.as_array().unwrap() {
        let s = s.as_str().unwrap();
        let list = ok(
            server,
            "GET",
            &format!("/subjects/{}/versions?deleted=true", enc(s)),
            None,
        );
        let mut entries = vec![];
        for v in list.as_array().unwrap() {
            let mut entry = ok(
                server,
                "GET",
                &format!("/subjects/{}/versions/{v}?deleted=true", enc(s)),
                None,
            );
            ids.insert(entry["id"].as_i64().unwrap());
            entry.as_object_mut().unwrap().remove("ts"); // a timestamp, if any, is not state
            entries.push(entry);
        }
        versions.insert(s.to_owned(), Value::Array(entries));
    }
    // By id, with and without a hunt subject: whatever the answer, it must not change.
    let by_id: Vec<(u16, Value)> = ids
        .iter()
        .map(|id| call("GET", &format!("{}/schemas/ids/{id}", server.url), None))
        .collect();
    let by_id_hunt: Vec<(u16, Value)> = ids
        .iter()
        .map(|id| {
            call(
                "GET",
                &format!(
                    "{}/schemas/ids/{id}?subject={}",
                    server.url,
                    enc(":.hunt-42:finds-value")
                ),
                None,
            )
        })
        .collect();
    json!({
        "subjects": live, "all_subjects": all, "versions": versions,
        "schemas_by_id": by_id, "schemas_by_id_hunt": by_id_hunt,
        "config": ok(server, "GET", "/config", None),
        "config_orders": ok(server, "GET", &format!("/config/{}", enc("orders-value")), None),
        "config_hunt": call("GET", &format!("{}/config/{}", server.url, enc(":.hunt-42:")), None),
    })
}

#[test]
fn everything_survives_a_clean_restart() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(dir.path(), &[]);
    let o1 = register(&server, "orders-value", &schema("shop", 1));
    let o2 = register(&server, "orders-value", &schema("shop", 2));
    let o3 = register(&server, "orders-value", &schema("shop", 3));
    let f1 = register(&server, ":.hunt-42:finds-value", &schema("hunt42", 1));
    // The /contexts/ form lands in the same subject.
    let f2 = ok(
        &server,
        "POST",
        "/contexts/.hunt-42/subjects/finds-value/versions",
        Some(&schema("hunt42", 2)),
    )["id"]
        .as_i64()
        .unwrap();
    let g1 = register(&server, "gone-value", &schema("gone", 1));
    assert_eq!(
        ok(&server, "DELETE", "/subjects/gone-value", None),
        json!([1])
    );
    assert_eq!(
        ok(&server, "DELETE", "/subjects/orders-value/versions/3", None),
        json!(3)
    );
    ok(
        &server,
        "PUT",
        "/config/orders-value",
        Some(&json!({"compatibility": "FULL_TRANSITIVE"})),
    );
    ok(
        &server,
        "PUT",
        "/config",
        Some(&json!({"compatibility": "FORWARD"})),
    );
    ok(
        &server,
        "PUT",
        &format!("/config/{}", enc(":.hunt-42:")),
        Some(&json!({"compatibility": "NONE"})),
    );
    let ids: BTreeSet<i64> = [o1, o2, o3, f1, f2, g1].into();
    assert_eq!(ids.len(), 6, "every distinct schema gets its own id");

    let before = snapshot(&server);
    let live: BTreeSet<&str> = before["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        live,
        [":.hunt-42:finds-value", "orders-value"].into(),
        "{before:#}"
    );
    assert_eq!(
        before["config_orders"]["compatibilityLevel"],
        "FULL_TRANSITIVE"
    );
    let status = server.stop();
    assert!(
        status.success(),
        "huntreg serve exited with {status} on SIGTERM"
    );

    let server = Server::start(dir.path(), &[]);
    let after = snapshot(&server);
    assert_eq!(after, before, "state changed across a clean restart");
    let versions = ok(&server, "GET", "/subjects/orders-value/versions", None);
    assert_eq!(versions, json!([1, 2]));
    assert_eq!(
        ok(&server, "GET", "/subjects/orders-value/versions/2", None)["id"].as_i64(),
        Some(o2)
    );
    assert_eq!(
        ok(
            &server,
            "GET",
            "/contexts/.hunt-42/subjects/finds-value/versions/1",
            None
        )["id"]
            .as_i64(),
        Some(f1)
    );

    // Re-registering a known schema returns its id; a new schema gets an id never used.
    assert_eq!(register(&server, "orders-value", &schema("shop", 2)), o2);
    let fresh = register(&server, "orders-value", &schema("shop", 4));
    assert!(
        !ids.contains(&fresh),
        "id {fresh} was handed out again after a restart ({ids:?})"
    );
    assert!(
        fresh > *ids.iter().max().unwrap(),
        "ids go up: {fresh} after {ids:?}"
    );
    assert_eq!(
        ok(
            &server,
            "GET",
            "/subjects/orders-value/versions/latest",
            None
        )["version"],
        json!(4),
        "deleted version 3 is not reused"
    );
}

#[test]
fn acknowledged_registrations_survive_sigkill() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(dir.path(), &[]);
    // Sequential registrations, the last one acknowledged just before the kill.
    let mut acknowledged: Vec<(String, i64, i64)> = vec![];
    for i in 1..=5 {
        let subject = format!("crash-{i}-value");
        let resp = ok(
            &server,
            "POST",
            &format!("/subjects/{subject}/versions"),
            Some(&schema("crash", i)),
        );
        acknowledged.push((subject, resp["id"].as_i64().unwrap(), 1));
    }
    // Concurrent registrations (several writers waiting on the same flush).
    let url = server.url.clone();
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let url = url.clone();
            thread::spawn(move || {
                let subject = format!(":.hunt-{t}:burst-value");
                (1..=3)
                    .map(|v| {
                        let (status, resp) = call(
                            "POST",
                            &format!("{url}/subjects/{}/versions", enc(&subject)),
                            Some(&schema("burst", v)),
                        );
                        assert_eq!(status, 200, "{resp}");
                        (subject.clone(), resp["id"].as_i64().unwrap(), v as i64)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        acknowledged.extend(h.join().unwrap());
    }
    server.kill();

    let server = Server::start(dir.path(), &[]);
    for (subject, id, version) in &acknowledged {
        let got = ok(
            &server,
            "GET",
            &format!("/subjects/{}/versions/{version}", enc(subject)),
            None,
        );
        assert_eq!(
            got["id"].as_i64(),
            Some(*id),
            "{subject} v{version} after SIGKILL: {got}"
        );
        assert_eq!(got["version"].as_i64(), Some(*version));
    }
    let ids: BTreeSet<i64> = acknowledged.iter().map(|a| a.1).collect();
    let fresh = register(&server, "after-crash-value", &schema("after", 1));
    assert!(
        !ids.contains(&fresh),
        "id {fresh} reused after a crash ({ids:?})"
    );
}
