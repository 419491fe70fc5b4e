/**
 * A minimal encoder of OTLP ExportMetricsServiceRequest protobuf for gauge points, so benchmarks and
 * tests can send many distinct series (or deliberately odd input: NaN, Inf, thousands of attributes)
 * without the SDK's per-point overhead. Field numbers are those of opentelemetry-proto v1.
 */

/** protobuf writer for the few wire types OTLP gauges need. */
class Writer {
  private chunks: Buffer[] = [];
  private len = 0;
  private push(b: Buffer) { this.chunks.push(b); this.len += b.length; }
  varint(n: number) {
    const out: number[] = [];
    while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
    out.push(n);
    this.push(Buffer.from(out));
  }
  tag(field: number, wire: number) { this.varint(field * 8 + wire); }
  bytes(field: number, b: Buffer) { this.tag(field, 2); this.varint(b.length); this.push(b); }
  string(field: number, s: string) { this.bytes(field, Buffer.from(s, 'utf8')); }
  fixed64(field: number, v: bigint) { const b = Buffer.alloc(8); b.writeBigUInt64LE(v); this.tag(field, 1); this.push(b); }
  double(field: number, v: number) { const b = Buffer.alloc(8); b.writeDoubleLE(v); this.tag(field, 1); this.push(b); }
  finish(): Buffer { return Buffer.concat(this.chunks, this.len); }
}

export type Attrs = Record<string, string>;

export interface GaugePoint {
  attributes: Attrs;
  timeUnixNano: bigint;
  value: number;
}

export interface GaugeMetric {
  name: string;
  points: GaugePoint[];
}

export interface ResourceBatch {
  resource: Attrs;
  metrics: GaugeMetric[];
}

function keyValue(key: string, value: string): Buffer {
  const any = new Writer();
  any.string(1, value); // AnyValue.string_value
  const kv = new Writer();
  kv.string(1, key);
  kv.bytes(2, any.finish());
  return kv.finish();
}

function numberDataPoint(p: GaugePoint): Buffer {
  const w = new Writer();
  w.fixed64(3, p.timeUnixNano); // time_unix_nano
  w.double(4, p.value); // as_double
  for (const [k, v] of Object.entries(p.attributes)) w.bytes(7, keyValue(k, v)); // attributes
  return w.finish();
}

/** ExportMetricsServiceRequest with one scope per resource and gauge metrics. */
export function encodeGauges(batches: ResourceBatch[]): Buffer {
  const req = new Writer();
  for (const b of batches) {
    const res = new Writer();
    for (const [k, v] of Object.entries(b.resource)) res.bytes(1, keyValue(k, v)); // Resource.attributes
    const scope = new Writer();
    const scopeId = new Writer();
    scopeId.string(1, 'mirador-bench');
    scope.bytes(1, scopeId.finish()); // ScopeMetrics.scope
    for (const m of b.metrics) {
      const gauge = new Writer();
      for (const p of m.points) gauge.bytes(1, numberDataPoint(p)); // Gauge.data_points
      const metric = new Writer();
      metric.string(1, m.name);
      metric.bytes(5, gauge.finish()); // Metric.gauge
      scope.bytes(2, metric.finish()); // ScopeMetrics.metrics
    }
    const rm = new Writer();
    rm.bytes(1, res.finish()); // ResourceMetrics.resource
    rm.bytes(2, scope.finish()); // ResourceMetrics.scope_metrics
    req.bytes(1, rm.finish()); // ExportMetricsServiceRequest.resource_metrics
  }
  return req.finish();
}

/** POSTs an OTLP/HTTP protobuf metrics request; resolves with the status and body text. */
export async function postMetrics(endpoint: string, body: Buffer | string, contentType = 'application/x-protobuf'): Promise<{ status: number; text: string }> {
  const res = await fetch(`${endpoint}/v1/metrics`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  const buf = Buffer.from(await res.arrayBuffer());
  // Error bodies are protobuf google.rpc.Status for protobuf requests: keep the readable part.
  return { status: res.status, text: buf.toString('utf8').replace(/[^\x20-\x7e]+/g, ' ').trim() };
}
