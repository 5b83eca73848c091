//! What a reviewer sees: the ```suggestion blocks a set of fixes turns into, one per
//! contiguous region, for the styles a fix must keep.

use crate::common;

use kubenudge::finding::Fix;
use kubenudge::fix::{merge_fixes, realize, suggestions};
use kubenudge::manifest::{Limits, read_manifest};

/// Every synthetic fix of the file, merged, rendered as GitHub review suggestions.
fn suggest(text: &str) -> String {
    let file = read_manifest("input.yaml", text.as_bytes(), &Limits::default()).unwrap();
    let fixes: Vec<Fix> = common::synthetic_findings(&file)
        .iter()
        .filter_map(|p| {
            let object = file.objects.iter().find(|o| o.reference() == p.object)?;
            realize(&file, object, &p.plan).ok()
        })
        .collect();
    let refs: Vec<&Fix> = fixes.iter().collect();
    let edits = merge_fixes(&file, &refs).unwrap();
    let mut out = String::new();
    let all = suggestions(&file.source, &edits);
    for w in all.windows(2) {
        assert!(w[0].end_line < w[1].start_line, "suggestions overlap");
    }
    for s in all {
        out.push_str(&format!(
            "lines {}-{}:\n```suggestion\n{}\n```\n",
            s.start_line, s.end_line, s.text
        ));
    }
    out
}

fn input(name: &str) -> String {
    std::fs::read_to_string(common::root().join("tests/data/fix").join(name)).unwrap()
}

#[test]
fn block_style_two_spaces_indented_lists() {
    insta::assert_snapshot!(suggest(&input("block-2space.yaml")));
}

#[test]
fn block_style_four_spaces_flush_lists() {
    insta::assert_snapshot!(suggest(&input("block-4space-flush.yaml")));
}

#[test]
fn flow_style() {
    insta::assert_snapshot!(suggest(&input("flow.yaml")));
}

#[test]
fn comments_inside_the_container() {
    let text = "apiVersion: v1
kind: Pod
metadata:
  name: commented
spec:
  securityContext:
    runAsNonRoot: true # required by the platform
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: app # the main one
    # image comes from CI
    image: app:1
    securityContext: # hardened below
      privileged: true # TODO drop
      # capabilities reviewed 2026-01
      capabilities:
        add: [NET_ADMIN] # for iptables
    # resources follow
    resources: {}
    # end of app
  # next container
  - name: b
    image: b
";
    insta::assert_snapshot!(suggest(text));
}

#[test]
fn crlf_line_endings() {
    let text = input("crlf.yaml");
    assert!(text.contains("\r\n"));
    insta::assert_snapshot!(suggest(&text));
}

#[test]
fn multi_document_file() {
    insta::assert_snapshot!(suggest(&input("multi-document.yaml")));
}

#[test]
fn empty_values_and_quotes() {
    insta::assert_snapshot!(suggest(&input("empty-values.yaml")));
    insta::assert_snapshot!(suggest(&input("quoted.yaml")));
}
