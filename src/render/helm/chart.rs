//! Reading a chart directory as Helm's loader does: `Chart.yaml` (v1 and v2), `values.yaml`,
//! `templates/`, `crds/`, other files (what `.Files` sees), `.helmignore`, and subcharts
//! under `charts/` (directories; archives are named as not checked). Every file read is
//! interned in the render's [`SourceFiles`] so origins can point into it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::manifest::SourceText;
use crate::render::files::{FileSource, display};
use crate::render::origin::{FileId, Origin, SourceFiles};

use super::template::value::Value;
use super::yaml;

/// One entry of `dependencies:` in Chart.yaml.
#[derive(Debug, Clone, Default)]
pub struct Dependency {
    pub name: String,
    pub alias: String,
    pub condition: String,
    pub tags: Vec<String>,
    pub import_values: Vec<ImportValue>,
    pub repository: String,
}

#[derive(Debug, Clone)]
pub enum ImportValue {
    /// `- child: a.b` / `parent: c`.
    Map { child: String, parent: String },
    /// `- name`: the child's `exports.name`.
    Exports(String),
}

#[derive(Debug, Clone)]
pub struct ChartFile {
    /// Path inside the chart, with forward slashes (`templates/deployment.yaml`).
    pub rel: String,
    pub file: FileId,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Chart {
    /// `name` from Chart.yaml (the alias once one is applied).
    pub name: String,
    /// Chart.yaml as `.Chart` shows it (Helm's capitalised field names).
    pub metadata: BTreeMap<String, Value>,
    pub is_library: bool,
    pub kube_version: String,
    pub values: Value,
    /// The chart's values.yaml, when it has one.
    pub values_file: Option<FileId>,
    /// `values.schema.json`: its path and text.
    pub schema: Option<(String, String)>,
    pub templates: Vec<ChartFile>,
    pub crds: Vec<ChartFile>,
    pub files: BTreeMap<String, Vec<u8>>,
    pub dependencies: Vec<Dependency>,
    pub subcharts: Vec<Chart>,
}

const MAX_FILES: usize = 10_000;
const MAX_DEPTH: usize = 10;

/// Loads the chart in `dir` and its subcharts. `notes` collects what could not be checked.
pub fn load(
    fs: &dyn FileSource,
    dir: &Path,
    files: &mut SourceFiles,
    notes: &mut Vec<String>,
) -> Result<Chart, String> {
    load_at(fs, dir, files, notes, 0)
}

fn read_text(fs: &dyn FileSource, path: &Path) -> Result<String, String> {
    let bytes = fs
        .read(path)
        .map_err(|e| format!("cannot read {}: {e}", display(path)))?;
    String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", display(path)))
}

fn load_at(
    fs: &dyn FileSource,
    dir: &Path,
    files: &mut SourceFiles,
    notes: &mut Vec<String>,
    depth: usize,
) -> Result<Chart, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{}: subcharts nested deeper than {MAX_DEPTH} levels",
            display(dir)
        ));
    }
    let chart_yaml = dir.join("Chart.yaml");
    let text = read_text(fs, &chart_yaml)
        .map_err(|e| format!("{e} (a chart directory holds Chart.yaml)"))?;
    let chart_id = files.add(display(&chart_yaml), SourceText::new(&text));
    let meta = yaml::parse_value(&text, Some(chart_id))
        .map_err(|e| format!("{}: {e}", display(&chart_yaml)))?;
    let meta_map = meta
        .as_map()
        .map(|m| m.borrow().clone())
        .unwrap_or_default();
    let field = |k: &str| -> String {
        match meta_map.get(k) {
            Some(v) if !v.is_nil() => {
                raw_scalar(&text, k).unwrap_or_else(|| super::template::funcs::strval(v))
            }
            _ => String::new(),
        }
    };
    let name = field("name");
    if name.is_empty() {
        return Err(format!(
            "{}: validation: chart.metadata.name is required",
            display(&chart_yaml)
        ));
    }
    let problem = if field("apiVersion").is_empty() {
        Some("chart.metadata.apiVersion is required")
    } else if !matches!(field("apiVersion").as_str(), "v1" | "v2" | "v3") {
        Some("chart.metadata.apiVersion must be v1, v2 or v3")
    } else if field("version").is_empty() {
        Some("chart.metadata.version is required")
    } else if !matches!(field("type").as_str(), "" | "application" | "library") {
        Some("chart.metadata.type must be application or library")
    } else {
        None
    };
    if let Some(p) = problem {
        return Err(format!("validation: {p}"));
    }
    let mut metadata = BTreeMap::new();
    for (key, helm) in [
        ("name", "Name"),
        ("version", "Version"),
        ("appVersion", "AppVersion"),
        ("description", "Description"),
        ("apiVersion", "APIVersion"),
        ("type", "Type"),
        ("home", "Home"),
        ("icon", "Icon"),
        ("kubeVersion", "KubeVersion"),
        ("condition", "Condition"),
        ("tags", "Tags"),
    ] {
        // `.Chart.AppVersion` printed in a template points at its Chart.yaml line.
        let origin = meta_map.get(key).map_or(Origin::Unknown, |v| v.origin);
        metadata.insert(helm.to_string(), Value::str(field(key)).with_origin(origin));
    }
    for (key, helm) in [
        ("keywords", "Keywords"),
        ("sources", "Sources"),
        ("maintainers", "Maintainers"),
        ("dependencies", "Dependencies"),
    ] {
        metadata.insert(
            helm.to_string(),
            meta_map
                .get(key)
                .cloned()
                .unwrap_or(Value::list(Vec::new())),
        );
    }
    metadata.insert(
        "Annotations".into(),
        meta_map.get("annotations").cloned().unwrap_or(Value::NIL),
    );
    metadata.insert(
        "Deprecated".into(),
        meta_map
            .get("deprecated")
            .cloned()
            .unwrap_or(Value::bool(false)),
    );
    let is_library = field("type") == "library";

    let mut dependencies = Vec::new();
    let deps_text = if field("apiVersion") == "v1" {
        // Helm 2 charts keep dependencies in requirements.yaml.
        let req = dir.join("requirements.yaml");
        if fs.is_file(&req) {
            read_text(fs, &req)
                .ok()
                .and_then(|t| yaml::parse_value(&t, None).ok())
        } else {
            None
        }
    } else {
        None
    };
    let deps_value = deps_text
        .as_ref()
        .and_then(|v| {
            v.as_map()
                .and_then(|m| m.borrow().get("dependencies").cloned())
        })
        .or_else(|| meta_map.get("dependencies").cloned());
    if let Some(Value {
        kind: super::template::value::Kind::List(items),
        ..
    }) = deps_value
    {
        for item in items.iter() {
            let Some(m) = item.as_map() else { continue };
            let m = m.borrow();
            let s = |k: &str| {
                m.get(k)
                    .map(super::template::funcs::strval)
                    .unwrap_or_default()
            };
            let tags = match m.get("tags").map(|v| &v.kind) {
                Some(super::template::value::Kind::List(l)) => {
                    l.iter().map(super::template::funcs::strval).collect()
                }
                _ => Vec::new(),
            };
            let mut import_values = Vec::new();
            if let Some(super::template::value::Kind::List(l)) =
                m.get("import-values").map(|v| &v.kind)
            {
                for iv in l.iter() {
                    match iv.as_map() {
                        Some(ivm) => {
                            let ivm = ivm.borrow();
                            let g = |k: &str| {
                                ivm.get(k)
                                    .map(super::template::funcs::strval)
                                    .unwrap_or_default()
                            };
                            import_values.push(ImportValue::Map {
                                child: g("child"),
                                parent: g("parent"),
                            });
                        }
                        None => import_values
                            .push(ImportValue::Exports(super::template::funcs::strval(iv))),
                    }
                }
            }
            dependencies.push(Dependency {
                name: s("name"),
                alias: s("alias"),
                condition: s("condition"),
                tags,
                import_values,
                repository: s("repository"),
            });
        }
    }

    let ignore = HelmIgnore::read(fs, dir);
    let mut chart = Chart {
        name,
        metadata,
        is_library,
        kube_version: field("kubeVersion"),
        values: Value::map(BTreeMap::new()),
        values_file: None,
        schema: None,
        templates: Vec::new(),
        crds: Vec::new(),
        files: BTreeMap::new(),
        dependencies,
        subcharts: Vec::new(),
    };

    let mut all = Vec::new();
    walk(fs, dir, "", &ignore, &mut all)?;
    for rel in all {
        let path = dir.join(&rel);
        if rel == "Chart.yaml"
            || rel == "requirements.yaml"
            || rel == "requirements.lock"
            || rel == "Chart.lock"
        {
            continue;
        }
        if rel == "values.schema.json" {
            chart.schema = Some((display(&path), read_text(fs, &path)?));
            continue;
        }
        if rel == "values.yaml" {
            let text = read_text(fs, &path)?;
            let id = files.add(display(&path), SourceText::new(&text));
            chart.values_file = Some(id);
            let v = yaml::parse_value(&text, Some(id))
                .map_err(|e| format!("{}: {e}", display(&path)))?;
            chart.values = match v.kind {
                super::template::value::Kind::Map(_) => v,
                super::template::value::Kind::Nil => Value::map(BTreeMap::new()),
                _ => return Err(format!("{}: values must be a mapping", display(&path))),
            };
            continue;
        }
        if rel.starts_with("charts/") {
            continue;
        }
        if rel.starts_with("templates/") {
            let text = read_text(fs, &path)?;
            let id = files.add(display(&path), SourceText::new(&text));
            chart.templates.push(ChartFile {
                rel,
                file: id,
                text,
            });
            continue;
        }
        if rel.starts_with("crds/") {
            let text = read_text(fs, &path)?;
            let id = files.add(display(&path), SourceText::new(&text));
            // CRDs are files of the chart too (`.Files.Get "crds/x.yaml"`), as in Helm.
            chart.files.insert(rel.clone(), text.clone().into_bytes());
            chart.crds.push(ChartFile {
                rel,
                file: id,
                text,
            });
            continue;
        }
        let bytes = fs
            .read(&path)
            .map_err(|e| format!("cannot read {}: {e}", display(&path)))?;
        chart.files.insert(rel, bytes);
    }

    // Subcharts: directories under charts/.
    let charts_dir = dir.join("charts");
    if fs.is_dir(&charts_dir) {
        let names = fs
            .list(&charts_dir)
            .map_err(|e| format!("cannot list {}: {e}", display(&charts_dir)))?;
        for n in names {
            let sub = charts_dir.join(&n);
            if n.starts_with('.') || ignore.ignored(&format!("charts/{n}"), fs.is_dir(&sub)) {
                continue;
            }
            if fs.is_dir(&sub) && fs.is_file(&sub.join("Chart.yaml")) {
                chart
                    .subcharts
                    .push(load_at(fs, &sub, files, notes, depth + 1)?);
            } else if n.ends_with(".tgz") || n.ends_with(".tar.gz") {
                let archive = Archive::read(fs, &sub)?;
                let Some(root) = archive.chart_root() else {
                    notes.push(format!(
                        "{}: no Chart.yaml in the archive, not checked",
                        display(&sub)
                    ));
                    continue;
                };
                chart
                    .subcharts
                    .push(load_at(&archive, &root, files, notes, depth + 1)?);
            }
        }
    }
    for d in &chart.dependencies {
        let present = chart.subcharts.iter().any(|c| c.name == d.name);
        if !present {
            notes.push(format!(
                "{}: dependency {:?} ({}) is not vendored under charts/, not checked",
                display(&dir.join("Chart.yaml")),
                d.name,
                if d.repository.is_empty() {
                    "no repository"
                } else {
                    &d.repository
                }
            ));
        }
    }
    Ok(chart)
}

