//! Resource limits: every bound the registry enforces, in one [`Limits`] struct with its
//! defaults and `huntreg serve` flags, and the tower layer that enforces the request-level ones.
//!
//! The layer ([`layer`]) answers in Confluent error JSON:
//! - too many requests in flight: `503 {"error_code":503,...}` with `Retry-After: 1`;
//! - a request not finished in time (slow body included): `408 {"error_code":408,...}`;
//! - a body over the limit: `413 {"error_code":413,...}`;
//! - a `schema` text over the limit: `422 {"error_code":42209,...}` (Confluent's "schema is too
//!   large");
//! - too many `references`, or a schema nested deeper than the limit: `422 {"error_code":42201,...}`.
//!
//! The nesting check is a cheap scan of brackets before anything is compiled, so a hostile
//! schema cannot drive the parser's recursion into a stack overflow. Limits that need the store
//! (depth of reference chains, page sizes) are read by the registry from the same struct.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Method, Request};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use prost::Message as _;
use tower::{Layer, Service};

use crate::error::{Answered, ApiError};

/// Default for [`Limits::max_body_bytes`]: 16 MiB.
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 16 << 20;
/// Default for [`Limits::max_schema_bytes`]: 8 MiB.
pub(crate) const DEFAULT_MAX_SCHEMA_BYTES: usize = 8 << 20;
/// Default for [`Limits::max_references`].
pub(crate) const DEFAULT_MAX_REFERENCES: usize = 256;
/// Default for [`Limits::max_reference_depth`].
pub(crate) const DEFAULT_MAX_REFERENCE_DEPTH: usize = 32;
/// Default for [`Limits::max_nesting_depth`].
pub(crate) const DEFAULT_MAX_NESTING_DEPTH: usize = 64;
/// Default for [`Limits::max_page_size`].
pub(crate) const DEFAULT_MAX_PAGE_SIZE: usize = 1000;
/// Default for [`Limits::request_timeout_secs`].
pub(crate) const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
/// Default for [`Limits::max_concurrent_requests`].
pub(crate) const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 512;

/// Confluent error code for a schema over [`Limits::max_schema_bytes`].
pub(crate) const SCHEMA_TOO_LARGE: u32 = 42209;
/// Confluent error code for an invalid schema (too deep, too many references).
pub(crate) const INVALID_SCHEMA: u32 = 42201;

/// Every limit the registry enforces. `Default` and the flags agree.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct Limits {
    /// Largest request body accepted, in bytes (413 above).
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES, value_name = "BYTES")]
    pub max_body_bytes: usize,
    /// Largest `schema` text accepted, in bytes (422, error code 42209, above).
    #[arg(long, default_value_t = DEFAULT_MAX_SCHEMA_BYTES, value_name = "BYTES")]
    pub max_schema_bytes: usize,
    /// Most `references` one schema may list.
    #[arg(long, default_value_t = DEFAULT_MAX_REFERENCES, value_name = "N")]
    pub max_references: usize,
    /// Longest chain of references (a schema referencing one that references ...).
    #[arg(long, default_value_t = DEFAULT_MAX_REFERENCE_DEPTH, value_name = "N")]
    pub max_reference_depth: usize,
    /// Deepest nesting of braces, brackets and parentheses in a schema (nested messages,
    /// option values), checked before compiling.
    #[arg(long, default_value_t = DEFAULT_MAX_NESTING_DEPTH, value_name = "N")]
    pub max_nesting_depth: usize,
    /// Most items (subjects, versions, schemas) one listing returns.
    #[arg(long, default_value_t = DEFAULT_MAX_PAGE_SIZE, value_name = "N")]
    pub max_page_size: usize,
    /// Time allowed for one request, body included, in seconds (408 after).
    #[arg(long, default_value_t = DEFAULT_REQUEST_TIMEOUT_SECS, value_name = "SECONDS")]
    pub request_timeout_secs: u64,
    /// Requests handled at once; more are refused with 503 and `Retry-After`.
    #[arg(long, default_value_t = DEFAULT_MAX_CONCURRENT_REQUESTS, value_name = "N")]
    pub max_concurrent_requests: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_schema_bytes: DEFAULT_MAX_SCHEMA_BYTES,
            max_references: DEFAULT_MAX_REFERENCES,
            max_reference_depth: DEFAULT_MAX_REFERENCE_DEPTH,
            max_nesting_depth: DEFAULT_MAX_NESTING_DEPTH,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
        }
    }
}

