//! `kubenudge check --fix / --unsafe-fixes / --diff` end to end on files in a temporary
//! directory, with the rule that has a fix on this branch (read-only root filesystem, which
//! needs review).

use clap::Parser;

use kubenudge::cli::{Cli, EXIT_CLEAN, EXIT_FINDINGS, run};

const DEPLOYMENT: &str = "\u{feff}apiVersion: apps/v1\r\nkind: Deployment\r\nmetadata:\r\n  name: web\r\nspec:\r\n  template:\r\n    spec:\r\n      containers:\r\n        - name: app # main\r\n          image: web:1\r\n        - name: sidecar\r\n          image: proxy:2\r\n          securityContext:\r\n            readOnlyRootFilesystem: false # TODO\r\n";

fn check(args: &[&str], dir: &std::path::Path) -> (i32, String, String) {
    // At baseline the Pod Security rules have nothing to say about this file, so the
    // hardening rule's fix is exercised alone.
    let mut argv = vec!["kubenudge", "check", "--level", "baseline"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(cli, &mut out, &mut err);
    let clean = |b: Vec<u8>| {
        String::from_utf8(b)
            .unwrap()
            .replace(&dir.display().to_string(), "[TMP]")
    };
    (code, clean(out), clean(err))
}

fn setup() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("web.yaml");
    std::fs::write(&path, DEPLOYMENT).unwrap();
    (dir, path.display().to_string())
}

#[test]
fn text_output_shows_the_suggested_change() {
    let (dir, path) = setup();
    let (code, out, _) = check(&[&path], dir.path());
    assert_eq!(code, EXIT_FINDINGS);
    insta::assert_snapshot!(out);
}

#[test]
fn diff_prints_and_writes_nothing() {
    let (dir, path) = setup();
    let (code, out, err) = check(&["--diff", &path], dir.path());
    // The only fix needs review: nothing to do without --unsafe-fixes.
    assert_eq!((code, out.as_str()), (EXIT_CLEAN, ""));
    assert!(err.contains("Would fix 0 findings"), "{err}");
    let (code, out, err) = check(&["--diff", "--unsafe-fixes", &path], dir.path());
    assert_eq!(code, EXIT_FINDINGS);
    assert!(err.contains("Would fix 2 findings in 1 file"), "{err}");
    insta::assert_snapshot!(out);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), DEPLOYMENT);
}

#[test]
fn fix_applies_safe_fixes_and_unsafe_ones_only_when_asked() {
    let (dir, path) = setup();
    let (code, _, err) = check(&["--fix", &path], dir.path());
    assert_eq!(code, EXIT_FINDINGS);
    assert_eq!(
        err.trim(),
        "Fixed 0 findings (2 remaining, 2 fixable with `--fix --unsafe-fixes`)."
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), DEPLOYMENT);

    let (code, out, err) = check(&["--fix", "--unsafe-fixes", &path], dir.path());
    assert_eq!(err.trim(), "Fixed 2 findings (0 remaining).");
    assert_eq!(code, EXIT_CLEAN, "{out}");
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(fixed.starts_with('\u{feff}'), "the BOM is kept");
    assert!(!fixed.replace("\r\n", "").contains('\n'), "CRLF is kept");
    assert_eq!(
        fixed,
        DEPLOYMENT
            .replace(
                "          image: web:1\r\n",
                "          image: web:1\r\n          securityContext:\r\n            readOnlyRootFilesystem: true\r\n"
            )
            .replace("readOnlyRootFilesystem: false # TODO", "readOnlyRootFilesystem: true # TODO")
    );
    // A second run has nothing left to do.
    let (code, _, err) = check(&["--fix", "--unsafe-fixes", &path], dir.path());
    assert_eq!(
        (code, err.trim()),
        (EXIT_CLEAN, "Fixed 0 findings (0 remaining).")
    );
}
