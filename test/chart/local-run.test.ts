// The local profile's four collector configs run as local processes (nothing Kubernetes-only in
// them): each becomes healthy on loopback, and data sent to the gateway reaches servicegraph,
// spanmetrics and isolationforest through the static resolver. Backends are not running here
// (the local pipeline suite covers them): exporters to them retry, which must not stop anything.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, startProcess, waitFor, waitForHttp, type ManagedProcess } from '../../src/proc/index.js';
import { COLLECTOR, COMPONENTS, LOCAL_PROFILE, configTexts, render, type Component } from './helm.js';

type Ports = { otlpGrpc: number; otlpHttp: number; metrics: number; healthCheck: number };
const ports = {} as Record<Component, Ports>;
const procs: ManagedProcess[] = [];
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mirador-local-'));
  const free = await freePorts(COMPONENTS.length * 4 + 3);
  COMPONENTS.forEach((c, i) => { ports[c] = { otlpGrpc: free[i * 4], otlpHttp: free[i * 4 + 1], metrics: free[i * 4 + 2], healthCheck: free[i * 4 + 3] }; });
  const [vm, traces, cassandra] = free.slice(-3); // nothing listens there
  const target = (c: Component) => [`127.0.0.1:${ports[c].otlpGrpc}`];
  const texts = configTexts(await render({
    files: [LOCAL_PROFILE],
    setJson: {
      ...Object.fromEntries(COMPONENTS.map((c) => [`${c}.ports`, ports[c]])),
      'loadBalancing.static': { servicegraph: target('servicegraph'), spanmetrics: target('spanmetrics'), isolationforest: target('isolationforest') },
      'backends.victoriaMetrics.endpoint': `http://127.0.0.1:${vm}/opentelemetry/v1/metrics`,
      'backends.victoriaTraces.endpoint': `http://127.0.0.1:${traces}/v1/traces`,
      'backends.cassandra.endpoints': [`127.0.0.1:${cassandra}`],
      'servicegraph.persistentQueue.directory': join(dir, 'queue/servicegraph'),
      'isolationforest.persistentQueue.directory': join(dir, 'queue/isolationforest'),
      // flush derived metrics quickly so the test sees them reach isolationforest
      'servicegraph.config.connectors.servicegraph.metrics_flush_interval': '1s',
      'spanmetrics.config.connectors.spanmetrics.metrics_flush_interval': '1s',
    },
  }));
  // targets before the components that send to them
  for (const c of ['isolationforest', 'servicegraph', 'spanmetrics', 'gateway'] as const) {
    const file = join(dir, `${c}.yaml`);
    writeFileSync(file, texts[c]!);
    const p = startProcess({ name: c, cmd: COLLECTOR, args: [`--config=${file}`], logFile: join(dir, `${c}.log`) });
    procs.push(p);
    const died = p.exited.then((code) => { throw new Error(`${c} exited (${code}):\n${p.tail(20)}`); });
    await Promise.race([waitForHttp(`http://127.0.0.1:${ports[c].healthCheck}/`, 30_000), died]);
    died.catch(() => undefined);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop(5_000)));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Sum of one of a collector's own counters, read from its Prometheus endpoint. */
async function counter(c: Component, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ports[c].metrics}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:_total)?(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

async function post(path: string, body: unknown) {
  const res = await fetch(`http://127.0.0.1:${ports.gateway.otlpHttp}${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  expect(res.status, `${path}: ${await res.text()}`).toBe(200);
}

const now = BigInt(Date.now()) * 1_000_000n;
const resource = (service: string) => ({ attributes: [{ key: 'service.name', value: { stringValue: service } }] });

describe('local profile collectors run as processes', () => {
  it('are all healthy on loopback', async () => {
    for (const c of COMPONENTS) expect((await fetch(`http://127.0.0.1:${ports[c].healthCheck}/`)).status, c).toBe(200);
  });

  it('route metrics from the gateway to isolationforest', async () => {
    await post('/v1/metrics', {
      resourceMetrics: [{
        resource: resource('checkout'),
        scopeMetrics: [{ metrics: [{ name: 'queue_depth', gauge: { dataPoints: [{ asDouble: 42, timeUnixNano: String(now) }] } }] }],
      }],
    });
    await waitFor('isolationforest to receive the data point', async () => (await counter('isolationforest', 'otelcol_receiver_accepted_metric_points')) >= 1, 20_000);
  });

  it('route traces to servicegraph and spanmetrics, whose metrics go on to isolationforest', async () => {
    const before = await counter('isolationforest', 'otelcol_receiver_accepted_metric_points');
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const span = (spanId: string, parent: string, kind: number, service: string) => ({
      resource: resource(service),
      scopeSpans: [{ spans: [{ traceId, spanId, parentSpanId: parent, name: 'GET /cart', kind, startTimeUnixNano: String(now), endTimeUnixNano: String(now + 5_000_000n) }] }],
    });
    await post('/v1/traces', { resourceSpans: [span('b7ad6b7169203331', '', 3, 'frontend'), span('00f067aa0ba902b7', 'b7ad6b7169203331', 2, 'cart')] });
    await waitFor('servicegraph to receive both spans', async () => (await counter('servicegraph', 'otelcol_receiver_accepted_spans')) >= 2, 20_000);
    await waitFor('spanmetrics to receive both spans', async () => (await counter('spanmetrics', 'otelcol_receiver_accepted_spans')) >= 2, 20_000);
    await waitFor('derived metrics to reach isolationforest', async () => (await counter('isolationforest', 'otelcol_receiver_accepted_metric_points')) > before, 30_000);
  });
});
