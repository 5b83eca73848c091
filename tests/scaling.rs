//! The engine's cost grows with what it reads, not with its square. Asserted on work counts
//! that do not depend on the machine (time belongs to `cargo bench` and `bench/compare.sh`).

use kubenudge::engine::{LintOptions, OBJECTS_PER_TASK, lint, lint_in_order, lints_in_order, read};

/// One file of `n` small Pods that break five rules each, as `bench/gen_corpus.py pods` makes.
fn insecure_pods(n: usize) -> Vec<(String, Vec<u8>)> {
    let docs: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  namespace: team-{ns}\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/app:{i}\n",
                ns = i % 7
            )
        })
        .collect();
    vec![("pods.yaml".to_string(), docs.join("---\n").into_bytes())]
}

#[test]
fn fixes_are_verified_with_one_parse_per_object_however_many_findings_it_has() {
    for n in [1, 40, 400] {
        let result = lint(&insecure_pods(n), &LintOptions::default());
        assert_eq!(result.stats.objects, n);
        let fixable = result.findings.iter().filter(|f| f.fix.is_some()).count();
        assert!(
            fixable >= 4 * n,
            "{fixable} fixable findings for {n} Pods: each Pod has several"
        );
        assert_eq!(result.stats.objects_with_fixes, n);
        assert_eq!(
            result.stats.verification_parses, n,
            "one verification parse per object, not one per fix"
        );
    }
}

#[test]
fn each_pod_of_a_big_file_gets_its_own_findings_in_file_order() {
    // Documents linted in parallel chunks come back as a sequential run would give them.
    let n = 1_000;
    let result = lint(&insecure_pods(n), &LintOptions::default());
    let per_pod = result.findings.len() / n;
    assert_eq!(
        result.findings.len(),
        per_pod * n,
        "the same findings for every Pod"
    );
    assert!(per_pod >= 5);
    let lines: Vec<usize> = result.findings.iter().map(|f| f.line).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "sorted by line");
    for (i, chunk) in result.findings.chunks(per_pod).enumerate() {
        assert!(
            chunk.iter().all(|f| f.object.name == format!("pod-{i}")),
            "findings of pod-{i} together"
        );
    }
    // Deterministic: the same run twice gives the same findings in the same order.
    let again = lint(&insecure_pods(n), &LintOptions::default());
    let key = |r: &kubenudge::engine::LintResult| -> Vec<(String, usize, usize, &'static str)> {
        r.findings
            .iter()
            .map(|f| (f.object.name.clone(), f.line, f.column, f.rule))
            .collect()
    };
    assert_eq!(key(&result), key(&again));
}

#[test]
fn lint_in_order_hands_out_bounded_batches_whose_findings_are_the_whole_lint() {
    // A big file and small ones, given out of path order: the tasks' findings come in report
    // order (files by path, objects in text order), together exactly what `lint` finds, and
    // no more than a batch (plus one task) is linted ahead of what was handed out.
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut inputs = insecure_pods(1_000);
    for (i, name) in ["c.yaml", "a.yaml", "zz/b.yaml"].iter().enumerate() {
        let (_, pods) = &insecure_pods(3 + i)[0];
        inputs.push((name.to_string(), pods.clone()));
    }
    let options = LintOptions::default();
    let whole = lint(&inputs, &options);
    let key = |f: &kubenudge::finding::Finding| {
        (
            f.file.clone(),
            f.line,
            f.column,
            f.rule,
            f.message.clone(),
            f.fix.as_ref().map(|x| x.edits.clone()),
        )
    };
    let expected: Vec<_> = whole.findings.iter().map(key).collect();
    let files = read(&inputs, &options);
    assert!(lints_in_order(&files));
    assert!(files.findings.is_empty(), "reading lints nothing");
    for batch_objects in [1, 100, 700, 5_000] {
        let linted = AtomicUsize::new(0);
        let mut handed_out = 0;
        let mut found = Vec::new();
        let stats = lint_in_order(
            &files,
            &options,
            batch_objects,
            || (0, Vec::new()),
            |task: &mut (usize, Vec<_>), object| {
                linted.fetch_add(1, Ordering::Relaxed);
                assert!(object.findings.iter().all(|f| f.file == object.file.path));
                task.0 += 1;
                task.1.extend(object.findings.iter().map(key));
            },
            |task| {
                let ahead = linted.load(Ordering::Relaxed) - handed_out;
                assert!(
                    ahead < batch_objects + OBJECTS_PER_TASK,
                    "{ahead} objects linted ahead with batches of {batch_objects}"
                );
                handed_out += task.0;
                found.extend(task.1);
            },
        );
        assert_eq!(found, expected, "batches of {batch_objects}");
        assert_eq!(stats, whole.stats);
    }
}

#[test]
fn objects_out_of_text_order_are_not_linted_in_batches() {
    // `lint_in_order` relies on objects coming in the order of their text; a result whose
    // files break that (or share a path) is refused, and `check` lints it whole.
    let options = LintOptions::default();
    let mut files = read(&insecure_pods(3), &options);
    assert!(lints_in_order(&files));
    files.files[0].objects.swap(0, 2);
    assert!(!lints_in_order(&files));
    let inputs = [insecure_pods(2), insecure_pods(2)].concat();
    assert!(
        !lints_in_order(&read(&inputs, &options)),
        "two files, one path"
    );
}
