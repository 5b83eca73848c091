#!/usr/bin/env bash
# Copies the SARIF 2.1.0 schema from the shared reference data into this directory.
# Usage: tests/data/sarif/refresh.sh [path/to/shared/sarif]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="${1:-$here/../../../../shared/sarif}"
[ -f "$src/sarif-schema-2.1.0.json" ] || src="/work/shared/sarif"
cp "$src/sarif-schema-2.1.0.json" "$here/sarif-schema-2.1.0.json"
echo "copied $src/sarif-schema-2.1.0.json"
