//! The engine: file contents in, findings out. Pure: no file system, no network, no clock.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::finding::{Finding, FixPlan, Severity};
use crate::manifest::{
    ChartDirs, Limits, ManifestFile, Object, ReadError, SkipReason, read_manifest,
};
use crate::policy::PssPolicy;
use crate::rules::{self, Repository, Rule, RuleContext};

/// A file to lint: its path and its bytes.
pub type Input = (String, Vec<u8>);

/// What to run and how strictly.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// The Pod Security level and version used when nothing more specific applies.
    pub pss: PssPolicy,
    /// True when `pss` was chosen explicitly (flag or config) and Namespace labels must not
    /// override it.
    pub pss_explicit: bool,
    pub limits: Limits,
    /// Chart folders known to the caller beyond the `Chart.yaml` files among the inputs (the
    /// CLI looks on disk above a file named on the command line): files under their
    /// `templates/` are templates.
    pub charts: ChartDirs,
    /// Which rules run (`select` / `ignore`); all of them by default.
    pub rules: rules::selection::RuleSelection,
    /// True when the files are only part of the repository (a pull request's changed files):
    /// rules then draw no conclusion from what the files do *not* contain (no workload
    /// selected, no policy allowing DNS), since the rest may be in files not given.
    pub partial_repository: bool,
    /// The rest of the repository, read for context and never linted: what the rules' view
    /// of other objects (workloads, Namespaces, policies) is built from besides the linted
    /// files. A context file with the path of a linted file is left out (the linted version
    /// wins). With the whole repository here, `partial_repository` can be false.
    pub context: std::sync::Arc<Vec<ManifestFile>>,
    /// Values files per chart directory (`helm:` in the configuration), each rendered as a
    /// values set of its own when `check` renders charts.
    pub chart_values: std::collections::BTreeMap<String, Vec<String>>,
}

/// Everything one run produced.
#[derive(Debug, Default)]
pub struct LintResult {
    pub files: Vec<ManifestFile>,
    pub findings: Vec<Finding>,
    pub errors: Vec<ReadError>,
    /// Files that were read but not linted, and why.
    pub skipped: Vec<(String, SkipReason)>,
    /// What the run cost, in units that do not depend on the machine.
    pub stats: LintStats,
    /// `files` by path, built on first use (reports look a file up per finding).
    file_index: std::sync::OnceLock<HashMap<String, usize>>,
}

/// Work counts of a lint run: what the scaling tests assert on (time is for benchmarks).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LintStats {
    pub objects: usize,
    /// Objects with at least one finding that has a fix plan.
    pub objects_with_fixes: usize,
    /// Re-parses made to verify fixes: one per object with fixes, more only when a joint
    /// result does not parse and each fix is checked alone.
    pub verification_parses: usize,
}

impl LintStats {
    fn add(&mut self, other: LintStats) {
        self.objects += other.objects;
        self.objects_with_fixes += other.objects_with_fixes;
        self.verification_parses += other.verification_parses;
    }
}

impl LintResult {
    pub fn file(&self, path: &str) -> Option<&ManifestFile> {
        // `files` keeps input order, which callers rely on; the index is by path. A caller
        // may have changed `files` since the index was built: a hit is checked, a miss
        // falls back to a scan.
        let index = self.file_index.get_or_init(|| {
            let mut index = HashMap::with_capacity(self.files.len());
            for (i, f) in self.files.iter().enumerate() {
                index.entry(f.path.clone()).or_insert(i);
            }
            index
        });
        match index.get(path).and_then(|&i| self.files.get(i)) {
            Some(f) if f.path == path => Some(f),
            _ => self.files.iter().find(|f| f.path == path),
        }
    }
}

/// Reads and lints a set of files given as (path, bytes).
///
/// Files are independent, so they are read and linted on all cores; the result is the same
/// as a sequential run (input order for files, errors and skips; findings sorted by file,
/// line, column and rule). Every per-file step is linear in the file: nothing walks the
/// file's findings or documents once per finding or per object.
pub fn lint(inputs: &[(String, Vec<u8>)], options: &LintOptions) -> LintResult {
    lint_read(read(inputs, options), options)
}

