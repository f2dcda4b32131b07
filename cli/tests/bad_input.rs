//! Hostile and malformed input against the real `huntreg serve`, one row per case: every
//! request gets its documented 4xx answer in Confluent error JSON
//! (`{"error_code":...,"message":...}`), and the server still answers `GET /` afterwards.
//! Codes follow Confluent (see the research notes' error table): 400 malformed JSON,
//! 404/40401/40402/40403 not found, 405 wrong method, 413 body too large, 42201 invalid
//! schema, 42202 invalid version, 42203 invalid compatibility level, 42204 invalid mode,
//! 42205 operation not permitted, 42208 invalid subject, 42209 schema too large.

mod server_support;

use server_support::{register_body, Server};

/// One bad request and the answer it must get.
struct Case {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    body: Body,
    status: u16,
    error_code: u32,
}

/// A request body.
enum Body {
    None,
    Text(String),
    Bytes(Vec<u8>),
}

fn json(value: serde_json::Value) -> Body {
    Body::Text(value.to_string())
}

fn schema(text: &str) -> Body {
    Body::Text(register_body(text))
}

fn raw(text: &str) -> Body {
    Body::Text(text.to_owned())
}

const OK: &str = "syntax = \"proto3\";\npackage bad;\nmessage A { int32 a = 1; }\n";

