//! Property: whatever the style of a pod spec (block or flow, 2 or 4 spaces, flush or
//! indented lists, comments, quotes, CRLF, a final line break or not) and whatever plan a
//! rule makes, a realised fix gives YAML that parses, sets what it said it sets, and changes
//! nothing else.

use crate::common;

use proptest::prelude::*;
use serde_json::{Value, json};

use kubenudge::finding::{FixAction, FixPlan, FixSafety};
use kubenudge::fix::{apply_edits, realize_all};
use kubenudge::manifest::{FieldPath, Limits, read_manifest};

#[derive(Debug, Clone)]
struct SecurityContext {
    privileged: Option<bool>,
    escalation: Option<bool>,
    add: Option<Vec<&'static str>>,
    drop: Option<Vec<&'static str>>,
    flow_lists: bool,
    proc_mount: bool,
    comment: bool,
}

#[derive(Debug, Clone)]
enum ContainerContext {
    Absent,
    /// `securityContext: {}`
    EmptyFlow,
    /// `securityContext:` with nothing after it.
    Empty,
    Block(SecurityContext),
}

#[derive(Debug, Clone)]
struct Container {
    quoted: bool,
    flow: bool,
    comment: bool,
    host_port: Option<u16>,
    context: ContainerContext,
    /// A literal block script as the last key.
    script: bool,
}

#[derive(Debug, Clone)]
struct Pod {
    step: usize,
    flush: bool,
    crlf: bool,
    final_newline: bool,
    deployment: bool,
    host_network: bool,
    pod_context: bool,
    sysctls: bool,
    /// The first container's `securityContext` is anchored and the second one aliases it.
    anchored: bool,
    /// Other documents around the pod's: bit 0 one before it, bit 1 one after it.
    neighbours: u8,
    containers: Vec<Container>,
}

impl Pod {
    fn shares_context(&self) -> bool {
        self.anchored
            && self.containers.len() >= 2
            && !self.containers[0].flow
            && !self.containers[1].flow
            && matches!(self.containers[0].context, ContainerContext::Block(_))
    }
}

fn caps() -> impl Strategy<Value = Option<Vec<&'static str>>> {
    prop::option::of(prop::sample::subsequence(
        vec!["NET_ADMIN", "NET_RAW", "ALL", "CHOWN"],
        0..=3,
    ))
}

fn security_context() -> impl Strategy<Value = SecurityContext> {
    (
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        caps(),
        caps(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(privileged, escalation, add, drop, flow_lists, proc_mount, comment)| {
                SecurityContext {
                    privileged,
                    escalation,
                    add,
                    drop,
                    flow_lists,
                    proc_mount,
                    comment,
                }
            },
        )
}

fn container() -> impl Strategy<Value = Container> {
    (
        any::<bool>(),
        prop::bool::weighted(0.2),
        any::<bool>(),
        prop::option::of(1u16..9000),
        prop_oneof![
            2 => Just(ContainerContext::Absent),
            1 => Just(ContainerContext::EmptyFlow),
            1 => Just(ContainerContext::Empty),
            4 => security_context().prop_map(ContainerContext::Block),
        ],
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(quoted, flow, comment, host_port, context, script)| Container {
                quoted,
                flow,
                comment,
                host_port,
                context,
                script,
            },
        )
}

fn pod() -> impl Strategy<Value = Pod> {
    (
        prop::sample::select(vec![2usize, 4]),
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.8),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(container(), 1..=3),
        (prop::bool::weighted(0.3), 0u8..4),
    )
        .prop_map(
            |(
                step,
                flush,
                crlf,
                final_newline,
                deployment,
                host_network,
                pod_context,
                sysctls,
                containers,
                (anchored, neighbours),
            )| Pod {
                anchored,
                neighbours,
                step,
                flush,
                crlf,
                final_newline,
                deployment,
                host_network,
                pod_context,
                sysctls,
                containers,
            },
        )
}

fn list(items: &[&str], flow: bool, key_col: usize, pod: &Pod, out: &mut Vec<String>, key: &str) {
    let pad = " ".repeat(key_col);
    if flow || items.is_empty() {
        out.push(format!("{pad}{key}: [{}]", items.join(", ")));
    } else {
        out.push(format!("{pad}{key}:"));
        let dash = " ".repeat(key_col + if pod.flush { 0 } else { pod.step });
        for i in items {
            out.push(format!("{dash}- {i}"));
        }
    }
}

