{{/*
Topology and default collector configs. Each "mirador.config.<component>" returns YAML text of that
component's default config; templates/collectors.yaml merges the component's `config` value over it.
Routes exist only to enabled components. Arguments: dict "root" $ "v" <component values> "name" <component>.
*/}}

{{- define "mirador.components" -}}gateway servicegraph spanmetrics isolationforest{{- end -}}

{{/* "true" when the component is enabled. Args: list $ name */}}
{{- define "mirador.enabled" -}}
{{- $root := index . 0 -}}{{- $c := index $root.Values (index . 1) -}}
{{- if and $c $c.enabled -}}true{{- end -}}
{{- end -}}

{{- define "mirador.serviceName" -}}
{{- printf "%s-%s" .root.Release.Name .target | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fails early, naming the value, when the topology cannot work. */}}
{{- define "mirador.checkTopology" -}}
{{- $writer := .Values.backends.victoriaTraces.exportedBy -}}
{{- if and (ne $writer "none") (not (include "mirador.enabled" (list . $writer))) -}}
{{- fail (printf "backends.victoriaTraces.exportedBy=%s, but %s.enabled=false: choose an enabled component or none" $writer $writer) -}}
{{- end -}}
{{- if and .Values.loadBalancing.tls.enabled (not .Values.loadBalancing.tls.secretName) -}}
{{- fail "loadBalancing.tls.enabled=true needs loadBalancing.tls.secretName (a Secret with ca.crt, tls.crt, tls.key)" -}}
{{- end -}}
{{- end -}}

{{/* sending_queue of a component's exporters: on file_storage when its persistentQueue is enabled. */}}
{{- define "mirador.queue" -}}
{{- if .v.persistentQueue.enabled -}}
sending_queue:
  enabled: true
  storage: file_storage/queue
  queue_size: {{ .root.Values.queue.queue_size }}
  num_consumers: {{ .root.Values.queue.num_consumers }}
retry_on_failure:
  enabled: true
  # persisted data is retried until the backend takes it
  max_elapsed_time: 0s
{{- else -}}
sending_queue:
  enabled: true
  queue_size: {{ .root.Values.queue.queue_size }}
  num_consumers: {{ .root.Values.queue.num_consumers }}
retry_on_failure:
  enabled: true
{{- end -}}
{{- end -}}

{{/* A loadbalancing exporter to a target component. Args: dict root v target routingKey */}}
{{- define "mirador.lbExporter" -}}
{{- $r := .root -}}{{- $lb := $r.Values.loadBalancing -}}
{{- $targetValues := index $r.Values .target -}}
routing_key: {{ .routingKey }}
timeout: {{ $lb.timeout }}
{{- /* Queue and retry live at this level, in front of the per-endpoint sub-exporters: a failed batch
     comes back here and is re-routed over the current endpoints (a pod that left is skipped).
     Only this queue can be persistent (the sub-exporters would share one storage). */}}
{{ include "mirador.queue" . }}
protocol:
  otlp:
    timeout: {{ $lb.timeout }}
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
    tls:
      {{- if $lb.tls.enabled }}
      insecure: false
      ca_file: {{ $lb.tls.mountPath }}/ca.crt
      {{- if $lb.tls.mutual }}
      cert_file: {{ $lb.tls.mountPath }}/tls.crt
      key_file: {{ $lb.tls.mountPath }}/tls.key
      {{- end }}
      server_name_override: {{ $lb.tls.serverName | default (printf "%s.%s.svc" (include "mirador.serviceName" .) $r.Release.Namespace) }}
      insecure_skip_verify: {{ $lb.tls.insecureSkipVerify }}
      {{- else }}
      insecure: true
      {{- end }}
