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
{{- if include "collector.persistent" . }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "collector.headlessName" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "collector.labels" . | nindent 4 }}
spec:
  clusterIP: None
  # a pod's DNS name resolves as soon as it has an address (the load balancers dial it by name;
  # they retry until its receiver listens)
  publishNotReadyAddresses: true
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
{{- end }}
{{- end -}}
