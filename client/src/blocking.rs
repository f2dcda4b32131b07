//! The blocking HTTP client (ureq): one registry's base URL and credentials, requests
//! sent with the Confluent media type, and every HTTP status answered as data
//! ([`Answer`]) so callers decide what a 404 means; only transport failures are errors
//! of [`Client::send`].

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::path::CONTENT_TYPE;
use crate::wire::ErrorBody;

/// Credentials for one registry.
#[derive(Debug, Clone, Default)]
pub enum Credentials {
    /// No `Authorization` header.
    #[default]
    None,
    /// HTTP Basic from `user:password`.
    Basic(String),
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

/// Why credentials given as flags cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsError {
    /// Both Basic credentials and a bearer token were given.
    Both,
    /// Basic credentials without a `:` between user and password.
    NoColon,
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CredentialsError::Both => "give either user:password or a bearer token, not both",
            CredentialsError::NoColon => "credentials must be user:password",
        })
    }
}

impl std::error::Error for CredentialsError {}

impl Credentials {
    /// Picks Basic (`user:password`) or bearer credentials; both at once is an error.
    pub fn from_flags(
        basic: Option<String>,
        token: Option<String>,
    ) -> Result<Credentials, CredentialsError> {
        match (basic, token) {
            (Some(_), Some(_)) => Err(CredentialsError::Both),
            (Some(user_info), None) if !user_info.contains(':') => Err(CredentialsError::NoColon),
            (Some(user_info), None) => Ok(Credentials::Basic(user_info)),
            (None, Some(token)) => Ok(Credentials::Bearer(token)),
            (None, None) => Ok(Credentials::None),
        }
    }

    /// The `Authorization` header's value, if any.
    fn header(&self) -> Option<String> {
        match self {
            Credentials::None => None,
            Credentials::Basic(user_info) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(user_info)
            )),
            Credentials::Bearer(token) => Some(format!("Bearer {token}")),
        }
    }
}

/// A request that got no HTTP answer (connection refused, timeout, unreadable body), or
/// an answer that is not what the caller needs (a status it cannot use, a body that does
/// not parse). Its text names the request: `GET http://…/subjects: HTTP 404: …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    message: String,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {}

/// An HTTP answer: its status and body text, and the request it answers (for messages).
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body as text.
    pub text: String,
    what: String,
}

impl Answer {
    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON: a string when it is not JSON, `Null` when it is empty.
    pub fn body(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(if self.text.is_empty() {
            Value::Null
        } else {
            Value::String(self.text.clone())
        })
    }

    /// The Confluent error body, when the answer carries one.
    pub fn error_body(&self) -> Option<ErrorBody> {
        serde_json::from_str(&self.text).ok()
    }

    /// The Confluent `error_code`, when the body carries one.
    pub fn error_code(&self) -> Option<i64> {
        self.body().get("error_code").and_then(Value::as_i64)
    }

    /// `GET url: HTTP 422: message (error code 42205)`.
    pub fn describe(&self) -> String {
        let body = self.body();
        let detail = match (
            body.get("message").and_then(Value::as_str),
            body.get("error_code").and_then(Value::as_i64),
        ) {
            (Some(message), Some(code)) => format!("{message} (error code {code})"),
            (Some(message), None) => message.to_owned(),
            _ if body.is_string() => self.text.clone(),
            _ => body.to_string(),
        };
        format!("{}: HTTP {}: {detail}", self.what, self.status)
    }

    fn refused(&self) -> TransportError {
        TransportError {
            message: self.describe(),
        }
    }

    /// The JSON body of a 2xx answer; any other status is an error naming the request.
    pub fn ok(self) -> Result<Value, TransportError> {
        if self.is_success() {
            return Ok(self.body());
        }
        Err(self.refused())
    }

    /// The JSON body of a 2xx answer, `None` for a 404, an error otherwise.
    pub fn found(self) -> Result<Option<Value>, TransportError> {
        if self.status == 404 {
            return Ok(None);
        }
        self.ok().map(Some)
    }

    /// The body of a 2xx answer parsed as `T`; another status, or a body that is not a
    /// `T`, is an error naming the request.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, TransportError> {
        if !self.is_success() {
            return Err(self.refused());
        }
        serde_json::from_str(&self.text).map_err(|e| TransportError {
            message: format!("{}: malformed response: {e}", self.what),
        })
    }

    /// [`Answer::json`], with a 404 (an ID or subject the registry does not have) as
    /// `None`.
    pub fn found_json<T: DeserializeOwned>(&self) -> Result<Option<T>, TransportError> {
        if self.status == 404 {
            return Ok(None);
        }
        self.json().map(Some)
    }
}

/// One registry's REST API, over blocking HTTP.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    label: Option<&'static str>,
    authorization: Option<String>,
    agent: ureq::Agent,
}

impl Client {
    /// A client for the registry at `url` (e.g. `http://127.0.0.1:8081`), without
    /// credentials, with a 5-second connect timeout and `timeout` for a whole request.
    pub fn new(url: &str, timeout: Duration) -> Client {
        Client {
            base: url.trim_end_matches('/').to_owned(),
            label: None,
            authorization: None,
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5).min(timeout))
                .timeout(timeout)
                .build(),
        }
    }

    /// The same client sending `credentials`.
    pub fn with_credentials(mut self, credentials: &Credentials) -> Client {
        self.authorization = credentials.header();
        self
    }

    /// The same client naming itself `label` (`source`, `target`) in every message.
    pub fn labelled(mut self, label: &'static str) -> Client {
        self.label = Some(label);
        self
    }

    /// The base URL, without a trailing `/`.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Sends one request; `path` starts with `/` and is already encoded (see
    /// [`crate::path`]). Any HTTP status is an [`Answer`].
    pub fn send<B: Serialize + ?Sized>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<Answer, TransportError> {
        let url = format!("{}{path}", self.base);
        let what = match self.label {
            Some(label) => format!("{label} {method} {url}"),
            None => format!("{method} {url}"),
        };
        let mut request = self.agent.request(method, &url).set("Accept", CONTENT_TYPE);
        if let Some(value) = &self.authorization {
            request = request.set("Authorization", value);
        }
        let result = match body {
            Some(body) => request.set("Content-Type", CONTENT_TYPE).send_json(body),
            None => request.call(),
        };
        let response = match result {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(other) => {
                return Err(TransportError {
                    message: format!("{what}: {other}"),
                })
            }
        };
        let status = response.status();
        let text = response.into_string().map_err(|e| TransportError {
            message: format!("{what}: reading the answer: {e}"),
        })?;
        Ok(Answer { status, text, what })
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Result<Answer, TransportError> {
        self.send::<()>("GET", path, None)
    }
}
