{{- define "collector.configmap" -}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "collector.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "collector.labels" . | nindent 4 }}
data:
  # The whole collector config, one clean YAML document under a fixed key.
  relay.yaml: |
    {{- .config | nindent 4 }}
{{- end -}}
