#!/usr/bin/env bash
# Installs the pinned tools into .tools/ (binaries in .tools/bin, Cassandra jars in .tools/cassandra
# and, for the exporter's tests against Cassandra 4.x, .tools/cassandra41).
# Usage: bash scripts/tools.sh [NAME ...]   names: ocb helm victoria-metrics vmalert telemetrygen cassandra cassandra41 jaeger
#
# Every tool is built once per machine into a cache OUTSIDE the clone, keyed by name and version:
#   ${MIRADOR_CACHE:-$HOME/.cache/mirador}/tools/<name>-<version>/
# and then hard-linked (or copied) into .tools/, so a fresh clone on the same machine takes seconds.
# A stamp (the recipe's fingerprint) next to each copy lets a re-run skip all work. Versions and
# recipes are explained, with the measured times, in docs/tools.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RECIPES="$ROOT/scripts/tools"
DEST="$ROOT/.tools"
CACHE="${MIRADOR_CACHE:-$HOME/.cache/mirador}/tools"

# The Go proxy here serves an allow-list and its checksum database knows only some modules (docs/tools.md);
# VCS stamping needs a git checkout of the module, which a module-cache build does not have.
export GOSUMDB=off GOFLAGS=-buildvcs=false

# Install order: ocb and helm first (other engineers wait on them), the slow jaeger build last.
ALL=(ocb helm victoria-metrics vmalert telemetrygen cassandra cassandra41 jaeger)

# ---- pinned versions -------------------------------------------------------------------------------
OCB_VERSION=v0.144.0
HELM_VERSION=v3.22.0
VM_VERSION=v1.151.0             # v1.152+ need Go 1.27
TELEMETRYGEN_VERSION=v0.157.0   # the only telemetrygen version the proxy serves
JAEGER_MODULE_VERSION=v1.76.0   # the jaeger module's v1 tag; the same release is Jaeger v2.13.0
JAEGER_VERSION=v2.13.0
CASSANDRA_VERSION=5.0.9
CASSANDRA41_VERSION=4.1.10      # the newest 4.1 on Maven Central; cassandra_logs must work without SAI

# ---- per-tool recipes --------------------------------------------------------------------------------
# Each tool defines: version, expected cold time, the files it installs, a fingerprint of its
# recipe (a changed recipe rebuilds even at the same version) and a build function that fills $OUT.
tool_version() {
  case "$1" in
    ocb) echo "$OCB_VERSION" ;; helm) echo "$HELM_VERSION" ;; victoria-metrics | vmalert) echo "$VM_VERSION" ;;
    telemetrygen) echo "$TELEMETRYGEN_VERSION" ;;
    jaeger) echo "$JAEGER_VERSION" ;; cassandra) echo "$CASSANDRA_VERSION" ;; cassandra41) echo "$CASSANDRA41_VERSION" ;;
  esac
}
# Expected build time with cold Go/Maven caches on this 2-core machine (docs/tools.md); with warm
# Go build and module caches every tool is a link step of a few seconds to ~25 s.
cold_time() {
  case "$1" in
    ocb) echo "25 s" ;; helm) echo "2-4 min" ;; victoria-metrics | vmalert) echo "1 min" ;; telemetrygen) echo "1 min" ;;
    jaeger) echo "4 min, far longer under load" ;; cassandra | cassandra41) echo "20 s" ;;
  esac
}
# Go-built tools land as .tools/bin/<name>; cassandra and cassandra41 as .tools/<name>/{lib,conf}.
is_go_tool() { [ "$1" != cassandra ] && [ "$1" != cassandra41 ]; }

helm_ldflags() {
  # What helm's Makefile sets for a release build: the version, and the Kubernetes version that
  # `helm template`/`helm lint` assume (client-go v0.X.Y -> 1.X; without it helm assumes v1.20.0).
  local gomod client_minor
  gomod=$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  client_minor=$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod")
  [ -n "$client_minor" ] || { echo "cannot read k8s.io/client-go from $gomod" >&2; return 1; }
  local p=helm.sh/helm/v3
  echo "-s -w -X $p/internal/version.version=$HELM_VERSION -X $p/internal/version.gitTreeState=clean" \
       "-X $p/pkg/chartutil.k8sVersionMajor=1 -X $p/pkg/chartutil.k8sVersionMinor=$client_minor" \
       "-X $p/pkg/lint/rules.k8sVersionMajor=1 -X $p/pkg/lint/rules.k8sVersionMinor=$client_minor"
}
VM_BUILDINFO=github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version