resolver:
  {{- if eq $lb.resolver "k8s" }}
  k8s:
    service: {{ printf "%s.%s" (include "mirador.serviceName" .) $r.Release.Namespace }}
    ports: [{{ $targetValues.ports.otlpGrpc }}]
  {{- else }}
  {{- $hosts := index $lb.static .target }}
  {{- if not $hosts }}
  {{- fail (printf "loadBalancing.static.%s must list host:port targets when loadBalancing.resolver=static and %s is enabled" .target .target) }}
  {{- end }}
  static:
    hostnames:
      {{- toYaml $hosts | nindent 6 }}
  {{- end }}
{{- end -}}

{{/* otlp_http exporter to VictoriaMetrics. Args: dict root v */}}
{{- define "mirador.vmExporter" -}}
{{- $b := .root.Values.backends.victoriaMetrics -}}
metrics_endpoint: {{ $b.endpoint | quote }}
compression: {{ $b.compression }}
{{- with $b.headers }}
headers:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{ include "mirador.queue" . }}
{{- end -}}

{{/* otlp_http exporter to VictoriaTraces. Args: dict root v */}}
{{- define "mirador.vtExporter" -}}
{{- $b := .root.Values.backends.victoriaTraces -}}
traces_endpoint: {{ $b.endpoint | quote }}
compression: {{ $b.compression }}
{{- with $b.headers }}
headers:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{ include "mirador.queue" . }}
{{- end -}}

{{/* The parts every component shares: receivers, health check, queue storage, telemetry. */}}
{{- define "mirador.config.base" -}}
{{- $r := .root -}}{{- $v := .v -}}{{- $host := $r.Values.listenHost -}}
{{- $tls := and $r.Values.loadBalancing.tls.enabled (ne .name "gateway") -}}
extensions:
  health_check:
    endpoint: "{{ $host }}:{{ $v.ports.healthCheck }}"
  {{- if $v.persistentQueue.enabled }}
  file_storage/queue:
    directory: {{ $v.persistentQueue.directory | quote }}
    create_directory: true
    # reclaim disk after a backlog drained; compaction writes next to the queue (root fs is read-only)
    compaction:
      on_rebound: true
      directory: {{ $v.persistentQueue.directory | quote }}
  {{- end }}
receivers:
  otlp:
    protocols:
      {{- range $proto, $port := dict "grpc" $v.ports.otlpGrpc "http" $v.ports.otlpHttp }}
      {{ $proto }}:
        endpoint: "{{ $host }}:{{ $port }}"
        {{- if $tls }}
        {{- /* internal components receive from the load-balancing exporters: serve TLS */}}
        {{- $dir := $r.Values.loadBalancing.tls.mountPath }}
        tls:
          cert_file: {{ $dir }}/tls.crt
          key_file: {{ $dir }}/tls.key
          {{- if $r.Values.loadBalancing.tls.mutual }}
          client_ca_file: {{ $dir }}/ca.crt
          {{- end }}
        {{- end }}
      {{- end }}
processors:
  memory_limiter:
    {{- toYaml $r.Values.memoryLimiter | nindent 4 }}
  batch:
    {{- toYaml $r.Values.batch | nindent 4 }}
service:
  extensions: [health_check{{ if $v.persistentQueue.enabled }}, file_storage/queue{{ end }}]
  telemetry:
    logs:
      level: info
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: "{{ $host }}"
                port: {{ $v.ports.metrics }}
{{- end -}}

{{/* traces/store: the one pipeline that writes traces (sampled when sampling.enabled). */}}
{{- define "mirador.addTraceStore" -}}
{{- $r := .root -}}
{{- if eq $r.Values.backends.victoriaTraces.exportedBy .name -}}
{{- $_ := set .cfg.exporters "otlp_http/victoriatraces" (include "mirador.vtExporter" . | fromYaml) -}}
{{- $procs := list "memory_limiter" -}}
{{- if $r.Values.sampling.enabled -}}
{{- $_ := set .cfg.processors "probabilistic_sampler" (dict "sampling_percentage" $r.Values.sampling.percentage) -}}
{{- $procs = append $procs "probabilistic_sampler" -}}
{{- end -}}
{{- $_ := set .cfg.service.pipelines "traces/store" (dict "receivers" (list "otlp") "processors" (append $procs "batch") "exporters" (list "otlp_http/victoriatraces")) -}}
{{- end -}}
{{- end -}}

