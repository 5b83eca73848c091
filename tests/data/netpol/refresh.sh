#!/bin/sh
# Re-copies the np-guard conformance cases from the shared reference data (read-only there).
# Usage: tests/data/netpol/refresh.sh [path/to/shared/netpol/np-guard]
# Only what the cases use is copied: each input directory's manifests (yaml, yml, json) and
# the expected outputs named in cases.tsv. np-guard's own rendered outputs that sit inside
# input directories (connlist_output.*, connections_map_output*) are left out: they are not
# manifests and would only be read as noise.
set -eu
src="${1:-$(dirname "$0")/../../../../shared/netpol/np-guard}"
dst="$(cd "$(dirname "$0")" && pwd)"
rm -rf "$dst/tests" "$dst/test_outputs"
cp "$src/cases.tsv" "$src/LICENSE" "$dst/"
tail -n +2 "$src/cases.tsv" | while IFS="$(printf '\t')" read -r kind inputs expected; do
  for dir in $inputs; do
    mkdir -p "$dst/$dir"
    find "$src/$dir" -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) \
      ! -name 'connlist_output*' ! -name 'connections_map_output*' -exec cp {} "$dst/$dir/" \;
    # Subdirectories (acs-security-demos/backend, …) are part of the input.
    for sub in "$src/$dir"/*/; do
      [ -d "$sub" ] || continue
      mkdir -p "$dst/$dir/$(basename "$sub")"
      cp -R "$sub". "$dst/$dir/$(basename "$sub")/"
    done
  done
  mkdir -p "$dst/$(dirname "$expected")"
  cp "$src/$expected" "$dst/$expected"
done
