//! The auth config file (`huntreg serve --auth-config FILE`, TOML or YAML): principals,
//! their argon2-hashed secrets and their grants, validated once at start.
//!
//! ```toml
//! [[principals]]
//! name = "producer-42"                       # the HTTP Basic user name
//! password_hash = "$argon2id$v=19$m=19456,t=2,p=1$..."
//! grants = [{ hunts = ["hunt-42"], actions = ["write"] }]
//!
//! [[principals]]
//! name = "dashboard"
//! token_hash = "$argon2id$v=19$m=19456,t=2,p=1$..."   # a bearer token
//! grants = [{ hunts = ["*"], actions = ["read"] }]
//!
//! [anonymous]                                # optional: requests without credentials
//! grants = [{ hunts = ["."], actions = ["read"] }]
//! ```
//!
//! Hunt patterns are globs (`*` any run of characters, `?` one character) over hunt names
//! without the context's leading dot; `.` is the default context. `*` alone matches every hunt,
//! including the default context, and is the only grant that covers server-wide requests.
//! Actions are ordered: `admin` allows `write`, `write` allows `read`.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use argon2::password_hash::PasswordHash;
use serde::Deserialize;

use super::classify::{Access, Action, Scope, DEFAULT_HUNT};

/// A loaded and validated auth configuration.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub(crate) principals: Vec<Principal>,
    pub(crate) anonymous: Option<Grants>,
    pub(crate) realm: String,
}

/// One principal: a name, how it authenticates, and what it may do.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub(crate) name: String,
    pub(crate) password_hash: Option<String>,
    pub(crate) token_hash: Option<String>,
    pub(crate) grants: Grants,
}

/// What a principal may do, as (pattern, strongest action) pairs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Grants(Arc<[(Pattern, Action)]>);

/// A hunt-name glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern(String);

