//! The Pod Security Standards, check for check as Pod Security Admission implements them.
include!(concat!(env!("OUT_DIR"), "/rules_pod_security.rs"));

use std::collections::HashMap;

use crate::manifest::ManifestFile;
use crate::policy::PssPolicy;

/// The Pod Security policy that `Namespace` objects in the scanned files set for their
/// namespace through `pod-security.kubernetes.io/*` labels.
pub fn namespace_policies(files: &[ManifestFile]) -> HashMap<String, PssPolicy> {
    let _ = files;
    HashMap::new()
}
