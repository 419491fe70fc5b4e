// The harness's count of points stored in VictoriaMetrics, against a stand-in for its export API
// (JSON lines): raw samples, distinct points whatever score a re-sent point got, scored and
// anomalous samples, and a failing export reported with its status.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countStoredPoints, freePort, promSampleName } from '../../src/harness/index.js';

const SERIES = [
  // one point scored twice (re-sent after a retry, scored 0.41 then 0.43): one point, stored twice
  { metric: { __name__: 'g', series: 's0', anomaly_score: '0.41', is_anomaly: 'false' }, values: [1, 2], timestamps: [1000, 2000] },
  { metric: { __name__: 'g', series: 's0', anomaly_score: '0.43', is_anomaly: 'false' }, values: [2], timestamps: [2000] },
  { metric: { __name__: 'g', series: 's0', anomaly_score: '0.91', is_anomaly: 'true' }, values: [9], timestamps: [3000] },
  // not scored yet (warm-up)
  { metric: { __name__: 'g', series: 's1' }, values: [5, 5], timestamps: [1000, 2000] },
];

let server: Server;
let url = '';
let lastQuery: URLSearchParams | undefined;

beforeAll(async () => {
  const port = await freePort();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      lastQuery = new URLSearchParams(body);
      if (req.url !== '/api/v1/export' || req.method !== 'POST') return res.writeHead(404).end('not found');
      if (lastQuery.get('match[]') === '{broken}') return res.writeHead(400).end('cannot parse selector');
      res.writeHead(200).end(SERIES.map((s) => JSON.stringify(s)).join('\n') + '\n');
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  url = `http://127.0.0.1:${port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('countStoredPoints', () => {
  it('counts raw samples, distinct points, scored and anomalous samples', async () => {
    expect(await countStoredPoints(url, '{__name__="g"}', 0, 10_000)).toEqual({ series: 4, raw: 6, distinct: 5, scored: 4, anomalous: 1 });
    expect(lastQuery?.get('start')).toBe('0');
    expect(lastQuery?.get('end')).toBe('10');
  });

  it('reads everything stored when no time range is given', async () => {
    await countStoredPoints(url, '{__name__="g"}');
    expect(lastQuery?.has('start')).toBe(false);
  });

  it('reports a failed export with its status and body', async () => {
    await expect(countStoredPoints(url, '{broken}')).rejects.toThrow(/export \{broken\}: HTTP 400: cannot parse selector/);
  });
});

describe('promSampleName', () => {
  it('names OTLP metrics as VictoriaMetrics stores them under -opentelemetry.usePrometheusNaming', () => {
    expect(promSampleName('http.server.request.duration', 's', 'histogram')).toBe('http_server_request_duration_seconds_count');
    expect(promSampleName('shop.orders.placed', '{order}', 'counter')).toBe('shop_orders_placed_total');
    expect(promSampleName('process.memory.usage', 'By', 'gauge')).toBe('process_memory_usage_bytes');
  });
});
