#!/usr/bin/env bash
# Regenerates tests/data/pss/ (files/ and index.tsv) from the official PSA fixtures in
# ../shared/pss (testdata/<level>/<version>/{pass,fail}/*.yaml and expected_messages.tsv).
# Usage: tests/data/pss/refresh.sh [path/to/shared/pss]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="${1:-$here/../../../../shared/pss}"
[ -d "$src/testdata" ] || src="/work/shared/pss"
python3 - "$src" "$here" <<'PY'
import hashlib, os, shutil, sys
src, out = sys.argv[1], sys.argv[2]
files_dir = os.path.join(out, "files")
shutil.rmtree(files_dir, ignore_errors=True)
os.makedirs(files_dir)
rows = []
with open(os.path.join(src, "expected_messages.tsv"), encoding="utf-8") as f:
    next(f)
    for line in f:
        cols = line.rstrip("\n").split("\t")
        cols += [""] * (7 - len(cols))
        rows.append(cols[:7])
contents = {}
for level, version, kind, name, *_ in rows:
    with open(os.path.join(src, "testdata", level, version, kind, name), "rb") as f:
        contents[(level, version, kind, name)] = f.read()
# One file per distinct content; a name shared by different contents gets a short hash.
by_name = {}
for (_, _, _, name), data in contents.items():
    by_name.setdefault(name, set()).add(data)
def vendored(name, data):
    if len(by_name[name]) == 1:
        return name
    stem, ext = os.path.splitext(name)
    return f"{stem}-{hashlib.sha256(data).hexdigest()[:8]}{ext}"
written = set()
with open(os.path.join(out, "index.tsv"), "w", encoding="utf-8") as idx:
    idx.write("level\tversion\tkind\tfile\texpected_substring\tvendored_file\tforbidden_detail\n")
    for level, version, kind, name, substring, _checks, detail in rows:
        data = contents[(level, version, kind, name)]
        v = vendored(name, data)
        if v not in written:
            with open(os.path.join(files_dir, v), "wb") as f:
                f.write(data)
            written.add(v)
        idx.write("\t".join([level, version, kind, name, substring, v, detail]) + "\n")
print(f"{len(rows)} cases, {len(written)} distinct files")
PY
