#!/usr/bin/env bash
# `npm run build:image`: OCI images without a Docker engine (go-containerregistry, see
# scripts/cluster/imagebuilder), imported into the local cluster's containerd when it runs:
#   mirador.local/otelcol-mirador:local   the layout of collector-builder/Dockerfile: build/otelcol-mirador
#                                         (static, CGO off) at /otelcol-mirador, CA certificates, USER 10001,
#                                         CMD --config /etc/otelcol-mirador/config.yaml
#   mirador.local/victoria-metrics:local  .tools/bin/victoria-metrics   (backend pods of test/k8s)
#   mirador.local/jaeger:local            .tools/bin/jaeger
#   mirador.local/curl:local              Debian's curl and its libraries (the chart's `helm test` pod)
# Archives land in .tools/k8s/images; `npm run cluster` must be running for the import
# (otherwise the archives are only written, and this says so).
# Usage: scripts/build-image.sh [collector|backends|curl ...]   (default: all)
set -euo pipefail
source "$(dirname "$0")/cluster/lib/common.sh"
source "$CLUSTER_DIR/lib/images.sh"
cd "$ROOT"
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(collector backends curl)
bash "$CLUSTER_DIR/build.sh" imagebuilder >/dev/null
built=()

collector_image() {
  local bin=build/otelcol-mirador
  if [ ! -x "$bin" ]; then
    say "$bin is missing: building it (bash scripts/ensure.sh wasm collector)"
    bash scripts/ensure.sh wasm collector
  fi
  image_is_static "$bin" || die "$bin is dynamically linked; the image holds nothing else: build it with CGO_ENABLED=0"
  local certs=/etc/ssl/certs/ca-certificates.crt
  [ -f "$certs" ] || die "$certs is missing (apt-get install ca-certificates): the image carries it like the Dockerfile's"
  image_build "$IMAGES/app-otelcol-mirador.tar" "$OTELCOL_IMAGE" --file "$bin=/otelcol-mirador" \
    --file "$certs=$certs" --entrypoint /otelcol-mirador --cmd --config --cmd /etc/otelcol-mirador/config.yaml \
    --user 10001:10001 --port 4317/tcp --port 4318/tcp --port 8888/tcp --port 13133/tcp
  built+=("$IMAGES/app-otelcol-mirador.tar=$OTELCOL_IMAGE")
}

backend_image() {
  local name=$1 ref=$2 bin=.tools/bin/$1
  [ -x "$bin" ] || die "$bin is missing: run bash scripts/tools.sh $name"
  local files
  mapfile -t files < <(image_files "$bin" "/$name")
  image_build "$IMAGES/app-$name.tar" "$ref" "${files[@]}" --entrypoint "/$name" --user 10001:10001 --dir /tmp:1777
  built+=("$IMAGES/app-$name.tar=$ref")
}

curl_image() {
  local bin files
  bin="$(command -v curl)" || die "curl is missing on this machine (apt-get install curl)"
  mapfile -t files < <(image_files "$bin" /usr/bin/curl)
  image_build "$IMAGES/app-curl.tar" "$CURL_IMAGE" "${files[@]}" --entrypoint /usr/bin/curl --user 10001:10001
  built+=("$IMAGES/app-curl.tar=$CURL_IMAGE")
}

for t in "${targets[@]}"; do
  case "$t" in
    collector) say "image $OTELCOL_IMAGE"; collector_image ;;
    backends) say "images $VM_IMAGE, $JAEGER_IMAGE"; backend_image victoria-metrics "$VM_IMAGE"; backend_image jaeger "$JAEGER_IMAGE" ;;
    curl) say "image $CURL_IMAGE"; curl_image ;;
    *) die "unknown image '$t' (collector, backends, curl)" ;;
  esac
done

if ctr --address "$CTRD_SOCK" version >/dev/null 2>&1; then
  say "importing into the cluster's containerd (namespace k8s.io)"
  for b in "${built[@]}"; do
    start=$SECONDS
    image_import "${b%%=*}"
    printf '  %-40s %4s MiB  %s s\n' "${b#*=}" "$(( $(stat -c %s "${b%%=*}") / 1048576 ))" "$((SECONDS - start))"
  done
else
  echo "the cluster is not running: archives written to $IMAGES; npm run cluster imports them when it starts"
fi
