//! Credentials: reading the `Authorization` header (HTTP Basic, as Confluent clients send
//! from `basic.auth.user.info`, and bearer tokens), verifying secrets against argon2 hashes,
//! and remembering successful verifications.
//!
//! An argon2 verification costs tens of milliseconds by design. Successful verifications are
//! cached under a keyed BLAKE2b MAC of the credential (a random key per process, so the cache
//! holds no secret and cannot be probed offline); a cached request costs well under a
//! microsecond. Verifications run on the blocking pool, at most [`MAX_CONCURRENT_VERIFY`] at a
//! time, so a flood of bad credentials cannot stall the async workers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::HeaderValue;
use base64::Engine as _;
use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};
use blake2::Blake2bMac;
use tokio::sync::Semaphore;

use super::config::Principal;

/// How many argon2 verifications may run at once.
pub(crate) const MAX_CONCURRENT_VERIFY: usize = 2;

/// How many successful verifications are remembered before the cache starts over.
const MAX_CACHED: usize = 4096;

/// A well-formed argon2id hash of a random secret, verified against when a Basic user name is
/// unknown, so that unknown and known names take the same time to reject.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$ZHVtbXlzYWx0ZHVtbXk$7mJbdXHoN3fAFaB6/Kyt4UDU1ygG3T4fZmmkSgwpE8Y";

/// A credential as sent by a client.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Credential {
    /// `Authorization: Basic base64(user:password)`.
    Basic { user: String, password: String },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets.
        match self {
            Credential::Basic { user, .. } => write!(f, "Basic({user:?}, <redacted>)"),
            Credential::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// Parses an `Authorization` header value.
pub(crate) fn parse_authorization(value: &HeaderValue) -> Result<Credential, &'static str> {
    let value = value
        .to_str()
        .map_err(|_| "the Authorization header is not ASCII")?;
    let (scheme, rest) = value
        .trim()
        .split_once(' ')
        .ok_or("the Authorization header has no scheme")?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .map_err(|_| "the Basic credentials are not valid base64")?;
        let decoded =
            String::from_utf8(decoded).map_err(|_| "the Basic credentials are not UTF-8")?;
        let (user, password) = decoded
            .split_once(':')
            .ok_or("the Basic credentials have no ':' separator")?;
        Ok(Credential::Basic {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    } else if scheme.eq_ignore_ascii_case("bearer") {
        if rest.is_empty() {
            return Err("the bearer token is empty");
        }
        Ok(Credential::Bearer(rest.to_owned()))
    } else {
        Err("unsupported Authorization scheme (use Basic or Bearer)")
    }
}

/// Verifies credentials against the configured principals, with a cache of successes.
pub(crate) struct Verifier {
    principals: Arc<[Principal]>,
    mac: Blake2bMac<U32>,
    cache: Mutex<HashMap<[u8; 32], usize>>,
    permits: Semaphore,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("principals", &self.principals.len())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    pub(crate) fn new(principals: Arc<[Principal]>) -> Verifier {
        let mut key = [0u8; 64];
        OsRng.fill_bytes(&mut key);
        let mac = <Blake2bMac<U32> as KeyInit>::new(&key.into());
        Verifier {
            principals,
            mac,
            cache: Mutex::new(HashMap::new()),
            permits: Semaphore::new(MAX_CONCURRENT_VERIFY),
        }
    }

    pub(crate) fn principal(&self, index: usize) -> Option<&Principal> {
        self.principals.get(index)
    }

    fn cache_key(&self, credential: &Credential) -> [u8; 32] {
        let mut mac = self.mac.clone();
        match credential {
            Credential::Basic { user, password } => {
                mac.update(b"basic\0");
                mac.update(&(user.len() as u64).to_le_bytes());
                mac.update(user.as_bytes());
                mac.update(password.as_bytes());
            }
            Credential::Bearer(token) => {
                mac.update(b"bearer\0");
                mac.update(token.as_bytes());
            }
        }
        mac.finalize().into_bytes().into()
    }

    fn header_key(&self, raw: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(b"header\0");
        mac.update(raw);
        mac.finalize().into_bytes().into()
    }

    /// The principal an `Authorization` header value was already verified for: the hot path,
    /// with no parsing and no allocation.
    pub(crate) fn cached_header(&self, raw: &[u8]) -> Option<usize> {
        self.cached(&self.header_key(raw))
    }

    /// Remembers that an `Authorization` header value proves principal `index`.
    pub(crate) fn remember_header(&self, raw: &[u8], index: usize) {
        self.remember(self.header_key(raw), index);
    }

    fn remember(&self, key: [u8; 32], index: usize) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
            cache.insert(key, index);
        }
    }

    /// The index of the principal these credentials prove, or `None`.
    pub(crate) async fn verify(&self, credential: &Credential) -> Option<usize> {
        let key = self.cache_key(credential);
        if let Some(index) = self.cached(&key) {
            return Some(index);
        }
        let (secret, candidates): (String, Vec<(Option<usize>, String)>) = match credential {
            Credential::Basic { user, password } => {
                let found: Vec<_> = self
                    .principals
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| &p.name == user)
                    .filter_map(|(i, p)| p.password_hash.clone().map(|h| (Some(i), h)))
                    .collect();
                let candidates = if found.is_empty() {
                    vec![(None, DUMMY_HASH.to_owned())]
                } else {
                    found
                };
                (password.clone(), candidates)
            }
            Credential::Bearer(token) => {
                let found: Vec<_> = self
                    .principals
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| p.token_hash.clone().map(|h| (Some(i), h)))
                    .collect();
                (token.clone(), found)
            }
        };
        if candidates.is_empty() {
            return None;
        }
        let _permit = self.permits.acquire().await.ok()?;
        // Another request may have verified the same credential while this one waited.
        if let Some(index) = self.cached(&key) {
            return Some(index);
        }
        let found = tokio::task::spawn_blocking(move || {
            candidates
                .iter()
                .find(|(_, hash)| verify_secret(&secret, hash))
                .and_then(|(index, _)| *index)
        })
        .await
        .ok()
        .flatten()?;
        self.remember(key, found);
        Some(found)
    }

    fn cached(&self, key: &[u8; 32]) -> Option<usize> {
        self.cache.lock().ok()?.get(key).copied()
    }
}

