//! The domain's names, parsed once where they enter (the HTTP boundary, imports):
//! qualified subjects and contexts, versions, schema ids and GUIDs, and modes. Handlers and
//! the store take these, never raw strings. A name that does not parse is a [`NameError`],
//! which the HTTP layer maps onto Confluent's error codes.

use std::fmt;

/// A name that does not parse, by what it should have been.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// A context name that is not valid (the message says why).
    #[error("{0}")]
    Context(String),
    /// A subject name that is not valid.
    #[error("The specified subject '{0}' is not valid.")]
    Subject(String),
    /// A schema id that is not a non-negative 32-bit integer (Jersey answers 404).
    #[error("not a schema id")]
    Id,
    /// A version that is neither `latest`, `-1` nor a positive 32-bit integer.
    #[error("The specified version '{0}' is not a valid version id.")]
    Version(String),
    /// A mode that is not one of Confluent's.
    #[error("Invalid mode")]
    Mode,
}

/// The name of the default context as clients see it in `GET /contexts`.
pub const DEFAULT_CONTEXT_NAME: &str = ".";

/// The special context whose config and mode are the fallback for every context.
pub const GLOBAL_CONTEXT: &str = ".__GLOBAL";

/// A context: `""` is the default context, named contexts start with `.` (a hunt
/// `hunt-42` is the context `.hunt-42`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Context(String);

impl Context {
    /// The default context.
    pub fn default_context() -> Context {
        Context(String::new())
    }

    /// Normalizes a context name as Confluent does: `"."`, `""` and `":.:"` are the
    /// default context; a missing leading dot is added; surrounding colons are removed.
    pub fn parse(raw: &str) -> Result<Context, NameError> {
        let trimmed = raw.trim_start_matches(':').trim_end_matches(':');
        if trimmed.is_empty() || trimmed == "." {
            return Ok(Context::default_context());
        }
        if trimmed.contains(':') {
            return Err(NameError::Context(format!(
                "Context name '{raw}' cannot contain a colon"
            )));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(NameError::Context(format!(
                "Context name '{raw}' is not valid"
            )));
        }
        let name = if trimmed.starts_with('.') {
            trimmed.to_owned()
        } else {
            format!(".{trimmed}")
        };
        Ok(Context(name))
    }

    /// The stored form: `""` for the default context, `.name` otherwise.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for the default context.
    pub fn is_default(&self) -> bool {
        self.0.is_empty()
    }

    /// True for the `.__GLOBAL` context (config and mode only).
    pub fn is_global(&self) -> bool {
        self.0 == GLOBAL_CONTEXT
    }

    /// The name listed by `GET /contexts` (`.` for the default context).
    pub fn display_name(&self) -> &str {
        if self.is_default() {
            DEFAULT_CONTEXT_NAME
        } else {
            &self.0
        }
    }

    /// Builds a context from its stored form without validation (store iteration).
    pub fn from_stored(stored: String) -> Context {
        Context(stored)
    }
}

/// A subject with its context: `:.hunt-42:orders-value` is `orders-value` in `.hunt-42`.
/// An empty `name` with a named context is the bare context (`:.hunt-42:`), the key for
/// context-level config and mode.
///
/// Equality, order and hashing consider the context and name only, not how it was written.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The context.
    pub context: Context,
    /// The subject name inside the context.
    pub name: String,
    /// Written with an explicit context (`:.:x` or `:.h:x`): no fallback to other contexts.
    qualified: bool,
}

impl PartialEq for Subject {
    fn eq(&self, other: &Subject) -> bool {
        self.context == other.context && self.name == other.name
    }
}

impl Eq for Subject {}

impl PartialOrd for Subject {
    fn partial_cmp(&self, other: &Subject) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Subject {
    fn cmp(&self, other: &Subject) -> std::cmp::Ordering {
        (&self.context, &self.name).cmp(&(&other.context, &other.name))
    }
}

impl std::hash::Hash for Subject {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.context.hash(state);
        self.name.hash(state);
    }
}

