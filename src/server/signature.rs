//! `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 of the raw body with the webhook
//! secret, compared in constant time.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// True when `header` is the signature of `body` under `secret`.
pub fn verify(secret: &SecretString, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The header value for `body`; used by tests and tools that replay deliveries.
pub fn sign(secret: &SecretString, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_documented_test_vector() {
        let secret = SecretString::from("It's a Secret to Everybody");
        let header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(sign(&secret, b"Hello, World!"), header);
        assert!(verify(&secret, b"Hello, World!", Some(header)));
        assert!(!verify(&secret, b"Hello, World?", Some(header)));
        assert!(!verify(&secret, b"Hello, World!", None));
        assert!(!verify(&secret, b"Hello, World!", Some("sha1=abc")));
        assert!(!verify(&secret, b"Hello, World!", Some("sha256=zz")));
    }
}
