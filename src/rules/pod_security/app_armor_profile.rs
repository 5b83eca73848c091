//! ## What it does
//! Flags pods that turn AppArmor off or choose a profile type other than the runtime default or a
//! node-local profile:
//! - the fields `spec.securityContext.appArmorProfile.type` and each container's
//!   `securityContext.appArmorProfile.type` must be `RuntimeDefault` or `Localhost` when set;
//! - the deprecated annotations `container.apparmor.security.beta.kubernetes.io/<container>`
//!   must be empty, `runtime/default` or `localhost/<profile>` (every annotation with that prefix
//!   counts, even for a container that does not exist).
//!
//! Pod Security level: **baseline**, every version (both the fields and the annotations). PSA
//! reports it as `forbidden AppArmor profile (container "app" must not set AppArmor profile type to "Unconfined")`.
//!
//! ## Why it matters
//! AppArmor confines what a container may do with files, mounts and some kernel interfaces even
//! when it runs as root. `Unconfined` removes that layer; many container escapes rely on writes to
//! `/proc` or `/sys` that the default profile denies.
//!
//! ## What to change
//! Before:
//! ```yaml
//! metadata:
//!   annotations:
//!     container.apparmor.security.beta.kubernetes.io/app: unconfined
//! spec:
//!   containers:
//!     - name: app
//!       securityContext:
//!         appArmorProfile:
//!           type: Unconfined
//! ```
//! After:
//! ```yaml
//! spec:
//!   securityContext:
//!     appArmorProfile:
//!       type: RuntimeDefault
//!   containers:
//!     - name: app
//! ```
//!
//! ## Edge cases
//! - Nodes without AppArmor (most non-Ubuntu/Debian distributions, Windows) ignore the setting, but
//!   PSA still checks it.
//! - A `Localhost` profile must exist on every node the pod can run on, or the pod fails to start.
//! - Annotations are deprecated since Kubernetes 1.30; prefer the fields.
//! - Nested container runtimes (BuildKit, Sysbox) sometimes ship with `unconfined`: use their
//!   rootless modes or a `Localhost` profile.
//!
//! ## Fix safety
//! Needs review: the fix sets the type to `RuntimeDefault` (and the annotation to
//! `runtime/default`). A program that needed AppArmor off may hit a denial.
//!
//! ## What if you cannot comply
//! Write a `Localhost` profile that allows what the program needs and load it on the nodes (e.g.
//! with the Security Profiles Operator). If that is not possible, ask for an exception through the
//! process linked in the review.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::AppArmorProfile;

use crate::finding::{FixAction, FixPlan, FixSafety};
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, containers_phrase, go_quote, join_quote, pluralize};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::AppArmorProfile,
    summary: "pods must not turn AppArmor off or pick a non-default profile type",
    fix: FixAvailability::Always,
    evaluate,
};

/// The deprecated per-container annotation; PSA checks every key with this prefix, whether
/// or not a container of that name exists.
const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn allowed_type(profile: &AppArmorProfile) -> bool {
    matches!(profile.type_.as_str(), "RuntimeDefault" | "Localhost")
}

fn allowed_annotation(value: &str) -> bool {
    value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
}

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let mut setters = Vec::new();
    let mut values = BTreeSet::new();
    let mut fields = Vec::new();
    if let Some(p) = pod
        .security_context()
        .and_then(|s| s.app_armor_profile.as_ref())
        .filter(|p| !allowed_type(p))
    {
        setters.push("pod".to_string());
        values.insert(p.type_.clone());
        fields.push(pod.security_context_path().key("appArmorProfile").key("type"));
    }
    let mut names = Vec::new();
    for c in &pod.containers {
        if let Some(p) = c
            .security_context()
            .and_then(|s| s.app_armor_profile.as_ref())
            .filter(|p| !allowed_type(p))
        {
            names.push(c.name());
            values.insert(p.type_.clone());
            fields.push(c.security_context_path().key("appArmorProfile").key("type"));
        }
    }
    if !names.is_empty() {
        setters.push(containers_phrase(&names));
    }
    let mut annotations = Vec::new();
    let mut annotation_keys = Vec::new();
    for (k, v) in pod.metadata_annotations {
        if k.starts_with(ANNOTATION_PREFIX) && !allowed_annotation(v) {
            annotations.push(format!("{k}={}", go_quote(v)));
            annotation_keys.push(k.as_str());
        }
    }
    annotations.sort();
    if !annotations.is_empty() {
        setters.push(pluralize("annotation", "annotations", annotations.len()).to_string());
    }
    if setters.is_empty() {
        return None;
    }
    let mut all_values: Vec<String> = values.into_iter().collect();
    all_values.extend(annotations);
    let mut actions: Vec<FixAction> = fields
        .iter()
        .map(|path| FixAction::Set {
            path: path.clone(),
            value: "RuntimeDefault".into(),
        })
        .collect();
    for key in &annotation_keys {
        actions.push(FixAction::Set {
            path: pod.annotation_path(key),
            value: "runtime/default".into(),
        });
    }
    let path = fields
        .first()
        .cloned()
        .unwrap_or_else(|| pod.annotation_path(annotation_keys[0]));
    Some(
        Forbidden::new(
            pluralize(
                "forbidden AppArmor profile",
                "forbidden AppArmor profiles",
                all_values.len(),
            ),
            format!(
                "{} must not set AppArmor profile type to {}",
                setters.join(" and "),
                join_quote(&all_values)
            ),
            path,
        )
        .with_fix(Some(FixPlan {
            safety: FixSafety::Review,
            title: "Use the container runtime's default AppArmor profile".into(),
            caveat: "The default profile denies mounts, raw access to /proc and /sys and \
                     some kernel interfaces; a program that needed AppArmor off may hit a \
                     denial. Ship a Localhost profile for it if so."
                .into(),
            actions,
        })),
    )
}
