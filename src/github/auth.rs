//! App authentication: an RS256 JWT signed with the app's private key, exchanged for
//! installation tokens that are cached until shortly before they expire.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::ids::InstallationId;

/// The app's identity. The key never leaves this type and is never printed.
pub struct AppCredentials {
    pub app_id: u64,
    key: EncodingKey,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("key", &"[redacted]")
            .finish()
    }
}

#[derive(Serialize)]
struct Claims {
    iat: i64,
    exp: i64,
    iss: String,
}

impl AppCredentials {
    /// Parses the PEM and signs a test token so a bad key fails at start, not at the first
    /// webhook.
    pub fn new(app_id: u64, private_key_pem: &SecretString) -> Result<Self, String> {
        let key = EncodingKey::from_rsa_pem(private_key_pem.expose_secret().as_bytes())
            .map_err(|e| format!("the private key is not an RSA key in PEM format ({e})"))?;
        let creds = AppCredentials { app_id, key };
        creds
            .jwt(Utc::now())
            .map_err(|e| format!("the private key cannot sign a JWT ({e})"))?;
        Ok(creds)
    }

    /// A JWT valid from 60 s ago (clock drift, as GitHub recommends) for 9 minutes (GitHub
    /// allows at most 10).
    pub fn jwt(&self, now: DateTime<Utc>) -> Result<SecretString, jsonwebtoken::errors::Error> {
        let claims = Claims {
            iat: (now - Duration::seconds(60)).timestamp(),
            exp: (now + Duration::minutes(9)).timestamp(),
            iss: self.app_id.to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)?;
        Ok(SecretString::from(token))
    }
}

/// Something authenticated by an installation token (the client holding it), and the moment
/// the token stops working.
#[derive(Clone)]
pub(crate) struct CachedToken<C> {
    pub client: C,
    pub expires_at: DateTime<Utc>,
}

/// Installation-token clients by installation, reused until `margin` before expiry.
pub struct TokenCache<C> {
    margin: Duration,
    tokens: Mutex<HashMap<InstallationId, CachedToken<C>>>,
}

impl<C: Clone> Default for TokenCache<C> {
    fn default() -> Self {
        TokenCache {
            margin: Duration::minutes(5),
            tokens: Mutex::new(HashMap::new()),
        }
    }
}

impl<C: Clone> TokenCache<C> {
    pub(crate) fn get(&self, id: InstallationId, now: DateTime<Utc>) -> Option<CachedToken<C>> {
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens
            .get(&id)
            .filter(|t| t.expires_at - self.margin > now)
            .cloned()
    }

    pub(crate) fn put(&self, id: InstallationId, token: CachedToken<C>) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.insert(id, token);
    }

    /// Forgets a token GitHub refused (revoked, or the clock was wrong).
    pub(crate) fn forget(&self, id: InstallationId) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_reused_until_the_margin() {
        let cache: TokenCache<&str> = TokenCache::default();
        let now = Utc::now();
        let id = InstallationId(1);
        cache.put(
            id,
            CachedToken {
                client: "t",
                expires_at: now + Duration::minutes(60),
            },
        );
        assert!(cache.get(id, now).is_some());
        assert!(cache.get(id, now + Duration::minutes(54)).is_some());
        assert!(cache.get(id, now + Duration::minutes(56)).is_none());
        cache.forget(id);
        assert!(cache.get(id, now).is_none());
    }

    #[test]
    fn a_bad_key_is_refused_with_a_clear_message() {
        let err = AppCredentials::new(1, &SecretString::from("not a key")).unwrap_err();
        assert!(err.contains("PEM"), "{err}");
    }
}
