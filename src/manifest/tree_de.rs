//! serde's `Deserializer` over a node of a [`YamlTree`]: typed objects are decoded straight
//! from the tree, where they used to go through a `serde_json::Value` built for the purpose
//! and thrown away (building, reading and dropping that copy was about half of decoding's
//! cost).
//! No crate deserializes this project's own tree, so it is written here.
//!
//! It does what `serde_json::from_value(tree.to_json(node))` did, call for call, so objects
//! decode to the same values and fail with the same messages: a non-negative integer is a
//! `u64` and a negative one an `i64`, a float JSON cannot hold is `null`, an enum is a string
//! or a one-entry mapping, a sequence or mapping that a visitor leaves unread is an error, and
//! errors are worded as serde_json words them (`null`, not "unit value"). One thing differs on
//! purpose: a mapping is read in the author's order, not sorted by key, so of two wrong fields
//! the first one written is reported.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::yaml::{Entry, NodeId, NodeKind, YamlTree};

/// A node to deserialize from.
#[derive(Clone, Copy)]
pub(super) struct NodeDeserializer<'t> {
    tree: &'t YamlTree,
    node: NodeId,
    /// Fields of the root mapping read as these strings, added when it lacks them: a `List`
    /// item's apiVersion and kind are the list's, and a removed apiVersion is decoded as its
    /// replacement.
    root_fields: &'t [(&'static str, &'t str)],
}

impl<'t> NodeDeserializer<'t> {
    pub fn new(tree: &'t YamlTree, node: NodeId) -> Self {
        Self {
            tree,
            node,
            root_fields: &[],
        }
    }

    pub fn with_root_fields(self, root_fields: &'t [(&'static str, &'t str)]) -> Self {
        Self {
            root_fields,
            ..self
        }
    }

    pub fn root_fields(&self) -> &'t [(&'static str, &'t str)] {
        self.root_fields
    }

    fn child(&self, node: NodeId) -> Self {
        Self::new(self.tree, node)
    }

    fn tree_has_root_key(&self, key: &str) -> bool {
        self.tree.get(self.node, key).is_some()
    }
}

/// Why the tree could not be decoded; its text is never shown (the caller decodes again
/// through a `Value` for the message).
#[derive(Debug)]
pub(super) struct Undecoded(String);

impl fmt::Display for Undecoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Undecoded {}

impl de::Error for Undecoded {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Undecoded(msg.to_string())
    }

    fn invalid_type(unexpected: de::Unexpected, expected: &dyn de::Expected) -> Self {
        Undecoded(format!(
            "invalid type: {}, expected {expected}",
            AsJson(unexpected)
        ))
    }

    fn invalid_value(unexpected: de::Unexpected, expected: &dyn de::Expected) -> Self {
        Undecoded(format!(
            "invalid value: {}, expected {expected}",
            AsJson(unexpected)
        ))
    }
}

/// An unexpected value named as serde_json names it.
struct AsJson<'a>(de::Unexpected<'a>);

impl fmt::Display for AsJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            de::Unexpected::Unit => f.write_str("null"),
            de::Unexpected::Float(v) => match serde_json::Number::from_f64(v) {
                Some(n) => write!(f, "floating point `{n}`"),
                None => fmt::Display::fmt(&self.0, f),
            },
            other => fmt::Display::fmt(&other, f),
        }
    }
}

