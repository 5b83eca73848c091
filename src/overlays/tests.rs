use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::finding::Finding;

/// A tree of files in memory.
struct Mem(BTreeMap<PathBuf, String>);

impl Mem {
    fn new(files: &[(&str, &str)]) -> Mem {
        Mem(files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect())
    }

    fn inputs(&self) -> Vec<(String, Vec<u8>)> {
        self.0
            .iter()
            .map(|(p, t)| (render::display_path(p), t.as_bytes().to_vec()))
            .collect()
    }
}

impl FileSource for Mem {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.0
            .get(path)
            .map(|t| t.as_bytes().to_vec())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.0
            .keys()
            .any(|p| p.starts_with(path) && p.as_path() != path)
    }
    fn is_file(&self, path: &Path) -> bool {
        self.0.contains_key(path)
    }
}

const BASE_KUSTOMIZATION: &str =
    include_str!("../../tests/data/overlays/shop/base/kustomization.yaml");

/// Clean under `restricted`, except that the root filesystem is writable.
const BASE_DEPLOYMENT: &str = include_str!("../../tests/data/overlays/shop/base/deployment.yaml");

const DEV: &str = include_str!("../../tests/data/overlays/shop/overlays/dev/kustomization.yaml");

const PROD: &str = include_str!("../../tests/data/overlays/shop/overlays/prod/kustomization.yaml");

/// Only `replicas` and one container: not a whole object.
const PROD_PATCH: &str = include_str!("../../tests/data/overlays/shop/overlays/prod/debug.yaml");

fn tree() -> Mem {
    Mem::new(&[
        ("base/kustomization.yaml", BASE_KUSTOMIZATION),
        ("base/deployment.yaml", BASE_DEPLOYMENT),
        ("overlays/dev/kustomization.yaml", DEV),
        ("overlays/prod/kustomization.yaml", PROD),
        ("overlays/prod/debug.yaml", PROD_PATCH),
    ])
}

fn check(fs: &dyn FileSource, inputs: Vec<(String, Vec<u8>)>) -> LintResult {
    let options = LintOptions::default();
    let (mut result, overlays) = lint(fs, inputs, &options);
    let mut stages = Vec::new();
    overlays.place(&mut result, &mut stages, fs, &options);
    result
}

fn of_rule<'a>(result: &'a LintResult, rule: &str) -> Vec<&'a Finding> {
    result.findings.iter().filter(|f| f.rule == rule).collect()
}

#[test]
fn entry_points_are_the_overlays_and_their_files_are_consumed() {
    let fs = tree();
    let inputs = fs.inputs();
    let paths: Vec<&str> = inputs.iter().map(|(p, _)| p.as_str()).collect();
    let overlays = Overlays::build(&fs, &paths, &LintOptions::default());
    assert_eq!(overlays.dirs(), ["overlays/dev", "overlays/prod"]);
    assert!(overlays.errors.is_empty(), "{:?}", overlays.errors);
    assert!(overlays.consumed.contains("base/deployment.yaml"));
    assert!(overlays.consumed.contains("overlays/prod/debug.yaml"));
    assert_eq!(overlays.built[1].path, "overlays/prod/kustomization.yaml");
}

