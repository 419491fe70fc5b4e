# Shared settings of the local cluster (sourced by cluster.sh and build-image.sh).
# Everything it creates lives under .tools/k8s; the few fixed host paths that containerd,
# the kubelet and the CNI plugins insist on are recorded before start and removed at stop.
CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$CLUSTER_DIR/../.." && pwd)"
K="$ROOT/.tools/k8s"
BIN="$K/bin"          # built binaries (copied from the cache outside the clone)
PKI="$K/pki"          # CA, certificates, component kubeconfigs (kept across runs)
RUN="$K/run"          # everything of one running cluster: etcd data, sockets, pids (removed at stop)
LOGS="$K/logs"        # component logs (kept after stop for diagnosis)
IMAGES="$K/images"    # OCI archives imported into containerd
CTRD_ROOT="$K/containerd"  # containerd's content store: imported images survive a stop
KUBECONFIG_ADMIN="$K/kubeconfig"
CTRD_SOCK="$RUN/containerd.sock"

NODE_NAME=mirador-node
POD_CIDR=10.244.0.0/24
SVC_CIDR=10.0.0.0/24
API_SVC_IP=10.0.0.1
DNS_SVC_IP=10.0.0.10
BRIDGE=mirbr0
NFT_TABLE=mirador_k8s
PAUSE_IMAGE=registry.k8s.io/pause:3.10
COREDNS_IMAGE=mirador.local/coredns:v1.12.1
# Images of `npm run build:image` (pullPolicy Never: mirador.local is no registry).
OTELCOL_IMAGE=mirador.local/otelcol-mirador:local
VM_IMAGE=mirador.local/victoria-metrics:local
JAEGER_IMAGE=mirador.local/jaeger:local
CURL_IMAGE=mirador.local/curl:local

# Host listeners, all on 127.0.0.1.
ETCD_PORT=2379
ETCD_PEER_PORT=2380
API_PORT=6443
CM_PORT=10257
SCHED_PORT=10259
KUBELET_PORT=10250
KUBELET_HEALTHZ_PORT=10248
PROXY_METRICS_PORT=10249
PROXY_HEALTHZ_PORT=10256

# Fixed host paths the components may create whatever we configure; recorded, and removed at
# stop when they did not exist before start.
FIXED_PATHS=(/run/containerd /var/lib/containerd /opt/containerd /run/netns /var/lib/cni /etc/cni
  /opt/cni /var/log/pods /var/log/containers /var/lib/kubelet /etc/kubernetes /run/runc
  /var/lib/etcd /var/run/kubernetes /run/xtables.lock /var/lib/kube-proxy)

# The components ordered for start; stop runs the reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

# node_ip: the outside interface's IPv4 address. The API server advertises it (loopback is
# rejected) and the kubelet registers it, but nothing listens on it.
node_ip() {
  if [ -n "${MIRADOR_K8S_NODE_IP:-}" ]; then echo "$MIRADOR_K8S_NODE_IP"; return; fi
  local dev
  dev="$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}')"
  [ -n "$dev" ] || die "no default route: set MIRADOR_K8S_NODE_IP to this machine's outside IPv4 address"
  ip -4 -o addr show dev "$dev" | awk '{split($4, a, "/"); print a[1]; exit}'
}

kubectl_admin() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
ctr_k8s() { ctr --address "$CTRD_SOCK" --namespace k8s.io "$@"; }

# wait_until SECONDS LABEL CMD...: polls CMD every 0.3 s.
wait_until() {
  local limit=$1 label=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "timed out after ${limit}s waiting for $label" >&2; return 1; }
    sleep 0.3
  done
}
