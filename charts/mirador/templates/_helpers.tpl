{{/*
Topology and default collector configs. Each "mirador.config.<component>" returns YAML text of that
component's default config; "mirador.config.final" (_config.tpl) applies the component's `config`
value to it. Routes exist only to enabled components.
Arguments: dict "root" $ "v" <component values> "name" <component> "roles" <backend overrides, _config.tpl>.
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
{{- /* v0.144.0's exporters take a retry block with zero intervals literally: a retry loop without
     backoff (measured: 22,764 retries in 60 s). */}}
{{- $initial := include "mirador.seconds" (dict "value" .Values.retry.initial_interval "key" "retry.initial_interval") | float64 -}}
{{- $maxInterval := include "mirador.seconds" (dict "value" .Values.retry.max_interval "key" "retry.max_interval") | float64 -}}
{{- if le $initial 0.0 -}}
{{- fail (printf "retry.initial_interval=%s: retries need a backoff; write a positive duration such as 1s" .Values.retry.initial_interval) -}}
{{- end -}}
{{- if lt $maxInterval $initial -}}
{{- fail (printf "retry.max_interval=%s is shorter than retry.initial_interval=%s: write a max_interval of at least %s" .Values.retry.max_interval .Values.retry.initial_interval .Values.retry.initial_interval) -}}
{{- end -}}
{{- end -}}

{{/* A Go duration ("1h30m", "500ms", "0s", "0") in seconds, printed as JSON; fails naming `key`.
     Args: dict value key */}}
{{- define "mirador.seconds" -}}
{{- $s := toString .value -}}
{{- if not (regexMatch "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$|^0$" $s) -}}
{{- fail (printf "%s=%s is not a Go duration: write e.g. 500ms, 10s, 5m, 1h30m" .key $s) -}}
{{- end -}}
{{- $unit := dict "ns" 1e-9 "us" 1e-6 "µs" 1e-6 "ms" 1e-3 "s" 1.0 "m" 60.0 "h" 3600.0 -}}
{{- $total := 0.0 -}}
{{- range $part := regexFindAll "[0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h)" $s -1 -}}
{{- $num := regexFind "^[0-9]+(\\.[0-9]+)?" $part -}}
{{- $total = addf $total (mulf (float64 $num) (index $unit (trimPrefix $num $part))) -}}
{{- end -}}
{{- $total | toJson -}}
{{- end -}}

{{/* A Kubernetes quantity (512Mi, 1G, 1e9, 1.5Gi, 1000000) in bytes, printed as JSON; fails naming
     `key`. The grammar is Kubernetes' (resource.Quantity); values.schema.json's "quantity" pattern
     is the same, and test/chart checks the two agree. Args: dict value key */}}
{{- define "mirador.quantityBytes" -}}
{{- $q := toString .value -}}
{{- if not (regexMatch "^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE]|[eE][+-]?[0-9]+)?$" $q) -}}
{{- fail (printf "%s=%q is not a Kubernetes quantity: write e.g. 512Mi, 2Gi, 1G or 1e9" .key $q) -}}
{{- end -}}
{{- $num := regexFind "^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)" $q -}}
{{- $suffix := trimPrefix $num $q -}}
{{- $mult := dict "" 1.0 "m" 1e-3 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "P" 1e15 "E" 1e18 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0 -}}
{{- $factor := 1.0 -}}
{{- if hasKey $mult $suffix -}}
{{- $factor = index $mult $suffix -}}
{{- else -}}
{{- /* decimal exponent: e<n> */}}
{{- /* float64 first: int "09" would read an octal number */}}
{{- $exp := int (float64 (trimPrefix "+" (substr 1 (len $suffix) $suffix))) -}}
{{- range $i := until (ternary $exp (sub 0 $exp) (ge $exp 0) | int) -}}
{{- $factor = ternary (mulf $factor 10.0) (divf $factor 10.0) (gt $exp 0) -}}
{{- end -}}
{{- end -}}
{{- mulf (float64 (trimPrefix "+" $num)) $factor | toJson -}}
{{- end -}}