/// The scalar's text as written (so `version: 1.10` stays "1.10", as Helm keeps strings).
fn raw_scalar(text: &str, key: &str) -> Option<String> {
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(key).and_then(|r| r.strip_prefix(':')) else {
            continue;
        };
        let v = rest.split(" #").next().unwrap_or("").trim();
        if v.is_empty() || v.starts_with(['|', '>', '[', '{', '&', '*', '!']) {
            return None;
        }
        let unq = if (v.starts_with('"') && v.ends_with('"')
            || v.starts_with('\'') && v.ends_with('\''))
            && v.len() >= 2
        {
            return None;
        } else {
            v
        };
        return Some(unq.to_string());
    }
    None
}

fn walk(
    fs: &dyn FileSource,
    dir: &Path,
    prefix: &str,
    ignore: &HelmIgnore,
    out: &mut Vec<String>,
) -> Result<(), String> {
    let names = fs
        .list(&dir.join(prefix))
        .map_err(|e| format!("cannot list {}: {e}", display(&dir.join(prefix))))?;
    for n in names {
        let rel = if prefix.is_empty() {
            n.clone()
        } else {
            format!("{prefix}/{n}")
        };
        let path = dir.join(&rel);
        let is_dir = fs.is_dir(&path);
        if ignore.ignored(&rel, is_dir) {
            continue;
        }
        if is_dir {
            if rel == "charts" {
                continue;
            }
            walk(fs, dir, &rel, ignore, out)?;
        } else {
            out.push(rel);
        }
        if out.len() > MAX_FILES {
            return Err(format!("{}: more than {MAX_FILES} files", display(dir)));
        }
    }
    Ok(())
}

