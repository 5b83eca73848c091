//! Edge cases the official PSA fixtures do not cover (ephemeral containers, AppArmor fields,
//! `container_engine_t`, the Windows and user-namespace relaxations, Pod-only defaulting),
//! the level/version table, namespace labels, finding positions on every workload kind, and
//! the fix plans.

use super::*;
use crate::engine::{LintOptions, lint};
use crate::finding::{Finding, FixSafety};
use crate::manifest::{Limits, read_manifest};
use crate::policy::{Level, Version};

fn policy(level: &str, version: &str) -> PssPolicy {
    PssPolicy {
        level: level.parse().unwrap(),
        version: version.parse().unwrap(),
        origin: None,
    }
}

/// Pod Security findings for `yaml` at an explicit level and version, in PSA's order.
fn findings(yaml: &str, level: &str, version: &str) -> Vec<Finding> {
    let options = LintOptions {
        pss: policy(level, version),
        pss_explicit: true,
        ..LintOptions::default()
    };
    let result = lint(&[("t.yaml".into(), yaml.as_bytes().to_vec())], &options);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let mut out: Vec<Finding> = result
        .findings
        .into_iter()
        .filter(|f| f.rule.starts_with("pod-security/"))
        .collect();
    out.sort_by_key(|f| check_order(f.rule));
    out
}

fn messages(yaml: &str, level: &str, version: &str) -> Vec<String> {
    findings(yaml, level, version)
        .into_iter()
        .map(|f| f.message)
        .collect()
}

fn rules(yaml: &str, level: &str, version: &str) -> Vec<&'static str> {
    findings(yaml, level, version)
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

/// The fix plan `rule` proposes for the first object of `yaml`, at the rule's level and the
/// latest version.
fn plan(rule: &PssRule, yaml: &str) -> FixPlan {
    let file = read_manifest("t.yaml", yaml.as_bytes(), &Limits::default()).unwrap();
    let pss = PssPolicy {
        level: rule.check.level(),
        ..PssPolicy::default()
    };
    let typed = file.typed(&file.objects[0]);
    let cx = RuleContext::new(
        &file,
        &file.objects[0],
        &typed,
        &pss,
        crate::rules::Repository::empty(),
    );
    let mut v = rule.check(&cx);
    assert_eq!(v.len(), 1, "{}", rule.id());
    v.remove(0).fix.expect("a fix plan")
}

fn set(path: &str, value: &str) -> FixAction {
    FixAction::Set {
        path: FieldPath::parse(path),
        value: value.into(),
    }
}

/// A pod that passes restricted:latest, with `extra` spliced into its spec.
fn restricted_pod(extra_spec: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: app
      image: app
      securityContext:
        allowPrivilegeEscalation: false
        capabilities:
          drop: [ALL]
{extra_spec}"
    )
}

#[test]
fn the_restricted_base_pod_passes_every_version() {
    for minor in 0..=40 {
        let v = format!("v1.{minor}");
        assert_eq!(
            messages(&restricted_pod(""), "restricted", &v),
            Vec::<String>::new()
        );
    }
}

#[test]
fn ephemeral_containers_are_checked_after_init_and_regular_containers() {
    let yaml = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
    - name: init
      image: busybox
      securityContext: {privileged: true}
  containers:
    - name: app
      image: app
  ephemeralContainers:
    - name: debugger
      image: busybox
      securityContext:
        privileged: true
        capabilities:
          add: [SYS_PTRACE]
";
    let f = findings(yaml, "baseline", "latest");
    assert_eq!(
        f.iter().map(|f| f.message.as_str()).collect::<Vec<_>>(),
        [
            r#"non-default capabilities (container "debugger" must not include "SYS_PTRACE" in securityContext.capabilities.add)"#,
            r#"privileged (containers "init", "debugger" must not set securityContext.privileged=true)"#,
        ]
    );
    assert_eq!(
        f[0].field_path.to_string(),
        "spec.ephemeralContainers[0].securityContext.capabilities.add[0]"
    );
    let restricted = messages(yaml, "restricted", "latest");
    assert!(restricted.contains(
        &r#"allowPrivilegeEscalation != false (containers "init", "app", "debugger" must set securityContext.allowPrivilegeEscalation=false)"#.to_string()
    ));
}

