//! Values as Helm assembles them: `--values` files merged in order and `--set` on top
//! (`strvals`), then coalesced with each chart's `values.yaml` (the user's values win; a
//! user's `null` deletes the chart's key), subchart sections and `global` passed down,
//! dependency `condition`/`tags` deciding which subcharts render, and `import-values`.
//! Values keep the origin of the file line that set them.

use std::collections::BTreeMap;

use super::chart::{Chart, ImportValue};
use super::template::value::{Kind, Value};

pub type Table = BTreeMap<String, Value>;

fn table(v: &Value) -> Option<Table> {
    v.as_map().map(|m| m.borrow().clone())
}

fn is_table(v: &Value) -> bool {
    matches!(v.kind, Kind::Map(_))
}

/// Deep copy of a table (values are shared by reference otherwise).
pub fn copy_table(t: &Table) -> Table {
    t.iter().map(|(k, v)| (k.clone(), v.deep_copy())).collect()
}

/// Helm's `mergeMaps` for `--values` files: later files win, tables merge.
pub fn merge_maps(a: Table, b: Table) -> Table {
    let mut out = a;
    for (k, v) in b {
        if let (Some(Kind::Map(_)), Kind::Map(_)) = (out.get(&k).map(|x| x.kind.clone()), &v.kind) {
            let merged = merge_maps(
                table(&out[&k]).unwrap_or_default(),
                table(&v).unwrap_or_default(),
            );
            let origin = v.origin;
            out.insert(k, Value::map(merged).with_origin(origin));
        } else {
            out.insert(k, v);
        }
    }
    out
}

/// `coalesceTablesFullKey`: `dst` wins; tables merge; with `merge` false a nil in `dst`
/// deletes the key.
pub fn coalesce_tables(dst: &mut Table, src: &Table, merge: bool) {
    for (k, sv) in src {
        match dst.get(k) {
            // A nil over a default deletes it; a nil over a nil stays.
            Some(dv) if dv.is_nil() && !merge && !sv.is_nil() => {
                dst.remove(k);
            }
            Some(dv) if dv.is_nil() => {}
            None => {
                dst.insert(k.clone(), sv.deep_copy());
            }
            Some(dv) => {
                if let (Some(mut dt), Some(st)) = (table(dv), table(sv)) {
                    coalesce_tables(&mut dt, &st, merge);
                    let origin = dv.origin;
                    dst.insert(k.clone(), Value::map(dt).with_origin(origin));
                }
            }
        }
    }
}

/// Helm's `coalesce(chart, dest)`: the chart's defaults under `dest`, then each subchart.
pub fn coalesce(chart: &Chart, dest: Table, merge: bool) -> Table {
    coalesce_at(chart, dest, merge, false)
}

/// `is_sub`: coalescing a subchart (Helm's non-empty prefix), whose own nil defaults are
/// dropped so they cannot shadow globals or print as `%!s(<nil>)`.
fn coalesce_at(chart: &Chart, dest: Table, merge: bool, is_sub: bool) -> Table {
    let mut dest = coalesce_values(chart, dest, merge, is_sub);
    for sub in &chart.subcharts {
        let mut section = match dest.get(&sub.name) {
            Some(v) if is_table(v) => table(v).unwrap_or_default(),
            Some(v) if !v.is_nil() => continue,
            _ => Table::new(),
        };
        coalesce_globals(&mut section, &dest);
        let origin = dest.get(&sub.name).map_or(sub.values.origin, |v| v.origin);
        let section = coalesce_at(sub, section, merge, true);
        dest.insert(sub.name.clone(), Value::map(section).with_origin(origin));
    }
    dest
}

fn coalesce_values(chart: &Chart, mut v: Table, merge: bool, is_sub: bool) -> Table {
    let defaults = table(&chart.values).unwrap_or_default();
    for (k, dv) in defaults {
        match v.get(&k) {
            Some(uv) if uv.is_nil() && !merge => {
                v.remove(&k);
            }
            Some(uv) => {
                if let (Some(mut ut), Some(mut dt)) = (table(uv), table(&dv)) {
                    let key_is_subchart = chart.subcharts.iter().any(|c| c.name == k);
                    let merge = merge || key_is_subchart;
                    if !merge && is_sub {
                        dt = without_nils(&dt);
                    }
                    coalesce_tables(&mut ut, &dt, merge);
                    let origin = uv.origin;
                    v.insert(k, Value::map(ut).with_origin(origin));
                }
            }
            None => {
                if !merge && is_sub {
                    if dv.is_nil() {
                        continue;
                    }
                    if let Some(t) = table(&dv) {
                        v.insert(k, Value::map(without_nils(&t)).with_origin(dv.origin));
                        continue;
                    }
                }
                v.insert(k, dv.deep_copy());
            }
        }
    }
    v
}