fn render(pod: &Pod) -> String {
    let s = pod.step;
    let mut out: Vec<String> = Vec::new();
    let spec_col = if pod.deployment {
        out.extend([
            "apiVersion: apps/v1".to_string(),
            "kind: Deployment".into(),
            "metadata:".into(),
            format!("{}name: gen", " ".repeat(s)),
            "spec:".into(),
            format!("{}selector: {{matchLabels: {{app: gen}}}}", " ".repeat(s)),
            format!("{}template:", " ".repeat(s)),
            format!("{}spec:", " ".repeat(2 * s)),
        ]);
        3 * s
    } else {
        out.extend([
            "apiVersion: v1".to_string(),
            "kind: Pod".into(),
            "metadata:".into(),
            format!("{}name: gen", " ".repeat(s)),
            "spec:".into(),
        ]);
        s
    };
    let pad = |n: usize| " ".repeat(n);
    if pod.host_network {
        out.push(format!("{}hostNetwork: true # legacy", pad(spec_col)));
    }
    if pod.pod_context {
        out.push(format!("{}securityContext:", pad(spec_col)));
        out.push(format!("{}runAsUser: 1000", pad(spec_col + s)));
        if pod.sysctls {
            let dash = spec_col + s + if pod.flush { 0 } else { s };
            out.push(format!("{}sysctls:", pad(spec_col + s)));
            out.push(format!("{}- name: kernel.msgmax", pad(dash)));
            out.push(format!("{}value: \"65536\"", pad(dash + 2)));
        }
    }
    out.push(format!("{}containers:", pad(spec_col)));
    let dash = spec_col + if pod.flush { 0 } else { s };
    let c_col = dash + 2;
    for (i, c) in pod.containers.iter().enumerate() {
        let image = if c.quoted {
            format!("\"img{i}:1\"")
        } else {
            format!("img{i}:1")
        };
        if c.flow {
            let mut parts = vec![format!("name: c{i}"), format!("image: {image}")];
            if let Some(h) = c.host_port {
                parts.push(format!("ports: [{{containerPort: 80, hostPort: {h}}}]"));
            }
            match &c.context {
                ContainerContext::Absent => {}
                ContainerContext::EmptyFlow | ContainerContext::Empty => {
                    parts.push("securityContext: {}".into())
                }
                ContainerContext::Block(sc) => {
                    let mut f = Vec::new();
                    if let Some(p) = sc.privileged {
                        f.push(format!("privileged: {p}"));
                    }
                    if let Some(add) = &sc.add {
                        f.push(format!("capabilities: {{add: [{}]}}", add.join(", ")));
                    }
                    parts.push(format!("securityContext: {{{}}}", f.join(", ")));
                }
            }
            out.push(format!("{}- {{{}}}", pad(dash), parts.join(", ")));
            continue;
        }
        out.push(format!("{}- name: c{i}", pad(dash)));
        if c.comment {
            out.push(format!("{}# the image is pinned", pad(c_col)));
        }
        out.push(format!("{}image: {image}", pad(c_col)));
        if let Some(h) = c.host_port {
            let pdash = c_col + if pod.flush { 0 } else { s };
            out.push(format!("{}ports:", pad(c_col)));
            out.push(format!("{}- containerPort: 80", pad(pdash)));
            out.push(format!("{}hostPort: {h} # why?", pad(pdash + 2)));
        }
        if i == 1 && pod.shares_context() {
            out.push(format!("{}securityContext: *sc", pad(c_col)));
            continue;
        }
        match &c.context {
            ContainerContext::Absent => {}
            ContainerContext::EmptyFlow => out.push(format!("{}securityContext: {{}}", pad(c_col))),
            ContainerContext::Empty => out.push(format!("{}securityContext:", pad(c_col))),
            ContainerContext::Block(sc) => {
                let anchor = if i == 0 && pod.shares_context() {
                    " &sc"
                } else {
                    ""
                };
                out.push(format!("{}securityContext:{anchor}", pad(c_col)));
                let k = c_col + s;
                let before = out.len();
                if sc.comment {
                    out.push(format!("{}# reviewed", pad(k)));
                }
                if let Some(p) = sc.privileged {
                    out.push(format!("{}privileged: {p} # ok", pad(k)));
                }
                if let Some(e) = sc.escalation {
                    out.push(format!("{}allowPrivilegeEscalation: {e}", pad(k)));
                }
                if sc.proc_mount {
                    out.push(format!("{}procMount: 'Unmasked'", pad(k)));
                }
                if sc.add.is_some() || sc.drop.is_some() {
                    out.push(format!("{}capabilities:", pad(k)));
                    if let Some(a) = &sc.add {
                        list(a, sc.flow_lists, k + s, pod, &mut out, "add");
                    }
                    if let Some(d) = &sc.drop {
                        list(d, sc.flow_lists, k + s, pod, &mut out, "drop");
                    }
                }
                if out.len() == before || out[before..].iter().all(|l| l.trim().starts_with('#')) {
                    out.push(format!("{}readOnlyRootFilesystem: false", pad(k)));
                }
            }
        }
        if c.script {
            let idash = c_col + if pod.flush { 0 } else { s };
            out.push(format!("{}command:", pad(c_col)));
            out.push(format!("{}- sh", pad(idash)));
            out.push(format!("{}- |", pad(idash)));
            out.push(format!("{}echo {i}", pad(idash + 4)));
            out.push(String::new());
        }
    }
    let nl = if pod.crlf { "\r\n" } else { "\n" };
    let mut text = out.join(nl);
    if pod.neighbours & 1 == 1 {
        text = format!(
            "apiVersion: v1{nl}kind: ConfigMap{nl}metadata:{nl}  name: before{nl}data: {{a: '1'}}{nl}---{nl}{text}"
        );
    }
    if pod.neighbours & 2 == 2 {
        text.push_str(&format!(
            "{nl}---{nl}# after{nl}apiVersion: v1{nl}kind: ConfigMap{nl}metadata:{nl}  name: after"
        ));
    }
    if pod.final_newline {
        text.push_str(nl);
    }
    text
}

