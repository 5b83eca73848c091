//! `kubenudge connectivity` as a user runs it on `fixtures/netpol/` (a shop: frontend behind an
//! Ingress, backend, other; the head adds a policy letting only the frontend reach the
//! backend): every format of the list and of the `--base` diff, `--explain`, and bad input.

use crate::cli_run::run_cli;

const HEAD: &str = "fixtures/netpol/head";
const BASE: &str = "fixtures/netpol/base";

fn list(format: &str) -> String {
    let (code, out, err) = run_cli(&["connectivity", HEAD, "--format", format]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "");
    out
}

fn diff(format: &str) -> String {
    let (code, out, err) = run_cli(&["connectivity", "--base", BASE, HEAD, "--format", format]);
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn list_txt() {
    insta::assert_snapshot!(list("txt"));
}

#[test]
fn list_md() {
    insta::assert_snapshot!(list("md"));
}

#[test]
fn list_json() {
    let out = list("json");
    let rows: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert!(rows.as_array().is_some_and(|r| !r.is_empty()));
    insta::assert_snapshot!(out);
}

#[test]
fn list_mermaid() {
    insta::assert_snapshot!(list("mermaid"));
}

#[test]
fn list_dot() {
    insta::assert_snapshot!(list("dot"));
}

#[test]
fn diff_txt_shows_other_to_backend_removed() {
    let out = diff("txt");
    assert!(out.contains(
        "diff-type: removed, source: shop/other[Deployment], destination: shop/backend[Deployment], ref1: All Connections, ref2: No Connections"
    ));
    insta::assert_snapshot!(out);
}

#[test]
fn diff_md() {
    insta::assert_snapshot!(diff("md"));
}

#[test]
fn diff_json() {
    insta::assert_snapshot!(diff("json"));
}

#[test]
fn diff_mermaid_draws_removed_edges_dashed_red() {
    let out = diff("mermaid");
    assert!(out.contains("-.->"), "{out}");
    assert!(out.contains("stroke:#cf222e"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn diff_dot() {
    insta::assert_snapshot!(diff("dot"));
}

#[test]
fn diff_of_a_repository_with_itself_is_empty() {
    let (code, out, _) = run_cli(&["connectivity", "--base", HEAD, HEAD]);
    assert_eq!(code, 0);
    assert_eq!(out, "No connections diff\n");
}

#[test]
fn explain_points_at_the_policy_that_denies() {
    let (code, out, _) = run_cli(&[
        "connectivity",
        HEAD,
        "--explain",
        "shop/other[Deployment]",
        "shop/backend[Deployment]",
    ]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn explain_an_allowed_pair_and_the_ingress_controller() {
    let (code, out, _) = run_cli(&[
        "connectivity",
        HEAD,
        "--explain",
        "shop/frontend",
        "shop/backend[Deployment]",
    ]);
    assert_eq!(code, 0);
    let (code, controller, _) = run_cli(&[
        "connectivity",
        HEAD,
        "--explain",
        "{ingress-controller}",
        "shop/frontend[Deployment]",
    ]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(format!("{out}\n---\n\n{controller}"));
}

#[test]
fn explain_an_unknown_name_is_a_clear_error() {
    let (code, out, err) = run_cli(&[
        "connectivity",
        HEAD,
        "--explain",
        "shop/nope",
        "shop/backend",
    ]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(
        err.starts_with("error: \"shop/nope\" is neither a workload"),
        "{err}"
    );
}

#[test]
fn a_missing_path_is_an_error_and_a_broken_policy_a_warning_at_its_line() {
    let (code, _, err) = run_cli(&["connectivity", "fixtures/netpol/does-not-exist"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: fixtures/netpol/does-not-exist"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad}\nspec:\n  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock: {cidr: 10.0.0.0/99}\n",
    )
    .unwrap();
    let (code, out, err) = run_cli(&["connectivity", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        err.contains(
            "bad.yaml:13: ipBlock prefix length \"99\" is not 0-32; the API server rejects it"
        ),
        "{err}"
    );
    // The broken peer selects nothing: the pod is isolated and nothing reaches it.
    assert_eq!(
        out,
        "default/p[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections\n"
    );
}
