#!/usr/bin/env bash
# Builds the collector distribution with ocb (v0.144.0):
#   bash scripts/build-collector.sh         -> build/otelcol-mirador  (collector-builder/builder-config.yaml)
#   bash scripts/build-collector.sh peer    -> build/otelcol-peer     (collector-builder/builder-config-peer.yaml)
# The kernel build/isolation_forest.wasm (node scripts/build-wasm.mjs) is copied into the processor
# module for go:embed. ocb writes its sources under build/ocb/<name>/ and compiles a static binary
# (CGO_ENABLED=0). A stamp of everything the build reads (manifest, local Go modules, wasm, ocb and
# Go versions) makes a rebuild with nothing changed take a second.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

variant=${1:-mirador}
case "$variant" in
  mirador) name=otelcol-mirador; manifest=collector-builder/builder-config.yaml ;;
  peer) name=otelcol-peer; manifest=collector-builder/builder-config-peer.yaml ;;
  *) echo "build-collector.sh: unknown variant '$variant' (expected: mirador or peer)" >&2; exit 2 ;;
esac

# The Go proxy here serves an allow-list and its checksum database knows only some modules (docs/tools.md).
export GOSUMDB=off GOFLAGS=-buildvcs=false CGO_ENABLED=0

OCB=.tools/bin/ocb
[ -x "$OCB" ] || bash scripts/tools.sh ocb
[ -x "$OCB" ] || { echo "build-collector.sh: $OCB missing after scripts/tools.sh ocb" >&2; exit 1; }

PROC=collector-builder/isolationforestprocessor
EXPORTER=collector-builder/cassandralogsexporter
OUT=build/ocb
mkdir -p "$OUT"

local_modules=()
if [ "$variant" = mirador ]; then
  WASM=build/isolation_forest.wasm
  [ -f "$WASM" ] || { echo "build-collector.sh: $WASM missing: run 'npm run build:wasm' first" >&2; exit 1; }
  cmp -s "$WASM" "$PROC/isolation_forest.wasm" || cp "$WASM" "$PROC/isolation_forest.wasm"
  local_modules=("$PROC" "$EXPORTER")
fi

# Everything the build reads, hashed: a match with the last successful build skips ocb entirely.
stamp_of() {
  {
    echo "$variant $("$OCB" version 2>&1) $(go version)"
    sha256sum "$manifest"
    if [ ${#local_modules[@]} -gt 0 ]; then
      find "${local_modules[@]}" -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name '*.wasm' \) \
        -not -name '*_test.go' 2>/dev/null | LC_ALL=C sort | xargs -r sha256sum
    fi
  } | sha256sum | cut -d' ' -f1
}
stamp_file="$OUT/$name.stamp"
stamp=$(stamp_of)
if [ -x "build/$name" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
  echo "build/$name is up to date"
  exit 0
fi

# Every component of the manifest is part of the distribution (the chart's default logs exporter
# is cassandra_logs): one of our modules that does not compile fails the build, naming it, before
# ocb spends minutes on the rest. ocb itself fails on any other component.
for m in ${local_modules[@]+"${local_modules[@]}"}; do
  if ! errors=$(cd "$m" && go build ./... 2>&1); then
    printf '%s\n' "$errors" | tail -40 >&2
    echo "build-collector.sh: $m does not compile (above): build/$name is NOT built; every component in $manifest is required" >&2
    exit 1
  fi
done

echo "==> ocb: $manifest -> build/$name (cold: about 3 minutes; cached: under a minute)"
started=$(date +%s)
log="$OUT/$name.ocb.log"
if ! "$OCB" --config "$manifest" >"$log" 2>&1; then
  tail -40 "$log" >&2
  echo "build-collector.sh: ocb failed: build/$name is NOT built (full log: $log)" >&2
  exit 1
fi
cp "$OUT/$name/$name" "build/$name.tmp" && mv "build/$name.tmp" "build/$name"
echo "$stamp" >"$stamp_file"
echo "build/$name built in $(($(date +%s) - started)) s"