/// A copy of a table with nil entries removed at every level (Helm's `cleanNilValues`).
fn without_nils(t: &Table) -> Table {
    t.iter()
        .filter(|(_, v)| !v.is_nil())
        .map(|(k, v)| match table(v) {
            Some(inner) => (
                k.clone(),
                Value::map(without_nils(&inner)).with_origin(v.origin),
            ),
            None => (k.clone(), v.deep_copy()),
        })
        .collect()
}

/// Copies `src.global` into `dest.global` (the parent's globals win).
fn coalesce_globals(dest: &mut Table, src: &Table) {
    let mut dg = match dest.get("global") {
        Some(v) if is_table(v) => table(v).unwrap_or_default(),
        Some(v) if !v.is_nil() => return,
        _ => Table::new(),
    };
    let sg = match src.get("global") {
        Some(v) if is_table(v) => table(v).unwrap_or_default(),
        _ => Table::new(),
    };
    for (k, sv) in sg {
        if let Some(st) = table(&sv) {
            let mut vv = copy_table(&st);
            match dg.get(&k) {
                None => {
                    dg.insert(k, Value::map(vv).with_origin(sv.origin));
                }
                Some(dv) => {
                    if let Some(dt) = table(dv) {
                        coalesce_tables(&mut vv, &dt, true);
                        dg.insert(k, Value::map(vv).with_origin(sv.origin));
                    }
                }
            }
        } else if dg.get(&k).is_some_and(is_table) {
            // A table in the subchart is not replaced by a scalar.
        } else {
            dg.insert(k, sv);
        }
    }
    dest.insert("global".into(), Value::map(dg));
}

/// The value at a dotted path (`a.b.c`).
pub fn path_value(t: &Table, path: &str) -> Option<Value> {
    let mut parts = path.split('.');
    let mut cur = t.get(parts.next()?)?.clone();
    for p in parts {
        let next = table(&cur)?.get(p)?.clone();
        cur = next;
    }
    Some(cur)
}

fn path_table(t: &Table, path: &str) -> Option<Table> {
    table(&path_value(t, path)?)
}

/// Drops disabled subcharts (conditions, tags), recursively; conditions of nested charts
/// are read from the top-level values under their full path, as Helm does.
pub fn process_enabled(chart: &mut Chart, user: &Table, path: &str, top: Option<&Table>) {
    // Aliases: a dependency with an alias renders the chart under that name.
    let mut subs = Vec::new();
    let mut used = vec![false; chart.subcharts.len()];
    for d in &chart.dependencies {
        if let Some(i) = chart.subcharts.iter().position(|c| c.name == d.name) {
            let mut c = chart.subcharts[i].clone();
            used[i] = true;
            if !d.alias.is_empty() {
                c.name = d.alias.clone();
                c.metadata
                    .insert("Name".into(), Value::str(d.alias.as_str()));
            }
            subs.push(c);
        }
    }
    for (i, c) in chart.subcharts.iter().enumerate() {
        if !used[i] {
            subs.push(c.clone());
        }
    }
    chart.subcharts = subs;
    let cvals_owned;
    let cvals = match top {
        Some(t) => t,
        None => {
            cvals_owned = coalesce(chart, copy_table(user), false);
            &cvals_owned
        }
    };
    let tags = path_table(cvals, "tags");
    let mut disabled = Vec::new();
    for d in &chart.dependencies {
        let name = if d.alias.is_empty() {
            &d.name
        } else {
            &d.alias
        };
        let mut enabled = true;
        if let Some(tags) = &tags {
            let (mut has_true, mut has_false) = (false, false);
            for t in &d.tags {
                match tags.get(t).map(|v| &v.kind) {
                    Some(Kind::Bool(true)) => has_true = true,
                    Some(Kind::Bool(false)) => has_false = true,
                    _ => {}
                }
            }
            if !has_true && has_false {
                enabled = false;
            }
        }
        if !d.condition.is_empty() {
            for c in d.condition.split(',') {
                let c = c.trim();
                if let Some(Value {
                    kind: Kind::Bool(b),
                    ..
                }) = path_value(cvals, &format!("{path}{c}"))
                {
                    enabled = b;
                    break;
                }
            }
        }
        if !enabled {
            disabled.push(name.clone());
        }
    }
    chart.subcharts.retain(|c| !disabled.contains(&c.name));
    let cvals = cvals.clone();
    for sub in &mut chart.subcharts {
        let sub_path = format!("{path}{}.", sub.name);
        process_enabled(sub, user, &sub_path, Some(&cvals));
    }
}

