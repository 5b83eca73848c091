//! ## What it does
//! Flags `ports` entries the API server rejects: a protocol other than `TCP`, `UDP` or `SCTP`;
//! a port number outside 1–65535; a port name that is not a valid name (1–15 lowercase letters,
//! digits and `-`, with at least one letter); and an `endPort` without a numeric `port`, with a
//! named `port`, below `port` or above 65535.
//!
//! ## Why it matters
//! The whole policy is rejected at `kubectl apply`, so none of it protects anything. A port
//! written as a quoted number (`port: "8080"`) is a *name* to the API server, and fails.
//!
//! ## What to change
//! Before:
//! ```yaml
//! ports:
//!   - protocol: tcp          # protocols are upper case
//!     port: 32000
//!     endPort: 31000         # below port
//!   - port: "8080"           # a name, not a number
//! ```
//! After:
//! ```yaml
//! ports:
//!   - protocol: TCP
//!     port: 31000
//!     endPort: 32000
//!   - port: 8080
//! ```
//!
//! ## Edge cases
//! - `endPort` needs a numeric `port`; a range of named ports does not exist.
//! - A network plugin without `endPort` support applies only `port` (accepted, but narrower
//!   than written); that is not an API error and is not reported.
//!
//! ## Fix safety
//! No automatic fix: whether `port` and `endPort` were swapped or one of them is wrong is the
//! author's call.
//!
//! ## What if you cannot comply
//! A rejected policy cannot be applied: correct the entry or remove it.
//!
//! ## References
//! - Kubernetes `ValidateNetworkPolicyPort` (`pkg/apis/networking/validation/validation.go`).
//! - <https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-range-of-ports>

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::finding::{Severity, Violation};
use crate::rules::{Rule, RuleContext};

use super::spec::{policy, rules};

pub(crate) static RULE: InvalidPort = InvalidPort;

pub struct InvalidPort;

impl Rule for InvalidPort {
    fn id(&self) -> &'static str {
        "network-policy/invalid-port"
    }

    fn summary(&self) -> &'static str {
        "NetworkPolicy ports must have a valid protocol, port number or name, and endPort"
    }

    /// The API server rejects the policy.
    fn severity(&self) -> Severity {
        Severity::Error
    }

    fn check(&self, cx: &RuleContext<'_>) -> Vec<Violation> {
        let Some(policy) = policy(cx) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for rule in rules(policy.spec) {
            for (j, port) in rule.ports.iter().enumerate() {
                let path = rule.port_path(j);
                if let Some(protocol) = &port.protocol
                    && !matches!(protocol.as_str(), "TCP" | "UDP" | "SCTP")
                {
                    let hint = match protocol.to_ascii_uppercase().as_str() {
                        p @ ("TCP" | "UDP" | "SCTP") => format!("; write `{p}`"),
                        _ => String::new(),
                    };
                    out.push(Violation::new(
                        format!(
                            "protocol {protocol:?} is not TCP, UDP or SCTP: the API server rejects it{hint}"
                        ),
                        path.clone().key("protocol"),
                    ));
                }
                match &port.port {
                    Some(IntOrString::Int(n)) if !(1..=65535).contains(n) => {
                        out.push(Violation::new(
                            format!("port {n} is outside 1-65535: the API server rejects it"),
                            path.clone().key("port"),
                        ))
                    }
                    Some(IntOrString::String(name)) => {
                        if let Some(problem) = port_name_problem(name) {
                            out.push(Violation::new(
                                format!(
                                    "port {name:?} is not a valid port name ({problem}): the API server rejects it{}",
                                    if name.parse::<u16>().is_ok() {
                                        "; write the number without quotes"
                                    } else {
                                        ""
                                    }
                                ),
                                path.clone().key("port"),
                            ))
                        }
                    }
                    _ => {}
                }
                let Some(end) = port.end_port else {
                    continue;
                };
                let at = path.clone().key("endPort");
                let problem = match &port.port {
                    None => Some("`endPort` needs a numeric `port` (the start of the range)".to_string()),
                    Some(IntOrString::String(name)) => Some(format!(
                        "`endPort` cannot be used with the named port {name:?}"
                    )),
                    Some(IntOrString::Int(start)) if end < *start => Some(format!(
                        "endPort {end} is below port {start}; the range is port..endPort"
                    )),
                    Some(IntOrString::Int(_)) if end > 65535 => {
                        Some(format!("endPort {end} is above 65535"))
                    }
                    _ => None,
                };
                if let Some(problem) = problem {
                    out.push(Violation::new(
                        format!("{problem}: the API server rejects it"),
                        at,
                    ));
                }
            }
        }
        out
    }
}

/// Why `name` is not an IANA service name as Kubernetes checks it (`IsValidPortName`).
fn port_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 15 {
        return Some("1 to 15 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some("only lowercase letters, digits and `-`");
    }
    if !name.chars().any(|c| c.is_ascii_lowercase()) {
        return Some("at least one letter");
    }
    if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        return Some("no `-` at either end and no `--`");
    }
    None
}
