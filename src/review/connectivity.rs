//! The "Connectivity" part of a review: what a pull request changes about who can reach whom.
//! From the repository's manifests at the base and at the head commit, `netpol` computes both
//! connectivities and their difference; this module turns that into
//! - a summary section (np-guard's diff table, a ```mermaid graph of the changed edges — added
//!   green, removed red and dashed, changed amber —, why each change happens, with `file:line`,
//!   and a least-privilege policy for a new workload left unprotected next to isolated ones);
//! - inline comments on the policy lines of the pull request that newly block or newly open a
//!   connection, saying which connections and why.
//!
//! Pure, like the rest of `review`: parsed files in, markdown and comments out.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use super::diff::FileDiff;
use super::markers;
use super::plan::InlineComment;
use crate::manifest::ManifestFile;
use crate::netpol::{self, ChangeKind, ConnectionChange, ConnectivityDiff};

/// The heading of the summary section (a contract: users and tests look for "Connectivity").
pub const HEADING: &str = "### Connectivity";
/// Rows of the diff table; the rest are counted.
pub const MAX_TABLE_ROWS: usize = 40;
/// Edges of the graph (GitHub renders large mermaid graphs unreadably, or not at all).
pub const MAX_GRAPH_EDGES: usize = 25;
/// Changes whose reasons are listed under "Why".
pub const MAX_EXPLAINED: usize = 15;
/// Inline comments on policy lines, per review.
pub const MAX_COMMENTS: usize = 10;
/// Suggested policies shown in full.
pub const MAX_SUGGESTIONS: usize = 3;
/// The section never grows beyond this (the summary comment holds 65,536 characters).
pub const MAX_SECTION_CHARS: usize = 24_000;
/// Fingerprints of connectivity comments start with this, so the planner can tell them from
/// findings' (a connectivity comment is not "fixed" because no finding carries it).
pub const FINGERPRINT_PREFIX: &str = "netpol";

/// What the section is computed from.
pub struct ConnectivityInput<'a> {
    /// Every manifest of the repository at the base commit.
    pub base: &'a [ManifestFile],
    /// Every manifest at the head commit.
    pub head: &'a [ManifestFile],
    /// The pull request's diff, per changed file (inline comments go on added lines only).
    pub diffs: &'a HashMap<String, FileDiff>,
    /// Fingerprints of connectivity comments already open on the pull request.
    pub open_fingerprints: &'a [String],
    /// Manifests left out because the repository has more than the App reads; the section
    /// then says its result may be incomplete.
    pub unread: usize,
}

/// The section and the comments; `None` when the change alters no connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectivityReview {
    pub section: String,
    pub comments: Vec<InlineComment>,
    /// Connection changes found (all of them, shown or not).
    pub changes: usize,
}

/// One line of the pull request that takes part in a change, and why.
struct LineEffect<'a> {
    change: &'a ConnectionChange,
    why: String,
}