/// `import-values`: copies children's values into the parent (bottom-up). The parent's own
/// values win over imported ones.
pub fn process_imports(chart: &mut Chart) {
    for sub in &mut chart.subcharts {
        process_imports(sub);
    }
    if chart
        .dependencies
        .iter()
        .all(|d| d.import_values.is_empty())
    {
        return;
    }
    let cvals = coalesce(chart, Table::new(), true);
    let mut imported = Table::new();
    for d in &chart.dependencies {
        let name = if d.alias.is_empty() {
            &d.name
        } else {
            &d.alias
        };
        if !chart.subcharts.iter().any(|c| &c.name == name) {
            continue;
        }
        for iv in &d.import_values {
            let (child, parent) = match iv {
                ImportValue::Map { child, parent } => (child.clone(), parent.clone()),
                ImportValue::Exports(n) => (format!("exports.{n}"), ".".to_string()),
            };
            let Some(vv) = path_table(&cvals, &format!("{name}.{child}")) else {
                continue;
            };
            let piece = if parent == "." {
                vv
            } else {
                path_to_map(&parent, vv)
            };
            imported = merge_tables(imported, piece);
        }
    }
    let mut values = copy_table(&cvals);
    coalesce_tables(&mut values, &imported, true);
    let origin = chart.values.origin;
    chart.values = Value::map(values).with_origin(origin);
}

/// `MergeTables(dst, src)`: dst wins, tables merge, nils kept.
fn merge_tables(mut dst: Table, src: Table) -> Table {
    coalesce_tables(&mut dst, &src, true);
    dst
}

fn path_to_map(path: &str, data: Table) -> Table {
    let parts: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
    let mut cur = data;
    for p in parts.iter().rev() {
        let mut t = Table::new();
        t.insert((*p).to_string(), Value::map(cur));
        cur = t;
    }
    cur
}

// ---------------------------------------------------------------------------------------------
// --set

/// Parses one `--set` argument (`a.b=c,d[0]=e`) into `into`, as Helm's strvals does:
/// `true`/`false` are bools, `null` is nil, integers are int64, anything else a string.
pub fn parse_set(arg: &str, into: &mut Table) -> Result<(), String> {
    for assignment in split_unescaped(arg, ',') {
        if assignment.is_empty() {
            continue;
        }
        let Some(eq) = find_unescaped(&assignment, '=') else {
            return Err(format!("key {assignment:?} has no value"));
        };
        let key = &assignment[..eq];
        let raw = unescape(&assignment[eq + 1..]);
        let value = typed(&raw);
        let path = parse_key(key).map_err(|e| format!("--set {arg:?}: {e}"))?;
        set_path(into, &path, value).map_err(|e| format!("--set {arg:?}: {e}"))?;
    }
    Ok(())
}

fn typed(s: &str) -> Value {
    if s.eq_ignore_ascii_case("true") {
        return Value::bool(true);
    }
    if s.eq_ignore_ascii_case("false") {
        return Value::bool(false);
    }
    if s == "null" {
        return Value::NIL;
    }
    if s == "0" {
        return Value::int(0);
    }
    if !s.starts_with('0')
        && !s.starts_with("+")
        && let Ok(i) = s.parse::<i64>()
        && !s.starts_with("-0")
    {
        return Value::int(i);
    }
    Value::str(s)
}

fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut esc = false;
    let mut depth = 0;
    for c in s.chars() {
        if esc {
            cur.push('\\');
            cur.push(c);
            esc = false;
            continue;
        }
        match c {
            '\\' => esc = true,
            '{' => {
                depth += 1;
                cur.push(c);
            }
            '}' => {
                depth -= 1;
                cur.push(c);
            }
            c if c == sep && depth == 0 => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if esc {
        cur.push('\\');
    }
    out.push(cur);
    out
}

fn find_unescaped(s: &str, c: char) -> Option<usize> {
    let mut esc = false;
    for (i, ch) in s.char_indices() {
        if esc {
            esc = false;
        } else if ch == '\\' {
            esc = true;
        } else if ch == c {
            return Some(i);
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut esc = false;
    for c in s.chars() {
        if esc {
            out.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn parse_key(key: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let mut cur = String::new();
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '.' => {
                if !cur.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut cur)));
                }
            }
            '[' => {
                if !cur.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut cur)));
                }
                let mut n = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    n.push(d);
                }
                let i: usize = n
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad list index {n:?}"))?;
                if i > 65536 {
                    return Err(format!("list index {i} is too large"));
                }
                steps.push(Step::Index(i));
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        steps.push(Step::Key(cur));
    }
    match steps.first() {
        Some(Step::Key(_)) => Ok(steps),
        _ => Err(format!("key {key:?} does not start with a name")),
    }
}

fn set_path(t: &mut Table, path: &[Step], value: Value) -> Result<(), String> {
    let Some(Step::Key(k)) = path.first() else {
        return Err("expected a key".into());
    };
    if path.len() == 1 {
        t.insert(k.clone(), value);
        return Ok(());
    }
    let child = t.remove(k).unwrap_or(Value::NIL);
    let updated = set_in(child, &path[1..], value)?;
    t.insert(k.clone(), updated);
    Ok(())
}

fn set_in(cur: Value, path: &[Step], value: Value) -> Result<Value, String> {
    match &path[0] {
        Step::Key(_) => {
            let mut t = table(&cur).unwrap_or_default();
            set_path(&mut t, path, value)?;
            Ok(Value::map(t))
        }
        Step::Index(i) => {
            let mut list = match &cur.kind {
                Kind::List(l) => l.to_vec(),
                _ => Vec::new(),
            };
            while list.len() <= *i {
                list.push(Value::NIL);
            }
            list[*i] = if path.len() == 1 {
                value
            } else {
                set_in(list[*i].clone(), &path[1..], value)?
            };
            Ok(Value::list(list))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(t: &Table) -> serde_json::Value {
        Value::map(t.clone()).to_json()
    }

    #[test]
    fn set_parses_as_strvals() {
        let mut t = Table::new();
        parse_set("a.b=1,c=true,d=x\\,y,e[1].f=null,g=1.5,h=007", &mut t).unwrap();
        assert_eq!(
            json(&t),
            serde_json::json!({"a": {"b": 1}, "c": true, "d": "x,y", "e": [null, {"f": null}], "g": "1.5", "h": "007"})
        );
        assert!(parse_set("novalue", &mut t).is_err());
    }

    #[test]
    fn files_merge_later_wins() {
        let a = super::super::yaml::parse_value("x: {a: 1, b: 2}\nz: 1", None).unwrap();
        let b = super::super::yaml::parse_value("x: {b: 3}\nz: null", None).unwrap();
        let m = merge_maps(table(&a).unwrap(), table(&b).unwrap());
        assert_eq!(
            json(&m),
            serde_json::json!({"x": {"a": 1, "b": 3}, "z": null})
        );
    }
}

#[cfg(test)]
mod coalesce_tests {
    use super::*;

    fn chart(values: &str, subcharts: Vec<Chart>, name: &str) -> Chart {
        Chart {
            name: name.into(),
            metadata: BTreeMap::new(),
            is_library: false,
            kube_version: String::new(),
            values: super::super::yaml::parse_value(values, None).unwrap(),
            values_file: None,
            schema: None,
            templates: Vec::new(),
            crds: Vec::new(),
            files: BTreeMap::new(),
            dependencies: Vec::new(),
            subcharts,
        }
    }

    fn user(text: &str) -> Table {
        table(&super::super::yaml::parse_value(text, None).unwrap()).unwrap_or_default()
    }

    #[test]
    fn a_users_null_deletes_a_default_and_globals_flow_down() {
        let sub = chart("a: 1\nb: {c: 2, d: null}\ne: null\n", vec![], "sub");
        let top = chart("x: 1\nw: {z: 1}\nglobal: {g: 1}\n", vec![sub], "top");
        let v = coalesce(
            &top,
            user("x: null\nw: {z: null}\nsub: {a: null}\nglobal: {h: 2}"),
            false,
        );
        let j = Value::map(v).to_json();
        assert_eq!(
            j,
            serde_json::json!({
                "w": {},
                "global": {"g": 1, "h": 2},
                "sub": {"b": {"c": 2}, "global": {"g": 1, "h": 2}}
            })
        );
    }
}