/// An auth config that could not be read or is not valid.
#[derive(Debug, thiserror::Error)]
#[error("auth config {path}: {message}")]
pub struct ConfigError {
    path: String,
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    realm: Option<String>,
    #[serde(default)]
    principals: Vec<RawPrincipal>,
    #[serde(default)]
    anonymous: Option<RawAnonymous>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrincipal {
    name: String,
    #[serde(default)]
    password_hash: Option<String>,
    #[serde(default)]
    token_hash: Option<String>,
    #[serde(default)]
    grants: Vec<RawGrant>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnonymous {
    #[serde(default)]
    grants: Vec<RawGrant>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrant {
    hunts: Vec<String>,
    actions: Vec<Action>,
}

impl AuthConfig {
    /// Reads a config file; `.yaml`/`.yml` files are YAML, anything else TOML.
    pub fn load(path: &Path) -> Result<AuthConfig, ConfigError> {
        let err = |message: String| ConfigError {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        let raw: RawConfig = if yaml {
            serde_yaml::from_str(&text).map_err(|e| err(e.to_string()))?
        } else {
            toml::from_str(&text).map_err(|e| err(e.to_string()))?
        };
        AuthConfig::from_raw(raw).map_err(err)
    }

    /// Parses a TOML config held in memory (tests, embedding).
    pub fn from_toml(text: &str) -> Result<AuthConfig, ConfigError> {
        let err = |message: String| ConfigError {
            path: "<inline>".into(),
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        AuthConfig::from_raw(raw).map_err(err)
    }

    fn from_raw(raw: RawConfig) -> Result<AuthConfig, String> {
        let mut principals: Vec<Principal> = Vec::with_capacity(raw.principals.len());
        for p in raw.principals {
            let name = p.name;
            if name.is_empty() || name.contains(':') || name.chars().any(char::is_control) {
                return Err(format!(
                    "principal name {name:?} must be non-empty and contain no ':' or control characters"
                ));
            }
            if principals.iter().any(|q| q.name == name) {
                return Err(format!("principal {name:?} is defined twice"));
            }
            if p.password_hash.is_none() && p.token_hash.is_none() {
                return Err(format!(
                    "principal {name:?} needs a password_hash or a token_hash (see `huntreg hash-secret`)"
                ));
            }
            for (field, hash) in [
                ("password_hash", &p.password_hash),
                ("token_hash", &p.token_hash),
            ] {
                if let Some(hash) = hash {
                    check_hash(hash)
                        .map_err(|e| format!("principal {name:?}: {field} is not usable: {e}"))?;
                }
            }
            let grants =
                Grants::from_raw(p.grants).map_err(|e| format!("principal {name:?}: {e}"))?;
            principals.push(Principal {
                name,
                password_hash: p.password_hash,
                token_hash: p.token_hash,
                grants,
            });
        }
        let anonymous = match raw.anonymous {
            Some(a) => Some(Grants::from_raw(a.grants).map_err(|e| format!("anonymous: {e}"))?),
            None => None,
        };
        let realm = raw.realm.unwrap_or_else(|| "huntreg".to_owned());
        if realm.contains('"') || realm.contains('\\') || realm.chars().any(char::is_control) {
            return Err("realm must not contain quotes, backslashes or control characters".into());
        }
        Ok(AuthConfig {
            principals,
            anonymous,
            realm,
        })
    }

    /// The names of the configured principals, in file order.
    pub fn principal_names(&self) -> impl Iterator<Item = &str> {
        self.principals.iter().map(|p| p.name.as_str())
    }
}

/// Checks that a stored hash is an argon2 PHC string this build can verify.
fn check_hash(hash: &str) -> Result<(), String> {
    let parsed = PasswordHash::new(hash).map_err(|e| e.to_string())?;
    match parsed.algorithm.as_str() {
        "argon2id" | "argon2i" | "argon2d" => {}
        other => return Err(format!("algorithm {other:?} is not argon2")),
    }
    argon2::Params::try_from(&parsed).map_err(|e| e.to_string())?;
    if parsed.hash.is_none() {
        return Err("the PHC string has no hash".into());
    }
    Ok(())
}

impl Grants {
    fn from_raw(raw: Vec<RawGrant>) -> Result<Grants, String> {
        let mut grants = Vec::new();
        for g in raw {
            let Some(action) = g.actions.iter().copied().max() else {
                return Err("a grant needs at least one action (read, write, admin)".into());
            };
            if g.hunts.is_empty() {
                return Err("a grant needs at least one hunt pattern".into());
            }
            for hunt in g.hunts {
                grants.push((Pattern::parse(&hunt)?, action));
            }
        }
        Ok(Grants(grants.into()))
    }

    /// Whether these grants allow `access`: every scope needs a grant of at least the action.
    pub(crate) fn allows(&self, access: &Access) -> bool {
        access
            .scopes
            .iter()
            .all(|scope| self.allows_on(access.action, scope))
    }

    /// Whether these grants allow `action` on `scope`.
    pub(crate) fn allows_on(&self, action: Action, scope: &Scope) -> bool {
        self.0
            .iter()
            .any(|(pattern, granted)| *granted >= action && pattern.covers(scope))
    }
}

impl Pattern {
    fn parse(raw: &str) -> Result<Pattern, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("an empty hunt pattern".into());
        }
        if raw.contains(':') || raw.chars().any(char::is_control) {
            return Err(format!("hunt pattern {raw:?} must not contain ':'"));
        }
        // `.hunt-42` and `hunt-42` name the same hunt; `.` is the default context.
        let name = if raw.len() > 1 {
            raw.strip_prefix('.').unwrap_or(raw)
        } else {
            raw
        };
        Ok(Pattern(name.to_owned()))
    }

    fn matches_all(&self) -> bool {
        self.0.chars().all(|c| c == '*')
    }

    fn covers(&self, scope: &Scope) -> bool {
        match scope {
            Scope::AllHunts => self.matches_all(),
            Scope::Hunt(h) if h == DEFAULT_HUNT => self.matches_all() || self.0 == DEFAULT_HUNT,
            Scope::Hunt(h) => glob(self.0.as_bytes(), h.as_bytes()),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Glob match with `*` and `?`, iterative (linear backtracking on the last `*`).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$ZnxLK0G0mvj5cXnGQ0yVvdTHjQlgO7KXSKW3Yg+ZhRA";

    fn grants(toml_grants: &str) -> Grants {
        let cfg = AuthConfig::from_toml(&format!(
            "[[principals]]\nname = \"p\"\npassword_hash = \"{HASH}\"\ngrants = {toml_grants}\n"
        ))
        .unwrap();
        cfg.principals[0].grants.clone()
    }

    fn access(action: Action, scopes: &[Scope]) -> Access {
        Access {
            action,
            scopes: scopes.to_vec(),
        }
    }

    fn h(name: &str) -> Scope {
        Scope::Hunt(name.to_owned())
    }

    #[test]
    fn glob_matches() {
        assert!(glob(b"hunt-*", b"hunt-42"));
        assert!(glob(b"hunt-*", b"hunt-"));
        assert!(!glob(b"hunt-*", b"hunt"));
        assert!(glob(b"*-42", b"hunt-42"));
        assert!(glob(b"h?nt-*2", b"hunt-4242"));
        assert!(!glob(b"hunt-4?", b"hunt-4"));
        assert!(glob(b"a*b*c", b"axxbyyc"));
        assert!(!glob(b"a*b*c", b"axxbyy"));
        assert!(glob(b"**", b""));
    }

    #[test]
    fn actions_are_ordered() {
        let g = grants(r#"[{ hunts = ["hunt-*"], actions = ["write"] }]"#);
        assert!(g.allows(&access(Action::Read, &[h("hunt-1")])));
        assert!(g.allows(&access(Action::Write, &[h("hunt-1")])));
        assert!(!g.allows(&access(Action::Admin, &[h("hunt-1")])));
        assert!(!g.allows(&access(Action::Read, &[h("other")])));
        assert!(!g.allows(&access(Action::Read, &[h(".")])));
        assert!(!g.allows(&access(Action::Read, &[Scope::AllHunts])));
    }

    #[test]
    fn every_scope_must_be_granted() {
        let g = grants(
            r#"[{ hunts = ["a"], actions = ["read"] }, { hunts = ["b"], actions = ["admin"] }]"#,
        );
        assert!(g.allows(&access(Action::Read, &[h("a"), h("b")])));
        assert!(!g.allows(&access(Action::Write, &[h("a"), h("b")])));
        assert!(g.allows(&access(Action::Admin, &[h("b")])));
    }

    #[test]
    fn the_default_context_is_dot_and_star_covers_everything() {
        let dot = grants(r#"[{ hunts = ["."], actions = ["read"] }]"#);
        assert!(dot.allows(&access(Action::Read, &[h(".")])));
        assert!(!dot.allows(&access(Action::Read, &[h("hunt-1")])));
        let star = grants(r#"[{ hunts = ["*"], actions = ["admin"] }]"#);
        assert!(star.allows(&access(Action::Admin, &[Scope::AllHunts])));
        assert!(star.allows(&access(Action::Admin, &[h(".")])));
        let dotted = grants(r#"[{ hunts = [".hunt-42"], actions = ["read"] }]"#);
        assert!(dotted.allows(&access(Action::Read, &[h("hunt-42")])));
    }

    #[test]
    fn no_scope_needs_only_authentication() {
        let g = grants(r#"[{ hunts = ["a"], actions = ["read"] }]"#);
        assert!(g.allows(&access(Action::Read, &[])));
    }

    #[test]
    fn rejects_bad_configs() {
        let bad = [
            ("[[principals]]\nname = \"p\"\n", "needs a password_hash"),
            ("[[principals]]\nname = \"a:b\"\ntoken_hash = \"x\"\n", "contain no ':'"),
            ("[[principals]]\nname = \"p\"\npassword_hash = \"plaintext\"\n", "not usable"),
            (
                "[[principals]]\nname = \"p\"\npassword_hash = \"$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\"\n",
                "not argon2",
            ),
            ("[[principals]]\nname = \"p\"\ntoken = \"x\"\n", "unknown field"),
            ("[anonymous]\ngrants = [{ hunts = [], actions = [\"read\"] }]\n", "at least one hunt"),
            ("[anonymous]\ngrants = [{ hunts = [\"a\"], actions = [] }]\n", "at least one action"),
            ("[anonymous]\ngrants = [{ hunts = [\"a\"], actions = [\"delete\"] }]\n", "unknown variant"),
            ("[anonymous]\ngrants = [{ hunts = [\":.a:\"], actions = [\"read\"] }]\n", "must not contain"),
        ];
        for (text, expected) in bad {
            let err = AuthConfig::from_toml(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        let dup = format!(
            "[[principals]]\nname = \"p\"\ntoken_hash = \"{HASH}\"\n[[principals]]\nname = \"p\"\ntoken_hash = \"{HASH}\"\n"
        );
        assert!(AuthConfig::from_toml(&dup)
            .unwrap_err()
            .to_string()
            .contains("twice"));
    }

    #[test]
    fn loads_yaml_and_toml_files() {
        let dir = tempfile::tempdir().unwrap();
        let yaml = dir.path().join("auth.yaml");
        std::fs::write(
            &yaml,
            format!(
                "principals:\n  - name: ci\n    password_hash: \"{HASH}\"\n    grants:\n      - hunts: [\"hunt-*\"]\n        actions: [write]\n"
            ),
        )
        .unwrap();
        let cfg = AuthConfig::load(&yaml).unwrap();
        assert_eq!(cfg.principal_names().collect::<Vec<_>>(), ["ci"]);
        let toml_path = dir.path().join("auth.toml");
        std::fs::write(&toml_path, "realm = \"r\"\n").unwrap();
        assert_eq!(AuthConfig::load(&toml_path).unwrap().realm, "r");
        let missing = AuthConfig::load(&dir.path().join("nope.toml"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("nope.toml"), "{missing}");
    }
}
