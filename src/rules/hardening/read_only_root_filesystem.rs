//! ## What it does
//! Flags containers that do not set `securityContext.readOnlyRootFilesystem: true`.
//!
//! ## Why it matters
//! A writable root filesystem lets an attacker who gets code execution in the container drop
//! tools, rewrite binaries or plant persistence. With a read-only root the image stays what was
//! built and scanned; the application writes only where you mount a volume for it. Pod Security
//! Admission does not check this, but kube-linter, Polaris and the CIS benchmark do.
//!
//! ## What to change
//! Before:
//! ```yaml
//! containers:
//!   - name: app
//!     image: registry.example.com/app:1.4
//! ```
//! After:
//! ```yaml
//! containers:
//!   - name: app
//!     image: registry.example.com/app:1.4
//!     securityContext:
//!       readOnlyRootFilesystem: true
//!     volumeMounts:
//!       - name: tmp
//!         mountPath: /tmp
//! volumes:
//!   - name: tmp
//!     emptyDir: {}
//! ```
//!
//! ## Edge cases
//! - Applications that write caches or PID files (nginx, Java's `/tmp`): mount an `emptyDir`
//!   at exactly those paths.
//! - Init containers that install files into a shared volume are fine: the volume is writable,
//!   the root filesystem need not be.
//! - Log collectors and CNI agents that must write to the host use `hostPath` volumes for that,
//!   not their root filesystem.
//!
//! ## Fix safety
//! The fix needs review: an application that writes outside its mounted volumes will fail at
//! start. Run it once with the setting before merging.
//!
//! ## What if you cannot comply
//! Mount `emptyDir` volumes for the paths the application writes to. If the image writes all
//! over its root filesystem and you cannot change it, ask for an exception (see the exception
//! process linked in the review) and note which paths it writes.

use crate::finding::{FixAction, FixPlan, FixSafety, Violation};
use crate::rules::pod::containers;
use crate::rules::{FixAvailability, Rule, RuleContext};

pub(crate) static RULE: ReadOnlyRootFilesystem = ReadOnlyRootFilesystem;

pub struct ReadOnlyRootFilesystem;

impl Rule for ReadOnlyRootFilesystem {
    fn id(&self) -> &'static str {
        "hardening/read-only-root-filesystem"
    }

    fn summary(&self) -> &'static str {
        "containers should run with a read-only root filesystem"
    }

    fn fix_availability(&self) -> FixAvailability {
        FixAvailability::Always
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(template) = cx.pod_template() else {
            return Vec::new();
        };
        containers(&template)
            .into_iter()
            .filter(|c| {
                c.security_context()
                    .and_then(|s| s.read_only_root_filesystem)
                    != Some(true)
            })
            .map(|c| {
                let path = c.security_context_path().key("readOnlyRootFilesystem");
                let fix = FixPlan {
                    safety: FixSafety::Review,
                    title: format!(
                        "Set `readOnlyRootFilesystem: true` on container {:?}",
                        c.name()
                    ),
                    caveat: "the application fails if it writes outside its volumes; mount an \
                             `emptyDir` where it writes (such as /tmp) and run it once before \
                             merging"
                        .into(),
                    actions: vec![FixAction::Set {
                        path: path.clone(),
                        value: "true".into(),
                    }],
                };
                Violation::new(
                    format!(
                        "container {:?} does not set securityContext.readOnlyRootFilesystem=true",
                        c.name()
                    ),
                    path,
                )
                .with_fix(Some(fix))
            })
            .collect()
    }
}