#[test]
fn app_armor_fields_are_checked_at_every_version_like_annotations() {
    let yaml = r#"apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: unconfined
    container.apparmor.security.beta.kubernetes.io/ok: localhost/custom
spec:
  securityContext:
    appArmorProfile: {type: Unconfined}
  containers:
    - name: app
      image: app
      securityContext:
        appArmorProfile: {type: Unconfined}
    - name: ok
      image: app
      securityContext:
        appArmorProfile: {type: Localhost, localhostProfile: custom}
"#;
    for v in ["v1.0", "v1.29", "latest"] {
        assert_eq!(
            messages(yaml, "baseline", v),
            [
                r#"forbidden AppArmor profiles (pod and container "app" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")"#
            ]
        );
    }
    let fields_only = yaml.replace(
        "container.apparmor.security.beta.kubernetes.io/app: unconfined",
        "other: x",
    );
    let f = findings(&fields_only, "baseline", "latest");
    assert_eq!(
        f[0].message,
        r#"forbidden AppArmor profile (pod and container "app" must not set AppArmor profile type to "Unconfined")"#
    );
    assert_eq!(
        f[0].field_path.to_string(),
        "spec.securityContext.appArmorProfile.type"
    );
    let p = plan(&app_armor_profile::RULE, &fields_only);
    assert_eq!(
        p.actions,
        [
            set(
                "spec.securityContext.appArmorProfile.type",
                "RuntimeDefault"
            ),
            set(
                "spec.containers[0].securityContext.appArmorProfile.type",
                "RuntimeDefault"
            ),
        ]
    );
}

#[test]
fn container_engine_t_is_allowed_from_v1_31() {
    let yaml = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: app
      image: app
      securityContext:
        seLinuxOptions:
          type: container_engine_t
";
    assert_eq!(
        messages(yaml, "baseline", "v1.30"),
        [
            r#"seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: type "container_engine_t")"#
        ]
    );
    assert!(messages(yaml, "baseline", "v1.31").is_empty());
    assert!(messages(yaml, "baseline", "latest").is_empty());
    let user = yaml.replace(
        "type: container_engine_t",
        "user: system_u\n          role: r",
    );
    assert_eq!(
        messages(&user, "baseline", "latest"),
        [
            r#"seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: user may not be set; role may not be set)"#
        ]
    );
}

#[test]
fn windows_pods_are_exempt_from_three_restricted_checks_from_v1_25() {
    let yaml = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  os: {name: windows}
  securityContext:
    runAsNonRoot: true
  containers:
    - name: app
      image: app
";
    assert_eq!(
        rules(yaml, "restricted", "v1.24"),
        [
            "pod-security/allow-privilege-escalation",
            "pod-security/capabilities-restricted",
            "pod-security/seccomp-profile-restricted",
        ]
    );
    assert!(rules(yaml, "restricted", "v1.25").is_empty());
    assert!(rules(yaml, "restricted", "latest").is_empty());
    // Still bound by runAsNonRoot and every baseline check.
    let root = yaml.replace("runAsNonRoot: true", "runAsNonRoot: false");
    assert_eq!(
        rules(&root, "restricted", "latest"),
        ["pod-security/run-as-non-root"]
    );
    // Only the exact string `windows` counts.
    let linux = yaml.replace("name: windows", "name: Windows");
    assert_eq!(rules(&linux, "restricted", "latest").len(), 3);
}

