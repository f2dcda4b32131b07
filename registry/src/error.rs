//! `ApiError`: every failure the API can answer, each with its Confluent error code, and
//! the one `IntoResponse` that writes `{"error_code": …, "message": …}`.

use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;
use crate::types::NameError;

/// The media type of every response.
pub(crate) const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// An API failure. The Confluent code is in each variant's doc and in [`ApiError::error_code`];
/// the HTTP status is the code's first three digits.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 404: unknown route, or a path parameter that does not parse (e.g. `/schemas/ids/abc`).
    #[error("HTTP 404 Not Found")]
    NotFound,
    /// 405: the route exists, the method does not.
    #[error("HTTP 405 Method Not Allowed")]
    MethodNotAllowed,
    /// 406: the `Accept` header admits none of the JSON media types the API produces.
    #[error("HTTP 406 Not Acceptable")]
    NotAcceptable,
    /// 400: malformed JSON, a type mismatch in the body, or a bad context name.
    #[error("{0}")]
    BadRequest(String),
    /// 413: the request body exceeds the configured limit (named when known).
    #[error("{}", match .0 { Some(limit) => format!("Request body is larger than the limit of {limit} bytes"), None => "Request body is too large".to_owned() })]
    PayloadTooLarge(Option<usize>),
    /// 408: the request did not finish within the configured time (seconds).
    #[error("Request timed out after {0}s")]
    TimedOut(u64),
    /// 503: too many requests in flight; the answer says when to retry.
    #[error("Too many requests in flight; retry shortly")]
    Overloaded,
    /// 40101: no credentials, or credentials that do not verify. The auth layer adds its
    /// challenge header.
    #[error("{0}")]
    Unauthorized(String),
    /// 42201 or 42209: a schema over one of the registry's limits.
    #[error(transparent)]
    Limit(#[from] crate::limits::LimitError),
    /// 422: a body that parses but lacks required content.
    #[error("{0}")]
    Unprocessable(String),
    /// 40301: the caller's grants do not cover a hunt the request reaches (for example
    /// through a schema reference). The message depends on the request alone.
    #[error("{0}")]
    Forbidden(String),
    /// 40401.
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    /// 40402.
    #[error("Version {0} not found.")]
    VersionNotFound(String),
    /// 40403, with the id when there is one.
    #[error("{}", match .0 { Some(id) => format!("Schema {id} not found"), None => "Schema not found".to_owned() })]
    SchemaNotFound(Option<u32>),
    /// 40403 for a GUID (`Schema {guid} not found`, the GUID as the request wrote it).
    #[error("Schema {0} not found")]
    GuidNotFound(String),
    /// 40404.
    #[error("Subject '{0}' was soft deleted.Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    /// 40405.
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    /// 40406.
    #[error("Subject '{0}' Version {1} was soft deleted.Set permanent=true to delete permanently")]
    VersionSoftDeleted(String, u32),
    /// 40407.
    #[error("Subject '{0}' Version {1} was not deleted first before being permanently deleted")]
    VersionNotSoftDeleted(String, u32),
    /// 40408.
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    SubjectConfigNotFound(String),
    /// 40409.
    #[error("Subject '{0}' does not have subject-level mode configured")]
    SubjectModeNotFound(String),
    /// 409 (Confluent ≤ 8.0.3, Karapace and Redpanda use 409; no client reads the code).
    #[error("{0}")]
    Incompatible(String),
    /// 42201.
    #[error("{0}")]
    InvalidSchema(String),
    /// 42202.
    #[error("The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"")]
    InvalidVersion(String),
    /// 42203.
    #[error("Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")]
    InvalidCompatibilityLevel,
    /// 42204.
    #[error("Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT.")]
    InvalidMode,
    /// 42205: the operation is not allowed in the current mode.
    #[error("{0}")]
    OperationNotPermitted(String),
    /// 42206.
    #[error("One or more references exist to the schema {{magic=1,keytype=SCHEMA,subject={0},version={1}}}.")]
    ReferenceExists(String, u32),
    /// 42208.
    #[error("The specified subject '{0}' is not a valid.")]
    InvalidSubject(String),
    /// 42211.
    #[error("The specified context '{0}' is not empty.")]
    ContextNotEmpty(String),
    /// 50001: the store failed. The message is generic; the cause is logged.
    #[error("Error in the backend data store")]
    Store(#[source] Arc<StoreError>),
    /// 500: a bug. The message is generic; the cause is logged.
    #[error("Internal Server Error")]
    Internal(String),
}

impl From<NameError> for ApiError {
    fn from(e: NameError) -> ApiError {
        match e {
            NameError::Context(message) => ApiError::BadRequest(message),
            NameError::Subject(subject) => ApiError::InvalidSubject(subject),
            NameError::Id => ApiError::NotFound,
            NameError::Version(version) => ApiError::InvalidVersion(version),
            NameError::Mode => ApiError::InvalidMode,
        }
    }
}

impl ApiError {
    /// The Confluent `error_code`.
    pub fn error_code(&self) -> u32 {
        match self {
            ApiError::NotFound => 404,
            ApiError::MethodNotAllowed => 405,
            ApiError::NotAcceptable => 406,
            ApiError::BadRequest(_) => 400,
            ApiError::PayloadTooLarge(_) => 413,
            ApiError::TimedOut(_) => 408,
            ApiError::Overloaded => 503,
            ApiError::Unauthorized(_) => 40101,
            ApiError::Limit(limit) => limit.error_code(),
            ApiError::Unprocessable(_) => 422,
            ApiError::Forbidden(_) => 40301,
            ApiError::SubjectNotFound(_) => 40401,
            ApiError::VersionNotFound(_) => 40402,
            ApiError::SchemaNotFound(_) | ApiError::GuidNotFound(_) => 40403,
            ApiError::SubjectSoftDeleted(_) => 40404,
            ApiError::SubjectNotSoftDeleted(_) => 40405,
            ApiError::VersionSoftDeleted(..) => 40406,
            ApiError::VersionNotSoftDeleted(..) => 40407,
            ApiError::SubjectConfigNotFound(_) => 40408,
            ApiError::SubjectModeNotFound(_) => 40409,
            ApiError::Incompatible(_) => 409,
            ApiError::InvalidSchema(_) => 42201,
            ApiError::InvalidVersion(_) => 42202,
            ApiError::InvalidCompatibilityLevel => 42203,
            ApiError::InvalidMode => 42204,
            ApiError::OperationNotPermitted(_) => 42205,
            ApiError::ReferenceExists(..) => 42206,
            ApiError::InvalidSubject(_) => 42208,
            ApiError::ContextNotEmpty(_) => 42211,
            ApiError::Store(_) => 50001,
            ApiError::Internal(_) => 500,
        }
    }

    /// The HTTP status: the first three digits of the code.
    pub fn status(&self) -> StatusCode {
        let code = self.error_code();
        let status = if code >= 1000 { code / 100 } else { code };
        StatusCode::from_u16(status as u16).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Renders the Confluent error body.
    pub fn body(&self) -> String {
        serde_json::json!({ "error_code": self.error_code(), "message": self.to_string() })
            .to_string()
    }
}

/// The cause of a 5xx, attached to the response for the logging middleware.
#[derive(Debug, Clone)]
pub(crate) struct ErrorCause(pub Arc<String>);

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        ApiError::Store(Arc::new(err))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), self.body()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if let ApiError::Overloaded = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        let cause = match &self {
            ApiError::Store(err) => Some(format!("store error: {err}")),
            ApiError::Internal(detail) => Some(detail.clone()),
            _ => None,
        };
        if let Some(cause) = cause {
            response
                .extensions_mut()
                .insert(ErrorCause(Arc::new(cause)));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_first_three_digits() {
        assert_eq!(ApiError::SubjectNotFound("s".into()).status(), 404);
        assert_eq!(ApiError::Incompatible("x".into()).status(), 409);
        assert_eq!(ApiError::InvalidVersion("x".into()).status(), 422);
        assert_eq!(ApiError::PayloadTooLarge(None).status(), 413);
        assert_eq!(ApiError::Unauthorized("x".into()).status(), 401);
        assert_eq!(ApiError::Overloaded.status(), 503);
        assert_eq!(
            ApiError::SchemaNotFound(Some(7)).to_string(),
            "Schema 7 not found"
        );
    }
}

/// A response a layer answers without calling what it wraps (a refused path, an
/// unacceptable `Accept`, an overloaded registry), held by that layer's future until it is
/// polled.
#[derive(Debug)]
pub(crate) struct Answered(Option<Response>);

impl Answered {
    /// Holds `response` for the first poll.
    pub(crate) fn new(response: impl IntoResponse) -> Answered {
        Answered(Some(response.into_response()))
    }

    /// The response; a future polled again after it completed (a caller's bug) gets a 500
    /// rather than a panic.
    pub(crate) fn take(&mut self) -> Response {
        self.0.take().unwrap_or_else(|| {
            ApiError::Internal("a future was polled after it completed".into()).into_response()
        })
    }
}