impl Subject {
    /// Parses a (possibly qualified) subject as Confluent's `QualifiedSubject` does.
    pub fn parse(raw: &str) -> Result<Subject, NameError> {
        if raw.chars().any(char::is_control) {
            return Err(NameError::Subject(raw.to_owned()));
        }
        if let Some(rest) = raw.strip_prefix(":.") {
            let (ctx, name) = match rest.find(':') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, ""),
            };
            let context = Context::parse(&format!(".{ctx}"))?;
            return Ok(Subject {
                context,
                name: name.to_owned(),
                qualified: true,
            });
        }
        Ok(Subject {
            context: Context::default_context(),
            name: raw.to_owned(),
            qualified: false,
        })
    }

    /// A subject in `context` named `name` (explicitly qualified).
    pub fn new(context: Context, name: impl Into<String>) -> Subject {
        Subject {
            context,
            name: name.into(),
            qualified: true,
        }
    }

    /// True for an unqualified name in the default context (`x`, not `:.:x`): Confluent
    /// then also looks for the subject in every named context.
    pub fn may_fall_back(&self) -> bool {
        !self.qualified && self.context.is_default()
    }

    /// True when this names a whole context (`:.ctx:`, or `""` for the default context).
    pub fn is_context_scope(&self) -> bool {
        self.name.is_empty()
    }

    /// Checks the subject may hold schemas (42208 otherwise).
    pub fn validate_for_register(&self) -> Result<(), NameError> {
        if self.context.is_global() || self.name == "__GLOBAL" || self.name == "__EMPTY" {
            return Err(NameError::Subject(self.to_string()));
        }
        Ok(())
    }

    /// Resolves a reference subject relative to this subject's context: an unqualified
    /// reference lives in the referencing subject's context.
    pub fn qualify_reference(&self, reference: &str) -> Result<Subject, NameError> {
        let parsed = Subject::parse(reference)?;
        if reference.starts_with(":.") {
            Ok(parsed)
        } else {
            Ok(Subject::new(self.context.clone(), parsed.name))
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.context.is_default() {
            f.write_str(&self.name)
        } else {
            write!(f, ":{}:{}", self.context.as_str(), self.name)
        }
    }
}

/// A global schema id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchemaId(pub u32);

impl SchemaId {
    /// Parses a path segment; anything but a positive 32-bit integer is a 404, as in Jersey.
    pub fn parse(raw: &str) -> Result<SchemaId, NameError> {
        raw.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0 && *n <= i64::from(i32::MAX))
            .map(|n| SchemaId(n as u32))
            .ok_or(NameError::Id)
    }
}

/// A schema's GUID, Confluent 8.x's content-derived identifier (the `guid` fields,
/// `/schemas/guids/{guid}`, header-framed records).
///
/// Confluent renders the MD5 of a schema's content as a UUID. huntreg renders the first
/// 16 bytes of the SHA-256 content hash every schema record already stores (canonical text
/// plus references, the hash registrations dedupe on), so a GUID needs no new state: it is
/// the same after a restart and after export/import, the same for every id and context
/// carrying the same content, and different for different content. Confluent documents no
/// way to compute a GUID client-side; clients only hand back GUIDs the registry gave them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    /// The GUID of a stored schema from its hex content hash (`None` if the hash is not
    /// at least 16 bytes of hex).
    pub fn of_hash(hex: &str) -> Option<Guid> {
        let bytes = crate::hex_decode(hex.get(..32)?)?;
        Some(Guid(bytes.try_into().ok()?))
    }

    /// Parses the canonical UUID form (`8-4-4-4-12` hex digits, either case); anything
    /// else names no schema.
    pub fn parse(raw: &str) -> Option<Guid> {
        let b = raw.as_bytes();
        if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
            return None;
        }
        let hex: String = raw.chars().filter(|c| *c != '-').collect();
        if hex.len() != 32 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        Some(Guid(crate::hex_decode(&hex)?.try_into().ok()?))
    }

    /// The bytes a store key holds: the content hash's first 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A version in a URL: a number in `[1, 2^31-1]`, or `latest` / `-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// The highest live version.
    Latest,
    /// A specific version.
    Number(u32),
}

