//! The HTTP side of `huntreg import --from`, `export --from` and `check`: huntreg-client's
//! blocking client named by its role, with the credentials flags, and subjects written
//! with their contexts.

use std::time::Duration;

use huntreg_client::Client;
pub(crate) use huntreg_client::{path::segment, Answer, Credentials};
use huntreg_store::types::Subject;
use serde_json::Value;

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
        Ok(Credentials::from_flags(
            self.from_user_info.clone(),
            self.from_token.clone(),
        )?)
    }
}

/// One registry's REST API, named by its role (`source`, `target`, `registry`) in every
/// message.
#[derive(Debug)]
pub(crate) struct Api {
    /// `source` or `target`, for messages.
    pub(crate) role: &'static str,
    client: Client,
}

/// A subject as a path segment: qualified (`:.hunt:name`, `:.:name` for the default
/// context) and percent-encoded, so no registry falls back to another context.
pub(crate) fn qualified_segment(subject: &Subject) -> String {
    segment(&qualified(subject))
}

/// A subject written with its context, `:.:name` for the default context.
pub(crate) fn qualified(subject: &Subject) -> String {
    huntreg_client::path::qualified(subject.context.display_name(), &subject.name)
}

impl Api {
    /// A client for the registry at `url` (e.g. `http://127.0.0.1:8081`).
    pub(crate) fn new(role: &'static str, url: &str, credentials: &Credentials) -> Api {
        Api {
            role,
            client: Client::new(url, Duration::from_secs(60))
                .with_credentials(credentials)
                .labelled(role),
        }
    }

    /// The base URL.
    pub(crate) fn url(&self) -> &str {
        self.client.url()
    }

    /// Sends one request; `path` starts with `/` and is already encoded. Any HTTP status
    /// is an answer; only transport failures are errors.
    pub(crate) fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Answer> {
        Ok(self.client.send(method, path, body)?)
    }

    /// `GET path`.
    pub(crate) fn get(&self, path: &str) -> anyhow::Result<Answer> {
        self.send("GET", path, None)
    }
}
