/**
 * The harness: what `mirador up`, the test suites and the benchmarks use to start backends and
 * collectors and to read back what was stored. Tests and benchmarks import from here (or its
 * modules), never from each other.
 *
 *   backends        VictoriaMetrics, Jaeger v2, Cassandra (the launchers of src/backends)
 *   collector       otelcol-mirador / otelcol-peer as processes from a config object
 *   prometheus      a collector's own telemetry, parsed and summed
 *   stored-metrics  VictoriaMetrics: export, query, points stored / distinct / scored
 *   stored-spans    Jaeger: spans stored, duplicates
 *   stored-logs     Cassandra: a client, rows stored
 *   otlp-proto      OTLP gauge requests in protobuf (many series, odd values)
 *   otlp-logs       the reproducible OTLP log data set and its sender
 *   otlp-sink       an in-process OTLP/HTTP JSON metrics sink that keeps every point
 *   procstat        CPU seconds and memory of a process (/proc)
 *   applied-config  a component's config with the collector's defaults; the threshold in force
 * and, imported from their modules (they resolve cluster paths when loaded):
 *   kube            kubectl, helm and scripts/cluster/cluster.sh against the local Kubernetes
 *   local-k8s       the product on it: images, backends, helm install (npm run cluster -- up)
 */
export * from '../proc/index.js';
export * from './backends.js';
export * from './collector.js';
export * from './prometheus.js';
export * from './stored-metrics.js';
export * from './stored-spans.js';
export * from './stored-logs.js';
export * from './otlp-proto.js';
export * from './otlp-logs.js';
export * from './otlp-sink.js';
export * from './procstat.js';
export * from './applied-config.js';
