#!/usr/bin/env bash
# Project-local Python for the kernel's peers (scikit-learn, isotree) in .venv, from PyPI with
# pinned versions. The pip cache lives outside the clone, so a fresh clone re-installs quickly.
# Usage: bash scripts/python-env.sh        (idempotent; prints the venv's python path)
# isotree ships only a source distribution: its first install compiles C++ (a few minutes; the
# built wheel is then cached).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
REQS=(numpy==2.3.5 scipy==1.16.3 scikit-learn==1.7.2 pandas==2.3.3 isotree==0.6.1.post10)
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$HOME/.cache/mirador/pip}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
stamp=.venv/.mirador-reqs
want="${REQS[*]}"
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$(pwd)/.venv/bin/python"; exit 0
fi
command -v "$PY" >/dev/null || { echo "python-env: $PY not found; install Python 3.10+ to compare against scikit-learn/isotree" >&2; exit 1; }
echo "python-env: creating .venv with ${want}" >&2
"$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --only-binary=numpy,scipy,scikit-learn,pandas "${REQS[@]}" >&2
echo "$want" > "$stamp"
echo "$(pwd)/.venv/bin/python"