#[test]
fn host_users_false_relaxes_proc_mount_and_run_as_checks_from_v1_35() {
    let yaml = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostUsers: false
  securityContext:
    runAsUser: 0
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: app
      image: app
      securityContext:
        procMount: Unmasked
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
";
    assert_eq!(
        messages(yaml, "restricted", "v1.34"),
        [
            r#"procMount (container "app" must not set securityContext.procMount to "Unmasked")"#,
            r#"runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)"#,
            "runAsUser=0 (pod must not set runAsUser=0)",
        ]
    );
    assert!(messages(yaml, "baseline", "v1.35").is_empty());
    // procMount_restricted replaces procMount at v1.35 and ignores hostUsers.
    assert_eq!(
        rules(yaml, "restricted", "v1.35"),
        ["pod-security/proc-mount-restricted"]
    );
    // hostUsers: true (or unset) does not count.
    let host = yaml.replace("hostUsers: false", "hostUsers: true");
    assert_eq!(
        rules(&host, "restricted", "latest"),
        [
            "pod-security/proc-mount-restricted",
            "pod-security/run-as-non-root",
            "pod-security/run-as-user"
        ]
    );
    assert_eq!(
        rules(&host, "baseline", "latest"),
        ["pod-security/proc-mount"]
    );
}

#[test]
fn levels_compose_with_overrides_at_their_versions() {
    use CheckId::*;
    let active = |level: Level, minor: u32| -> Vec<CheckId> {
        CheckId::ALL
            .into_iter()
            .filter(|c| c.applies(level, minor))
            .collect()
    };
    assert!(active(Level::Privileged, 37).is_empty());
    let baseline = active(Level::Baseline, 37);
    assert_eq!(baseline.len(), 12);
    assert!(baseline.iter().all(|c| c.level() == Level::Baseline));
    assert!(!active(Level::Baseline, 33).contains(&HostProbesAndHostLifecycle));
    let r = |minor| active(Level::Restricted, minor);
    assert!(!r(0).contains(&HostPathVolumes));
    assert!(r(0).contains(&RestrictedVolumes));
    assert!(r(18).contains(&SeccompProfileBaseline));
    assert!(!r(19).contains(&SeccompProfileBaseline));
    assert!(r(21).contains(&CapabilitiesBaseline));
    assert!(!r(22).contains(&CapabilitiesBaseline));
    assert!(r(34).contains(&ProcMount));
    assert!(!r(35).contains(&ProcMount));
    assert!(!r(7).contains(&AllowPrivilegeEscalation));
    assert!(r(8).contains(&AllowPrivilegeEscalation));
    assert!(!r(22).contains(&RunAsUser));
    assert!(r(23).contains(&RunAsUser));
    assert_eq!(r(37).len(), 19 - 4);
    assert_eq!(check_order("pod-security/app-armor-profile"), Some(0));
    assert_eq!(
        check_order("pod-security/seccomp-profile-restricted"),
        Some(18)
    );
    assert_eq!(check_order("hardening/read-only-root-filesystem"), None);
}

#[test]
fn pods_with_host_network_get_their_container_ports_as_host_ports() {
    let pod = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: true
  containers:
    - name: agent
      image: agent
      ports:
        - containerPort: 9100
        - containerPort: 10250
";
    let f = findings(pod, "baseline", "latest");
    assert_eq!(
        f.iter().map(|f| f.message.as_str()).collect::<Vec<_>>(),
        [
            "host namespaces (hostNetwork=true)",
            r#"hostPort (container "agent" uses hostPorts 10250, 9100)"#,
        ]
    );
    assert_eq!(
        f[1].field_path.to_string(),
        "spec.containers[0].ports[0].containerPort"
    );
    // Templates are not defaulted that way: only host namespaces.
    let deployment = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec:\n  template:\n{}",
        pod.lines()
            .skip(3)
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    );
    assert_eq!(
        rules(&deployment, "baseline", "latest"),
        ["pod-security/host-namespaces"]
    );
}

