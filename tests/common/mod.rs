//! Shared by the fix tests: the inputs of the convergence harness, pod-to-workload wrappers,
//! a synthetic rule set that plans every kind of fix action, and the semantic diff.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

use kubenudge::finding::{FixAction, FixPlan, FixSafety};
use kubenudge::manifest::{FieldPath, ManifestFile, ObjectRef, Segment};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
}

/// Every input of the harness: the project's fixtures, the vendored Pod Security fixtures
/// (when present), this test's own inputs, and any directory in `KUBENUDGE_FIX_CORPUS`
/// (colon-separated; for measuring on a larger corpus by hand). Each single Pod is also
/// wrapped into a Deployment and a CronJob. Identical texts are kept once.
pub fn corpus() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in [
        "fixtures",
        "tests/data/pss/files",
        "tests/data/fix",
        "tests/data/deprecations",
        "tests/data/network_policy",
    ] {
        yaml_files(&root().join(dir), &mut files);
    }
    if let Ok(extra) = std::env::var("KUBENUDGE_FIX_CORPUS") {
        for dir in extra.split(':').filter(|d| !d.is_empty()) {
            let mut found = Vec::new();
            yaml_files(Path::new(dir), &mut found);
            // Only failing fixtures carry findings worth fixing.
            files.extend(
                found
                    .into_iter()
                    .filter(|p| !p.components().any(|c| c.as_os_str() == "pass")),
            );
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if !seen.insert(text.clone()) {
            continue;
        }
        // Only files that are Kubernetes manifests to begin with.
        let readable = kubenudge::manifest::read_manifest(
            "input.yaml",
            text.as_bytes(),
            &kubenudge::manifest::Limits::default(),
        )
        .is_ok_and(|f| f.skipped.is_none());
        if !readable {
            continue;
        }
        let name = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        for kind in ["Deployment", "CronJob"] {
            if let Some(wrapped) = wrap_pod(&text, kind)
                && seen.insert(wrapped.clone())
            {
                out.push((format!("{name} as {kind}"), wrapped));
            }
        }
        out.push((name, text));
    }
    out
}

/// Puts a single-document Pod written in block style under a Deployment's or CronJob's pod
/// template, by indenting its `metadata` and `spec` sections.
pub fn wrap_pod(text: &str, kind: &str) -> Option<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.lines().any(|l| l.trim_end() == "kind: Pod") || text.contains("\n---") {
        return None;
    }
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut sections: Vec<(String, Vec<&str>)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let starts_key = line
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace() && c != '#' && c != '-');
        if starts_key {
            let key = line.split(':').next().unwrap_or("").to_string();
            sections.push((key, vec![line]));
        } else if let Some(last) = sections.last_mut() {
            last.1.push(line);
        }
    }
    let name = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("name: "))
        .unwrap_or("wrapped")
        .trim()
        .to_string();
    let depth = if kind == "CronJob" { 8 } else { 4 };
    let pad = " ".repeat(depth);
    let mut body = String::new();
    for (key, lines) in &sections {
        if key == "metadata" || key == "spec" {
            for l in lines {
                if l.trim().is_empty() {
                    body.push_str(l);
                } else {
                    body.push_str(&pad);
                    body.push_str(l);
                }
            }
        }
    }
    if !body.ends_with('\n') {
        body.push_str(nl);
    }
    let head = match kind {
        "Deployment" => format!(
            "apiVersion: apps/v1{nl}kind: Deployment{nl}metadata:{nl}  name: {name}{nl}spec:{nl}  selector:{nl}    matchLabels:{nl}      app: {name}{nl}  template:{nl}"
        ),
        _ => format!(
            "apiVersion: batch/v1{nl}kind: CronJob{nl}metadata:{nl}  name: {name}{nl}spec:{nl}  schedule: \"0 * * * *\"{nl}  jobTemplate:{nl}    spec:{nl}      template:{nl}"
        ),
    };
    Some(head + &body)
}

