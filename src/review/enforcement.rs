//! The rollout stage that applies to a review. A small type so the per-namespace rollout policy
//! (modes with dates) can replace the default without touching the planner.

use std::collections::BTreeMap;

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
    /// The repository's rollout policy, decided per finding; `None`: `mode` for every finding.
    pub rollout: Option<RolloutStages>,
}

/// What the rollout policy decided for each reported finding of one review, and the developer
/// impact note the summary comment opens with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolloutStages {
    /// By (file, line, column, rule): the stage in force and the lines a comment ends with
    /// (stage, countdown, exception state, how to get help).
    pub by_finding: BTreeMap<(String, usize, usize, String), (Mode, String)>,
    /// Markdown placed at the top of the summary comment.
    pub note: String,
}

impl RolloutStages {
    fn get(&self, finding: &Finding) -> Option<&(Mode, String)> {
        self.by_finding.get(&(
            finding.file.clone(),
            finding.line,
            finding.column,
            finding.rule.to_string(),
        ))
    }
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
            rollout: None,
        }
    }
}

impl Enforcement {
    /// The stage for one finding: the rollout policy's decision, else the one stage for all.
    pub fn mode_for(&self, finding: &Finding) -> Mode {
        self.rollout
            .as_ref()
            .and_then(|r| r.get(finding))
            .map_or(self.mode, |(mode, _)| *mode)
    }

    /// The rollout lines a comment on `finding` ends with, when a rollout policy applies.
    pub fn comment_context(&self, finding: &Finding) -> Option<&str> {
        self.rollout
            .as_ref()
            .and_then(|r| r.get(finding))
            .map(|(_, context)| context.as_str())
    }

    pub fn is_enforced(&self, finding: &Finding) -> bool {
        self.mode_for(finding) == Mode::Enforce
    }

    /// Audit-stage findings are not commented inline.
    pub fn comments_inline(&self, finding: &Finding) -> bool {
        self.mode_for(finding) != Mode::Audit
    }
}