{{/* retry_on_failure of every exporter: the `retry` values, explicit (never the zero defaults). */}}
{{- define "mirador.retry" -}}
retry_on_failure:
  enabled: true
  {{- toYaml .root.Values.retry | nindent 2 }}
{{- end -}}

{{/* sending_queue and retry of a backend exporter: on file_storage when the component's
     persistentQueue is enabled, in memory otherwise. */}}
{{- define "mirador.queue" -}}
sending_queue:
  enabled: true
  {{- if .v.persistentQueue.enabled }}
  storage: file_storage/queue
  {{- end }}
  queue_size: {{ .root.Values.queue.queue_size }}
  num_consumers: {{ .root.Values.queue.num_consumers }}
{{ include "mirador.retry" . }}
{{- end -}}

{{/* A loadbalancing exporter to a target component. Args: dict root v target routingKey */}}
{{- define "mirador.lbExporter" -}}
{{- $r := .root -}}{{- $lb := $r.Values.loadBalancing -}}
{{- $targetValues := index $r.Values .target -}}
routing_key: {{ .routingKey }}
timeout: {{ $lb.timeout }}
{{- /* v0.144.0's load-balancing exporter splits a request by target and returns one error for the
     whole request when any target fails: a queue and retry at this level would re-send the parts the
     healthy targets already took (duplicates). So queue and retry live in the per-target
     sub-exporters below (one memory queue each; a persistent queue there would be shared by every
     target), and this level passes each request straight through. */}}
sending_queue:
  enabled: false
retry_on_failure:
  enabled: false
protocol:
  otlp:
    timeout: {{ $lb.timeout }}
    sending_queue:
      enabled: true
      queue_size: {{ $r.Values.queue.queue_size }}
      {{- /* isolationforest judges each point against the series' previous one and passes a point
           older than that unscored (out of order): one request at a time per target keeps a
           series' points in order (measured on the local cluster with 10 consumers: 5.7% of the
           points reached their pod out of order and went unscored) */}}
      num_consumers: {{ ternary 1 $r.Values.queue.num_consumers (eq .target "isolationforest") }}
    {{- include "mirador.retry" . | nindent 4 }}
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
  {{- if and (eq $lb.resolver "k8s") (dig "persistence" "enabled" false $targetValues) (not (dig "autoscaling" "enabled" false $targetValues)) }}
  {{- /* A StatefulSet of a fixed size: its pods by their stable DNS names, listed. Unlike the
       k8s resolver, which drops a pod's endpoint (and what its sub-exporter still queues) when
       the pod object is deleted, a listed name stays: while its pod restarts, requests for it
       wait in its queue and retry until it is back (a rollout under load lost 0.16-0.24% of
       the points in two of five runs with the k8s resolver). The names follow replicaCount. */}}
  static:
    hostnames:
      {{- $pod := include "mirador.serviceName" . }}
      {{- $headless := include "collector.headlessName" (dict "Release" $r.Release "component" .target) }}
      {{- range $i := until (int $targetValues.replicaCount) }}
      - {{ printf "%s-%d.%s.%s:%v" $pod $i $headless $r.Release.Namespace $targetValues.ports.otlpGrpc }}
      {{- end }}
  {{- else if eq $lb.resolver "k8s" }}
  k8s:
    {{- if dig "persistence" "enabled" false $targetValues }}
    {{- /* A target with state per pod (a StatefulSet) whose size an autoscaler changes: its pods
         are named on the ring by their stable DNS names (<pod>.<headless Service>.<namespace>),
         not by their IPs, which change at every restart: a restarted pod gets back exactly the
         series whose state it restores. */}}
    service: {{ printf "%s.%s" (include "collector.headlessName" (dict "Release" $r.Release "component" .target)) $r.Release.Namespace }}
    return_hostnames: true
    {{- else }}
    service: {{ printf "%s.%s" (include "mirador.serviceName" .) $r.Release.Namespace }}
    {{- end }}
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

{{/* The chart's exporter of each backend role (metrics, traces, logs). Args: dict root v */}}
{{- define "mirador.metricsExporter" -}}
{{- $b := .root.Values.backends.victoriaMetrics -}}
metrics_endpoint: {{ $b.endpoint | quote }}
compression: {{ $b.compression }}
{{- with $b.headers }}
headers:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{ include "mirador.queue" . }}
{{- end -}}