/// Action templates: (kind, container) -> an action and, for `Set`, the value it reads back as.
fn action(kind: u8, container: usize, pod: &Pod) -> (FixAction, Option<Value>) {
    let spec = if pod.deployment {
        FieldPath::parse("spec.template.spec")
    } else {
        FieldPath::parse("spec")
    };
    let c = spec
        .clone()
        .key("containers")
        .index(container % pod.containers.len());
    let sc = c.clone().key("securityContext");
    let set = |path: FieldPath, value: &str, expect: Value| {
        (
            FixAction::Set {
                path,
                value: value.into(),
            },
            Some(expect),
        )
    };
    match kind % 16 {
        0 => set(sc.key("privileged"), "false", json!(false)),
        1 => set(sc.key("allowPrivilegeEscalation"), "false", json!(false)),
        2 => set(sc.key("runAsNonRoot"), "true", json!(true)),
        3 => set(
            sc.key("seccompProfile").key("type"),
            "RuntimeDefault",
            json!("RuntimeDefault"),
        ),
        4 => (
            FixAction::AddToList {
                path: sc.key("capabilities").key("drop"),
                item: "ALL".into(),
            },
            None,
        ),
        5 => (
            FixAction::RemoveFromList {
                path: sc.key("capabilities").key("add"),
                item: "NET_ADMIN".into(),
            },
            None,
        ),
        6 => (
            FixAction::Remove {
                path: c.key("ports").index(0).key("hostPort"),
            },
            None,
        ),
        7 => (
            FixAction::Remove {
                path: sc.key("procMount"),
            },
            None,
        ),
        8 => (
            FixAction::Remove {
                path: spec.key("hostNetwork"),
            },
            None,
        ),
        9 => set(
            spec.key("securityContext").key("runAsNonRoot"),
            "true",
            json!(true),
        ),
        10 => (
            FixAction::Remove {
                path: spec.key("securityContext").key("sysctls").index(0),
            },
            None,
        ),
        11 => set(
            spec.key("securityContext")
                .key("seccompProfile")
                .key("type"),
            "RuntimeDefault",
            json!("RuntimeDefault"),
        ),
        12 => (
            FixAction::Remove {
                path: sc.key("privileged"),
            },
            None,
        ),
        13 => (
            FixAction::AddToList {
                path: sc.key("capabilities").key("add"),
                item: "NET_BIND_SERVICE".into(),
            },
            None,
        ),
        14 => set(sc.key("runAsUser"), "1000", json!(1000)),
        _ => set(
            sc.key("seLinuxOptions").key("type"),
            "'container_t'",
            json!("container_t"),
        ),
    }
}

fn get<'a>(v: &'a Value, path: &FieldPath) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path.segments() {
        cur = match seg {
            kubenudge::manifest::Segment::Key(k) => cur.get(k.as_ref())?,
            kubenudge::manifest::Segment::Index(i) => cur.get(*i)?,
        };
    }
    Some(cur)
}

