#!/usr/bin/env bash
# Installs and builds whatever is missing, with visible progress; fast when all is present.
# Usage: scripts/ensure.sh [deps] [tools] [wasm] [cli] [collector] [peer] ...   (default: deps tools wasm cli collector)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=("$@"); [ ${#steps[@]} -gt 0 ] || steps=(deps tools wasm cli collector)
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
for s in "${steps[@]}"; do
  case "$s" in
    deps)
      if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        step "npm ci (node modules from package-lock.json)"; npm ci --no-audit --no-fund
      fi ;;
    tools) step "pinned tools (.tools/)"; bash scripts/tools.sh ;;
    wasm) step "kernel -> build/isolation_forest.wasm"; node scripts/build-wasm.mjs ;;
    cli) step "CLI -> dist/mirador.js"; node scripts/build-cli.mjs ;;
    collector) step "collector -> build/otelcol-mirador"; bash scripts/build-collector.sh ;;
    peer) step "peer collector -> build/otelcol-peer"; bash scripts/build-collector.sh peer ;;
    *) echo "ensure.sh: unknown step '$s'" >&2; exit 2 ;;
  esac
done
