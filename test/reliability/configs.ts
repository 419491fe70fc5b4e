// Collector config pieces the reliability suites share, mirroring the chart's defaults.
import { otlpReceiver, type CollectorConfig } from '../../src/harness/index.js';

/**
 * An otlphttp exporter to VictoriaMetrics with its sending queue on file_storage and a retry that
 * never gives up: the chart's backend exporter (`mirador.queue`: queue_size 5000, num_consumers 10,
 * `retry.max_elapsed_time: 0s`) with the chart's `persistentQueue` option on (its local profile
 * turns it on; the chart's default is a memory queue, which a SIGKILL would empty). The retry
 * backs off from 0.5 s to 3 s instead of the chart's 1 s to 30 s, so a test sees recovery within
 * seconds.
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

/** The processor as these suites run it: its defaults (output_mode metrics: the input untouched, a companion score series). */
export const PROCESSOR = {};

/** The companion score series of a metric as VictoriaMetrics names it (`<metric>_anomaly_score`, unit 1 adds `_ratio`). */
export const companionSelector = (metric: string) => `{__name__=~"${metric}_anomaly_score(_ratio)?"}`;

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
 * The gateway: OTLP/HTTP in, a loadbalancing exporter (static resolver, routing by resource) to
 * the isolationforest collectors, as the chart's `mirador.lbExporter`: no queue and no retry at the
 * exporter level (v0.144.0 returns one error for a whole request when any target fails, so a retry
 * there re-sends what the healthy targets took), a memory queue and a retry that never gives up in
 * each target's sub-exporter (the 0.5-3 s back-off as above).
 */
export function gatewayConfig(http: number, scorerGrpcPorts: number[]): CollectorConfig {
  return {
    receivers: otlpReceiver({ http }),
    exporters: {
      loadbalancing: {
        routing_key: 'resource',
        timeout: '5s',
        sending_queue: { enabled: false },
        retry_on_failure: { enabled: false },
        protocol: {
          otlp: {
            tls: { insecure: true }, timeout: '5s',
            sending_queue: { enabled: true, queue_size: 5000, num_consumers: 10 },
            retry_on_failure: { enabled: true, initial_interval: '500ms', max_interval: '3s', max_elapsed_time: '0s' },
          },
        },
        resolver: { static: { hostnames: scorerGrpcPorts.map((p) => `127.0.0.1:${p}`) } },
      },
    },
    pipelines: { metrics: { receivers: ['otlp'], exporters: ['loadbalancing'] } },
  };
}
