// The chart's collector configs run as local processes: the local profile's four (nothing
// Kubernetes-only in them) become healthy on loopback, and data sent to the gateway reaches
// servicegraph, spanmetrics and isolationforest through the static resolver; and the TLS option
// group really speaks mutual TLS between the gateway and isolationforest. Backends are not
// running here (the local pipeline suite covers them): exporters to them retry, which must not
// stop anything.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, startProcess, waitFor, waitForHttp, type ManagedProcess } from '../../src/proc/index.js';
import { COLLECTOR, COMPONENTS, LOCAL_PROFILE, NAMESPACE, configTexts, render, type Component } from './helm.js';

type Ports = { otlpGrpc: number; otlpHttp: number; metrics: number; healthCheck: number };

interface Local { ports: Record<Component, Ports>; procs: ManagedProcess[]; dir: string }

/** Renders the local profile with free ports (plus `extra` values) and starts the enabled components. */
async function startLocal(extra: Record<string, unknown>, components: readonly Component[] = COMPONENTS): Promise<Local> {
  const dir = mkdtempSync(join(tmpdir(), 'mirador-local-'));
  const free = await freePorts(COMPONENTS.length * 4 + 3);
  const ports = {} as Record<Component, Ports>;
  COMPONENTS.forEach((c, i) => { ports[c] = { otlpGrpc: free[i * 4], otlpHttp: free[i * 4 + 1], metrics: free[i * 4 + 2], healthCheck: free[i * 4 + 3] }; });
  const [vm, traces, cassandra] = free.slice(-3); // nothing listens there
  const target = (c: Component) => [`127.0.0.1:${ports[c].otlpGrpc}`];
  const texts = configTexts(await render({
    files: [LOCAL_PROFILE],
    setJson: {
      ...Object.fromEntries(COMPONENTS.map((c) => [`${c}.ports`, ports[c]])),
      ...Object.fromEntries(COMPONENTS.map((c) => [`${c}.enabled`, components.includes(c)])),
      'loadBalancing.static': { servicegraph: target('servicegraph'), spanmetrics: target('spanmetrics'), isolationforest: target('isolationforest') },
      'backends.victoriaMetrics.endpoint': `http://127.0.0.1:${vm}/opentelemetry/v1/metrics`,
      'backends.victoriaTraces.endpoint': `http://127.0.0.1:${traces}/v1/traces`,
      'backends.cassandra.endpoints': [`127.0.0.1:${cassandra}`],
      'servicegraph.persistentQueue.directory': join(dir, 'queue/servicegraph'),
      'isolationforest.persistentQueue.directory': join(dir, 'queue/isolationforest'),
      ...extra,
    },
  }));
  const procs: ManagedProcess[] = [];
  // targets before the components that send to them
  for (const c of (['isolationforest', 'servicegraph', 'spanmetrics', 'gateway'] as const).filter((x) => components.includes(x))) {
    const file = join(dir, `${c}.yaml`);
    writeFileSync(file, texts[c]!);
    const p = startProcess({ name: c, cmd: COLLECTOR, args: [`--config=${file}`], logFile: join(dir, `${c}.log`) });
    procs.push(p);
    const died = p.exited.then((code) => { throw new Error(`${c} exited (${code}):\n${p.tail(20)}`); });
    await Promise.race([waitForHttp(`http://127.0.0.1:${ports[c].healthCheck}/`, 30_000), died]);
    died.catch(() => undefined);
  }
  return { ports, procs, dir };
}

async function stopLocal(l: Local | undefined) {
  if (!l) return;
  await Promise.all(l.procs.map((p) => p.stop(5_000)));
  rmSync(l.dir, { recursive: true, force: true });
}

