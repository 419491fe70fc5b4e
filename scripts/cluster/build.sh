#!/usr/bin/env bash
# Builds the cluster's pinned Go binaries from the wrapper modules next to this script and
# installs them into .tools/k8s/bin. Built binaries are kept in a cache outside the clone
# ($HOME/.cache/mirador/k8s-<version>), keyed by the wrapper module's go.mod + go.sum, so a
# fresh clone on this machine only copies them (seconds); a cold build takes about 7 min.
# Usage: scripts/cluster/build.sh [etcd] [k8s] [coredns] [imagebuilder]   (default: all)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.4
cache="${MIRADOR_K8S_CACHE:-$HOME/.cache/mirador/k8s-$K8S_VERSION}"
bin="$root/.tools/k8s/bin"
mkdir -p "$cache" "$bin"
# The Go module proxy here serves an allow-list and its checksum database answers only for
# some modules (docs/collector.md, "Release pin"): go.sum in each wrapper is the record of what was built.
export GOSUMDB=off GOFLAGS=-buildvcs=false CGO_ENABLED=0

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# module_key DIR: a digest of the wrapper module's inputs; a changed pin means a rebuild.
module_key() { find "$1" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) | sort | xargs cat | sha256sum | cut -c1-16; }

# ensure_built MODULE_DIR "name=package ..." LDFLAGS
ensure_built() {
  local dir="$1" targets="$2" ldflags="$3" key missing=() t name pkg
  key="$(module_key "$dir")"
  for t in $targets; do
    name="${t%%=*}"
    [ "$(cat "$cache/$name.key" 2>/dev/null)" = "$key" ] && [ -x "$cache/$name" ] || missing+=("$t")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    step "building ${missing[*]%%=*} in $(basename "$dir") (cold: minutes; cached in $cache)"
    local start=$SECONDS
    for t in "${missing[@]}"; do
      name="${t%%=*}"; pkg="${t#*=}"
      (cd "$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$cache/$name.tmp" "$pkg")
      mv "$cache/$name.tmp" "$cache/$name"
      echo "$key" > "$cache/$name.key"
      echo "   built $name ($((SECONDS - start)) s so far)"
    done
  fi
  for t in $targets; do
    name="${t%%=*}"
    if ! cmp -s "$cache/$name" "$bin/$name"; then
      cp -f "$cache/$name" "$bin/$name.tmp" && mv -f "$bin/$name.tmp" "$bin/$name"
    fi
  done
}

k8s_ldflags() {
  local v="$K8S_VERSION" major minor date
  major="${v#v}"; major="${major%%.*}"
  minor="${v#v*.}"; minor="${minor%%.*}"
  date="2026-01-01T00:00:00Z" # fixed, so the build is reproducible
  local f=""
  # Without these the servers report v0.0.0-master and charts with `kubeVersion:` fail.
  for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    f+=" -X $p.gitVersion=$v -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    f+=" -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  echo "$f"
}

steps=("$@"); [ ${#steps[@]} -gt 0 ] || steps=(etcd k8s coredns imagebuilder)
for s in "${steps[@]}"; do
  case "$s" in
    etcd)
      ensure_built "$here/etcd" "etcd=go.etcd.io/etcd/server/v3 etcdctl=go.etcd.io/etcd/etcdctl/v3" "" ;;
    k8s)
      ensure_built "$here/k8s" "kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver
        kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager
        kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler kubelet=k8s.io/kubernetes/cmd/kubelet
        kube-proxy=k8s.io/kubernetes/cmd/kube-proxy kubectl=k8s.io/kubernetes/cmd/kubectl" "$(k8s_ldflags)" ;;
    coredns)
      ensure_built "$here/coredns" "coredns=." "" ;;
    imagebuilder)
      ensure_built "$here/imagebuilder" "mirador-image=./cmd/mirador-image pause=./cmd/pause" "" ;;
    *) echo "build.sh: unknown target '$s' (etcd, k8s, coredns, imagebuilder)" >&2; exit 2 ;;
  esac
done