/// A finding of the synthetic rule set: what, where, and the plan that fixes it.
#[derive(Debug, Clone)]
pub struct Planned {
    pub check: &'static str,
    pub object: ObjectRef,
    pub path: FieldPath,
    pub plan: FixPlan,
}

impl Planned {
    pub fn key(&self) -> (String, ObjectRef, String) {
        (
            self.check.into(),
            self.object.clone(),
            self.path.to_string(),
        )
    }
}

fn get<'a>(v: &'a Value, path: &FieldPath) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path.segments() {
        cur = match seg {
            Segment::Key(k) => cur.get(k.as_ref())?,
            Segment::Index(i) => cur.get(*i)?,
        };
    }
    Some(cur)
}

fn plan(actions: Vec<FixAction>) -> FixPlan {
    FixPlan {
        safety: FixSafety::Review,
        title: "synthetic".into(),
        caveat: "".into(),
        actions,
    }
}

fn set(path: FieldPath, value: &str) -> FixAction {
    FixAction::Set {
        path,
        value: value.into(),
    }
}

/// A Pod-Security-like rule set written against JSON, using every fix action, so that the
/// harness exercises `Set`, `Remove`, `AddToList` and `RemoveFromList` before real rules
/// plan them.
pub fn synthetic_findings(file: &ManifestFile) -> Vec<Planned> {
    let mut out = Vec::new();
    for object in &file.objects {
        let typed = file.typed(object);
        let Some(template) = typed.pod_template() else {
            continue;
        };
        let json = file.tree.to_json(object.node);
        let spec_path = template.spec_path();
        let meta_path = template.metadata_path();
        let Some(spec) = get(&json, &spec_path) else {
            continue;
        };
        let mut push = |check: &'static str, path: FieldPath, actions: Vec<FixAction>| {
            out.push(Planned {
                check,
                object: object.reference(),
                path,
                plan: plan(actions),
            })
        };
        for ns in ["hostNetwork", "hostPID", "hostIPC"] {
            if spec.get(ns) == Some(&Value::Bool(true)) {
                let p = spec_path.clone().key(ns);
                push(
                    "host-namespaces",
                    p.clone(),
                    vec![FixAction::Remove { path: p }],
                );
            }
        }
        let psc = spec_path.clone().key("securityContext");
        let pod_sc = spec.get("securityContext");
        if pod_sc.and_then(|s| s.get("runAsNonRoot")) != Some(&Value::Bool(true)) {
            let p = psc.clone().key("runAsNonRoot");
            push("run-as-non-root", p.clone(), vec![set(p, "true")]);
        }
        if pod_sc
            .and_then(|s| s.get("seccompProfile"))
            .and_then(|s| s.get("type"))
            != Some(&Value::String("RuntimeDefault".into()))
        {
            let p = psc.clone().key("seccompProfile").key("type");
            push("seccomp", p.clone(), vec![set(p, "RuntimeDefault")]);
        }
        if let Some(Value::Array(sysctls)) = pod_sc.and_then(|s| s.get("sysctls")) {
            for (i, s) in sysctls.iter().enumerate() {
                let name = s.get("name").and_then(Value::as_str).unwrap_or("");
                if !name.starts_with("net.ipv4.ip_local_port_range") {
                    let p = psc.clone().key("sysctls").index(i);
                    push("sysctls", p.clone(), vec![FixAction::Remove { path: p }]);
                }
            }
        }
        if let Some(Value::Object(ann)) = get(&json, &meta_path.clone().key("annotations")) {
            for (k, v) in ann {
                if k.starts_with("container.apparmor.security.beta.kubernetes.io/")
                    && v.as_str().is_some_and(|v| v == "unconfined")
                {
                    let p = meta_path.clone().key("annotations").key(k.clone());
                    push("apparmor", p.clone(), vec![FixAction::Remove { path: p }]);
                }
            }
        }
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            let Some(Value::Array(cs)) = spec.get(list) else {
                continue;
            };
            for (i, c) in cs.iter().enumerate() {
                let cp = spec_path.clone().key(list).index(i);
                let sp = cp.clone().key("securityContext");
                let sc = c.get("securityContext");
                let field = |k: &str| sc.and_then(|s| s.get(k));
                if field("allowPrivilegeEscalation") != Some(&Value::Bool(false)) {
                    let p = sp.clone().key("allowPrivilegeEscalation");
                    push(
                        "allow-privilege-escalation",
                        p.clone(),
                        vec![set(p, "false")],
                    );
                }
                if field("privileged") == Some(&Value::Bool(true)) {
                    let p = sp.clone().key("privileged");
                    push("privileged", p.clone(), vec![set(p, "false")]);
                }
                if field("runAsNonRoot") == Some(&Value::Bool(false)) {
                    let p = sp.clone().key("runAsNonRoot");
                    push("run-as-non-root", p.clone(), vec![set(p, "true")]);
                }
                if field("procMount").is_some_and(|v| v != "Default") {
                    let p = sp.clone().key("procMount");
                    push("proc-mount", p.clone(), vec![FixAction::Remove { path: p }]);
                }
                if field("runAsUser") == Some(&Value::from(0)) {
                    let p = sp.clone().key("runAsUser");
                    push(
                        "run-as-user",
                        p.clone(),
                        vec![FixAction::Remove { path: p }],
                    );
                }
                if let Some(t) = field("seccompProfile").and_then(|s| s.get("type"))
                    && t != "RuntimeDefault"
                    && t != "Localhost"
                {
                    let p = sp.clone().key("seccompProfile").key("type");
                    push("seccomp", p.clone(), vec![set(p, "RuntimeDefault")]);
                }
                if field("windowsOptions").and_then(|w| w.get("hostProcess"))
                    == Some(&Value::Bool(true))
                {
                    let p = sp.clone().key("windowsOptions").key("hostProcess");
                    push("windows-host-process", p.clone(), vec![set(p, "false")]);
                }
                let caps = field("capabilities");
                let drop = caps.and_then(|c| c.get("drop"));
                let has_all = drop
                    .and_then(Value::as_array)
                    .is_some_and(|d| d.iter().any(|x| x == "ALL"));
                if !has_all {
                    let p = sp.clone().key("capabilities").key("drop");
                    push(
                        "capabilities-drop",
                        p.clone(),
                        vec![FixAction::AddToList {
                            path: p,
                            item: "ALL".into(),
                        }],
                    );
                }
                if let Some(Value::Array(add)) = caps.and_then(|c| c.get("add")) {
                    let p = sp.clone().key("capabilities").key("add");
                    let bad: Vec<FixAction> = add
                        .iter()
                        .filter_map(Value::as_str)
                        .filter(|a| *a != "NET_BIND_SERVICE")
                        .map(|a| FixAction::RemoveFromList {
                            path: p.clone(),
                            item: a.to_string(),
                        })
                        .collect();
                    if !bad.is_empty() {
                        push("capabilities-add", p, bad);
                    }
                }
                if let Some(Value::Array(ports)) = c.get("ports") {
                    for (j, port) in ports.iter().enumerate() {
                        if port.get("hostPort").is_some_and(|h| h != 0) {
                            let p = cp.clone().key("ports").index(j).key("hostPort");
                            push("host-ports", p.clone(), vec![FixAction::Remove { path: p }]);
                        }
                    }
                }
            }
        }
    }
    out
}

