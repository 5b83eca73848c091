//! `kubenudge serve` settings, from the environment. Missing or malformed settings are
//! reported together, before anything starts.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;

use super::credentials;
use super::worker::WorkOptions;
use crate::review::ReviewConfig;
use crate::store::{Backend, DEFAULT_DATABASE_URL};

/// True when no App credentials are configured, in the environment or in the credentials
/// directory: `kubenudge serve` then starts in set-up mode. Any one App variable set means
/// the operator configures by hand, so a missing one is reported instead.
pub fn needs_setup(var: impl Fn(&str) -> Option<String>) -> bool {
    let set = |name: &str| var(name).is_some_and(|v| !v.trim().is_empty());
    let by_hand = [
        "GITHUB_APP_ID",
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_APP_PRIVATE_KEY_PATH",
        "GITHUB_WEBHOOK_SECRET",
    ]
    .iter()
    .any(|name| set(name));
    !by_hand && !credentials::stored(&credentials::dir_from_env(&var))
}

/// What set-up mode needs: where to listen, where GitHub is, where to store what it returns.
#[derive(Debug, Clone)]
pub struct SetupSettings {
    pub listen: SocketAddr,
    /// The REST API (`GITHUB_API_URL`), for the code exchange.
    pub api_url: String,
    /// GitHub's web address, where the manifest form is posted (`GITHUB_WEB_URL`, else derived
    /// from the API URL: `https://github.com`, or `https://HOST` for `https://HOST/api/v3`).
    pub web_url: String,
    pub public_url: Option<String>,
    pub credentials_dir: PathBuf,
}

impl SetupSettings {
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<SetupSettings, Vec<String>> {
        let mut problems = Vec::new();
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let api_url = api_url(get("GITHUB_API_URL"), &mut problems);
        let web_url = match get("GITHUB_WEB_URL") {
            Some(url) => http_url("GITHUB_WEB_URL", url, &mut problems),
            None => web_url_of(&api_url),
        };
        let listen = listen(get("KUBENUDGE_LISTEN"), &mut problems);
        let public_url =
            get("KUBENUDGE_PUBLIC_URL").map(|u| http_url("KUBENUDGE_PUBLIC_URL", u, &mut problems));
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(SetupSettings {
            listen,
            api_url,
            web_url,
            public_url,
            credentials_dir: credentials::dir_from_env(&var),
        })
    }
}

/// GitHub's web address for an API URL.
fn web_url_of(api_url: &str) -> String {
    let api = api_url.trim_end_matches('/');
    if api == "https://api.github.com" {
        "https://github.com".to_string()
    } else {
        api.strip_suffix("/api/v3").unwrap_or(api).to_string()
    }
}

fn http_url(name: &str, url: String, problems: &mut Vec<String>) -> String {
    let url = url.trim().trim_end_matches('/').to_string();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        problems.push(format!("{name} must be an http(s) URL, got {url:?}"));
    }
    url
}

fn api_url(value: Option<String>, problems: &mut Vec<String>) -> String {
    http_url(
        "GITHUB_API_URL",
        value.unwrap_or_else(|| "https://api.github.com".to_string()),
        problems,
    )
}

fn listen(value: Option<String>, problems: &mut Vec<String>) -> SocketAddr {
    let text = value.unwrap_or_else(|| "0.0.0.0:3000".to_string());
    text.trim().parse::<SocketAddr>().unwrap_or_else(|_| {
        problems.push(format!(
            "KUBENUDGE_LISTEN must be host:port such as 0.0.0.0:3000, got {text:?}"
        ));
        SocketAddr::from(([0, 0, 0, 0], 3000))
    })
}