#[test]
fn a_finding_set_by_a_prod_patch_points_at_the_patch_line_and_is_not_reported_in_dev() {
    let result = check(&tree(), tree().inputs());
    let privileged = of_rule(&result, "pod-security/privileged");
    assert_eq!(privileged.len(), 1, "{:#?}", result.findings);
    let f = privileged[0];
    assert_eq!(f.file, "overlays/prod/debug.yaml");
    assert_eq!(f.line, 12, "the `privileged: true` line");
    assert_eq!(f.overlays, ["overlays/prod"]);
    assert_eq!(
        f.field_path.to_string(),
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    // Its fix edits the patch, where the value lives.
    let fix = f.fix.as_ref().expect("a fix in the patch");
    let patch = result.file("overlays/prod/debug.yaml").unwrap();
    let edited = &patch.source.text()[fix.edits[0].start..fix.edits[0].end];
    assert_eq!(edited, "true");
}

#[test]
fn a_base_finding_names_every_overlay_it_affects_once() {
    let result = check(&tree(), tree().inputs());
    let read_only = of_rule(&result, "hardening/read-only-root-filesystem");
    assert_eq!(read_only.len(), 1, "{:#?}", result.findings);
    let f = read_only[0];
    assert_eq!(f.file, "base/deployment.yaml");
    assert_eq!(f.overlays, ["overlays/dev", "overlays/prod"]);
    // An absent field: at its nearest existing parent in the base, where the fix inserts it.
    assert_eq!(f.line, 19, "the container's securityContext");
    assert_eq!(f.object.to_string(), "Deployment/web");
    assert!(f.fix.is_some(), "the fix goes into the base");
}

#[test]
fn a_patch_alone_is_never_linted_as_an_object() {
    let result = check(&tree(), tree().inputs());
    let on_patch: Vec<&Finding> = result
        .findings
        .iter()
        .filter(|f| f.file == "overlays/prod/debug.yaml")
        .collect();
    // Only what the patch sets is reported there; runAsNonRoot, seccomp and the capabilities
    // come from the base and are fine.
    assert!(
        on_patch.iter().all(|f| f.rule == "pod-security/privileged"),
        "{on_patch:#?}"
    );
    assert!(
        result.findings.iter().all(|f| !f.overlays.is_empty()),
        "every finding is on built output"
    );
    // The patch is listed among the files checked, once.
    assert_eq!(
        result
            .files
            .iter()
            .filter(|f| f.path == "overlays/prod/debug.yaml")
            .count(),
        1
    );
}

#[test]
fn files_outside_any_kustomization_are_linted_as_they_are() {
    let mut fs = tree();
    fs.0.insert(
        PathBuf::from("standalone/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n"
            .into(),
    );
    let result = check(&fs, fs.inputs());
    let standalone: Vec<&Finding> = result
        .findings
        .iter()
        .filter(|f| f.file == "standalone/pod.yaml")
        .collect();
    assert!(!standalone.is_empty());
    assert!(standalone.iter().all(|f| f.overlays.is_empty()));
}

#[test]
fn fixes_in_a_patch_and_a_base_converge_after_rebuild() {
    let fs = tree();
    let run = fix(&fs, &fs.inputs(), &LintOptions::default(), true);
    let changed: Vec<&str> = run.changed.iter().map(|f| f.path.as_str()).collect();
    assert!(changed.contains(&"overlays/prod/debug.yaml"), "{changed:?}");
    assert!(changed.contains(&"base/deployment.yaml"), "{changed:?}");
    let patch = run
        .changed
        .iter()
        .find(|f| f.path == "overlays/prod/debug.yaml")
        .unwrap();
    assert!(patch.after.contains("privileged: false"), "{}", patch.after);
    let base = run
        .changed
        .iter()
        .find(|f| f.path == "base/deployment.yaml")
        .unwrap();
    assert!(
        base.after.contains("readOnlyRootFilesystem: true"),
        "{}",
        base.after
    );
    // The fixed tree, built again: nothing left that a fix could remove, and fixing again
    // changes nothing.
    let mut fixed = fs;
    for f in &run.changed {
        fixed.0.insert(PathBuf::from(&f.path), f.after.clone());
    }
    let again = check(&fixed, fixed.inputs());
    assert!(
        again.findings.iter().all(|f| f.fix.is_none()),
        "{:#?}",
        again.findings
    );
    assert!(of_rule(&again, "pod-security/privileged").is_empty());
    let second = super::fix(&fixed, &fixed.inputs(), &LintOptions::default(), true);
    assert!(second.changed.is_empty());
}

#[test]
fn a_finding_from_an_inline_patch_points_into_the_kustomization_and_has_no_fix() {
    // The patch is text inside the kustomization: there is no object to edit, so the finding
    // sits on the patch's first line and offers no fix rather than a wrong one in the base.
    let fs = Mem::new(&[
        ("base/kustomization.yaml", BASE_KUSTOMIZATION),
        ("base/deployment.yaml", BASE_DEPLOYMENT),
        (
            "overlays/prod/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../base\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          containers:\n          - name: web\n            securityContext:\n              privileged: true\n",
        ),
    ]);
    let result = check(&fs, fs.inputs());
    let privileged = of_rule(&result, "pod-security/privileged");
    assert_eq!(privileged.len(), 1, "{:#?}", result.findings);
    assert_eq!(privileged[0].file, "overlays/prod/kustomization.yaml");
    assert_eq!(privileged[0].line, 7, "the inline patch's first line");
    assert!(privileged[0].fix.is_none());
}

#[test]
fn a_build_error_is_at_its_line_and_the_other_overlays_are_still_checked() {
    let mut fs = tree();
    fs.0.insert(
        PathBuf::from("overlays/broken/kustomization.yaml"),
        "resources:\n- ../../base\n- missing.yaml\n".into(),
    );
    let result = check(&fs, fs.inputs());
    let missing = result
        .errors
        .iter()
        .find(|e| e.file == "overlays/broken/kustomization.yaml")
        .expect("the missing file is an error");
    assert_eq!(missing.line, 3);
    assert!(
        missing
            .message
            .starts_with("cannot build overlays/broken: "),
        "{}",
        missing.message
    );
    // The other overlays are built and linted as before.
    assert_eq!(of_rule(&result, "pod-security/privileged").len(), 1);
    assert_eq!(
        of_rule(&result, "hardening/read-only-root-filesystem")[0].overlays,
        ["overlays/dev", "overlays/prod"]
    );
}

#[test]
fn a_cycle_is_an_error_at_the_line_that_closes_it() {
    let fs = Mem::new(&[
        ("app/kustomization.yaml", "resources:\n- ../loop/a\n"),
        ("loop/a/kustomization.yaml", "resources:\n- ../b\n"),
        ("loop/b/kustomization.yaml", "resources:\n- ../a\n"),
    ]);
    let result = check(&fs, fs.inputs());
    assert_eq!(result.errors.len(), 1, "{:?}", result.errors);
    let e = &result.errors[0];
    assert_eq!((e.file.as_str(), e.line), ("loop/b/kustomization.yaml", 2));
    assert!(e.message.contains("cycle"), "{}", e.message);
}

#[test]
fn the_namespace_a_kustomization_sets_is_the_objects_namespace_for_pod_security_labels() {
    // `shop-prod` is labelled baseline: the prod build is judged at baseline, so the
    // read-only root filesystem (hardening) stays but no restricted finding appears there.
    let mut fs = tree();
    fs.0.insert(
        PathBuf::from("namespaces/prod.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop-prod\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n".into(),
    );
    fs.0.insert(
        PathBuf::from("base/deployment.yaml"),
        BASE_DEPLOYMENT.replace("        runAsNonRoot: true\n", ""),
    );
    let result = check(&fs, fs.inputs());
    let non_root = of_rule(&result, "pod-security/run-as-non-root");
    assert_eq!(non_root.len(), 1, "{:#?}", result.findings);
    assert_eq!(non_root[0].overlays, ["overlays/dev"]);
}

#[test]
fn an_absent_field_under_a_part_a_patch_replaces_is_fixed_in_the_patch() {
    let mut fs = tree();
    fs.0.insert(
        PathBuf::from("overlays/prod/debug.yaml"),
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        securityContext:
          $patch: replace
          allowPrivilegeEscalation: false
          capabilities:
            drop: [ALL]
"
        .into(),
    );
    let result = check(&fs, fs.inputs());
    let read_only = of_rule(&result, "hardening/read-only-root-filesystem");
    let at: Vec<(&str, usize, &[String])> = read_only
        .iter()
        .map(|f| (f.file.as_str(), f.line, f.overlays.as_slice()))
        .collect();
    assert_eq!(
        at,
        [
            (
                "base/deployment.yaml",
                19,
                &["overlays/dev".to_string()][..]
            ),
            (
                "overlays/prod/debug.yaml",
                10,
                &["overlays/prod".to_string()][..]
            ),
        ]
    );
    // Prod's fix goes into the patch that replaced the securityContext, and converges.
    let run = fix(&fs, &fs.inputs(), &LintOptions::default(), true);
    let patch = run
        .changed
        .iter()
        .find(|f| f.path == "overlays/prod/debug.yaml")
        .expect("the patch is fixed");
    assert!(
        patch.after.contains("readOnlyRootFilesystem: true"),
        "{}",
        patch.after
    );
    let mut fixed = fs;
    for f in &run.changed {
        fixed.0.insert(PathBuf::from(&f.path), f.after.clone());
    }
    assert!(
        of_rule(
            &check(&fixed, fixed.inputs()),
            "hardening/read-only-root-filesystem"
        )
        .is_empty()
    );
}

#[test]
fn a_fix_that_an_overlay_undoes_is_not_offered() {
    // Prod keeps only two keys of the container's securityContext: a readOnlyRootFilesystem
    // added to the base would be dropped again in prod, so the base fix does not converge.
    let mut fs = tree();
    fs.0.insert(
        PathBuf::from("overlays/prod/debug.yaml"),
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        securityContext:
          $retainKeys: [allowPrivilegeEscalation, capabilities]
"
        .into(),
    );
    let result = check(&fs, fs.inputs());
    let read_only = of_rule(&result, "hardening/read-only-root-filesystem");
    assert_eq!(read_only.len(), 1, "{read_only:#?}");
    assert_eq!(read_only[0].file, "base/deployment.yaml");
    assert_eq!(read_only[0].overlays, ["overlays/dev", "overlays/prod"]);
    assert!(read_only[0].fix.is_none(), "{:?}", read_only[0].fix);
    // Without the prod patch the same fix is offered (the test above the fixture's).
    assert!(
        of_rule(
            &check(&tree(), tree().inputs()),
            "hardening/read-only-root-filesystem"
        )[0]
        .fix
        .is_some()
    );
}

#[test]
fn a_helm_error_names_the_template_line() {
    use super::template_position;
    assert_eq!(
        template_position(
            "parse error at (broken/templates/pod.yaml:8): function \"x\" not defined"
        ),
        Some(("templates/pod.yaml", 8, 0))
    );
    assert_eq!(
        template_position("broken/charts/db/templates/sts.yaml:8:16\n  executing …"),
        Some(("charts/db/templates/sts.yaml", 8, 16))
    );
    assert_eq!(
        template_position("Chart.yaml: apiVersion is required"),
        None
    );
}
