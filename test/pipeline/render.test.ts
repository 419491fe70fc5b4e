// Unit-level checks of the local pipeline's pieces that need no running processes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processNames, renderCollectorConfigs } from '../../src/pipeline/render.js';
import { logicalSeries } from '../../src/pipeline/series.js';
import { promSampleName } from '../../src/harness/index.js';
import { cycleIncidents, Effects, matches } from '../../src/loadgen/scenario.js';
import { CHARGE, STOCK } from '../../src/loadgen/shop.js';

describe('collector configs rendered from the chart', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'mirador-render-'));
  const ports: Record<string, { otlpGrpc: number; otlpHttp: number; metrics: number; healthCheck: number }> = {};
  let p = 41000;
  for (const n of processNames(2)) ports[n] = { otlpGrpc: p++, otlpHttp: p++, metrics: p++, healthCheck: p++ };
  const specs = renderCollectorConfigs({
    runDir, ports, vmOtlpMetricsUrl: 'http://127.0.0.1:9/opentelemetry/v1/metrics', jaegerOtlpTracesUrl: 'http://127.0.0.1:8/v1/traces',
    cassandraEndpoint: '127.0.0.1:7', connectorFlushInterval: '1s', isolationforestProcesses: 2, isolationforest: { sample_size: 32 },
  });
  const byName = Object.fromEntries(specs.map((s) => [s.name, s.config]));
  afterAll(() => rmSync(runDir, { recursive: true, force: true }));

  it('gives one process per component and two isolationforest processes', () => {
    expect(specs.map((s) => s.name)).toEqual(['gateway', 'servicegraph', 'spanmetrics', 'isolationforest-0', 'isolationforest-1']);
  });

  it('routes the gateway\'s metrics to both isolationforest processes through the static resolver', () => {
    expect(byName.gateway.exporters['loadbalancing/isolationforest'].resolver.static.hostnames)
      .toEqual([`127.0.0.1:${ports['isolationforest-0'].otlpGrpc}`, `127.0.0.1:${ports['isolationforest-1'].otlpGrpc}`]);
  });

  it('binds every process to its own loopback ports and queue directory', () => {
    for (const s of specs) {
      expect(s.config.receivers.otlp.protocols.grpc.endpoint).toBe(`127.0.0.1:${s.ports.otlpGrpc}`);
      expect(s.config.receivers.otlp.protocols.http.endpoint).toBe(`127.0.0.1:${s.ports.otlpHttp}`);
      expect(s.config.extensions.health_check.endpoint).toBe(`127.0.0.1:${s.ports.healthCheck}`);
      expect(s.config.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port).toBe(s.ports.metrics);
    }
    expect(byName['isolationforest-0'].extensions['file_storage/queue'].directory).toBe(join(runDir, 'queue', 'isolationforest-0'));
    expect(byName['isolationforest-1'].extensions['file_storage/queue'].directory).toBe(join(runDir, 'queue', 'isolationforest-1'));
  });

  it('writes traces to Jaeger from exactly one component, logs to Cassandra, metrics to VictoriaMetrics', () => {
    const traceWriters = specs.filter((s) => JSON.stringify(s.config.exporters).includes('127.0.0.1:8/v1/traces'));
    expect(traceWriters.map((s) => s.name)).toEqual(['gateway']);
    expect(byName.gateway.exporters.cassandra_logs.endpoints).toEqual(['127.0.0.1:7']);
    expect(byName['isolationforest-1'].exporters['otlp_http/victoriametrics'].metrics_endpoint).toBe('http://127.0.0.1:9/opentelemetry/v1/metrics');
    expect(byName['isolationforest-1'].processors.isolationforest.sample_size).toBe(32);
    expect(byName.spanmetrics.connectors.spanmetrics.metrics_flush_interval).toBe('1s');
  });
});

describe('incident schedule', () => {
  it('places the incidents after a quiet baseline, inside the run', () => {
    const inc = cycleIncidents(120);
    for (const i of inc) {
      expect(i.startSec).toBeGreaterThanOrEqual(42);
      expect(i.endSec).toBeLessThanOrEqual(120);
      expect(i.endSec).toBeGreaterThan(i.startSec);
    }
    expect(new Set(inc.map((i) => i.kind))).toEqual(new Set(['latency_spike', 'error_burst', 'traffic_drop', 'level_shift', 'memory_leak']));
  });

  it('applies each effect only inside its window', () => {
    const e = new Effects(120);
    const spike = cycleIncidents(120).find((i) => i.kind === 'latency_spike')!;
    expect(e.latencyFactor(CHARGE, spike.startSec - 1)).toBe(1);
    expect(e.latencyFactor(CHARGE, spike.startSec + 1)).toBeGreaterThan(1);
    expect(e.latencyFactor(STOCK, spike.startSec + 1)).toBe(1);
    const burst = cycleIncidents(120).find((i) => i.kind === 'error_burst')!;
    expect(e.errorRate(STOCK, burst.startSec + 1)).toBeGreaterThan(STOCK.errorRate);
    expect(e.errorRate(STOCK, burst.endSec + 1)).toBe(STOCK.errorRate);
  });

  it('judges series by normalised labels', () => {
    const spike = cycleIncidents(120)[0];
    expect(spike.judged.some((s) => matches(s, { __name__: 'http_server_request_duration_seconds', service_name: 'payments', http_route: '/charge' }))).toBe(true);
    expect(spike.judged.some((s) => matches(s, { __name__: 'http.server.request.duration', 'service.name': 'payments', 'http.route': '/charge' }))).toBe(true);
    expect(spike.judged.some((s) => matches(s, { __name__: 'http_server_request_duration_seconds', service_name: 'cart', http_route: '/cart' }))).toBe(false);
  });
});