fn delete(v: &mut Value, segs: &[Segment]) {
    let Some((first, rest)) = segs.split_first() else {
        return;
    };
    match (v, first) {
        (Value::Object(m), Segment::Key(k)) => {
            if rest.is_empty() {
                m.remove(k.as_ref());
            } else if let Some(child) = m.get_mut(k.as_ref()) {
                delete(child, rest);
            }
        }
        (Value::Array(a), Segment::Index(i)) => {
            if rest.is_empty() {
                if *i < a.len() {
                    a.remove(*i);
                }
            } else if let Some(child) = a.get_mut(*i) {
                delete(child, rest);
            }
        }
        _ => {}
    }
}

/// Drops nulls and empty mappings: Kubernetes reads them as absent, and a fix that creates
/// `securityContext:` for one field leaves an empty one once that field is set aside.
fn prune(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for child in m.values_mut() {
                prune(child);
            }
            m.retain(|_, c| !(c.is_null() || c.as_object().is_some_and(|o| o.is_empty())));
        }
        Value::Array(a) => a.iter_mut().for_each(prune),
        _ => {}
    }
}

/// Checks that `after` differs from `before` only under the paths the actions name.
pub fn differs_only_under(
    before: &Value,
    after: &Value,
    actions: &[FixAction],
) -> Result<(), String> {
    let mut b = before.clone();
    let mut a = after.clone();
    // Removed list items shift the ones after them: take them out of `before` only, last first.
    let mut removed_items: Vec<&FieldPath> = Vec::new();
    for action in actions {
        match action {
            FixAction::Remove { path }
                if matches!(path.segments().last(), Some(Segment::Index(_))) =>
            {
                removed_items.push(path)
            }
            other => {
                let path = kubenudge::fix::action_path(other);
                delete(&mut b, path.segments());
                delete(&mut a, path.segments());
            }
        }
    }
    removed_items.sort();
    removed_items.dedup();
    for path in removed_items.iter().rev() {
        delete(&mut b, path.segments());
    }
    prune(&mut b);
    prune(&mut a);
    if a == b {
        Ok(())
    } else {
        Err(format!(
            "objects differ outside the fixed fields:\nbefore: {b}\nafter:  {a}"
        ))
    }
}

