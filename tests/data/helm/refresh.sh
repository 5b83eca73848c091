#!/bin/sh
# Copies Helm's `helm template` conformance cases from the shared reference data into this
# folder, storing each distinct chart once: charts/<name>/ holds the chart, and each
# cases/<case>/chart names it (cases often share a chart).
# Usage: tests/data/helm/refresh.sh [SHARED_DIR]   (default: the project's shared/helm)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-"$here/../../../../shared/helm"}
# A git worktree under wt/ sits one level deeper than the main checkout.
[ -d "$src/cases" ] || [ $# -gt 0 ] || src="$here/../../../../../shared/helm"
[ -d "$src/cases" ] || { echo "no cases under $src" >&2; exit 1; }
rm -rf "$here/cases" "$here/charts"
mkdir -p "$here/cases" "$here/charts"
for case in "$src"/cases/*/; do
  name=$(basename "$case")
  chart=$(awk -F'\t' -v n="$name" '$1 == n { print $7 }' "$src/INDEX.tsv")
  base=$(basename "${chart:-$name}")
  sum=$(cd "$case/chart" && find . -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-8)
  # The same name with other content gets the content hash as a suffix.
  target=$base
  if [ -d "$here/charts/$target" ] && [ "$(cat "$here/charts/$target.sum")" != "$sum" ]; then
    target="$base-$sum"
  fi
  if [ ! -d "$here/charts/$target" ]; then
    cp -r "$case/chart" "$here/charts/$target"
    echo "$sum" > "$here/charts/$target.sum"
  fi
  mkdir -p "$here/cases/$name"
  echo "$target" > "$here/cases/$name/chart"
  for f in args expected.yaml expected_error provenance; do
    [ -f "$case/$f" ] && cp "$case/$f" "$here/cases/$name/"
  done
  [ -d "$case/values" ] && cp -r "$case/values" "$here/cases/$name/"
done
cp "$src/INDEX.tsv" "$src/LICENSE" "$here/"
echo "copied $(ls "$here/cases" | wc -l) cases ($(ls -d "$here"/charts/*/ | wc -l) distinct charts) from $src"