/// `.helmignore`: shell globs matched against the path or the base name; `dir/` matches
/// directories; `!` lines are not supported (ignored). Helm's default rule drops hidden
/// files under `templates/`.
struct HelmIgnore {
    rules: Vec<(globset::GlobMatcher, bool)>,
}

impl HelmIgnore {
    fn read(fs: &dyn FileSource, dir: &Path) -> HelmIgnore {
        let mut rules = Vec::new();
        let text = read_text(fs, &dir.join(".helmignore")).unwrap_or_default();
        for line in text.lines().chain(["templates/.?*"]) {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') || l.starts_with('!') {
                continue;
            }
            let dir_only = l.ends_with('/');
            let pat = l.trim_end_matches('/').trim_start_matches('/');
            if let Ok(g) = globset::GlobBuilder::new(pat)
                .literal_separator(true)
                .build()
            {
                rules.push((g.compile_matcher(), dir_only));
            }
        }
        HelmIgnore { rules }
    }

    fn ignored(&self, rel: &str, is_dir: bool) -> bool {
        if rel == ".helmignore" {
            return true;
        }
        let base = rel.rsplit('/').next().unwrap_or(rel);
        self.rules
            .iter()
            .any(|(g, dir_only)| (!dir_only || is_dir) && (g.is_match(rel) || g.is_match(base)))
    }
}

