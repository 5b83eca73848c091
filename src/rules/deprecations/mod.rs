//! Deprecation rules: manifests written for API versions Kubernetes no longer serves.
include!(concat!(env!("OUT_DIR"), "/rules_deprecations.rs"));
