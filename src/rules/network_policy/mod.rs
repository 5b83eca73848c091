//! NetworkPolicy rules: the mistakes that make a policy allow more, less, or something else
//! than its author meant, and what the API server rejects. Shared reading of a policy
//! (defaulting, rules, peers, ports, CIDRs) lives in `spec.rs`, so every rule means the same
//! thing by "the peers of this rule". Pure, and independent of the connectivity model in
//! `netpol/`: rules use the repository view and `manifest::selector` only.

mod spec;

include!(concat!(env!("OUT_DIR"), "/rules_network_policy.rs"));
