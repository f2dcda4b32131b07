//! The crate's one error type, for input that cannot be checked at all (bad `buf.yaml`,
//! unknown rule IDs). Incompatible schemas are not errors: they are [`crate::Report`]s.

/// A configuration that cannot be used: an unknown rule or category, an empty rule
/// selection, or a malformed `buf.yaml`.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ConfigError {
    kind: Box<ErrorKind>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ErrorKind {
    #[error("{0:?} is not a known rule or category ID")]
    UnknownRule(String),
    #[error("no breaking rules selected: `use` minus `except` is empty")]
    EmptyRuleSet,
    #[error("unknown buf.yaml version {0:?}: expected v1beta1, v1 or v2")]
    UnknownVersion(String),
    #[error("invalid buf.yaml: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("module {module:?}: breaking path {path:?} is not inside the module")]
    PathOutsideModule { module: String, path: String },
}

impl ConfigError {
    /// True when a rule or category ID is unknown to the configuration's version.
    pub fn is_unknown_rule(&self) -> bool {
        matches!(*self.kind, ErrorKind::UnknownRule(_))
    }

    /// True when the YAML itself could not be read.
    pub fn is_yaml(&self) -> bool {
        matches!(
            *self.kind,
            ErrorKind::Yaml(_) | ErrorKind::UnknownVersion(_)
        )
    }
}

impl From<ErrorKind> for ConfigError {
    fn from(kind: ErrorKind) -> ConfigError {
        ConfigError {
            kind: Box::new(kind),
        }
    }
}
