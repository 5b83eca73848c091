//! Name references, repaired once every name is final (prefixes, suffixes, hashes): a
//! Deployment that mounts ConfigMap `app` mounts `prod-app-5f7c9` after the build. Follows
//! kustomize's nameref filter: candidates are resources whose previous names include the old
//! value, of the referred kind, in a namespace the referrer can see; ties are broken by the
//! prefixes and suffixes both went through.

use super::fieldspec::{self, Config};
use super::resource::{Gvk, ResId, Resource, same_ending};
use crate::render::value::{Node, Value};

/// What a candidate looked like when references were fixed.
struct Info {
    cur: ResId,
    prev: Vec<ResId>,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
    name_node: Option<Node>,
}

pub(crate) fn fix_back_references(res: &mut [Resource], config: &Config) -> Result<(), String> {
    let infos: Vec<Info> = res
        .iter()
        .map(|r| Info {
            cur: r.cur_id(),
            prev: r.prev.clone(),
            prefixes: r.prefixes.clone(),
            suffixes: r.suffixes.clone(),
            name_node: r.obj.at(&["metadata", "name"]).cloned(),
        })
        .collect();
    for ri in 0..res.len() {
        let org = res[ri].org_id();
        let filters: Vec<(Gvk, fieldspec::FieldSpec)> = config
            .name_reference
            .iter()
            .flat_map(|nb| {
                nb.referrers
                    .iter()
                    .filter(|fs| org.gvk.selected_by(&fs.gvk))
                    .map(|fs| (nb.target.clone(), fs.clone()))
            })
            .collect();
        if filters.is_empty() {
            continue;
        }
        let candidates = could_be_referenced(&infos, ri, &res[ri]);
        let role_ref = role_ref_gvk(&res[ri].obj);
        let referrer = &infos[ri];
        let obj = &mut res[ri].obj;
        for (target, fs) in filters {
            let is_role_ref = fs.path.join("/").ends_with("roleRef/name");
            let sel = Selector {
                infos: &infos,
                referrer,
                target: &target,
                role_ref: if is_role_ref { role_ref.clone() } else { None },
            };
            fieldspec::apply(obj, &fs.path, false, Default::default(), &mut |n| {
                if n.is_null() {
                    return Ok(());
                }
                match &mut n.value {
                    Value::Scalar(_) => sel.set_scalar(n, &candidates),
                    Value::Map(_) => sel.set_mapping(n, &candidates),
                    Value::Seq(items) => {
                        for item in items.iter_mut() {
                            if item.is_map() {
                                sel.set_mapping(item, &candidates)?;
                            } else {
                                sel.set_scalar(item, &candidates)?;
                            }
                        }
                        Ok(())
                    }
                }
            })?;
        }
    }
    Ok(())
}

