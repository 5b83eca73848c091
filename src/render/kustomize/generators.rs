//! `configMapGenerator` and `secretGenerator`: ConfigMaps and Secrets made from literals, env
//! files and files, merged into or replacing earlier ones by `behavior`, and named with
//! kustomize's content hash at the end of the build (the hash of the final object's content; see [`hash`] for why the name
//! is not part of it), computed exactly as kustomize's hasher does: Go's `json.Marshal` of a few fields,
//! SHA-256, ten hex digits with `0 1 3 a e` swapped for `g h k m t`).

use base64::Engine as _;
use sha2::Digest as _;

use super::kustomization::Kustomization;
use super::resource::{GeneratedBy, Resource};
use super::{BuildError, Builder, Ctx};
use crate::render::origin::Origin;
use crate::render::value::{Node, Value};

/// A generated object waiting to be absorbed, with its entry (for errors) and behavior.
pub(crate) struct Generated {
    pub res: Resource,
    pub behavior: String,
    pub entry: Node,
}

pub(crate) fn generate(
    b: &mut Builder,
    k: &Kustomization,
    ctx: &Ctx,
) -> Result<Vec<Generated>, BuildError> {
    let global = k.field("generatorOptions").cloned();
    let mut out = Vec::new();
    for (field, kind) in [
        ("configMapGenerator", "ConfigMap"),
        ("secretGenerator", "Secret"),
    ] {
        for entry in k.list(field) {
            out.push(one(b, ctx, entry, kind, global.as_ref())?);
        }
    }
    Ok(out)
}

fn one(
    b: &mut Builder,
    ctx: &Ctx,
    entry: &Node,
    kind: &str,
    global: Option<&Node>,
) -> Result<Generated, BuildError> {
    let origin = b.generated(entry);
    let Some(name) = entry.get_str("name") else {
        return Err(b.err(ctx, entry, format!("a {kind} generator needs a name")));
    };
    let mut pairs: Vec<(String, Vec<u8>, Origin)> = Vec::new();
    let mut add = |b: &Builder, key: String, value: Vec<u8>, at: &Node| -> Result<(), BuildError> {
        if pairs.iter().any(|(k, _, _)| *k == key) {
            return Err(b.err(
                ctx,
                at,
                format!("{kind} {name}: duplicate key {key:?} (keys must be unique)"),
            ));
        }
        pairs.push((key, value, b.generated(at)));
        Ok(())
    };
    let envs: Vec<&Node> = entry
        .get("envs")
        .map(|e| e.items().iter().collect())
        .unwrap_or_default();
    for env in envs.into_iter().chain(entry.get("env")) {
        let rel = env.as_str().unwrap_or("");
        let path = b.local_file(ctx, env, rel)?;
        let bytes = b
            .read_bytes(&path)
            .map_err(|e| b.err(ctx, env, e.to_string()))?;
        let text = String::from_utf8_lossy(&bytes);
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        for line in text.lines() {
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // A bare name takes its value from kustomize's environment: not ours to read.
            if let Some((k, v)) = line.split_once('=') {
                add(b, k.to_string(), v.as_bytes().to_vec(), env)?;
            }
        }
    }
    for lit in entry.get("literals").map(Node::items).unwrap_or(&[]) {
        let text = lit.as_str().unwrap_or("");
        let Some((k, v)) = text.split_once('=') else {
            return Err(b.err(
                ctx,
                lit,
                format!("invalid literal source {text:?}, expected key=value"),
            ));
        };
        add(b, k.to_string(), unquote(v).as_bytes().to_vec(), lit)?;
    }
    for file in entry.get("files").map(Node::items).unwrap_or(&[]) {
        let text = file.as_str().unwrap_or("");
        let (key, rel) = match text.split_once('=') {
            Some((k, p)) => (k.to_string(), p),
            None => (text.rsplit('/').next().unwrap_or(text).to_string(), text),
        };
        let path = b.local_file(ctx, file, rel)?;
        let bytes = b
            .read_bytes(&path)
            .map_err(|e| b.err(ctx, file, e.to_string()))?;
        add(b, key, bytes, file)?;
    }

    let mut meta = Node::map(origin);
    meta.set(
        "name",
        Node::str(name, b.generated(entry.get("name").unwrap_or(entry))),
    );
    if let Some(ns) = entry.get_str("namespace") {
        meta.set("namespace", Node::str(ns, origin));
    }
    let opts = entry.get("options");
    for field in ["labels", "annotations"] {
        let mut m: Vec<(String, Node)> = Vec::new();
        for src in [global, opts].into_iter().flatten() {
            for (k, v) in src.get(field).map(Node::entries).unwrap_or(&[]) {
                let n = Node::str(v.as_str().unwrap_or(""), b.generated(v));
                match m.iter_mut().find(|(x, _)| x == k) {
                    Some(e) => e.1 = n,
                    None => m.push((k.clone(), n)),
                }
            }
        }
        if !m.is_empty() {
            meta.set(field, Node::new(Value::Map(m), origin));
        }
    }
    let flag = |f: &str| {
        [global, opts]
            .into_iter()
            .flatten()
            .any(|o| o.get_str(f) == Some("true"))
    };

    let mut obj = Node::map(origin);
    obj.set("apiVersion", Node::str("v1", origin));
    obj.set("kind", Node::str(kind, origin));
    obj.set("metadata", meta);
    let mut data: Vec<(String, Node)> = Vec::new();
    let mut binary: Vec<(String, Node)> = Vec::new();
    for (k, v, o) in pairs {
        if kind == "Secret" {
            data.push((k, Node::str(wrapped_base64(&v), o)));
        } else {
            match String::from_utf8(v) {
                Ok(s) => data.push((k, Node::str(s, o))),
                Err(e) => binary.push((k, Node::str(wrapped_base64(&e.into_bytes()), o))),
            }
        }
    }
    if !data.is_empty() {
        obj.set("data", Node::new(Value::Map(data), origin));
    }
    if !binary.is_empty() {
        obj.set("binaryData", Node::new(Value::Map(binary), origin));
    }
    if kind == "Secret" {
        let t = entry.get_str("type").unwrap_or("Opaque");
        obj.set("type", Node::str(t, origin));
    }
    if flag("immutable") {
        obj.set("immutable", Node::plain("true", origin));
    }
    let mut res = Resource::new(obj);
    res.generated = Some(GeneratedBy {
        hash: !flag("disableNameSuffixHash"),
        origin,
        generator_kind: if kind == "Secret" {
            "SecretGenerator"
        } else {
            "ConfigMapGenerator"
        },
        plugin_name: entry
            .get_str(super::plugins::PLUGIN_NAME)
            .map(str::to_string),
    });
    Ok(Generated {
        res,
        behavior: entry.get_str("behavior").unwrap_or("create").to_string(),
        entry: entry.clone(),
    })
}

