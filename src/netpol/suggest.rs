//! Least-privilege NetworkPolicies for workloads no policy selects, from what the repository
//! declares: ingress from the workloads that name a Service selecting it (in `command`,
//! `args` or `env` values), on that Service's target ports; egress to DNS and to the
//! Services it names. Each suggestion comes with the connections it would leave open,
//! computed by the model itself on the repository plus the suggestion.

use std::fmt::Write as _;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::manifest::selector::{self, Labels};
use crate::manifest::{Limits, ManifestFile, read_manifest};

use super::connectivity;
use super::model::{Model, NAMESPACE_NAME_LABEL, Service, Workload};
use super::render::{Format, render_connectivity};

/// One proposed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// `ns/name[Kind]` of the workload it protects.
    pub workload: String,
    /// The NetworkPolicy, as YAML ready to commit (comments say where each rule comes from).
    pub yaml: String,
    /// np-guard lines of the connections to and from the workload once it applies.
    pub allows: Vec<String>,
}

/// Suggestions for every workload that no NetworkPolicy selects, in workload order.
/// Workloads without labels are left out: no policy can select them alone.
pub fn suggest(files: &[ManifestFile]) -> Vec<Suggestion> {
    let model = Model::from_files(files);
    let drafts: Vec<(String, String)> = model
        .workloads
        .iter()
        .filter(|w| !w.labels.is_empty() && !selected(&model, w))
        .map(|w| (w.id(), policy_yaml(&model, w)))
        .collect();
    if drafts.is_empty() {
        return Vec::new();
    }
    // What the repository would allow with every suggestion applied.
    let joined: String = drafts.iter().map(|(_, y)| format!("---\n{y}")).collect();
    let Ok(suggested) = read_manifest("suggested.yaml", joined.as_bytes(), &Limits::default())
    else {
        return Vec::new();
    };
    let mut with: Vec<&ManifestFile> = files.iter().collect();
    with.push(&suggested);
    let model_after = Model::from_file_refs(&with);
    let lines: Vec<String> = render_connectivity(&connectivity::compute(&model_after), Format::Txt)
        .lines()
        .map(str::to_string)
        .collect();
    drafts
        .into_iter()
        .map(|(workload, yaml)| {
            let src = format!("{workload} => ");
            let dst = format!("=> {workload} :");
            let allows = lines
                .iter()
                .filter(|l| l.starts_with(&src) || l.contains(&dst))
                .cloned()
                .collect();
            Suggestion {
                workload,
                yaml,
                allows,
            }
        })
        .collect()
}

/// [`suggest`], kept to `workloads` that sit in a namespace where some other workload is
/// isolated by a policy (there, an unselected newcomer is the odd one out).
pub fn suggest_where_isolated(
    files: &[ManifestFile],
    workloads: &std::collections::BTreeSet<String>,
) -> Vec<Suggestion> {
    let model = Model::from_files(files);
    let isolated: std::collections::BTreeSet<&str> = model
        .workloads
        .iter()
        .filter(|w| selected(&model, w))
        .map(|w| w.namespace.as_str())
        .collect();
    let wanted: std::collections::BTreeSet<String> = model
        .workloads
        .iter()
        .filter(|w| isolated.contains(w.namespace.as_str()) && workloads.contains(&w.id()))
        .map(Workload::id)
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    suggest(files)
        .into_iter()
        .filter(|s| wanted.contains(&s.workload))
        .collect()
}

fn selected(model: &Model, w: &Workload) -> bool {
    model
        .policies
        .iter()
        .any(|p| p.namespace == w.namespace && selector::matches(&p.pod_selector, &w.labels))
}

/// Does `w` name Service `s` (as `s`, `s.ns`, `s.ns.svc`, `s.ns.svc.cluster.local`)?
fn names_service(w: &Workload, s: &Service) -> bool {
    let long = [
        format!("{}.{}", s.name, s.namespace),
        format!("{}.{}.svc", s.name, s.namespace),
        format!("{}.{}.svc.cluster.local", s.name, s.namespace),
    ];
    w.mentions.iter().any(|m| {
        m.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
            .map(|t| t.trim_end_matches('.'))
            .any(|t| (t == s.name && w.namespace == s.namespace) || long.iter().any(|l| l == t))
    })
}

fn selects(s: &Service, w: &Workload) -> bool {
    s.namespace == w.namespace
        && s.selector.as_ref().is_some_and(|sel| {
            !sel.is_empty() && sel.iter().all(|(k, v)| w.labels.get(k) == Some(v))
        })
}

