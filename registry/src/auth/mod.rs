//! Authentication and per-hunt authorization, as one self-contained tower layer.
//!
//! [`layer`] wraps the whole router: every request is classified into (hunts, action) from
//! its method and path ([`classify`]), its credentials (HTTP Basic or a bearer token) are
//! verified against the principals of an [`AuthConfig`], and the principal's grants must
//! cover the action on every hunt. Failures are answered in Confluent's error JSON:
//! `401 {"error_code":40101,...}` with `WWW-Authenticate: Basic realm="huntreg"` when
//! credentials are missing or wrong, `403 {"error_code":40301,...}` when they are valid but
//! not enough. A request let through carries a [`Caller`] extension (and, when it was
//! authenticated, an [`AuthenticatedPrincipal`]): handlers consult it for what the path does
//! not show, such as the hunts a schema's references reach into.

mod classify;
mod config;
mod verify;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{header, HeaderValue, Request};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::error::ApiError;

pub use classify::{classify, Access, Action, Scope, DEFAULT_HUNT};
pub use config::AuthConfig;
pub(crate) use config::ConfigError;
pub use verify::{generate_token, hash_secret, verify_secret};

use config::Grants;
use verify::{parse_authorization, Verifier};

/// The principal a request was authenticated as, inserted into request extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthenticatedPrincipal(pub Arc<str>);

/// Who made a request and what its grants allow, for the checks a handler makes beyond the
/// path (resolving a reference is a read of the referenced subject's hunt).
///
/// Without an auth config every request is [`Caller::unrestricted`].
#[derive(Debug, Clone)]
pub struct Caller {
    /// The principal's name; `None` for anonymous or unrestricted callers.
    name: Option<Arc<str>>,
    /// `None` when no auth config is in force.
    grants: Option<Grants>,
}

impl Caller {
    /// A caller allowed everything: the registry runs without an auth config.
    pub fn unrestricted() -> Caller {
        Caller {
            name: None,
            grants: None,
        }
    }

    /// Whether the caller may `action` on `scope`.
    pub fn may(&self, action: Action, scope: &Scope) -> bool {
        self.grants
            .as_ref()
            .is_none_or(|g| g.allows_on(action, scope))
    }

    /// `Ok` when the caller may `action` on `scope`; otherwise the 403 message, worded as
    /// the auth layer words it, which depends only on the request, never on stored data.
    pub fn require(&self, action: Action, scope: &Scope) -> Result<(), String> {
        if self.may(action, scope) {
            return Ok(());
        }
        Err(match &self.name {
            Some(name) => format!("Forbidden: principal '{name}' may not {action} {scope}"),
            None => format!("Forbidden: anonymous requests may not {action} {scope}"),
        })
    }

    /// `Ok` when the caller may read subjects of `ctx`; otherwise the API's 403.
    pub fn require_read(&self, ctx: &crate::types::Context) -> Result<(), crate::error::ApiError> {
        self.require(Action::Read, &Scope::of_context(ctx))
            .map_err(crate::error::ApiError::Forbidden)
    }
}

/// Builds the auth layer for a config. Add it once, outermost, around the whole router
/// (`router.layer(auth::layer(cfg))`) so that unknown paths are guarded too.
pub fn layer(config: AuthConfig) -> AuthLayer {
    let AuthConfig {
        principals,
        anonymous,
        realm,
    } = config;
    let principals: Arc<[config::Principal]> = principals.into();
    let challenge = HeaderValue::from_str(&format!("Basic realm=\"{realm}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("Basic realm=\"huntreg\""));
    let names = principals
        .iter()
        .map(|p| Arc::<str>::from(p.name.as_str()))
        .collect();
    AuthLayer {
        inner: Arc::new(Authenticator {
            verifier: Verifier::new(principals),
            names,
            anonymous,
            challenge,
        }),
    }
}

/// The tower layer returned by [`layer`].
#[derive(Debug, Clone)]
pub struct AuthLayer {
    inner: Arc<Authenticator>,
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService {
            auth: self.inner.clone(),
            inner,
        }
    }
}

/// The service [`AuthLayer`] wraps around the router.
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    auth: Arc<Authenticator>,
    inner: S,
}

impl<S> Service<Request<Body>> for AuthService<S>
where
    S: Service<Request<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        // The clone is fresh and not ready; keep the ready one for this call (tower idiom).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let auth = self.auth.clone();
        Box::pin(async move {
            let access = classify(req.method(), req.uri());
            let credentials = req.headers().get(header::AUTHORIZATION).cloned();
            match auth.decide(credentials.as_ref(), &access).await {
                Ok(caller) => {
                    if let Some(name) = &caller.name {
                        req.extensions_mut()
                            .insert(AuthenticatedPrincipal(name.clone()));
                    }
                    req.extensions_mut().insert(caller);
                    Ok(inner.call(req).await.into_response())
                }
                Err(denied) => Ok(denied),
            }
        })
    }
}