pub struct Settings {
    /// Where `/setup` stored the App credentials (read when the environment has none).
    pub credentials_dir: PathBuf,
    /// `KUBENUDGE_PUBLIC_URL`: how GitHub and browsers reach this service.
    pub public_url: Option<String>,
    pub app_id: u64,
    pub private_key: SecretString,
    pub webhook_secret: SecretString,
    pub api_url: String,
    pub listen: SocketAddr,
    pub review: ReviewConfig,
    /// `KUBENUDGE_DATABASE_URL`: `sqlite://PATH` or `postgres://…` (may hold a password:
    /// never logged).
    pub database_url: String,
    pub work: WorkOptions,
    pub reconcile_every: std::time::Duration,
    /// Where a check run's "Details" link leads: the pull request on GitHub's web site.
    pub details_url: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("app_id", &self.app_id)
            .field("api_url", &self.api_url)
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Reads the settings through `var` (the process environment in production).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Settings, Vec<String>> {
        let mut problems = Vec::new();
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let dir = credentials::dir_from_env(&var);
        // The environment wins; the credentials directory (written by `/setup`, or a mounted
        // Secret) fills what it leaves out.
        let from_dir = |file: &str, problems: &mut Vec<String>| {
            credentials::read(&dir, file).unwrap_or_else(|e| {
                problems.push(e);
                None
            })
        };
        let app_id = match get("GITHUB_APP_ID")
            .or_else(|| from_dir(credentials::APP_ID_FILE, &mut problems))
        {
            None => {
                problems.push(format!(
                    "GITHUB_APP_ID is not set (the numeric App ID from the app's settings page), and {} has no {}",
                    dir.display(),
                    credentials::APP_ID_FILE
                ));
                0
            }
            Some(v) => v.trim().parse::<u64>().unwrap_or_else(|_| {
                problems.push(format!("GITHUB_APP_ID must be a number, got {v:?}"));
                0
            }),
        };
        let private_key = match (
            get("GITHUB_APP_PRIVATE_KEY"),
            get("GITHUB_APP_PRIVATE_KEY_PATH"),
        ) {
            (Some(pem), _) => Some(SecretString::from(pem.replace("\\n", "\n"))),
            (None, Some(path)) => match std::fs::read_to_string(&path) {
                Ok(pem) => Some(SecretString::from(pem)),
                Err(e) => {
                    problems.push(format!(
                        "GITHUB_APP_PRIVATE_KEY_PATH: cannot read {path}: {e}"
                    ));
                    None
                }
            },
            (None, None) => match from_dir(credentials::PRIVATE_KEY_FILE, &mut problems) {
                Some(pem) => Some(SecretString::from(pem)),
                None => {
                    problems.push("set GITHUB_APP_PRIVATE_KEY (PEM text) or GITHUB_APP_PRIVATE_KEY_PATH (a .pem file)".to_string());
                    None
                }
            },
        };
        let webhook_secret = get("GITHUB_WEBHOOK_SECRET")
            .or_else(|| from_dir(credentials::WEBHOOK_SECRET_FILE, &mut problems))
            .map(SecretString::from);
        if webhook_secret.is_none() {
            problems
                .push("GITHUB_WEBHOOK_SECRET is not set (the app's webhook secret)".to_string());
        }
        let api_url = api_url(get("GITHUB_API_URL"), &mut problems);
        let listen = listen(get("KUBENUDGE_LISTEN"), &mut problems);
        let public_url =
            get("KUBENUDGE_PUBLIC_URL").map(|u| http_url("KUBENUDGE_PUBLIC_URL", u, &mut problems));
        let mut review = ReviewConfig::default();
        if let Some(url) = get("KUBENUDGE_DOCS_BASE_URL") {
            review.docs_base_url = url.trim_end_matches('/').to_string();
        }
        let number = |name: &str, default: usize, problems: &mut Vec<String>| match get(name) {
            None => default,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => n,
                _ => {
                    problems.push(format!("{name} must be a positive number, got {v:?}"));
                    default
                }
            },
        };
        review.rule_pages_url = public_url.clone();
        review.max_inline_comments = number("KUBENUDGE_MAX_INLINE_COMMENTS", 30, &mut problems);
        let max_concurrent_reviews = number("KUBENUDGE_MAX_CONCURRENT_REVIEWS", 4, &mut problems);
        let database_url =
            get("KUBENUDGE_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        if let Err(e) = Backend::of_url(database_url.trim()) {
            problems.push(format!("KUBENUDGE_DATABASE_URL {e}"));
        }
        let seconds = |name: &str, default: usize, problems: &mut Vec<String>| {
            std::time::Duration::from_secs(number(name, default, problems) as u64)
        };
        let reconcile_every = seconds("KUBENUDGE_RECONCILE_SECONDS", 300, &mut problems);
        let work = WorkOptions {
            max_concurrent_reviews,
            lease: seconds("KUBENUDGE_LEASE_SECONDS", 60, &mut problems),
            shutdown_grace: seconds("KUBENUDGE_SHUTDOWN_SECONDS", 25, &mut problems),
            ..WorkOptions::default()
        };
        let details_url = web_url(&api_url);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Settings {
            credentials_dir: dir,
            public_url,
            app_id,
            private_key: private_key.unwrap_or_else(|| SecretString::from("")),
            webhook_secret: webhook_secret.unwrap_or_else(|| SecretString::from("")),
            api_url,
            listen,
            review,
            database_url: database_url.trim().to_string(),
            work,
            reconcile_every,
            details_url,
        })
    }
}

