//! Rollout timelines as Mermaid `gantt` charts (GitHub renders them in comments and
//! Markdown files): one section per group of namespaces that share a timeline, one bar per
//! step, blocking steps marked `crit`, the step in force `active`, and the day the rollout is
//! judged on as a milestone.
//!
//! Pure text from stages and a date. It never reads the clock: Mermaid's own `todayMarker`
//! follows the reader's clock, so it is switched off and the injected day is drawn instead.

use chrono::{Duration, NaiveDate};
use std::fmt::Write as _;

use super::TimelineStep;
use crate::config::Mode;

/// Days drawn after the last date, so the last step shows as a bar.
const TAIL_DAYS: i64 = 28;
/// Sections named after this many namespaces say "and N more".
const NAMES_PER_SECTION: usize = 3;

/// One bar group: the namespaces (or environment) it stands for and their steps.
#[derive(Debug, Clone)]
pub struct TimelineRow {
    pub name: String,
    pub steps: Vec<TimelineStep>,
}

/// The ```mermaid block, or `None` when no row has a dated step (nothing would move).
/// Rows with equal steps share a section, in the order they first appear.
pub fn gantt(rows: &[TimelineRow], today: NaiveDate) -> Option<String> {
    let dates: Vec<NaiveDate> = rows
        .iter()
        .flat_map(|r| r.steps.iter().filter_map(|s| s.from))
        .collect();
    let first = *dates.iter().min()?;
    let last = *dates.iter().max()?;
    let start = first.min(today);
    let end = last.max(today) + Duration::days(TAIL_DAYS);

    let mut groups: Vec<(Vec<&str>, &[TimelineStep])> = Vec::new();
    for row in rows {
        match groups
            .iter_mut()
            .find(|(_, steps)| *steps == row.steps.as_slice())
        {
            Some((names, _)) => names.push(&row.name),
            None => groups.push((vec![&row.name], &row.steps)),
        }
    }

    let mut out = String::new();
    let _ = writeln!(out, "```mermaid");
    let _ = writeln!(out, "gantt");
    let _ = writeln!(out, "    title Pod Security rollout, as of {today}");
    let _ = writeln!(out, "    dateFormat YYYY-MM-DD");
    let _ = writeln!(out, "    axisFormat %Y-%m-%d");
    let _ = writeln!(out, "    todayMarker off");
    let _ = writeln!(out, "    section Today");
    let _ = writeln!(out, "    {today} :milestone, asof, {today}, 0d");
    for (names, steps) in groups {
        let _ = writeln!(out, "    section {}", section_name(&names));
        for (i, step) in steps.iter().enumerate() {
            let from = step.from.unwrap_or(start);
            let until = steps.get(i + 1).and_then(|s| s.from).unwrap_or(end);
            if until <= from {
                continue;
            }
            let mut tags = Vec::new();
            if step.levels.get(Mode::Enforce).is_some() {
                tags.push("crit");
            }
            if from <= today && today < until {
                tags.push("active");
            } else if until <= today {
                tags.push("done");
            }
            let tags = if tags.is_empty() {
                String::new()
            } else {
                format!("{}, ", tags.join(", "))
            };
            let _ = writeln!(
                out,
                "    {} :{tags}{from}, {until}",
                clean(&step.levels.describe())
            );
        }
    }
    let _ = writeln!(out, "```");
    Some(out)
}

fn section_name(names: &[&str]) -> String {
    let shown: Vec<&str> = names.iter().copied().take(NAMES_PER_SECTION).collect();
    let mut s = shown.join(", ");
    if names.len() > NAMES_PER_SECTION {
        let _ = write!(s, " and {} more", names.len() - NAMES_PER_SECTION);
    }
    clean(&s)
}

/// Mermaid ends a task name at `:` and a statement at `;`, and reads `#` as an entity.
fn clean(s: &str) -> String {
    s.replace([':', ';', '#'], " ")
}