fingerprint() {
  local name=$1 v
  v=$(tool_version "$name")
  case "$name" in
    ocb) echo "ocb $v go-install" ;;
    helm) echo "helm $v cgo0 ldflags-version+k8s" ;;
    victoria-metrics) echo "vm $v cgo0 ldflags-version" ;;
    vmalert) echo "vmalert $v cgo0 ldflags-version" ;;
    telemetrygen) echo "telemetrygen $v cgo0" ;;
    jaeger) echo "$name $v cgo0 $(cat "$RECIPES/$name/go.mod" "$RECIPES/$name/go.sum" | sha256sum | cut -c1-16)" ;;
    cassandra | cassandra41) echo "$name $v $(cat "$RECIPES/$name/pom.xml" "$RECIPES/$name"/conf/* | sha256sum | cut -c1-16)" ;;
  esac
}

# Prints the build command (for the progress log and for failures), then runs it. $OUT is the
# cache directory being filled; Go's module and build caches are already outside the clone.
run() { printf '+ %s\n' "$*"; "$@"; }

build_ocb() {
  GOBIN="$OUT" run go install "go.opentelemetry.io/collector/cmd/builder@$OCB_VERSION"
  mv "$OUT/builder" "$OUT/ocb"
}
build_helm() {
  local ldflags; ldflags=$(helm_ldflags)
  CGO_ENABLED=0 GOBIN="$OUT" run go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}
