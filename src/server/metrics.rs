//! Prometheus text for `/metrics`: counters kept in one map, GitHub request counters read
//! from the client.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use crate::github::RequestCounters;

#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
}

const HELP: &[(&str, &str)] = &[
    (
        "kubenudge_webhooks_total",
        "Webhook deliveries received, by event.",
    ),
    (
        "kubenudge_webhooks_rejected_total",
        "Webhook deliveries refused, by reason.",
    ),
    ("kubenudge_reviews_total", "Reviews finished, by outcome."),
    (
        "kubenudge_deliveries_stored_total",
        "Webhook deliveries stored before the answer.",
    ),
    (
        "kubenudge_jobs_claimed_total",
        "Review jobs claimed from the store by this replica.",
    ),
    (
        "kubenudge_deliveries_redelivered_total",
        "Failed deliveries GitHub was asked to redeliver.",
    ),
];

impl Metrics {
    /// Adds one to `name{label}`; `label` is a complete `key="value"` list or empty.
    pub fn inc(&self, name: &'static str, label: impl Into<String>) {
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *c.entry((name, label.into())).or_default() += 1;
    }

    pub fn get(&self, name: &'static str, label: &str) -> u64 {
        let c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        c.get(&(name, label.to_string())).copied().unwrap_or(0)
    }

    pub fn render(&self, github: &RequestCounters) -> String {
        let mut out = String::new();
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        for (name, help) in HELP {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for ((n, label), value) in counters.iter() {
                if n == name {
                    if label.is_empty() {
                        let _ = writeln!(out, "{name} {value}");
                    } else {
                        let _ = writeln!(out, "{name}{{{label}}} {value}");
                    }
                }
            }
        }
        for (name, help, value) in [
            (
                "kubenudge_github_requests_total",
                "Requests sent to GitHub, retries included.",
                &github.requests,
            ),
            (
                "kubenudge_github_retries_total",
                "Requests retried after a 5xx or timeout.",
                &github.retries,
            ),
            (
                "kubenudge_github_rate_limit_waits_total",
                "Waits for a GitHub rate limit.",
                &github.rate_limit_waits,
            ),
            (
                "kubenudge_github_errors_total",
                "GitHub requests that finally failed.",
                &github.failures,
            ),
            (
                "kubenudge_github_token_exchanges_total",
                "Installation tokens obtained.",
                &github.token_exchanges,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out
    }
}