/// A limit a request broke, with the response it gets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// The schema text is larger than [`Limits::max_schema_bytes`] (42209).
    #[error("Register operation failed because schema is too large ({size} bytes; the limit is {limit})")]
    SchemaTooLarge {
        /// Size of the schema text.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The schema lists more than [`Limits::max_references`] references (42201).
    #[error("Invalid schema: {count} references; the limit is {limit}")]
    TooManyReferences {
        /// References listed.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The schema nests deeper than [`Limits::max_nesting_depth`] (42201).
    #[error("Invalid schema: nesting depth exceeds the limit of {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// A reference chain is longer than [`Limits::max_reference_depth`] (42201).
    #[error("Invalid schema: references nest deeper than the limit of {limit}")]
    ReferencesTooDeep {
        /// The limit.
        limit: usize,
    },
}

impl LimitError {
    /// The Confluent error code (the HTTP status is `code / 100`).
    pub fn error_code(&self) -> u32 {
        match self {
            LimitError::SchemaTooLarge { .. } => SCHEMA_TOO_LARGE,
            _ => INVALID_SCHEMA,
        }
    }
}

impl IntoResponse for LimitError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

impl Limits {
    /// The request timeout as a `Duration`.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }

    /// Checks a schema as submitted (`.proto` text, or a base64 `FileDescriptorProto`) and
    /// its reference count, cheaply and before any compilation.
    pub fn check_schema(&self, schema: &str, references: usize) -> Result<(), LimitError> {
        if schema.len() > self.max_schema_bytes {
            return Err(LimitError::SchemaTooLarge {
                size: schema.len(),
                limit: self.max_schema_bytes,
            });
        }
        if references > self.max_references {
            return Err(LimitError::TooManyReferences {
                count: references,
                limit: self.max_references,
            });
        }
        let limit = self.max_nesting_depth;
        let too_deep = if nesting_depth_exceeds(schema, limit) {
            true
        } else {
            descriptor_depth_exceeds(schema, limit)
        };
        if too_deep {
            return Err(LimitError::TooDeep { limit });
        }
        Ok(())
    }

    /// Checks the length of a reference chain, for the registry's reference resolver.
    pub fn check_reference_depth(&self, depth: usize) -> Result<(), LimitError> {
        if depth > self.max_reference_depth {
            return Err(LimitError::ReferencesTooDeep {
                limit: self.max_reference_depth,
            });
        }
        Ok(())
    }

    /// Clamps a requested page size (`limit` query parameter; `<= 0` or absent = as many as
    /// allowed) to [`Limits::max_page_size`].
    pub fn page_size(&self, requested: Option<i64>) -> usize {
        match requested {
            Some(n) if n > 0 => usize::try_from(n)
                .unwrap_or(usize::MAX)
                .min(self.max_page_size),
            _ => self.max_page_size,
        }
    }
}

/// Whether `.proto` text nests `{`, `[`, `(` or `<` deeper than `limit`, ignoring string
/// literals and comments. Linear, no recursion, no allocation.
pub(crate) fn nesting_depth_exceeds(text: &str, limit: usize) -> bool {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' | b'(' | b'<' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' | b')' | b'>' => depth = depth.saturating_sub(1),
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Whether a base64 `FileDescriptorProto` nests messages deeper than `limit`. Text that is
/// not base64 of a descriptor is left to the compiler (`false`).
fn descriptor_depth_exceeds(schema: &str, limit: usize) -> bool {
    let trimmed = schema.trim();
    if trimmed.is_empty()
        || !trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return false;
    }
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(trimmed) else {
        return false;
    };
    // prost bounds its own decoding recursion (100 levels); deeper input fails to decode
    // here and is rejected by the compiler as an invalid schema.
    let Ok(file) = prost_types::FileDescriptorProto::decode(bytes.as_slice()) else {
        return false;
    };
    let mut stack: Vec<(&prost_types::DescriptorProto, usize)> =
        file.message_type.iter().map(|m| (m, 1)).collect();
    while let Some((message, depth)) = stack.pop() {
        if depth > limit {
            return true;
        }
        stack.extend(message.nested_type.iter().map(|m| (m, depth + 1)));
    }
    false
}

/// Builds the limits layer. Add it around the router, inside the auth layer if any.
pub(crate) fn layer(limits: &Limits) -> LimitsLayer {
    LimitsLayer {
        inner: Arc::new(Enforcer {
            limits: limits.clone(),
            in_flight: AtomicUsize::new(0),
            max_in_flight: limits.max_concurrent_requests.max(1),
        }),
    }
}

/// The tower layer returned by [`layer`].
#[derive(Debug, Clone)]
pub(crate) struct LimitsLayer {
    inner: Arc<Enforcer>,
}

#[derive(Debug)]
struct Enforcer {
    limits: Limits,
    /// Requests being handled now.
    in_flight: AtomicUsize,
    /// [`Limits::max_concurrent_requests`], at least 1.
    max_in_flight: usize,
}

impl<S> Layer<S> for LimitsLayer {
    type Service = LimitsService<S>;

    fn layer(&self, inner: S) -> LimitsService<S> {
        LimitsService {
            enforcer: self.inner.clone(),
            inner,
        }
    }
}

/// The service [`LimitsLayer`] wraps around the router.
#[derive(Debug, Clone)]
pub(crate) struct LimitsService<S> {
    enforcer: Arc<Enforcer>,
    inner: S,
}

/// One request counted in [`Enforcer::in_flight`] until dropped.
#[derive(Debug)]
struct Permit(Arc<Enforcer>);

impl Permit {
    /// Counts a request in, or `None` when [`Enforcer::max_in_flight`] are in already.
    fn acquire(enforcer: &Arc<Enforcer>) -> Option<Permit> {
        let before = enforcer.in_flight.fetch_add(1, AtomicOrdering::Acquire);
        let permit = Permit(enforcer.clone());
        (before < enforcer.max_in_flight).then_some(permit)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, AtomicOrdering::Release);
    }
}

impl<S> Service<Request<Body>> for LimitsService<S>
where
    S: Service<Request<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = LimitsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let Some(permit) = Permit::acquire(&self.enforcer) else {
            return LimitsFuture::Done {
                response: Answered::new(ApiError::Overloaded),
            };
        };
        let timeout = self.enforcer.limits.request_timeout();
        let deadline = tokio::time::Instant::now() + timeout;
        // The hot path (GETs): an empty body needs neither buffering nor checks, so the
        // router's future runs as it is, unboxed.
        if axum::body::HttpBody::size_hint(req.body()).exact() == Some(0) {
            return LimitsFuture::Direct {
                inner: self.inner.call(req),
                timer: Timer::new(deadline, timeout),
                _permit: permit,
            };
        }
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let enforcer = self.enforcer.clone();
        LimitsFuture::Buffered {
            inner: Box::pin(async move { enforcer.handle(inner, req).await }),
            timer: Timer::new(deadline, timeout),
            _permit: permit,
        }
    }
}

