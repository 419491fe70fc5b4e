// Collector config pieces the reliability suites share, mirroring the chart's defaults.
import { otlpReceiver, type CollectorConfig } from '../../src/harness/index.js';

/**
 * An otlphttp exporter to VictoriaMetrics with the sending queue on file_storage and retry that
 * never gives up (the chart's isolationforest/servicegraph persistentQueue default: queue_size
 * 5000, num_consumers 10, max_elapsed_time 0s), with a shorter back-off than the default 5-30 s so
 * a test sees recovery within seconds.
 */
export function persistentExporter(metricsUrl: string, queueDir: string): Pick<CollectorConfig, 'exporters' | 'extensions' | 'serviceExtensions'> {
  return {
    exporters: {
      otlphttp: {
        metrics_endpoint: metricsUrl,
        timeout: '5s',
        sending_queue: { enabled: true, storage: 'file_storage', queue_size: 5000, num_consumers: 10 },
        retry_on_failure: { enabled: true, initial_interval: '500ms', max_interval: '3s', max_elapsed_time: '0s' },
      },
    },
    extensions: { file_storage: { directory: queueDir, create_directory: true } },
    serviceExtensions: ['file_storage'],
  };
}

/**
 * The processor as these suites run it: its defaults, with the scores as attributes on each point
 * (the chart's output_mode), so a stored or delivered point shows whether it was scored.
 */
export const PROCESSOR = { output_mode: 'attributes' };

/** The isolationforest collector: OTLP gRPC in, isolationforest, persistent exporter out. */
export function scorerConfig(grpc: number, metricsUrl: string, queueDir: string): CollectorConfig {
  return {
    receivers: otlpReceiver({ grpc }),
    processors: { isolationforest: PROCESSOR },
    ...persistentExporter(metricsUrl, queueDir),
    pipelines: { metrics: { receivers: ['otlp'], processors: ['isolationforest'], exporters: ['otlphttp'] } },
  };
}

/**
 * The gateway: OTLP/HTTP in, loadbalancing exporter (static resolver, routing by resource) to the
 * isolationforest collectors, with its own in-memory queue and a retry that never gives up.
 */
export function gatewayConfig(http: number, scorerGrpcPorts: number[]): CollectorConfig {
  return {
    receivers: otlpReceiver({ http }),
    exporters: {
      loadbalancing: {
        routing_key: 'resource',
        // As the chart: queue and retry at this level, none in the per-endpoint sub-exporters, so a
        // failed batch comes back here and is re-routed over the current endpoints.
        protocol: { otlp: { tls: { insecure: true }, timeout: '5s', sending_queue: { enabled: false }, retry_on_failure: { enabled: false } } },
        resolver: { static: { hostnames: scorerGrpcPorts.map((p) => `127.0.0.1:${p}`) } },
        timeout: '5s',
        sending_queue: { enabled: true, queue_size: 5000, num_consumers: 10 },
        retry_on_failure: { enabled: true, initial_interval: '500ms', max_interval: '3s', max_elapsed_time: '0s' },
      },
    },
    pipelines: { metrics: { receivers: ['otlp'], exporters: ['loadbalancing'] } },
  };
}