/// A packaged subchart (`charts/x.tgz`) unpacked in memory, its files addressed as
/// `charts/x.tgz/<path in the archive>` so origins still name where they came from.
struct Archive {
    base: PathBuf,
    files: BTreeMap<PathBuf, Vec<u8>>,
}

const MAX_ARCHIVE_BYTES: u64 = 64 * 1024 * 1024;

impl Archive {
    fn read(fs: &dyn FileSource, path: &Path) -> Result<Archive, String> {
        use std::io::Read as _;
        let bytes = fs
            .read(path)
            .map_err(|e| format!("cannot read {}: {e}", display(path)))?;
        let gz = flate2::read::GzDecoder::new(bytes.as_slice());
        let mut tar = tar::Archive::new(gz.take(MAX_ARCHIVE_BYTES + 1));
        let bad = |e: std::io::Error| format!("{}: not a chart archive: {e}", display(path));
        let mut files = BTreeMap::new();
        let mut total = 0u64;
        for entry in tar.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = entry.path().map_err(bad)?.into_owned();
            if name
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
            {
                return Err(format!(
                    "{}: archive entry {} leaves the archive",
                    display(path),
                    display(&name)
                ));
            }
            let mut data = Vec::new();
            entry.read_to_end(&mut data).map_err(bad)?;
            total += data.len() as u64;
            if total > MAX_ARCHIVE_BYTES || files.len() > MAX_FILES {
                return Err(format!(
                    "{}: the archive unpacks to more than 64 MiB or {MAX_FILES} files",
                    display(path)
                ));
            }
            files.insert(path.join(name), data);
        }
        Ok(Archive {
            base: path.to_path_buf(),
            files,
        })
    }

    /// The directory holding Chart.yaml at the top of the archive (`x.tgz/<name>`).
    fn chart_root(&self) -> Option<PathBuf> {
        self.files
            .keys()
            .filter(|p| p.file_name().is_some_and(|n| n == "Chart.yaml"))
            .filter_map(|p| p.parent().map(Path::to_path_buf))
            .filter(|d| d.parent() == Some(self.base.as_path()))
            .min()
    }
}

impl FileSource for Archive {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not in the archive"))
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.files.keys().any(|p| p.starts_with(path) && p != path)
    }
    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }
    fn list(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        let mut names: Vec<String> = self
            .files
            .keys()
            .filter_map(|p| p.strip_prefix(dir).ok())
            .filter_map(|rest| rest.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        names.dedup();
        Ok(names)
    }
}
