#!/usr/bin/env bash
# `npm run cluster [-- start|stop|up|down|status|snapshot]`: a real single-node Kubernetes on this
# machine, built from the Go module proxy (docs/k8s.md). start builds (cached) and starts etcd, the control plane, containerd,
# the kubelet, kube-proxy and CoreDNS, and writes .tools/k8s/kubeconfig; stop ends them all and
# restores the host (nft rules, sysctls, cgroups, mounts, links, fixed /run and /var paths),
# also after a failed start. up is start plus the whole product on it (images, VictoriaMetrics,
# Jaeger, Cassandra on the host, helm install: scripts/cluster/deploy.ts) and prints where to
# look; down removes all of that and stops. snapshot prints the host state that stop restores
# (for tests); expose NAMESPACE/NAME PORT publishes a loopback host service (Cassandra) to the pods.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$CLUSTER_DIR/lib/host.sh"
source "$CLUSTER_DIR/lib/pki.sh"
source "$CLUSTER_DIR/lib/config.sh"
source "$CLUSTER_DIR/lib/images.sh"

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (it starts a kubelet and changes nft rules)"; }

# pid_alive NAME: the component's recorded process still runs our binary.
pid_alive() {
  local pid
  pid="$(cat "$RUN/$1.pid" 2>/dev/null)" || return 1
  [ -n "$pid" ] && [ -e "/proc/$pid/exe" ] || return 1
  case "$(readlink "/proc/$pid/exe")" in "$BIN/$1"|/usr/bin/$1) return 0 ;; *) return 1 ;; esac
}

# launch NAME PROGRAM ARGS...: starts a component in its own session (it outlives this
# script), logging to $LOGS/NAME.log.
launch() {
  local name=$1; shift
  mkdir -p "$LOGS"
  printf '\n==== %s start %s\n' "$name" "$(date -u +%FT%TZ)" >> "$LOGS/$name.log"
  setsid "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
  fail_point "$name"
}

# fail_point NAME: fails the start here when MIRADOR_K8S_FAIL_AFTER=NAME, for the test that a
# start failing half-way leaves the host as it was.
fail_point() {
  if [ "${MIRADOR_K8S_FAIL_AFTER:-}" = "$1" ]; then
    echo "cluster: failing on purpose after starting $1 (MIRADOR_K8S_FAIL_AFTER)" >&2
    return 1
  fi
}

# stop_components NAME...: SIGTERM to all of them at once, SIGKILL to any left after 10 s.
stop_components() {
  local name pid pids=() i
  for name in "$@"; do
    if pid_alive "$name"; then pid="$(cat "$RUN/$name.pid")"; kill -TERM "$pid" 2>/dev/null && pids+=("$pid"); fi
    rm -f "$RUN/$name.pid"
  done
  for i in $(seq 1 100); do
    for pid in "${pids[@]}"; do [ -e "/proc/$pid" ] && break; done
    [ -e "/proc/${pid:-0}" ] || return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  return 0
}

