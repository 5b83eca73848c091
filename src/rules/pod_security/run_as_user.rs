
use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, setters_phrase};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::RunAsUser,
    summary: "pods and containers must not set runAsUser: 0",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut paths = Vec::new();
    let pod_bad = pod.security_context().and_then(|s| s.run_as_user) == Some(0);
    if pod_bad {
        paths.push(pod.security_context_path().key("runAsUser"));
    }
    let mut names = Vec::new();
    for c in &pod.containers {
        if c.security_context().and_then(|s| s.run_as_user) == Some(0) {
            names.push(c.name());
            paths.push(c.security_context_path().key("runAsUser"));
        }
    }
    let first = paths.first()?.clone();
    // Removing the field lets the image's USER apply; together with runAsNonRoot the kubelet
    // then refuses an image that still runs as root, instead of guessing a UID here.
    let actions = paths
        .into_iter()
        .map(|path| FixAction::Remove { path })
        .collect();
    Some(
        Forbidden::new(
            "runAsUser=0",
            format!(
                "{} must not set runAsUser=0",
                setters_phrase(pod_bad, &names)
            ),
            first,
        )
        .with_fix(Some(FixPlan {
            safety: FixSafety::Review,
            title: "Remove `runAsUser: 0`".into(),
            caveat: "The container then runs as the image's USER. If that is root too, build \
                     the image with a non-root USER or set runAsUser to a non-zero UID that \
                     owns the files the program writes."
                .into(),
            actions,
        })),
    )
}
