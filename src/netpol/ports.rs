//! Sets of connections: for each protocol (TCP, UDP, SCTP) a set of destination ports
//! 1–65535, with the set algebra the model needs (union, intersection, difference) and
//! np-guard's spelling (`All Connections`, `TCP 8080,9090,UDP 53`, `No Connections`).

use std::fmt;

use serde::Serialize;

pub const MIN_PORT: u32 = 1;
pub const MAX_PORT: u32 = 65_535;

/// The protocols NetworkPolicy filters. Declared in np-guard's print order (alphabetical).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Protocol {
    #[serde(rename = "SCTP")]
    Sctp,
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

    /// `TCP`, `UDP`, `SCTP` as the API spells them; anything else is not a protocol.
    pub fn parse(s: &str) -> Option<Protocol> {
        match s {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sctp => "SCTP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Sorted, disjoint, non-touching inclusive port ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortSet(Vec<(u32, u32)>);

impl PortSet {
    pub fn all() -> PortSet {
        PortSet(vec![(MIN_PORT, MAX_PORT)])
    }

    pub fn range(lo: u32, hi: u32) -> PortSet {
        let (lo, hi) = (lo.max(MIN_PORT), hi.min(MAX_PORT));
        if lo > hi {
            PortSet::default()
        } else {
            PortSet(vec![(lo, hi)])
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_all(&self) -> bool {
        self.0 == [(MIN_PORT, MAX_PORT)]
    }

    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.0
    }

    pub fn contains(&self, port: u32) -> bool {
        self.0.iter().any(|&(lo, hi)| lo <= port && port <= hi)
    }

    pub fn union(&self, other: &PortSet) -> PortSet {
        let mut all: Vec<(u32, u32)> = self.0.iter().chain(&other.0).copied().collect();
        all.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(all.len());
        for (lo, hi) in all {
            match out.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        PortSet(out)
    }

    pub fn intersect(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < other.0.len() {
            let (a, b) = (self.0[i], other.0[j]);
            let (lo, hi) = (a.0.max(b.0), a.1.min(b.1));
            if lo <= hi {
                out.push((lo, hi));
            }
            if a.1 < b.1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        PortSet(out)
    }

    pub fn subtract(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        for &(lo, hi) in &self.0 {
            let mut start = lo;
            for &(olo, ohi) in &other.0 {
                if ohi < start || olo > hi {
                    continue;
                }
                if olo > start {
                    out.push((start, olo - 1));
                }
                start = ohi.saturating_add(1);
                if start > hi {
                    break;
                }
            }
            if start <= hi {
                out.push((start, hi));
            }
        }
        PortSet(out)
    }
}

impl fmt::Display for PortSet {
    /// `53`, `8080,9090`, `10053-10054` as np-guard prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(lo, hi)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

/// Allowed connections between two peers: a port set per protocol.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnSet([PortSet; 3]);

impl ConnSet {
    pub fn none() -> ConnSet {
        ConnSet::default()
    }

    pub fn all() -> ConnSet {
        ConnSet([PortSet::all(), PortSet::all(), PortSet::all()])
    }

    pub fn of(protocol: Protocol, ports: PortSet) -> ConnSet {
        let mut c = ConnSet::none();
        c.0[protocol.index()] = ports;
        c
    }

    pub fn ports(&self, protocol: Protocol) -> &PortSet {
        &self.0[protocol.index()]
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(PortSet::is_empty)
    }

    pub fn is_all(&self) -> bool {
        self.0.iter().all(PortSet::is_all)
    }

    pub fn union(&self, other: &ConnSet) -> ConnSet {
        ConnSet(std::array::from_fn(|i| self.0[i].union(&other.0[i])))
    }

    pub fn intersect(&self, other: &ConnSet) -> ConnSet {
        ConnSet(std::array::from_fn(|i| self.0[i].intersect(&other.0[i])))
    }

    pub fn subtract(&self, other: &ConnSet) -> ConnSet {
        ConnSet(std::array::from_fn(|i| self.0[i].subtract(&other.0[i])))
    }

    pub fn add(&mut self, protocol: Protocol, ports: &PortSet) {
        let i = protocol.index();
        self.0[i] = self.0[i].union(ports);
    }

    /// Each protocol with its ports, in print order, leaving out protocols with none.
    pub fn protocols(&self) -> impl Iterator<Item = (Protocol, &PortSet)> {
        Protocol::ALL
            .into_iter()
            .map(|p| (p, self.ports(p)))
            .filter(|(_, ports)| !ports.is_empty())
    }
}

impl fmt::Display for ConnSet {
    /// np-guard's spelling: `All Connections`, `No Connections`, or `TCP 8080,UDP 53`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        for (i, (protocol, ports)) in self.protocols().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{} {ports}", protocol.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_algebra_keeps_ranges_canonical() {
        let a = PortSet::range(10, 20).union(&PortSet::range(21, 30));
        assert_eq!(a.ranges(), &[(10, 30)]);
        let b = a.subtract(&PortSet::range(15, 16));
        assert_eq!(b.ranges(), &[(10, 14), (17, 30)]);
        assert_eq!(
            b.intersect(&PortSet::range(14, 17)).ranges(),
            &[(14, 14), (17, 17)]
        );
        assert!(PortSet::all().subtract(&PortSet::all()).is_empty());
    }

    #[test]
    fn prints_as_np_guard() {
        assert_eq!(ConnSet::all().to_string(), "All Connections");
        assert_eq!(ConnSet::none().to_string(), "No Connections");
        let mut c = ConnSet::of(Protocol::Udp, PortSet::range(53, 53));
        c.add(Protocol::Tcp, &PortSet::range(8080, 8080));
        c.add(Protocol::Tcp, &PortSet::range(9090, 9091));
        c.add(Protocol::Sctp, &PortSet::all());
        assert_eq!(c.to_string(), "SCTP 1-65535,TCP 8080,9090-9091,UDP 53");
    }
}
