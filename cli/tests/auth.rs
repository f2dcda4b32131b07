//! Authentication, per-hunt authorization and TLS against the real `huntreg serve`:
//! principals from a config file with secrets hashed by `huntreg hash-secret`, HTTP Basic
//! (as Confluent clients send it) and bearer tokens, 401/403 in Confluent error JSON, the
//! refusal to serve unauthenticated on a network address, and HTTPS with a trusted
//! certificate.

mod server_support;

use std::path::Path;
use std::process::Stdio;

use server_support::{confluent_python, hash_secret, huntreg, register_body, As, Server};

fn write_config(dir: &Path) -> std::path::PathBuf {
    let token = huntreg()
        .args(["hash-secret", "--generate-token"])
        .output()
        .unwrap();
    let token = String::from_utf8(token.stdout).unwrap();
    assert!(token.starts_with("token: hr_"), "{token}");
    let config = format!(
        r#"
[[principals]]
name = "producer"
password_hash = "{producer}"
grants = [{{ hunts = ["hunt-*"], actions = ["write"] }}]

[[principals]]
name = "reader"
password_hash = "{reader}"
grants = [{{ hunts = ["hunt-1", "."], actions = ["read"] }}]

[[principals]]
name = "ops"
token_hash = "{ops}"
grants = [{{ hunts = ["*"], actions = ["admin"] }}]
"#,
        producer = hash_secret("producer-pw"),
        reader = hash_secret("reader-pw"),
        ops = hash_secret("ops-token"),
    );
    let path = dir.join("auth.toml");
    std::fs::write(&path, config).unwrap();
    path
}

/// Who a request is sent as.
type Who = As<'static>;

fn call(
    server: &Server,
    who: &Who,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, serde_json::Value, Option<String>) {
    let reply = server.send(*who, method, path, body);
    let json = reply.json();
    (reply.status, json, reply.challenge)
}

const SCHEMA: &str = "syntax = \"proto3\";\npackage t;\nmessage Treasure { string id = 1; }\n";

