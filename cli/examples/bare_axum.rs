//! The baseline of `scripts/bench-load`: a bare axum server that answers
//! `GET /schemas/ids/{id}` with one fixed response body held in memory (the bytes huntreg
//! returned for a registered schema), so the benchmark's ratio measures what huntreg adds
//! on top of axum itself: lookup, context resolution, serialization.
//!
//! Usage: `bare_axum --listen 127.0.0.1:0 --body-file BODY.json`; prints
//! `bare axum listening on http://ADDR` once bound.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::Router;

/// What `--help` prints.
const USAGE: &str = "bare_axum --listen 127.0.0.1:0 --body-file BODY.json\n\nA bare axum server answering GET /schemas/ids/{id} with the bytes of BODY.json: the baseline of scripts/bench-load and scripts/bench-history.";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut listen: SocketAddr = "127.0.0.1:0".parse()?;
    let mut body_file: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            println!("usage: {USAGE}");
            return Ok(());
        }
        let value = args
            .next()
            .with_context(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--listen" => {
                listen = value
                    .parse()
                    .with_context(|| format!("bad --listen {value}"))?
            }
            "--body-file" => body_file = Some(value.into()),
            other => {
                anyhow::bail!("unknown argument {other} (expected --listen ADDR --body-file PATH)")
            }
        }
    }
    let path = body_file.context("--body-file is required")?;
    let body =
        Bytes::from(std::fs::read(&path).with_context(|| format!("read {}", path.display()))?);

    let app = Router::new().route(
        "/schemas/ids/{id}",
        get(move |Path(_id): Path<u32>| {
            let body = body.clone();
            async move {
                (
                    [(CONTENT_TYPE, "application/vnd.schemaregistry.v1+json")],
                    body,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("bind {listen}"))?;
    println!("bare axum listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