impl Version {
    /// Parses `latest`, `-1` or a positive number (42202 otherwise).
    pub fn parse(raw: &str) -> Result<Version, NameError> {
        if raw.eq_ignore_ascii_case("latest") || raw == "-1" {
            return Ok(Version::Latest);
        }
        match raw.parse::<i64>() {
            Ok(n) if n >= 1 && n <= i64::from(i32::MAX) => Ok(Version::Number(n as u32)),
            _ => Err(NameError::Version(raw.to_owned())),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::Number(n) => write!(f, "{n}"),
        }
    }
}

/// A registry mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Normal operation.
    ReadWrite,
    /// Reads only.
    ReadOnly,
    /// Reads only (deprecated Confluent spelling, same effect).
    ReadOnlyOverride,
    /// Registration with explicit ids and versions, for migrations.
    Import,
}

impl Mode {
    /// The Confluent spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadWrite => "READWRITE",
            Mode::ReadOnly => "READONLY",
            Mode::ReadOnlyOverride => "READONLY_OVERRIDE",
            Mode::Import => "IMPORT",
        }
    }

    /// Parses a mode case-insensitively (42204 otherwise).
    pub fn parse(raw: &str) -> Result<Mode, NameError> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "READWRITE" => Ok(Mode::ReadWrite),
            "READONLY" => Ok(Mode::ReadOnly),
            "READONLY_OVERRIDE" => Ok(Mode::ReadOnlyOverride),
            "IMPORT" => Ok(Mode::Import),
            _ => Err(NameError::Mode),
        }
    }

    /// True for the read-only modes.
    pub fn is_read_only(self) -> bool {
        matches!(self, Mode::ReadOnly | Mode::ReadOnlyOverride)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_the_hash_prefix_as_a_uuid() {
        let hash = "00112233445566778899aabbccddeeff0123456789abcdef0123456789abcdef";
        let guid = Guid::of_hash(hash).unwrap();
        assert_eq!(guid.to_string(), "00112233-4455-6677-8899-aabbccddeeff");
        assert_eq!(
            Guid::parse("00112233-4455-6677-8899-AABBCCDDEEFF"),
            Some(guid)
        );
        for bad in [
            "00112233445566778899aabbccddeeff",
            "00112233-4455-6677-8899-aabbccddeefg",
            "0011223-34455-6677-8899-aabbccddeeff",
            "00112233-4455-6677-8899-aabbccddeeff0",
            "+0112233-4455-6677-8899-aabbccddeeff",
            "",
        ] {
            assert_eq!(Guid::parse(bad), None, "{bad}");
        }
        assert_eq!(Guid::of_hash("0011"), None);
    }

    #[test]
    fn qualified_subjects_parse_like_confluent() {
        let s = Subject::parse(":.hunt-42:orders-value").unwrap();
        assert_eq!(s.context.as_str(), ".hunt-42");
        assert_eq!(s.name, "orders-value");
        assert_eq!(s.to_string(), ":.hunt-42:orders-value");
        let d = Subject::parse(":.:orders").unwrap();
        assert!(d.context.is_default());
        assert_eq!(d.to_string(), "orders");
        let bare = Subject::parse(":.hunt:").unwrap();
        assert!(bare.is_context_scope());
        assert_eq!(bare.to_string(), ":.hunt:");
        let slash = Subject::parse("treasure/common.proto").unwrap();
        assert_eq!(slash.name, "treasure/common.proto");
    }

    #[test]
    fn versions_accept_latest_and_minus_one_only() {
        assert_eq!(Version::parse("latest").unwrap(), Version::Latest);
        assert_eq!(Version::parse("-1").unwrap(), Version::Latest);
        assert_eq!(Version::parse("7").unwrap(), Version::Number(7));
        assert!(Version::parse("0").is_err());
        assert!(Version::parse("abc").is_err());
        assert!(Version::parse("-2").is_err());
    }

    #[test]
    fn contexts_normalize() {
        assert_eq!(Context::parse("hunt").unwrap().as_str(), ".hunt");
        assert_eq!(Context::parse(".hunt").unwrap().as_str(), ".hunt");
        assert!(Context::parse(":.:").unwrap().is_default());
        assert!(Context::parse("a:b").is_err());
    }
}
