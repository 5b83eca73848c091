//! `--explain SRC DST`: the verdict for one ordered pair and every policy rule that took part
//! in it, with the file and line of each, per direction (the source's egress, the
//! destination's ingress).

use super::connectivity::INGRESS_CONTROLLER;
use super::eval::{Engine, Party, Step};
use super::ingress::exposed_workloads;
use super::ipv4::{self, IpRange};
use super::model::{Direction, Model, Origin};
use super::ports::ConnSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Some connections are allowed (maybe not all).
    Allowed(ConnSet),
    Denied,
}

/// One line of an explanation: what decided, and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub origin: Option<Origin>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub src: String,
    pub dst: String,
    pub verdict: Verdict,
    /// What the source's side allows, and why.
    pub egress: (ConnSet, Vec<Reason>),
    /// What the destination's side allows, and why.
    pub ingress: (ConnSet, Vec<Reason>),
    /// Anything else that shaped the verdict (the ingress objects exposing a port).
    pub notes: Vec<Reason>,
}

enum Resolved {
    Workload(usize),
    Address(IpRange),
    IngressController,
}

fn resolve(model: &Model, name: &str) -> Result<Resolved, String> {
    if name == INGRESS_CONTROLLER || name == "ingress-controller" {
        return Ok(Resolved::IngressController);
    }
    if let Some(i) = model.workloads.iter().position(|w| w.id() == name) {
        return Ok(Resolved::Workload(i));
    }
    // `ns/name` without the kind, when only one workload has that name.
    let short: Vec<usize> = model
        .workloads
        .iter()
        .enumerate()
        .filter(|(_, w)| format!("{}/{}", w.namespace, w.name) == name)
        .map(|(i, _)| i)
        .collect();
    if short.len() == 1 {
        return Ok(Resolved::Workload(short[0]));
    }
    let bare = name.trim_end_matches("[External]");
    if let Some((a, b)) = bare.split_once('-')
        && let (Ok(a), Ok(b)) = (
            a.parse::<std::net::Ipv4Addr>(),
            b.parse::<std::net::Ipv4Addr>(),
        )
    {
        return Ok(Resolved::Address(IpRange {
            first: a.into(),
            last: b.into(),
        }));
    }
    if let Ok(ip) = bare.parse::<std::net::Ipv4Addr>() {
        return Ok(Resolved::Address(IpRange {
            first: ip.into(),
            last: ip.into(),
        }));
    }
    if let Ok(r) = ipv4::parse_cidr(bare) {
        return Ok(Resolved::Address(r));
    }
    let hint = if short.len() > 1 {
        format!(
            "{name:?} names {} workloads; add the kind, as in ns/name[Deployment]",
            short.len()
        )
    } else {
        format!(
            "{name:?} is neither a workload (ns/name[Kind], as `kubenudge connectivity` prints them), an IPv4 address or range, nor {INGRESS_CONTROLLER}"
        )
    };
    Err(hint)
}

pub fn explain(model: &Model, src: &str, dst: &str) -> Result<Explanation, String> {
    let (s, d) = (resolve(model, src)?, resolve(model, dst)?);
    let engine = Engine::new(model);
    let party = |r: &Resolved| match r {
        Resolved::Workload(i) => Party::Class(engine.class_of[*i]),
        Resolved::Address(ip) => Party::Ip(*ip),
        Resolved::IngressController => Party::Class(engine.ingress_controller),
    };
    let name = |r: &Resolved| match r {
        Resolved::Workload(i) => model.workloads[*i].id(),
        Resolved::Address(ip) => ip.to_string(),
        Resolved::IngressController => INGRESS_CONTROLLER.to_string(),
    };
    let (src_name, dst_name) = (name(&s), name(&d));
    if matches!(s, Resolved::Address(_)) && matches!(d, Resolved::Address(_)) {
        return Err(
            "both ends are addresses; policies only govern traffic with a pod at one end".into(),
        );
    }
    if let (Resolved::Workload(a), Resolved::Workload(b)) = (&s, &d)
        && a == b
    {
        let all = ConnSet::all();
        let reason = vec![Reason {
            origin: None,
            text: "a pod can always reach itself; a workload's own traffic is not listed".into(),
        }];
        return Ok(Explanation {
            src: src_name,
            dst: dst_name,
            verdict: Verdict::Allowed(all.clone()),
            egress: (all.clone(), reason.clone()),
            ingress: (all, reason),
            notes: Vec::new(),
        });
    }
    let (sp, dp) = (party(&s), party(&d));
    let side = |direction: Direction, subject: &Resolved| {
        let mut steps: Vec<Step> = Vec::new();
        let conns = engine.direction(sp, dp, direction, Some(&mut steps));
        let mut reasons: Vec<Reason> = steps
            .into_iter()
            .map(|s| Reason {
                origin: Some(s.origin),
                text: s.text,
            })
            .collect();
        if reasons.is_empty() {
            let who = name(subject);
            reasons.push(Reason {
                origin: None,
                text: match subject {
                    Resolved::Address(_) => format!(
                        "{who} is outside the cluster: no policy governs its {}",
                        direction.as_str().to_lowercase()
                    ),
                    _ => format!(
                        "no policy selects {who} for {}: it is not isolated, everything is allowed",
                        direction.as_str()
                    ),
                },
            });
        }
        (conns, reasons)
    };
    let egress = side(Direction::Egress, &s);
    let ingress = side(Direction::Ingress, &d);
    let mut allowed = egress.0.intersect(&ingress.0);
    let mut notes = Vec::new();
    if let Resolved::IngressController = s {
        let exposed = match d {
            Resolved::Workload(wi) => exposed_workloads(model).remove(&wi),
            _ => None,
        };
        match exposed {
            Some((ports, origins)) => {
                for origin in origins {
                    notes.push(Reason {
                        origin: Some(origin),
                        text: format!("exposes {dst_name} to the ingress controller on {ports}"),
                    });
                }
                allowed = allowed.intersect(&ports);
            }
            None => {
                notes.push(Reason {
                    origin: None,
                    text: format!("no Ingress or Route exposes {dst_name} through a Service"),
                });
                allowed = ConnSet::none();
            }
        }
    }
    let verdict = if allowed.is_empty() {
        Verdict::Denied
    } else {
        Verdict::Allowed(allowed)
    };
    Ok(Explanation {
        src: src_name,
        dst: dst_name,
        verdict,
        egress,
        ingress,
        notes,
    })
}
