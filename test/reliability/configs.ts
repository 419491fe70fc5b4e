// Collector config pieces the reliability suites share, mirroring the chart's defaults.
import type { CollectorConfig } from '../../bench/pipeline/lib/collector.js';

/**
 * An otlphttp exporter to VictoriaMetrics with the sending queue on file_storage and retry that
 * never gives up (the chart's isolationforest/servicegraph persistentQueue default), shortened
 * back-off so a test sees recovery within seconds.
 */
export function persistentExporter(metricsUrl: string, queueDir: string): Pick<CollectorConfig, 'exporters' | 'extensions' | 'serviceExtensions'> {
  return {
    exporters: {
      otlphttp: {
        metrics_endpoint: metricsUrl,
        timeout: '5s',
        sending_queue: { enabled: true, storage: 'file_storage', queue_size: 5000, num_consumers: 4 },
        retry_on_failure: { enabled: true, initial_interval: '500ms', max_interval: '3s', max_elapsed_time: '0s' },
      },
    },
    extensions: { file_storage: { directory: queueDir, create_directory: true } },
    serviceExtensions: ['file_storage'],
  };
}
