#!/usr/bin/env bash
# `npm test`: installs/builds what is missing, then runs the Go tests and the vitest suites.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure.sh deps tools wasm cli collector
printf '\033[1m==> Go tests (collector-builder modules)\033[0m\n'
go_status=0
export GOFLAGS=-buildvcs=false GOSUMDB=off
for mod in $(find collector-builder -name go.mod -not -path '*/build/*' -exec dirname {} \; | sort); do
  (cd "$mod" && go test -race -count=1 -json ./... ) | node scripts/go-test-summary.mjs "$mod" || go_status=1
done
printf '\033[1m==> vitest\033[0m\n'
vitest_status=0
npx vitest run "$@" || vitest_status=1
[ $go_status -eq 0 ] && [ $vitest_status -eq 0 ]