#[test]
fn every_workload_kind_points_at_the_offending_field() {
    // The pod spec, with its first line at indentation `n`.
    let spec = |n: usize| -> String {
        [
            "containers:",
            "  - name: app",
            "    image: app",
            "    securityContext:",
            "      privileged: true",
        ]
        .iter()
        .map(|l| format!("{}{l}\n", " ".repeat(n)))
        .collect()
    };
    let template = format!("  template:\n    spec:\n{}", spec(6));
    let in_template = "spec.template.spec.containers[0].securityContext.privileged";
    let cases = [
        (
            "v1",
            "Pod",
            format!("spec:\n{}", spec(2)),
            "spec.containers[0].securityContext.privileged",
        ),
        (
            "apps/v1",
            "Deployment",
            format!("spec:\n{template}"),
            in_template,
        ),
        (
            "apps/v1",
            "StatefulSet",
            format!("spec:\n{template}"),
            in_template,
        ),
        (
            "apps/v1",
            "DaemonSet",
            format!("spec:\n{template}"),
            in_template,
        ),
        (
            "apps/v1",
            "ReplicaSet",
            format!("spec:\n{template}"),
            in_template,
        ),
        (
            "v1",
            "ReplicationController",
            format!("spec:\n{template}"),
            in_template,
        ),
        ("batch/v1", "Job", format!("spec:\n{template}"), in_template),
        (
            "batch/v1",
            "CronJob",
            format!(
                "spec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n{}",
                spec(10)
            ),
            "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged",
        ),
        (
            "v1",
            "PodTemplate",
            format!("template:\n  spec:\n{}", spec(4)),
            "template.spec.containers[0].securityContext.privileged",
        ),
    ];
    for (api, kind, body, path) in cases {
        let yaml = format!("apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: w\n{body}");
        let f = findings(&yaml, "baseline", "latest");
        assert_eq!(f.len(), 1, "{kind}:\n{yaml}");
        assert_eq!(f[0].field_path.to_string(), path, "{kind}");
        let line = yaml.lines().nth(f[0].line - 1).unwrap();
        assert_eq!(line.trim(), "privileged: true", "{kind}:\n{yaml}");
    }
}

#[test]
fn a_missing_field_is_reported_where_it_belongs() {
    let yaml = "apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
        - name: app
          image: app
          securityContext:
            runAsUser: 1000
";
    let f = findings(yaml, "restricted", "latest");
    let ape = f
        .iter()
        .find(|f| f.rule == "pod-security/allow-privilege-escalation")
        .unwrap();
    assert_eq!(
        ape.field_path.to_string(),
        "spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation"
    );
    // Located at the nearest existing parent: the container's securityContext.
    assert_eq!(ape.line, 10);
    let non_root = f
        .iter()
        .find(|f| f.rule == "pod-security/run-as-non-root")
        .unwrap();
    assert_eq!(
        non_root.field_path.to_string(),
        "spec.template.spec.securityContext.runAsNonRoot"
    );
    assert_eq!(non_root.line, 6);
}

