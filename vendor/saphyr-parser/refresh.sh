#!/usr/bin/env bash
# Re-vendor saphyr-parser VERSION from cargo's registry cache and re-apply kubenudge.patch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${1:?usage: refresh.sh VERSION}"
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/saphyr-parser-"$version" | head -n 1)
rm -rf "$here/src" "$here/.licenses"
cp -r "$src/src" "$src/LICENSE" "$src/.licenses" "$src/README.md" "$here/"
(cd "$here/.." && patch -p1 -d saphyr-parser < saphyr-parser/kubenudge.patch) || {
  echo "kubenudge.patch no longer applies to $version: port the change by hand" >&2; exit 1; }
sed -i "s/^version = .*/version = \"$version\"/" "$here/Cargo.toml"