/// The linting half of [`lint`]: the findings of the files [`read`] read.
pub fn lint_read(mut result: LintResult, options: &LintOptions) -> LintResult {
    let setup = LintSetup::new(&result, options);
    let linted: Vec<Vec<(Vec<Finding>, LintStats)>> = result
        .files
        .par_iter()
        .map(|file| lint_file(file, &setup))
        .collect();
    drop(setup);
    // The parts are joined once, each freed as soon as it is moved: a big file's findings are
    // never held twice over. The first part's buffer is grown in place of a new one: a run of
    // one big file (20,000 Pods, 100,000 findings) then copies none of its findings here.
    let total: usize = linted.iter().flatten().map(|(f, _)| f.len()).sum();
    for (findings, stats) in linted.into_iter().flatten() {
        if result.findings.capacity() == 0 {
            result.findings = findings;
            result.findings.reserve_exact(total - result.findings.len());
        } else {
            result.findings.extend(findings);
        }
        result.stats.add(stats);
    }
    // Each object's findings are sorted where they are made, and objects and files mostly come
    // in order: a check of the order is all most runs pay (a sort moves 350-byte findings).
    // Both sorts are stable, so findings with the same place keep the order rules made them in.
    if !result
        .findings
        .is_sorted_by(|a, b| finding_order(a, b).is_le())
    {
        result.findings.par_sort_by(finding_order);
    }
    result
}

/// The reading half of [`lint`]: files read (on all cores), their errors and skips, and no
/// findings yet. [`lint_in_order`] lints what it read.
pub fn read(inputs: &[(String, Vec<u8>)], options: &LintOptions) -> LintResult {
    let mut result = LintResult::default();
    let mut charts = ChartDirs::from_paths(inputs.iter().map(|(p, _)| p.as_str()));
    charts.extend(&options.charts);
    let read: Vec<Result<ManifestFile, ReadError>> = inputs
        .par_iter()
        .map(|(path, bytes)| {
            if charts.holds_template(path) {
                return Ok(ManifestFile::template(path));
            }
            read_manifest(path, bytes, &options.limits)
        })
        .collect();
    for outcome in read {
        match outcome {
            Ok(file) => {
                result.errors.extend(file.errors.iter().cloned());
                if let Some(reason) = &file.skipped {
                    result.skipped.push((file.path.clone(), reason.clone()));
                }
                result.files.push(file);
            }
            Err(e) => result.errors.push(e),
        }
    }
    result
}

/// What every object's lint reads: built once per run from all the files read.
struct LintSetup<'r> {
    rules: Vec<&'static dyn Rule>,
    namespaces: HashMap<String, PssPolicy>,
    repository: Repository<'r>,
    options: &'r LintOptions,
}

impl<'r> LintSetup<'r> {
    fn new(result: &'r LintResult, options: &'r LintOptions) -> Self {
        let namespaces = crate::rules::pod_security::namespace_policies(&result.files);
        let rules: Vec<&'static dyn Rule> = rules::all()
            .into_iter()
            .filter(|r| options.rules.enables(r.id()))
            .collect();
        let linted_paths: std::collections::HashSet<&str> =
            result.files.iter().map(|f| f.path.as_str()).collect();
        let repository = Repository::build_from(
            result.files.iter().chain(
                options
                    .context
                    .iter()
                    .filter(|f| !linted_paths.contains(f.path.as_str())),
            ),
        )
        .partial(options.partial_repository);
        LintSetup {
            rules,
            namespaces,
            repository,
            options,
        }
    }
}

/// One object's findings, from [`lint_in_order`].
pub struct ObjectLint<'r> {
    pub file: &'r ManifestFile,
    pub object: &'r Object,
    /// Sorted in report order (line, column, rule), with their fixes.
    pub findings: Vec<Finding>,
}

/// True when [`lint_in_order`] can hand out findings in report order without holding them
/// all: file paths are distinct, and each file's objects come in the order of their text
/// without overlapping (an object's findings lie within its span, so objects in order give
/// findings in order). Files read by [`read`] always are; the check keeps the promise for
/// any other `LintResult`.
pub fn lints_in_order(result: &LintResult) -> bool {
    let mut paths: Vec<&str> = result.files.iter().map(|f| f.path.as_str()).collect();
    paths.sort_unstable();
    if paths.windows(2).any(|w| w[0] == w[1]) {
        return false;
    }
    result.files.iter().all(|file| {
        let spans = file.objects.iter().map(|o| file.tree.node(o.node).span());
        spans
            .clone()
            .zip(spans.skip(1))
            .all(|(a, b)| a.end <= b.start)
    })
}