/// The shared state of the layer.
struct Authenticator {
    verifier: Verifier,
    names: Vec<Arc<str>>,
    anonymous: Option<Grants>,
    challenge: HeaderValue,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("verifier", &self.verifier)
            .field("anonymous", &self.anonymous.is_some())
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// The [`Caller`] of an allowed request (named, or anonymous), `Err(response)` otherwise.
    async fn decide(
        &self,
        credentials: Option<&HeaderValue>,
        access: &Access,
    ) -> Result<Caller, Response> {
        let Some(value) = credentials else {
            return match &self.anonymous {
                Some(grants) if grants.allows(access) => Ok(Caller {
                    name: None,
                    grants: Some(grants.clone()),
                }),
                Some(_) => Err(self.unauthorized(&format!(
                    "Unauthorized: anonymous requests may not {} {}; send credentials",
                    access.action,
                    describe(access)
                ))),
                None => Err(self.unauthorized(
                    "Unauthorized: credentials are required (HTTP Basic or a bearer token)",
                )),
            };
        };
        let index = match self.verifier.cached_header(value.as_bytes()) {
            Some(index) => index,
            None => {
                let credential = match parse_authorization(value) {
                    Ok(c) => c,
                    Err(why) => return Err(self.unauthorized(&format!("Unauthorized: {why}"))),
                };
                let Some(index) = self.verifier.verify(&credential).await else {
                    return Err(self.unauthorized("Unauthorized: invalid credentials"));
                };
                self.verifier.remember_header(value.as_bytes(), index);
                index
            }
        };
        let (Some(principal), Some(name)) = (self.verifier.principal(index), self.names.get(index))
        else {
            return Err(self.unauthorized("Unauthorized: invalid credentials"));
        };
        if principal.grants.allows(access) {
            Ok(Caller {
                name: Some(name.clone()),
                grants: Some(principal.grants.clone()),
            })
        } else {
            Err(ApiError::Forbidden(format!(
                "Forbidden: principal '{}' may not {} {}",
                principal.name,
                access.action,
                describe(access)
            ))
            .into_response())
        }
    }

    fn unauthorized(&self, message: &str) -> Response {
        let mut response = ApiError::Unauthorized(message.to_owned()).into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, self.challenge.clone());
        response
    }
}

fn describe(access: &Access) -> String {
    match access.scopes.as_slice() {
        [] => "this resource".to_owned(),
        scopes => scopes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" and "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    use axum::Router;
    use base64::Engine as _;
    use tower::ServiceExt as _;

    fn app(config: &str) -> Router {
        Router::new()
            .route(
                "/subjects/{subject}/versions",
                post(|| async { "registered" }).get(|| async { "[1]" }),
            )
            .route("/config", get(|| async { "{}" }).put(|| async { "{}" }))
            .route("/", get(|| async { "{}" }))
            .layer(layer(AuthConfig::from_toml(config).unwrap()))
    }

    fn config() -> String {
        let ci = hash_secret("ci-pw").unwrap();
        let token = hash_secret("dash-token").unwrap();
        format!(
            r#"
[[principals]]
name = "ci"
password_hash = "{ci}"
grants = [{{ hunts = ["hunt-*"], actions = ["write"] }}]

[[principals]]
name = "dash"
token_hash = "{token}"
grants = [{{ hunts = ["*"], actions = ["admin"] }}]
"#
        )
    }

    fn basic(user: &str, pw: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
        )
    }

    async fn send(
        app: &Router,
        method: &str,
        uri: &str,
        auth: Option<&str>,
    ) -> (StatusCode, Response) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        let resp = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        (resp.status(), resp)
    }

    async fn json(resp: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn enforces_grants_per_hunt() {
        let app = app(&config());
        let ci = basic("ci", "ci-pw");
        let (status, resp) = send(&app, "POST", "/subjects/:.hunt-1:x/versions", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            resp.headers()[header::WWW_AUTHENTICATE],
            "Basic realm=\"huntreg\""
        );
        assert_eq!(json(resp).await["error_code"], 40101);

        let (status, _) = send(&app, "POST", "/subjects/:.hunt-1:x/versions", Some(&ci)).await;
        assert_eq!(status, StatusCode::OK);
        // Allowed through; this test router has no `/contexts` routes.
        let (status, _) = send(
            &app,
            "POST",
            "/contexts/.hunt-1/subjects/x/versions",
            Some(&ci),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (status, resp) = send(&app, "POST", "/subjects/:.other:x/versions", Some(&ci)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let body = json(resp).await;
        assert_eq!(body["error_code"], 40301);
        assert_eq!(
            body["message"],
            "Forbidden: principal 'ci' may not write hunt 'other'"
        );

        let (status, _) = send(&app, "PUT", "/config", Some(&ci)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = send(&app, "PUT", "/config", Some("Bearer dash-token")).await;
        assert_eq!(status, StatusCode::OK);

        let (status, _) = send(&app, "GET", "/", Some(&basic("ci", "wrong"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = send(&app, "GET", "/", Some("Bearer nope")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = send(&app, "GET", "/", Some("Negotiate abc")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // Unknown paths are guarded and server-wide.
        let (status, _) = send(&app, "GET", "/nope", Some(&ci)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = send(&app, "GET", "/nope", Some("Bearer dash-token")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn anonymous_grants() {
        let cfg = format!(
            "{}\n[anonymous]\ngrants = [{{ hunts = [\".\"], actions = [\"read\"] }}]\n",
            config()
        );
        let app = app(&cfg);
        let (status, _) = send(&app, "GET", "/subjects/x/versions", None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, resp) = send(&app, "POST", "/subjects/x/versions", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(resp.headers().contains_key(header::WWW_AUTHENTICATE));
        let (status, _) = send(&app, "GET", "/subjects/:.hunt-1:x/versions", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}
