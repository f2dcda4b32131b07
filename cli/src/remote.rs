//! The flags that name a registry and the credentials to send it, shared by `huntreg
//! pull`, `push` and `check` (and read from the same environment variables as a build
//! script's live-registry mode).

use huntreg_client::Credentials;

/// `--registry`, and `--user-info` or `--token` for a registry with an auth config.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RegistryArgs {
    /// The registry's base URL.
    #[arg(long, env = "HUNTREG_URL")]
    pub(crate) registry: String,
    /// Credentials for HTTP Basic, when the registry has an auth config (`pull` and
    /// `check` need read on the hunt, `push` needs write).
    #[arg(
        long,
        value_name = "USER:PASSWORD",
        env = "HUNTREG_USER_INFO",
        hide_env_values = true
    )]
    user_info: Option<String>,
    /// A bearer token instead of Basic credentials (the same grants).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "HUNTREG_TOKEN",
        hide_env_values = true,
        conflicts_with = "user_info"
    )]
    token: Option<String>,
}

impl RegistryArgs {
    /// Basic or bearer credentials, or none; both at once is a usage error.
    pub(crate) fn credentials(&self) -> anyhow::Result<Credentials> {
        Ok(Credentials::from_flags(
            self.user_info.clone().filter(|v| !v.is_empty()),
            self.token.clone().filter(|v| !v.is_empty()),
        )?)
    }

    /// A codegen registry client for these flags.
    pub(crate) fn codegen_registry(&self) -> anyhow::Result<huntreg_codegen::Registry> {
        Ok(huntreg_codegen::Registry::new(&self.registry).with_credentials(&self.credentials()?))
    }
}
