// OTLP/HTTP JSON log traffic for test/logs and bench:logs: a reproducible data set with
// every awkward case the exporter must store (no trace context, shared span id and severity,
// empty and 1 MiB bodies, non-ASCII text, 1k attributes), each record identifiable by its
// timestamp (unique per record) and, when traced, by its trace id.

type AnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean };
interface KeyValue { key: string; value: AnyValue }
export interface OtlpLogRecord {
  timeUnixNano: string;
  severityNumber?: number;
  severityText?: string;
  body?: AnyValue;
  attributes: KeyValue[];
  traceId?: string;
  spanId?: string;
}

export const SERVICES = ['checkout', 'cart', 'pagamento-ñ', '配送-service', 'frontend'];
export const ONE_MIB_BODY_SEQS = [7, 33_333, 66_666];
export const SHARED_SPAN = { from: 1000, to: 2000, severityNumber: 17 };
export const MANY_ATTRIBUTE_SEQS = [11, 22_222, 44_444, 88_888];
export const NON_ASCII = (seq: number) => `ünïcødé ✓ 日本語 🚀 Ωμέγα ${seq}`;

export interface DataSet {
  /** Distinguishes runs: the trace ids of one run start with it. */
  tag: string;
  /** Timestamp of record 0, in ns; record seq has base + seq * 1000. */
  baseNanos: bigint;
  total: number;
}

export function newDataSet(total: number): DataSet {
  const tag = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
  // Whole seconds an hour ago, so the data spans few time buckets and sorts clearly before "now".
  const baseNanos = BigInt(Math.floor(Date.now() / 1000) - 3600) * 1_000_000_000n;
  return { tag, baseNanos, total };
}

export const timeOf = (ds: DataSet, seq: number) => ds.baseNanos + BigInt(seq) * 1000n;
export const traceIdOf = (ds: DataSet, seq: number) => ds.tag + seq.toString(16).padStart(24, '0');
export const serviceOf = (seq: number) => SERVICES[seq % SERVICES.length];
export const sharedTraceId = (ds: DataSet) => ds.tag + 'f'.repeat(24);
export const sharedSpanId = (ds: DataSet) => ds.tag + '0badcafe';

const str = (s: string): AnyValue => ({ stringValue: s });

/** Record seq of the data set: which awkward case it is follows from seq alone. */
export function record(ds: DataSet, seq: number): OtlpLogRecord {
  const r: OtlpLogRecord = {
    timeUnixNano: timeOf(ds, seq).toString(),
    severityNumber: 9,
    severityText: 'INFO',
    body: str(`request ${seq} handled`),
    attributes: [{ key: 'seq', value: { intValue: String(seq) } }],
  };
  if (seq >= SHARED_SPAN.from && seq < SHARED_SPAN.to) {
    // contrib's exporter keys rows by (span id, severity): these would overwrite each other there.
    r.traceId = sharedTraceId(ds);
    r.spanId = sharedSpanId(ds);
    r.severityNumber = SHARED_SPAN.severityNumber;
    r.severityText = 'ERROR';
    r.body = str('payment declined');
  } else if (seq % 2 === 0 || ONE_MIB_BODY_SEQS.includes(seq) || MANY_ATTRIBUTE_SEQS.includes(seq)) {
    r.traceId = traceIdOf(ds, seq);
    r.spanId = ds.tag + (seq + 1).toString(16).padStart(8, '0');
  } // odd seqs: no trace context at all
  if (ONE_MIB_BODY_SEQS.includes(seq)) r.body = str('x'.repeat(1 << 20));
  else if (MANY_ATTRIBUTE_SEQS.includes(seq)) {
    for (let i = 0; i < 1000; i++) r.attributes.push({ key: `attr.${i}`, value: str(`value ${i}`) });
  } else if (seq % 97 === 0) r.body = str('');
  else if (seq % 101 === 0) delete r.body;
  else if (seq % 10 === 3) {
    r.body = str(NON_ASCII(seq));
    r.attributes.push({ key: 'clé', value: str('värde ✓') });
  }
  return r;
}

/** The OTLP JSON request bodies of records [from, to): up to perRequest records each, 1 MiB bodies alone. */
export function* requests(ds: DataSet, from = 0, to = ds.total, perRequest = 1000): Generator<{ body: string; count: number }> {
  let batch: { seq: number; rec: OtlpLogRecord }[] = [];
  const flush = () => {
    const byService = new Map<string, OtlpLogRecord[]>();
    for (const { seq, rec } of batch) {
      const s = serviceOf(seq);
      if (!byService.has(s)) byService.set(s, []);
      byService.get(s)!.push(rec);
    }
    const body = JSON.stringify({
      resourceLogs: [...byService].map(([service, logRecords]) => ({
        resource: { attributes: [{ key: 'service.name', value: str(service) }, { key: 'run.tag', value: str(ds.tag) }] },
        scopeLogs: [{ scope: { name: 'mirador.test', version: '1.0.0' }, logRecords }],
      })),
    });
    const count = batch.length;
    batch = [];
    return { body, count };
  };
  for (let seq = from; seq < to; seq++) {
    const rec = record(ds, seq);
    if (ONE_MIB_BODY_SEQS.includes(seq)) {
      if (batch.length) yield flush();
      batch.push({ seq, rec });
      yield flush();
      continue;
    }
    batch.push({ seq, rec });
    if (batch.length >= perRequest) yield flush();
  }
  if (batch.length) yield flush();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * POSTs one request, retrying refusals (collector restarting, queue full: 429/503) for up to
 * retryForMs; resolves once the collector acknowledged it.
 */
export async function postLogs(url: string, body: string, retryForMs = 180_000): Promise<void> {
  const deadline = Date.now() + retryForMs;
  let wait = 200;
  for (;;) {
    let why: string;
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (res.ok) { await res.arrayBuffer(); return; }
      why = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
      if (res.status !== 429 && res.status !== 502 && res.status !== 503 && res.status !== 504) throw new Error(`${url}: ${why}`);
    } catch (e) {
      if ((e as Error).message.startsWith(url)) throw e;
      why = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${url}: not accepted within ${retryForMs} ms: ${why}`);
    await sleep(wait);
    wait = Math.min(wait * 2, 2000);
  }
}

/** Sends the records [from, to) with `parallel` requests in flight; resolves with the number acknowledged. */
export async function sendLogs(url: string, ds: DataSet, opts: { from?: number; to?: number; parallel?: number; paceMs?: number } = {}): Promise<number> {
  return sendRequests(url, requests(ds, opts.from ?? 0, opts.to ?? ds.total), opts);
}

/** Sends prepared request bodies (e.g. `[...requests(ds)]`, so a benchmark does not time their encoding). */
export async function sendRequests(url: string, bodies: Iterable<{ body: string; count: number }>, opts: { parallel?: number; paceMs?: number } = {}): Promise<number> {
  const it = bodies[Symbol.iterator]();
  let acked = 0;
  const worker = async () => {
    for (let next = it.next(); !next.done; next = it.next()) {
      await postLogs(url, next.value.body);
      acked += next.value.count;
      if (opts.paceMs) await sleep(opts.paceMs);
    }
  };
  await Promise.all(Array.from({ length: opts.parallel ?? 4 }, worker));
  return acked;
}
