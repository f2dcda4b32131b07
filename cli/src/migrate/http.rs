//! The HTTP side of `huntreg import --from`: a small blocking client for the Confluent
//! REST API (ureq), with Basic or bearer credentials, answering every HTTP status as data
//! so callers decide what a 404 means; only transport failures are errors.

use std::time::Duration;

use anyhow::{bail, Context as _};
use base64::Engine as _;
use huntreg_store::types::Subject;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

/// Characters kept as-is in a path segment (RFC 3986 unreserved); `/` and `:` are encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// The source registry's credentials, as `export --from` and `import --from` take them.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SourceCredentials {
    /// Source registry credentials for HTTP Basic (read on every hunt copied).
    #[arg(
        long,
        value_name = "USER:PASSWORD",
        env = "HUNTREG_FROM_USER_INFO",
        hide_env_values = true
    )]
    from_user_info: Option<String>,
    /// Source registry bearer token (the same grants as --from-user-info).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "HUNTREG_FROM_TOKEN",
        hide_env_values = true
    )]
    from_token: Option<String>,
}

impl SourceCredentials {
    /// Basic or bearer credentials; both at once is a usage error.
    pub(crate) fn credentials(&self) -> anyhow::Result<Credentials> {
        Credentials::from_flags(self.from_user_info.clone(), self.from_token.clone())
    }
}

/// Credentials for one registry.
#[derive(Debug, Clone)]
pub(crate) enum Credentials {
    /// No `Authorization` header.
    None,
    /// HTTP Basic from `user:password`.
    Basic(String),
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

impl Credentials {
    /// Picks Basic or bearer credentials; both at once is a usage error.
    pub(crate) fn from_flags(basic: Option<String>, token: Option<String>) -> anyhow::Result<Self> {
        match (basic, token) {
            (Some(_), Some(_)) => bail!("give either user:password or a bearer token, not both"),
            (Some(user_info), None) => {
                if !user_info.contains(':') {
                    bail!("credentials must be user:password");
                }
                Ok(Credentials::Basic(user_info))
            }
            (None, Some(token)) => Ok(Credentials::Bearer(token)),
            (None, None) => Ok(Credentials::None),
        }
    }

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

/// One registry's REST API.
#[derive(Debug)]
pub(crate) struct Api {
    /// `source` or `target`, for messages.
    pub(crate) role: &'static str,
    base: String,
    authorization: Option<String>,
    agent: ureq::Agent,
}

/// An HTTP answer: the status and the JSON body (`Null` when the body is not JSON).
#[derive(Debug)]
pub(crate) struct Answer {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The parsed body.
    pub(crate) body: Value,
    what: String,
}

impl Answer {
    /// The Confluent `error_code`, when the body carries one.
    pub(crate) fn error_code(&self) -> Option<i64> {
        self.body.get("error_code").and_then(Value::as_i64)
    }

    /// The body of a 2xx answer; any other status is an error naming the request.
    pub(crate) fn ok(self) -> anyhow::Result<Value> {
        if (200..300).contains(&self.status) {
            return Ok(self.body);
        }
        Err(anyhow::anyhow!("{}", self.describe()))
    }

    /// The body of a 2xx answer, `None` for a 404, an error otherwise.
    pub(crate) fn found(self) -> anyhow::Result<Option<Value>> {
        if self.status == 404 {
            return Ok(None);
        }
        self.ok().map(Some)
    }

    /// `GET url: HTTP 422: message (error code 42205)`.
    pub(crate) fn describe(&self) -> String {
        let detail = match (
            self.body.get("message").and_then(Value::as_str),
            self.error_code(),
        ) {
            (Some(message), Some(code)) => format!("{message} (error code {code})"),
            (Some(message), None) => message.to_owned(),
            _ => self.body.to_string(),
        };
        format!("{}: HTTP {}: {detail}", self.what, self.status)
    }
}

/// A subject as a path segment: qualified (`:.hunt:name`, `:.:name` for the default
/// context) and percent-encoded, so no registry falls back to another context.
pub(crate) fn qualified_segment(subject: &Subject) -> String {
    segment(&qualified(subject))
}

/// A subject written with its context, `:.:name` for the default context.
pub(crate) fn qualified(subject: &Subject) -> String {
    format!(":{}:{}", subject.context.display_name(), subject.name)
}

/// Percent-encodes one path segment.
pub(crate) fn segment(raw: &str) -> String {
    utf8_percent_encode(raw, SEGMENT).to_string()
}

impl Api {
    /// A client for the registry at `url` (e.g. `http://127.0.0.1:8081`).
    pub(crate) fn new(role: &'static str, url: &str, credentials: &Credentials) -> Api {
        Api {
            role,
            base: url.trim_end_matches('/').to_owned(),
            authorization: credentials.header(),
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5))
                .timeout(Duration::from_secs(60))
                .build(),
        }
    }

    /// The base URL.
    pub(crate) fn url(&self) -> &str {
        &self.base
    }

    /// Sends one request; `path` starts with `/` and is already encoded.
    pub(crate) fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Answer> {
        let url = format!("{}{path}", self.base);
        let what = format!("{} {method} {url}", self.role);
        let mut request = self
            .agent
            .request(method, &url)
            .set("Accept", CONTENT_TYPE)
            .set("Content-Type", CONTENT_TYPE);
        if let Some(value) = &self.authorization {
            request = request.set("Authorization", value);
        }
        let result = match body {
            Some(body) => request.send_json(body.clone()),
            None => request.call(),
        };
        let response = match result {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(other) => return Err(anyhow::anyhow!("{what}: {other}")),
        };
        let status = response.status();
        let text = response
            .into_string()
            .with_context(|| format!("{what}: reading the answer"))?;
        let body = serde_json::from_str(&text).unwrap_or(if text.is_empty() {
            Value::Null
        } else {
            Value::String(text)
        });
        Ok(Answer { status, body, what })
    }

    /// `GET path`.
    pub(crate) fn get(&self, path: &str) -> anyhow::Result<Answer> {
        self.send("GET", path, None)
    }
}