/// Lints the files [`read`] read, object by object in report order (files by path, objects
/// in the order of their text), in tasks of up to [`OBJECTS_PER_TASK`] objects run on all
/// cores, a batch of about `batch_objects` objects at a time. Each task starts a state
/// (`start`) and hands it each of its objects' findings in order (`object`, on the task's
/// core: e.g. judge and render them); `each` then gets the tasks' states in report order,
/// a batch's before the next batch is linted. A caller that writes each state out and drops
/// it never holds a big run's findings (20,000 Pods: 100,000 findings and their fixes, over
/// 100 MB). The findings are those of [`lint`], in the same order, when [`lints_in_order`]
/// holds (the caller checks it first).
pub fn lint_in_order<'r, S: Send>(
    result: &'r LintResult,
    options: &'r LintOptions,
    batch_objects: usize,
    start: impl Fn() -> S + Sync,
    object: impl Fn(&mut S, ObjectLint<'r>) + Sync,
    mut each: impl FnMut(S),
) -> LintStats {
    let setup = LintSetup::new(result, options);
    let mut files: Vec<&ManifestFile> = result.files.iter().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    // A task is a run of consecutive objects: a big file's split in parts, small files'
    // joined (a state per file of one object would cost more than the object's lint).
    let mut tasks: Vec<(usize, Vec<TaskPart<'_>>)> = Vec::new();
    for file in files {
        for part in file.objects.chunks(OBJECTS_PER_TASK) {
            match tasks.last_mut() {
                Some((objects, parts))
                    if *objects < OBJECTS_TO_JOIN && *objects + part.len() <= OBJECTS_PER_TASK =>
                {
                    *objects += part.len();
                    parts.push((file, part));
                }
                _ => tasks.push((part.len(), vec![(file, part)])),
            }
        }
    }
    let mut stats = LintStats::default();
    let mut first = 0;
    while first < tasks.len() {
        let mut end = first;
        let mut objects = 0;
        while end < tasks.len() && (end == first || objects < batch_objects) {
            objects += tasks[end].0;
            end += 1;
        }
        let states: Vec<(S, LintStats)> = tasks[first..end]
            .par_iter()
            .map(|(_, parts)| {
                let mut stats = LintStats::default();
                let mut state = start();
                for &(file, objects) in parts {
                    for o in objects {
                        let findings = lint_object(file, o, &setup, &mut stats);
                        object(
                            &mut state,
                            ObjectLint {
                                file,
                                object: o,
                                findings,
                            },
                        );
                    }
                }
                (state, stats)
            })
            .collect();
        for (state, part) in states {
            stats.add(part);
            each(state);
        }
        first = end;
    }
    stats
}

/// The order of a report: file, line, column, rule.
pub fn finding_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    (&a.file, a.line, a.column, a.rule).cmp(&(&b.file, b.line, b.column, b.rule))
}