/// GitHub's web site for an API URL: github.com for api.github.com, the host itself for
/// GitHub Enterprise Server (`https://HOST/api/v3`). `{repo}` and `{pr}` are filled per run.
fn web_url(api_url: &str) -> Option<String> {
    let api = api_url.trim_end_matches('/');
    let web = if api == "https://api.github.com" {
        "https://github.com".to_string()
    } else {
        api.strip_suffix("/api/v3")?.to_string()
    };
    Some(format!("{web}/{{repo}}/pull/{{pr}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = Settings::from_env(|name| match name {
            "GITHUB_APP_ID" => Some("abc".into()),
            "KUBENUDGE_LISTEN" => Some("nowhere".into()),
            _ => None,
        })
        .unwrap_err();
        let text = err.join("\n");
        assert!(text.contains("GITHUB_APP_ID must be a number"), "{text}");
        assert!(text.contains("GITHUB_APP_PRIVATE_KEY"), "{text}");
        assert!(text.contains("GITHUB_WEBHOOK_SECRET"), "{text}");
        assert!(text.contains("KUBENUDGE_LISTEN"), "{text}");
    }

    #[test]
    fn the_credentials_directory_fills_what_the_environment_leaves_out() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("app");
        let env = |extra: Option<(&'static str, &'static str)>| {
            let creds = creds.display().to_string();
            move |name: &str| match name {
                "KUBENUDGE_APP_CREDENTIALS_DIR" => Some(creds.clone()),
                "KUBENUDGE_PUBLIC_URL" => Some("https://kn.example.com/".into()),
                n => extra.filter(|(k, _)| *k == n).map(|(_, v)| v.to_string()),
            }
        };
        assert!(needs_setup(env(None)));
        let err = Settings::from_env(env(None)).unwrap_err().join("\n");
        assert!(err.contains("has no app-id"), "{err}");
        credentials::write(
            &creds,
            42,
            &SecretString::from("pem"),
            &SecretString::from("from-file"),
        )
        .unwrap();
        assert!(!needs_setup(env(None)));
        let s = Settings::from_env(env(None)).unwrap();
        assert_eq!(s.app_id, 42);
        assert_eq!(s.public_url.as_deref(), Some("https://kn.example.com"));
        assert_eq!(
            s.review.rule_pages_url.as_deref(),
            Some("https://kn.example.com")
        );
        // The environment wins over the files.
        let s = Settings::from_env(env(Some(("GITHUB_APP_ID", "7")))).unwrap();
        assert_eq!(s.app_id, 7);
        assert!(!needs_setup(
            |n: &str| (n == "GITHUB_APP_ID").then(|| "7".to_string())
        ));
    }

    #[test]
    fn setup_finds_the_github_web_address() {
        let web = |api: Option<&str>| {
            SetupSettings::from_env(|n| match n {
                "GITHUB_API_URL" => api.map(str::to_string),
                _ => None,
            })
            .unwrap()
            .web_url
        };
        assert_eq!(web(None), "https://github.com");
        assert_eq!(
            web(Some("https://ghe.example.com/api/v3/")),
            "https://ghe.example.com"
        );
        let err = SetupSettings::from_env(|n| {
            (n == "KUBENUDGE_PUBLIC_URL").then(|| "kn.example.com".to_string())
        })
        .unwrap_err();
        assert!(
            err[0].contains("KUBENUDGE_PUBLIC_URL must be an http(s) URL"),
            "{err:?}"
        );
    }

    #[test]
    fn defaults_apply() {
        let s = Settings::from_env(|name| match name {
            "GITHUB_APP_ID" => Some("42".into()),
            "GITHUB_APP_PRIVATE_KEY" => Some("pem".into()),
            "GITHUB_WEBHOOK_SECRET" => Some("s".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.api_url, "https://api.github.com");
        assert_eq!(s.listen.to_string(), "0.0.0.0:3000");
        assert_eq!(s.review.max_inline_comments, 30);
        assert_eq!(s.database_url, "sqlite://kubenudge.db");
        assert_eq!(s.reconcile_every.as_secs(), 300);
        assert_eq!(
            s.details_url.as_deref(),
            Some("https://github.com/{repo}/pull/{pr}")
        );
    }

    #[test]
    fn a_database_url_of_another_kind_is_refused_without_echoing_it() {
        let err = Settings::from_env(|name| match name {
            "GITHUB_APP_ID" => Some("42".into()),
            "GITHUB_APP_PRIVATE_KEY" => Some("pem".into()),
            "GITHUB_WEBHOOK_SECRET" => Some("s".into()),
            "KUBENUDGE_DATABASE_URL" => Some("mysql://u:hunter2@db/k".into()),
            _ => None,
        })
        .unwrap_err()
        .join("\n");
        assert!(
            err.contains("KUBENUDGE_DATABASE_URL must be sqlite://PATH"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
}
