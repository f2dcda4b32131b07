//! The crate's one error type: an opaque [`Error`] over a private kind enum, with
//! messages that name the hunt, subject, version and schema ID involved.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why code generation failed. `Display` is one complete message for a build log.
pub struct Error {
    kind: Box<ErrorKind>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ErrorKind {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid lockfile: {0}")]
    LockfileSyntax(String),
    #[error("{path}: {message}")]
    InFile { path: PathBuf, message: String },
    #[error(
        "hunt {hunt}: not in lockfile {path}; run `huntreg pull --hunt {hunt} --lockfile {path}`"
    )]
    HuntNotInLockfile { hunt: String, path: PathBuf },
    #[error("hunt {hunt}: no schema source: {detail}")]
    NoSource { hunt: String, detail: String },
    #[error("hunt {hunt}: registry {url}: {message}")]
    Registry {
        hunt: String,
        url: String,
        message: String,
    },
    #[error("hunt {hunt}: {what}: reference {reference:?} points at {subject} version {version}, which is not registered in the hunt")]
    MissingReference {
        hunt: String,
        what: String,
        reference: String,
        subject: String,
        version: u32,
    },
    #[error("hunt {hunt}: {what} does not compile: {detail}")]
    Compile {
        hunt: String,
        what: String,
        detail: String,
    },
    #[error("hunt {hunt}: {what} cannot be read by the newest compiled type:\n{findings}")]
    Incompatible {
        hunt: String,
        what: String,
        findings: String,
    },
    #[error("hunt {hunt}: {what} defines message {message} (index {index:?}), which the newest schemas no longer define, so records written with it could not be decoded")]
    MessageRemoved {
        hunt: String,
        what: String,
        message: String,
        index: Vec<u32>,
    },
    #[error("hunt {hunt}: name clash: {detail}")]
    NameClash { hunt: String, detail: String },
    #[error("hunt {hunt}: template error: {detail}")]
    Template { hunt: String, detail: String },
    #[error("hunt {hunt}: prost-build: {source}")]
    Prost {
        hunt: String,
        source: std::io::Error,
    },
    #[error(
        "hunt {hunt}: generated code does not parse as Rust ({detail}); check custom templates"
    )]
    Format { hunt: String, detail: String },
    #[error("invalid builder configuration: {0}")]
    Config(String),
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Many(Vec<Error>),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        ErrorKind::Io {
            path: path.to_owned(),
            source,
        }
        .into()
    }

    pub(crate) fn many(mut errors: Vec<Error>) -> Error {
        if errors.len() == 1 {
            return errors.remove(0);
        }
        ErrorKind::Many(errors).into()
    }

    pub(crate) fn in_file(self, path: &Path) -> Error {
        match *self.kind {
            ErrorKind::LockfileSyntax(message) => ErrorKind::InFile {
                path: path.to_owned(),
                message: format!("invalid lockfile: {message}"),
            }
            .into(),
            other => other.into(),
        }
    }

    /// True when a registered version cannot be read by the newest compiled type (a
    /// compatibility finding, or a message the newest schemas dropped).
    pub fn is_incompatible(&self) -> bool {
        match &*self.kind {
            ErrorKind::Incompatible { .. } | ErrorKind::MessageRemoved { .. } => true,
            ErrorKind::Many(errors) => errors.iter().all(Error::is_incompatible),
            _ => false,
        }
    }

    /// True when no lockfile, registry or schema directory could supply the hunt, or
    /// the registry could not be reached.
    pub fn is_source_unavailable(&self) -> bool {
        matches!(
            *self.kind,
            ErrorKind::NoSource { .. }
                | ErrorKind::Registry { .. }
                | ErrorKind::HuntNotInLockfile { .. }
        )
    }

    /// True for a clash of generated or protobuf names.
    pub fn is_name_clash(&self) -> bool {
        matches!(*self.kind, ErrorKind::NameClash { .. })
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error {
            kind: Box::new(kind),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `build.rs` returning `Err` prints Debug: make that the readable message.
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.kind {
            ErrorKind::Io { source, .. } | ErrorKind::Prost { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl miette::Diagnostic for Error {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let code = match &*self.kind {
            ErrorKind::Io { .. } => "huntreg::io",
            ErrorKind::LockfileSyntax(_) | ErrorKind::InFile { .. } => "huntreg::lockfile",
            ErrorKind::HuntNotInLockfile { .. } | ErrorKind::NoSource { .. } => {
                "huntreg::no_source"
            }
            ErrorKind::Registry { .. } => "huntreg::registry",
            ErrorKind::MissingReference { .. } => "huntreg::missing_reference",
            ErrorKind::Compile { .. } => "huntreg::compile",
            ErrorKind::Incompatible { .. } | ErrorKind::MessageRemoved { .. } => {
                "huntreg::incompatible"
            }
            ErrorKind::Many(_) => "huntreg::many",
            ErrorKind::NameClash { .. } => "huntreg::name_clash",
            ErrorKind::Template { .. } | ErrorKind::Format { .. } => "huntreg::template",
            ErrorKind::Prost { .. } => "huntreg::prost",
            ErrorKind::Config(_) => "huntreg::config",
        };
        Some(Box::new(code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let help = match &*self.kind {
            ErrorKind::Incompatible { .. } | ErrorKind::MessageRemoved { .. } => {
                "the newest schema must read every registered version (BACKWARD_TRANSITIVE); restore the field or message, or reserve it, and register a new version"
            }
            ErrorKind::NoSource { .. } | ErrorKind::Registry { .. } => {
                "commit a lockfile (`huntreg pull --registry URL --hunt HUNT`) so builds need no registry"
            }
            _ => return None,
        };
        Some(Box::new(help))
    }
}