/// The Pod Security findings of one object judged at each of `policies` in turn, whatever
/// the Namespace labels say: each (rule, field) once, with the index of the first policy that
/// reports it. What the rollout policy uses to judge an object at each mode's level
/// (`enforce: baseline, warn: restricted`) without linting the files again. With
/// `with_fixes`, the kept findings' fixes are realised together (one verification parse).
pub fn pod_security_findings(
    file: &ManifestFile,
    object: &Object,
    policies: &[PssPolicy],
    with_fixes: bool,
) -> Vec<(usize, Finding)> {
    let rules: Vec<&'static dyn Rule> = rules::all()
        .into_iter()
        .filter(|r| rules::family(r.id()) == "pod-security")
        .collect();
    let mut out: Vec<(usize, Finding)> = Vec::new();
    let mut plans: Vec<(usize, FixPlan)> = Vec::new();
    let mut seen: std::collections::HashSet<(&'static str, String)> = Default::default();
    // Pod Security rules look at the object alone: no repository view is needed.
    let repository = Repository::build(&[]);
    let typed = file.typed(object);
    for (i, pss) in policies.iter().enumerate() {
        let cx = RuleContext::new(file, object, &typed, pss, &repository);
        for rule in &rules {
            for (finding, plan) in run_rule(*rule, &cx) {
                if !seen.insert((finding.rule, finding.field_path.to_string())) {
                    continue;
                }
                if let Some(plan) = plan.filter(|_| with_fixes) {
                    plans.push((out.len(), plan));
                }
                out.push((i, finding));
            }
        }
    }
    if !plans.is_empty() {
        let (ats, plans): (Vec<usize>, Vec<FixPlan>) = plans.into_iter().unzip();
        let realized = crate::fix::realize_object_fixes(file, object, plans);
        for (at, fix) in ats.into_iter().zip(realized.fixes) {
            out[at].1.fix = fix.map(Box::new);
        }
    }
    out
}

/// Objects linted as one task: big files are split over the cores too, small ones stay one
/// task (a task per object would cost more than it saves).
pub const OBJECTS_PER_TASK: usize = 256;

/// Objects of one file that one task of [`lint_in_order`] lints.
type TaskPart<'r> = (&'r ManifestFile, &'r [Object]);

/// [`lint_in_order`] joins small files into one task until it has this many objects.
const OBJECTS_TO_JOIN: usize = 64;

/// The findings of one file, in parts of [`OBJECTS_PER_TASK`] objects each, in object order.
fn lint_file(file: &ManifestFile, setup: &LintSetup<'_>) -> Vec<(Vec<Finding>, LintStats)> {
    if file.objects.len() <= OBJECTS_PER_TASK {
        return vec![lint_objects(file, &file.objects, setup)];
    }
    file.objects
        .par_chunks(OBJECTS_PER_TASK)
        .map(|objects| lint_objects(file, objects, setup))
        .collect()
}

fn lint_objects(
    file: &ManifestFile,
    objects: &[Object],
    setup: &LintSetup<'_>,
) -> (Vec<Finding>, LintStats) {
    let mut findings = Vec::new();
    let mut stats = LintStats::default();
    for object in objects {
        findings.extend(lint_object(file, object, setup, &mut stats));
    }
    (findings, stats)
}

/// One object's findings with their fixes, sorted in report order.
fn lint_object(
    file: &ManifestFile,
    object: &Object,
    setup: &LintSetup<'_>,
    stats: &mut LintStats,
) -> Vec<Finding> {
    let options = setup.options;
    stats.objects += 1;
    let pss = if options.pss_explicit {
        options.pss.clone()
    } else {
        object
            .namespace
            .as_deref()
            .and_then(|ns| setup.namespaces.get(ns).cloned())
            .unwrap_or_else(|| options.pss.clone())
    };
    // A workload's typed view is decoded for its lint and dropped with `cx` (see
    // `Object::kept`): a big run never holds them all.
    let typed = file.typed(object);
    let cx = RuleContext::new(file, object, &typed, &pss, &setup.repository);
    let mut findings = Vec::new();
    let mut plans: Vec<(usize, FixPlan)> = Vec::new();
    for rule in &setup.rules {
        for (finding, plan) in run_rule(*rule, &cx) {
            if let Some(plan) = plan {
                plans.push((findings.len(), plan));
            }
            findings.push(finding);
        }
    }
    if !plans.is_empty() {
        let (ats, plans): (Vec<usize>, Vec<FixPlan>) = plans.into_iter().unzip();
        let realized = crate::fix::realize_object_fixes(file, object, plans);
        stats.objects_with_fixes += 1;
        stats.verification_parses += realized.verification_parses;
        for (at, fix) in ats.into_iter().zip(realized.fixes) {
            findings[at].fix = fix.map(Box::new);
        }
    }
    // An object's findings lie within its span, so sorted here they are sorted for good
    // once objects are in order (see `lint`).
    findings.sort_by(finding_order);
    findings
}

/// A rule's violations on one object as findings (without their fixes yet) and the fix plan
/// of each, so the object's fixes can be verified together.
fn run_rule(rule: &dyn Rule, cx: &RuleContext<'_>) -> Vec<(Finding, Option<FixPlan>)> {
    let is_pss = rules::family(rule.id()) == "pod-security";
    rule.check(cx)
        .into_iter()
        .map(|v| {
            let loc = cx.file.locate(cx.object, &v.path);
            let finding = Finding {
                rule: rule.id(),
                severity: match (is_pss, v.severity) {
                    (true, _) => Severity::Error,
                    (false, Some(severity)) => severity,
                    (false, None) => rule.severity(),
                },
                message: v.message,
                file: cx.file.path.clone(),
                byte: loc.byte,
                line: loc.line,
                column: loc.column,
                object: cx.object.reference(),
                field_path: v.path,
                policy: is_pss.then(|| cx.pss.to_string()),
                fix: None,
                overlays: Vec::new(),
            };
            (finding, v.fix)
        })
        .collect()
}

/// How many times `--fix` lints and fixes before it stops (ruff uses the same idea): a fix can
/// reveal another finding, and overlapping fixes wait for the next pass.
pub const MAX_FIX_PASSES: usize = 10;

/// A file `--fix` changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedFile {
    pub path: String,
    /// Text before and after (BOM excluded), for diffs.
    pub before: String,
    pub after: String,
    /// The bytes to write: `after`, with the BOM again if the file had one.
    pub bytes: Vec<u8>,
}

