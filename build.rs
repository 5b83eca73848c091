//! Generates the rule registry and the rule documentation table from `src/rules/<family>/*.rs`.
//! A rule joins by adding one file that defines `pub(crate) static RULE`; its `//!` comment is
//! its guidance page.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    pack_relative_relocations();
    // Read when the script runs, not baked in when it is compiled: cargo reuses a compiled
    // build script for another checkout of the same package (a worktree sharing `target/`),
    // whose `env!` path would point at the first checkout's rules (or at nothing).
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let root = Path::new(&manifest_dir).join("src/rules");
    println!("cargo:rerun-if-changed={}", root.display());
    let out = std::env::var("OUT_DIR").unwrap();
    let mut families: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.path())
        .collect();
    families.sort();
    let mut registry = String::from("pub static RULES: &[&dyn crate::rules::Rule] = &[\n");
    let mut docs = String::from("pub static RULE_DOCS: &[(&str, &str)] = &[\n");
    for family in families {
        println!("cargo:rerun-if-changed={}", family.display());
        let fam = family.file_name().unwrap().to_str().unwrap().to_string();
        let mut files: Vec<_> = std::fs::read_dir(&family)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .collect();
        files.sort();
        let mut mods = String::new();
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let text = std::fs::read_to_string(&file).unwrap();
            let stem = file.file_stem().unwrap().to_str().unwrap().to_string();
            if stem == "mod" || !text.contains("pub(crate) static RULE:") {
                continue;
            }
            writeln!(
                mods,
                "#[path = {:?}]\npub mod {stem};",
                file.display().to_string()
            )
            .unwrap();
            writeln!(registry, "    &crate::rules::{fam}::{stem}::RULE,").unwrap();
            let doc: String = text
                .lines()
                .take_while(|l| l.starts_with("//!"))
                .map(|l| {
                    l.strip_prefix("//! ")
                        .unwrap_or(l.strip_prefix("//!").unwrap_or(l))
                })
                .collect::<Vec<_>>()
                .join("\n");
            let id = format!("{}/{}", fam.replace('_', "-"), stem.replace('_', "-"));
            writeln!(docs, "    ({id:?}, {doc:?}),").unwrap();
        }
        write_if_changed(&Path::new(&out).join(format!("rules_{fam}.rs")), &mods);
    }
    registry.push_str("];\n");
    docs.push_str("];\n");
    write_if_changed(&Path::new(&out).join("registry.rs"), &(registry + &docs));
}

/// Writes through a new file and a rename, never into the existing file: a `target/` copied
/// with hard links (`cp -al`, as worktrees get a warm cache) shares the file with other
/// checkouts, and an in-place write would change their registry too.
fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    let tmp = path.with_extension("rs.tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Links the `kubenudge` binary with packed relative relocations (`DT_RELR`). The binary is
/// position independent, and its ~48,000 relative relocations (vtables, string tables) took a
/// 1.1 MB table that the loader read at every start. RELR packs them into 14 KB: about 1 MiB
/// less resident memory in every run (median of 8, `check` of an empty directory 11.7 -> 10.5
/// MiB, of the 300-file benchmark corpus 25.3 -> 24.4 MiB). The loader must know RELR (glibc 2.36 or later), so this
/// is done only when building for Linux with glibc on a glibc at least that recent (the
/// Docker image builds on bookworm and runs on distroless debian12, both 2.36);
/// `KUBENUDGE_NO_RELR=1` turns it off.
fn pack_relative_relocations() {
    println!("cargo:rerun-if-env-changed=KUBENUDGE_NO_RELR");
    let target = |key: &str| std::env::var(key).unwrap_or_default();
    if std::env::var_os("KUBENUDGE_NO_RELR").is_some()
        || target("CARGO_CFG_TARGET_OS") != "linux"
        || target("CARGO_CFG_TARGET_ENV") != "gnu"
        || target("HOST") != target("TARGET")
    {
        return;
    }
    // `getconf GNU_LIBC_VERSION` prints e.g. "glibc 2.36".
    let version = std::process::Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    let mut numbers = version
        .trim()
        .trim_start_matches("glibc ")
        .split('.')
        .map(|n| n.parse::<u32>().unwrap_or(0));
    let (major, minor) = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
    if (major, minor) >= (2, 36) {
        println!("cargo:rustc-link-arg-bin=kubenudge=-Wl,-z,pack-relative-relocs");
    }
}
