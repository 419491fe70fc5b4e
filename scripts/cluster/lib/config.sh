# Configuration files of one cluster run, written into $RUN.

config_write() {
  local ip=$1
  mkdir -p "$RUN/cni/net.d" "$RUN/kubelet" "$RUN/pod-logs" "$CTRD_ROOT"
  # The pods' fallback resolver: nothing outside the cluster is ever asked.
  echo "nameserver 127.0.0.1" > "$RUN/resolv.conf"

  cat > "$RUN/containerd.toml" <<EOT
version = 2
root = "$CTRD_ROOT"
state = "$RUN/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$RUN/containerd-ttrpc.sock"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTRD_ROOT/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # root here lacks CAP_SYS_RESOURCE: never ask for an oom_score_adj below containerd's own.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$RUN/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$RUN/cni/net.d"
    max_conf_num = 1
EOT

  # One bridge, host-local addresses, no masquerade: pod traffic never leaves the machine.
  cat > "$RUN/cni/net.d/10-mirador.conflist" <<EOT
{
  "cniVersion": "1.0.0",
  "name": "mirador",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$RUN/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOT

  cat > "$RUN/kubelet.yaml" <<EOT
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$CTRD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
clusterDomain: cluster.local
clusterDNS: [$DNS_SVC_IP]
resolvConf: $RUN/resolv.conf
podLogsDir: $RUN/pod-logs
failSwapOn: false
# root here lacks CAP_SYS_RESOURCE, so the kubelet cannot lower its own oom_score_adj.
oomScoreAdj: 0
# nftables kube-proxy needs none of the kubelet's iptables chains: keep the host cleaner.
makeIPTablesUtilChains: false
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}
maxPods: 110
EOT

  cat > "$RUN/kube-proxy.yaml" <<EOT
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $PKI/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: nftables
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
# Zero leaves the host's conntrack settings as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s, udpTimeout: 0s, udpStreamTimeout: 0s}
EOT
}

# nft rules of the cluster, in a table of its own so that stop removes them in one go:
#  - pods reach the API server (127.0.0.1:6443) at the kubernetes Service address: a DNAT ahead
#    of kube-proxy's (priority -110, kube-proxy's nat chains use -100), which needs route_localnet on the bridge only;
#  - the same for host services on loopback that `cluster.sh expose` publishes as a Service
#    (set `exposed`: Service IP . port, the host port being the same);
#  - the API server calls the kubelet at the node address: redirected to the loopback kubelet;
#  - the bridge turns on ip_forward: forwarding between the pod bridge and any other interface
#    is dropped, and pods may open connections to the host only through the DNATs above.
config_nft() {
  local ip=$1
  nft -f - <<EOT
table ip $NFT_TABLE {
  set exposed {
    type ipv4_addr . inet_service
  }
  set exposed_ports {
    type inet_service
  }
  chain prerouting {
    type nat hook prerouting priority -110; policy accept;
    iifname "$BRIDGE" ip daddr $API_SVC_IP tcp dport 443 dnat to 127.0.0.1:$API_PORT
    iifname "$BRIDGE" ip daddr . tcp dport @exposed dnat to 127.0.0.1
  }
  chain output {
    type nat hook output priority -110; policy accept;
    ip daddr $ip tcp dport $KUBELET_PORT redirect to :$KUBELET_PORT
    ip daddr . tcp dport @exposed dnat to 127.0.0.1
  }
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    iifname "$BRIDGE" oifname != "$BRIDGE" drop
    iifname != "$BRIDGE" oifname "$BRIDGE" drop
  }
  chain input {
    type filter hook input priority filter - 10; policy accept;
    iifname "$BRIDGE" ct state established,related accept
    iifname "$BRIDGE" ip daddr 127.0.0.1 tcp dport $API_PORT accept
    iifname "$BRIDGE" ip daddr 127.0.0.1 tcp dport @exposed_ports accept
    iifname "$BRIDGE" drop
  }
}
EOT
}