impl FixedFile {
    pub fn new(path: &str, before: &[u8], after: &[u8]) -> FixedFile {
        let text = |bytes: &[u8]| {
            let s = String::from_utf8_lossy(bytes).into_owned();
            s.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(s)
        };
        FixedFile {
            path: path.to_string(),
            before: text(before),
            after: text(after),
            bytes: after.to_vec(),
        }
    }
}

/// One pass of `--fix` over a lint result: the fixes allowed, applied file by file (as many
/// as combine), as (path, new bytes with the file's BOM) for each file that changes, and how
/// many fixes that applied.
pub fn apply_fixes(result: &LintResult, include_unsafe: bool) -> (Vec<(String, Vec<u8>)>, usize) {
    let mut fixes_by_file: HashMap<&str, Vec<&crate::finding::Fix>> = HashMap::new();
    for f in &result.findings {
        if let Some(fix) = f
            .fix
            .as_ref()
            .filter(|x| crate::fix::applicable(x, include_unsafe))
        {
            fixes_by_file.entry(f.file.as_str()).or_default().push(fix);
        }
    }
    let mut writes = Vec::new();
    let mut applied = 0;
    for file in &result.files {
        let Some(fixes) = fixes_by_file.get(file.path.as_str()) else {
            continue;
        };
        let out = crate::fix::fix_file(file, fixes);
        if out.applied == 0 || out.text == file.source.text() {
            continue;
        }
        applied += out.applied;
        let mut bytes = Vec::with_capacity(out.text.len() + 3);
        if file.source.has_bom() {
            bytes.extend_from_slice("\u{feff}".as_bytes());
        }
        bytes.extend_from_slice(out.text.as_bytes());
        writes.push((file.path.clone(), bytes));
    }
    (writes, applied)
}

/// What a fix run did.
#[derive(Debug, Default)]
pub struct FixRun {
    /// The lint of the files as fixed: what remains.
    pub result: LintResult,
    pub changed: Vec<FixedFile>,
    /// Fixes applied over all passes.
    pub applied: usize,
    pub passes: usize,
}

/// Lints, applies the fixes allowed (safe ones, and with `include_unsafe` the others too),
/// and repeats until nothing changes or [`MAX_FIX_PASSES`] is reached. Pure: the caller
/// writes the files.
pub fn fix(inputs: &[(String, Vec<u8>)], options: &LintOptions, include_unsafe: bool) -> FixRun {
    let mut current: Vec<(String, Vec<u8>)> = inputs.to_vec();
    let mut applied = 0;
    let mut passes = 0;
    let result = loop {
        let result = lint(&current, options);
        if passes == MAX_FIX_PASSES {
            break result;
        }
        let mut changed = false;
        let slot_of: HashMap<&str, usize> = inputs
            .iter()
            .enumerate()
            .map(|(i, (p, _))| (p.as_str(), i))
            .collect();
        let (writes, n) = apply_fixes(&result, include_unsafe);
        applied += n;
        for (path, bytes) in writes {
            if let Some(&slot) = slot_of.get(path.as_str()) {
                current[slot].1 = bytes;
                changed = true;
            }
        }
        passes += 1;
        if !changed {
            break result;
        }
    };
    let changed = inputs
        .iter()
        .zip(&current)
        .filter(|((_, a), (_, b))| a != b)
        .map(|((path, a), (_, b))| FixedFile::new(path, a, b))
        .collect();
    FixRun {
        result,
        changed,
        applied,
        passes,
    }
}
