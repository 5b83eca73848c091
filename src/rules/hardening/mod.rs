//! Hardening rules: good practice beyond the Pod Security Standards.
include!(concat!(env!("OUT_DIR"), "/rules_hardening.rs"));