fn cases() -> Vec<Case> {
    let case = |name, method, path, body, status, error_code| Case {
        name,
        method,
        path,
        body,
        status,
        error_code,
    };
    let nested = |depth: usize| {
        format!(
            "syntax = \"proto3\";\n{}{}",
            "message M {".repeat(depth),
            "}".repeat(depth)
        )
    };
    vec![
        // Malformed or unusable schemas: 42201.
        case(
            "malformed proto",
            "POST",
            "/subjects/x/versions",
            schema("message {"),
            422,
            42201,
        ),
        case(
            "empty schema",
            "POST",
            "/subjects/x/versions",
            schema(""),
            422,
            42201,
        ),
        case(
            "schema without a type",
            "POST",
            "/subjects/x/versions",
            schema("syntax = \"proto3\";\n"),
            422,
            42201,
        ),
        case(
            "field number out of range",
            "POST",
            "/subjects/x/versions",
            schema("syntax = \"proto3\";\nmessage A { int32 a = 536870912; }"),
            422,
            42201,
        ),
        case(
            "duplicate field numbers",
            "POST",
            "/subjects/x/versions",
            schema("syntax = \"proto3\";\nmessage A { int32 a = 1; int32 b = 1; }"),
            422,
            42201,
        ),
        case(
            "unknown field type",
            "POST",
            "/subjects/x/versions",
            schema("syntax = \"proto3\";\nmessage A { Nope a = 1; }"),
            422,
            42201,
        ),
        case(
            "NUL byte in the schema",
            "POST",
            "/subjects/x/versions",
            schema("syntax = \"proto3\";\nmessage A\u{0} { int32 a = 1; }"),
            422,
            42201,
        ),
        case(
            "import without a reference",
            "POST",
            "/subjects/x/versions",
            schema("syntax = \"proto3\";\nimport \"nope.proto\";\nmessage A { int32 a = 1; }"),
            422,
            42201,
        ),
        case(
            "bad base64",
            "POST",
            "/subjects/x/versions",
            schema("!!!not-base64==="),
            422,
            42201,
        ),
        case(
            "base64 of garbage",
            "POST",
            "/subjects/x/versions",
            schema("AAAA////"),
            422,
            42201,
        ),
        case(
            "deeply nested messages",
            "POST",
            "/subjects/x/versions",
            schema(&nested(100)),
            422,
            42201,
        ),
        case(
            "very deeply nested messages",
            "POST",
            "/subjects/x/versions",
            schema(&nested(200_000)),
            422,
            42201,
        ),
        case(
            "deeply nested option value",
            "POST",
            "/subjects/x/versions",
            schema(&format!(
                "syntax = \"proto3\";\nmessage A {{ int32 a = 1 [(x) = {}1{}]; }}",
                "{a:".repeat(80),
                "}".repeat(80)
            )),
            422,
            42201,
        ),
        // Schema types: only PROTOBUF; absent means AVRO.
        case(
            "unknown schemaType",
            "POST",
            "/subjects/x/versions",
            json(serde_json::json!({"schemaType": "THRIFT", "schema": OK})),
            422,
            42201,
        ),
        case(
            "AVRO schemaType",
            "POST",
            "/subjects/x/versions",
            json(serde_json::json!({"schemaType": "AVRO", "schema": "{\"type\":\"string\"}"})),
            422,
            42201,
        ),
        case(
            "missing schemaType",
            "POST",
            "/subjects/x/versions",
            json(serde_json::json!({"schema": OK})),
            422,
            42201,
        ),
        // References: missing, cyclic (a subject referencing itself), incomplete, too many.
        case(
            "reference to a missing subject",
            "POST",
            "/subjects/x/versions",
            json(serde_json::json!({"schemaType": "PROTOBUF",
                "schema": "syntax = \"proto3\";\nimport \"b.proto\";\nmessage A { B b = 1; }",
                "references": [{"name": "b.proto", "subject": "b", "version": 1}]})),
            422,
            42201,
        ),
        case(
            "cyclic reference to itself",
            "POST",
            "/subjects/cycle/versions",
            json(serde_json::json!({"schemaType": "PROTOBUF",
                "schema": "syntax = \"proto3\";\nimport \"cycle.proto\";\nmessage A { int32 a = 1; }",
                "references": [{"name": "cycle.proto", "subject": "cycle", "version": -1}]})),
            422,
            42201,
        ),
        case(
            "reference version 0",
            "POST",
            "/subjects/x/versions",
            json(serde_json::json!({"schemaType": "PROTOBUF", "schema": OK,
                "references": [{"name": "b.proto", "subject": "base", "version": 0}]})),
            422,
            42201,
        ),
        case(
            "incomplete reference",
            "POST",
            "/subjects/x/versions",
            json(
                serde_json::json!({"schemaType": "PROTOBUF", "schema": OK, "references": [{"name": "b.proto"}]}),
            ),
            422,
            42201,
        ),
        case(
            "too many references",
            "POST",
            "/subjects/x/versions",
            json(serde_json::json!({"schemaType": "PROTOBUF", "schema": OK,
                "references": (0..300).map(|i| serde_json::json!({"name": format!("r{i}.proto"), "subject": "base", "version": 1})).collect::<Vec<_>>()})),
            422,
            42201,
        ),
        // Malformed JSON and wrong JSON types: 400.
        case(
            "body is not JSON",
            "POST",
            "/subjects/x/versions",
            raw("hello"),
            400,
            400,
        ),
        case(
            "truncated JSON",
            "POST",
            "/subjects/x/versions",
            raw("{\"schema\": \""),
            400,
            400,
        ),
        case(
            "JSON array body",
            "POST",
            "/subjects/x/versions",
            raw("[1, 2]"),
            400,
            400,
        ),
        case(
            "schema is an object",
            "POST",
            "/subjects/x/versions",
            raw("{\"schemaType\":\"PROTOBUF\",\"schema\":{\"a\":1}}"),
            400,
            400,
        ),
        case(
            "schema is a number",
            "POST",
            "/subjects/x/versions",
            raw("{\"schemaType\":\"PROTOBUF\",\"schema\":5}"),
            400,
            400,
        ),
        case(
            "schemaType is a number",
            "POST",
            "/subjects/x/versions",
            raw("{\"schemaType\":5,\"schema\":\"x\"}"),
            400,
            400,
        ),
        case(
            "references is a string",
            "POST",
            "/subjects/x/versions",
            raw("{\"schemaType\":\"PROTOBUF\",\"schema\":\"x\",\"references\":\"x\"}"),
            400,
            400,
        ),
        case(
            "huge number",
            "POST",
            "/subjects/x/versions",
            raw("{\"schemaType\":\"PROTOBUF\",\"schema\":\"x\",\"version\":1e400}"),
            400,
            400,
        ),
        case(
            "integer overflow",
            "POST",
            "/subjects/x/versions",
            raw("{\"schemaType\":\"PROTOBUF\",\"schema\":\"x\",\"id\":99999999999999999999999}"),
            400,
            400,
        ),
        case(
            "invalid UTF-8 in the body",
            "POST",
            "/subjects/x/versions",
            Body::Bytes(b"{\"schemaType\":\"PROTOBUF\",\"schema\":\"\xff\xfe\"}".to_vec()),
            400,
            400,
        ),
        case(
            "deeply nested JSON",
            "POST",
            "/subjects/x/versions",
            raw(&format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))),
            400,
            400,
        ),
        case("config body not JSON", "PUT", "/config", raw("x"), 400, 400),
        case(
            "config body is an array",
            "PUT",
            "/config",
            raw("[]"),
            400,
            400,
        ),
        case(
            "mode body is a string",
            "PUT",
            "/mode",
            raw("\"READONLY\""),
            400,
            400,
        ),
        case(
            "compatibility is a number",
            "PUT",
            "/config",
            raw("{\"compatibility\":5}"),
            400,
            400,
        ),
        case(
            "mode is a number",
            "PUT",
            "/mode",
            raw("{\"mode\":1}"),
            400,
            400,
        ),
        // Sizes.
        case(
            "huge body",
            "POST",
            "/subjects/x/versions",
            Body::Bytes(vec![b'x'; 17 << 20]),
            413,
            413,
        ),
        case(
            "schema over the size limit",
            "POST",
            "/subjects/x/versions",
            schema(&format!("//{}", "x".repeat(9 << 20))),
            422,
            42209,
        ),
        // Subjects: invalid names, traversal attempts (just names: not found), contexts.
        case(
            "NUL in the subject",
            "POST",
            "/subjects/a%00b/versions",
            schema(OK),
            422,
            42208,
        ),
        case(
            "reserved subject __GLOBAL",
            "POST",
            "/subjects/__GLOBAL/versions",
            schema(OK),
            422,
            42208,
        ),
        case(
            "subject in the global context",
            "POST",
            "/subjects/:.__GLOBAL:x/versions",
            schema(OK),
            422,
            42208,
        ),
        case(
            "path traversal in a subject",
            "GET",
            "/subjects/..%2F..%2F..%2Fetc%2Fpasswd/versions",
            Body::None,
            404,
            40401,
        ),
        case(
            "dot-dot subject",
            "GET",
            "/subjects/../versions/1",
            Body::None,
            404,
            404,
        ),
        case(
            "invalid UTF-8 in the path",
            "GET",
            "/subjects/%FF%FE/versions",
            Body::None,
            404,
            404,
        ),
        case(
            "colon in a context name",
            "GET",
            "/contexts/a:b/subjects",
            Body::None,
            400,
            400,
        ),
        // Versions and ids.
        case(
            "version 0",
            "GET",
            "/subjects/base/versions/0",
            Body::None,
            422,
            42202,
        ),
        case(
            "version abc",
            "GET",
            "/subjects/base/versions/abc",
            Body::None,
            422,
            42202,
        ),
        case(
            "version -2",
            "GET",
            "/subjects/base/versions/-2",
            Body::None,
            422,
            42202,
        ),
        case(
            "version 2^31",
            "GET",
            "/subjects/base/versions/2147483648",
            Body::None,
            422,
            42202,
        ),
        case(
            "version 1.5",
            "GET",
            "/subjects/base/versions/1.5",
            Body::None,
            422,
            42202,
        ),
        case(
            "compatibility against version zero",
            "POST",
            "/compatibility/subjects/base/versions/zero",
            schema(OK),
            422,
            42202,
        ),
        case(
            "missing version",
            "GET",
            "/subjects/base/versions/99",
            Body::None,
            404,
            40402,
        ),
        case(
            "explicit version not next",
            "POST",
            "/subjects/base/versions",
            json(
                serde_json::json!({"schemaType": "PROTOBUF", "schema": OK.replace("int32 a = 1;", "int32 a = 1; int32 b = 2;"), "version": 7}),
            ),
            422,
            42201,
        ),
        case(
            "explicit id outside IMPORT mode",
            "POST",
            "/subjects/x/versions",
            json(serde_json::json!({"schemaType": "PROTOBUF", "schema": OK, "id": 77})),
            422,
            42205,
        ),
        case("id abc", "GET", "/schemas/ids/abc", Body::None, 404, 404),
        case("id -1", "GET", "/schemas/ids/-1", Body::None, 404, 404),
        case(
            "id beyond u32",
            "GET",
            "/schemas/ids/99999999999",
            Body::None,
            404,
            404,
        ),
        case(
            "unknown id",
            "GET",
            "/schemas/ids/999999",
            Body::None,
            404,
            40403,
        ),
        // Config and mode values.
        case(
            "unknown compatibility level",
            "PUT",
            "/config",
            raw("{\"compatibility\":\"SIDEWAYS\"}"),
            422,
            42203,
        ),
        case(
            "unknown subject compatibility level",
            "PUT",
            "/config/base",
            raw("{\"compatibility\":\"backward_ish\"}"),
            422,
            42203,
        ),
        case(
            "unknown mode",
            "PUT",
            "/mode",
            raw("{\"mode\":\"WRITEONLY\"}"),
            422,
            42204,
        ),
        case(
            "FORWARD mode on a subject",
            "PUT",
            "/mode/:.h:x",
            raw("{\"mode\":\"FORWARD\"}"),
            422,
            42204,
        ),
        // Unknown things.
        case("unknown path", "GET", "/nope/nope", Body::None, 404, 404),
        case(
            "wrong method",
            "DELETE",
            "/schemas/types",
            Body::None,
            405,
            405,
        ),
        case(
            "lookup in a missing subject",
            "POST",
            "/subjects/missing",
            schema(OK),
            404,
            40401,
        ),
        case(
            "delete a missing subject",
            "DELETE",
            "/subjects/missing",
            Body::None,
            404,
            40401,
        ),
        // Incompatible change (the default level is BACKWARD).
        case(
            "incompatible change",
            "POST",
            "/subjects/base/versions",
            schema(&OK.replace("int32 a", "string a")),
            409,
            409,
        ),
    ]
}