#[test]
fn grants_decide_per_hunt_and_action() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path());
    let server = Server::start(
        &tmp.path().join("data"),
        &["--auth-config", config.to_str().unwrap()],
    );
    let body = register_body(SCHEMA);
    let producer = Who::Basic("producer", "producer-pw");
    let reader = Who::Basic("reader", "reader-pw");
    let ops = Who::Bearer("ops-token");

    // Without or with wrong credentials: 401, Confluent JSON, a Basic challenge.
    for who in [
        Who::Nobody,
        Who::Basic("producer", "wrong"),
        Who::Basic("nobody", "x"),
        Who::Bearer("nope"),
    ] {
        let (status, json, challenge) = call(&server, &who, "GET", "/subjects", None);
        assert_eq!(status, 401, "{json}");
        assert_eq!(json["error_code"], 40101, "{json}");
        assert_eq!(challenge.as_deref(), Some("Basic realm=\"huntreg\""));
    }

    // The producer writes its hunts, by qualified subject or by the context URL prefix.
    let (status, json, _) = call(
        &server,
        &producer,
        "POST",
        "/subjects/:.hunt-1:treasure-value/versions",
        Some(&body),
    );
    assert_eq!(status, 200, "{json}");
    let id = json["id"].as_u64().unwrap();
    let (status, json, _) = call(
        &server,
        &producer,
        "POST",
        "/contexts/.hunt-2/subjects/treasure-value/versions",
        Some(&body),
    );
    assert_eq!(status, 200, "{json}");
    // ...but not another hunt, not the default context, not config, not deletes.
    for (method, path, payload) in [
        ("POST", "/subjects/other:x/versions", Some(body.as_str())),
        (
            "POST",
            "/subjects/treasure-value/versions",
            Some(body.as_str()),
        ),
        (
            "POST",
            "/contexts/.other/subjects/x/versions",
            Some(body.as_str()),
        ),
        (
            "PUT",
            "/config/:.hunt-1:",
            Some(r#"{"compatibility":"NONE"}"#),
        ),
        ("PUT", "/config", Some(r#"{"compatibility":"NONE"}"#)),
        ("PUT", "/mode", Some(r#"{"mode":"READONLY"}"#)),
        ("DELETE", "/subjects/:.hunt-1:treasure-value", None),
        ("GET", "/subjects", None),
    ] {
        let (status, json, _) = call(&server, &producer, method, path, payload);
        assert_eq!(status, 403, "{method} {path}: {json}");
        assert_eq!(json["error_code"], 40301, "{json}");
        assert!(
            json["message"].as_str().unwrap().contains("producer"),
            "{json}"
        );
    }

    // The reader reads hunt-1 and the default context only.
    let (status, json, _) = call(
        &server,
        &reader,
        "GET",
        "/subjects/:.hunt-1:treasure-value/versions/1",
        None,
    );
    assert_eq!((status, json["id"].as_u64()), (200, Some(id)), "{json}");
    let (status, json, _) = call(&server, &reader, "GET", "/contexts/.hunt-1/subjects", None);
    assert_eq!(status, 200, "{json}");
    let (status, json, _) = call(
        &server,
        &reader,
        "GET",
        &format!("/schemas/ids/{id}?subject=%3A.hunt-1%3A"),
        None,
    );
    assert_eq!(status, 200, "{json}");
    let (status, _, _) = call(&server, &reader, "GET", "/contexts/.hunt-2/subjects", None);
    assert_eq!(status, 403);
    let (status, _, _) = call(
        &server,
        &reader,
        "POST",
        "/subjects/:.hunt-1:treasure-value/versions",
        Some(&body),
    );
    assert_eq!(status, 403);
    // An unqualified subject the default context lacks would be answered from any hunt
    // (here hunt-2, which the reader may not read): such reads need a `*` grant.
    let (status, json, _) = call(
        &server,
        &reader,
        "GET",
        "/subjects/treasure-value/versions/1",
        None,
    );
    assert_eq!(status, 403, "{json}");
    let (status, json, _) = call(
        &server,
        &ops,
        "GET",
        "/subjects/treasure-value/versions/1",
        None,
    );
    assert_eq!(status, 200, "{json}");
    // A lookup and a compatibility check are reads.
    let (status, json, _) = call(
        &server,
        &reader,
        "POST",
        "/subjects/:.hunt-1:treasure-value",
        Some(&body),
    );
    assert_eq!(status, 200, "{json}");
    let (status, json, _) = call(
        &server,
        &reader,
        "POST",
        "/compatibility/subjects/:.hunt-1:treasure-value/versions/latest",
        Some(&body),
    );
    assert_eq!(status, 200, "{json}");

    // The bearer token of `ops` administers everything.
    let (status, json, _) = call(
        &server,
        &ops,
        "PUT",
        "/config",
        Some(r#"{"compatibility":"FULL"}"#),
    );
    assert_eq!(status, 200, "{json}");
    let (status, json, _) = call(&server, &ops, "GET", "/subjects", None);
    assert_eq!(status, 200, "{json}");
    assert_eq!(json.as_array().unwrap().len(), 2, "{json}");
    let (status, json, _) = call(
        &server,
        &ops,
        "DELETE",
        "/subjects/:.hunt-2:treasure-value",
        None,
    );
    assert_eq!(status, 200, "{json}");

    // Repeated requests hit the verification cache and stay correct.
    for _ in 0..20 {
        assert_eq!(
            call(
                &server,
                &reader,
                "GET",
                "/subjects/:.hunt-1:treasure-value/versions",
                None
            )
            .0,
            200
        );
        assert_eq!(
            call(
                &server,
                &Who::Basic("reader", "reader-pw!"),
                "GET",
                "/",
                None
            )
            .0,
            401
        );
    }
}

/// `huntreg push`, `pull` and `check` against a registry with an auth config: they send
/// `--user-info` or a token (flag or environment), get through with the grants those
/// carry, and are refused with the registry's 401 or 403 without them.
#[test]
fn push_pull_and_check_send_credentials() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path());
    let server = Server::start(
        &tmp.path().join("data"),
        &["--auth-config", config.to_str().unwrap()],
    );
    let dir = tmp.path().join("hunt-1");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("treasure.proto"), SCHEMA).unwrap();
    let lockfile = tmp.path().join("huntreg.lock");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = huntreg();
        command
            .args(args)
            .env_remove("HUNTREG_USER_INFO")
            .env_remove("HUNTREG_TOKEN")
            .env("HUNTREG_URL", &server.url);
        for (name, value) in env {
            command.env(name, value);
        }
        let out = command.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let dir = dir.to_str().unwrap();
    let lock = lockfile.to_str().unwrap();
    let pull = [
        "pull",
        "--hunt",
        "hunt-1",
        "--lockfile",
        lock,
        "--no-build-check",
    ];

    let (code, text) = run(&["push", dir], &[]);
    assert_ne!(code, Some(0), "{text}");
    assert!(text.contains("401"), "{text}");
    let (code, text) = run(&["push", dir, "--user-info", "reader:reader-pw"], &[]);
    assert_ne!(code, Some(0), "a reader cannot register: {text}");
    assert!(text.contains("403"), "{text}");
    let (code, text) = run(&["push", dir, "--user-info", "producer:producer-pw"], &[]);
    assert_eq!(code, Some(0), "{text}");

    let (code, text) = run(&pull, &[]);
    assert_ne!(code, Some(0), "{text}");
    assert!(text.contains("401"), "{text}");
    assert!(!lockfile.exists(), "nothing is written on a refusal");
    let (code, text) = run(&pull, &[("HUNTREG_USER_INFO", "reader:reader-pw")]);
    assert_eq!(code, Some(0), "{text}");
    let pinned = std::fs::read_to_string(&lockfile).unwrap();
    assert!(pinned.contains("treasure.proto"), "{pinned}");
    let mut check = pull.to_vec();
    check.push("--check");
    let (code, text) = run(&check, &[("HUNTREG_TOKEN", "ops-token")]);
    assert_eq!(code, Some(0), "{text}");

    let (code, text) = run(&["check", dir, "--user-info", "reader:reader-pw"], &[]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(
        &[
            "pull",
            "--hunt",
            "hunt-1",
            "--user-info",
            "a:b",
            "--token",
            "t",
        ],
        &[],
    );
    assert_eq!(code, Some(2), "both kinds of credentials at once: {text}");
    assert!(text.contains("cannot be used with"), "{text}");
}

#[test]
fn network_listeners_need_auth_or_an_explicit_opt_out() {
    let tmp = tempfile::tempdir().unwrap();
    let out = huntreg()
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(tmp.path().join("a"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--allow-unauthenticated") && stderr.contains("--auth-config"),
        "{stderr}"
    );
    assert!(
        !tmp.path().join("a").exists(),
        "nothing is created before the refusal"
    );

    let mut child = huntreg()
        .args([
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--allow-unauthenticated",
            "--data-dir",
        ])
        .arg(tmp.path().join("b"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.starts_with("huntreg listening on http://0.0.0.0:"),
        "{line}"
    );

    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[principals]]\nname = \"x\"\npassword_hash = \"plain\"\n",
    )
    .unwrap();
    let out = huntreg()
        .args(["serve", "--listen", "127.0.0.1:0", "--auth-config"])
        .arg(&bad)
        .arg("--data-dir")
        .arg(tmp.path().join("c"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("password_hash"),
        "{stderr}"
    );
}

#[test]
fn https_with_auth() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path());
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_path, key_path) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let server = Server::start(
        &tmp.path().join("data"),
        &[
            "--auth-config",
            config.to_str().unwrap(),
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    );
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let port = server.url.rsplit(':').next().unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let client = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", addr)
        .build()
        .unwrap();
    let url = format!("https://localhost:{port}");
    let resp = client
        .post(format!("{url}/subjects/:.hunt-9:x/versions"))
        .basic_auth("producer", Some("producer-pw"))
        .header("Content-Type", "application/json")
        .body(register_body(SCHEMA))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let resp = client.get(format!("{url}/subjects")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    // Plain HTTP to the TLS port gets no registry answer.
    let plain = reqwest::blocking::Client::new()
        .get(format!("http://{addr}/subjects"))
        .send();
    assert!(plain.map(|r| r.status().as_u16() != 200).unwrap_or(true));
    // Mismatched flags are refused at start.
    let err = Server::try_start(
        &tmp.path().join("d2"),
        &["--tls-cert", cert_path.to_str().unwrap()],
    )
    .err()
    .expect("--tls-cert alone must be refused");
    assert!(err.contains("--tls-key"), "{err}");
}

/// The published confluent-kafka client, configured with `basic.auth.user.info`: a writer
/// of the hunt registers and serializes, a reader of the hunt deserializes with a fresh
/// client, and the registry's 401 and 403 reach the client as `SchemaRegistryError`s.
#[test]
fn confluent_kafka_client_with_basic_auth_user_info() {
    use prost::Message as _;
    use serde_json::json;

    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path());
    let server = Server::start(
        &tmp.path().join("data"),
        &["--auth-config", config.to_str().unwrap()],
    );
    let src = tmp.path().join("protos");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("found.proto"),
        "syntax = \"proto3\";\npackage auth.v1;\nmessage TreasureFound {\n  string player_id = 1;\n  uint32 points = 2;\n}\n",
    )
    .unwrap();
    let mut compiler = protox::Compiler::new([&src]).unwrap();
    compiler.include_imports(true).include_source_info(false);
    compiler.open_file("found.proto").unwrap();
    let fds = tmp.path().join("found.binpb");
    std::fs::write(&fds, compiler.file_descriptor_set().encode_to_vec()).unwrap();
    let serde = |op: &str, auth: &str| {
        json!({"op": op, "auth": auth, "url": server.url, "fds": fds,
               "type": "auth.v1.TreasureFound", "topic": "found", "strategy": ".hunt-1"})
    };

    let mut produce = serde("produce", "producer:producer-pw");
    produce["value"] = json!({"playerId": "p1", "points": 3});
    let produced = confluent_python(produce);
    let mut consume = serde("consume", "reader:reader-pw");
    consume["hex"] = produced["hex"].clone();
    assert_eq!(
        confluent_python(consume)["value"],
        json!({"playerId": "p1", "points": 3})
    );

    let schema =
        json!({"schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";\nmessage X {}\n"});
    let register = |auth: Option<&str>| {
        let mut request = json!({"op": "api", "url": server.url,
            "calls": [["register_schema", ":.hunt-1:other-value", schema]]});
        if let Some(auth) = auth {
            request["auth"] = json!(auth);
        }
        confluent_python(request)["results"][0]["error"]["status"].clone()
    };
    assert_eq!(register(None), json!(401), "no credentials");
    assert_eq!(
        register(Some("producer:wrong")),
        json!(401),
        "wrong password"
    );
    assert_eq!(
        register(Some("reader:reader-pw")),
        json!(403),
        "read-only principal"
    );
}