{{/* Where derived metrics go: isolationforest when enabled (and wanted), else VictoriaMetrics. */}}
{{- define "mirador.addMetricsOut" -}}
{{- if and (include "mirador.enabled" (list .root "isolationforest")) .viaIF -}}
{{- $_ := set .cfg.exporters "loadbalancing/isolationforest" (include "mirador.lbExporter" (merge (dict "target" "isolationforest" "routingKey" .root.Values.loadBalancing.metricsRoutingKey) .) | fromYaml) -}}
loadbalancing/isolationforest
{{- else -}}
{{- $_ := set .cfg.exporters "otlp_http/victoriametrics" (include "mirador.vmExporter" . | fromYaml) -}}
otlp_http/victoriametrics
{{- end -}}
{{- end -}}

{{- define "mirador.config.gateway" -}}
{{- $r := .root -}}
{{- $cfg := include "mirador.config.base" . | fromYaml -}}
{{- $_ := set $cfg "exporters" dict -}}
{{- $_ := set $cfg.service "pipelines" dict -}}
{{- $ctx := merge (dict "cfg" $cfg) . -}}
{{- $std := list "memory_limiter" "batch" -}}
{{- /* traces: servicegraph pairs client and server spans in memory, so a trace must reach one
     replica (traceID); spanmetrics keeps a service's series on one replica (service). */}}
{{- $tracesOut := list -}}
{{- range $target, $key := dict "servicegraph" "traceID" "spanmetrics" "service" -}}
{{- if include "mirador.enabled" (list $r $target) -}}
{{- $_ := set $cfg.exporters (printf "loadbalancing/%s" $target) (include "mirador.lbExporter" (merge (dict "target" $target "routingKey" $key) $ctx) | fromYaml) -}}
{{- $tracesOut = append $tracesOut (printf "loadbalancing/%s" $target) -}}
{{- end -}}
{{- end -}}
{{- if $tracesOut -}}
{{- $_ := set $cfg.service.pipelines "traces" (dict "receivers" (list "otlp") "processors" $std "exporters" $tracesOut) -}}
{{- end -}}
{{- include "mirador.addTraceStore" $ctx -}}
{{- $metricsOut := include "mirador.addMetricsOut" (merge (dict "viaIF" true) $ctx) -}}
{{- $_ := set $cfg.service.pipelines "metrics" (dict "receivers" (list "otlp") "processors" $std "exporters" (list $metricsOut)) -}}
{{- $logs := $r.Values.backends.logs -}}
{{- if eq $logs.exporter "cassandra_logs" -}}
{{- $_ := set $cfg.exporters "cassandra_logs" (include "mirador.cassandraExporter" $ctx | fromYaml) -}}
{{- else -}}
{{- $_ := set $cfg.exporters "otlp_grpc/logs" (merge (dict "endpoint" $logs.otlp.endpoint "tls" $logs.otlp.tls) (include "mirador.queue" $ctx | fromYaml)) -}}
{{- end -}}
{{- $_ := set $cfg.service.pipelines "logs" (dict "receivers" (list "otlp") "processors" $std "exporters" (list (ternary "cassandra_logs" "otlp_grpc/logs" (eq $logs.exporter "cassandra_logs")))) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{- define "mirador.cassandraExporter" -}}
{{- $c := .root.Values.backends.cassandra -}}
endpoints:
  {{- toYaml $c.endpoints | nindent 2 }}
keyspace: {{ $c.keyspace }}
table: {{ $c.table }}
replication:
  class: {{ $c.replication.class }}
  {{- if eq $c.replication.class "NetworkTopologyStrategy" }}
  {{- if not $c.replication.datacenters }}
  {{- fail "backends.cassandra.replication.datacenters must map each datacenter to a replica count for NetworkTopologyStrategy" }}
  {{- end }}
  datacenters:
    {{- toYaml $c.replication.datacenters | nindent 4 }}
  {{- else }}
  replication_factor: {{ $c.replication.replication_factor | default 1 }}
  {{- end }}
ttl: {{ $c.ttl }}
{{- with $c.consistency }}
consistency: {{ . }}
{{- end }}
trace_id_index: {{ $c.traceIdIndex }}
{{- if $c.auth.existingSecret }}
auth:
  username: ${env:CASSANDRA_USERNAME}
  password: ${env:CASSANDRA_PASSWORD}
{{- end }}
{{- with $c.tls }}
tls:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{ include "mirador.queue" . }}
{{- end -}}