/// `Ok` when two sorted sets of canonical documents are equal; otherwise what is `expected`
/// and not `produced`, and the reverse (`verb`: what produced them, "rendered", "built").
pub fn same_documents(expected: &[String], produced: &[String], verb: &str) -> Result<(), String> {
    if expected == produced {
        return Ok(());
    }
    let list = |from: &[String], not_in: &[String]| {
        from.iter()
            .filter(|x| !not_in.contains(x))
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n    ")
    };
    Err(format!(
        "documents differ ({} expected, {} {verb})\n  expected, not {verb}:\n    {}\n  {verb}, not expected:\n    {}",
        expected.len(),
        produced.len(),
        list(expected, produced),
        list(produced, expected),
    ))
}

/// Runs every case directory under `root` (or only those whose name contains `$only_var`)
/// through `run_case`, and fails on any unexpected result: a case that fails and is not in
/// `known` (name, why), or one in `known` that passes now. Prints the pass count.
pub fn run_conformance(
    label: &str,
    root: &Path,
    only_var: &str,
    known: &[(&str, &str)],
    run_case: impl Fn(&Path) -> Result<(), String>,
) {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let only = std::env::var(only_var).ok();
    let mut passed = 0;
    let mut unexpected = Vec::new();
    for name in &names {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let is_known = known.iter().any(|(n, _)| n == name);
        match (run_case(&root.join(name)), is_known) {
            (Ok(()), false) => passed += 1,
            (Ok(()), true) => unexpected.push(format!(
                "{name}: passes now; remove it from KNOWN_DIFFERENCES"
            )),
            (Err(_), true) => {}
            (Err(e), false) => unexpected.push(format!("{name}: {e}")),
        }
    }
    println!(
        "{label} conformance: {passed} of {} cases pass ({} known differences)",
        names.len(),
        known.len()
    );
    assert!(
        unexpected.is_empty(),
        "{} unexpected results:\n{}",
        unexpected.len(),
        unexpected.join("\n\n")
    );
}
