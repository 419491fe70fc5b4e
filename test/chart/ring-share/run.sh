#!/usr/bin/env bash
# How the loadbalancing exporter moves series between isolationforest replicas, measured with the
# exporter's own code: copies the exporter's module (v0.144.0, from the Go module cache) to a
# temporary directory, drops ring_share_test.go.txt into its package and runs it. Prints one line,
# RING_SHARE {json}. Usage: bash test/chart/ring-share/run.sh [series, default 100000]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=v0.144.0
mod="$(go env GOMODCACHE)/github.com/open-telemetry/opentelemetry-collector-contrib/exporter/loadbalancingexporter@${version}"
if [ ! -d "$mod" ]; then
  # the collector build downloads it (npm run build:collector); fetch it alone otherwise
  (cd "$(mktemp -d)" && go mod init ringshare >/dev/null 2>&1 && go mod download "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/loadbalancingexporter@${version}")
fi
work="$(mktemp -d)"
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$mod/." "$work/"
chmod -R u+w "$work"
# only the exporter's code and this measurement (its own tests need test-only modules)
find "$work" -maxdepth 1 -name '*_test.go' -delete
cp "$here/ring_share_test.go.txt" "$work/ring_share_test.go"
cd "$work"
# the module's go.mod points its repository siblings at ../..; take their released versions instead
for r in $(go mod edit -json | python3 -c 'import json,sys; print(" ".join(x["Old"]["Path"] for x in json.load(sys.stdin).get("Replace") or []))'); do
  go mod edit -dropreplace="$r"
done
SERIES="${1:-100000}" GOFLAGS=-mod=mod go test -count=1 -run '^TestRingShare$' -v . | grep '^RING_SHARE '