fn target_ports(s: &Service) -> Vec<String> {
    let mut out: Vec<String> = s
        .ports
        .iter()
        .map(|p| match &p.target {
            Some(IntOrString::Int(n)) => n.to_string(),
            Some(IntOrString::String(name)) => quote(name),
            None => p.port.to_string(),
        })
        .collect();
    out.dedup();
    out
}

/// A YAML scalar that reads back as the string `s`: plain when nothing in it could be read
/// as another type (`true`, `1.0`, `null`, `y`) or as YAML syntax, double-quoted otherwise
/// (JSON strings are valid YAML).
fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

fn labels_yaml(out: &mut String, indent: &str, labels: &Labels) {
    let _ = writeln!(out, "{indent}matchLabels:");
    for (k, v) in labels {
        let _ = writeln!(out, "{indent}  {}: {}", quote(k), quote(v));
    }
}

fn peer_yaml(out: &mut String, own_ns: &str, ns: &str, labels: &Labels) {
    if ns == own_ns {
        out.push_str("        - podSelector:\n");
    } else {
        out.push_str("        - namespaceSelector:\n");
        labels_yaml(
            out,
            "            ",
            &Labels::from([(NAMESPACE_NAME_LABEL.to_string(), ns.to_string())]),
        );
        out.push_str("          podSelector:\n");
    }
    labels_yaml(out, "            ", labels);
}

fn ports_yaml(out: &mut String, ports: &[String]) {
    if ports.is_empty() {
        return;
    }
    out.push_str("      ports:\n");
    for p in ports {
        let _ = writeln!(out, "        - port: {p}\n          protocol: TCP");
    }
}

fn policy_yaml(model: &Model, w: &Workload) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Least privilege for {} (suggested by kubenudge from the Services it serves and calls)",
        w.id()
    );
    let name = format!("{}-least-privilege", w.name);
    let _ = write!(
        out,
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {}\n  namespace: {}\nspec:\n  podSelector:\n",
        quote(&name),
        quote(&w.namespace)
    );
    labels_yaml(&mut out, "    ", &w.labels);
    out.push_str("  policyTypes: [Ingress, Egress]\n");

    let mut ingress = String::new();
    for s in model.services.iter().filter(|s| selects(s, w)) {
        let clients: Vec<&Workload> = model
            .workloads
            .iter()
            .filter(|c| c.id() != w.id() && !c.labels.is_empty() && names_service(c, s))
            .collect();
        if clients.is_empty() {
            continue;
        }
        let _ = writeln!(
            ingress,
            "    # callers of Service {}/{}\n    - from:",
            s.namespace, s.name
        );
        for c in clients {
            peer_yaml(&mut ingress, &w.namespace, &c.namespace, &c.labels);
        }
        ports_yaml(&mut ingress, &target_ports(s));
    }
    for e in model.exposures.iter().filter(|e| {
        e.namespace == w.namespace
            && e.backends.iter().any(|(svc, _)| {
                model
                    .services
                    .iter()
                    .any(|s| &s.name == svc && s.namespace == e.namespace && selects(s, w))
            })
    }) {
        let _ = writeln!(
            ingress,
            "    # {} {}/{} ({}) routes here: allow your ingress controller's namespace too",
            e.kind, e.namespace, e.name, e.origin
        );
    }
    if ingress.contains("- from:") {
        out.push_str("  ingress:\n");
        out.push_str(&ingress);
    } else {
        out.push_str(&ingress);
        out.push_str("  ingress: []\n");
    }

    out.push_str(
        "  egress:\n    # DNS (UDP and TCP 53 to the cluster DNS pods)\n    - to:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: kube-system\n          podSelector:\n            matchLabels:\n              k8s-app: kube-dns\n      ports:\n        - port: 53\n          protocol: UDP\n        - port: 53\n          protocol: TCP\n",
    );
    for s in model
        .services
        .iter()
        .filter(|s| names_service(w, s) && !selects(s, w))
    {
        let Some(sel) = s.selector.as_ref().filter(|sel| !sel.is_empty()) else {
            continue;
        };
        let _ = writeln!(
            out,
            "    # Service {}/{}, named in its command, args or env\n    - to:",
            s.namespace, s.name
        );
        peer_yaml(&mut out, &w.namespace, &s.namespace, sel);
        ports_yaml(&mut out, &target_ports(s));
    }
    out
}