{{- define "mirador.tracesExporter" -}}
{{- $b := .root.Values.backends.victoriaTraces -}}
traces_endpoint: {{ $b.endpoint | quote }}
compression: {{ $b.compression }}
{{- with $b.headers }}
headers:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{ include "mirador.queue" . }}
{{- end -}}

{{- define "mirador.logsExporter" -}}
{{- if eq .root.Values.backends.logs.exporter "cassandra_logs" -}}
{{ include "mirador.cassandraExporter" . }}
{{- else -}}
endpoint: {{ .root.Values.backends.logs.otlp.endpoint }}
tls:
  {{- toYaml .root.Values.backends.logs.otlp.tls | nindent 2 }}
{{ include "mirador.queue" . }}
{{- end -}}
{{- end -}}

{{/* The chart's own exporter id of a backend role. Args: dict root role */}}
{{- define "mirador.backendId" -}}
{{- if eq .role "metrics" -}}otlp_http/victoriametrics
{{- else if eq .role "traces" -}}otlp_http/victoriatraces
{{- else if eq .root.Values.backends.logs.exporter "cassandra_logs" -}}cassandra_logs
{{- else -}}otlp_grpc/logs
{{- end -}}
{{- end -}}

{{/* Adds the exporter of a backend role to .cfg and prints its id: the chart's, or the one a
     `<component>.config.exporters.otlp/<role>` defines (_config.tpl, "mirador.roles"), over a base
     of the chart's queue and retry (and, when the id is the chart's own, the chart's settings).
     Args: dict root v name cfg roles role */}}
{{- define "mirador.backend" -}}
{{- $chartId := include "mirador.backendId" . -}}
{{- $chartConf := include (printf "mirador.%sExporter" .role) . | fromYaml -}}
{{- $o := index .roles .role -}}
{{- if $o -}}
{{- $base := $chartConf -}}
{{- if ne $o.id $chartId -}}
{{- $base = include "mirador.queue" . | fromYaml -}}
{{- /* a gRPC OTLP exporter of our own would use TLS by default; the chart's connections inside
       the cluster are plain text unless configured (as backends.logs.otlp.tls) */}}
{{- if and (regexMatch "^(otlp|otlp_grpc)/" $o.id) (not (hasKey $o.config "tls")) -}}
{{- $_ := set $base "tls" (ternary (deepCopy .root.Values.backends.logs.otlp.tls) (dict "insecure" true) (eq .role "logs")) -}}
{{- end -}}
{{- end -}}
{{- $_ := set .cfg.exporters $o.id (mustMergeOverwrite $base (deepCopy $o.config)) -}}
{{- $o.id -}}
{{- else -}}
{{- $_ := set .cfg.exporters $chartId $chartConf -}}
{{- $chartId -}}
{{- end -}}
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
exporters: {}
connectors: {}
service:
  extensions: [health_check{{ if $v.persistentQueue.enabled }}, file_storage/queue{{ end }}]
  pipelines: {}
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
{{- $id := include "mirador.backend" (merge (dict "role" "traces") .) -}}
{{- $procs := list "memory_limiter" -}}
{{- if $r.Values.sampling.enabled -}}
{{- $_ := set .cfg.processors "probabilistic_sampler" (dict "sampling_percentage" $r.Values.sampling.percentage) -}}
{{- $procs = append $procs "probabilistic_sampler" -}}
{{- end -}}
{{- $_ := set .cfg.service.pipelines "traces/store" (dict "receivers" (list "otlp") "processors" (append $procs "batch") "exporters" (list $id)) -}}
{{- end -}}
{{- end -}}

{{/* Where metrics go: isolationforest when enabled (and wanted), else the metrics backend. */}}
{{- define "mirador.addMetricsOut" -}}
{{- if and (include "mirador.enabled" (list .root "isolationforest")) .viaIF -}}
{{- $_ := set .cfg.exporters "loadbalancing/isolationforest" (include "mirador.lbExporter" (merge (dict "target" "isolationforest" "routingKey" .root.Values.loadBalancing.metricsRoutingKey) .) | fromYaml) -}}
loadbalancing/isolationforest
{{- else -}}
{{- include "mirador.backend" (merge (dict "role" "metrics") .) -}}
{{- end -}}
{{- end -}}

