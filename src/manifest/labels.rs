//! Labels (`metadata.labels`, a pod template's labels, a namespace's): a map from key to
//! value, kept as a vector of pairs sorted by key.
//!
//! Why not the `BTreeMap` k8s-openapi decodes them to: a run keeps the labels of every
//! workload it read (what policies select), and most objects have one to three labels. A
//! `BTreeMap` allocates a node of room for eleven pairs for the first one (about 560 bytes):
//! 20,000 Pods of one label each kept 15 MB of label maps, a seventh of the run's peak memory.
//! A sorted vector holds the pairs at their exact number and is looked up by binary search.
//! It offers the part of `BTreeMap`'s interface the code uses (`get`, `contains_key`,
//! `insert`, iteration in key order), so it reads the same at its callers.

use std::collections::BTreeMap;

/// Label pairs sorted by key, each key once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(Vec<(String, String)>);

impl Labels {
    pub fn new() -> Self {
        Self::default()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&String> {
        self.position(key).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// Sets `key` to `value`; the value it had, if any.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &String)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }
}

impl FromIterator<(String, String)> for Labels {
    /// A later pair with the same key wins, as in a map.
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        let mut labels = Labels(pairs.into_iter().collect());
        labels.normalize();
        labels
    }
}

impl Labels {
    /// Sorts by key; of pairs with the same key, the last one stays.
    fn normalize(&mut self) {
        // A stable sort keeps pairs of one key in the order given: the last is the one to keep.
        self.0.sort_by(|a, b| a.0.cmp(&b.0));
        let mut kept: Vec<(String, String)> = Vec::with_capacity(self.0.len());
        for pair in self.0.drain(..) {
            match kept.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => kept.push(pair),
            }
        }
        self.0 = kept;
    }
}

impl Extend<(String, String)> for Labels {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, pairs: I) {
        for (k, v) in pairs {
            self.insert(k, v);
        }
    }
}

impl From<BTreeMap<String, String>> for Labels {
    fn from(map: BTreeMap<String, String>) -> Self {
        // Already sorted, each key once.
        Labels(map.into_iter().collect())
    }
}

impl From<&BTreeMap<String, String>> for Labels {
    fn from(map: &BTreeMap<String, String>) -> Self {
        Labels(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}

impl<const N: usize> From<[(String, String); N]> for Labels {
    fn from(pairs: [(String, String); N]) -> Self {
        pairs.into_iter().collect()
    }
}

/// Read as a map (a Service's `spec.selector`): a later key wins, as in a `BTreeMap`.
impl<'de> serde::Deserialize<'de> for Labels {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, String>::deserialize(deserializer).map(Labels::from)
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a String, &'a String),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl IntoIterator for Labels {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(labels: &Labels) -> Vec<(&str, &str)> {
        labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn reads_like_the_map_it_replaces() {
        let given = [
            ("tier", "web"),
            ("app", "shop"),
            ("team", "a"),
            ("app", "cart"),
        ];
        let labels: Labels = given
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let map: BTreeMap<String, String> = given
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // Key order, each key once, the last value given winning: as a BTreeMap collects.
        assert_eq!(
            pairs(&labels),
            [("app", "cart"), ("team", "a"), ("tier", "web")]
        );
        assert_eq!(labels, Labels::from(map.clone()));
        assert_eq!(labels, Labels::from(&map));
        assert_eq!(labels.get("team").map(String::as_str), Some("a"));
        assert_eq!(labels.get("zone"), None);
        assert!(labels.contains_key("tier") && !labels.contains_key("ti"));
        assert_eq!(labels.len(), 3);
        assert_eq!(
            labels.keys().collect::<Vec<_>>(),
            map.keys().collect::<Vec<_>>()
        );
        assert_eq!(
            labels.values().collect::<Vec<_>>(),
            map.values().collect::<Vec<_>>()
        );
    }

    #[test]
    fn insert_keeps_the_order_and_replaces_a_value() {
        let mut labels = Labels::new();
        assert!(labels.is_empty());
        assert_eq!(labels.insert("b".into(), "1".into()), None);
        assert_eq!(labels.insert("a".into(), "2".into()), None);
        assert_eq!(labels.insert("c".into(), "3".into()), None);
        assert_eq!(labels.insert("b".into(), "4".into()), Some("1".to_string()));
        labels.extend([
            ("a".to_string(), "5".to_string()),
            ("d".to_string(), "6".to_string()),
        ]);
        assert_eq!(
            pairs(&labels),
            [("a", "5"), ("b", "4"), ("c", "3"), ("d", "6")]
        );
        let owned: Vec<(String, String)> = labels.into_iter().collect();
        assert_eq!(owned.len(), 4);
    }
}
