use super::*;
use proptest::prelude::*;

/// The walk `check` made before this module: `ignore`'s own walker, ripgrep's rules.
fn walked_by_ignore(root: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .require_git(false)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.depth() > 0 && e.file_type().is_some_and(|t| t.is_file()))
        .map(|e| e.into_path())
        .filter(|p| crate::cli::is_manifest_name(p))
        .collect();
    found.sort();
    found
}

fn walked_here(root: &Path) -> Vec<PathBuf> {
    let mut found =
        files_under(root, crate::cli::is_manifest_name, &mut Listings::default()).unwrap();
    found.sort();
    found
}

/// Names of directories and files, hidden and not, manifests and not.
const DIRS: [&str; 4] = ["a", "b", ".h", "c.d"];
const FILES: [&str; 6] = ["x.yaml", "y.yml", "z.json", ".k.yaml", "w.txt", "a.yaml"];
/// Lines of ignore files: globs, anchored and directory-only patterns, negations (of hidden
/// names too), a comment and a blank line.
const LINES: [&str; 18] = [
    "x.yaml",
    "*.yml",
    "!x.yaml",
    "/a",
    "a/",
    "b",
    "!b",
    ".h",
    "!.h",
    "!.k.yaml",
    "**/z.json",
    "c.d/*.yaml",
    "*",
    "!*/",
    "!a.yaml",
    "# comment",
    "",
    "/c.d/x.yaml",
];

#[derive(Debug, Clone)]
struct Tree {
    /// Directory paths (relative, `/`-separated), each made with its parents.
    dirs: Vec<String>,
    /// (directory index or none for the top, file name).
    files: Vec<(Option<usize>, usize)>,
    /// (directory index or none for the top, 0 `.gitignore` / 1 `.ignore` / 2 `.git/info/exclude`,
    /// lines).
    rules: Vec<(Option<usize>, usize, Vec<usize>)>,
    /// Walk from `a` instead of the top: the top's rules are then the walk's parents'.
    from_a: bool,
}

fn tree() -> impl Strategy<Value = Tree> {
    let dir = prop::collection::vec(0..DIRS.len(), 1..4)
        .prop_map(|parts| parts.iter().map(|&i| DIRS[i]).collect::<Vec<_>>().join("/"));
    (prop::collection::vec(dir, 0..6), any::<bool>()).prop_flat_map(|(mut dirs, from_a)| {
        dirs.push("a".into());
        let n = dirs.len();
        let place = prop::option::weighted(0.8, 0..n);
        (
            Just(dirs),
            prop::collection::vec((place.clone(), 0..FILES.len()), 0..25),
            prop::collection::vec(
                (
                    place,
                    0..3usize,
                    prop::collection::vec(0..LINES.len(), 1..5),
                ),
                0..5,
            ),
            Just(from_a),
        )
            .prop_map(|(dirs, files, rules, from_a)| Tree {
                dirs,
                files,
                rules,
                from_a,
            })
    })
}

fn build(top: &Path, t: &Tree) {
    let at = |d: &Option<usize>| d.map_or(top.to_path_buf(), |i| top.join(&t.dirs[i]));
    for d in &t.dirs {
        std::fs::create_dir_all(top.join(d)).unwrap();
    }
    for (d, f) in &t.files {
        std::fs::write(at(d).join(FILES[*f]), "kind: Pod\n").unwrap();
    }
    for (d, kind, lines) in &t.rules {
        let text: String = lines.iter().map(|&l| format!("{}\n", LINES[l])).collect();
        let file = match kind {
            0 => at(d).join(".gitignore"),
            1 => at(d).join(".ignore"),
            _ => {
                std::fs::create_dir_all(at(d).join(".git/info")).unwrap();
                at(d).join(".git/info/exclude")
            }
        };
        // Two rules of one kind in one directory: the file holds both.
        let mut old = std::fs::read_to_string(&file).unwrap_or_default();
        old.push_str(&text);
        std::fs::write(file, old).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn walks_as_ignore_walks(t in tree()) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        build(dir, &t);
        let root = if t.from_a { dir.join("a") } else { dir.to_path_buf() };
        prop_assert_eq!(walked_here(&root), walked_by_ignore(&root));
    }
}

/// The repository's own trees, named relatively (the tests run in the package root): its
/// `.gitignore` keeps `target/` out, and `.` is walked as `./…` paths.
#[test]
fn walks_the_repository_as_ignore_walks() {
    for root in [".", "fixtures", "./tests", "deploy/"] {
        let here = walked_here(Path::new(root));
        assert!(!here.is_empty(), "{root}");
        assert_eq!(here, walked_by_ignore(Path::new(root)), "{root}");
    }
}

