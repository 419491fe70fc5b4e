/**
 * One set of OpenTelemetry SDK providers per simulated service (the resource, and so
 * service.name, belongs to a provider), all exporting OTLP over HTTP/protobuf to one endpoint
 * through counting wrappers.
 */
import type { Logger } from '@opentelemetry/api-logs';
import type { Meter, Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { CountingLogExporter, CountingMetricExporter, CountingSpanExporter, type SignalCount } from './counting.js';

export interface TelemetryOptions {
  /** OTLP/HTTP base URL, e.g. http://127.0.0.1:4318 (signal paths /v1/traces etc. are appended). */
  endpoint: string;
  runId: string;
  metricIntervalMs: number;
}

export interface ServiceTelemetry {
  service: string;
  tracer: Tracer;
  meter: Meter;
  logger: Logger;
  spans: CountingSpanExporter;
  metrics: CountingMetricExporter;
  logs: CountingLogExporter;
  /** Exports everything buffered (including a last metric collection) and stops the providers. */
  shutdown(): Promise<void>;
}

// Large queues: nothing may be dropped client-side, or "sent" would not equal "generated".
const BUFFER = { maxQueueSize: 100_000, maxExportBatchSize: 512, scheduledDelayMillis: 500, exportTimeoutMillis: 30_000 };

export function serviceTelemetry(service: string, o: TelemetryOptions): ServiceTelemetry {
  const base = o.endpoint.replace(/\/+$/, '');
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: service,
    [ATTR_SERVICE_VERSION]: '1.0.0',
    'service.namespace': 'shop',
    'service.instance.id': `${service}-${o.runId}`,
    'deployment.environment.name': 'local',
    'mirador.run.id': o.runId,
  });
  const exporterOpts = { timeoutMillis: 10_000, concurrencyLimit: 16 };

  const spans = new CountingSpanExporter(new OTLPTraceExporter({ ...exporterOpts, url: `${base}/v1/traces` }));
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(spans, BUFFER)] });

  const metrics = new CountingMetricExporter(new OTLPMetricExporter({ ...exporterOpts, url: `${base}/v1/metrics` }));
  const reader = new PeriodicExportingMetricReader({
    exporter: metrics,
    exportIntervalMillis: o.metricIntervalMs,
    exportTimeoutMillis: Math.min(o.metricIntervalMs, 10_000),
  });
  const meterProvider = new MeterProvider({ resource, readers: [reader] });

  const logs = new CountingLogExporter(new OTLPLogExporter({ ...exporterOpts, url: `${base}/v1/logs` }));
  const loggerProvider = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: logs, ...BUFFER })] });

  const scope = 'mirador-loadgen';
  return {
    service,
    tracer: tracerProvider.getTracer(scope),
    meter: meterProvider.getMeter(scope),
    logger: loggerProvider.getLogger(scope),
    spans, metrics, logs,
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

export function sumCounts(counts: SignalCount[]): SignalCount {
  const out: SignalCount = { sent: 0, failed: 0 };
  for (const c of counts) {
    out.sent += c.sent;
    out.failed += c.failed;
    if (c.lastError) out.lastError = c.lastError;
  }
  return out;
}