{{- define "mirador.config.servicegraph" -}}
{{- $r := .root -}}
{{- $cfg := include "mirador.config.base" . | fromYaml -}}
{{- $_ := set $cfg "exporters" dict -}}
{{- $_ := set $cfg.service "pipelines" dict -}}
{{- $ctx := merge (dict "cfg" $cfg) . -}}
{{- $_ := set $cfg "connectors" (dict "servicegraph" (dict
      "store" (dict "ttl" "10s" "max_items" 10000)
      "metrics_flush_interval" "15s")) -}}
{{- $_ := set $cfg.service.pipelines "traces" (dict "receivers" (list "otlp") "processors" (list "memory_limiter" "batch") "exporters" (list "servicegraph")) -}}
{{- include "mirador.addTraceStore" $ctx -}}
{{- $out := include "mirador.addMetricsOut" (merge (dict "viaIF" (eq .v.metricsVia "isolationforest")) $ctx) -}}
{{- $_ := set $cfg.service.pipelines "metrics" (dict "receivers" (list "servicegraph") "processors" (list "batch") "exporters" (list $out)) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{- define "mirador.config.spanmetrics" -}}
{{- $r := .root -}}
{{- $cfg := include "mirador.config.base" . | fromYaml -}}
{{- $_ := set $cfg "exporters" dict -}}
{{- $_ := set $cfg.service "pipelines" dict -}}
{{- $ctx := merge (dict "cfg" $cfg) . -}}
{{- $_ := set $cfg "connectors" (dict "spanmetrics" (dict
      "metrics_flush_interval" "15s"
      "metrics_expiration" "5m"
      "aggregation_temporality" "AGGREGATION_TEMPORALITY_CUMULATIVE")) -}}
{{- $_ := set $cfg.service.pipelines "traces" (dict "receivers" (list "otlp") "processors" (list "memory_limiter" "batch") "exporters" (list "spanmetrics")) -}}
{{- include "mirador.addTraceStore" $ctx -}}
{{- $out := include "mirador.addMetricsOut" (merge (dict "viaIF" true) $ctx) -}}
{{- $_ := set $cfg.service.pipelines "metrics" (dict "receivers" (list "spanmetrics") "processors" (list "batch") "exporters" (list $out)) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{- define "mirador.config.isolationforest" -}}
{{- $r := .root -}}
{{- $cfg := include "mirador.config.base" . | fromYaml -}}
{{- $_ := set $cfg "exporters" (dict "otlp_http/victoriametrics" (include "mirador.vmExporter" . | fromYaml)) -}}
{{- $_ := set $cfg.processors "isolationforest" (deepCopy .v.processor) -}}
{{- $_ := set $cfg.service "pipelines" (dict "metrics" (dict "receivers" (list "otlp") "processors" (list "memory_limiter" "isolationforest" "batch") "exporters" (list "otlp_http/victoriametrics"))) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* Container env the umbrella adds to a component (Cassandra credentials for the gateway). */}}
{{- define "mirador.env" -}}
{{- $auth := .root.Values.backends.cassandra.auth -}}
{{- if and (eq .name "gateway") (eq .root.Values.backends.logs.exporter "cassandra_logs") $auth.existingSecret -}}
- name: CASSANDRA_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $auth.existingSecret }}
      key: {{ $auth.usernameKey }}
- name: CASSANDRA_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $auth.existingSecret }}
      key: {{ $auth.passwordKey }}
{{- end -}}
{{- end -}}
