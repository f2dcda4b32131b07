//! Extractors that own their rejections, so every failure is Confluent JSON: `Json<T>`
//! (any content type, 413 for oversized bodies), `Path<T>` (a path parameter that does not
//! parse is a 404), the typed paths `SubjectPath` and `SubjectVersionPath` (parsed with the
//! domain's own parsers), `Query<T>` (a typed query struct with JAX-RS semantics:
//! case-insensitive booleans, unknown parameters ignored, an `int` that does not parse is a
//! 404), `Params` (the same semantics, untyped, for repeated parameters) and `ApiJson<T>`,
//! the JSON response with Confluent's media type.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde::Deserialize as _;
use serde::Serialize;

use crate::error::{ApiError, CONTENT_TYPE};
use crate::types::{Subject, Version};

/// A JSON request body. Any content type is accepted (Confluent accepts several and some
/// clients send none).
#[derive(Debug)]
pub(crate) struct Json<T>(pub T);

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
pub(crate) struct Path<T>(pub T);

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

/// The `{subject}` of a path, parsed as a [`Subject`] (a name that does not parse is the
/// same error a handler parsing it would give).
#[derive(Debug)]
pub(crate) struct SubjectPath(pub Subject);

impl<S: Send + Sync> FromRequestParts<S> for SubjectPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state).await?;
        Ok(SubjectPath(Subject::parse(&raw)?))
    }
}

/// The `{subject}` and `{version}` of a path. The version is parsed first, so a request
/// with both wrong gets the version's error, as from Confluent.
#[derive(Debug)]
pub(crate) struct SubjectVersionPath(pub Subject, pub Version);

impl<S: Send + Sync> FromRequestParts<S> for SubjectVersionPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path((subject, version)) =
            Path::<(String, String)>::from_request_parts(parts, state).await?;
        let version = Version::parse(&version)?;
        Ok(SubjectVersionPath(Subject::parse(&subject)?, version))
    }
}

/// Typed query parameters with JAX-RS semantics: `T`'s fields are read from the first
/// value of each parameter, unknown parameters are ignored, booleans are read with
/// [`flag`] and integers with [`int`], whose failure is Jersey's 404.
#[derive(Debug)]
pub(crate) struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let mut fields = serde_json::Map::new();
        for (name, value) in Params::parse(parts.uri.query()).0 {
            fields
                .entry(name)
                .or_insert(serde_json::Value::String(value));
        }
        serde_json::from_value(serde_json::Value::Object(fields))
            .map(Query)
            .map_err(|_| ApiError::NotFound)
    }
}

/// A boolean query parameter as `Boolean.valueOf` reads it: case-insensitive `true` is
/// true, anything else false, never an error. For `#[serde(deserialize_with = "flag")]`.
pub(crate) fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let raw = String::deserialize(d)?;
    Ok(raw.eq_ignore_ascii_case("true"))
}

/// An `int` query parameter as Jersey reads one (see [`Params::int`]). For
/// `#[serde(deserialize_with = "int")]` on an `Option<i64>`.
pub(crate) fn int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let raw = String::deserialize(d)?;
    parse_int(&raw).map_err(|_| serde::de::Error::custom("not an int"))
}

/// `Integer.valueOf` for a present parameter: blank is `None`.
fn parse_int(raw: &str) -> Result<Option<i64>, ApiError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    raw.parse::<i32>()
        .map(|n| Some(i64::from(n)))
        .map_err(|_| ApiError::NotFound)
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
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// Parses a raw query string (`+` is a space, values percent-decoded).
    pub(crate) fn parse(query: Option<&str>) -> Params {
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
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated parameter (`key=a&key=b`), in order.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `Boolean.valueOf`: case-insensitive `true` is true, anything else false.
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
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
pub(crate) struct ApiJson<T>(pub T);

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
pub(crate) fn json_bytes(body: Bytes) -> Response {
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
        let int = |name: &str| p.get(name).map_or(Ok(None), parse_int);
        assert_eq!(int("a").unwrap(), Some(5));
        assert_eq!(int("b").unwrap(), Some(-1));
        assert_eq!(int("c").unwrap(), Some(7));
        assert_eq!(int("d").unwrap(), None);
        assert_eq!(int("e").unwrap(), None);
        assert_eq!(int("missing").unwrap(), None);
        for bad in ["f", "g", "h", "i", "j"] {
            assert_eq!(int(bad).unwrap_err().error_code(), 404, "{bad}");
        }
    }
}
