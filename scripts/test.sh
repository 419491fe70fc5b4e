#!/usr/bin/env bash
# `npm test`: installs/builds what is missing, then runs the Go tests, the TypeScript type check,
# the vitest suites (unit and integration projects) and the Kubernetes suite (a real single-node
# cluster on this machine, test/k8s), and closes with one line that adds up every runner's counts.
#
# The Kubernetes suite starts a kubelet and changes the host's packet filter while it runs (and
# restores it), so it needs root: run as another user, or with MIRADOR_K8S=0, everything else
# runs, the suite's tests count as skipped, and the closing line says why. Exit status 0 means
# every test that ran passed and nothing else was skipped.
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

stage "vitest: unit and integration projects (test/**/*.test.ts; vitest.config.ts)"
npx vitest run "$@" | tee -a "$summary" || status=1

# The rollout under load (test/k8s/persistence.k8s.ts, about 8 minutes, load for 4 of them) is a
# soak of its own: `npm run test:k8s` runs it; the default run leaves it out to stay well under
# 30 minutes on 2 cores.
k8s_soak=(--exclude 'test/k8s/persistence.k8s.ts')
k8s_left_out=""
if [ "${MIRADOR_K8S:-1}" = 0 ]; then k8s_left_out="left out with MIRADOR_K8S=0"
elif [ "$(id -u)" != 0 ]; then k8s_left_out="needs root"
fi
if [ -n "$k8s_left_out" ]; then
  stage "Kubernetes suite (test/k8s) not run: $k8s_left_out"
  # Counted, not run: listing collects the files without running a hook or a test.
  n=$(npx vitest list --config test/k8s/vitest.config.ts "${k8s_soak[@]}" 2>/dev/null | grep -c ' > ' || true)
  echo "k8s: 0 passed, 0 failed, ${n:-1} skipped" >> "$summary"
else
  stage "Kubernetes suite (npm run cluster, helm install on a real single-node cluster)"
  npx vitest run --config test/k8s/vitest.config.ts "${k8s_soak[@]}" | tee -a "$summary" || status=1
fi

# One closing line over every runner ("N passed, N failed"), as CI reads it; a skip other than
# the Kubernetes suite left out fails the run.
node -e '
  const [file, k8sLeftOut] = process.argv.slice(1);
  let p = 0, f = 0, s = 0, k8sSkipped = 0;
  for (const l of require("fs").readFileSync(file, "utf8").split("\n")) {
    const m = l.match(/^(go \S+|vitest|k8s): (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/);
    if (!m) continue;
    p += +m[2]; f += +m[3]; s += +(m[4] ?? 0);
    if (m[1] === "k8s") k8sSkipped += +(m[4] ?? 0);
  }
  const other = s - (k8sLeftOut ? k8sSkipped : 0);
  if (other > 0) console.error(`npm test: ${other} test(s) skipped besides the Kubernetes suite: a skip hides a gap, so this run fails`);
  console.log(`tests: ${p} passed, ${f} failed, ${s} skipped` + (k8sLeftOut ? ` (the Kubernetes suite, test/k8s: ${k8sLeftOut})` : ""));
  process.exit(other > 0 || (p === 0 && f === 0) ? 1 : 0);
' "$summary" "$k8s_left_out" || status=1
exit $status
