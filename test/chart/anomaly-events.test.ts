// The chart's anomaly-event wiring, run: the local profile's gateway, spanmetrics and isolationforest
// as processes. A service's latency jumps 20x for a few seconds: spanmetrics' RED histogram (with
// exemplars, as the chart configures it) carries the slow calls' trace ids to isolationforest, whose
// processor opens and then resolves an alarm episode; the anomaly_events receiver sends the two
// events over OTLP to the gateway, whose logs pipeline writes them to the logs backend (here an
// OTLP/HTTP JSON sink standing in for Cassandra, set as the release's logs backend with the original
// chart's `otlp_http/logs` id). So the test sees what Cassandra would store, with its attributes.
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, waitFor } from '../../src/harness/index.js';
import { counter, postOtlp, resource, startLocal, type Local } from './local.js';

interface LogRow { service?: string; severity?: string; eventName?: string; traceId?: string; body?: string; attrs: Record<string, unknown> }

const value = (v: any): unknown => v?.stringValue ?? v?.doubleValue ?? (v?.intValue !== undefined ? Number(v.intValue) : undefined) ?? v?.boolValue
  ?? (v?.arrayValue ? (v.arrayValue.values ?? []).map(value) : undefined);

/** An OTLP/HTTP JSON logs endpoint keeping every record. */
async function startLogsSink(port: number): Promise<{ rows: LogRow[]; close(): Promise<void> }> {
  const rows: LogRow[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const raw = Buffer.concat(chunks);
        const body = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8'));
        for (const rl of body.resourceLogs ?? []) {
          const service = value(rl.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value) as string | undefined;
          for (const sl of rl.scopeLogs ?? []) for (const r of sl.logRecords ?? []) {
            rows.push({
              service, severity: r.severityText, eventName: r.eventName, traceId: r.traceId, body: r.body?.stringValue,
              attrs: Object.fromEntries((r.attributes ?? []).map((a: any) => [a.key, value(a.value)])),
            });
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (e) {
        res.writeHead(400).end(String(e));
      }
    });
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve); });
  return { rows, close: () => new Promise((r) => server.close(() => r())) };
}

const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');

