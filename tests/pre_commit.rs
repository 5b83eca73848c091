//! `.pre-commit-hooks.yaml` run by pre-commit itself: a throwaway hooks repository holding the
//! crate's hook definition, a project repository that adopts it, and `pre-commit run` on a
//! manifest with findings (the hook fails and prints them) and then on a clean one (it passes).
//!
//! pre-commit comes from PATH, or is installed from PyPI into `target/pre-commit-venv`. The
//! hook's `language: rust` would make pre-commit `cargo install` the crate in release mode (many
//! minutes); the project's config overrides only `language` to `unsupported` (pre-commit's
//! "on PATH" language) and puts the binary under test on PATH. Everything else — id, entry,
//! file types, filename passing — is the shipped definition.

use std::path::{Path, PathBuf};
use std::process::Command;

const CLEAN_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: app
      image: registry.example.com/web:1.2.3
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: [ALL]
";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `pre-commit` from PATH, else from a virtualenv under target/ (created on first use).
fn pre_commit() -> PathBuf {
    if Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return PathBuf::from("pre-commit");
    }
    let venv = root().join("target/pre-commit-venv");
    let exe = venv.join("bin/pre-commit");
    if exe.is_file() {
        return exe;
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .expect("python3 runs (needed to install pre-commit)");
    assert!(
        made.status.success(),
        "cannot create a virtualenv for pre-commit: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "pre-commit"])
        .output()
        .expect("pip runs");
    assert!(
        pip.status.success(),
        "pre-commit is not on PATH and pip could not install it from PyPI, so the hook was \
         NOT tested. Install pre-commit (pip install pre-commit) or allow access to PyPI.\n{}",
        String::from_utf8_lossy(&pip.stderr)
    );
    exe
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=kubenudge test",
            "-c",
            "user.email=test@example.com",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn run_hook(pre_commit: &Path, project: &Path, home: &Path) -> (bool, String) {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_kubenudge")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let out = Command::new(pre_commit)
        .args(["run", "--all-files", "--color", "never"])
        .current_dir(project)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1")
        .output()
        .expect("pre-commit runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn pre_commit_runs_the_hook_on_staged_manifests() {
    let pre_commit = pre_commit();
    let tmp = tempfile::tempdir().unwrap();
    let hooks = tmp.path().join("hooks");
    let project = tmp.path().join("project");
    let home = tmp.path().join("pre-commit-home");
    for dir in [&hooks, &project] {
        std::fs::create_dir_all(dir).unwrap();
        git(dir, &["init", "--quiet"]);
    }
    std::fs::copy(
        root().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&hooks, &["add", "."]);
    git(&hooks, &["commit", "--quiet", "-m", "hooks"]);
    let rev = git(&hooks, &["rev-parse", "HEAD"]);

    // The three lines of the README, plus the `language` override explained above.
    std::fs::write(
        project.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: kubenudge\n        language: unsupported\n",
            hooks.display(),
            rev.trim()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(project.join("k8s")).unwrap();
    std::fs::copy(
        root().join("fixtures/insecure-deployment.yaml"),
        project.join("k8s/web.yaml"),
    )
    .unwrap();
    std::fs::write(project.join("README.md"), "not a manifest\n").unwrap();
    std::fs::write(project.join("values.yaml"), "replicas: 2\n").unwrap();
    git(&project, &["add", "."]);

    let (passed, out) = run_hook(&pre_commit, &project, &home);
    assert!(!passed, "the hook fails on findings:\n{out}");
    assert!(
        out.contains("kubenudge....") && out.contains("Failed"),
        "{out}"
    );
    assert!(out.contains("- hook id: kubenudge"), "{out}");
    assert!(
        out.contains("k8s/web.yaml:14:5: pod-security/run-as-non-root"),
        "the finding with its position:\n{out}"
    );
    assert!(
        !out.contains("README.md"),
        "only YAML and JSON are passed:\n{out}"
    );

    std::fs::write(project.join("k8s/web.yaml"), CLEAN_POD).unwrap();
    git(&project, &["add", "."]);
    let (passed, out) = run_hook(&pre_commit, &project, &home);
    assert!(passed, "the hook passes once the manifest is clean:\n{out}");
    assert!(
        out.contains("kubenudge....") && out.contains("Passed"),
        "{out}"
    );
}