/// The request timeout of one request. Its timer is armed only when the request first
/// waits: a request answered on its first poll (a cached GET) never touches the timer
/// wheel, and one that waits still times out at the same instant.
#[derive(Debug)]
struct Timer {
    deadline: tokio::time::Instant,
    timeout: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Timer {
    fn new(deadline: tokio::time::Instant, timeout: Duration) -> Timer {
        Timer {
            deadline,
            timeout,
            sleep: None,
        }
    }

    /// `Ready` with the 408 once the deadline has passed; registers the waker otherwise.
    fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<Response> {
        let deadline = self.deadline;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                Poll::Ready(ApiError::TimedOut(self.timeout.as_secs()).into_response())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`LimitsService`]: the request (holding its in-flight permit) raced
    /// against the request timeout.
    #[project = LimitsProj]
    pub(crate) enum LimitsFuture<F> {
        /// Refused before it ran (overloaded).
        Done { response: Answered },
        /// An empty-body request, straight to the router.
        Direct {
            #[pin]
            inner: F,
            timer: Timer,
            _permit: Permit,
        },
        /// A request whose body is read and checked first.
        Buffered {
            inner: Pin<Box<dyn Future<Output = Response> + Send>>,
            timer: Timer,
            _permit: Permit,
        },
    }
}

impl<F, R> Future for LimitsFuture<F>
where
    F: Future<Output = Result<R, Infallible>>,
    R: IntoResponse,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (polled, timer) = match self.project() {
            LimitsProj::Done { response } => return Poll::Ready(Ok(response.take())),
            LimitsProj::Direct { inner, timer, .. } => (
                match inner.poll(cx) {
                    Poll::Ready(Ok(response)) => Poll::Ready(response.into_response()),
                    Poll::Ready(Err(never)) => match never {},
                    Poll::Pending => Poll::Pending,
                },
                timer,
            ),
            LimitsProj::Buffered { inner, timer, .. } => (inner.as_mut().poll(cx), timer),
        };
        match polled {
            Poll::Ready(response) => Poll::Ready(Ok(response)),
            Poll::Pending => timer.poll_expired(cx).map(Ok),
        }
    }
}