pub fn connectivity_review(input: &ConnectivityInput<'_>) -> Option<ConnectivityReview> {
    let base_model = netpol::model(input.base);
    let head_model = netpol::model(input.head);
    // Without any policy or Ingress on either side everything reaches everything: a new
    // workload "adds" connections nobody needs to read about.
    let governed = |m: &netpol::Model| {
        !m.policies.is_empty()
            || !m.admin_policies.is_empty()
            || m.baseline.is_some()
            || !m.exposures.is_empty()
    };
    if !governed(&base_model) && !governed(&head_model) {
        return None;
    }
    let diff = netpol::diff_of(
        &netpol::connectivity_of(&base_model),
        &netpol::connectivity_of(&head_model),
    );
    let suggestions = new_workload_suggestions(input, &base_model, &head_model);
    if diff.is_empty() && suggestions.is_empty() {
        return None;
    }
    let mut md = String::new();
    let _ = writeln!(md, "{HEADING}\n");
    if diff.is_empty() {
        let _ = writeln!(
            md,
            "This pull request changes no connection between the repository's workloads.\n"
        );
    } else {
        write_changes(&mut md, &diff);
    }
    if input.unread > 0 {
        let _ = writeln!(
            md,
            "> [!NOTE]\n> {} manifests of the repository were not read (over the limit of files a review reads): connections that depend on them may be missing.\n",
            input.unread
        );
    }

    // Why each change happens, at head: the rules that allow it, or the policy that isolates
    // the destination (or source) without allowing it.
    let mut effects: BTreeMap<(String, usize), Vec<LineEffect<'_>>> = BTreeMap::new();
    let mut why_lines: Vec<String> = Vec::new();
    for (i, change) in diff.changes.iter().enumerate() {
        let Ok(explained) = netpol::explain(&head_model, &change.src, &change.dst) else {
            // A workload gone at head has nothing to explain but its absence.
            if i < MAX_EXPLAINED {
                why_lines.push(format!(
                    "- **{}** `{}`: {}",
                    change.kind.as_str(),
                    connection(change),
                    change.workloads_info().unwrap_or_default()
                ));
            }
            continue;
        };
        let reasons: Vec<(Option<&netpol::Origin>, &str)> = explained
            .egress
            .1
            .iter()
            .chain(&explained.ingress.1)
            .chain(&explained.notes)
            .filter(|r| relevant(change, &r.text))
            .map(|r| (r.origin.as_ref(), r.text.as_str()))
            .collect();
        if i < MAX_EXPLAINED {
            let mut line = format!("- **{}** `{}`:", change.kind.as_str(), connection(change));
            // A connection of a workload that is new or gone needs no other reason.
            let info = change.workloads_info();
            if let Some(info) = &info {
                let _ = write!(line, " {info}");
            }
            for (origin, text) in reasons.iter().filter(|_| info.is_none()) {
                match origin {
                    Some(o) => {
                        let _ = write!(line, "\n  - `{o}`: {text}");
                    }
                    None => {
                        let _ = write!(line, "\n  - {text}");
                    }
                }
            }
            why_lines.push(line);
        }
        for (origin, text) in reasons {
            let Some(o) = origin else { continue };
            let on_added_line = input
                .diffs
                .get(&o.file)
                .is_some_and(|d| d.added.contains(&o.line));
            if on_added_line {
                effects
                    .entry((o.file.clone(), o.line))
                    .or_default()
                    .push(LineEffect {
                        change,
                        why: text.to_string(),
                    });
            }
        }
    }
    if !why_lines.is_empty() {
        let _ = writeln!(
            md,
            "<details><summary>Why these connections changed</summary>\n"
        );
        for l in &why_lines {
            let _ = writeln!(md, "{l}");
        }
        if diff.changes.len() > MAX_EXPLAINED {
            let _ = writeln!(
                md,
                "\n{} more not explained here: `kubenudge connectivity --explain SRC DST` says why for any pair.",
                diff.changes.len() - MAX_EXPLAINED
            );
        }
        let _ = writeln!(md, "\n</details>\n");
    }

    write_suggestions(&mut md, &suggestions);

    let comments = line_comments(effects, input.open_fingerprints);
    let section = cap(md, MAX_SECTION_CHARS);
    Some(ConnectivityReview {
        section,
        comments,
        changes: diff.changes.len(),
    })
}

/// A removed connection is explained by what denies it: that the other side is not isolated
/// is no part of why.
fn relevant(change: &ConnectionChange, text: &str) -> bool {
    change.kind != ChangeKind::Removed || !text.contains("it is not isolated")
}

