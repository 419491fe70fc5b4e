// The harness's reading of a collector's own telemetry: samples by family and labels, histograms
// under their wire names, and malformed text refused with a clear error.
import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../src/harness/index.js';

// As otelcol-mirador v0.144.0 exposes it (trimmed): labelled counters, a gauge, a histogram.
const EXPOSITION = `# HELP otelcol_exporter_sent_metric_points_total Number of metric points successfully sent to destination.
# TYPE otelcol_exporter_sent_metric_points_total counter
otelcol_exporter_sent_metric_points_total{exporter="otlp/ours",otel_scope_name="go.opentelemetry.io/collector/exporter/exporterhelper"} 1200
otelcol_exporter_sent_metric_points_total{exporter="otlp/contrib",otel_scope_name="go.opentelemetry.io/collector/exporter/exporterhelper"} 34
# HELP otelcol_processor_isolationforest_active_series series whose state is held
# TYPE otelcol_processor_isolationforest_active_series gauge
otelcol_processor_isolationforest_active_series 6
# HELP otelcol_processor_isolationforest_model_refresh_duration_seconds time in forest_update
# TYPE otelcol_processor_isolationforest_model_refresh_duration_seconds histogram
otelcol_processor_isolationforest_model_refresh_duration_seconds_bucket{otel_scope_name="isolationforest",le="0.01"} 3
otelcol_processor_isolationforest_model_refresh_duration_seconds_bucket{otel_scope_name="isolationforest",le="+Inf"} 4
otelcol_processor_isolationforest_model_refresh_duration_seconds_sum{otel_scope_name="isolationforest"} 0.25
otelcol_processor_isolationforest_model_refresh_duration_seconds_count{otel_scope_name="isolationforest"} 4
target_info{service_name="otelcol-mirador",note="a \\\\ \\"quoted\\" value, with {braces}\\nand a newline"} 1
otelcol_loadbalancer_backend_outcome_total{endpoint="10.244.0.7:4317",success="true"} 5
otelcol_loadbalancer_backend_outcome_total{endpoint="10.244.0.7:4317",success="false"} 2
otelcol_loadbalancer_backend_outcome_total{endpoint="10.244.0.9:4317",success="true"} 7
`;

describe('parsePrometheusText', () => {
  const t = parsePrometheusText(EXPOSITION);

  it('sums a family over its label sets, or over those matching a filter', () => {
    expect(t.sum('otelcol_exporter_sent_metric_points_total')).toBe(1234);
    expect(t.sum('otelcol_exporter_sent_metric_points_total', { exporter: 'otlp/contrib' })).toBe(34);
    expect(t.sum('otelcol_processor_isolationforest_active_series')).toBe(6);
  });

  it('gives 0 for a family that is not there', () => {
    expect(t.sum('otelcol_exporter_send_failed_metric_points_total')).toBe(0);
    expect(t.has('otelcol_exporter_send_failed_metric_points_total')).toBe(false);
  });

  it('groups by a label', () => {
    expect(Object.fromEntries(t.sumBy('otelcol_loadbalancer_backend_outcome_total', 'endpoint', { success: 'true' })))
      .toEqual({ '10.244.0.7:4317': 5, '10.244.0.9:4317': 7 });
  });

  it('names histogram samples as on the wire (_bucket with le, _sum, _count)', () => {
    const h = 'otelcol_processor_isolationforest_model_refresh_duration_seconds';
    expect(t.sum(`${h}_sum`)).toBe(0.25);
    expect(t.sum(`${h}_count`)).toBe(4);
    expect(t.sum(`${h}_bucket`, { le: '+Inf' })).toBe(4);
    expect(t.names('otelcol_processor_isolationforest_model_refresh_duration').sort()).toEqual([`${h}_bucket`, `${h}_count`, `${h}_sum`]);
  });

  it('reads escaped label values', () => {
    expect(t.samples.find((s) => s.name === 'target_info')?.labels.note).toBe('a \\ "quoted" value, with {braces}\nand a newline');
  });

  it('refuses text that is not an exposition, quoting the line', () => {
    expect(() => parsePrometheusText('<html>404 page not found</html>')).toThrow(/not a Prometheus text exposition: cannot read "<html>404/);
    expect(() => parsePrometheusText('x{a="1" 3')).toThrow(/cannot read|bad labels/);
    expect(() => parsePrometheusText('x{a=1} 3')).toThrow(/bad labels in "x\{a=1\} 3"/);
  });
});