/// Whether `secret` matches the argon2 PHC string `hash` (parameters are read from the hash).
pub fn verify_secret(secret: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Hashes a secret (password or token) for the auth config: argon2id with the crate's
/// default cost (19 MiB, 2 passes) and a random salt, as a PHC string.
pub fn hash_secret(secret: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(secret.as_bytes(), &salt)?
        .to_string())
}

/// Generates a random bearer token (256 bits, URL-safe base64).
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!(
        "hr_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    #[test]
    fn parses_basic_and_bearer() {
        let basic = base64::engine::general_purpose::STANDARD.encode("ci:pa:ss");
        assert_eq!(
            parse_authorization(&header(&format!("Basic {basic}"))).unwrap(),
            Credential::Basic {
                user: "ci".into(),
                password: "pa:ss".into()
            }
        );
        assert_eq!(
            parse_authorization(&header(&format!("basic   {basic} "))).unwrap(),
            Credential::Basic {
                user: "ci".into(),
                password: "pa:ss".into()
            }
        );
        assert_eq!(
            parse_authorization(&header("Bearer tok")).unwrap(),
            Credential::Bearer("tok".into())
        );
        for bad in [
            "Basic",
            "Basic !!!",
            "Basic Y2k=",
            "Digest x",
            "Bearer  ",
            "tok",
        ] {
            assert!(parse_authorization(&header(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Credential::Basic {
            user: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{:?}", Credential::Bearer("tok".into())).contains("tok"));
    }

    #[test]
    fn hash_then_verify() {
        let hash = hash_secret("s3cret").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_secret("s3cret", &hash));
        assert!(!verify_secret("s3cret!", &hash));
        assert!(!verify_secret("s3cret", "not a hash"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert_ne!(generate_token(), generate_token());
    }

    #[tokio::test]
    async fn caches_successes_only() {
        let principals: Arc<[Principal]> = vec![Principal {
            name: "ci".into(),
            password_hash: Some(hash_secret("pw").unwrap()),
            token_hash: Some(hash_secret("tok").unwrap()),
            grants: Default::default(),
        }]
        .into();
        let v = Verifier::new(principals);
        let good = Credential::Basic {
            user: "ci".into(),
            password: "pw".into(),
        };
        let bad = Credential::Basic {
            user: "ci".into(),
            password: "px".into(),
        };
        let unknown = Credential::Basic {
            user: "nobody".into(),
            password: "pw".into(),
        };
        assert_eq!(v.verify(&good).await, Some(0));
        assert_eq!(v.verify(&good).await, Some(0));
        assert_eq!(v.verify(&bad).await, None);
        assert_eq!(v.verify(&unknown).await, None);
        assert_eq!(v.verify(&Credential::Bearer("tok".into())).await, Some(0));
        assert_eq!(v.verify(&Credential::Bearer("pw".into())).await, None);
        assert_eq!(v.cache.lock().unwrap().len(), 2);
        // The key depends on both parts; a user/password split shift is a different key.
        let a = Credential::Basic {
            user: "ab".into(),
            password: "c".into(),
        };
        let b = Credential::Basic {
            user: "a".into(),
            password: "bc".into(),
        };
        assert_ne!(v.cache_key(&a), v.cache_key(&b));
        // Whole header values are remembered separately, only once verified.
        assert_eq!(v.cached_header(b"Basic Y2k6cHc="), None);
        v.remember_header(b"Basic Y2k6cHc=", 0);
        assert_eq!(v.cached_header(b"Basic Y2k6cHc="), Some(0));
        assert_eq!(v.cached_header(b"Basic Y2k6cHg="), None);
    }
}