impl<'de> Deserializer<'de> for NodeDeserializer<'_> {
    type Error = Undecoded;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Undecoded> {
        match &self.tree.node(self.node).kind {
            NodeKind::Null => visitor.visit_unit(),
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Int(i) => match u64::try_from(*i) {
                Ok(u) => visitor.visit_u64(u),
                Err(_) => visitor.visit_i64(*i),
            },
            NodeKind::Float(f) if f.is_finite() => visitor.visit_f64(*f),
            NodeKind::Float(_) => visitor.visit_unit(),
            NodeKind::Str(s) => visitor.visit_str(s),
            NodeKind::Sequence { items, .. } => {
                let mut seq = Items {
                    parent: self,
                    items: items.iter(),
                };
                let value = visitor.visit_seq(&mut seq)?;
                match seq.items.len() {
                    0 => Ok(value),
                    _ => Err(de::Error::custom("fewer elements in array")),
                }
            }
            NodeKind::Mapping { entries, .. } => {
                let mut map = Entries {
                    parent: self,
                    entries: entries.iter(),
                    added: self.root_fields.iter(),
                    value: None,
                };
                let value = visitor.visit_map(&mut map)?;
                match map.entries.len() + map.added.len() {
                    0 => Ok(value),
                    _ => Err(de::Error::custom("fewer elements in map")),
                }
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Undecoded> {
        match self.tree.node(self.node).kind {
            // `.nan` and `.inf` were JSON's `null`.
            NodeKind::Null => visitor.visit_none(),
            NodeKind::Float(f) if !f.is_finite() => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Undecoded> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Undecoded> {
        match &self.tree.node(self.node).kind {
            NodeKind::Str(variant) => {
                visitor.visit_enum(de::value::StrDeserializer::<Undecoded>::new(variant))
            }
            NodeKind::Mapping { entries, .. } => match &entries[..] {
                [entry] => visitor.visit_enum(Variant {
                    name: &entry.key,
                    value: self.child(entry.value),
                }),
                _ => Err(de::Error::invalid_value(
                    de::Unexpected::Map,
                    &"map with a single key",
                )),
            },
            _ => Err(de::Error::invalid_type(
                unexpected(self.tree, self.node),
                &"string or map",
            )),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// What a node is, for an error's "invalid type: …".
fn unexpected(tree: &YamlTree, node: NodeId) -> de::Unexpected<'_> {
    match &tree.node(node).kind {
        NodeKind::Null => de::Unexpected::Unit,
        NodeKind::Bool(b) => de::Unexpected::Bool(*b),
        NodeKind::Int(i) => match u64::try_from(*i) {
            Ok(u) => de::Unexpected::Unsigned(u),
            Err(_) => de::Unexpected::Signed(*i),
        },
        NodeKind::Float(f) if f.is_finite() => de::Unexpected::Float(*f),
        NodeKind::Float(_) => de::Unexpected::Unit,
        NodeKind::Str(s) => de::Unexpected::Str(s),
        NodeKind::Sequence { .. } => de::Unexpected::Seq,
        NodeKind::Mapping { .. } => de::Unexpected::Map,
    }
}

/// An enum written as a one-entry mapping: the key names the variant, the value holds it.
struct Variant<'t> {
    name: &'t str,
    value: NodeDeserializer<'t>,
}

impl<'de, 't> de::EnumAccess<'de> for Variant<'t> {
    type Error = Undecoded;
    type Variant = NodeDeserializer<'t>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), Undecoded> {
        let name = seed.deserialize(de::value::StrDeserializer::<Undecoded>::new(self.name))?;
        Ok((name, self.value))
    }
}

impl<'de> de::VariantAccess<'de> for NodeDeserializer<'_> {
    type Error = Undecoded;

    fn unit_variant(self) -> Result<(), Undecoded> {
        match self.tree.node(self.node).kind {
            NodeKind::Null => Ok(()),
            _ => Err(de::Error::invalid_type(
                unexpected(self.tree, self.node),
                &"unit variant",
            )),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Undecoded> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Undecoded> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Undecoded> {
        self.deserialize_map(visitor)
    }
}

struct Items<'t> {
    parent: NodeDeserializer<'t>,
    items: std::slice::Iter<'t, NodeId>,
}

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = Undecoded;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Undecoded> {
        self.items
            .next()
            .map(|&node| seed.deserialize(self.parent.child(node)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Entries<'t> {
    parent: NodeDeserializer<'t>,
    entries: std::slice::Iter<'t, Entry>,
    /// The root fields still to read: each replaces the entry of its name, or comes after the
    /// entries when there is none.
    added: std::slice::Iter<'t, (&'static str, &'t str)>,
    value: Option<Value<'t>>,
}

/// The value of the entry whose key was just read.
enum Value<'t> {
    Node(NodeId),
    Text(&'t str),
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = Undecoded;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Undecoded> {
        let root_fields = self.parent.root_fields;
        let (key, value) = match self.entries.next() {
            Some(entry) => match root_fields.iter().find(|(name, _)| *name == entry.key) {
                Some((_, text)) => (entry.key.as_str(), Value::Text(text)),
                None => (entry.key.as_str(), Value::Node(entry.value)),
            },
            None => loop {
                let Some((name, text)) = self.added.next() else {
                    return Ok(None);
                };
                if !self.parent.tree_has_root_key(name) {
                    break (*name, Value::Text(text));
                }
            },
        };
        self.value = Some(value);
        seed.deserialize(de::value::StrDeserializer::<Undecoded>::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Undecoded> {
        match self.value.take() {
            Some(Value::Node(node)) => seed.deserialize(self.parent.child(node)),
            Some(Value::Text(text)) => {
                seed.deserialize(de::value::StrDeserializer::<Undecoded>::new(text))
            }
            None => Err(de::Error::custom("a value without its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() + self.added.len())
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
    use k8s_openapi::api::batch::v1::{CronJob, Job};
    use k8s_openapi::api::core::v1::{Namespace, Pod, PodTemplate, ReplicationController};
    use k8s_openapi::api::networking::v1::NetworkPolicy;
    use serde::de::DeserializeOwned;

    use super::NodeDeserializer;
    use crate::manifest::limits::Limits;
    use crate::manifest::source::SourceText;
    use crate::manifest::yaml::{NodeId, NodeKind, YamlTree, parse_stream};

    type Decoded<T> = Result<T, (String, String)>;

    /// `T` decoded from the tree, and from the tree's JSON as it used to be: the value, or the
    /// path and message of the error, with serde_path_to_error as the reader uses it.
    fn both<T: DeserializeOwned>(tree: &YamlTree, node: NodeId) -> (Decoded<T>, Decoded<T>) {
        let error = |path: &serde_path_to_error::Path, message: String| (path.to_string(), message);
        let direct = serde_path_to_error::deserialize(NodeDeserializer::new(tree, node))
            .map_err(|e| error(e.path(), e.inner().to_string()));
        let json = serde_path_to_error::deserialize(tree.to_json(node))
            .map_err(|e| error(e.path(), e.inner().to_string()));
        (direct, json)
    }

    fn same<T: DeserializeOwned + PartialEq + Debug>(tree: &YamlTree, node: NodeId, at: &str) {
        let (direct, json) = both::<T>(tree, node);
        assert_eq!(direct, json, "{} at {at}", std::any::type_name::<T>());
    }

    /// `node` as the type its kind names, as the reader decodes it. (As another type, the
    /// first error can differ: the tree is read in the author's order, JSON was sorted, so
    /// a wrong `kind` and a wrong `apiVersion` are found in a different order.)
    fn as_its_kind(tree: &YamlTree, node: NodeId, at: &str) -> bool {
        match tree.get(node, "kind").and_then(|k| tree.as_str(k)) {
            Some("Pod") => same::<Pod>(tree, node, at),
            Some("PodTemplate") => same::<PodTemplate>(tree, node, at),
            Some("ReplicationController") => same::<ReplicationController>(tree, node, at),
            Some("Namespace") => same::<Namespace>(tree, node, at),
            Some("Deployment") => same::<Deployment>(tree, node, at),
            Some("StatefulSet") => same::<StatefulSet>(tree, node, at),
            Some("DaemonSet") => same::<DaemonSet>(tree, node, at),
            Some("ReplicaSet") => same::<ReplicaSet>(tree, node, at),
            Some("Job") => same::<Job>(tree, node, at),
            Some("CronJob") => same::<CronJob>(tree, node, at),
            Some("NetworkPolicy") => same::<NetworkPolicy>(tree, node, at),
            _ => return false,
        }
        true
    }

    /// Every document of the fixtures and test data of a kind the reader decodes (the Pod
    /// Security fixtures among them): the same values, and the same error at the same field
    /// where one does not fit.
    #[test]
    fn the_tree_decodes_as_its_json_does() {
        let mut documents = 0;
        for (path, text) in crate::manifest::yaml_files_under(&["fixtures", "tests/data"]) {
            let src = SourceText::new(&text);
            let Ok((tree, roots)) = parse_stream(&src, &Limits::default()) else {
                continue;
            };
            for root in roots {
                if as_its_kind(&tree, root.root, &format!("{}", path.display())) {
                    documents += 1;
                }
            }
        }
        assert!(documents > 1_000, "only {documents} documents read");
    }

    /// Of two wrong fields, the one written first is reported (JSON, sorted by key, reported
    /// `containers`).
    #[test]
    fn of_two_wrong_fields_the_first_written_is_reported() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  hostNetwork: \"yes\"\n  containers: 5\n";
        let src = SourceText::new(text);
        let (tree, roots) = parse_stream(&src, &Limits::default()).unwrap();
        let error = crate::manifest::kinds::decode(
            "v1",
            "Pod",
            NodeDeserializer::new(&tree, roots[0].root),
        )
        .expect_err("a Pod with two wrong fields does not decode");
        assert_eq!(error.path.to_string(), "spec.hostNetwork");
        assert_eq!(
            error.message,
            "expected a boolean, found the string \"yes\""
        );
        let (_, json) = both::<Pod>(&tree, roots[0].root);
        assert_eq!(
            json.err().map(|(path, _)| path).as_deref(),
            Some("spec.containers")
        );
    }

    /// Objects with one value of the wrong type, at every scalar of real manifests in turn:
    /// the same error, at the same field, in the same words.
    #[test]
    fn a_value_of_the_wrong_type_fails_as_it_did_through_json() {
        let replacements = [
            "true", "7", "-3", "1.5", ".nan", "null", "[a]", "{a: 1}", "text",
        ];
        let mut variants = 0;
        for (path, text) in crate::manifest::yaml_files_under(&["fixtures"]) {
            let src = SourceText::new(&text);
            let Ok((tree, roots)) = parse_stream(&src, &Limits::default()) else {
                continue;
            };
            for root in roots {
                if !as_its_kind(&tree, root.root, &format!("{}", path.display())) {
                    continue;
                }
                // Each scalar of the document (key nodes excluded: they are not values).
                let mut values = Vec::new();
                let mut stack = vec![root.root];
                while let Some(n) = stack.pop() {
                    match &tree.node(n).kind {
                        NodeKind::Mapping { entries, .. } => {
                            stack.extend(entries.iter().map(|e| e.value))
                        }
                        NodeKind::Sequence { items, .. } => stack.extend(items.iter().copied()),
                        _ => values.push(tree.node(n).span()),
                    }
                }
                for span in &values {
                    let replacement = replacements[variants % replacements.len()];
                    let edited = format!(
                        "{}{replacement}{}",
                        &src.text()[..span.start],
                        &src.text()[span.end..]
                    );
                    let src = SourceText::new(&edited);
                    let Ok((tree, roots)) = parse_stream(&src, &Limits::default()) else {
                        continue;
                    };
                    for root in roots {
                        as_its_kind(&tree, root.root, &format!("{}", path.display()));
                    }
                    variants += 1;
                }
            }
        }
        assert!(variants > 250, "only {variants} variants tried");
    }
}
