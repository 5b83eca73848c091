
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule, join_quote, pluralize};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::HostPathVolumes,
    summary: "pods must not mount hostPath volumes",
    fix: FixAvailability::Never,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    let volumes = pod.spec.volumes.as_deref().unwrap_or_default();
    let bad: Vec<(usize, &str)> = volumes
        .iter()
        .enumerate()
        .filter(|(_, v)| v.host_path.is_some())
        .map(|(i, v)| (i, v.name.as_str()))
        .collect();
    let (first, _) = bad.first()?;
    let names: Vec<&str> = bad.iter().map(|(_, n)| *n).collect();
    // No fix: what replaces a host directory (a PVC, a ConfigMap, an emptyDir) depends on
    // why the pod reads the node's files; the guidance page walks through the options.
    Some(Forbidden::new(
        "hostPath volumes",
        format!(
            "{} {}",
            pluralize("volume", "volumes", names.len()),
            join_quote(&names)
        ),
        pod.spec_path
            .clone()
            .key("volumes")
            .index(*first)
            .key("hostPath"),
    ))
}