#[test]
fn every_bad_request_gets_its_documented_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), &[]);
    let http = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let base = http
        .post(server.at("/subjects/base/versions"))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .body(register_body(OK))
        .send()
        .unwrap();
    assert_eq!(base.status().as_u16(), 200);

    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let mut req = http.request(case.method.parse().unwrap(), server.at(case.path));
        req = match &case.body {
            Body::None => req,
            Body::Text(text) => req
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .body(text.clone()),
            Body::Bytes(bytes) => req
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .body(bytes.clone()),
        };
        match req.send() {
            Err(err) => failures.push(format!("{}: no answer: {err}", case.name)),
            Ok(resp) => {
                let status = resp.status().as_u16();
                let text = resp.text().unwrap_or_default();
                let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                let code = body["error_code"].as_u64();
                let message = body["message"].as_str().unwrap_or_default();
                if status != case.status
                    || code != Some(u64::from(case.error_code))
                    || message.is_empty()
                {
                    failures.push(format!(
                        "{}: {} {} -> {status} {text:.200} (expected {} / {})",
                        case.name, case.method, case.path, case.status, case.error_code
                    ));
                }
            }
        }
        // The server is still healthy after every case.
        let health = http.get(server.at("/")).send().map(|r| r.status().as_u16());
        assert_eq!(
            health.ok(),
            Some(200),
            "server unhealthy after {}",
            case.name
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // Nothing a bad request sent was stored.
    let subjects: Vec<String> = http
        .get(server.at("/subjects"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(subjects, ["base"]);
}

#[test]
fn limit_flags_reach_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(
        &tmp.path().join("data"),
        &[
            "--max-body-bytes",
            "4096",
            "--max-schema-bytes",
            "1024",
            "--max-references",
            "1",
            "--max-nesting-depth",
            "4",
            "--max-page-size",
            "2",
        ],
    );
    let http = reqwest::blocking::Client::new();
    let post = |path: &str, body: String| {
        let resp = http
            .post(server.at(path))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .body(body)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        let json: serde_json::Value = resp.json().unwrap_or_default();
        (status, json["error_code"].as_u64())
    };
    let nested = |depth: usize| {
        format!(
            "syntax = \"proto3\";\n{}{}",
            "message M {".repeat(depth),
            "}".repeat(depth)
        )
    };
    assert_eq!(
        post("/subjects/a/versions", "x".repeat(5000)),
        (413, Some(413))
    );
    assert_eq!(
        post(
            "/subjects/a/versions",
            register_body(&format!("//{}\n{OK}", "x".repeat(1100)))
        ),
        (422, Some(42209))
    );
    assert_eq!(
        post("/subjects/a/versions", register_body(&nested(5))),
        (422, Some(42201))
    );
    assert_eq!(
        post("/subjects/a/versions", register_body(&nested(4))).0,
        200
    );
    let refs = serde_json::json!({"schemaType": "PROTOBUF", "schema": OK, "references": [
        {"name": "a.proto", "subject": "a", "version": 1}, {"name": "b.proto", "subject": "a", "version": 1}]});
    assert_eq!(
        post("/subjects/b/versions", refs.to_string()),
        (422, Some(42201))
    );
    for subject in ["c", "d", "e"] {
        assert_eq!(
            post(&format!("/subjects/{subject}/versions"), register_body(OK)).0,
            200
        );
    }
    let subjects: Vec<String> = http
        .get(server.at("/subjects"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        subjects.len(),
        2,
        "pages hold at most --max-page-size items: {subjects:?}"
    );
}
