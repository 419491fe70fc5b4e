{{/*
The collector chart renders one component. The mirador umbrella calls "collector.manifests" with a
context dict, because a component's config depends on its siblings (routes to disabled components
are removed), which a subchart cannot see:
  Values     this component's values (collector defaults + the umbrella's section)
  component  gateway | servicegraph | spanmetrics | isolationforest
  config     the final collector config (YAML text)
  rbac       true when an exporter uses the k8s resolver (needs a Role on endpoints/endpointslices)
  env        extra container env (list) contributed by the umbrella (e.g. Cassandra credentials)
  gomemlimit GOMEMLIMIT derived from the final config (empty: none; extraEnv may set its own)
  healthPath the health_check extension's path, which the probes call
  defaultImage  the umbrella's image (repository, tag, pullPolicy) for empty image fields
  tlsSecret, tlsMountPath  the Secret mounted (at tlsMountPath) when the collectors talk TLS
  Release, Chart, Capabilities
*/}}

{{- define "collector.fullname" -}}
{{- printf "%s-%s" .Release.Name .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* "true" when the component keeps state on a volume per pod (isolationforest's persistence):
     it then runs as a StatefulSet behind a headless Service of its own. */}}
{{- define "collector.persistent" -}}
{{- if and (kindIs "map" .Values.persistence) .Values.persistence.enabled -}}true{{- end -}}
{{- end -}}

{{/* The StatefulSet's governing (headless) Service: it gives each pod a stable DNS name,
     <pod>.<this>.<namespace>, which the load-balancing exporters use as the pod's identity. */}}
{{- define "collector.headlessName" -}}
{{- printf "%s-%s" .Release.Name .component | trunc 54 | trimSuffix "-" -}}-headless
{{- end -}}

{{- define "collector.selectorLabels" -}}
app.kubernetes.io/name: mirador
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "collector.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 }}
{{ include "collector.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mirador
{{- end -}}

{{- define "collector.image" -}}
{{- $repo := .Values.image.repository | default .defaultImage.repository -}}
{{- $tag := .Values.image.tag | default .defaultImage.tag | default .Chart.AppVersion | toString -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}

{{- define "collector.pullPolicy" -}}
{{- .Values.image.pullPolicy | default .defaultImage.pullPolicy | default "IfNotPresent" -}}
{{- end -}}

{{- define "collector.manifests" -}}
{{ include "collector.serviceaccount" . }}
{{ include "collector.configmap" . }}
{{ include "collector.deployment" . }}
{{ include "collector.service" . }}
{{- if .rbac }}
{{ include "collector.rbac" . }}
{{- end }}
{{- if .Values.podDisruptionBudget.enabled }}
{{ include "collector.pdb" . }}
{{- end }}
{{- if and .Values.autoscaling .Values.autoscaling.enabled }}
{{ include "collector.hpa" . }}
{{- end }}
{{- if .Values.networkPolicy.enabled }}
{{ include "collector.networkpolicy" . }}
{{- end }}
{{- if .Values.serviceMonitor.enabled }}
{{ include "collector.servicemonitor" . }}
{{- end }}
{{- end -}}
