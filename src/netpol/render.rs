//! Printing connectivity, its diff and explanations: np-guard's text lines, Markdown tables,
//! JSON, Mermaid (GitHub renders it; removed edges dashed red, added green) and Graphviz dot.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::connectivity::Connectivity;
use super::diff::{ChangeKind, ConnectivityDiff};
use super::explain::{Explanation, Reason, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Txt,
    Md,
    Json,
    Mermaid,
    Dot,
}

/// `src => dst : conns`, one per line (np-guard's `list` format), or the other formats.
pub fn render_connectivity(c: &Connectivity, format: Format) -> String {
    let rows = c.connections.iter().map(|conn| {
        (
            c.src(conn).name.as_str(),
            c.dst(conn).name.as_str(),
            c.conns(conn).to_string(),
        )
    });
    let mut out = String::new();
    match format {
        Format::Txt => {
            for (s, d, conns) in rows {
                let _ = writeln!(out, "{s} => {d} : {conns}");
            }
        }
        Format::Md => {
            out.push_str("| src | dst | conn |\n|-----|-----|------|\n");
            for (s, d, conns) in rows {
                let _ = writeln!(out, "| {} | {} | {} |", md(s), md(d), md(&conns));
            }
        }
        Format::Json => {
            #[derive(Serialize)]
            struct Row<'a> {
                src: &'a str,
                dst: &'a str,
                conn: String,
            }
            let rows: Vec<Row> = rows
                .map(|(src, dst, conn)| Row { src, dst, conn })
                .collect();
            out = serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n";
        }
        Format::Mermaid | Format::Dot => {
            let edges: Vec<Edge> = rows
                .map(|(s, d, conns)| Edge {
                    src: s.to_string(),
                    dst: d.to_string(),
                    label: conns,
                    style: EdgeStyle::Plain,
                })
                .collect();
            let nodes: Vec<&str> = c.peers.iter().map(|p| p.name.as_str()).collect();
            out = graph(&nodes, &edges, format);
        }
    }
    out
}

pub fn render_diff(d: &ConnectivityDiff, format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Txt => {
            if d.is_empty() {
                return "No connections diff\n".to_string();
            }
            out.push_str("Connectivity diff:\n");
            for c in &d.changes {
                out.push_str(&c.np_guard_line());
                out.push('\n');
            }
        }
        Format::Md => {
            out.push_str("| diff-type | source | destination | before | after | workloads-diff-info |\n|-----------|--------|-------------|------|-------|---------------------|\n");
            for c in &d.changes {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    c.kind.as_str(),
                    md(&c.src),
                    md(&c.dst),
                    md(&c.before.to_string()),
                    md(&c.after.to_string()),
                    md(&c.workloads_info().unwrap_or_default())
                );
            }
        }
        Format::Json => {
            #[derive(Serialize)]
            struct Row<'a> {
                diff_type: ChangeKind,
                src: &'a str,
                dst: &'a str,
                before: String,
                after: String,
                #[serde(skip_serializing_if = "Option::is_none")]
                workloads_diff_info: Option<String>,
            }
            let rows: Vec<Row> = d
                .changes
                .iter()
                .map(|c| Row {
                    diff_type: c.kind,
                    src: &c.src,
                    dst: &c.dst,
                    before: c.before.to_string(),
                    after: c.after.to_string(),
                    workloads_diff_info: c.workloads_info(),
                })
                .collect();
            out = serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n";
        }
        Format::Mermaid | Format::Dot => {
            let edges: Vec<Edge> = d
                .changes
                .iter()
                .map(|c| Edge {
                    src: c.src.clone(),
                    dst: c.dst.clone(),
                    label: match c.kind {
                        ChangeKind::Added => format!("added: {}", c.after),
                        ChangeKind::Removed => format!("removed: {}", c.before),
                        ChangeKind::Changed => format!("{} → {}", c.before, c.after),
                    },
                    style: match c.kind {
                        ChangeKind::Added => EdgeStyle::Added,
                        ChangeKind::Removed => EdgeStyle::Removed,
                        ChangeKind::Changed => EdgeStyle::Changed,
                    },
                })
                .collect();
            let mut nodes: Vec<&str> = d
                .changes
                .iter()
                .flat_map(|c| [c.src.as_str(), c.dst.as_str()])
                .collect();
            nodes.sort_unstable();
            nodes.dedup();
            out = graph(&nodes, &edges, format);
        }
    }
    out
}

