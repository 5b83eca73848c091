//! GitHub's App-manifest flow, the API half: exchanging the one-time `code` GitHub hands the
//! set-up callback for the new App's id, private key and webhook secret
//! (`POST /app-manifests/{code}/conversions`, no authentication). The pages and where the
//! credentials are stored live in `crate::server`.

use http::Method;
use secrecy::SecretString;
use serde::Deserialize;

use super::client::{build_client, decode, error_message, execute};
use super::retry::{GitHubError, RetryPolicy};

/// The App GitHub created from the manifest. Secrets stay wrapped and are never printed.
pub struct ManifestApp {
    pub id: u64,
    pub slug: String,
    pub name: String,
    /// `https://github.com/apps/<slug>`.
    pub html_url: String,
    pub pem: SecretString,
    pub webhook_secret: SecretString,
}

impl std::fmt::Debug for ManifestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManifestApp")
            .field("id", &self.id)
            .field("slug", &self.slug)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Conversion {
    id: u64,
    slug: Option<String>,
    name: String,
    html_url: String,
    pem: String,
    webhook_secret: Option<String>,
}

/// True when `code` can be a manifest code: GitHub's are short hex strings; anything that
/// could change the request path is refused before it is sent.
pub fn is_manifest_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 100
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Exchanges a manifest `code` (valid for one hour, once) against `api_url`.
pub async fn convert_app_manifest(
    api_url: &str,
    code: &str,
    policy: &RetryPolicy,
) -> Result<ManifestApp, GitHubError> {
    let what = "POST /app-manifests/{code}/conversions";
    if !is_manifest_code(code) {
        return Err(GitHubError::Decode {
            what: what.to_string(),
            message: "the code in the callback URL is not one GitHub issues".to_string(),
        });
    }
    let client = build_client(api_url, None, policy).map_err(GitHubError::Auth)?;
    let path = format!("/app-manifests/{code}/conversions");
    // Sent once: a code is single-use, so a retry could only fail.
    let (status, _, body) = tokio::time::timeout(
        policy.request_timeout,
        execute(&client, Method::POST, &path, None),
    )
    .await
    .map_err(|_| GitHubError::Transport {
        what: what.to_string(),
        attempts: 1,
        message: format!("no answer within {:?}", policy.request_timeout),
    })?
    .map_err(|message| GitHubError::Transport {
        what: what.to_string(),
        attempts: 1,
        message,
    })?;
    if !status.is_success() {
        return Err(GitHubError::Status {
            status,
            what: what.to_string(),
            message: error_message(&body),
        });
    }
    let c: Conversion = decode(&body, what)?;
    let webhook_secret = c.webhook_secret.ok_or_else(|| GitHubError::Decode {
        what: what.to_string(),
        message: "GitHub returned no webhook_secret (is hook_attributes set in the manifest?)"
            .to_string(),
    })?;
    Ok(ManifestApp {
        id: c.id,
        slug: c.slug.unwrap_or_default(),
        name: c.name,
        html_url: c.html_url,
        pem: SecretString::from(c.pem),
        webhook_secret: SecretString::from(webhook_secret),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_codes_reach_the_request_path() {
        assert!(is_manifest_code("a180b1a3d263c81bc6441d7b990bae27d4c10679"));
        assert!(!is_manifest_code("../../app/hook"));
        assert!(!is_manifest_code("x?y=1"));
        assert!(!is_manifest_code(""));
    }
}
