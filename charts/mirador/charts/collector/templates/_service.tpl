{{- define "collector.service" -}}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "collector.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "collector.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "collector.selectorLabels" . | nindent 4 }}
  ports:
    - name: otlp-grpc
      port: {{ .Values.ports.otlpGrpc }}
      targetPort: otlp-grpc
      protocol: TCP
      appProtocol: grpc
    - name: otlp-http
      port: {{ .Values.ports.otlpHttp }}
      targetPort: otlp-http
      protocol: TCP
      appProtocol: http
    - name: metrics
      port: {{ .Values.ports.metrics }}
      targetPort: metrics
      protocol: TCP
{{- end -}}