fn connection(c: &ConnectionChange) -> String {
    format!("{} => {}", c.src, c.dst)
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn write_changes(md: &mut String, diff: &ConnectivityDiff) {
    let n = |k| diff.of_kind(k).count();
    let (removed, added, changed) = (
        n(ChangeKind::Removed),
        n(ChangeKind::Added),
        n(ChangeKind::Changed),
    );
    let mut parts = Vec::new();
    if removed > 0 {
        parts.push(format!(
            "**{}**",
            count(removed, "connection removed", "connections removed")
        ));
    }
    if added > 0 {
        parts.push(format!(
            "**{}**",
            count(added, "connection added", "connections added")
        ));
    }
    if changed > 0 {
        parts.push(format!(
            "**{}**",
            count(changed, "connection changed", "connections changed")
        ));
    }
    let _ = writeln!(
        md,
        "This pull request changes who can reach whom: {} (the repository at the base commit against the head commit, as np-guard's `diff` compares them).\n",
        parts.join(", ")
    );
    let shown = ConnectivityDiff {
        changes: diff.changes.iter().take(MAX_TABLE_ROWS).cloned().collect(),
    };
    md.push_str(&netpol::render_diff(&shown, netpol::Format::Md));
    if diff.changes.len() > MAX_TABLE_ROWS {
        let _ = writeln!(
            md,
            "\n{} more changes are not listed here; `kubenudge check --base <base branch>` prints them all.",
            diff.changes.len() - MAX_TABLE_ROWS
        );
    }
    md.push('\n');
    let graphed = ConnectivityDiff {
        changes: diff.changes.iter().take(MAX_GRAPH_EDGES).cloned().collect(),
    };
    let _ = writeln!(
        md,
        "```mermaid\n{}```\n",
        netpol::render_diff(&graphed, netpol::Format::Mermaid)
    );
    if diff.changes.len() > MAX_GRAPH_EDGES {
        let _ = writeln!(
            md,
            "The graph shows the first {MAX_GRAPH_EDGES} of {} changes.\n",
            diff.changes.len()
        );
    }
}

/// Workloads new at head, unselected by any policy, in a namespace where others are
/// isolated: the pull request is adding an unprotected workload among protected ones.
fn new_workload_suggestions(
    input: &ConnectivityInput<'_>,
    base: &netpol::Model,
    head: &netpol::Model,
) -> Vec<netpol::Suggestion> {
    let before: BTreeSet<String> = base.workloads.iter().map(netpol::Workload::id).collect();
    let new: BTreeSet<String> = head
        .workloads
        .iter()
        .map(netpol::Workload::id)
        .filter(|id| !before.contains(id))
        .collect();
    if new.is_empty() {
        return Vec::new();
    }
    netpol::suggest_where_isolated(input.head, &new)
}

fn write_suggestions(md: &mut String, suggestions: &[netpol::Suggestion]) {
    for s in suggestions.iter().take(MAX_SUGGESTIONS) {
        let _ = writeln!(md, "#### Suggested NetworkPolicy for `{}`\n", s.workload);
        let _ = writeln!(
            md,
            "No NetworkPolicy selects this new workload, while other workloads of its namespace are isolated: anything can reach it. This policy allows only what the repository declares (`kubenudge netpol suggest` proposes it too):\n"
        );
        let _ = writeln!(md, "```yaml\n{}```\n", s.yaml);
        if s.allows.is_empty() {
            let _ = writeln!(
                md,
                "With it, no connection between this workload and the repository's other workloads stays open (DNS runs outside the repository); a Service it calls may need to admit it in its own policy.\n"
            );
        } else {
            let _ = writeln!(md, "With it, these connections stay open:\n\n```");
            for l in &s.allows {
                let _ = writeln!(md, "{l}");
            }
            let _ = writeln!(md, "```\n");
        }
    }
    if suggestions.len() > MAX_SUGGESTIONS {
        let _ = writeln!(
            md,
            "{} more new workloads have no policy; `kubenudge netpol suggest` proposes one for each.\n",
            suggestions.len() - MAX_SUGGESTIONS
        );
    }
}

/// Connections listed per kind in one comment; the rest are counted.
const MAX_LISTED_PER_COMMENT: usize = 15;

/// A stable name for "this line makes these changes": a comment already open for the same
/// effect is not posted again on the next push (a different effect gets a new comment).
fn fingerprint(file: &str, line: usize, effects: &[LineEffect<'_>]) -> String {
    use sha2::{Digest, Sha256};
    let mut keys: Vec<String> = effects
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e.change.kind.as_str(),
                connection(e.change),
                e.change.after
            )
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let digest = Sha256::digest(format!("{file}:{line}\n{}", keys.join("\n")).as_bytes());
    format!("{FINGERPRINT_PREFIX}{}", &hex::encode(digest)[..16])
}

fn line_comments(
    effects: BTreeMap<(String, usize), Vec<LineEffect<'_>>>,
    open: &[String],
) -> Vec<InlineComment> {
    let mut comments = Vec::new();
    for ((file, line), effects) in effects {
        if comments.len() == MAX_COMMENTS {
            break;
        }
        let fingerprints = vec![fingerprint(&file, line, &effects)];
        if open.contains(&fingerprints[0]) {
            continue;
        }
        let mut body = String::new();
        let of = |k: ChangeKind| effects.iter().filter(move |e| e.change.kind == k);
        let groups = [
            (ChangeKind::Removed, "newly **blocks**"),
            (ChangeKind::Added, "newly **opens**"),
            (ChangeKind::Changed, "**changes**"),
        ];
        for (kind, verb) in groups {
            let list: Vec<&LineEffect<'_>> = of(kind).collect();
            if list.is_empty() {
                continue;
            }
            let mut seen = BTreeSet::new();
            let _ = writeln!(
                body,
                "**Connectivity:** this line {verb} {}:\n",
                count(
                    list.iter()
                        .map(|e| connection(e.change))
                        .collect::<BTreeSet<_>>()
                        .len(),
                    "connection",
                    "connections"
                )
            );
            for e in &list {
                if !seen.insert(connection(e.change)) {
                    continue;
                }
                if seen.len() > MAX_LISTED_PER_COMMENT {
                    break;
                }
                let what = match kind {
                    ChangeKind::Removed => format!("was {}", e.change.before),
                    ChangeKind::Added => format!("now {}", e.change.after),
                    ChangeKind::Changed => format!("{} → {}", e.change.before, e.change.after),
                };
                let _ = writeln!(body, "- `{}` ({what}): {}", connection(e.change), e.why);
            }
            let distinct = list
                .iter()
                .map(|e| connection(e.change))
                .collect::<BTreeSet<_>>()
                .len();
            if distinct > MAX_LISTED_PER_COMMENT {
                let _ = writeln!(
                    body,
                    "- … and {} more (listed in the summary's Connectivity section)",
                    distinct - MAX_LISTED_PER_COMMENT
                );
            }
            body.push('\n');
        }
        if effects.iter().any(|e| e.change.kind == ChangeKind::Removed) {
            let _ = writeln!(
                body,
                "If a blocked connection is needed, allow it with a rule that names its source; if it is not, nothing to do. `kubenudge connectivity --explain SRC DST` shows the whole reasoning."
            );
        } else {
            let _ = writeln!(
                body,
                "If a newly open connection is not meant to be, narrow the rule's peers or ports. `kubenudge connectivity --explain SRC DST` shows the whole reasoning."
            );
        }
        let _ = writeln!(body, "{}", markers::fingerprint_marker(&fingerprints));
        comments.push(InlineComment {
            path: file,
            line,
            start_line: None,
            body,
            fingerprints,
        });
    }
    comments
}

/// Keeps the section under `limit` bytes, cutting at a line and closing an open code block,
/// and says so.
fn cap(md: String, limit: usize) -> String {
    if md.len() <= limit {
        return md;
    }
    let limit = limit.saturating_sub(CUT_NOTE.len() + 20);
    let mut limit = limit;
    while !md.is_char_boundary(limit) {
        limit -= 1;
    }
    let mut cut = md[..limit].rfind('\n').unwrap_or(limit);
    while !md.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = md[..cut].to_string();
    if out.matches("```").count() % 2 == 1 {
        out.push_str("\n```");
    }
    if out.matches("<details>").count() > out.matches("</details>").count() {
        out.push_str("\n</details>");
    }
    out.push_str(CUT_NOTE);
    out
}

const CUT_NOTE: &str = "\n\n_The connectivity section was cut to fit GitHub's comment size; `kubenudge check --base <base branch>` prints all of it._\n";

/// `summary` with `section` placed before its head marker (the marker must stay last: it says
/// the summary is complete), the section cut so that the whole stays within `max_total`.
pub fn insert_section(summary: &str, section: &str, max_total: usize) -> String {
    let room = max_total.saturating_sub(summary.len() + 2);
    let section = cap(section.to_string(), room);
    match summary.rfind(markers::HEAD_PREFIX) {
        Some(at) => format!(
            "{}{}\n\n{}",
            &summary[..at],
            section.trim_end(),
            &summary[at..]
        ),
        None => format!("{summary}\n{section}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Limits, read_manifest};

    fn file(path: &str, yaml: &str) -> ManifestFile {
        read_manifest(path, yaml.as_bytes(), &Limits::default()).unwrap()
    }

    fn pods(n: usize) -> String {
        (0..n)
            .map(|i| {
                format!(
                    "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  namespace: big\n  labels: {{app: p{i}}}\nspec:\n  containers:\n    - name: c\n      image: x\n"
                )
            })
            .collect()
    }

    const DENY_ALL: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-all\n  namespace: big\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n";

    #[test]
    fn a_large_change_is_capped_and_says_what_was_left_out() {
        let base = vec![file("pods.yaml", &pods(30))];
        let head = vec![file("pods.yaml", &pods(30)), file("deny.yaml", DENY_ALL)];
        let diffs: HashMap<String, FileDiff> = [(
            "deny.yaml".to_string(),
            FileDiff::parse("@@ -0,0 +1,8 @@\n+a\n+b\n+c\n+d\n+e\n+f\n+g\n+h"),
        )]
        .into();
        let found = connectivity_review(&ConnectivityInput {
            base: &base,
            head: &head,
            diffs: &diffs,
            open_fingerprints: &[],
            unread: 0,
        })
        .unwrap();
        // 30 pods reaching each other (870) and the outside world reaching each (30) are gone.
        assert_eq!(found.changes, 900);
        assert!(found.section.len() <= MAX_SECTION_CHARS);
        assert_eq!(found.section.matches("| removed |").count(), MAX_TABLE_ROWS);
        assert!(
            found
                .section
                .contains("860 more changes are not listed here")
        );
        assert!(
            found
                .section
                .contains("The graph shows the first 25 of 900 changes.")
        );
        assert!(found.section.contains("885 more not explained here"));
        // One comment, on the line that selects every pod, listing all it blocks.
        assert_eq!(found.comments.len(), 1);
        let c = &found.comments[0];
        assert_eq!((c.path.as_str(), c.line), ("deny.yaml", 7));
        assert!(
            c.body.contains("newly **blocks** 900 connections"),
            "{}",
            c.body
        );
        assert_eq!(c.fingerprints.len(), 1);
        assert!(c.body.contains("- … and 885 more"), "{}", c.body);
        assert!(c.body.len() < 4_000, "{}", c.body.len());
        // Once open, it is not posted again.
        let again = connectivity_review(&ConnectivityInput {
            base: &base,
            head: &head,
            diffs: &diffs,
            open_fingerprints: &c.fingerprints,
            unread: 0,
        })
        .unwrap();
        assert!(again.comments.is_empty());
    }

    #[test]
    fn a_new_workload_where_no_policy_exists_means_no_section() {
        let base = vec![file("pods.yaml", &pods(3))];
        let head = vec![file("pods.yaml", &pods(4))];
        let found = connectivity_review(&ConnectivityInput {
            base: &base,
            head: &head,
            diffs: &HashMap::new(),
            open_fingerprints: &[],
            unread: 0,
        });
        assert!(found.is_none());
    }

    #[test]
    fn no_change_means_no_section() {
        let base = vec![file("pods.yaml", &pods(3))];
        let found = connectivity_review(&ConnectivityInput {
            base: &base,
            head: &base,
            diffs: &HashMap::new(),
            open_fingerprints: &[],
            unread: 0,
        });
        assert!(found.is_none());
    }

    #[test]
    fn a_cut_section_closes_its_code_block_and_the_head_marker_stays_last() {
        let section = format!(
            "### Connectivity\n\n```mermaid\n{}```\n",
            "  n0 --> n1\n".repeat(5000)
        );
        let summary = "<!-- kubenudge:summary -->\nbody\n<!-- kubenudge:head=abc -->\n";
        let out = insert_section(summary, &section, 10_000);
        assert!(out.len() <= 10_000, "{}", out.len());
        assert!(out.ends_with("<!-- kubenudge:head=abc -->\n"));
        assert_eq!(out.matches("```").count() % 2, 0);
        assert!(out.contains("was cut to fit"));
    }
}