describe('series reconstruction from VictoriaMetrics samples', () => {
  it('merges the per-score series of one histogram and computes the interval mean', () => {
    const base = { service_name: 'payments', http_route: '/charge' };
    const s = logicalSeries([
      { metric: { __name__: 'x_seconds_bucket', le: '+Inf', ...base, anomaly_score: '0.40', is_anomaly: 'false' }, values: [10], timestamps: [1000] },
      { metric: { __name__: 'x_seconds_count', ...base, anomaly_score: '0.40', is_anomaly: 'false' }, values: [10], timestamps: [1000] },
      { metric: { __name__: 'x_seconds_sum', ...base, anomaly_score: '0.40', is_anomaly: 'false' }, values: [1], timestamps: [1000] },
      { metric: { __name__: 'x_seconds_count', ...base, anomaly_score: '0.90', is_anomaly: 'true' }, values: [20], timestamps: [2000] },
      { metric: { __name__: 'x_seconds_sum', ...base, anomaly_score: '0.90', is_anomaly: 'true' }, values: [6], timestamps: [2000] },
    ]);
    expect(s).toHaveLength(1);
    expect(s[0].kind).toBe('histogram');
    expect(s[0].points.map((p) => [p.score, p.flagged])).toEqual([[0.4, false], [0.9, true]]);
    expect(s[0].points[1].value).toBeCloseTo(0.5); // (6 - 1) / (20 - 10)
  });

  it('joins the companion score series (the default output) to the metric it scores', () => {
    const base = { service_name: 'payments', http_route: '/charge' };
    const other = { service_name: 'cart', http_route: '/cart' };
    const s = logicalSeries([
      { metric: { __name__: 'x_seconds_bucket', le: '+Inf', ...base }, values: [10, 20], timestamps: [1000, 2000] },
      { metric: { __name__: 'x_seconds_count', ...base }, values: [10, 20], timestamps: [1000, 2000] },
      { metric: { __name__: 'x_seconds_sum', ...base }, values: [1, 6], timestamps: [1000, 2000] },
      { metric: { __name__: 'x_seconds_count', ...other }, values: [5, 6], timestamps: [1000, 2000] },
      { metric: { __name__: 'x_seconds_sum', ...other }, values: [1, 2], timestamps: [1000, 2000] },
      { metric: { __name__: 'x_seconds_bucket', le: '+Inf', ...other }, values: [5, 6], timestamps: [1000, 2000] },
      // unit 1 gives the companion a _ratio suffix; the metric's own unit suffix (_seconds) is not in it
      { metric: { __name__: 'x_anomaly_score_ratio', ...base, is_anomaly: 'false' }, values: [0.1], timestamps: [1000] },
      { metric: { __name__: 'x_anomaly_score_ratio', ...base, is_anomaly: 'true' }, values: [0.93], timestamps: [2000] },
      { metric: { __name__: 'x_anomaly_score_ratio', ...other, is_anomaly: 'false' }, values: [0.2, 0.3], timestamps: [1000, 2000] },
    ]);
    expect(s).toHaveLength(2);
    const pay = s.find((x) => x.labels.service_name === 'payments')!;
    expect(pay.name).toBe('x_seconds');
    expect(pay.points.map((p) => [p.score, p.flagged])).toEqual([[0.1, false], [0.93, true]]);
    const cart = s.find((x) => x.labels.service_name === 'cart')!;
    expect(cart.points.map((p) => [p.score, p.flagged])).toEqual([[0.2, false], [0.3, false]]);
  });

  it('names OTLP metrics the way VictoriaMetrics stores them with Prometheus naming', () => {
    expect(promSampleName('http.server.request.duration', 's', 'histogram')).toBe('http_server_request_duration_seconds_count');
    expect(promSampleName('process.memory.usage', 'By', 'gauge')).toBe('process_memory_usage_bytes');
    expect(promSampleName('shop.queue.depth', '{message}', 'gauge')).toBe('shop_queue_depth');
    expect(promSampleName('shop.orders.placed', '{order}', 'counter')).toBe('shop_orders_placed_total');
  });
});

describe('mirador up start-up errors', () => {
  it('names a port that is already in use, before starting anything', async () => {
    const { createServer } = await import('node:net');
    const { startPipeline } = await import('../../src/pipeline/pipeline.js');
    const { freePorts } = await import('../../src/proc/ports.js');
    const [otlpGrpc, otlpHttp, jaegerUi, cassandra] = await freePorts(4);
    const srv = createServer();
    const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)));
    const runDir = mkdtempSync(join(tmpdir(), 'mirador-port-'));
    try {
      await expect(startPipeline({ ports: { otlpGrpc, otlpHttp, victoriaMetrics: port, jaegerUi, cassandra }, runDir }))
        .rejects.toThrow(`victoriaMetrics: port ${port} on 127.0.0.1 is already in use`);
    } finally {
      srv.close();
      rmSync(runDir, { recursive: true, force: true });
    }
  });

  it('gives the install command for a missing tool', async () => {
    const { toolPath } = await import('../../src/proc/tools.js');
    expect(() => toolPath('no-such-tool')).toThrow(/no-such-tool is not installed .*run `npm run tools`/);
  });
});