/// The verdict, then each side's reasons with `file:line`.
pub fn render_explanation(e: &Explanation) -> String {
    let mut out = String::new();
    match &e.verdict {
        Verdict::Allowed(conns) => {
            let _ = writeln!(out, "{} => {} : {conns}", e.src, e.dst);
        }
        Verdict::Denied => {
            let _ = writeln!(out, "{} => {} : No Connections (denied)", e.src, e.dst);
        }
    }
    let mut side = |title: String, (conns, reasons): &(super::ConnSet, Vec<Reason>)| {
        let _ = writeln!(out, "\n{title}: {conns}");
        for r in reasons {
            out.push_str(&reason_line(r));
        }
    };
    side(format!("Egress from {}", e.src), &e.egress);
    side(format!("Ingress to {}", e.dst), &e.ingress);
    if !e.notes.is_empty() {
        out.push_str("\nExposure:\n");
        for r in &e.notes {
            out.push_str(&reason_line(r));
        }
    }
    out
}

/// `  file:line: text`, or `  text` for a reason no line stands for.
fn reason_line(r: &Reason) -> String {
    match &r.origin {
        Some(o) => format!("  {o}: {}\n", r.text),
        None => format!("  {}\n", r.text),
    }
}

/// A Markdown table cell: pipes escaped.
fn md(s: &str) -> String {
    s.replace('|', "\\|")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EdgeStyle {
    Plain,
    Added,
    Removed,
    Changed,
}

struct Edge {
    src: String,
    dst: String,
    label: String,
    style: EdgeStyle,
}

fn graph(nodes: &[&str], edges: &[Edge], format: Format) -> String {
    let ids: BTreeMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut out = String::new();
    if format == Format::Mermaid {
        out.push_str("graph LR\n");
        for (i, n) in nodes.iter().enumerate() {
            let _ = writeln!(out, "  n{i}[\"{}\"]", mermaid_text(n));
        }
        let mut styles: Vec<(usize, &str)> = Vec::new();
        for (i, e) in edges.iter().enumerate() {
            let arrow = match e.style {
                EdgeStyle::Removed => "-.->",
                _ => "-->",
            };
            let _ = writeln!(
                out,
                "  n{} {arrow}|\"{}\"| n{}",
                ids[e.src.as_str()],
                mermaid_text(&e.label),
                ids[e.dst.as_str()]
            );
            match e.style {
                EdgeStyle::Added => styles.push((i, "stroke:#2da44e,stroke-width:2px")),
                EdgeStyle::Removed => {
                    styles.push((i, "stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5"))
                }
                EdgeStyle::Changed => styles.push((i, "stroke:#bf8700,stroke-width:2px")),
                EdgeStyle::Plain => {}
            }
        }
        for (i, style) in styles {
            let _ = writeln!(out, "  linkStyle {i} {style}");
        }
    } else {
        out.push_str("digraph {\n");
        for (i, n) in nodes.iter().enumerate() {
            let shape = if n.ends_with("[External]") || n.starts_with('{') {
                "ellipse"
            } else {
                "box"
            };
            let _ = writeln!(out, "  n{i} [label=\"{}\" shape={shape}]", dot_text(n));
        }
        for e in edges {
            let attrs = match e.style {
                EdgeStyle::Plain => String::new(),
                EdgeStyle::Added => " color=\"#2da44e\" fontcolor=\"#2da44e\"".into(),
                EdgeStyle::Removed => {
                    " color=\"#cf222e\" fontcolor=\"#cf222e\" style=dashed".into()
                }
                EdgeStyle::Changed => " color=\"#bf8700\" fontcolor=\"#bf8700\"".into(),
            };
            let _ = writeln!(
                out,
                "  n{} -> n{} [label=\"{}\"{attrs}]",
                ids[e.src.as_str()],
                ids[e.dst.as_str()],
                dot_text(&e.label)
            );
        }
        out.push_str("}\n");
    }
    out
}

/// Mermaid quoted text: a double quote is written as an entity.
fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
}

fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
