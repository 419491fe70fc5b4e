#!/usr/bin/env bash
# `npm test`: installs/builds what is missing, then runs the Go tests, the vitest suites and the
# Kubernetes suite (a real single-node cluster on this machine, test/k8s), and closes with one
# line that adds up every runner's counts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure.sh deps tools wasm cli collector
summary=$(mktemp); trap 'rm -f "$summary"' EXIT
status=0
stage() { printf '\033[1m==> %s\033[0m\n' "$*"; }

stage "Go tests (collector-builder modules, -race)"
export GOFLAGS=-buildvcs=false GOSUMDB=off
for mod in $(find collector-builder -name go.mod -not -path '*/build/*' -exec dirname {} \; | sort); do
  (cd "$mod" && go test -race -count=1 -json ./...) | node scripts/go-test-summary.mjs "$mod" | tee -a "$summary" || status=1
done

stage "TypeScript type check (tsc --noEmit over src, test, bench, scripts)"
npx tsc -p . || status=1

stage "vitest (kernel, CLI, collector, chart, logs, pipeline, reliability, tools)"
npx vitest run "$@" | tee -a "$summary" || status=1

# The Kubernetes suite starts a kubelet and changes the host's packet filter while it runs (and
# restores it), so it needs root. MIRADOR_K8S=0 leaves it out, and the closing line says so.
if [ "${MIRADOR_K8S:-1}" = 0 ]; then
  stage "Kubernetes suite left out (MIRADOR_K8S=0)"
  echo "k8s: 0 passed, 0 failed, 1 skipped" >> "$summary"
elif [ "$(id -u)" != 0 ]; then
  echo "npm test: the Kubernetes suite (test/k8s) needs root; run as root, or set MIRADOR_K8S=0 to leave it out" >&2
  status=1
else
  stage "Kubernetes suite (npm run cluster, helm install on a real single-node cluster)"
  npx vitest run --config test/k8s/vitest.config.ts | tee -a "$summary" || status=1
fi

# One closing line over every runner ("N passed, N failed"), as CI reads it.
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
  let p = 0, f = 0, s = 0;
  for (const l of lines) {
    const m = l.match(/^(?:go \S+|vitest|k8s): (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/);
    if (m) { p += +m[1]; f += +m[2]; s += +(m[3] ?? 0); }
  }
  console.log(`tests: ${p} passed, ${f} failed, ${s} skipped`);
' "$summary"
exit $status