impl Enforcer {
    /// Reads and checks a request's body, then passes the request on with the body in
    /// memory and the body limit of axum's extractors raised to [`Limits::max_body_bytes`].
    async fn handle<S>(&self, inner: S, req: Request<Body>) -> Response
    where
        S: Service<Request<Body>, Error = Infallible>,
        S::Response: IntoResponse,
    {
        let max = self.limits.max_body_bytes;
        let too_large = || ApiError::PayloadTooLarge(Some(max)).into_response();
        let (parts, body) = req.into_parts();
        let bytes = match read_body(body, max).await {
            Ok(bytes) => bytes,
            Err(BodyError::TooLarge) => return too_large(),
            Err(BodyError::Read(err)) => {
                return ApiError::BadRequest(format!("Could not read the request body: {err}"))
                    .into_response()
            }
        };
        if parts.method == Method::POST || parts.method == Method::PUT {
            if let Err(err) = self.check_body(&bytes) {
                return err.into_response();
            }
        }
        let req = Request::from_parts(parts, Body::from(bytes));
        let mut inner = axum::extract::DefaultBodyLimit::max(max).layer(inner);
        match inner.call(req).await {
            Ok(response) => response.into_response(),
            Err(never) => match never {},
        }
    }

    /// Applies the schema limits to a JSON body carrying a `schema`; other bodies pass
    /// unchanged (the handlers answer malformed JSON themselves).
    fn check_body(&self, bytes: &[u8]) -> Result<(), LimitError> {
        #[derive(serde::Deserialize)]
        struct SchemaBody<'a> {
            #[serde(borrow, default)]
            schema: Option<std::borrow::Cow<'a, str>>,
            #[serde(default)]
            references: Option<Vec<serde::de::IgnoredAny>>,
        }
        let Ok(body) = serde_json::from_slice::<SchemaBody<'_>>(bytes) else {
            return Ok(());
        };
        let Some(schema) = body.schema else {
            return Ok(());
        };
        self.limits
            .check_schema(&schema, body.references.map_or(0, |r| r.len()))
    }
}

