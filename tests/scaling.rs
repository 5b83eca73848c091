//! The engine's cost grows with what it reads, not with its square. Asserted on work counts
//! that do not depend on the machine (time belongs to `cargo bench` and `bench/compare.sh`).

use kubenudge::engine::{LintOptions, lint};

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
