
use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, containers_phrase, setters_phrase};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::RunAsNonRoot,
    summary: "pods must set runAsNonRoot: true",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let pod_path = pod.security_context_path().key("runAsNonRoot");
    let pod_value = pod.security_context().and_then(|s| s.run_as_non_root);
    let mut explicit = Vec::new();
    let mut explicit_paths = Vec::new();
    let mut implicit = Vec::new();
    for c in &pod.containers {
        match c.security_context().and_then(|s| s.run_as_non_root) {
            Some(false) => {
                explicit.push(c.name());
                explicit_paths.push(c.security_context_path().key("runAsNonRoot"));
            }
            Some(true) => {}
            None if pod_value != Some(true) => implicit.push(c.name()),
            None => {}
        }
    }
    let pod_bad = pod_value == Some(false);
    let mut actions = Vec::new();
    if pod_bad || !implicit.is_empty() {
        actions.push(FixAction::Set {
            path: pod_path.clone(),
            value: "true".into(),
        });
    }
    actions.extend(explicit_paths.iter().map(|path| FixAction::Set {
        path: path.clone(),
        value: "true".into(),
    }));
    let plan = FixPlan {
        safety: FixSafety::Review,
        title: "Set `runAsNonRoot: true`".into(),
        caveat: "The kubelet then refuses to start a container whose image runs as root \
                 (USER 0 or no USER); give the image a non-root USER or set runAsUser."
            .into(),
        actions,
    };
    if pod_bad || !explicit.is_empty() {
        let path = if pod_bad {
            pod_path
        } else {
            explicit_paths[0].clone()
        };
        return Some(
            Forbidden::new(
                "runAsNonRoot != true",
                format!(
                    "{} must not set securityContext.runAsNonRoot=false",
                    setters_phrase(pod_bad, &explicit)
                ),
                path,
            )
            .with_fix(Some(plan)),
        );
    }
    if implicit.is_empty() {
        return None;
    }
    Some(
        Forbidden::new(
            "runAsNonRoot != true",
            format!(
                "pod or {} must set securityContext.runAsNonRoot=true",
                containers_phrase(&implicit)
            ),
            pod_path,
        )
        .with_fix(Some(plan)),
    )
}