/// Why a body was not read.
enum BodyError {
    /// Longer than the limit.
    TooLarge,
    /// The connection failed while reading.
    Read(axum::Error),
}

/// How much of an over-long body is read and discarded so the client receives the 413
/// instead of a reset connection (a multiple of the limit, bounded by the request timeout).
const DRAIN_FACTOR: usize = 4;

/// Reads a body of at most `max` bytes. An over-long body is drained (read and discarded, up
/// to [`DRAIN_FACTOR`] times the limit) before answering, so that clients that send the whole
/// body before reading the response see the 413.
async fn read_body(mut body: Body, max: usize) -> Result<Bytes, BodyError> {
    use http_body_util::BodyExt as _;
    let declared = axum::body::HttpBody::size_hint(&body).upper();
    let mut buf = Vec::new();
    let mut seen: usize = 0;
    let mut too_large = declared.is_some_and(|n| n > max as u64);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Read)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen > max {
            too_large = true;
        }
        if too_large {
            if seen > max.saturating_mul(DRAIN_FACTOR) {
                break;
            }
        } else {
            buf.extend_from_slice(&data);
        }
    }
    if too_large {
        Err(BodyError::TooLarge)
    } else {
        Ok(Bytes::from(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, StatusCode};
    use axum::routing::{get, post};
    use axum::Router;
    use tower::ServiceExt as _;

    #[test]
    fn nesting_scan_skips_strings_and_comments() {
        assert!(!nesting_depth_exceeds("message A { message B { } }", 2));
        assert!(nesting_depth_exceeds(
            "message A { message B { message C {} } }",
            2
        ));
        assert!(!nesting_depth_exceeds(
            "message A { string s = 1 [default = \"{{{{\"]; }",
            2
        ));
        assert!(!nesting_depth_exceeds("// {{{{\nmessage A {}", 1));
        assert!(!nesting_depth_exceeds("/* {{{{ */ message A {}", 1));
        assert!(!nesting_depth_exceeds(
            "message A { string s = 1 [default = 'a\\'{{{']; }",
            2
        ));
        assert!(nesting_depth_exceeds(
            "option (x) = { a: { b: < c: [ 1 ] > } };",
            3
        ));
        assert!(!nesting_depth_exceeds(
            "option (x) = { a: { b: < c: [ 1 ] > } };",
            4
        ));
        assert!(!nesting_depth_exceeds("/* unterminated {{{{", 1));
        let deep = "message M {".repeat(100_000) + &"}".repeat(100_000);
        assert!(nesting_depth_exceeds(&deep, 64));
    }

    #[test]
    fn descriptor_nesting_is_measured() {
        fn nested(depth: usize) -> prost_types::DescriptorProto {
            let mut m = prost_types::DescriptorProto {
                name: Some("M".into()),
                ..Default::default()
            };
            for _ in 1..depth {
                m = prost_types::DescriptorProto {
                    name: Some("M".into()),
                    nested_type: vec![m],
                    ..Default::default()
                };
            }
            m
        }
        let encode = |depth| {
            let file = prost_types::FileDescriptorProto {
                name: Some("a.proto".into()),
                message_type: vec![nested(depth)],
                ..Default::default()
            };
            base64::engine::general_purpose::STANDARD.encode(file.encode_to_vec())
        };
        let limits = Limits {
            max_nesting_depth: 10,
            ..Limits::default()
        };
        assert_eq!(limits.check_schema(&encode(10), 0), Ok(()));
        assert_eq!(
            limits.check_schema(&encode(11), 0),
            Err(LimitError::TooDeep { limit: 10 })
        );
    }

    #[test]
    fn schema_checks() {
        let limits = Limits {
            max_schema_bytes: 20,
            max_references: 1,
            ..Limits::default()
        };
        assert_eq!(limits.check_schema("message A {}", 1), Ok(()));
        assert_eq!(
            limits.check_schema("message AAAAAAAAAAAAAAAAAAAA {}", 0),
            Err(LimitError::SchemaTooLarge {
                size: 31,
                limit: 20
            })
        );
        assert_eq!(
            limits.check_schema("message A {}", 2),
            Err(LimitError::TooManyReferences { count: 2, limit: 1 })
        );
        assert!(limits.check_reference_depth(32).is_ok());
        assert!(limits.check_reference_depth(33).is_err());
        assert_eq!(limits.page_size(None), 1000);
        assert_eq!(limits.page_size(Some(-1)), 1000);
        assert_eq!(limits.page_size(Some(5)), 5);
        assert_eq!(limits.page_size(Some(i64::MAX)), 1000);
    }

    #[test]
    fn flags_and_default_agree() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            limits: Limits,
        }
        let parsed = <Cli as clap::Parser>::try_parse_from(["x"]).unwrap();
        assert_eq!(parsed.limits, Limits::default());
        let parsed =
            <Cli as clap::Parser>::try_parse_from(["x", "--max-body-bytes", "10"]).unwrap();
        assert_eq!(parsed.limits.max_body_bytes, 10);
    }

    fn app(limits: Limits) -> Router {
        Router::new()
            .route(
                "/subjects/{s}/versions",
                post(|body: String| async move { body }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .layer(layer(&limits))
    }

    async fn send(
        app: &Router,
        method: &str,
        uri: &str,
        body: &str,
    ) -> (StatusCode, serde_json::Value) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(body.to_owned()))
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    #[tokio::test]
    async fn layer_enforces_request_limits() {
        let app = app(Limits {
            max_body_bytes: 100,
            max_nesting_depth: 3,
            ..Limits::default()
        });
        let (status, body) = send(&app, "POST", "/subjects/x/versions", &"x".repeat(101)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["error_code"], 413);
        let ok = r#"{"schema":"message A { }"}"#;
        assert_eq!(
            send(&app, "POST", "/subjects/x/versions", ok).await.0,
            StatusCode::OK
        );
        let deep = r#"{"schema":"message A { message B { message C { message D {} } } }"}"#;
        let (status, body) = send(&app, "POST", "/subjects/x/versions", deep).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error_code"], 42201);
        // Bodies that are not schema JSON pass through to the handler.
        assert_eq!(
            send(&app, "POST", "/subjects/x/versions", "{{{{").await.0,
            StatusCode::OK
        );
    }

    /// A body that never arrives.
    struct Stalled;

    impl axum::body::HttpBody for Stalled {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
            Poll::Pending
        }
    }

    #[tokio::test]
    async fn a_stalled_body_times_out_and_frees_its_place() {
        let app = app(Limits {
            request_timeout_secs: 1,
            max_concurrent_requests: 1,
            ..Limits::default()
        });
        let req = Request::builder()
            .method("POST")
            .uri("/subjects/x/versions")
            .body(Body::new(Stalled))
            .unwrap();
        let started = std::time::Instant::now();
        let resp = app.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::REQUEST_TIMEOUT);
        assert!(started.elapsed() >= Duration::from_secs(1));
        // The one place the timed-out request held is free again.
        let ok = r#"{"schema":"message A { }"}"#;
        assert_eq!(
            send(&app, "POST", "/subjects/x/versions", ok).await.0,
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn layer_times_out_and_sheds_load() {
        let app = app(Limits {
            request_timeout_secs: 1,
            max_concurrent_requests: 1,
            ..Limits::default()
        });
        let slow = tokio::spawn({
            let app = app.clone();
            async move { send(&app, "GET", "/slow", "").await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let req = Request::builder().uri("/slow").body(Body::empty()).unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
        let (status, body) = slow.await.unwrap();
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        assert_eq!(body["error_code"], 408);
    }
}