fn could_be_referenced(infos: &[Info], ri: usize, referrer: &Resource) -> Vec<usize> {
    let rid = &infos[ri].cur;
    if rid.gvk.is_cluster_scoped() {
        return (0..infos.len()).collect();
    }
    // A RoleBinding can name ServiceAccounts of other namespaces in its subjects.
    let sa_namespaces: Vec<String> = referrer
        .obj
        .get("subjects")
        .map(|s| {
            s.items()
                .iter()
                .filter(|x| x.get_str("kind") == Some("ServiceAccount"))
                .filter_map(|x| x.get_str("namespace").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (0..infos.len())
        .filter(|&i| {
            let id = &infos[i].cur;
            id.gvk.is_cluster_scoped()
                || id.same_namespace(rid)
                || sa_namespaces.contains(&id.namespace)
        })
        .collect()
}

fn role_ref_gvk(obj: &Node) -> Option<Gvk> {
    let rr = obj.get("roleRef")?;
    Some(Gvk {
        group: rr.get_str("apiGroup")?.to_string(),
        version: String::new(),
        kind: rr.get_str("kind")?.to_string(),
    })
}

struct Selector<'a> {
    infos: &'a [Info],
    referrer: &'a Info,
    target: &'a Gvk,
    role_ref: Option<Gvk>,
}

impl Selector<'_> {
    fn select(
        &self,
        old: &str,
        candidates: &[usize],
        with_ns: bool,
    ) -> Result<Option<usize>, String> {
        let mut c: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| self.infos[i].prev.iter().any(|p| p.name == old))
            .filter(|&i| {
                self.infos[i]
                    .prev
                    .iter()
                    .any(|p| p.gvk.selected_by(self.target))
            })
            .filter(|&i| {
                self.role_ref
                    .as_ref()
                    .is_none_or(|g| self.infos[i].prev.iter().any(|p| p.gvk.selected_by(g)))
            })
            .filter(|&i| {
                let r = &self.referrer.cur;
                let x = &self.infos[i].cur;
                r.gvk.is_cluster_scoped()
                    || x.gvk.is_cluster_scoped()
                    || x.gvk.kind == "ServiceAccount"
                    || r.same_namespace(x)
            })
            .collect();
        if c.len() == 1 {
            return Ok(Some(c[0]));
        }
        c.retain(|&i| {
            same_ending(&self.infos[i].prefixes, &self.referrer.prefixes)
                && same_ending(&self.infos[i].suffixes, &self.referrer.suffixes)
        });
        match c.len() {
            0 => Ok(None),
            1 => Ok(Some(c[0])),
            _ => {
                let first = &self.infos[c[0]].cur;
                let same = c.iter().all(|&i| {
                    let x = &self.infos[i].cur;
                    x.name == first.name && (!with_ns || x.namespace == first.namespace)
                });
                if same {
                    return Ok(Some(c[0]));
                }
                let ids: Vec<String> = c.iter().map(|&i| self.infos[i].cur.to_string()).collect();
                Err(format!(
                    "found multiple possible referrals: {} (referred to as {old:?} by {})",
                    ids.join(", "),
                    self.referrer.cur
                ))
            }
        }
    }

    fn set_scalar(&self, n: &mut Node, candidates: &[usize]) -> Result<(), String> {
        let Some(old) = n.as_str().map(str::to_string) else {
            return Ok(());
        };
        if let Some(i) = self.select(&old, candidates, false)? {
            let info = &self.infos[i];
            if info.cur.name != old {
                let origin = info
                    .name_node
                    .as_ref()
                    .map(|n| n.origin)
                    .unwrap_or_default();
                *n = Node::str(info.cur.name.clone(), origin);
            }
        }
        Ok(())
    }

    fn set_mapping(&self, n: &mut Node, candidates: &[usize]) -> Result<(), String> {
        let Some(old) = n.get_str("name").map(str::to_string) else {
            return Ok(());
        };
        let filtered: Vec<usize> = match n.get_str("namespace") {
            None => candidates.to_vec(),
            Some(ns) => {
                let by_org: Vec<usize> = candidates
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let info = &self.infos[i];
                        info.prev.first().unwrap_or(&info.cur).namespace == ns
                    })
                    .collect();
                if by_org.is_empty() {
                    candidates
                        .iter()
                        .copied()
                        .filter(|&i| self.infos[i].cur.namespace == ns)
                        .collect()
                } else {
                    by_org
                }
            }
        };
        let Some(i) = self.select(&old, &filtered, true)? else {
            return Ok(());
        };
        let info = &self.infos[i];
        if info.cur.name == old && info.cur.namespace.is_empty() {
            return Ok(());
        }
        let origin = info
            .name_node
            .as_ref()
            .map(|n| n.origin)
            .unwrap_or_default();
        n.set("name", Node::str(info.cur.name.clone(), origin));
        if !info.cur.namespace.is_empty() {
            n.set("namespace", Node::str(info.cur.namespace.clone(), origin));
        }
        Ok(())
    }
}
