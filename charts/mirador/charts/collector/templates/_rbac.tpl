{{- define "collector.rbac" -}}
---
# The loadbalancing exporter's k8s resolver watches the target Services' endpoints: namespaced read
# access to endpoints and endpointslices is all it needs. Nothing cluster-wide.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ include "collector.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "collector.labels" . | nindent 4 }}
rules:
  - apiGroups: [""]
    resources: [endpoints]
    verbs: [get, list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ include "collector.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "collector.labels" . | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ include "collector.fullname" . }}
subjects:
  - kind: ServiceAccount
    name: {{ include "collector.fullname" . }}
    namespace: {{ .Release.Namespace }}
{{- end -}}
