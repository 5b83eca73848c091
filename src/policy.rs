//! Pod Security Standards levels and versions, as PSA names them.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// The newest PSA policy version kubenudge knows; `latest` means this.
pub const LATEST_MINOR: u32 = 37;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            _ => Err(format!(
                "unknown level {s:?}: expected privileged, baseline or restricted"
            )),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        })
    }
}

/// `latest` or `v1.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Version {
    Latest,
    Minor(u32),
}

impl Version {
    /// The minor version whose rules apply: `latest` and anything newer than kubenudge knows
    /// mean the newest rules, as in PSA.
    pub fn effective_minor(self) -> u32 {
        match self {
            Version::Latest => LATEST_MINOR,
            Version::Minor(n) => n.min(LATEST_MINOR),
        }
    }

    /// True when the rules of `v1.minor` or later apply.
    pub fn at_least(self, minor: u32) -> bool {
        self.effective_minor() >= minor
    }
}

impl FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "latest" {
            return Ok(Version::Latest);
        }
        let minor = s
            .strip_prefix("v1.")
            .filter(|m| !m.is_empty() && (m == &"0" || !m.starts_with('0')))
            .and_then(|m| m.parse::<u32>().ok());
        match minor {
            Some(n) => Ok(Version::Minor(n)),
            None => Err(format!(
                "unknown Pod Security version {s:?}: expected latest or v1.N (e.g. v1.30)"
            )),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::Minor(n) => write!(f, "v1.{n}"),
        }
    }
}

/// The level and version a pod is judged at, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PssPolicy {
    pub level: Level,
    pub version: Version,
    /// Where this policy came from when it was not the default, e.g.
    /// `label pod-security.kubernetes.io/enforce=baseline on Namespace payments`.
    pub origin: Option<String>,
}

impl Default for PssPolicy {
    fn default() -> Self {
        Self {
            level: Level::Restricted,
            version: Version::Latest,
            origin: None,
        }
    }
}

impl fmt::Display for PssPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.version)?;
        if let Some(o) = &self.origin {
            write!(f, " ({o})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_as_psa_does() {
        assert_eq!("latest".parse(), Ok(Version::Latest));
        assert_eq!("v1.0".parse(), Ok(Version::Minor(0)));
        assert_eq!("v1.25".parse(), Ok(Version::Minor(25)));
        assert!("v1.025".parse::<Version>().is_err());
        assert!("1.25".parse::<Version>().is_err());
        assert!("v2.0".parse::<Version>().is_err());
        assert_eq!(Version::Minor(99).effective_minor(), LATEST_MINOR);
    }
}
