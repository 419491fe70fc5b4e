/**
 * An OTLP/HTTP JSON metrics sink in this process (a collector's otlphttp exporter with
 * `encoding: json` sends to it): it keeps every data point, so a test can check each one that
 * arrived, with the attributes the processor added.
 */
import { createServer, type Server } from 'node:http';

export interface KeyValue { key: string; value: { stringValue?: string; doubleValue?: number; boolValue?: boolean; intValue?: string } }
export interface SinkPoint { metric: string; attributes: KeyValue[]; asDouble?: number | string; asInt?: string; timeUnixNano: string }

export interface JsonSink {
  url: string;
  points: SinkPoint[];
  byMetric(name: string): SinkPoint[];
  close(): Promise<void>;
}

/** The value of one attribute of a point (undefined when it has none). */
export const attr = (p: SinkPoint, key: string) => p.attributes.find((a) => a.key === key)?.value;

/**
 * Accepts POST /v1/metrics with an OTLP JSON body (gauge and sum points) on 127.0.0.1:port;
 * anything else is answered 400 with the reason, and nothing of it is kept.
 */
export async function startJsonSink(port: number): Promise<JsonSink> {
  const points: SinkPoint[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        if (req.url !== '/v1/metrics' || !req.headers['content-type']?.includes('json')) {
          throw new Error(`expected POST /v1/metrics with a JSON body, got ${req.method} ${req.url} (${req.headers['content-type']})`);
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const got: SinkPoint[] = [];
        for (const rm of body.resourceMetrics ?? []) for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) {
          for (const p of m.gauge?.dataPoints ?? m.sum?.dataPoints ?? []) {
            got.push({ metric: m.name, attributes: p.attributes ?? [], asDouble: p.asDouble, asInt: p.asInt, timeUnixNano: p.timeUnixNano });
          }
        }
        for (const p of got) points.push(p); // not push(...got): a request of 100,000+ points overflows the call stack
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (e) {
        res.writeHead(400).end(String(e));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${port}`, points,
    byMetric: (name) => points.filter((p) => p.metric === name),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
