#!/usr/bin/env python3
"""Adds to openapi-subset.json the operations kubenudge calls that ../shared's subset lacks,
taken from @octokit/openapi's full description (the subset's own source), with every component
they reference. Usage: extend-subset.py FULL_SPEC_JSON SUBSET_JSON"""
import json
import sys

EXTRA = [("get", "/repos/{owner}/{repo}/pulls")]

full = json.load(open(sys.argv[1]))
subset = json.load(open(sys.argv[2]))


def refs(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/components/"):
                out.add(v)
            else:
                refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


pending = set()
for method, path in EXTRA:
    op = full["paths"][path][method]
    subset["paths"].setdefault(path, {})[method] = op
    refs(op, pending)
    name = f"{method.upper()} {path}"
    ops = subset["info"]["x-subset"]["operations"]
    if name not in ops:
        ops.append(name)
seen = set()
while pending:
    ref = pending.pop()
    if ref in seen:
        continue
    seen.add(ref)
    _, _, kind, name = ref.split("/", 3)
    value = full["components"][kind][name]
    subset["components"].setdefault(kind, {}).setdefault(name, value)
    refs(value, pending)
notes = subset["info"]["x-subset"].setdefault("notes", [])
note = "extend-subset.py added: " + ", ".join(f"{m.upper()} {p}" for m, p in EXTRA)
if note not in notes:
    notes.append(note)
json.dump(subset, open(sys.argv[2], "w"), indent=2, ensure_ascii=False)
open(sys.argv[2], "a").write("\n")
