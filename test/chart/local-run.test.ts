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
import { waitFor } from '../../src/harness/index.js';
import { COMPONENTS, NAMESPACE } from './helm.js';
import { counter as counterOf, postOtlp, resource, startLocal, type Local } from './local.js';

const procName = (c: string) => (c === 'isolationforest' ? 'isolationforest-0' : c);
const counter = (l: Local, c: string, metric: string) => counterOf(l, procName(c), metric);
async function post(l: Local, path: '/v1/traces' | '/v1/metrics', body: unknown) {
  expect(await postOtlp(l, path, body), path).toBe(200);
}

const now = BigInt(Date.now()) * 1_000_000n;
const gauge = {
  resourceMetrics: [{
    resource: resource('checkout'),
    scopeMetrics: [{ metrics: [{ name: 'queue_depth', gauge: { dataPoints: [{ asDouble: 42, timeUnixNano: String(now) }] } }] }],
  }],
};

describe('local profile collectors run as processes', () => {
  let l: Local;
  beforeAll(async () => {
    l = await startLocal({ values: {
      // flush derived metrics quickly so the test sees them reach isolationforest
      'servicegraph.config.connectors.servicegraph.metrics_flush_interval': '1s',
      'spanmetrics.config.connectors.spanmetrics.metrics_flush_interval': '1s',
    } });
  }, 120_000);
  afterAll(() => l?.stop());

  it('are all healthy on loopback', async () => {
    for (const c of COMPONENTS) expect((await fetch(`http://127.0.0.1:${l.ports[procName(c)].healthCheck}/`)).status, c).toBe(200);
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
      values: { 'loadBalancing.tls': { enabled: true, secretName: 'unused-locally', mutual: true, mountPath: certs } },
      components: ['gateway', 'isolationforest'],
    });
  }, 120_000);
  afterAll(async () => { await l?.stop(); if (certs) rmSync(certs, { recursive: true, force: true }); });

  it('carries the gateway\'s metrics to isolationforest over mutual TLS', async () => {
    await post(l, '/v1/metrics', gauge);
    await waitFor('isolationforest to receive the data point over TLS', async () => (await counter(l, 'isolationforest', 'otelcol_receiver_accepted_metric_points')) >= 1, 20_000);
  });

  it('isolationforest refuses plain-text OTLP', async () => {
    // Go's TLS server answers a plain HTTP request with 400 "client sent an HTTP request to an HTTPS server"
    const res = await fetch(`http://127.0.0.1:${l.ports['isolationforest-0'].otlpHttp}/v1/metrics`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(gauge),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/HTTPS server/);
    expect(await counter(l, 'isolationforest', 'otelcol_receiver_accepted_metric_points')).toBe(1);
  });
});
