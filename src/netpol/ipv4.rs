//! IPv4 address ranges: `ipBlock` CIDRs minus their `except`s, and the disjoint ranges that
//! all the blocks of a repository carve the address space into (each one an external peer,
//! printed `a.b.c.d-e.f.g.h[External]` as np-guard does).

use std::fmt;
use std::net::Ipv4Addr;

/// An inclusive range of IPv4 addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpRange {
    pub first: u32,
    pub last: u32,
}

impl IpRange {
    pub const ALL: IpRange = IpRange {
        first: 0,
        last: u32::MAX,
    };

    pub fn contains(&self, other: &IpRange) -> bool {
        self.first <= other.first && other.last <= self.last
    }

    /// `10.0.0.0-10.255.255.255`
    pub fn label(&self) -> String {
        format!(
            "{}-{}",
            Ipv4Addr::from(self.first),
            Ipv4Addr::from(self.last)
        )
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[External]", self.label())
    }
}

/// Why a CIDR cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CidrError {
    /// An IPv6 CIDR: the model covers IPv4 only (as np-guard does).
    Ipv6,
    Invalid(String),
}

/// `10.0.0.0/8` → its range. Host bits are ignored, as the API server's parser does.
pub fn parse_cidr(cidr: &str) -> Result<IpRange, CidrError> {
    let (addr, len) = cidr
        .split_once('/')
        .ok_or_else(|| CidrError::Invalid(format!("{cidr:?} is not a CIDR (address/length)")))?;
    if addr.contains(':') {
        return Err(CidrError::Ipv6);
    }
    let addr: Ipv4Addr = addr
        .parse()
        .map_err(|_| CidrError::Invalid(format!("{addr:?} is not an IPv4 address")))?;
    let len: u32 = len
        .parse()
        .ok()
        .filter(|l| *l <= 32)
        .ok_or_else(|| CidrError::Invalid(format!("prefix length {len:?} is not 0-32")))?;
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let first = u32::from(addr) & mask;
    Ok(IpRange {
        first,
        last: first | !mask,
    })
}

/// `cidr` minus every `except`, as sorted disjoint ranges.
pub fn block(cidr: IpRange, except: &[IpRange]) -> Vec<IpRange> {
    let mut out = vec![cidr];
    for ex in except {
        out = out
            .into_iter()
            .flat_map(|r| {
                let mut parts = Vec::new();
                if ex.last < r.first || ex.first > r.last {
                    parts.push(r);
                    return parts;
                }
                if ex.first > r.first {
                    parts.push(IpRange {
                        first: r.first,
                        last: ex.first - 1,
                    });
                }
                if ex.last < r.last {
                    parts.push(IpRange {
                        first: ex.last + 1,
                        last: r.last,
                    });
                }
                parts
            })
            .collect();
    }
    out
}

/// The whole address space cut at every boundary of `ranges`: each piece lies wholly inside
/// or wholly outside each range, so "is this peer in that block" is a containment test.
pub fn partition<'a>(ranges: impl IntoIterator<Item = &'a IpRange>) -> Vec<IpRange> {
    let mut starts: Vec<u32> = vec![0];
    for r in ranges {
        starts.push(r.first);
        if r.last < u32::MAX {
            starts.push(r.last + 1);
        }
    }
    starts.sort_unstable();
    starts.dedup();
    starts
        .iter()
        .enumerate()
        .map(|(i, &first)| IpRange {
            first,
            last: starts.get(i + 1).map_or(u32::MAX, |next| next - 1),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> IpRange {
        parse_cidr(s).unwrap()
    }

    #[test]
    fn excepts_cut_holes_and_partition_cuts_at_every_boundary() {
        let blocks = block(r("10.0.0.0/8"), &[r("10.10.0.0/16")]);
        let labels: Vec<String> = blocks.iter().map(IpRange::label).collect();
        assert_eq!(
            labels,
            ["10.0.0.0-10.9.255.255", "10.11.0.0-10.255.255.255"]
        );
        let parts: Vec<String> = partition(&blocks).iter().map(IpRange::label).collect();
        assert_eq!(
            parts,
            [
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.9.255.255",
                "10.10.0.0-10.10.255.255",
                "10.11.0.0-10.255.255.255",
                "11.0.0.0-255.255.255.255"
            ]
        );
        assert_eq!(
            partition(&[IpRange::ALL])[0].to_string(),
            "0.0.0.0-255.255.255.255[External]"
        );
    }

    #[test]
    fn bad_cidrs_say_why() {
        assert_eq!(parse_cidr("fd00::/8"), Err(CidrError::Ipv6));
        assert!(matches!(parse_cidr("10.0.0.0"), Err(CidrError::Invalid(_))));
        assert!(matches!(
            parse_cidr("10.0.0.0/33"),
            Err(CidrError::Invalid(_))
        ));
        assert_eq!(r("10.1.2.3/8"), r("10.0.0.0/8"));
    }
}
