//! Server-side render time of the console's subject page and diff page for a subject of 10
//! and of 10,000 versions (same schema size, one field renamed per version, so the
//! history's length is the only difference), in process through the registry's router.
//! Prints p50 and p99 per page and size, and the ratio 10,000 / 10 it is judged by
//! (the baseline is the same page at 10 versions, measured interleaved in the same run).
//!
//! `cargo bench -p huntreg-registry --bench console` (setting up 10,000 versions takes a
//! few seconds; BENCH_VERSIONS=N sets the long history's length)

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use huntreg_registry::store::SledStore;
use huntreg_registry::{router, App, AppState, Config, Metrics};
use tower::ServiceExt as _;

const SAMPLES: usize = 60;

/// Version `n` of the subject: the same three messages, one field named after `n`.
fn schema(n: usize) -> String {
    format!(
        "syntax = \"proto3\";\npackage bench.v1;\n\nmessage TreasureFound {{\n  string player_id = 1;\n  uint32 points = 2;\n  string field_{n} = 3;\n  repeated string tags = 4;\n}}\n\nmessage TreasureLost {{\n  string player_id = 1;\n  string reason = 2;\n}}\n\nenum Rarity {{\n  RARITY_UNSPECIFIED = 0;\n  RARITY_COMMON = 1;\n  RARITY_RARE = 2;\n}}\n"
    )
}

async fn send(router: &Router, method: &str, uri: &str, body: String) -> (u16, usize) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("Content-Type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, bytes.len())
}

/// A registry whose subject `:.bench:s` has `versions` versions, registered at NONE.
async fn registry(dir: &std::path::Path, versions: usize) -> Router {
    let store = SledStore::open(dir, None).unwrap();
    let config = Config {
        data_dir: dir.to_owned(),
        ..Config::default()
    };
    let router = router(AppState(Arc::new(App::new(
        Arc::new(store),
        config,
        Arc::new(Metrics::default()),
    ))));
    let (status, _) = send(
        &router,
        "PUT",
        "/config/%3A.bench%3A",
        r#"{"compatibility":"NONE"}"#.into(),
    )
    .await;
    assert_eq!(status, 200);
    for n in 1..=versions {
        let body = serde_json::json!({"schemaType": "PROTOBUF", "schema": schema(n)}).to_string();
        let (status, _) = send(&router, "POST", "/subjects/%3A.bench%3As/versions", body).await;
        assert_eq!(status, 200, "version {n}");
    }
    router
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let long: usize = std::env::var("BENCH_VERSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let short_dir = tempfile::tempdir().unwrap();
        let long_dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let short = registry(short_dir.path(), 10).await;
        let long_router = registry(long_dir.path(), long).await;
        println!(
            "console render: set up subjects of 10 and {long} versions in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let pages = [
            ("subject page", "/ui/hunts/.bench/subjects/s".to_owned()),
            (
                "subject page, oldest",
                "/ui/hunts/.bench/subjects/s?page=1000000".to_owned(),
            ),
            ("diff page", "/ui/hunts/.bench/subjects/s/diff".to_owned()),
            (
                "diff page, first vs newest",
                "/ui/hunts/.bench/subjects/s/diff?from=1&to=latest".to_owned(),
            ),
            ("version page", "/ui/hunts/.bench/subjects/s/versions/latest".to_owned()),
            ("hunt page", "/ui/hunts/.bench".to_owned()),
        ];
        for (name, uri) in &pages {
            let mut times = [Vec::new(), Vec::new()];
            // Warm both (caches fill on first read), then interleave.
            for r in [&short, &long_router] {
                let (status, _) = send(r, "GET", uri, String::new()).await;
                assert_eq!(status, 200, "{uri}");
            }
            let routers = [&short, &long_router];
            for i in 0..SAMPLES {
                let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
                for k in order {
                    let r = routers[k];
                    let t = Instant::now();
                    let (status, _) = send(r, "GET", uri, String::new()).await;
                    times[k].push(t.elapsed());
                    assert_eq!(status, 200);
                }
            }
            let [mut s, mut l] = times;
            let (s50, s99) = (percentile(&mut s, 0.5), percentile(&mut s, 0.99));
            let (l50, l99) = (percentile(&mut l, 0.5), percentile(&mut l, 0.99));
            println!(
                "  {name:<27} 10 versions p50 {:7.2} ms p99 {:7.2} ms | {long} versions p50 {:7.2} ms p99 {:7.2} ms | ratio p50 {:.2} ({})",
                s50.as_secs_f64() * 1e3,
                s99.as_secs_f64() * 1e3,
                l50.as_secs_f64() * 1e3,
                l99.as_secs_f64() * 1e3,
                l50.as_secs_f64() / s50.as_secs_f64(),
                if l99 < Duration::from_millis(100) { "p99 under 100 ms" } else { "p99 OVER 100 ms" },
            );
        }
    });
}
