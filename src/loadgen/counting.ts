/**
 * Exporter wrappers that count what the OTLP endpoint acknowledged, so a test can compare
 * "sent" with "stored" exactly. Items of a failed export (after the SDK's own retries) are
 * counted as failed, never as sent.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { PushMetricExporter, ResourceMetrics, InstrumentType } from '@opentelemetry/sdk-metrics';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';

export interface SignalCount {
  sent: number;
  failed: number;
  lastError?: string;
}

const newCount = (): SignalCount => ({ sent: 0, failed: 0 });

function tally(c: SignalCount, n: number, r: ExportResult) {
  if (r.code === ExportResultCode.SUCCESS) c.sent += n;
  else {
    c.failed += n;
    c.lastError = r.error?.message ?? 'export failed';
  }
}

export class CountingSpanExporter implements SpanExporter {
  readonly count = newCount();
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.inner.export(spans, (r) => { tally(this.count, spans.length, r); done(r); });
  }
  shutdown() { return this.inner.shutdown(); }
  forceFlush() { return this.inner.forceFlush?.() ?? Promise.resolve(); }
}

export class CountingLogExporter implements LogRecordExporter {
  readonly count = newCount();
  constructor(private readonly inner: LogRecordExporter) {}
  export(logs: ReadableLogRecord[], done: (r: ExportResult) => void): void {
    this.inner.export(logs, (r) => { tally(this.count, logs.length, r); done(r); });
  }
  shutdown() { return this.inner.shutdown(); }
  forceFlush() { return this.inner.forceFlush?.() ?? Promise.resolve(); }
}

/** Data points in one export, per metric name (a histogram point counts once). */
export function dataPointsByMetric(rm: ResourceMetrics): Map<string, number> {
  const out = new Map<string, number>();
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) out.set(m.descriptor.name, (out.get(m.descriptor.name) ?? 0) + m.dataPoints.length);
  }
  return out;
}

export class CountingMetricExporter implements PushMetricExporter {
  readonly count = newCount();
  /** Acknowledged data points per metric name. */
  readonly byMetric = new Map<string, number>();
  constructor(private readonly inner: PushMetricExporter) {}
  export(metrics: ResourceMetrics, done: (r: ExportResult) => void): void {
    const per = dataPointsByMetric(metrics);
    const n = [...per.values()].reduce((a, b) => a + b, 0);
    this.inner.export(metrics, (r) => {
      tally(this.count, n, r);
      if (r.code === ExportResultCode.SUCCESS) for (const [k, v] of per) this.byMetric.set(k, (this.byMetric.get(k) ?? 0) + v);
      done(r);
    });
  }
  forceFlush() { return this.inner.forceFlush(); }
  shutdown() { return this.inner.shutdown(); }
  selectAggregationTemporality(t: InstrumentType) { return this.inner.selectAggregationTemporality!(t); }
  selectAggregation(t: InstrumentType) { return this.inner.selectAggregation!(t); }
}
