//! The allowed connections of a repository: every ordered pair of distinct peers (workloads,
//! the external ranges the policies' ipBlocks carve out, the ingress controller) with what
//! may flow between them. Pairs are computed per class of equivalent workloads, in parallel,
//! then spread back over the workloads.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use super::eval::{Engine, Party};
use super::ingress::exposed_workloads;
use super::ipv4::{self, IpRange};
use super::model::Direction;
use super::model::Model;
use super::ports::ConnSet;

/// np-guard's name for the ingress controller.
pub const INGRESS_CONTROLLER: &str = "{ingress-controller}";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PeerKind {
    /// Index into `Model::workloads`.
    Workload {
        index: usize,
    },
    External {
        first: String,
        last: String,
    },
    IngressController,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// `ns/name[Kind]`, `a.b.c.d-e.f.g.h[External]` or `{ingress-controller}`.
    pub name: String,
    pub kind: PeerKind,
    pub range: Option<IpRange>,
}

/// One allowed connection: indices into `Connectivity::peers` and `Connectivity::conn_sets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    pub src: u32,
    pub dst: u32,
    pub conns: u32,
}

/// The result: peers sorted by name, connections sorted by source then destination name
/// (np-guard's order), distinct connection sets stored once.
#[derive(Debug, Default)]
pub struct Connectivity {
    pub peers: Vec<Peer>,
    pub conn_sets: Vec<ConnSet>,
    pub connections: Vec<Connection>,
}

impl Connectivity {
    pub fn src(&self, c: &Connection) -> &Peer {
        &self.peers[c.src as usize]
    }
    pub fn dst(&self, c: &Connection) -> &Peer {
        &self.peers[c.dst as usize]
    }
    pub fn conns(&self, c: &Connection) -> &ConnSet {
        &self.conn_sets[c.conns as usize]
    }

    /// Workload names (no addresses, no ingress controller), sorted.
    pub fn workload_names(&self) -> impl Iterator<Item = &str> {
        self.peers
            .iter()
            .filter(|p| matches!(p.kind, PeerKind::Workload { .. }))
            .map(|p| p.name.as_str())
    }
}

