# The cluster's PKI (openssl): one CA, a serving certificate for the API server and the
# kubelet, client certificates per component, the service-account key pair, and a
# kubeconfig per client. Kept in .tools/k8s/pki and remade when the node address changes.

# pki_sign NAME SUBJECT [SAN]: an EC P-256 key and a CA-signed certificate for client and server use.
pki_sign() {
  local name=$1 subj=$2 san=${3:-}
  local ext="keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth"
  [ -n "$san" ] && ext+=$'\n'"subjectAltName=$san"
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 825 -extfile <(printf '%s\n' "$ext") -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr"
}

# pki_kubeconfig NAME: a self-contained kubeconfig for the client certificate NAME.
pki_kubeconfig() {
  local name=$1 out=${2:-$PKI/$1.kubeconfig}
  cat > "$out" <<KC
apiVersion: v1
kind: Config
clusters:
- name: mirador
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 < "$PKI/ca.crt")
users:
- name: $name
  user:
    client-certificate-data: $(base64 -w0 < "$PKI/$name.crt")
    client-key-data: $(base64 -w0 < "$PKI/$name.key")
contexts:
- name: mirador
  context: {cluster: mirador, user: $name}
current-context: mirador
KC
  chmod 600 "$out"
}

pki_ensure() {
  local ip=$1
  if [ -f "$PKI/ca.crt" ] && [ "$(cat "$PKI/node-ip" 2>/dev/null)" = "$ip" ] && [ -f "$PKI/admin.kubeconfig" ]; then
    cp -f "$PKI/admin.kubeconfig" "$KUBECONFIG_ADMIN"
    return
  fi
  say "PKI in $PKI (node address $ip)"
  rm -rf "$PKI"; mkdir -p "$PKI"; chmod 700 "$PKI"
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -subj "/CN=mirador-k8s-ca" -days 3650 2>/dev/null
  pki_sign apiserver "/CN=kube-apiserver" \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$API_SVC_IP,IP:$ip"
  pki_sign kubelet-serving "/CN=$NODE_NAME" "DNS:$NODE_NAME,DNS:localhost,IP:127.0.0.1,IP:$ip"
  pki_sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  pki_sign admin "/O=system:masters/CN=mirador-admin"
  pki_sign controller-manager "/CN=system:kube-controller-manager"
  pki_sign scheduler "/CN=system:kube-scheduler"
  pki_sign kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  pki_sign kube-proxy "/CN=system:kube-proxy"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  local c
  for c in admin controller-manager scheduler kubelet kube-proxy; do pki_kubeconfig "$c"; done
  echo "$ip" > "$PKI/node-ip"
  cp -f "$PKI/admin.kubeconfig" "$KUBECONFIG_ADMIN"
}
