# OCI images from static binaries (scripts/cluster/imagebuilder), imported into the cluster's
# containerd. No Docker engine, no registry.

# image_build ARCHIVE REF mirador-image-args...: (re)writes ARCHIVE when the image differs.
# Images are reproducible (fixed timestamps), so an unchanged binary leaves ARCHIVE untouched
# and image_import skips it.
image_build() {
  local out=$1 ref=$2; shift 2
  mkdir -p "$(dirname "$out")"
  "$BIN/mirador-image" --ref "$ref" --out "$out.new" "$@"
  if cmp -s "$out.new" "$out"; then rm -f "$out.new"; else mv -f "$out.new" "$out"; fi
}

# image_import ARCHIVE...: into containerd's k8s.io namespace, where the kubelet looks. The
# store outlives the cluster (.tools/k8s/containerd), so an archive already imported is skipped.
image_import() {
  local a stamp
  for a in "$@"; do
    stamp="$CTRD_ROOT/imported-$(basename "$a")"
    [ "$stamp" -nt "$a" ] && continue
    ctr_k8s images import "$a" >/dev/null
    touch "$stamp"
  done
}

# image_present REF: containerd already holds REF.
image_present() { ctr_k8s images ls -q 2>/dev/null | grep -qxF "$1"; }

# image_files PROGRAM DST: --file arguments for PROGRAM at DST in the image, plus the shared
# libraries it loads when it is not static (Debian's curl), at their host paths.
image_files() {
  local prog=$1 dst=$2 lib
  printf -- '--file\n%s=%s\n' "$prog" "$dst"
  if ldd "$prog" >/dev/null 2>&1; then
    for lib in $(ldd "$prog" | grep -o '/[^ ]*' | sort -u); do printf -- '--file\n%s=%s\n' "$lib" "$lib"; done
  fi
}

# image_is_static PROGRAM
image_is_static() { ! ldd "$1" >/dev/null 2>&1; }

# image_cluster_base: the images the cluster itself needs (pod sandbox, DNS).
image_cluster_base() {
  # The images change only when their binaries do; rebuilding takes about a second.
  image_build "$IMAGES/pause.tar" "$PAUSE_IMAGE" --file "$BIN/pause=/pause" --entrypoint /pause --user 65535:65535
  image_build "$IMAGES/coredns.tar" "$COREDNS_IMAGE" --file "$BIN/coredns=/coredns" --entrypoint /coredns \
    --user 65532:65532 --port 1053/udp --port 1053/tcp
}