/// Computes every allowed connection of `model`.
pub fn compute(model: &Model) -> Connectivity {
    if model.workloads.is_empty() {
        return Connectivity::default();
    }
    let engine = Engine::new(model);
    let n = engine.classes.len();
    let workload_classes = engine.ingress_controller; // the controller is the last class
    let [ingress_addresses, egress_addresses] = super::eval::referenced_addresses(model);
    let sources = ipv4::partition(&ingress_addresses);
    let destinations = ipv4::partition(&egress_addresses);

    // Class × class. A verdict depends on the other party only through which rules select
    // it (its signature) and, for egress, the destination's ports; so each side's verdicts
    // are computed once per signature and pairs only build signatures and look them up.
    // Ingress first, per destination class, on all cores.
    let ingress: Vec<(Vec<ConnSet>, Vec<u32>)> = (0..workload_classes)
        .into_par_iter()
        .map(|b| {
            if engine.is_free(Party::Class(b), Direction::Ingress) {
                return (vec![ConnSet::all()], vec![0; workload_classes]);
            }
            let mut memo: HashMap<Box<[u64]>, u32> = HashMap::new();
            let mut sets = Vec::new();
            let mut sig = Vec::new();
            let ids = (0..workload_classes)
                .map(|a| {
                    engine.signature(b, Direction::Ingress, Party::Class(a), &mut sig);
                    if let Some(id) = memo.get(sig.as_slice()) {
                        return *id;
                    }
                    let c = engine.direction(
                        Party::Class(a),
                        Party::Class(b),
                        Direction::Ingress,
                        None,
                    );
                    sets.push(c);
                    let id = (sets.len() - 1) as u32;
                    memo.insert(sig.clone().into_boxed_slice(), id);
                    id
                })
                .collect();
            (sets, ids)
        })
        .collect();
    // Ingress verdicts, numbered across all destinations so rows can share their work.
    let mut ingress_table: Vec<ConnSet> = Vec::new();
    let mut ingress_index: HashMap<ConnSet, u32> = HashMap::new();
    let ingress_gid: Vec<Vec<u32>> = ingress
        .iter()
        .map(|(sets, ids)| {
            let global: Vec<u32> = sets
                .iter()
                .map(|c| {
                    *ingress_index.entry(c.clone()).or_insert_with(|| {
                        ingress_table.push(c.clone());
                        (ingress_table.len() - 1) as u32
                    })
                })
                .collect();
            ids.iter().map(|&i| global[i as usize]).collect()
        })
        .collect();
    drop(ingress);
    // Then one row per source class: egress by signature (plus the destination's ports),
    // intersected with the ingress verdict, memoised per pair of verdicts.
    let rows: Vec<(Vec<ConnSet>, Vec<u32>)> = (0..workload_classes)
        .into_par_iter()
        .map(|a| {
            let free = engine.is_free(Party::Class(a), Direction::Egress);
            let mut egress_memo: HashMap<Box<[u64]>, u32> = HashMap::new();
            let mut egress_sets: Vec<ConnSet> = Vec::new();
            let mut result_memo: HashMap<(u32, u32), u32> = HashMap::new();
            let mut sets: Vec<ConnSet> = Vec::new();
            let mut distinct: HashMap<ConnSet, u32> = HashMap::new();
            let mut sig = Vec::new();
            let ids = (0..workload_classes)
                .map(|b| {
                    let e = if free {
                        u32::MAX
                    } else {
                        engine.signature(a, Direction::Egress, Party::Class(b), &mut sig);
                        sig.push(u64::from(engine.ports_id[b]));
                        match egress_memo.get(sig.as_slice()) {
                            Some(e) => *e,
                            None => {
                                egress_sets.push(engine.direction(
                                    Party::Class(a),
                                    Party::Class(b),
                                    Direction::Egress,
                                    None,
                                ));
                                let e = (egress_sets.len() - 1) as u32;
                                egress_memo.insert(sig.clone().into_boxed_slice(), e);
                                e
                            }
                        }
                    };
                    let g = ingress_gid[b][a];
                    *result_memo.entry((e, g)).or_insert_with(|| {
                        let ingress_set = &ingress_table[g as usize];
                        let c = if e == u32::MAX {
                            ingress_set.clone()
                        } else {
                            egress_sets[e as usize].intersect(ingress_set)
                        };
                        *distinct.entry(c).or_insert_with_key(|c| {
                            sets.push(c.clone());
                            (sets.len() - 1) as u32
                        })
                    })
                })
                .collect();
            (sets, ids)
        })
        .collect();
    let from_addresses: Vec<Vec<ConnSet>> = sources
        .par_iter()
        .map(|ip| {
            (0..workload_classes)
                .map(|b| engine.allowed(Party::Ip(*ip), Party::Class(b), None))
                .collect()
        })
        .collect();
    let to_addresses: Vec<Vec<ConnSet>> = (0..workload_classes)
        .into_par_iter()
        .map(|a| {
            destinations
                .iter()
                .map(|ip| engine.allowed(Party::Class(a), Party::Ip(*ip), None))
                .collect()
        })
        .collect();
    let exposed: Vec<(usize, ConnSet)> = exposed_workloads(model)
        .into_iter()
        .filter_map(|(wi, (ports, _))| {
            let policy = engine.allowed(
                Party::Class(engine.ingress_controller),
                Party::Class(engine.class_of[wi]),
                None,
            );
            let conns = ports.intersect(&policy);
            (!conns.is_empty()).then_some((wi, conns))
        })
        .collect();
    debug_assert_eq!(n, workload_classes + 1);

    // Peers, sorted by name.
    let mut peers: Vec<Peer> = model
        .workloads
        .iter()
        .enumerate()
        .map(|(i, w)| Peer {
            name: w.id(),
            kind: PeerKind::Workload { index: i },
            range: None,
        })
        .collect();
    let external = |r: &IpRange| Peer {
        name: r.to_string(),
        kind: PeerKind::External {
            first: std::net::Ipv4Addr::from(r.first).to_string(),
            last: std::net::Ipv4Addr::from(r.last).to_string(),
        },
        range: Some(*r),
    };
    peers.extend(sources.iter().map(external));
    peers.extend(destinations.iter().map(external));
    if !exposed.is_empty() {
        peers.push(Peer {
            name: INGRESS_CONTROLLER.to_string(),
            kind: PeerKind::IngressController,
            range: None,
        });
    }
    peers.sort_by(|a, b| a.name.cmp(&b.name));
    peers.dedup_by(|a, b| a.name == b.name);
    let index: HashMap<&str, u32> = peers
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i as u32))
        .collect();
    let workload_peer: Vec<u32> = model
        .workloads
        .iter()
        .map(|w| index[w.id().as_str()])
        .collect();

    let mut conn_sets: Vec<ConnSet> = Vec::new();
    let mut interned: HashMap<ConnSet, u32> = HashMap::new();
    let mut intern = |c: &ConnSet| -> u32 {
        if let Some(i) = interned.get(c) {
            return *i;
        }
        conn_sets.push(c.clone());
        let i = (conn_sets.len() - 1) as u32;
        interned.insert(c.clone(), i);
        i
    };
    // Row-local set → global set.
    let row_global: Vec<Vec<Option<u32>>> = rows
        .iter()
        .map(|(sets, _)| {
            sets.iter()
                .map(|c| (!c.is_empty()).then(|| intern(c)))
                .collect()
        })
        .collect();
    let mut connections = Vec::new();
    for (i, &ci) in engine.class_of.iter().enumerate() {
        let ids = &rows[ci].1;
        for (j, &cj) in engine.class_of.iter().enumerate() {
            // A workload's traffic to itself is always allowed and never listed.
            if workload_peer[i] == workload_peer[j] {
                continue;
            }
            if let Some(conns) = row_global[ci][ids[cj] as usize] {
                connections.push(Connection {
                    src: workload_peer[i],
                    dst: workload_peer[j],
                    conns,
                });
            }
        }
    }
    for (s, ip) in sources.iter().enumerate() {
        let src = index[ip.to_string().as_str()];
        for (j, &cj) in engine.class_of.iter().enumerate() {
            if !from_addresses[s][cj].is_empty() {
                connections.push(Connection {
                    src,
                    dst: workload_peer[j],
                    conns: intern(&from_addresses[s][cj]),
                });
            }
        }
    }
    let destination_peers: Vec<u32> = destinations
        .iter()
        .map(|ip| index[ip.to_string().as_str()])
        .collect();
    for (i, &ci) in engine.class_of.iter().enumerate() {
        for (d, &dst) in destination_peers.iter().enumerate() {
            if !to_addresses[ci][d].is_empty() {
                connections.push(Connection {
                    src: workload_peer[i],
                    dst,
                    conns: intern(&to_addresses[ci][d]),
                });
            }
        }
    }
    if let Some(&controller) = index.get(INGRESS_CONTROLLER) {
        for (wi, conns) in &exposed {
            connections.push(Connection {
                src: controller,
                dst: workload_peer[*wi],
                conns: intern(conns),
            });
        }
    }
    connections.par_sort_unstable_by_key(|c| (c.src, c.dst));
    connections.dedup_by_key(|c| (c.src, c.dst));
    Connectivity {
        peers,
        conn_sets,
        connections,
    }
}