/** Sum of one of a collector's own counters, read from its Prometheus endpoint. */
async function counter(l: Local, c: Component, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${l.ports[c].metrics}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:_total)?(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

async function post(l: Local, path: string, body: unknown) {
  const res = await fetch(`http://127.0.0.1:${l.ports.gateway.otlpHttp}${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  expect(res.status, `${path}: ${await res.text()}`).toBe(200);
}

const now = BigInt(Date.now()) * 1_000_000n;
const resource = (service: string) => ({ attributes: [{ key: 'service.name', value: { stringValue: service } }] });
const gauge = {
  resourceMetrics: [{
    resource: resource('checkout'),
    scopeMetrics: [{ metrics: [{ name: 'queue_depth', gauge: { dataPoints: [{ asDouble: 42, timeUnixNano: String(now) }] } }] }],
  }],
};

describe('local profile collectors run as processes', () => {
  let l: Local;
  beforeAll(async () => {
    l = await startLocal({
      // flush derived metrics quickly so the test sees them reach isolationforest
      'servicegraph.config.connectors.servicegraph.metrics_flush_interval': '1s',
      'spanmetrics.config.connectors.spanmetrics.metrics_flush_interval': '1s',
    });
  }, 120_000);
  afterAll(() => stopLocal(l));

  it('are all healthy on loopback', async () => {
    for (const c of COMPONENTS) expect((await fetch(`http://127.0.0.1:${l.ports[c].healthCheck}/`)).status, c).toBe(200);
  });

  it('route metrics from the gateway to isolationforest', async () => {
    await post(l, '/v1/metrics', gauge);
    await waitFor('isolationforest to receive the data point', async () => (await counter(l, 'isolationforest', 'otelcol_receiver_accepted_metric_points')) >= 1, 20_000);
  });

  it('route traces to servicegraph and spanmetrics, whose metrics go on to isolationforest', async () => {
    const before = await counter(l, 'isolationforest', 'otelcol_receiver_accepted_metric_points');
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const span = (spanId: string, parent: string, kind: number, service: string) => ({
      resource: resource(service),
      scopeSpans: [{ spans: [{ traceId, spanId, parentSpanId: parent, name: 'GET /cart', kind, startTimeUnixNano: String(now), endTimeUnixNano: String(now + 5_000_000n) }] }],
    });
    await post(l, '/v1/traces', { resourceSpans: [span('b7ad6b7169203331', '', 3, 'frontend'), span('00f067aa0ba902b7', 'b7ad6b7169203331', 2, 'cart')] });
    await waitFor('servicegraph to receive both spans', async () => (await counter(l, 'servicegraph', 'otelcol_receiver_accepted_spans')) >= 2, 20_000);
    await waitFor('spanmetrics to receive both spans', async () => (await counter(l, 'spanmetrics', 'otelcol_receiver_accepted_spans')) >= 2, 20_000);
    await waitFor('derived metrics to reach isolationforest', async () => (await counter(l, 'isolationforest', 'otelcol_receiver_accepted_metric_points')) > before, 30_000);
  });
});

describe('loadBalancing.tls with mutual TLS', () => {
  let l: Local;
  let certs: string;
  beforeAll(async () => {
    // a CA and one certificate for the isolationforest Service name, as cert-manager would issue
    certs = mkdtempSync(join(tmpdir(), 'mirador-tls-'));
    mkdirSync(certs, { recursive: true });
    const ssl = (...args: string[]) => promisify(execFile)('openssl', args, { cwd: certs });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=mirador-test-ca', '-days', '1');
    await ssl('req', ...ec, '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', '/CN=mirador-isolationforest');
    writeFileSync(join(certs, 'ext.cnf'), `subjectAltName=DNS:mirador-isolationforest.${NAMESPACE}.svc\nextendedKeyUsage=serverAuth,clientAuth\n`);
    await ssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tls.crt', '-days', '1', '-extfile', 'ext.cnf');
    l = await startLocal({
      'loadBalancing.tls': { enabled: true, secretName: 'unused-locally', mutual: true, mountPath: certs },
    }, ['gateway', 'isolationforest']);
  }, 120_000);
  afterAll(async () => { await stopLocal(l); if (certs) rmSync(certs, { recursive: true, force: true }); });

  it('carries the gateway\'s metrics to isolationforest over mutual TLS', async () => {
    await post(l, '/v1/metrics', gauge);
    await waitFor('isolationforest to receive the data point over TLS', async () => (await counter(l, 'isolationforest', 'otelcol_receiver_accepted_metric_points')) >= 1, 20_000);
  });

  it('isolationforest refuses plain-text OTLP', async () => {
    // Go's TLS server answers a plain HTTP request with 400 "client sent an HTTP request to an HTTPS server"
    const res = await fetch(`http://127.0.0.1:${l.ports.isolationforest.otlpHttp}/v1/metrics`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(gauge),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/HTTPS server/);
    expect(await counter(l, 'isolationforest', 'otelcol_receiver_accepted_metric_points')).toBe(1);
  });
});
