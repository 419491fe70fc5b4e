# Host state: what the cluster changes, recorded before start and restored at stop.
# `snapshot` prints it in a stable text form so a test can compare before and after.

# Kernel settings that the CNI bridge (ip_forward), the kubelet (vm/kernel panics, keys) and
# kube-proxy (conntrack) change, plus the per-interface settings ip_forward rewrites.
host_sysctl_keys() {
  printf '%s\n' net.ipv4.ip_forward net.ipv6.conf.all.forwarding vm.overcommit_memory \
    vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys \
    kernel.keys.root_maxbytes net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables \
    net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established \
    net.netfilter.nf_conntrack_tcp_timeout_close_wait net.netfilter.nf_conntrack_udp_timeout \
    net.netfilter.nf_conntrack_udp_timeout_stream net.netfilter.nf_conntrack_tcp_be_liberal
  local dev
  for dev in all default $(ls /proc/sys/net/ipv4/conf | grep -v -e '^all$' -e '^default$' -e '^veth' -e "^$BRIDGE\$"); do
    printf 'net.ipv4.conf.%s.%s\n' "$dev" forwarding route_localnet rp_filter accept_local send_redirects
  done
}

host_sysctls() {
  local k
  while read -r k; do
    printf '%s = %s\n' "$k" "$(sysctl -n "$k" 2>/dev/null || echo '<absent>')"
  done < <(host_sysctl_keys | sort -u)
}

host_mounts() { awk '{for (i = 7; i <= NF; i++) if ($i == "-") {print $5, $(i + 1); break}}' /proc/self/mountinfo | sort; }

# The machine's own session manager (process_api) creates and removes cgroups of its own all
# the time: they are neither the cluster's nor stable, so they are left out.
host_cgroups() { find /sys/fs/cgroup -mindepth 2 -type d -not -path '*/process_api*' 2>/dev/null | sort; }

host_nft_tables() { nft list tables 2>/dev/null | sed 's/^table //' | sort; }

# host_our_processes: processes running one of the cluster's programs.
host_our_processes() {
  local pid exe
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || continue
    case "$exe" in
      "$BIN"/*|/usr/bin/containerd|/usr/bin/containerd-shim*|/usr/sbin/runc) echo "$pid $exe" ;;
    esac
  done
}

# host_snapshot: the host's state as far as the cluster touches it, in a stable text form.
host_snapshot() {
  echo "## sysctl"; host_sysctls
  echo "## nft ruleset"; nft list ruleset 2>/dev/null
  echo "## links"; ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort
  echo "## addresses"; ip -o addr show | awk '{print $2, $3, $4}' | sort
  echo "## routes"; ip route show table all | sort
  echo "## mounts"; host_mounts
  echo "## cgroups"; host_cgroups
  echo "## fixed paths"
  local p
  for p in "${FIXED_PATHS[@]}"; do if [ -e "$p" ] || [ -L "$p" ]; then echo "$p present"; else echo "$p absent"; fi; done
  echo "## cluster processes"; host_our_processes | awk '{print $2}' | sort | uniq -c
}

# host_record DIR: saves what host_restore needs. Called once per start, before any change.
host_record() {
  local dir=$1 t
  mkdir -p "$dir/nft"
  host_sysctls > "$dir/sysctl"
  host_mounts > "$dir/mounts"
  host_cgroups > "$dir/cgroups"
  host_nft_tables > "$dir/nft-tables"
  while read -r t; do
    [ -n "$t" ] && nft list table $t > "$dir/nft/${t// /_}.nft"
  done < "$dir/nft-tables"
  ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort > "$dir/links"
  : > "$dir/paths"
  for t in "${FIXED_PATHS[@]}"; do { [ -e "$t" ] || [ -L "$t" ]; } && echo "$t" >> "$dir/paths"; done
  return 0
}

# host_restore DIR: undoes the cluster's changes to the host. Processes must be stopped first.
host_restore() {
  local dir=$1 m t k v cur p
  [ -d "$dir" ] || { echo "no record of the host before start ($dir): cleaning up what is known" >&2; }

  # Mounts: container rootfs overlays, network namespaces, kubelet volumes (deepest first).
  while read -r m; do
    case "$m" in "$K"/*|/run/containerd/*|/run/netns/*|/var/lib/kubelet/*|/var/lib/containerd/*) ;; *) continue ;; esac
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "could not unmount $m" >&2
  done < <(comm -13 <(sort "$dir/mounts" 2>/dev/null) <(host_mounts) | awk '{print $1}' | sort -r)

  # Network links: the pod bridge and any host-side veth left behind.
  for t in $(comm -13 "$dir/links" <(ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort) 2>/dev/null); do
    case "$t" in "$BRIDGE"|veth*) ip link delete "$t" 2>/dev/null || true ;; esac
  done
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link delete "$BRIDGE"

  # nftables: drop tables the cluster created (ours, kube-proxy's, the kubelet's iptables-nft
  # ones) and put back any pre-existing table it changed.
  while read -r t; do
    [ -n "$t" ] || continue
    if grep -qxF "$t" "$dir/nft-tables" 2>/dev/null; then
      if ! diff -q <(nft list table $t) "$dir/nft/${t// /_}.nft" >/dev/null; then
        nft delete table $t && nft -f "$dir/nft/${t// /_}.nft"
      fi
    elif [ -d "$dir" ] || [ "$t" = "ip $NFT_TABLE" ] || [[ "$t" == *" kube-proxy" ]]; then
      nft delete table $t
    fi
  done < <(host_nft_tables)

  # Kernel settings: ip_forward first, since writing it resets every interface's forwarding.
  [ -f "$dir/sysctl" ] && { host_restore_sysctls "$dir/sysctl" first; host_restore_sysctls "$dir/sysctl" rest; }

  # cgroups the kubelet and containerd created (deepest first; they are empty by now).
  if [ -f "$dir/cgroups" ]; then
    for t in $(comm -13 "$dir/cgroups" <(host_cgroups) | sort -r); do
      rmdir "$t" 2>/dev/null || echo "could not remove cgroup $t" >&2
    done
  fi

  # Fixed paths that did not exist before start.
  for p in "${FIXED_PATHS[@]}"; do
    if { [ -e "$p" ] || [ -L "$p" ]; } && ! grep -qxF "$p" "$dir/paths" 2>/dev/null; then
      [ -f "$dir/paths" ] || [[ "$p" == /run/containerd || "$p" == /run/netns || "$p" == /var/lib/cni ]] || continue
      rm -rf "$p"
    fi
  done
}

# host_restore_sysctls FILE first|rest: writes back recorded values that differ now.
host_restore_sysctls() {
  local k _eq v cur
  while read -r k _eq v; do
    if [ "$2" = first ]; then [ "$k" = net.ipv4.ip_forward ] || continue; else [ "$k" != net.ipv4.ip_forward ] || continue; fi
    [ "$v" = '<absent>' ] && continue
    cur="$(sysctl -n "$k" 2>/dev/null)" || continue
    [ "$cur" = "$v" ] || sysctl -q -w "$k=$v" >/dev/null 2>&1 || echo "could not restore $k=$v" >&2
  done < "$1"
}
