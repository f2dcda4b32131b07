//! HTTP details: JSON 404/405/413/400, content type, associations, root, metrics.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn framework_errors_are_confluent_json() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/no/such/route").await;
    assert_error(status, &body, 404, 404);
    let (status, body) = app
        .get("/associations/resources/-/orders?resourceType=topic&associationType=value")
        .await;
    assert_error(status, &body, 404, 404);
    let (status, body) = app.put("/subjects", json!({})).await;
    assert_error(status, &body, 405, 405);
    let resp = app
        .client
        .post(format!("{}/subjects/x/versions", app.base))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.schemaregistry.v1+json"
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error_code"], 400);
    let (status, body) = app
        .post(
            "/subjects/x/versions",
            json!({"schemaType": "PROTOBUF", "schema": 5}),
        )
        .await;
    assert_error(status, &body, 400, 400);

    let huge = "x".repeat(20 * 1024 * 1024);
    let resp = app
        .client
        .post(format!("{}/subjects/x/versions", app.base))
        .body(json!({"schemaType": "PROTOBUF", "schema": huge}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error_code"], 413);
}

#[tokio::test]
async fn root_metadata_and_metrics() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/").await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    app.register_ok("m", ORDER_V1).await;
    app.get("/schemas/ids/1").await;
    // Refusals are counted on the route that refused them: a 406, a 405, and a 404 that
    // matched no route.
    let refused = app
        .client
        .get(format!("{}/schemas/ids/1", app.base))
        .header("accept", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_ACCEPTABLE);
    let refused = app
        .client
        .delete(format!("{}/schemas/types", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(app.get("/nowhere").await.0, StatusCode::NOT_FOUND);
    let resp = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = resp.text().await.unwrap();
    assert!(text.contains("huntreg_http_requests_total{route=\"/schemas/ids/{id}\",method=\"GET\",status=\"2xx\"} 1"), "{text}");
    for counted in [
        "{route=\"/schemas/ids/{id}\",method=\"GET\",status=\"4xx\"} 1",
        "{route=\"/schemas/types\",method=\"DELETE\",status=\"4xx\"} 1",
        "{route=\"unmatched\",method=\"GET\",status=\"4xx\"} 1",
    ] {
        assert!(
            text.contains(&format!("huntreg_http_requests_total{counted}")),
            "{counted}: {text}"
        );
    }
    // A route that served nothing is not listed.
    assert!(!text.contains("route=\"/schemas/guids/{guid}\""), "{text}");
    assert!(
        text.contains("huntreg_registrations_total{outcome=\"accepted\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("huntreg_store_flush_duration_seconds_count"),
        "{text}"
    );
    assert!(
        text.contains("huntreg_compatibility_check_duration_seconds_count"),
        "{text}"
    );
}

#[tokio::test]
async fn bodies_must_be_json_objects() {
    let app = TestApp::spawn().await;
    let (status, body) = app.put("/config", json!([])).await;
    assert_error(status, &body, 400, 400);
    let (status, body) = app.post("/subjects/x/versions", json!("schema")).await;
    assert_error(status, &body, 400, 400);
}

#[tokio::test]
async fn malformed_offset_or_limit_is_jerseys_404() {
    let app = TestApp::spawn().await;
    app.register_ok("a", ORDER_V1).await;
    app.register_ok("b", ORDER_V1).await;
    for path in [
        "/subjects?offset=x",
        "/subjects?limit=1.5",
        "/subjects?limit=2147483648",
        "/subjects?offset=%201",
        "/subjects/a/versions?limit=ten",
        "/subjects/a/versions/1/referencedby?offset=-",
        "/schemas?limit=0x10",
        "/schemas/ids/1/subjects?offset=one",
        "/schemas/ids/1/versions?limit=1e3",
        "/contexts?offset=first",
        // Parameters are converted before the resource method runs: the subject's 40401
        // never gets a chance.
        "/subjects/missing/versions?offset=x",
    ] {
        let (status, body) = app.get(path).await;
        assert_error(status, &body, 404, 404);
        assert_eq!(body["message"], "HTTP 404 Not Found", "{path}");
    }
    // Empty, signed and in-range values are ints; endpoints without them ignore them.
    for (path, want) in [
        ("/subjects?offset=&limit=", json!(["a", "b"])),
        ("/subjects?offset=%2B1&limit=-1", json!(["b"])),
        ("/subjects/a/versions?offset=0&limit=2147483647", json!([1])),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!((status, body), (StatusCode::OK, want), "{path}");
    }
    let (status, _) = app.get("/subjects/a/versions/1?offset=x").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn accept_negotiates_confluents_media_types_and_refuses_others_with_406() {
    let app = TestApp::spawn().await;
    app.register_ok("s", ORDER_V1).await;
    let get = |path: &str, accept: Option<&str>| {
        let mut req = app.client.get(format!("{}{path}", app.base));
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        req.send()
    };
    let v1 = "application/vnd.schemaregistry.v1+json";
    for (accept, want) in [
        (None, v1),
        (Some("*/*"), v1),
        (
            Some("application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json"),
            v1,
        ),
        (Some("application/json"), "application/json"),
        (
            Some("application/vnd.schemaregistry+json"),
            "application/vnd.schemaregistry+json",
        ),
        (Some("text/html, application/json;q=0.9"), "application/json"),
    ] {
        for path in ["/subjects", "/subjects/s/versions/1/schema", "/subjects/nope/versions"] {
            let resp = get(path, accept).await.unwrap();
            assert_eq!(resp.headers()["content-type"], want, "{path} {accept:?}");
        }
    }
    // Nothing acceptable: 406 before the handler runs (no 40401 for a missing subject).
    for path in [
        "/subjects",
        "/schemas/ids/1",
        "/subjects/nope/versions",
        "/schemas/ids/abc",
    ] {
        let resp = get(path, Some("text/plain")).await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_ACCEPTABLE, "{path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error_code": 406, "message": "HTTP 406 Not Acceptable"})
        );
    }
    // A write refused with 406 writes nothing.
    let resp = app
        .client
        .post(format!("{}/subjects/t/versions", app.base))
        .header("Accept", "application/xml")
        .body(json!({"schemaType": "PROTOBUF", "schema": ORDER_V1}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_ACCEPTABLE);
    let (status, _) = app.get("/subjects/t/versions").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Unknown paths and methods answer as before whatever the Accept, and /metrics is
    // not a Confluent resource.
    let resp = get("/no/such/route", Some("text/plain")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = app
        .client
        .put(format!("{}/subjects", app.base))
        .header("Accept", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    let resp = get("/metrics", Some("text/plain")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}