/// 256 cases by default (under a second); `PROPTEST_CASES=5000` for a longer search.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn fixes_keep_yaml_valid_and_change_only_what_they_name(
        pod in pod(),
        picks in prop::collection::vec((0u8..16, 0usize..3), 1..6),
    ) {
        let text = render(&pod);
        let file = read_manifest("gen.yaml", text.as_bytes(), &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("generator wrote bad YAML: {}\n{text}", e.message)))?;
        prop_assert!(file.errors.is_empty(), "{:?}\n{}", file.errors, text);
        let index = usize::from(pod.neighbours & 1);
        let object = &file.objects[index];
        let (actions, expected): (Vec<FixAction>, Vec<Option<Value>>) =
            picks.iter().map(|(k, c)| action(*k, *c, &pod)).unzip();
        let plan = FixPlan {
            safety: FixSafety::Safe,
            title: "generated".into(),
            caveat: "".into(),
            actions: actions.clone(),
        };
        let edits = match realize_all(&file, object, &[&plan]) {
            Ok(edits) => edits,
            // Shared nodes are refused, never edited through the alias.
            Err(e) if pod.shares_context() && (e.contains("anchor") || e.contains("alias")) => return Ok(()),
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}\n{actions:?}"))),
        };
        let out = apply_edits(file.source.text(), &edits).unwrap();
        // One fix per action, merged as the review and `--fix` do, gives the same text.
        let single: Vec<_> = actions.iter().map(|a| {
            let plan = FixPlan { actions: vec![a.clone()], ..plan.clone() };
            kubenudge::fix::realize(&file, object, &plan)
        }).collect();
        if single.iter().all(|r| r.as_ref().is_ok() || r.as_ref().is_err_and(|e| e.contains("changes nothing"))) {
            let fixes: Vec<_> = single.iter().filter_map(|r| r.as_ref().ok()).collect();
            let merged = kubenudge::fix::merge_fixes(&file, &fixes)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(&apply_edits(file.source.text(), &merged).unwrap(), &out);
            prop_assert_eq!(&kubenudge::fix::fix_file(&file, &fixes).text, &out);
        }
        let fixed = read_manifest("gen.yaml", out.as_bytes(), &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{}\n{out}", e.message)))?;
        prop_assert_eq!(fixed.objects.len(), file.objects.len());
        for (i, (a, b)) in file.objects.iter().zip(&fixed.objects).enumerate() {
            if i != index {
                prop_assert_eq!(file.tree.to_json(a.node), fixed.tree.to_json(b.node));
            }
        }
        prop_assert!(fixed.errors.is_empty(), "{:?}\n{}", fixed.errors, out);
        if pod.crlf {
            let bare_lf = out.replace("\r\n", "").contains('\n');
            prop_assert!(!bare_lf, "a bare LF in a CRLF file:\n{:?}", out);
        }
        let before = file.tree.to_json(object.node);
        let after = fixed.tree.to_json(fixed.objects[index].node);
        let removed: Vec<&FieldPath> = actions.iter().filter_map(|a| match a {
            FixAction::Remove { path } if get(&before, path).is_some() => Some(path),
            _ => None,
        }).collect();
        for (a, want) in actions.iter().zip(&expected) {
            let path = kubenudge::fix::action_path(a);
            let is_remove = matches!(a, FixAction::Remove { .. });
            if !is_remove && removed.iter().any(|r| path.starts_with(r)) {
                continue;
            }
            match a {
                FixAction::Set { .. } => {
                    prop_assert_eq!(get(&after, path), want.as_ref(), "{}\n{}", path, out);
                }
                FixAction::AddToList { item, .. } => {
                    let list = get(&after, path).and_then(Value::as_array);
                    prop_assert!(list.is_some_and(|l| l.iter().any(|x| x == item.as_str())), "{}\n{}", path, out);
                }
                FixAction::RemoveFromList { item, .. } => {
                    let list = get(&after, path).and_then(Value::as_array);
                    prop_assert!(!list.is_some_and(|l| l.iter().any(|x| x == item.as_str())), "{}\n{}", path, out);
                }
                FixAction::Remove { .. } => {
                    let rewritten = actions.iter().any(|b| {
                        !matches!(b, FixAction::Remove { .. })
                            && kubenudge::fix::action_path(b).starts_with(path)
                    });
                    if !rewritten && !matches!(path.segments().last(), Some(kubenudge::manifest::Segment::Index(_))) {
                        prop_assert!(get(&after, path).is_none(), "{}\n{}", path, out);
                    }
                }
            }
        }
        common::differs_only_under(&before, &after, &actions)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}\n=>\n{out}")))?;
    }
}
