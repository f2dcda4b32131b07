//! What authentication costs per request: a router behind the auth layer with a cached
//! credential, against the same router without auth (the baseline), and one argon2
//! verification (what every request would pay without the cache). Prints the ratios.
//!
//! `cargo bench -p huntreg-registry --bench auth_cache`

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use huntreg_registry::{auth_layer, hash_secret, verify_secret, AuthConfig};
use tower::ServiceExt as _;

const REQUESTS: u32 = 20_000;

fn app() -> Router {
    Router::new().route(
        "/subjects/{subject}/versions/{version}",
        get(|| async { "{\"id\":1}" }),
    )
}

async fn per_request(router: &Router, authorization: Option<&str>) -> Duration {
    let uri = "/subjects/%3A.hunt-42%3Atreasure-value/versions/latest";
    let started = Instant::now();
    for _ in 0..REQUESTS {
        let mut req = Request::builder().uri(uri);
        if let Some(value) = authorization {
            req = req.header(header::AUTHORIZATION, value);
        }
        let resp = router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
    }
    started.elapsed() / REQUESTS
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let hash = hash_secret("producer-pw").unwrap();
    let config = AuthConfig::from_toml(&format!(
        "[[principals]]\nname = \"producer\"\npassword_hash = \"{hash}\"\n\
         grants = [{{ hunts = [\"hunt-*\"], actions = [\"read\"] }}]\n"
    ))
    .unwrap();
    let credential = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("producer:producer-pw")
    );
    let plain = app();
    let guarded = app().layer(auth_layer(config));

    let started = Instant::now();
    let verifications = 10;
    for _ in 0..verifications {
        assert!(verify_secret("producer-pw", &hash));
    }
    let argon2 = started.elapsed() / verifications;

    let (baseline, cached) = runtime.block_on(async {
        // Warm up, and put the credential in the cache.
        per_request(&guarded, Some(&credential)).await;
        per_request(&plain, None).await;
        (
            per_request(&plain, None).await,
            per_request(&guarded, Some(&credential)).await,
        )
    });
    println!("without auth (baseline):        {baseline:>10.2?} per request");
    println!("with auth, cached credential:   {cached:>10.2?} per request");
    println!("one argon2 verification:        {argon2:>10.2?}");
    println!(
        "ratio cached-auth / baseline: {:.2} (overhead {:.2?} per request)",
        cached.as_secs_f64() / baseline.as_secs_f64(),
        cached.saturating_sub(baseline)
    );
    println!(
        "ratio argon2 / cached-auth overhead: {:.0}x (what the cache saves per request)",
        argon2.as_secs_f64() / cached.saturating_sub(baseline).as_secs_f64().max(1e-9)
    );
}