describe('anomaly events through the chart\'s wiring (isolationforest -> gateway -> logs backend)', () => {
  let l: Local;
  let sink: Awaited<ReturnType<typeof startLogsSink>>;
  const slowTraces = new Set<string>();
  const allTraces = new Set<string>();
  let spikeStart = 0;

  beforeAll(async () => {
    const [sinkPort] = await freePorts(1);
    sink = await startLogsSink(sinkPort);
    l = await startLocal({
      components: ['gateway', 'spanmetrics', 'isolationforest'],
      values: {
        'spanmetrics.config.connectors.spanmetrics.metrics_flush_interval': '1s',
        // a point's exemplars are the first calls of its flush interval (the connector's rule), and
        // the onset event takes those of its point: with room for every call of an interval (about 20
        // here), the interval in which latency jumped surely contributes slow ones
        'spanmetrics.config.connectors.spanmetrics.exemplars.max_per_data_point': 40,
        'gateway.config.exporters.otlp_http/logs': { logs_endpoint: `http://127.0.0.1:${sinkPort}/v1/logs`, encoding: 'json' },
        // an episode resolves after 5 calm points instead of 50, so the test sees both events within a minute
        'isolationforest.processor': { resolve_points: 5, events: { trace_ids: 40 } },
        'backends.victoriaTraces.exportedBy': 'none',
      },
    });
  }, 120_000);
  afterAll(async () => { await l?.stop(); await sink?.close(); });

  it('one onset and one resolve event for the slow service\'s latency, with trace ids of slow calls, stored through the gateway', async () => {
    // 20 calls/s of POST /charge: 20 ms for 25 s, 400 ms for 5 s, 20 ms again for 20 s
    let n = 0;
    const t0 = Date.now();
    const phase = (s: number) => (s < 25 ? 'calm' : s < 30 ? 'slow' : s < 50 ? 'calm' : 'done');
    for (;;) {
      const s = (Date.now() - t0) / 1000;
      const p = phase(s);
      if (p === 'done') break;
      if (p === 'slow' && !spikeStart) spikeStart = Date.now();
      const end = BigInt(Date.now()) * 1_000_000n;
      const dur = BigInt(p === 'slow' ? 400 : 20) * 1_000_000n;
      const spans = Array.from({ length: 5 }, () => {
        const traceId = hex(++n, 32);
        allTraces.add(traceId);
        if (p === 'slow') slowTraces.add(traceId);
        return { traceId, spanId: hex(n, 16), name: 'POST /charge', kind: 2, startTimeUnixNano: String(end - dur), endTimeUnixNano: String(end) };
      });
      expect(await postOtlp(l, '/v1/traces', { resourceSpans: [{ resource: resource('payments'), scopeSpans: [{ spans }] }] })).toBe(200);
      await new Promise((r) => setTimeout(r, 250));
    }
    const duration = (r: LogRow) => r.eventName === 'mirador.anomaly' && r.service === 'payments' && r.attrs['anomaly.metric'] === 'traces.span.metrics.duration';
    await waitFor('the onset and resolve events of the latency series in the logs backend', async () => sink.rows.filter(duration).length >= 2, 40_000)
      .catch(async (e: Error) => {
        const m = async (name: string) => `${name}=${await counter(l, 'isolationforest-0', name)}`;
        throw new Error(`${e.message}\nisolationforest: ${(await Promise.all(['otelcol_processor_isolationforest_alarms', 'otelcol_processor_isolationforest_events', 'otelcol_processor_isolationforest_events_dropped', 'otelcol_processor_isolationforest_points_scored', 'otelcol_exporter_sent_log_records'].map(m))).join(' ')}\n`
          + `gateway: ${(await Promise.all(['otelcol_receiver_accepted_log_records', 'otelcol_exporter_sent_log_records', 'otelcol_exporter_send_failed_log_records'].map(async (n) => `${n}=${await counter(l, 'gateway', n)}`))).join(' ')}\n${l.procs.gateway.tail(15)}\n`
          + `logs backend got: ${JSON.stringify(sink.rows.map((r) => [r.service, r.attrs['anomaly.metric'], r.attrs['anomaly.state'], r.body]))}`);
      });
    // nothing more arrives for it
    await new Promise((r) => setTimeout(r, 3000));
    const events = sink.rows.filter(duration);
    expect(events.map((e) => [e.attrs['anomaly.state'], e.severity])).toEqual([['onset', 'WARN'], ['resolve', 'INFO']]);
    const [onset, resolve] = events;
    expect(onset.attrs['event.name']).toBe('mirador.anomaly');
    expect(onset.attrs['span.name']).toBe('POST /charge');
    expect(onset.attrs['anomaly.observed'] as number).toBeGreaterThan(onset.attrs['anomaly.expected'] as number);
    expect(onset.body).toMatch(/traces.span.metrics.duration/);
    expect(resolve.attrs['anomaly.duration_ms'] as number).toBeGreaterThan(0);
    // trace ids from spanmetrics' exemplars: calls of the interval whose latency jumped (so slow ones
    // among them, and none from long before), the first one on the record itself
    const ids = onset.attrs['anomaly.trace_ids'] as string[];
    expect(ids.length).toBeGreaterThan(0);
    const firstSlow = Math.min(...[...slowTraces].map((id) => parseInt(id, 16)));
    for (const id of ids) {
      expect(allTraces.has(id), `${id} is a trace the test sent`).toBe(true);
      expect(parseInt(id, 16), `${id} was sent at most one flush interval before the slow calls`).toBeGreaterThan(firstSlow - 30);
    }
    expect(ids.filter((id) => slowTraces.has(id)).length, `slow calls among ${ids}`).toBeGreaterThan(0);
    expect(onset.traceId).toBe(ids[0]);
    // the events left isolationforest by its events exporter and entered the gateway like any logs
    expect(await counter(l, 'isolationforest-0', 'otelcol_exporter_sent_log_records', /exporter="otlp_grpc\/events"/)).toBeGreaterThanOrEqual(2);
    expect(await counter(l, 'gateway', 'otelcol_receiver_accepted_log_records', /receiver="otlp"/)).toBe(sink.rows.length);
    expect(sink.rows.every((r) => r.eventName === 'mirador.anomaly')).toBe(true);
    expect(allTraces.size).toBe(n);
  }, 150_000);
});
