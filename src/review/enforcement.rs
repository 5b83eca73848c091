//! The rollout stage that applies to a review. A small type so the per-namespace rollout policy
//! (modes with dates) can replace the default without touching the planner.

use crate::finding::Finding;
use crate::policy::{Level, PssPolicy, Version};

/// What a finding does to the pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Listed in the summary only.
    Audit,
    /// Commented on; the check stays green (neutral).
    Warn,
    /// Commented on; the check fails.
    Enforce,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Audit => "audit",
            Mode::Warn => "warn",
            Mode::Enforce => "enforce",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enforcement {
    pub mode: Mode,
    pub pss: PssPolicy,
}

impl Default for Enforcement {
    /// Until repositories configure a rollout: warn at `restricted`, latest.
    fn default() -> Self {
        Enforcement {
            mode: Mode::Warn,
            pss: PssPolicy {
                level: Level::Restricted,
                version: Version::Latest,
                origin: None,
            },
        }
    }
}

impl Enforcement {
    /// The stage for one finding (one stage for all until the rollout policy lands).
    pub fn mode_for(&self, _finding: &Finding) -> Mode {
        self.mode
    }

    pub fn is_enforced(&self, finding: &Finding) -> bool {
        self.mode_for(finding) == Mode::Enforce
    }

    /// Audit-stage findings are not commented inline.
    pub fn comments_inline(&self, finding: &Finding) -> bool {
        self.mode_for(finding) != Mode::Audit
    }
}