#[test]
fn namespace_labels_set_the_policy_of_their_workloads() {
    let yaml = "apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/enforce-version: v1.30
    pod-security.kubernetes.io/warn: restricted
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  template:
    spec:
      hostNetwork: true
      containers: [{name: app, image: app}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: elsewhere}
spec:
  template:
    spec:
      containers: [{name: app, image: app}]
";
    let result = lint(
        &[("t.yaml".into(), yaml.as_bytes().to_vec())],
        &LintOptions::default(),
    );
    let payments: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.object.namespace.as_deref() == Some("payments"))
        .filter(|f| f.rule.starts_with("pod-security/"))
        .collect();
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].rule, "pod-security/host-namespaces");
    assert_eq!(
        payments[0].policy.as_deref(),
        Some(
            "baseline:v1.30 (labels pod-security.kubernetes.io/enforce=baseline, \
             pod-security.kubernetes.io/enforce-version=v1.30 on Namespace payments)"
        )
    );
    // Elsewhere the default (restricted:latest) applies.
    let elsewhere = result
        .findings
        .iter()
        .filter(|f| f.object.namespace.as_deref() == Some("elsewhere"))
        .filter(|f| f.rule.starts_with("pod-security/"))
        .count();
    assert_eq!(elsewhere, 4);
    // An explicit level wins over the labels.
    let explicit = lint(
        &[("t.yaml".into(), yaml.as_bytes().to_vec())],
        &LintOptions {
            pss: policy("restricted", "latest"),
            pss_explicit: true,
            ..LintOptions::default()
        },
    );
    assert!(
        explicit
            .findings
            .iter()
            .filter(|f| f.object.namespace.as_deref() == Some("payments"))
            .count()
            > 1
    );
}

#[test]
fn namespace_labels_follow_psa_for_invalid_values_and_mode_order() {
    let labels = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (format!("pod-security.kubernetes.io/{k}"), v.to_string()))
            .collect()
    };
    let p = |pairs: &[(&str, &str)]| namespace::policy_from_labels("ns", &labels(pairs));
    assert_eq!(p(&[]), None);
    assert_eq!(p(&[("enforce-version", "v1.30")]), None);
    let warn = p(&[("warn", "baseline"), ("audit", "restricted")]).unwrap();
    assert_eq!(warn.level, Level::Baseline);
    assert_eq!(
        warn.origin.as_deref(),
        Some("label pod-security.kubernetes.io/warn=baseline on Namespace ns")
    );
    let enforce = p(&[("enforce", "privileged"), ("warn", "restricted")]).unwrap();
    assert_eq!(enforce.level, Level::Privileged);
    let bad = p(&[("enforce", "strict")]).unwrap();
    assert_eq!(bad.level, Level::Restricted);
    assert!(
        bad.origin
            .unwrap()
            .contains("\"strict\" is not a level, so PSA uses restricted")
    );
    assert_eq!(p(&[("warn", "Baseline")]).unwrap().level, Level::Privileged);
    assert_eq!(p(&[("audit", "")]).unwrap().level, Level::Privileged);
    for v in ["v1.025", "1.25", "v2.0", "v1.", "Latest"] {
        let p = p(&[("enforce", "baseline"), ("enforce-version", v)]).unwrap();
        assert_eq!(p.version, Version::Latest, "{v}");
        assert!(p.origin.unwrap().contains("is not a version"), "{v}");
    }
    let ok = p(&[("enforce", "baseline"), ("enforce-version", "v1.0")]).unwrap();
    assert_eq!(ok.version, Version::Minor(0));
}

const APE_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: init
      containers:
        - name: app
          image: app
          securityContext:
            allowPrivilegeEscalation: true
";

