//! Reading the repository's rollout policy for one review: `.github/kubenudge.yml` from the
//! pull request's base commit (a pull request cannot switch its own checks off), and, only
//! when needed, the head commit's tree: kustomization namespaces and the workloads a Namespace
//! label change would reject.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use chrono::NaiveDate;

use crate::config::{CONFIG_PATH, Config, ConfigError, Help, load_or_default};
use crate::github::{GitHubApi, RepoRef};
use crate::review::Enforcement;

/// Today's date for the rollout stages; tests fix it.
pub type Clock = Arc<dyn Fn() -> NaiveDate + Send + Sync>;

/// The UTC date.
pub fn utc_clock() -> Clock {
    Arc::new(|| chrono::Utc::now().date_naive())
}

pub use crate::review::policy::MAX_PREVIEW_FILES;

/// Base-commit configuration files remembered.
const CACHED_CONFIGS: usize = 512;

type ConfigKey = (String, String);
type ConfigMap = HashMap<ConfigKey, Option<Arc<Vec<u8>>>>;

/// The configuration file of a base commit, by (repository, commit): a commit's file never
/// changes, so the pushes of one pull request read it once.
#[derive(Default)]
pub struct ConfigCache {
    inner: Mutex<(ConfigMap, VecDeque<ConfigKey>)>,
    /// The `help:` of each repository's latest reviewed base commit, for its rule pages.
    help: Mutex<(HashMap<String, Help>, VecDeque<String>)>,
}

impl ConfigCache {
    /// What the repository's configuration says about help, as of its latest review.
    pub fn repository_help(&self, repo: &str) -> Option<Help> {
        let help = self.help.lock().unwrap_or_else(|p| p.into_inner());
        help.0.get(repo).cloned()
    }

    fn remember_help(&self, repo: &RepoRef, value: &Help) {
        let mut help = self.help.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order) = &mut *help;
        if map.insert(repo.to_string(), value.clone()).is_none() {
            order.push_back(repo.to_string());
        }
        while order.len() > CACHED_CONFIGS {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }

    fn get(&self, key: &ConfigKey) -> Option<Option<Arc<Vec<u8>>>> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.0.get(key).cloned()
    }

    fn put(&self, key: ConfigKey, value: Option<Arc<Vec<u8>>>) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order) = &mut *inner;
        if map.insert(key.clone(), value).is_none() {
            order.push_back(key);
        }
        while order.len() > CACHED_CONFIGS {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }
}

/// The policy a review applies.
pub struct BaseConfig {
    pub config: Config,
    /// Mistakes in the base commit's file (the defaults apply instead).
    pub errors: Vec<ConfigError>,
}

/// The service's policy for repositories without a configuration file.
pub fn service_defaults(enforcement: &Enforcement) -> Config {
    Config {
        level: enforcement.pss.level,
        pss_version: enforcement.pss.version,
        mode: match enforcement.mode {
            crate::review::Mode::Audit => crate::config::Mode::Audit,
            crate::review::Mode::Warn => crate::config::Mode::Warn,
            crate::review::Mode::Enforce => crate::config::Mode::Enforce,
        },
        ..Config::default()
    }
}

/// Reads `.github/kubenudge.yml` at `base_sha`; no file means the service defaults, a broken
/// file means [`Config::default`] and its errors (shown, never silently ignored).
pub async fn base_config<G: GitHubApi>(
    api: &G,
    repo: &RepoRef,
    base_sha: &str,
    cache: &ConfigCache,
    enforcement: &Enforcement,
) -> anyhow::Result<BaseConfig> {
    let key = (repo.to_string(), base_sha.to_string());
    let bytes = match cache.get(&key) {
        Some(b) => b,
        None => {
            let b = api
                .get_file_at(repo, CONFIG_PATH, base_sha)
                .await
                .with_context(|| format!("reading {CONFIG_PATH} of the base commit"))?
                .map(Arc::new);
            cache.put(key, b.clone());
            b
        }
    };
    let base = match bytes {
        None => BaseConfig {
            config: service_defaults(enforcement),
            errors: Vec::new(),
        },
        Some(bytes) => {
            let (config, errors) = load_or_default(CONFIG_PATH, &bytes);
            BaseConfig { config, errors }
        }
    };
    cache.remember_help(repo, &base.config.help);
    Ok(base)
}

/// True for the kustomization files that can set the namespace of `paths`' objects.
pub fn is_kustomization_for<'a>(path: &str, mut changed: impl Iterator<Item = &'a str>) -> bool {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    if !matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
    ) {
        return false;
    }
    changed.any(|c| dir.is_empty() || c.starts_with(&format!("{dir}/")))
}