{{- define "mirador.config.gateway" -}}
{{- $r := .root -}}
{{- $cfg := include "mirador.config.base" . | fromYaml -}}
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
{{- $logsOut := include "mirador.backend" (merge (dict "role" "logs") $ctx) -}}
{{- $_ := set $cfg.service.pipelines "logs" (dict "receivers" (list "otlp") "processors" $std "exporters" (list $logsOut)) -}}
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
{{- $ctx := merge (dict "cfg" $cfg) . -}}
{{- /* A client span whose server side never arrives (a database, a third-party API) becomes an
       edge to a virtual node named by the first of these attributes the span has; without them
       the edge goes to "unknown". The extra label virtual_node=server|client marks such edges. */}}
{{- $_ := set $cfg.connectors "servicegraph" (dict
      "store" (dict "ttl" "10s" "max_items" 10000)
      "metrics_flush_interval" "15s"
      "virtual_node_peer_attributes" (list "peer.service" "db.name" "db.namespace" "server.address" "net.peer.name" "rpc.service" "messaging.system" "db.system.name" "db.system")
      "virtual_node_extra_label" true
      "database_name_attributes" (list "db.name" "db.namespace")) -}}
{{- $_ := set $cfg.service.pipelines "traces" (dict "receivers" (list "otlp") "processors" (list "memory_limiter" "batch") "exporters" (list "servicegraph")) -}}
{{- include "mirador.addTraceStore" $ctx -}}
{{- $out := include "mirador.addMetricsOut" (merge (dict "viaIF" (eq .v.metricsVia "isolationforest")) $ctx) -}}
{{- $_ := set $cfg.service.pipelines "metrics" (dict "receivers" (list "servicegraph") "processors" (list "batch") "exporters" (list $out)) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{- define "mirador.config.spanmetrics" -}}
{{- $r := .root -}}
{{- $cfg := include "mirador.config.base" . | fromYaml -}}
{{- $ctx := merge (dict "cfg" $cfg) . -}}
{{- /* exemplars: each RED histogram point carries the trace and span ids of some of the spans it
       counts (the connector's max_per_data_point), which the isolationforest processor copies into
       its anomaly events (anomaly.trace_ids) and its score points: from an alarm to a real trace. */}}
{{- /* aggregation_cardinality_limit: per service, at most this many series (span name x kind x
       status); further combinations are counted in one overflow series labelled
       otel.metric.overflow="true" instead of multiplying series (an id in a span name, e.g.
       "GET /orders/8412", would otherwise make one series per id). */}}
{{- $_ := set $cfg.connectors "spanmetrics" (dict
      "metrics_flush_interval" "15s"
      "metrics_expiration" "5m"
      "aggregation_temporality" "AGGREGATION_TEMPORALITY_CUMULATIVE"
      "aggregation_cardinality_limit" 1000
      "exemplars" (dict "enabled" true)) -}}
{{- $_ := set $cfg.service.pipelines "traces" (dict "receivers" (list "otlp") "processors" (list "memory_limiter" "batch") "exporters" (list "spanmetrics")) -}}
{{- include "mirador.addTraceStore" $ctx -}}
{{- $out := include "mirador.addMetricsOut" (merge (dict "viaIF" true) $ctx) -}}
{{- $_ := set $cfg.service.pipelines "metrics" (dict "receivers" (list "spanmetrics") "processors" (list "batch") "exporters" (list $out)) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{- define "mirador.config.isolationforest" -}}
{{- $r := .root -}}
{{- $cfg := include "mirador.config.base" . | fromYaml -}}
{{- $ctx := merge (dict "cfg" $cfg) . -}}
{{- $out := include "mirador.backend" (merge (dict "role" "metrics") $ctx) -}}
{{- /* The processor's options as given (none by default: the processor applies its own defaults). */}}
{{- $_ := set $cfg.processors "isolationforest" (deepCopy (.v.processor | default dict)) -}}
{{- /* Model state on the pod's own volume: the processor saves forests and series state there
       (every snapshot_interval, its option, and at shutdown) and restores them at start. */}}
{{- if dig "persistence" "enabled" false .v -}}
{{- $dir := .v.persistence.directory -}}
{{- $_ := set $cfg.extensions "file_storage/isolationforest" (dict
      "directory" $dir
      "create_directory" true
      "fsync" true
      "compaction" (dict "on_start" true "directory" $dir)) -}}
{{- $_ := set $cfg.service "extensions" (append $cfg.service.extensions "file_storage/isolationforest") -}}
{{- if not (hasKey $cfg.processors.isolationforest "storage") -}}
{{- $_ := set $cfg.processors.isolationforest "storage" "file_storage/isolationforest" -}}
{{- end -}}
{{- end -}}
{{- /* Anomaly events: the anomaly_events receiver emits the processor's events (OTLP log records,
       one at each alarm's onset and resolve) into logs/anomalies, which sends them where logs are
       stored: to the gateway over OTLP/gRPC (its logs pipeline writes them with the logs backend,
       so the release keeps one logs writer), to anomalyEvents.endpoint, or, with the gateway
       disabled, straight to the logs backend. */}}
{{- if include "mirador.eventsOn" $r -}}
{{- $_ := set $cfg.receivers "anomaly_events" (dict "processor" "isolationforest") -}}
{{- $ev := .v.anomalyEvents | default dict -}}
{{- $eventsOut := "" -}}
{{- if or $ev.endpoint (include "mirador.enabled" (list $r "gateway")) -}}
{{- $endpoint := $ev.endpoint | default (printf "%s.%s.svc:%v" (include "mirador.serviceName" (dict "root" $r "target" "gateway")) $r.Release.Namespace $r.Values.gateway.ports.otlpGrpc) -}}
{{- $exp := include "mirador.queue" $ctx | fromYaml -}}
{{- $_ := set $exp "endpoint" $endpoint -}}
{{- $_ := set $exp "tls" (deepCopy ($ev.tls | default (dict "insecure" true))) -}}
{{- $_ := set $cfg.exporters "otlp_grpc/events" $exp -}}
{{- $eventsOut = "otlp_grpc/events" -}}
{{- else -}}
{{- $eventsOut = include "mirador.backend" (merge (dict "role" "logs") $ctx) -}}
{{- end -}}
{{- $_ := set $cfg.service.pipelines "logs/anomalies" (dict "receivers" (list "anomaly_events") "processors" (list "memory_limiter" "batch") "exporters" (list $eventsOut)) -}}
{{- end -}}
{{- /* Delta sums become cumulative before they are scored and stored: VictoriaMetrics stores what it
       gets, and increase()/rate() read a counter, so a delta counter (5, 5, 5) must arrive as 5, 10, 15.
       The series of a stream all reach this replica (the gateway routes by resource), as the
       processor needs. Its defaults (streams idle for 5m are dropped) apply. */}}
{{- $_ := set $cfg.processors "deltatocumulative" dict -}}
{{- $_ := set $cfg.service.pipelines "metrics" (dict "receivers" (list "otlp") "processors" (list "memory_limiter" "deltatocumulative" "isolationforest" "batch") "exporters" (list $out)) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* "true" when the isolationforest processor builds anomaly events: its own option events.enabled
     (isolationforest.processor.events.enabled, or isolationforest.config.processors.isolationforest,
     which is merged over it); left out, the processor's default (files/limits/isolationforest.yaml,
     tested against the processor's README). A processor removed with null builds none. Args: $ */}}
{{- define "mirador.eventsOn" -}}
{{- if include "mirador.enabled" (list . "isolationforest") -}}
{{- $v := .Values.isolationforest -}}
{{- $on := index (.Files.Get "files/limits/isolationforest.yaml" | fromYaml).defaults "events.enabled" -}}
{{- $p := $v.processor | default dict -}}
{{- if and (kindIs "map" $p.events) (hasKey ($p.events | default dict) "enabled") -}}{{- $on = $p.events.enabled -}}{{- end -}}
{{- $procs := (($v.config | default dict).processors | default dict) -}}
{{- if hasKey $procs "isolationforest" -}}
{{- $c := index $procs "isolationforest" -}}
{{- if kindIs "invalid" $c -}}{{- $on = false -}}
{{- else if and (kindIs "map" $c) (kindIs "map" $c.events) (hasKey ($c.events | default dict) "enabled") -}}{{- $on = $c.events.enabled -}}
{{- end -}}
{{- end -}}
{{- if $on -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/* The component that writes the logs backend: the gateway; without it, isolationforest when it
     writes its anomaly events there itself (no anomalyEvents.endpoint); else none. Args: $ */}}
{{- define "mirador.logsWriter" -}}
{{- if include "mirador.enabled" (list . "gateway") -}}gateway
{{- else if and (include "mirador.eventsOn" .) (not (dig "anomalyEvents" "endpoint" "" .Values.isolationforest)) -}}isolationforest
{{- end -}}
{{- end -}}

{{/* Container env the umbrella adds to a component (Cassandra credentials for the logs writer). */}}
{{- define "mirador.env" -}}
{{- $auth := .root.Values.backends.cassandra.auth -}}
{{- if and (eq .name (include "mirador.logsWriter" .root)) (eq .root.Values.backends.logs.exporter "cassandra_logs") $auth.existingSecret -}}
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

{{/* GOMEMLIMIT of a component, printed (empty: not set by the chart). It is the memory_limiter's
     limit in the component's final config with the rule the processor applies to the container's
     memory: limit_mib when set, else limit_percentage of resources.limits.memory. So the Go GC works
     hard exactly where the limiter starts refusing data, and one value (memoryLimiter, or the
     component's config.processors.memory_limiter) moves both. The one override: GOMEMLIMIT in the
     component's extraEnv (then the chart sets none). Args: dict root v name config env */}}
{{- define "mirador.gomemlimit" -}}
{{- $name := .name -}}
{{- $chartEnv := list "MY_POD_IP" "GOMEMLIMIT" -}}
{{- range $e := (.env | default list) -}}{{- $chartEnv = append $chartEnv $e.name -}}{{- end -}}
{{- $override := false -}}
{{- range $i, $e := (.v.extraEnv | default list) -}}
{{- if eq $e.name "GOMEMLIMIT" -}}
{{- if $override -}}
{{- fail (printf "%s.extraEnv sets GOMEMLIMIT twice: set it once" $name) -}}
{{- end -}}
{{- $override = true -}}
{{- if and (hasKey $e "value") (not (regexMatch "^([0-9]+(B|KiB|MiB|GiB|TiB)?|off)$" (toString $e.value))) -}}
{{- fail (printf "%s.extraEnv[%d]: GOMEMLIMIT=%v is not a Go memory limit (the runtime refuses it at start): write bytes with B, KiB, MiB, GiB or TiB, e.g. 1536MiB" $name $i $e.value) -}}
{{- end -}}
{{- else if has $e.name $chartEnv -}}
{{- fail (printf "%s.extraEnv[%d]: %s is set by the chart (a second entry would fight with it); remove it" $name $i $e.name) -}}
{{- end -}}
{{- end -}}
{{- if not $override -}}
{{- $ml := .config.processors.memory_limiter | default .root.Values.memoryLimiter -}}
{{- if $ml.limit_mib -}}
{{- printf "%dMiB" (int $ml.limit_mib) -}}
{{- else if and $ml.limit_percentage (dig "limits" "memory" "" (.v.resources | default dict)) -}}
{{- $bytes := include "mirador.quantityBytes" (dict "value" .v.resources.limits.memory "key" (printf "%s.resources.limits.memory" $name)) | float64 -}}
{{- $mib := floor (divf (mulf $bytes (float64 $ml.limit_percentage)) (mulf 100.0 1048576.0)) -}}
{{- if lt $mib 1.0 -}}
{{- fail (printf "%s.resources.limits.memory=%v leaves less than 1MiB at memory_limiter's limit_percentage=%v: raise the limit" $name .v.resources.limits.memory $ml.limit_percentage) -}}
{{- end -}}
{{- printf "%dMiB" (int64 $mib) -}}
{{- end -}}
{{- end -}}
{{- end -}}
