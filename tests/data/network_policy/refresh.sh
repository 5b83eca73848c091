#!/bin/sh
# Re-copies the np-guard policy set used by tests/network_policy_rules.rs from the shared
# reference data (a checkout of np-guard's tests, Apache-2.0). Run from this directory:
#   ./refresh.sh /path/to/np-guard
# The per-rule fixtures (*.yaml here) are written by hand and are not touched.
set -eu
src="${1:-../../../../../shared/netpol/np-guard}/tests/acs-security-demos"
dst=acs-security-demos
rm -rf "$dst"
mkdir -p "$dst"
cp "$src/acs_netpols.yaml" "$dst/"
(cd "$src" && find . -name deployment.yaml) | while read -r f; do
  mkdir -p "$dst/$(dirname "$f")"
  cp "$src/$f" "$dst/$f"
done
cp "$src/../../LICENSE" "$dst/LICENSE"