/// Base64 as kyaml writes generated data: lines of 70 characters, each ending in a newline
/// once there is more than one line's worth.
fn wrapped_base64(bytes: &[u8]) -> String {
    let enc = base64::engine::general_purpose::STANDARD.encode(bytes);
    if enc.len() / 70 + 1 == 1 {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + enc.len() / 70 + 1);
    for chunk in enc.as_bytes().chunks(70) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out
}

/// `'a b'` and `"a b"` lose their quotes, as kustomize reads literal values.
fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

/// Adds a generated object to the build per its behavior: `create` (must be new), `merge`
/// (its data over an earlier one's), `replace`.
pub(crate) fn absorb(
    b: &Builder,
    ctx: &Ctx,
    res: &mut Vec<Resource>,
    g: Generated,
) -> Result<(), BuildError> {
    let id = g.res.cur_id();
    let found = res
        .iter()
        .position(|r| r.any_ids().iter().any(|x| x.equals(&id)));
    match (g.behavior.as_str(), found) {
        ("create" | "", None) => super::append(b, ctx, &g.entry, res, g.res),
        ("create" | "", Some(_)) => Err(b.err(
            ctx,
            &g.entry,
            format!("id {id} exists; behavior must be merge or replace"),
        )),
        ("merge" | "replace", None) => Err(b.err(
            ctx,
            &g.entry,
            format!("id {id} does not exist; cannot merge or replace"),
        )),
        ("merge" | "replace", Some(i)) => {
            let old = &res[i];
            let mut new = g.res;
            let origin = new.obj.origin;
            for field in ["labels", "annotations"] {
                let m = overlay(
                    old.obj.at(&["metadata", field]),
                    new.obj.at(&["metadata", field]),
                );
                if !m.is_empty() {
                    new.obj
                        .map_entry("metadata", origin)
                        .set(field, Node::new(Value::Map(m), origin));
                }
            }
            if g.behavior == "merge" {
                for field in ["data", "binaryData"] {
                    let m = overlay(old.obj.get(field), new.obj.get(field));
                    if !m.is_empty() {
                        new.obj.set(field, Node::new(Value::Map(m), origin));
                    }
                }
            }
            let name = old.name().to_string();
            let ns = old.namespace().to_string();
            new.set_name(name, origin);
            if !ns.is_empty() {
                new.set_namespace(&ns, origin);
            }
            // The object is still the one the earlier generator made (kustomize keeps its
            // origin annotation too); its data now comes from both.
            new.obj.origin = old.obj.origin;
            if let (Some(g), Some(og)) = (new.generated.as_mut(), old.generated.as_ref()) {
                g.generator_kind = og.generator_kind;
                g.plugin_name = og.plugin_name.clone();
            }
            new.prev = old.prev.clone();
            new.prefixes = old.prefixes.clone();
            new.suffixes = old.suffixes.clone();
            res[i] = new;
            Ok(())
        }
        (other, _) => Err(b.err(
            ctx,
            &g.entry,
            format!("unknown generator behavior {other:?}"),
        )),
    }
}