build_victoria-metrics() {
  CGO_ENABLED=0 GOBIN="$OUT" run go install -ldflags "-s -w -X $VM_BUILDINFO=victoria-metrics-$VM_VERSION" \
    "github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics@$VM_VERSION"
}
# vmalert (alerting rules over VictoriaMetrics; docs/alerting.md and its test): the same module and version.
build_vmalert() {
  CGO_ENABLED=0 GOBIN="$OUT" run go install -ldflags "-s -w -X $VM_BUILDINFO=vmalert-$VM_VERSION" \
    "github.com/VictoriaMetrics/VictoriaMetrics/app/vmalert@$VM_VERSION"
}
build_telemetrygen() {
  CGO_ENABLED=0 GOBIN="$OUT" run go install -ldflags "-s -w" \
    "github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@$TELEMETRYGEN_VERSION"
}
# Wrapper modules build from a temporary copy so nothing is ever written into the clone;
# the committed go.sum is complete, so the default -mod=readonly build needs no network for sums.
build_wrapper() {
  local name=$1 pkg=$2 ldflags=$3 tmp
  tmp=$(mktemp -d)
  cp "$RECIPES/$name/go.mod" "$RECIPES/$name/go.sum" "$tmp/"
  local status=0
  (cd "$tmp" && CGO_ENABLED=0 run go build -ldflags "$ldflags" -o "$OUT/$name" "$pkg") || status=$?
  rm -rf "$tmp"; return $status
}
build_jaeger() {
  build_wrapper jaeger github.com/jaegertracing/jaeger/cmd/jaeger \
    "-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_VERSION"
}
build_cassandra() { build_cassandra_jars cassandra; }
# Cassandra 4.1 runs on Java 17 only with jamm as its agent and more opened modules: the launcher
# (src/backends/cassandra.ts) adds them; the recipe is the same.
build_cassandra41() { build_cassandra_jars cassandra41; }
build_cassandra_jars() {
  local name=$1
  # cassandra-all and its runtime dependencies from Maven Central (Maven's own cache is ~/.m2).
  run mvn -B -q -Dstyle.color=never -f "$RECIPES/$name/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$OUT/lib" -Dmdep.overWriteIfNewer=true
  mkdir -p "$OUT/conf" && cp "$RECIPES/$name"/conf/* "$OUT/conf/"
  local n; n=$(find "$OUT/lib" -name '*.jar' | wc -l)
  [ "$n" -ge 50 ] || { echo "only $n jars copied to $OUT/lib" >&2; return 1; }
  echo "$n jars"
}

# ---- install machinery ---------------------------------------------------------------------------
# Installs $2 (a file or directory in the cache) at $3 by hard links, falling back to a copy
# across file systems; replaced atomically so a running tool never sees a half-written file.
place() {
  local src=$1 dst=$2 tmp="$2.tmp.$$"
  rm -rf "$tmp"
  cp -al "$src" "$tmp" 2>/dev/null || cp -a "$src" "$tmp"
  rm -rf "$dst" && mv "$tmp" "$dst"
}

installed_paths() {
  if is_go_tool "$1"; then echo "$DEST/bin/$1"; else echo "$DEST/$1"; fi
}

FAILED=()
OUT=""
trap '[ -z "$OUT" ] || rm -rf "$OUT"' EXIT   # an interrupted build leaves no half-filled cache dir
trap 'exit 130' INT TERM
install_tool() {
  local name=$1 version fp cdir stamp_dest
  version=$(tool_version "$name")
  fp=$(fingerprint "$name")
  cdir="$CACHE/$name-$version"
  stamp_dest="$DEST/stamps/$name"
  local label; label=$(printf '%-17s %-12s' "$name" "${version:0:12}")

  # Fast path: already installed from this exact recipe.
  if [ -e "$(installed_paths "$name")" ] && [ "$(cat "$stamp_dest" 2>/dev/null)" = "$fp" ]; then
    echo "  $label cached"; return 0
  fi

  mkdir -p "$CACHE" "$DEST/bin" "$DEST/stamps"
  # One builder per tool per machine: a parallel tools.sh (another clone, another test run)
  # waits here and then finds the cache filled.
  exec {lock}>"$CACHE/$name.lock"
  if ! flock -n "$lock"; then
    echo "  $label waiting for another tools.sh building it ..."; flock "$lock"
  fi

  local start=$SECONDS from=cache
  if [ "$(cat "$cdir/.stamp" 2>/dev/null)" != "$fp" ]; then
    from=build
    printf '  %s building (cold ~%s) ... ' "$label" "$(cold_time "$name")"
    local log="$CACHE/logs/$name-$version.log"
    mkdir -p "$CACHE/logs"
    OUT="$cdir.tmp.$$"; rm -rf "$OUT"; mkdir -p "$OUT"
    local status=0
    set +e; ( set -e; "build_$name" ) >"$log" 2>&1; status=$?; set -e   # (set -e is void inside `if`)
    if [ $status -ne 0 ]; then
      rm -rf "$OUT"; OUT=""; exec {lock}>&-
      echo "FAILED after $((SECONDS - start)) s"
      echo "  !! $name $version failed. Command:" >&2
      grep '^+ ' "$log" | tail -1 | sed 's/^+ /     /' >&2
      echo "  !! last lines of $log:" >&2
      tail -n 25 "$log" | sed 's/^/     | /' >&2
      FAILED+=("$name"); return 0
    fi
    echo "$fp" >"$OUT/.stamp"
    rm -rf "$cdir" && mv "$OUT" "$cdir"; OUT=""
  fi
  exec {lock}>&-

  if is_go_tool "$name"; then
    place "$cdir/$name" "$DEST/bin/$name"
  else
    mkdir -p "$DEST/$name"
    place "$cdir/lib" "$DEST/$name/lib"
    place "$cdir/conf" "$DEST/$name/conf"
  fi
  echo "$fp" >"$stamp_dest"
  if [ $from = build ]; then echo "done in $((SECONDS - start)) s"; else echo "  $label installed from $cdir"; fi
}

# ---- main ------------------------------------------------------------------------------------------
names=("$@"); [ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")
for n in "${names[@]}"; do
  case " ${ALL[*]} " in *" $n "*) ;; *)
    if [ "$n" = victoria-traces ]; then
      echo "tools.sh: victoria-traces cannot be installed here (the Go proxy answers 403 for it); use jaeger (docs/tools.md)" >&2
    else
      echo "tools.sh: unknown tool '$n' (known: ${ALL[*]})" >&2
    fi
    exit 2 ;;
  esac
done
for n in "${names[@]}"; do install_tool "$n"; done
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "tools.sh: failed: ${FAILED[*]} (logs in $CACHE/logs)" >&2; exit 1
fi
