{{- define "collector.networkpolicy" -}}
---
# Ingress to the OTLP and metrics ports only: from this release's own collectors (the gateway
# feeds the others, servicegraph and spanmetrics feed isolationforest) and from allowIngressFrom.
# Egress is not restricted (backends live wherever you run them).
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "collector.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "collector.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "collector.selectorLabels" . | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: mirador
              app.kubernetes.io/instance: {{ .Release.Name }}
        {{- with .Values.networkPolicy.allowIngressFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - port: otlp-grpc
          protocol: TCP
        - port: otlp-http
          protocol: TCP
        - port: metrics
          protocol: TCP
{{- end -}}
