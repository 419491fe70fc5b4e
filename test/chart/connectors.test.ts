// The trace-derived metrics stay bounded and named with the chart's defaults, end to end: the
// chart's four collectors as local processes, a real VictoriaMetrics behind isolationforest, and
// the small inputs of the issue: 2000 spans named `GET /orders/<id>` from one service (spanmetrics:
// at most aggregation_cardinality_limit series, the rest counted in one overflow series, no span
// lost), and a client span naming its peer only by server.address (servicegraph: an edge to that
// name, marked virtual_node="server", not to "unknown").
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVictoriaMetrics, waitFor, type RunningVictoriaMetrics } from '../../src/harness/index.js';
import { postOtlp, resource, startLocal, type Local } from './local.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const now = BigInt(Date.now()) * 1_000_000n;

/** One instant query; resolves with the vector's [labels, value] pairs. */
async function query(vm: RunningVictoriaMetrics, q: string): Promise<Array<[Record<string, string>, number]>> {
  const res = await fetch(`${vm.url}/api/v1/query?${new URLSearchParams({ query: q })}`);
  const body = await res.json() as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }; error?: string };
  if (body.status !== 'success') throw new Error(`${q}: ${body.error}`);
  return body.data.result.map((r) => [r.metric, Number(r.value[1])]);
}

describe('trace-derived metrics with the chart\'s defaults', () => {
  let work: string;
  let vm: RunningVictoriaMetrics;
  let l: Local;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mirador-connectors-'));
    vm = await startVictoriaMetrics({ runDir: work });
    l = await startLocal({
      vmOtlpUrl: vm.otlpMetricsUrl,
      // flush quickly; every other setting of the connectors is the chart's
      values: {
        'servicegraph.config.connectors.servicegraph.metrics_flush_interval': '1s',
        'spanmetrics.config.connectors.spanmetrics.metrics_flush_interval': '1s',
      },
    });
  }, 120_000);
  afterAll(async () => {
    await l?.stop();
    await vm?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('spanmetrics: 2000 span names from one service give at most aggregation_cardinality_limit series plus one overflow series, every span counted', async () => {
    const limit = l.config.spanmetrics.connectors.spanmetrics.aggregation_cardinality_limit;
    expect(limit).toBeGreaterThan(0);
    expect(limit).toBeLessThan(2000);
    const SPANS = 2000;
    for (let start = 0; start < SPANS; start += 500) {
      const spans = Array.from({ length: 500 }, (_, i) => ({
        traceId: hex(16), spanId: hex(8), name: `GET /orders/${100000 + start + i}`, kind: 2,
        startTimeUnixNano: String(now), endTimeUnixNano: String(now + 3_000_000n),
      }));
      expect(await postOtlp(l, '/v1/traces', { resourceSpans: [{ resource: resource('orders-api'), scopeSpans: [{ spans }] }] })).toBe(200);
    }
    // latest cumulative value of each series, whatever labels the scoring added
    const perSeries = 'max by (span_name, otel_metric_overflow) (last_over_time(traces_span_metrics_calls_total{service_name="orders-api"}[10m]))';
    let rows: Array<[Record<string, string>, number]> = [];
    await waitFor(`all ${SPANS} spans counted in VictoriaMetrics`, async () => {
      rows = await query(vm, perSeries);
      return rows.reduce((s, [, v]) => s + v, 0) >= SPANS || undefined;
    }, 90_000, 2_000);
    const named = rows.filter(([m]) => m.otel_metric_overflow !== 'true');
    const overflow = rows.filter(([m]) => m.otel_metric_overflow === 'true');
    const counted = rows.reduce((s, [, v]) => s + v, 0);
    console.log(`spanmetrics: ${SPANS} spans with ${SPANS} names -> ${named.length} named series + ${overflow.length} overflow series (${overflow.reduce((s, [, v]) => s + v, 0)} spans), ${counted} spans counted; limit ${limit}`);
    expect(named.length).toBe(limit);
    expect(overflow).toHaveLength(1);
    expect(counted).toBe(SPANS);
    for (const [m] of named) expect(m.span_name).toMatch(/^GET \/orders\/\d+$/);
  }, 150_000);

  it('servicegraph: a client span that names its peer only by server.address gives an edge to that name, not to "unknown"', async () => {
    const peers = l.config.servicegraph.connectors.servicegraph.virtual_node_peer_attributes as string[];
    expect(peers).toContain('server.address');
    expect(peers.indexOf('peer.service')).toBe(0);
    const span = {
      traceId: hex(16), spanId: hex(8), name: 'POST /charge', kind: 3,
      startTimeUnixNano: String(now), endTimeUnixNano: String(now + 20_000_000n),
      attributes: [{ key: 'server.address', value: { stringValue: 'payments.example.com' } }, { key: 'http.request.method', value: { stringValue: 'POST' } }],
    };
    expect(await postOtlp(l, '/v1/traces', { resourceSpans: [{ resource: resource('checkout'), scopeSpans: [{ spans: [span] }] }] })).toBe(200);
    // the server side never comes: the edge is completed as a virtual node when it expires from the store
    let edges: Array<[Record<string, string>, number]> = [];
    await waitFor('the checkout edge in VictoriaMetrics', async () => {
      edges = await query(vm, 'max by (client, server, connection_type, virtual_node) (last_over_time(traces_service_graph_request_total{client="checkout"}[10m]))');
      return edges.length > 0 || undefined;
    }, 90_000, 2_000);
    console.log(`servicegraph: edges from checkout: ${edges.map(([m, v]) => `${m.client} -> ${m.server} (${m.connection_type}, virtual_node=${m.virtual_node}): ${v}`).join('; ')}`);
    expect(edges).toEqual([[{ client: 'checkout', server: 'payments.example.com', connection_type: 'virtual_node', virtual_node: 'server' }, 1]]);
  }, 150_000);
});
