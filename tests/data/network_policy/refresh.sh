#!/bin/sh
# Re-copies np-guard's acs-security-demos case (NetworkPolicies and Deployments, with np-guard's
# Apache-2.0 LICENSE) from ../shared/netpol/np-guard into acs-security-demos/, for the CLI
# snapshot in tests/network_policy_rules.rs. The per-rule fixtures (*.yaml here) are written by
# hand and are not touched.
# Usage: tests/data/network_policy/refresh.sh [path/to/np-guard]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
npguard=${1:-$here/../../../../shared/netpol/np-guard}
[ -d "$npguard/tests" ] || npguard=$here/../../../../../shared/netpol/np-guard
src=$npguard/tests/acs-security-demos
dst=$here/acs-security-demos
rm -rf "$dst"
mkdir -p "$dst"
cp "$src/acs_netpols.yaml" "$dst/"
(cd "$src" && find . -name deployment.yaml) | while read -r f; do
  mkdir -p "$dst/$(dirname "$f")"
  cp "$src/$f" "$dst/$f"
done
cp "$npguard/LICENSE" "$dst/LICENSE"
