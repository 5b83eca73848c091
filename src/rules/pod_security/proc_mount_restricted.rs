
use crate::rules::FixAvailability;

use super::{CheckId, Forbidden, PodView, PssRule};

pub(crate) static RULE: PssRule = PssRule {
    check: CheckId::ProcMountRestricted,
    summary: "containers must use the default (masked) /proc mount, even in a user namespace",
    fix: FixAvailability::Always,
    evaluate,
};

fn evaluate(pod: &PodView<'_>) -> Option<Forbidden> {
    super::proc_mount_check(pod)
}