ensure_packages() {
  local missing=()
  command -v containerd >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v conntrack >/dev/null || missing+=(conntrack)
  command -v nft >/dev/null || missing+=(nftables)
  [ ${#missing[@]} -eq 0 ] && return
  say "installing ${missing[*]} from Debian"
  # policy-rc.d 101: the packages must not start their own daemons.
  local policy=/usr/sbin/policy-rc.d created=0
  [ -e $policy ] || { printf '#!/bin/sh\nexit 101\n' > $policy; chmod +x $policy; created=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >"$LOGS/apt.log" 2>&1 \
    || { apt-get update >>"$LOGS/apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOGS/apt.log" 2>&1; } \
    || { [ $created = 1 ] && rm -f $policy; die "apt-get install ${missing[*]} failed; see $LOGS/apt.log"; }
  [ $created = 1 ] && rm -f $policy
  return 0
}

check_ports_free() {
  local p busy=()
  for p in $ETCD_PORT $ETCD_PEER_PORT $API_PORT $CM_PORT $SCHED_PORT $KUBELET_PORT $KUBELET_HEALTHZ_PORT $PROXY_METRICS_PORT $PROXY_HEALTHZ_PORT; do
    ss -Hltn "sport = :$p" | grep -q . && busy+=("$p")
  done
  [ ${#busy[@]} -eq 0 ] || die "port(s) ${busy[*]} on this machine are already in use; stop what holds them (ss -ltnp) before starting the cluster"
}

api_ready() { curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "https://127.0.0.1:$API_PORT/readyz" >/dev/null; }

all_running() {
  local c
  for c in "${COMPONENTS[@]}"; do pid_alive "$c" || return 1; done
  api_ready
}

start() {
  need_root
  local t0=$SECONDS ip
  if [ -d "$RUN" ] && all_running; then
    say "the cluster is already running"
    status
    return 0
  fi
  if [ -d "$RUN" ]; then
    say "a previous cluster was not stopped cleanly: stopping what is left first"
    stop
  fi
  mkdir -p "$K" "$LOGS"
  ensure_packages
  bash "$CLUSTER_DIR/build.sh"
  check_ports_free
  ip="$(node_ip)"
  mkdir -p "$RUN"
  host_record "$RUN/host-before"
  # From here on, a failure stops everything started so far and restores the host.
  trap 'echo "cluster: start failed; stopping what was started and restoring the host (logs in $LOGS)" >&2; stop >&2' ERR
  trap 'echo "cluster: start interrupted; stopping what was started and restoring the host" >&2; trap - ERR; stop >&2; exit 130' INT TERM
  pki_ensure "$ip"
  config_write "$ip"

  say "etcd on 127.0.0.1:$ETCD_PORT"
  # Plain HTTP is confined to loopback; the data lives and dies with this run.
  launch etcd "$BIN/etcd" --name mirador --data-dir "$RUN/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "mirador=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
    --quota-backend-bytes 2147483648 --log-level warn
  wait_until 30 "etcd health" curl -sf "http://127.0.0.1:$ETCD_PORT/health"

  say "kube-apiserver on 127.0.0.1:$API_PORT (advertising $ip)"
  launch kube-apiserver "$BIN/kube-apiserver" --bind-address 127.0.0.1 --secure-port "$API_PORT" \
    --advertise-address "$ip" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --service-cluster-ip-range "$SVC_CIDR" --cert-dir "$RUN/apiserver" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" --client-ca-file "$PKI/ca.crt" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction --allow-privileged=false \
    --profiling=false --event-ttl 1h
  wait_until 60 "kube-apiserver /readyz" api_ready

  say "kube-controller-manager and kube-scheduler"
  launch kube-controller-manager "$BIN/kube-controller-manager" --bind-address 127.0.0.1 --secure-port "$CM_PORT" \
    --kubeconfig "$PKI/controller-manager.kubeconfig" --authentication-kubeconfig "$PKI/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$PKI/controller-manager.kubeconfig" --cert-dir "$RUN/controller-manager" \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" --use-service-account-credentials \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --service-cluster-ip-range "$SVC_CIDR" --cluster-cidr "$POD_CIDR" --allocate-node-cidrs=false --leader-elect=false \
    --profiling=false
  launch kube-scheduler "$BIN/kube-scheduler" --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" \
    --kubeconfig "$PKI/scheduler.kubeconfig" --authentication-kubeconfig "$PKI/scheduler.kubeconfig" \
    --authorization-kubeconfig "$PKI/scheduler.kubeconfig" --leader-elect=false --profiling=false

  say "pod network: bridge $BRIDGE ($POD_CIDR), nft table $NFT_TABLE"
  # Made before the CNI plugin would, so route_localnet can be set on this bridge only.
  ip link add "$BRIDGE" type bridge
  ip link set "$BRIDGE" up
  sysctl -q -w "net.ipv4.conf.$BRIDGE.route_localnet=1"
  config_nft "$ip"

  say "containerd ($CTRD_SOCK)"
  launch containerd /usr/bin/containerd --config "$RUN/containerd.toml"
  wait_until 30 "containerd" ctr --address "$CTRD_SOCK" version
  # containerd's image store is kept across runs (.tools/k8s/containerd): import only what is new.
  image_cluster_base
  image_import "$IMAGES/pause.tar" "$IMAGES/coredns.tar"
  shopt -s nullglob; local apps=("$IMAGES"/app-*.tar); shopt -u nullglob
  [ ${#apps[@]} -eq 0 ] || image_import "${apps[@]}"  # from npm run build:image, if any

  say "kubelet (node $NODE_NAME, 127.0.0.1:$KUBELET_PORT) and kube-proxy (nftables)"
  launch kubelet "$BIN/kubelet" --config "$RUN/kubelet.yaml" --kubeconfig "$PKI/kubelet.kubeconfig" \
    --root-dir "$RUN/kubelet" --cert-dir "$RUN/kubelet/pki" --hostname-override "$NODE_NAME" --node-ip "$ip"
  launch kube-proxy "$BIN/kube-proxy" --config "$RUN/kube-proxy.yaml"
  wait_until 90 "node $NODE_NAME Ready" \
    bash -c "'$BIN/kubectl' --kubeconfig '$KUBECONFIG_ADMIN' get node $NODE_NAME -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"

  say "CoreDNS ($DNS_SVC_IP)"
  sed -e "s|__COREDNS_IMAGE__|$COREDNS_IMAGE|" -e "s|__DNS_SVC_IP__|$DNS_SVC_IP|" "$CLUSTER_DIR/manifests/coredns.yaml" \
    | kubectl_admin apply -f - >/dev/null
  kubectl_admin -n kube-system rollout status deploy/coredns --timeout=120s >/dev/null
  fail_point coredns
  wait_until 60 "default ServiceAccount" kubectl_admin -n default get serviceaccount default
  trap - ERR INT TERM
  say "cluster ready in $((SECONDS - t0)) s"
  status
}

status() {
  local c pid
  echo "components (logs in $LOGS):"
  for c in "${COMPONENTS[@]}"; do
    if pid_alive "$c"; then pid="$(cat "$RUN/$c.pid")"; printf '  %-24s pid %-7s rss %s MiB\n' "$c" "$pid" "$(( $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024 ))"
    else printf '  %-24s not running\n' "$c"; fi
  done
  all_running || return 1
  echo "listeners: etcd 127.0.0.1:$ETCD_PORT, apiserver 127.0.0.1:$API_PORT, kubelet 127.0.0.1:$KUBELET_PORT"
  echo "pods $POD_CIDR on $BRIDGE, services $SVC_CIDR, DNS $DNS_SVC_IP"
  echo "kubeconfig: $KUBECONFIG_ADMIN   (export KUBECONFIG=$KUBECONFIG_ADMIN; kubectl is $BIN/kubectl)"
  kubectl_admin get nodes -o wide
  kubectl_admin get pods -A
}

stop() {
  need_root
  trap - ERR
  if [ ! -d "$RUN" ] && [ -z "$(host_our_processes)" ] && ! ip link show "$BRIDGE" >/dev/null 2>&1 \
    && ! nft list table ip "$NFT_TABLE" >/dev/null 2>&1; then
    echo "the cluster is not running: nothing to stop"
    return 0
  fi
  set +e
  say "stopping the cluster"
  stop_components kube-proxy kubelet
  if pid_alive containerd; then
    # Containers first, while containerd still answers; then their shims end with them.
    local id
    for id in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks delete --force "$id" >/dev/null 2>&1; done
    for id in $(ctr_k8s containers ls -q 2>/dev/null); do ctr_k8s containers delete "$id" >/dev/null 2>&1; done
  fi
  stop_components containerd kube-scheduler kube-controller-manager kube-apiserver
  stop_components etcd
  # Anything still running from the cluster: container processes in the kubelet's cgroups,
  # shims of our containerd socket.
  local pid cg
  for cg in $(find /sys/fs/cgroup -path '*kubepods*' -name cgroup.procs 2>/dev/null); do
    for pid in $(cat "$cg" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  done
  for pid in $(pgrep -f "containerd-shim.*-address $CTRD_SOCK" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  sleep 0.5
  host_restore "$RUN/host-before"
  rm -rf "$RUN"
  set -e
  say "stopped; host restored"
}

# expose NAMESPACE/NAME PORT: publishes a host service listening on 127.0.0.1:PORT to the pods
# as the selector-less Service NAMESPACE/NAME with the same port (for Cassandra on the host).
expose() {
  local ref=${1:-} port=${2:-} ns name svc_ip
  [[ "$ref" == */* && "$port" =~ ^[0-9]+$ ]] || die "usage: cluster.sh expose NAMESPACE/NAME PORT"
  all_running || die "the cluster is not running (npm run cluster)"
  ns=${ref%%/*}; name=${ref#*/}
  kubectl_admin create namespace "$ns" --dry-run=client -o yaml | kubectl_admin apply -f - >/dev/null
  kubectl_admin apply -f - >/dev/null <<EOT
apiVersion: v1
kind: Service
metadata:
  name: $name
  namespace: $ns
  labels: {app.kubernetes.io/managed-by: mirador-cluster}
  annotations: {mirador.dev/host-port: "$port"}
spec:
  type: ClusterIP
  ports: [{name: tcp, port: $port, protocol: TCP}]
EOT
  svc_ip="$(kubectl_admin -n "$ns" get service "$name" -o jsonpath='{.spec.clusterIP}')"
  nft add element ip "$NFT_TABLE" exposed "{ $svc_ip . $port }"
  nft add element ip "$NFT_TABLE" exposed_ports "{ $port }"
  echo "$name.$ns.svc.cluster.local:$port ($svc_ip:$port) -> 127.0.0.1:$port"
}

# unexpose NAMESPACE/NAME: removes what expose made.
unexpose() {
  local ref=${1:-} ns name svc_ip port
  [[ "$ref" == */* ]] || die "usage: cluster.sh unexpose NAMESPACE/NAME"
  ns=${ref%%/*}; name=${ref#*/}
  svc_ip="$(kubectl_admin -n "$ns" get service "$name" -o jsonpath='{.spec.clusterIP}' 2>/dev/null)" || return 0
  port="$(kubectl_admin -n "$ns" get service "$name" -o jsonpath='{.spec.ports[0].port}')"
  nft delete element ip "$NFT_TABLE" exposed "{ $svc_ip . $port }" 2>/dev/null || true
  nft delete element ip "$NFT_TABLE" exposed_ports "{ $port }" 2>/dev/null || true
  kubectl_admin -n "$ns" delete service "$name" --ignore-not-found >/dev/null
}

# deploy up|down: the product on the running cluster (TypeScript, src/harness/local-k8s.ts).
deploy() { (cd "$ROOT" && node scripts/run-ts.mjs scripts/cluster/deploy.ts "$1"); }

up() {
  need_root
  bash "$ROOT/scripts/ensure.sh" deps tools wasm collector
  start
  deploy up
}

down() {
  need_root
  # The release and the host's Cassandra first, while the API server still answers.
  if [ -f "$ROOT/node_modules/.package-lock.json" ]; then deploy down || echo "cluster: removing the release failed (above); stopping the cluster anyway" >&2; fi
  stop
}

cmd="${1:-start}"
case "$cmd" in
  expose) expose "${@:2}" ;;
  unexpose) unexpose "${@:2}" ;;
  start) start ;;
  stop) stop ;;
  up) up ;;
  down) down ;;
  status) [ -d "$RUN" ] || { echo "the cluster is not running"; exit 1; }; status ;;
  snapshot) host_snapshot ;;
  *) die "unknown command '$cmd' (start, stop, up, down, status, snapshot, expose, unexpose)" ;;
esac
