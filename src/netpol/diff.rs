//! Base versus head connectivity: connections added, removed, and changed (allowed both times,
//! on different ports). External ranges differ between the two sides, so both are first cut
//! on a common partition, compared piece by piece, and touching pieces with the same change
//! are merged back (as np-guard does).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::connectivity::{Connectivity, INGRESS_CONTROLLER};
use super::ipv4::{self, IpRange};
use super::ports::ConnSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Changed,
    Added,
    Removed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Changed => "changed",
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
        }
    }
}

/// One connection that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionChange {
    pub kind: ChangeKind,
    pub src: String,
    pub dst: String,
    /// At base (`No Connections` when added).
    pub before: ConnSet,
    /// At head (`No Connections` when removed).
    pub after: ConnSet,
    /// The source workload exists on one side only.
    pub src_is_new_or_gone: bool,
    pub dst_is_new_or_gone: bool,
}

impl ConnectionChange {
    /// np-guard's `workload X added` / `workload X and Y removed`, or nothing.
    pub fn workloads_info(&self) -> Option<String> {
        let names: Vec<&str> = [
            (self.src_is_new_or_gone, self.src.as_str()),
            (self.dst_is_new_or_gone, self.dst.as_str()),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        (!names.is_empty())
            .then(|| format!("workload {} {}", names.join(" and "), self.kind.as_str()))
    }

    pub fn from_ingress_controller(&self) -> bool {
        self.src == INGRESS_CONTROLLER
    }

    /// np-guard's diff line: `diff-type: added, source: S, destination: D, ref1: …, ref2: …`
    /// (also the order changes of one kind are listed in).
    pub fn np_guard_line(&self) -> String {
        let mut line = format!(
            "diff-type: {}, source: {}, destination: {}, ref1: {}, ref2: {}",
            self.kind.as_str(),
            self.src,
            self.dst,
            self.before,
            self.after
        );
        if let Some(info) = self.workloads_info() {
            line.push_str(", workloads-diff-info: ");
            line.push_str(&info);
        }
        line
    }
}

/// All changes, in np-guard's order: changed, added, removed (policy connections first,
/// then the ingress controller's), each sorted by line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectivityDiff {
    pub changes: Vec<ConnectionChange>,
}

impl ConnectivityDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn of_kind(&self, kind: ChangeKind) -> impl Iterator<Item = &ConnectionChange> {
        self.changes.iter().filter(move |c| c.kind == kind)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum End {
    Name(String),
    Ip(IpRange),
}

impl End {
    fn label(&self) -> String {
        match self {
            End::Name(n) => n.clone(),
            End::Ip(r) => r.to_string(),
        }
    }
}

type Sides = (Option<ConnSet>, Option<ConnSet>);

fn ends(c: &Connectivity) -> Vec<(End, End, ConnSet)> {
    c.connections
        .iter()
        .map(|conn| {
            let end = |p: &super::connectivity::Peer| match p.range {
                Some(r) => End::Ip(r),
                None => End::Name(p.name.clone()),
            };
            (end(c.src(conn)), end(c.dst(conn)), c.conns(conn).clone())
        })
        .collect()
}

pub fn compare(base: &Connectivity, head: &Connectivity) -> ConnectivityDiff {
    let (base_ends, head_ends) = (ends(base), ends(head));
    let ranges: Vec<IpRange> = base_ends
        .iter()
        .chain(&head_ends)
        .flat_map(|(s, d, _)| [s, d])
        .filter_map(|e| match e {
            End::Ip(r) => Some(*r),
            End::Name(_) => None,
        })
        .collect();
    let atoms = ipv4::partition(&ranges);
    let split = |e: &End| -> Vec<End> {
        match e {
            End::Name(_) => vec![e.clone()],
            End::Ip(r) => atoms
                .iter()
                .filter(|a| r.contains(a))
                .map(|a| End::Ip(*a))
                .collect(),
        }
    };
    let mut pairs: BTreeMap<(End, End), Sides> = BTreeMap::new();
    for (side, list) in [(0, &base_ends), (1, &head_ends)] {
        for (s, d, conns) in list {
            for s in split(s) {
                for d in split(d) {
                    let entry = pairs.entry((s.clone(), d)).or_default();
                    if side == 0 {
                        entry.0 = Some(conns.clone());
                    } else {
                        entry.1 = Some(conns.clone());
                    }
                }
            }
        }
    }

    // Merge touching atomic ranges that share the other end and both connection sets.
    type GroupKey = (bool, End, Option<ConnSet>, Option<ConnSet>);
    let mut merged: BTreeMap<(End, End), Sides> = BTreeMap::new();
    let mut groups: BTreeMap<GroupKey, Vec<IpRange>> = BTreeMap::new();
    for ((s, d), sides) in pairs {
        if sides.0 == sides.1 {
            continue;
        }
        match (&s, &d) {
            (End::Ip(r), other) => groups
                .entry((true, other.clone(), sides.0, sides.1))
                .or_default()
                .push(*r),
            (other, End::Ip(r)) => groups
                .entry((false, other.clone(), sides.0, sides.1))
                .or_default()
                .push(*r),
            _ => {
                merged.insert((s, d), sides);
            }
        }
    }
    for ((ip_is_src, other, before, after), mut ranges) in groups {
        ranges.sort();
        let mut runs: Vec<IpRange> = Vec::new();
        for r in ranges {
            match runs.last_mut() {
                Some(last) if last.last.checked_add(1) == Some(r.first) => last.last = r.last,
                _ => runs.push(r),
            }
        }
        for r in runs {
            let key = if ip_is_src {
                (End::Ip(r), other.clone())
            } else {
                (other.clone(), End::Ip(r))
            };
            merged.insert(key, (before.clone(), after.clone()));
        }
    }

    let base_workloads: BTreeSet<&str> = base.workload_names().collect();
    let head_workloads: BTreeSet<&str> = head.workload_names().collect();
    let mut changes: Vec<ConnectionChange> = merged
        .into_iter()
        .map(|((s, d), (before, after))| {
            let kind = match (&before, &after) {
                (Some(_), Some(_)) => ChangeKind::Changed,
                (None, Some(_)) => ChangeKind::Added,
                _ => ChangeKind::Removed,
            };
            let other_side = match kind {
                ChangeKind::Added => &base_workloads,
                _ => &head_workloads,
            };
            let missing = |e: &End| match e {
                End::Name(n) => {
                    kind != ChangeKind::Changed
                        && n != INGRESS_CONTROLLER
                        && !other_side.contains(n.as_str())
                }
                End::Ip(_) => false,
            };
            ConnectionChange {
                kind,
                src_is_new_or_gone: missing(&s),
                dst_is_new_or_gone: missing(&d),
                src: s.label(),
                dst: d.label(),
                before: before.unwrap_or_default(),
                after: after.unwrap_or_default(),
            }
        })
        .collect();
    changes.sort_by_key(|c| (c.kind, c.from_ingress_controller(), c.np_guard_line()));
    let mut ordered: Vec<ConnectionChange> = Vec::with_capacity(changes.len());
    // np-guard lists every policy change before the ingress controller's.
    ordered.extend(
        changes
            .iter()
            .filter(|c| !c.from_ingress_controller())
            .cloned(),
    );
    ordered.extend(
        changes
            .iter()
            .filter(|c| c.from_ingress_controller())
            .cloned(),
    );
    ConnectivityDiff { changes: ordered }
}
