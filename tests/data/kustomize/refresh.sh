#!/bin/sh
# Copies kustomize's build conformance cases from the shared reference data into this folder.
# Usage: tests/data/kustomize/refresh.sh [SHARED_DIR]   (default: ../shared/kustomize)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-"$here/../../../../shared/kustomize"}
[ -d "$src/cases" ] || { echo "no cases under $src" >&2; exit 1; }
rm -rf "$here/cases"
cp -r "$src/cases" "$here/cases"
cp "$src/INDEX.tsv" "$src/LICENSE" "$here/"
echo "copied $(ls "$here/cases" | wc -l) cases from $src"
