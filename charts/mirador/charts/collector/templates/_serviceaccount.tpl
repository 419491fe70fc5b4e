{{- define "collector.serviceaccount" -}}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "collector.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "collector.labels" . | nindent 4 }}
# Only components with a k8s-resolver exporter use the API (through their Role); the others get no token.
automountServiceAccountToken: {{ .rbac }}
{{- end -}}
