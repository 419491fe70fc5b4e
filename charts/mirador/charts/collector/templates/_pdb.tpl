{{- define "collector.pdb" -}}
{{- $pdb := .Values.podDisruptionBudget -}}
{{- /* minAvailable, when set, wins over the default maxUnavailable */}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "collector.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "collector.labels" . | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" $pdb.minAvailable) }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $pdb.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "collector.selectorLabels" . | nindent 6 }}
{{- end -}}