/// The entries of `base` with those of `over` on top (new keys after the old ones).
fn overlay(base: Option<&Node>, over: Option<&Node>) -> Vec<(String, Node)> {
    let mut m: Vec<(String, Node)> = base.map(|n| n.entries().to_vec()).unwrap_or_default();
    for (k, v) in over.map(Node::entries).unwrap_or(&[]) {
        match m.iter_mut().find(|(x, _)| x == k) {
            Some(e) => e.1 = v.clone(),
            None => m.push((k.clone(), v.clone())),
        }
    }
    m
}

/// The last step of a build: generated objects get their content hash appended to the name.
pub(crate) fn add_hash_suffixes(res: &mut [Resource]) {
    for r in res.iter_mut() {
        let Some(g) = r.generated.clone() else {
            continue;
        };
        if !g.hash {
            continue;
        }
        let h = hash(&r.obj);
        r.store_previous_id();
        let name = format!("{}-{h}", r.name());
        r.set_name(name, g.origin);
    }
}

/// kustomize's hasher for ConfigMaps and Secrets (other kinds: the whole object). The name is
/// always empty: kustomize looks it up as one field called `metadata/name`, which never exists,
/// so the hash depends on the content alone.
pub(crate) fn hash(obj: &Node) -> String {
    let kind = obj.get_str("kind").unwrap_or("");
    let name = "";
    let field = |f: &str| -> serde_json::Value {
        match obj.get(f) {
            None => serde_json::Value::String(String::new()),
            Some(n) if n.is_map() => n.to_json(),
            Some(n) => serde_json::Value::String(n.as_str().unwrap_or("").to_string()),
        }
    };
    let mut m = serde_json::Map::new();
    match kind {
        "ConfigMap" => {
            m.insert("kind".into(), "ConfigMap".into());
            m.insert("name".into(), name.into());
            m.insert("data".into(), field("data"));
            if obj.get("binaryData").is_some_and(Node::is_map) {
                m.insert("binaryData".into(), field("binaryData"));
            }
        }
        "Secret" => {
            m.insert("kind".into(), "Secret".into());
            m.insert("type".into(), field("type"));
            m.insert("name".into(), name.into());
            m.insert("data".into(), field("data"));
            if obj.get("stringData").is_some_and(Node::is_map) {
                m.insert("stringData".into(), field("stringData"));
            }
        }
        _ => return encode(&go_json(&obj.to_json())),
    }
    encode(&go_json(&serde_json::Value::Object(m)))
}

fn encode(json: &str) -> String {
    let digest = sha2::Sha256::digest(json.as_bytes());
    hex::encode(digest)[..10]
        .chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

/// JSON as Go's `json.Marshal` writes it: object keys sorted, `<`, `>`, `&`, U+2028 and
/// U+2029 escaped.
pub(crate) fn go_json(v: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match v {
        J::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let body: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", go_string(k), go_json(&m[k])))
                .collect();
            format!("{{{}}}", body.join(","))
        }
        J::Array(a) => format!("[{}]", a.iter().map(go_json).collect::<Vec<_>>().join(",")),
        J::String(s) => go_string(s),
        other => other.to_string(),
    }
}

fn go_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_kubectl_and_kustomize_values() {
        // `blue-6ct58987ht` is kustomize's name for an empty generated ConfigMap `blue`
        // (conformance case TestReplacementTransformerWithConfigMapGenerator); the name is not
        // hashed, so an unnamed one hashes the same.
        let cm = |data: serde_json::Value| {
            let mut j = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": ""}});
            if !data.is_null() {
                j["data"] = data;
            }
            Node::from_json(&j, Origin::Unknown)
        };
        assert_eq!(hash(&cm(serde_json::Value::Null)), "6ct58987ht");
        let mut named = cm(serde_json::Value::Null);
        named
            .map_entry("metadata", Origin::Unknown)
            .set("name", Node::str("blue", Origin::Unknown));
        assert_eq!(hash(&named), "6ct58987ht");
        assert_eq!(hash(&cm(serde_json::json!({"one": ""}))), "9g67k2htb6");
        assert_eq!(go_string("a<b>&"), "\"a\\u003cb\\u003e\\u0026\"");
    }
}
