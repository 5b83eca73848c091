//! kubenudge's own rules: mistakes in how kubenudge is told to behave (inline ignores).
include!(concat!(env!("OUT_DIR"), "/rules_kubenudge.rs"));
