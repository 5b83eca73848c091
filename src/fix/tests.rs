use super::*;
use crate::finding::FixPlan;
use crate::manifest::{FieldPath, read_manifest};

fn set(path: &str, value: &str) -> FixAction {
    FixAction::Set {
        path: FieldPath::parse(path),
        value: value.into(),
    }
}
fn remove(path: &str) -> FixAction {
    FixAction::Remove {
        path: FieldPath::parse(path),
    }
}
fn add(path: &str, item: &str) -> FixAction {
    FixAction::AddToList {
        path: FieldPath::parse(path),
        item: item.into(),
    }
}
fn drop_item(path: &str, item: &str) -> FixAction {
    FixAction::RemoveFromList {
        path: FieldPath::parse(path),
        item: item.into(),
    }
}

/// Applies `actions` to the first object of `text` and returns the new text.
fn run(text: &str, actions: Vec<FixAction>) -> Result<String, String> {
    let file =
        read_manifest("t.yaml", text.as_bytes(), &Limits::default()).map_err(|e| e.message)?;
    let object = file.objects.first().ok_or("no object")?;
    let plan = FixPlan {
        safety: FixSafety::Safe,
        title: "t".into(),
        caveat: "".into(),
        actions,
    };
    let edits = realize_all(&file, object, &[&plan])?;
    let out = apply_edits(file.source.text(), &edits)?;
    read_manifest("t.yaml", out.as_bytes(), &Limits::default()).map_err(|e| e.message)?;
    Ok(out)
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n";

fn pod(spec: &str) -> String {
    format!("{POD}{spec}")
}

#[test]
fn set_replaces_only_the_scalar_and_keeps_its_comment() {
    let t = pod(
        "spec:\n  containers:\n  - name: a\n    securityContext:\n      privileged: true # for now\n",
    );
    let out = run(
        &t,
        vec![set(
            "spec.containers[0].securityContext.privileged",
            "false",
        )],
    )
    .unwrap();
    assert_eq!(out, t.replace("true # for now", "false # for now"));
}

#[test]
fn set_keeps_quotes_of_strings() {
    let t = pod("spec:\n  securityContext:\n    seccompProfile:\n      type: \"Unconfined\"\n");
    let out = run(
        &t,
        vec![set(
            "spec.securityContext.seccompProfile.type",
            "RuntimeDefault",
        )],
    )
    .unwrap();
    assert!(out.ends_with("type: \"RuntimeDefault\"\n"), "{out}");
}

#[test]
fn set_inserts_after_the_last_sibling_at_its_indent() {
    let t = pod("spec:\n  containers:\n    - name: a\n      image: x # pinned\n    - name: b\n");
    let out = run(
        &t,
        vec![
            set(
                "spec.containers[0].securityContext.allowPrivilegeEscalation",
                "false",
            ),
            set("spec.containers[0].securityContext.runAsNonRoot", "true"),
            add(
                "spec.containers[0].securityContext.capabilities.drop",
                "ALL",
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        out,
        pod(
            "spec:\n  containers:\n    - name: a\n      image: x # pinned\n      securityContext:\n        allowPrivilegeEscalation: false\n        runAsNonRoot: true\n        capabilities:\n          drop:\n            - ALL\n    - name: b\n"
        )
    );
}

#[test]
fn new_lists_follow_the_file_list_style() {
    // `- ` flush with its key and a 4-space step.
    let t = "apiVersion: v1\nkind: Pod\nmetadata:\n    name: p\nspec:\n    containers:\n    - name: a\n      image: x\n";
    let out = run(
        t,
        vec![add(
            "spec.containers[0].securityContext.capabilities.drop",
            "ALL",
        )],
    )
    .unwrap();
    assert_eq!(
        out,
        format!(
            "{t}      securityContext:\n          capabilities:\n              drop:\n              - ALL\n"
        )
    );
}

#[test]
fn flow_mappings_and_lists_stay_flow() {
    let t = pod(
        "spec:\n  containers: [{name: a, image: x, securityContext: {capabilities: {drop: [NET_RAW]}}}]\n",
    );
    let out = run(
        &t,
        vec![
            add(
                "spec.containers[0].securityContext.capabilities.drop",
                "ALL",
            ),
            set("spec.containers[0].securityContext.runAsNonRoot", "true"),
            set(
                "spec.containers[0].securityContext.seccompProfile.type",
                "RuntimeDefault",
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        out,
        pod(
            "spec:\n  containers: [{name: a, image: x, securityContext: {capabilities: {drop: [NET_RAW, ALL]}, runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}}]\n"
        )
    );
}

#[test]
fn empty_flow_mapping_and_list_are_filled() {
    let nested = pod("spec:\n  containers: [{name: a, securityContext: {}}]\n");
    let out = run(
        &nested,
        vec![set(
            "spec.containers[0].securityContext.runAsNonRoot",
            "true",
        )],
    )
    .unwrap();
    assert!(
        out.contains("[{name: a, securityContext: {runAsNonRoot: true}}]"),
        "{out}"
    );
    let t = pod(
        "spec:\n  securityContext: {}\n  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        drop: []\n",
    );
    let out = run(
        &t,
        vec![
            set("spec.securityContext.runAsNonRoot", "true"),
            add(
                "spec.containers[0].securityContext.capabilities.drop",
                "ALL",
            ),
        ],
    )
    .unwrap();
    // `{}` under a block key grows into a block; `[]` stays flow.
    assert!(
        out.contains("  securityContext:\n    runAsNonRoot: true\n  containers:"),
        "{out}"
    );
    assert!(out.contains("drop: [ALL]\n"), "{out}");
}

#[test]
fn empty_values_become_blocks() {
    let t = pod(
        "spec:\n  securityContext:\n  hostNetwork: false\n  containers:\n  - name: a\n    securityContext: ~ # later\n",
    );
    let out = run(
        &t,
        vec![
            set("spec.securityContext.runAsNonRoot", "true"),
            set("spec.containers[0].securityContext.privileged", "false"),
        ],
    )
    .unwrap();
    assert_eq!(
        out,
        pod(
            "spec:\n  securityContext:\n    runAsNonRoot: true\n  hostNetwork: false\n  containers:\n  - name: a\n    securityContext: # later\n      privileged: false\n"
        )
    );
}

#[test]
fn empty_scalar_value_is_set_after_the_colon() {
    let t = pod("spec:\n  securityContext:\n    runAsNonRoot:\n    runAsUser: 1000\n");
    let out = run(&t, vec![set("spec.securityContext.runAsNonRoot", "true")]).unwrap();
    assert!(
        out.contains("    runAsNonRoot: true\n    runAsUser: 1000\n"),
        "{out}"
    );
}

#[test]
fn remove_takes_whole_lines_with_nested_blocks() {
    let t = pod(
        "spec:\n  hostNetwork: true\n  hostPID: true # debug\n  securityContext:\n    sysctls:\n    - name: kernel.x\n      value: \"1\"\n    runAsNonRoot: true\n  containers:\n  - name: a\n",
    );
    let out = run(
        &t,
        vec![
            remove("spec.hostPID"),
            remove("spec.securityContext.sysctls"),
        ],
    )
    .unwrap();
    assert_eq!(
        out,
        pod(
            "spec:\n  hostNetwork: true\n  securityContext:\n    runAsNonRoot: true\n  containers:\n  - name: a\n"
        )
    );
}

#[test]
fn removing_the_last_key_leaves_an_empty_mapping() {
    let t = pod(
        "spec:\n  securityContext:\n    # why\n    privileged: true\n  containers:\n  - name: a\n",
    );
    let out = run(&t, vec![remove("spec.securityContext.privileged")]).unwrap();
    assert_eq!(
        out,
        pod("spec:\n  # why\n  securityContext: {}\n  containers:\n  - name: a\n")
    );
}

#[test]
fn removing_the_first_key_of_a_list_item_keeps_the_dash() {
    let t = pod(
        "spec:\n  containers:\n  - name: a\n    ports:\n    - hostPort: 80\n      containerPort: 80\n    - hostPort: 81\n",
    );
    let out = run(
        &t,
        vec![
            remove("spec.containers[0].ports[0].hostPort"),
            remove("spec.containers[0].ports[1].hostPort"),
        ],
    )
    .unwrap();
    assert!(
        out.ends_with("    ports:\n    - containerPort: 80\n    - {}\n"),
        "{out}"
    );
}

#[test]
fn remove_from_block_and_flow_lists() {
    let t = pod(
        "spec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        add:\n        - NET_ADMIN # needed?\n        - CHOWN\n        drop: [NET_RAW, ALL, SYS_ADMIN]\n",
    );
    let out = run(
        &t,
        vec![
            drop_item(
                "spec.containers[0].securityContext.capabilities.add",
                "NET_ADMIN",
            ),
            drop_item(
                "spec.containers[0].securityContext.capabilities.drop",
                "NET_RAW",
            ),
            drop_item(
                "spec.containers[0].securityContext.capabilities.drop",
                "SYS_ADMIN",
            ),
        ],
    )
    .unwrap();
    assert!(
        out.ends_with("        add:\n        - CHOWN\n        drop: [ALL]\n"),
        "{out}"
    );
    let out = run(
        &out,
        vec![drop_item(
            "spec.containers[0].securityContext.capabilities.add",
            "CHOWN",
        )],
    )
    .unwrap();
    assert!(
        out.ends_with("        add: []\n        drop: [ALL]\n"),
        "{out}"
    );
}

#[test]
fn add_to_list_merges_into_existing_block_list_and_skips_present_items() {
    let t = pod(
        "spec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities:\n        drop:\n          - NET_RAW\n",
    );
    let out = run(
        &t,
        vec![add(
            "spec.containers[0].securityContext.capabilities.drop",
            "ALL",
        )],
    )
    .unwrap();
    assert!(
        out.ends_with("        drop:\n          - NET_RAW\n          - ALL\n"),
        "{out}"
    );
    assert_eq!(
        run(
            &out,
            vec![add(
                "spec.containers[0].securityContext.capabilities.drop",
                "ALL"
            )]
        ),
        Ok(out.clone())
    );
}

#[test]
fn crlf_files_get_crlf_lines() {
    let t = pod("spec:\n  containers:\n  - name: a\n    image: x\n").replace('\n', "\r\n");
    let out = run(
        &t,
        vec![set(
            "spec.containers[0].securityContext.runAsNonRoot",
            "true",
        )],
    )
    .unwrap();
    assert!(
        out.ends_with("    image: x\r\n    securityContext:\r\n      runAsNonRoot: true\r\n"),
        "{out:?}"
    );
}

#[test]
fn a_file_without_final_newline_gets_one_before_the_insertion() {
    let t = pod("spec:\n  containers:\n  - name: a");
    let out = run(
        &t,
        vec![set(
            "spec.containers[0].securityContext.runAsNonRoot",
            "true",
        )],
    )
    .unwrap();
    assert!(
        out.ends_with("  - name: a\n    securityContext:\n      runAsNonRoot: true\n"),
        "{out:?}"
    );
}

#[test]
fn insertion_goes_after_a_literal_block_scalar() {
    let t = pod(
        "spec:\n  containers:\n  - name: a\n    command:\n    - sh\n    - -c\n    - |\n      echo hi\n\n  restartPolicy: Never\n",
    );
    let out = run(
        &t,
        vec![set(
            "spec.containers[0].securityContext.runAsNonRoot",
            "true",
        )],
    )
    .unwrap();
    assert!(out.contains("      echo hi\n    securityContext:\n      runAsNonRoot: true\n\n  restartPolicy: Never\n"), "{out}");
    // With `|+` the blank line is part of the value and stays with it.
    let keep = t.replace("- |\n", "- |+\n");
    let out = run(
        &keep,
        vec![set(
            "spec.containers[0].securityContext.runAsNonRoot",
            "true",
        )],
    )
    .unwrap();
    assert!(
        out.contains("      echo hi\n\n    securityContext:\n"),
        "{out}"
    );
    let file = read_manifest("t.yaml", out.as_bytes(), &Limits::default()).unwrap();
    let json = file.tree.to_json(file.objects[0].node);
    assert_eq!(json["spec"]["containers"][0]["command"][2], "echo hi\n\n");
}

#[test]
fn multi_document_files_edit_the_right_document() {
    let t = format!(
        "{}spec:\n  containers:\n  - name: a\n---\n{}spec:\n  containers:\n  - name: b\n",
        POD,
        POD.replace("name: p", "name: q")
    );
    let file = read_manifest("t.yaml", t.as_bytes(), &Limits::default()).unwrap();
    let plan = FixPlan {
        safety: FixSafety::Safe,
        title: "t".into(),
        caveat: "".into(),
        actions: vec![set(
            "spec.containers[0].securityContext.runAsNonRoot",
            "true",
        )],
    };
    let fix = realize(&file, &file.objects[1], &plan).unwrap();
    let out = apply_edits(file.source.text(), &fix.edits).unwrap();
    assert!(
        out.ends_with("  - name: b\n    securityContext:\n      runAsNonRoot: true\n"),
        "{out}"
    );
    assert!(out.contains("  - name: a\n---\n"));
}

#[test]
fn anchored_and_merged_nodes_are_not_edited_through_the_alias() {
    let t = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    securityContext: &sc\n      runAsUser: 0\n    containers: [{name: a}]\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n  spec:\n    securityContext: *sc\n    containers: [{name: b}]\n";
    let file = read_manifest("t.yaml", t.as_bytes(), &Limits::default()).unwrap();
    let plan = FixPlan {
        safety: FixSafety::Safe,
        title: "t".into(),
        caveat: "".into(),
        actions: vec![set("spec.securityContext.runAsNonRoot", "true")],
    };
    let err = realize(&file, &file.objects[1], &plan).unwrap_err();
    assert!(err.contains("anchor"), "{err}");
    assert!(realize(&file, &file.objects[0], &plan).is_err());

    let merged = pod(
        "spec:\n  containers:\n  - &base\n    name: a\n    securityContext:\n      privileged: true\n  - <<: *base\n    name: b\n",
    );
    let err = run(
        &merged,
        vec![remove("spec.containers[1].securityContext.privileged")],
    )
    .unwrap_err();
    assert!(err.contains("merge"), "{err}");
    // A merged scalar key can be overridden in the mapping itself.
    let m2 = pod(
        "spec:\n  securityContext:\n    <<: {runAsUser: 0}\n    fsGroup: 1\n  containers: []\n",
    );
    let out = run(&m2, vec![set("spec.securityContext.runAsUser", "1000")]).unwrap();
    assert!(
        out.contains("    fsGroup: 1\n    runAsUser: 1000\n"),
        "{out}"
    );
}

#[test]
fn bom_is_kept_out_of_edits() {
    let t = format!("\u{feff}{}", pod("spec:\n  containers:\n  - name: a\n"));
    let file = read_manifest("t.yaml", t.as_bytes(), &Limits::default()).unwrap();
    assert!(file.source.has_bom());
    let plan = FixPlan {
        safety: FixSafety::Safe,
        title: "t".into(),
        caveat: "".into(),
        actions: vec![set(
            "spec.containers[0].securityContext.runAsNonRoot",
            "true",
        )],
    };
    let fix = realize(&file, &file.objects[0], &plan).unwrap();
    let out = apply_edits(file.source.text(), &fix.edits).unwrap();
    assert!(out.starts_with("apiVersion"));
}

#[test]
fn fixes_on_one_container_merge_into_one_edit() {
    let t = pod("spec:\n  containers:\n  - name: a\n    image: x\n");
    let file = read_manifest("t.yaml", t.as_bytes(), &Limits::default()).unwrap();
    let object = &file.objects[0];
    let mk = |a: FixAction| FixPlan {
        safety: FixSafety::Review,
        title: "t".into(),
        caveat: "".into(),
        actions: vec![a],
    };
    let f1 = realize(
        &file,
        object,
        &mk(set(
            "spec.containers[0].securityContext.runAsNonRoot",
            "true",
        )),
    )
    .unwrap();
    let f2 = realize(
        &file,
        object,
        &mk(set(
            "spec.containers[0].securityContext.privileged",
            "false",
        )),
    )
    .unwrap();
    // Each alone inserts a `securityContext` at the same place; together, one block.
    assert_eq!(f1.edits[0].start, f2.edits[0].start);
    let edits = merge_fixes(&file, &[&f1, &f2]).unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(
        edits[0].replacement,
        "    securityContext:\n      runAsNonRoot: true\n      privileged: false\n"
    );
    let fixed = fix_file(&file, &[&f1, &f2]);
    assert_eq!(fixed.applied, 2);
}

#[test]
fn impossible_plans_are_refused() {
    let t = pod("spec:\n  containers:\n  - name: a\n    securityContext: strict\n");
    assert!(
        run(
            &t,
            vec![set(
                "spec.containers[0].securityContext.runAsNonRoot",
                "true"
            )]
        )
        .is_err()
    );
    assert!(
        run(
            &t,
            vec![set(
                "spec.containers[3].securityContext.runAsNonRoot",
                "true"
            )]
        )
        .is_err()
    );
    assert!(run(&t, vec![set("spec.containers", "x")]).is_err());
    assert_eq!(run(&t, vec![remove("spec.hostPID")]), Ok(t.clone()));
}

#[test]
fn suggestions_split_into_non_overlapping_regions() {
    let t = pod(
        "spec:\n  hostPID: true\n  containers:\n  - name: a\n    image: x\n  - name: b\n    image: y\n",
    );
    let file = read_manifest("t.yaml", t.as_bytes(), &Limits::default()).unwrap();
    let plan = FixPlan {
        safety: FixSafety::Safe,
        title: "t".into(),
        caveat: "".into(),
        actions: vec![
            remove("spec.hostPID"),
            set("spec.containers[0].securityContext.runAsNonRoot", "true"),
            set("spec.containers[1].securityContext.runAsNonRoot", "true"),
        ],
    };
    let edits = realize_all(&file, &file.objects[0], &[&plan]).unwrap();
    let s = suggestions(&file.source, &edits);
    assert_eq!(s.len(), 3, "{s:?}");
    for w in s.windows(2) {
        assert!(w[0].end_line < w[1].start_line);
    }
    assert_eq!(s[0].text, "");
    assert_eq!(
        s[1].text,
        "    image: x\n    securityContext:\n      runAsNonRoot: true"
    );
}

#[test]
fn crlf_removals_keep_crlf() {
    let t = pod("spec:\n  hostPID: true\n  securityContext:\n    sysctls:\n    - name: a\n    - name: b\n  containers:\n  - name: a\n    securityContext:\n      command: |\n        x\n")
        .replace('\n', "\r\n");
    let out = run(
        &t,
        vec![
            remove("spec.hostPID"),
            remove("spec.securityContext.sysctls[0]"),
            remove("spec.securityContext.sysctls[1]"),
            remove("spec.containers[0].securityContext.command"),
        ],
    )
    .unwrap();
    assert_eq!(
        out,
        pod("spec:\n  securityContext:\n    sysctls: []\n  containers:\n  - name: a\n    securityContext: {}\n")
            .replace('\n', "\r\n")
    );
}

#[test]
fn review_suggestions_name_the_fixes_they_carry() {
    let t = pod("spec:\n  hostPID: true\n  containers:\n  - name: a\n    image: x\n");
    let file = read_manifest("t.yaml", t.as_bytes(), &Limits::default()).unwrap();
    let object = &file.objects[0];
    let mk = |a: FixAction| FixPlan {
        safety: FixSafety::Safe,
        title: "t".into(),
        caveat: "".into(),
        actions: vec![a],
    };
    let fixes = [
        realize(
            &file,
            object,
            &mk(set(
                "spec.containers[0].securityContext.runAsNonRoot",
                "true",
            )),
        )
        .unwrap(),
        realize(&file, object, &mk(remove("spec.hostPID"))).unwrap(),
        realize(
            &file,
            object,
            &mk(add(
                "spec.containers[0].securityContext.capabilities.drop",
                "ALL",
            )),
        )
        .unwrap(),
    ];
    let refs: Vec<&Fix> = fixes.iter().collect();
    let review = review_suggestions(&file, &refs).unwrap();
    assert_eq!(review.len(), 2);
    assert_eq!(review[0].fixes, vec![1]);
    assert_eq!(
        (
            review[0].suggestion.start_line,
            review[0].suggestion.text.as_str()
        ),
        (6, "")
    );
    assert_eq!(review[1].fixes, vec![0, 2]);
    assert_eq!(
        review[1].suggestion.text,
        "    image: x\n    securityContext:\n      runAsNonRoot: true\n      capabilities:\n        drop:\n        - ALL"
    );
}

#[test]
fn insertion_after_an_alias_goes_after_the_alias_not_the_anchor() {
    let t = pod(
        "spec:\n  containers:\n  - name: a\n    env: &env\n    - {name: X, value: '1'}\n  - name: b\n    env: *env\n",
    );
    let out = run(
        &t,
        vec![
            set("spec.containers[1].securityContext.runAsNonRoot", "true"),
            set("spec.securityContext.runAsNonRoot", "true"),
        ],
    )
    .unwrap();
    assert!(
        out.ends_with("    env: *env\n    securityContext:\n      runAsNonRoot: true\n  securityContext:\n    runAsNonRoot: true\n"),
        "{out}"
    );
    // A list whose last item is an alias has no known end: refused.
    let t = pod("spec:\n  volumes:\n  - &v {name: v, emptyDir: {}}\n  - *v\n  containers: []\n");
    assert!(run(&t, vec![set("spec.hostNetwork", "false")]).is_ok());
    let t = pod("spec:\n  containers: []\n  volumes:\n  - &v {name: v, emptyDir: {}}\n  - *v\n");
    assert!(
        run(&t, vec![set("spec.hostNetwork", "false")])
            .unwrap_err()
            .contains("alias")
    );
}

#[test]
fn json_files_stay_json() {
    let t = r#"{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "j"},
  "spec": {
    "hostPID": true,
    "containers": [
      {"name": "a", "image": "a:1", "securityContext": {"privileged": true, "capabilities": {"add": ["NET_ADMIN"]}}}
    ]
  }
}
"#;
    let out = run(
        t,
        vec![
            set("spec.containers[0].securityContext.privileged", "false"),
            set(
                "spec.containers[0].securityContext.seccompProfile.type",
                "RuntimeDefault",
            ),
            add(
                "spec.containers[0].securityContext.capabilities.drop",
                "ALL",
            ),
            drop_item(
                "spec.containers[0].securityContext.capabilities.add",
                "NET_ADMIN",
            ),
            set("spec.securityContext.runAsNonRoot", "true"),
            remove("spec.hostPID"),
        ],
    )
    .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(
        json["spec"],
        serde_json::json!({
            "containers": [{"name": "a", "image": "a:1", "securityContext": {
                "privileged": false,
                "capabilities": {"add": [], "drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"}
            }}],
            "securityContext": {"runAsNonRoot": true}
        })
    );
}

#[test]
fn removing_every_key_of_a_mapping_keeps_its_comments_above_it() {
    let t = pod(
        "spec:\n  containers:\n  - name: a\n    securityContext:\n      # the debugger needs it (ticket OPS-12)\n      privileged: true\n      # and this\n      procMount: Unmasked # trailing\n",
    );
    let out = run(
        &t,
        vec![
            remove("spec.containers[0].securityContext.privileged"),
            remove("spec.containers[0].securityContext.procMount"),
        ],
    )
    .unwrap();
    assert_eq!(
        out,
        pod(
            "spec:\n  containers:\n  - name: a\n    # the debugger needs it (ticket OPS-12)\n    # and this\n    securityContext: {} # trailing\n"
        )
    );
}

#[test]
fn removing_a_key_keeps_the_comments_inside_its_value_but_not_block_scalar_lines() {
    let t = pod(
        "spec:\n  hostNetwork: true\n  securityContext:\n    seLinuxOptions:\n      # why: legacy agent\n      type: spc_t\n    runAsUser: 1000\n  containers:\n  - name: a\n    args:\n    - |\n      # not a comment: script text\n      echo hi\n",
    );
    let out = run(&t, vec![remove("spec.securityContext.seLinuxOptions")]).unwrap();
    assert_eq!(
        out,
        t.replace(
            "    seLinuxOptions:\n      # why: legacy agent\n      type: spc_t\n",
            "    # why: legacy agent\n"
        )
    );
    let t = pod(
        "spec:\n  containers:\n  - name: a\n    env:\n    - name: X\n      value: |\n        # script line, not a comment\n        run\n    image: x\n",
    );
    let out = run(&t, vec![remove("spec.containers[0].env")]).unwrap();
    assert_eq!(out, t.replace("    env:\n    - name: X\n      value: |\n        # script line, not a comment\n        run\n", ""));
}

fn plan_of(actions: Vec<FixAction>) -> FixPlan {
    FixPlan {
        safety: FixSafety::Safe,
        title: "t".into(),
        caveat: "".into(),
        actions,
    }
}

#[test]
fn an_objects_fixes_are_verified_with_one_parse_when_they_combine() {
    let t = pod("spec:\n  containers:\n  - name: a\n    image: x\n");
    let file = read_manifest("t.yaml", t.as_bytes(), &Limits::default()).unwrap();
    let a = plan_of(vec![set(
        "spec.containers[0].securityContext.privileged",
        "false",
    )]);
    let b = plan_of(vec![set("spec.securityContext.runAsNonRoot", "true")]);
    let out = realize_object_fixes(&file, &file.objects[0], vec![a, b]);
    assert_eq!(out.verification_parses, 1);
    assert!(out.fixes.iter().all(Option::is_some));
}

#[test]
fn fixes_that_do_not_combine_are_each_verified_alone_and_kept() {
    // Emptying a list item while adding a key to it cannot be written as one edit; each of
    // the two is still a valid fix on its own.
    let t = pod("spec:\n  containers:\n  - name: a\n");
    let file = read_manifest("t.yaml", t.as_bytes(), &Limits::default()).unwrap();
    let empty = plan_of(vec![remove("spec.containers[0].name")]);
    let grow = plan_of(vec![set("spec.containers[0].image", "x")]);
    assert!(realize_all(&file, &file.objects[0], &[&empty, &grow]).is_err());
    let out = realize_object_fixes(&file, &file.objects[0], vec![empty, grow]);
    assert_eq!(
        out.verification_parses, 3,
        "one joint try, then each fix alone"
    );
    assert!(out.fixes.iter().all(Option::is_some));
}

#[test]
fn add_to_list_takes_a_flow_mapping_item_in_block_flow_json_and_new_lists() {
    const RULE: &str = "{to: [{podSelector: {}}], ports: [{protocol: UDP, port: 53}]}";
    let np = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n";
    let block = format!("{np}  egress:\n    - to:\n        - podSelector: {{}}\n");
    assert_eq!(
        run(&block, vec![add("spec.egress", RULE)]).unwrap(),
        format!("{block}    - {RULE}\n")
    );
    let flow = format!("{np}  egress: [{{ports: [{{port: 80}}]}}]\n");
    assert_eq!(
        run(&flow, vec![add("spec.egress", RULE)]).unwrap(),
        format!("{np}  egress: [{{ports: [{{port: 80}}]}}, {RULE}]\n")
    );
    let missing = format!("{np}  podSelector: {{}}\n");
    let out = run(&missing, vec![add("spec.egress", RULE)]).unwrap();
    assert!(
        out.ends_with(&format!("  egress:\n    - {RULE}\n")),
        "{out}"
    );
    // Already there (same value, other spelling): nothing to add.
    let present = format!(
        "{np}  egress:\n    - ports: [{{port: 53, protocol: UDP}}]\n      to:\n        - podSelector: {{}}\n"
    );
    assert_eq!(
        run(&present, vec![add("spec.egress", RULE)]).as_ref(),
        Ok(&present)
    );
    let json = "{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\", \"metadata\": {\"name\": \"p\"}, \"spec\": {\"egress\": []}}\n";
    let out = run(json, vec![add("spec.egress", RULE)]).unwrap();
    let value: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
    assert_eq!(value["spec"]["egress"][0]["ports"][0]["port"], 53);
}

#[test]
fn spaces_are_written_at_any_count() {
    for n in [0, 1, 63, 64, 65, 200] {
        let mut out = String::from("x");
        super::push_spaces(&mut out, n);
        assert_eq!(out.len(), n + 1, "{n}");
        assert!(out[1..].bytes().all(|b| b == b' '), "{n}");
    }
}
