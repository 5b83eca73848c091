#!/bin/sh
# Refreshes the GitHub slices used by tests/github_app.rs from ../shared/github
# (GitHub's REST description subset and octokit/webhooks payload examples; see README.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=${SHARED:-$here/../../../../shared/github}
[ -d "$src" ] || src=$here/../../../../../shared/github
cp "$src/openapi-subset.json" "$here/openapi-subset.json"
ex="$src/payload-examples/api.github.com"
cp "$ex/pull_request/opened.payload.json" "$here/payloads/pull_request/"
cp "$ex/pull_request/closed.payload.json" "$here/payloads/pull_request/"
cp "$ex/check_suite/requested.payload.json" "$here/payloads/check_suite/"
cp "$ex/check_run/rerequested.payload.json" "$here/payloads/check_run/"
cp "$ex/ping/payload.json" "$here/payloads/ping/"
# Operations ../shared's subset lacks, from the same source (@octokit/openapi on npm).
tmp=$(mktemp -d)
(cd "$tmp" && npm pack --silent @octokit/openapi@23.0.2 >/dev/null && tar xzf octokit-openapi-23.0.2.tgz)
python3 "$here/extend-subset.py" "$tmp/package/generated/api.github.com.json" "$here/openapi-subset.json"
rm -rf "$tmp"
