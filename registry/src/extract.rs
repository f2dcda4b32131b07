//! Extractors that own their rejections, so every failure is Confluent JSON: `Json<T>`
//! (any content type, 413 for oversized bodies), `Path<T>` (a path parameter that does not
//! parse is a 404), `Params` (JAX-RS query semantics: case-insensitive booleans, unknown
//! parameters ignored, an `int` that does not parse is a 404) and `ApiJson<T>`, the JSON
//! response with Confluent's media type.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{ApiError, CONTENT_TYPE};

/// A JSON request body. Any content type is accepted (Confluent accepts several and some
/// clients send none).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(None)
            } else {
                ApiError::BadRequest(rejection.body_text())
            }
        })?;
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            None => return Err(ApiError::Unprocessable("The request body is empty".into())),
            // Every request body of the API is an object (serde would accept an array for a
            // struct).
            Some(b'{') => {}
            Some(_) => {
                return Err(ApiError::BadRequest(
                    "Invalid JSON body: expected a JSON object".into(),
                ))
            }
        }
        serde_json::from_slice(&bytes)
            .map(Json)
            .map_err(|e| ApiError::BadRequest(format!("Invalid JSON body: {e}")))
    }
}

/// Percent-decoded path parameters; any failure is a 404 as in Jersey.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|_| ApiError::NotFound)
    }
}

/// The request's [`Caller`](crate::auth::Caller), as the auth layer let it through; without
/// an auth config (no layer, no extension) the caller is unrestricted.
impl<S: Send + Sync> FromRequestParts<S> for crate::auth::Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<crate::auth::Caller>()
            .cloned()
            .unwrap_or_else(crate::auth::Caller::unrestricted))
    }
}

/// Query parameters with JAX-RS semantics.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses a raw query string (`+` is a space, values percent-decoded).
    pub fn parse(query: Option<&str>) -> Params {
        let Some(query) = query else {
            return Params::default();
        };
        let decode = |s: &str| {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        Params(
            query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| match pair.split_once('=') {
                    Some((k, v)) => (decode(k), decode(v)),
                    None => (decode(pair), String::new()),
                })
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated parameter (`key=a&key=b`), in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `Boolean.valueOf`: case-insensitive `true` is true, anything else false.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// An `int` parameter as Jersey reads one (`@QueryParam int offset`): absent, empty or
    /// blank is `None` (the default applies); otherwise `Integer.valueOf` must accept it (an
    /// optional sign and decimal digits, no spaces, within `i32`), or the request is Jersey's
    /// 404 (`{"error_code":404,"message":"HTTP 404 Not Found"}`).
    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.trim().is_empty() => Ok(None),
            Some(v) => v
                .parse::<i32>()
                .map(|n| Some(i64::from(n)))
                .map_err(|_| ApiError::NotFound),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Params::parse(parts.uri.query()))
    }
}

/// A JSON response with `Content-Type: application/vnd.schemaregistry.v1+json`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => json_bytes(Bytes::from(body)),
            Err(e) => {
                ApiError::Internal(format!("cannot serialize a response: {e}")).into_response()
            }
        }
    }
}

/// A pre-rendered JSON body with Confluent's media type.
pub fn json_bytes(body: Bytes) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_case_insensitive_and_lenient() {
        let p = Params::parse(Some(
            "normalize=False&deleted=TRUE&x&verbose=1&subject=%3A.h%3Aa",
        ));
        assert!(!p.flag("normalize"));
        assert!(p.flag("deleted"));
        assert!(!p.flag("verbose"));
        assert!(!p.flag("missing"));
        assert_eq!(p.get("subject"), Some(":.h:a"));
    }

    #[test]
    fn ints_parse_like_integer_value_of() {
        let p = Params::parse(Some(
            "a=5&b=-1&c=%2B7&d=&e=%20&f=x&g=1.5&h=2147483648&i=%205&j=1e3",
        ));
        assert_eq!(p.int("a").unwrap(), Some(5));
        assert_eq!(p.int("b").unwrap(), Some(-1));
        assert_eq!(p.int("c").unwrap(), Some(7));
        assert_eq!(p.int("d").unwrap(), None);
        assert_eq!(p.int("e").unwrap(), None);
        assert_eq!(p.int("missing").unwrap(), None);
        for bad in ["f", "g", "h", "i", "j"] {
            assert_eq!(p.int(bad).unwrap_err().error_code(), 404, "{bad}");
        }
    }
}