#[test]
fn allow_privilege_escalation_plan_sets_false_on_each_container() {
    let p = plan(&allow_privilege_escalation::RULE, APE_DEPLOYMENT);
    assert_eq!(p.safety, FixSafety::Safe);
    assert!(p.caveat.is_empty());
    assert_eq!(
        p.actions,
        [
            set(
                "spec.template.spec.initContainers[0].securityContext.allowPrivilegeEscalation",
                "false"
            ),
            set(
                "spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation",
                "false"
            ),
        ]
    );
    let privileged = APE_DEPLOYMENT.replace(
        "allowPrivilegeEscalation: true",
        "capabilities: {add: [SYS_ADMIN]}",
    );
    let p = plan(&allow_privilege_escalation::RULE, &privileged);
    assert_eq!(p.safety, FixSafety::Review);
    assert!(p.caveat.contains(r#"container "app""#), "{}", p.caveat);
}

#[test]
fn run_as_non_root_plan_sets_the_pod_level_and_flips_explicit_false() {
    let p = plan(&run_as_non_root::RULE, APE_DEPLOYMENT);
    assert_eq!(p.safety, FixSafety::Review);
    assert_eq!(
        p.actions,
        [set(
            "spec.template.spec.securityContext.runAsNonRoot",
            "true"
        )]
    );
    let explicit = APE_DEPLOYMENT.replace("allowPrivilegeEscalation: true", "runAsNonRoot: false");
    assert_eq!(
        plan(&run_as_non_root::RULE, &explicit).actions,
        [
            set("spec.template.spec.securityContext.runAsNonRoot", "true"),
            set(
                "spec.template.spec.containers[0].securityContext.runAsNonRoot",
                "true"
            ),
        ]
    );
}

#[test]
fn seccomp_plan_sets_runtime_default_and_fixes_unconfined() {
    assert_eq!(
        plan(&seccomp_profile_restricted::RULE, APE_DEPLOYMENT).actions,
        [set(
            "spec.template.spec.securityContext.seccompProfile.type",
            "RuntimeDefault"
        )]
    );
    let unconfined = APE_DEPLOYMENT.replace(
        "allowPrivilegeEscalation: true",
        "seccompProfile: {type: Unconfined}",
    );
    let p = plan(&seccomp_profile_restricted::RULE, &unconfined);
    assert_eq!(
        p.actions,
        [
            set(
                "spec.template.spec.securityContext.seccompProfile.type",
                "RuntimeDefault"
            ),
            set(
                "spec.template.spec.containers[0].securityContext.seccompProfile.type",
                "RuntimeDefault"
            ),
        ]
    );
}

#[test]
fn capabilities_plan_drops_all_and_removes_forbidden_adds() {
    let yaml = APE_DEPLOYMENT.replace(
        "allowPrivilegeEscalation: true",
        "capabilities:\n              add: [NET_ADMIN, NET_BIND_SERVICE, NET_ADMIN]",
    );
    let p = plan(&capabilities_restricted::RULE, &yaml);
    let caps = "spec.template.spec.containers[0].securityContext.capabilities";
    assert_eq!(
        p.actions,
        [
            FixAction::AddToList {
                path: FieldPath::parse(
                    "spec.template.spec.initContainers[0].securityContext.capabilities.drop"
                ),
                item: "ALL".into()
            },
            FixAction::AddToList {
                path: FieldPath::parse(&format!("{caps}.drop")),
                item: "ALL".into()
            },
            FixAction::RemoveFromList {
                path: FieldPath::parse(&format!("{caps}.add")),
                item: "NET_ADMIN".into()
            },
        ]
    );
    let f = findings(&yaml, "restricted", "latest");
    let caps_finding = f
        .iter()
        .find(|f| f.rule == "pod-security/capabilities-restricted")
        .unwrap();
    assert_eq!(
        caps_finding.message,
        r#"unrestricted capabilities (containers "init", "app" must set securityContext.capabilities.drop=["ALL"]; container "app" must not include "NET_ADMIN" in securityContext.capabilities.add)"#
    );
    assert_eq!(
        plan(&capabilities_baseline::RULE, &yaml).actions,
        [FixAction::RemoveFromList {
            path: FieldPath::parse(&format!("{caps}.add")),
            item: "NET_ADMIN".into()
        }]
    );
}

#[test]
fn baseline_plans_name_the_offending_fields() {
    let yaml = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: true
  hostPID: false
  hostIPC: true
  securityContext:
    sysctls:
      - {name: kernel.shm_rmid_forced, value: '1'}
      - {name: net.core.somaxconn, value: '1024'}
      - {name: kernel.msgmax, value: '1'}
    runAsUser: 0
  containers:
    - name: app
      image: app
      ports:
        - containerPort: 80
          hostPort: 80
      securityContext:
        privileged: true
        procMount: Unmasked
        windowsOptions: {hostProcess: true}
        seLinuxOptions: {type: spc_t, level: 's0:c1'}
      readinessProbe:
        httpGet: {host: example.com, port: 80}
";
    let actions = |rule: &PssRule| plan(rule, yaml).actions;
    let remove = |p: &str| FixAction::Remove {
        path: FieldPath::parse(p),
    };
    assert_eq!(
        actions(&privileged::RULE),
        [set(
            "spec.containers[0].securityContext.privileged",
            "false"
        )]
    );
    assert_eq!(
        actions(&host_namespaces::RULE),
        [remove("spec.hostNetwork"), remove("spec.hostIPC")]
    );
    assert_eq!(
        actions(&sysctls::RULE),
        [
            remove("spec.securityContext.sysctls[2]"),
            remove("spec.securityContext.sysctls[1]")
        ]
    );
    assert_eq!(
        actions(&proc_mount::RULE),
        [set(
            "spec.containers[0].securityContext.procMount",
            "Default"
        )]
    );
    assert_eq!(
        actions(&windows_host_process::RULE),
        [remove(
            "spec.containers[0].securityContext.windowsOptions.hostProcess"
        )]
    );
    assert_eq!(
        actions(&se_linux_options::RULE),
        [remove(
            "spec.containers[0].securityContext.seLinuxOptions.type"
        )]
    );
    assert_eq!(
        actions(&host_probes_and_host_lifecycle::RULE),
        [remove("spec.containers[0].readinessProbe.httpGet.host")]
    );
    assert_eq!(
        actions(&run_as_user::RULE),
        [remove("spec.securityContext.runAsUser")]
    );
    // hostNetwork makes every port a host port, so removing hostPort alone fixes nothing.
    let file = read_manifest("t.yaml", yaml.as_bytes(), &Limits::default()).unwrap();
    let pss = PssPolicy::default();
    let typed = file.typed(&file.objects[0]);
    let cx = RuleContext::new(
        &file,
        &file.objects[0],
        &typed,
        &pss,
        crate::rules::Repository::empty(),
    );
    assert!(host_ports::RULE.check(&cx)[0].fix.is_none());
    let no_host_net = yaml.replace("hostNetwork: true", "hostNetwork: false");
    assert_eq!(
        plan(&host_ports::RULE, &no_host_net).actions,
        [remove("spec.containers[0].ports[0].hostPort")]
    );
    assert_eq!(
        messages(yaml, "baseline", "latest"),
        [
            "host namespaces (hostNetwork=true, hostIPC=true)",
            r#"hostPort (container "app" uses hostPort 80)"#,
            r#"probe or lifecycle host (container "app" uses probe or lifecycle host "example.com")"#,
            r#"privileged (container "app" must not set securityContext.privileged=true)"#,
            r#"procMount (container "app" must not set securityContext.procMount to "Unmasked")"#,
            r#"seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: type "spc_t")"#,
            "forbidden sysctls (net.core.somaxconn, kernel.msgmax)",
            r#"hostProcess (container "app" must not set securityContext.windowsOptions.hostProcess=true)"#,
        ]
    );
}

#[test]
fn volumes_with_only_a_name_are_empty_dirs_and_other_sources_are_named() {
    let yaml = restricted_pod(
        "  volumes:
    - name: scratch
    - name: data
      nfs: {server: nfs.example.com, path: /data}
    - name: node
      hostPath: {path: /var/log}
    - name: cache
      emptyDir: {}
",
    );
    let f = findings(&yaml, "restricted", "latest");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].message,
        r#"restricted volume types (volumes "data", "node" use restricted volume types "hostPath", "nfs")"#
    );
    assert_eq!(f[0].field_path.to_string(), "spec.volumes[1].nfs");
    assert!(f[0].fix.is_none());
    assert_eq!(
        messages(&yaml, "baseline", "latest"),
        [r#"hostPath volumes (volume "node")"#]
    );
}