/// A worktree's `.git` file leads to the common directory's `info/exclude`.
#[test]
fn a_worktree_reads_the_common_directorys_exclude_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let common = dir.join("main.git");
    std::fs::create_dir_all(common.join("info")).unwrap();
    std::fs::write(common.join("info/exclude"), "skipped.yaml\n").unwrap();
    let worktree_git = common.join("worktrees/wt");
    std::fs::create_dir_all(&worktree_git).unwrap();
    std::fs::write(worktree_git.join("commondir"), "../..\n").unwrap();
    let wt = dir.join("wt");
    std::fs::create_dir_all(&wt).unwrap();
    std::fs::write(
        wt.join(".git"),
        format!("gitdir: {}\n", worktree_git.display()),
    )
    .unwrap();
    std::fs::write(wt.join("skipped.yaml"), "kind: Pod\n").unwrap();
    std::fs::write(wt.join("kept.yaml"), "kind: Pod\n").unwrap();
    let here = walked_here(&wt);
    assert_eq!(here, vec![wt.join("kept.yaml")]);
    assert_eq!(here, walked_by_ignore(&wt));
}

/// A directory that cannot be listed stops the walk with an error that names it (here a file
/// given as the directory: `ENOTDIR`).
#[test]
fn a_directory_that_cannot_be_listed_is_an_error_naming_it() {
    let err = files_under(
        Path::new("Cargo.toml"),
        crate::cli::is_manifest_name,
        &mut Listings::default(),
    )
    .unwrap_err();
    assert!(err.starts_with("Cargo.toml: "), "{err}");
}

/// A file source over the disk that counts the `is_file` questions it is asked.
struct CountingDisk(std::sync::atomic::AtomicUsize);

impl FileSource for CountingDisk {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        crate::render::Disk.read(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        crate::render::Disk.is_dir(path)
    }
    fn is_file(&self, path: &Path) -> bool {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        crate::render::Disk.is_file(path)
    }
}

/// The listings of a walk from `root` noting kustomization files, as `check` walks.
fn kustomization_listings(root: &Path) -> Listings {
    let mut listings = Listings::noting(crate::render::KUSTOMIZATION_FILE_NAMES);
    files_under(root, crate::cli::is_manifest_name, &mut listings).unwrap();
    listings
}

/// The listings answer "is there a kustomization here?" as the disk does, for every directory
/// and name, asked the ways `overlays` asks (normalised, `./` and `.` in them): kustomization
/// files of each name, one the `.gitignore` hides (the walk skips it, the disk has it), a
/// link to one, a directory with a kustomization's name, one named in other letters' case,
/// and a hidden directory the walk never listed. Only the link, the directory, the name in
/// other case and the unlisted directory reach the disk.
#[test]
fn listings_answer_kustomization_look_ups_as_the_disk_does() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let put = |path: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "resources: []\n").unwrap();
    };
    put("yaml/kustomization.yaml");
    put("yml/kustomization.yml");
    put("plain/Kustomization");
    put("ignored/kustomization.yaml");
    std::fs::write(root.join("ignored/.gitignore"), "kustomization.yaml\n").unwrap();
    put(".hidden/kustomization.yaml");
    put("none/app.yaml");
    std::fs::create_dir_all(root.join("link")).unwrap();
    std::os::unix::fs::symlink(
        "../yaml/kustomization.yaml",
        root.join("link/kustomization.yaml"),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("dir/kustomization.yml")).unwrap();
    put("case/KUSTOMIZATION.yaml");

    let names = crate::render::KUSTOMIZATION_FILE_NAMES;
    // Walked from the root as given and as `check` in it would walk (`.`).
    for walk_root in [root.to_path_buf(), root.join(".")] {
        let listings = kustomization_listings(&walk_root);
        let disk = CountingDisk(Default::default());
        let listed = listings.over(&disk);
        let dirs = [
            "yaml", "yml", "plain", "ignored", ".hidden", "none", "link", "dir", "case",
        ];
        let mut asked = 0;
        for dir in dirs
            .iter()
            .map(|d| root.join(d))
            .chain([root.to_path_buf()])
        {
            for name in names {
                for path in [dir.join(name), dir.join(".").join(name)] {
                    let path = crate::render::normalize_path(&path);
                    asked += 1;
                    assert_eq!(listed.is_file(&path), path.is_file(), "{}", path.display());
                }
            }
        }
        // Each of link/kustomization.yaml, dir/kustomization.yml and case/kustomization.yaml
        // (a case-insensitive file system would find KUSTOMIZATION.yaml) is asked twice, and
        // every name in `.hidden` twice: 12 of the 60 questions.
        assert_eq!(asked, 60);
        assert_eq!(disk.0.load(std::sync::atomic::Ordering::Relaxed), 12);
        // A name the walk did not note is the disk's to answer.
        assert!(listed.is_file(&root.join("none/app.yaml")));
        assert_eq!(disk.0.load(std::sync::atomic::Ordering::Relaxed), 13);
    }
}

/// A directory reached through `..` is not answered from the listings (a link before the
/// `..` would make the lexical path another directory): the disk is asked.
#[test]
fn listings_leave_paths_with_parent_components_to_the_disk() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("a")).unwrap();
    std::fs::write(tmp.path().join("a/kustomization.yaml"), "resources: []\n").unwrap();
    let through_parent = tmp.path().join("a/../a");
    let listings = kustomization_listings(&through_parent);
    let disk = CountingDisk(Default::default());
    let listed = listings.over(&disk);
    assert!(listed.is_file(&through_parent.join("kustomization.yaml")));
    assert!(!listed.is_file(&through_parent.join("Kustomization")));
    assert_eq!(disk.0.load(std::sync::atomic::Ordering::Relaxed), 2);
}
