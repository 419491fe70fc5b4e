// Logs into a real Cassandra 5.0.9 through otelcol-mirador's cassandra_logs exporter, and nothing
// lost: every record sent over OTLP is read back exactly once, including the cases contrib's
// exporter drops or overwrites; then again across a 20 s Cassandra outage and a second outage
// with a collector restart in it, with the file_storage sending queue.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MANY_ATTRIBUTE_SEQS, NON_ASCII, ONE_MIB_BODY_SEQS, SHARED_SPAN, cassandraInstalled, connectCql, newDataSet, postLogs, repoRoot, sendLogs, sharedSpanId,
  sharedTraceId, startCassandra, timeOf, traceIdOf, waitFor, type CqlClient, type DataSet, type RunningCassandra,
} from '../../src/harness/index.js';
import { startCollector, type RunningCollector } from './collector.js';
import { storedTimes } from './readback.js';

const ROOT = repoRoot();
const COLLECTOR = join(ROOT, 'build', 'otelcol-mirador');
const RUN = join(ROOT, '.run', `test-logs-${process.pid}`);
const TOTAL = 100_000;
// 256 MiB (the launcher's default) spends much of a 100k-record burst in full GCs on this machine.
const HEAP_MB = 768;

let cassandra: RunningCassandra | undefined;
let cql: CqlClient | undefined;
const collectors: RunningCollector[] = [];
let failed = false; // keep the run directory (logs, configs) of a failed run for diagnosis
afterEach((ctx) => { if (ctx.task.result?.state === 'fail') failed = true; });

beforeAll(async () => {
  if (!existsSync(COLLECTOR)) throw new Error(`${COLLECTOR} is missing: run \`npm run build:collector\` (npm test builds it)`);
  if (!cassandraInstalled()) throw new Error('Cassandra jars are missing: run `npm run tools` (npm test installs them)');
  rmSync(RUN, { recursive: true, force: true });
  mkdirSync(RUN, { recursive: true });
  cassandra = await startCassandra({ runDir: join(RUN, 'cassandra'), heapMb: HEAP_MB });
  cql = await connectCql(cassandra.host, cassandra.cqlPort);
}, 180_000);

afterAll(async () => {
  await Promise.all(collectors.map((c) => c.stop()));
  await cql?.shutdown();
  await cassandra?.stop();
  if (failed) console.log(`logs of the failed run kept in ${RUN}`);
  else rmSync(RUN, { recursive: true, force: true });
}, 120_000);

function exporterConfig(keyspace: string, port: number, queueDir?: string) {
  return {
    cassandra_logs: {
      endpoints: [`127.0.0.1:${port}`],
      keyspace,
      timeout: '20s',
      sending_queue: {
        queue_size: 1000,
        ...(queueDir ? { storage: 'file_storage/queue' } : {}),
      },
      retry_on_failure: { initial_interval: '500ms', max_interval: '2s' },
    },
  };
}

/**
 * Waits until the collector's queue has drained, then until every record of the data set is
 * stored (a full scan, so polled only once the queue is empty), and returns the stored times.
 */
async function waitForAll(col: RunningCollector, keyspace: string, ds: DataSet, timeoutMs: number): Promise<bigint[]> {
  const deadline = Date.now() + timeoutMs;
  let last: bigint[] = [];
  try {
    await waitFor(`${ds.total} records in ${keyspace}.logs`, async () => {
      if (await col.metric('otelcol_exporter_queue_size') > 0) return false;
      last = await storedTimes(cql!, keyspace, 'logs');
      return last.length >= ds.total;
    }, Math.max(1000, deadline - Date.now()), 1000);
  } catch (e) {
    throw new Error(`${(e as Error).message} (stored ${last.length} rows)`);
  }
  await new Promise((r) => setTimeout(r, 3000)); // late duplicates would show up now
  return storedTimes(cql!, keyspace, 'logs');
}

/** Every record exactly once: as many rows as sent, and each sent timestamp among them. */
function expectExactlyOnce(times: bigint[], ds: DataSet) {
  const distinct = new Set(times);
  const missing: number[] = [];
  for (let seq = 0; seq < ds.total && missing.length < 10; seq++) if (!distinct.has(timeOf(ds, seq))) missing.push(seq);
  expect({ rows: times.length, distinct: distinct.size, firstMissing: missing }).toEqual({ rows: ds.total, distinct: ds.total, firstMissing: [] });
}

describe('cassandra_logs in otelcol-mirador stores every log record', () => {
  it(`stores ${TOTAL} logs sent over OTLP, each exactly once, awkward ones included`, async () => {
    const ds = newDataSet(TOTAL);
    const col = await startCollector({
      bin: COLLECTOR, runDir: RUN, name: 'collector-steady', exporters: exporterConfig('steady', cassandra!.cqlPort),
    });
    collectors.push(col);
    const t0 = Date.now();
    expect(await sendLogs(col.logsUrl, ds, { parallel: 4 })).toBe(TOTAL);
    console.log(`steady: ${TOTAL} records accepted by the collector in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const times = await waitForAll(col, 'steady', ds, 240_000);
    const seconds = (Date.now() - t0) / 1000;
    console.log(`steady: ${TOTAL} records stored in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)} logs/s end to end)`);
    expectExactlyOnce(times, ds);

    // The exporter's own metrics agree with the rows: a record rewritten by a retry counts once.
    const written = await col.metric('otelcol_cassandra_logs_records_written_total');
    const dropped = await col.metric('otelcol_cassandra_logs_records_dropped_total');
    const writeErrors = await col.metric('otelcol_cassandra_logs_write_errors_total');
    console.log(`steady: exporter wrote ${written} rows, dropped ${dropped}, ${writeErrors} failed batch writes`);
    expect({ written, dropped }).toEqual({ written: TOTAL, dropped: 0 });

    // Logs sharing one span id and severity: all there, found with one query on the trace id index.
    const shared = await cql!.execute('SELECT span_id, severity_number, body FROM steady.logs WHERE trace_id = ?', [sharedTraceId(ds)], { prepare: true, fetchSize: 5000 });
    expect(shared.rowLength).toBe(SHARED_SPAN.to - SHARED_SPAN.from);
    expect(new Set(shared.rows.map((r) => `${r.span_id}/${r.severity_number}`))).toEqual(new Set([`${sharedSpanId(ds)}/${SHARED_SPAN.severityNumber}`]));

    const byTrace = async (seq: number) => {
      const rs = await cql!.execute('SELECT * FROM steady.logs WHERE trace_id = ?', [traceIdOf(ds, seq)], { prepare: true });
      expect(rs.rowLength, `record ${seq}`).toBe(1);
      return rs.first();
    };
    for (const seq of ONE_MIB_BODY_SEQS) expect((await byTrace(seq)).body.length).toBe(1 << 20);
    for (const seq of MANY_ATTRIBUTE_SEQS) {
      const attrs = (await byTrace(seq)).log_attributes as Record<string, string>;
      expect(Object.keys(attrs).length).toBe(1001);
      expect(attrs['attr.999']).toBe('value 999');
    }
    // Record 53: non-ASCII body and attribute, no trace context, service '配送-service'; read by its primary key.
    const seqNonAscii = 53;
    const untraced = await cql!.execute(
      'SELECT body, trace_id, span_id, log_attributes FROM steady.logs WHERE service_name = ? AND time_bucket = ? AND timestamp = ?',
      ['配送-service', bucketOf(timeOf(ds, seqNonAscii)), new Date(Number(timeOf(ds, seqNonAscii) / 1_000_000n))], { prepare: true });
    const row = untraced.rows.find((r) => r.body === NON_ASCII(seqNonAscii));
    expect(row, 'the non-ASCII record without trace context').toBeDefined();
    expect(row!.trace_id).toBeNull();
    expect(row!.span_id).toBeNull();
    expect(row!.log_attributes['clé']).toBe('värde ✓');

    // Empty bodies are stored as empty strings, absent ones too (the OTLP empty value).
    const emptyBody = await byTrace(97 * 2);
    expect(emptyBody.body).toBe('');
  }, 300_000);

  it('stores a record sent three times as three rows, and drops a poison record alone', async () => {
    const col = await startCollector({
      bin: COLLECTOR, runDir: RUN, name: 'collector-repeats', exporters: exporterConfig('repeats', cassandra!.cqlPort),
    });
    collectors.push(col);
    const str = (s: string) => ({ stringValue: s });
    const request = (service: string, bodies: string[]) => JSON.stringify({
      resourceLogs: [{
        resource: { attributes: [{ key: 'service.name', value: str(service) }] },
        scopeLogs: [{ logRecords: bodies.map((b, i) => ({ timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i)), severityNumber: 9, body: str(b) })) }],
      }],
    });
    // The same log line (same body, severity and timestamp, no observed time) in three export calls.
    for (let i = 0; i < 3; i++) await postLogs(col.logsUrl, request('repeats-svc', ['user 42 logged in']));
    // 50 good records, then a request whose service.name makes the partition key longer than 64 KiB.
    await postLogs(col.logsUrl, request('good-svc', Array.from({ length: 50 }, (_, i) => `good ${i}`)));
    await postLogs(col.logsUrl, request('p'.repeat(70_000), ['poison']));
    await postLogs(col.logsUrl, request('good-svc', Array.from({ length: 50 }, (_, i) => `after ${i}`)));
    await waitFor('104 records handled', async () => await col.metric('otelcol_exporter_sent_log_records_total') >= 104, 60_000, 500);
    const rows = (await cql!.execute('SELECT service_name, body FROM repeats.logs')).rows;
    const bodies = rows.map((r) => r.body as string);
    const written = await col.metric('otelcol_cassandra_logs_records_written_total');
    const dropped = await col.metric('otelcol_cassandra_logs_records_dropped_total');
    console.log(`repeats: records in 104 (1 record x 3 calls, 100 good, 1 poison), rows stored ${rows.length}, ` +
      `duplicates ${bodies.length - new Set(bodies).size - 2}, exporter wrote ${written}, dropped ${dropped}`);
    expect(bodies.filter((b) => b === 'user 42 logged in')).toHaveLength(3);
    expect(rows.length).toBe(103);
    expect(new Set(bodies).size).toBe(101); // 100 distinct good bodies and the repeated line
    expect({ written, dropped }).toEqual({ written: 103, dropped: 1 });
    expect(col.process.tail(200)).toMatch(/dropping log records Cassandra can never accept.*partition_key_too_large/);
  }, 120_000);

  it('loses and duplicates nothing across a 20 s Cassandra outage, and a collector restart during a second one', async () => {
    const ds = newDataSet(TOTAL);
    const queueDir = join(RUN, 'queue');
    mkdirSync(queueDir, { recursive: true });
    const opts = {
      bin: COLLECTOR, runDir: RUN, name: 'collector-outage',
      exporters: exporterConfig('outage', cassandra!.cqlPort, queueDir),
      extensions: { 'file_storage/queue': { directory: queueDir } },
    };
    const t0 = Date.now();
    const phase = (what: string) => console.log(`outage: ${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const stored = async () => (await storedTimes(cql!, 'outage', 'logs')).length;
    const { cqlPort, storagePort } = cassandra!;
    const restartCassandra = async () => {
      await cql!.shutdown();
      cassandra = await startCassandra({ runDir: join(RUN, 'cassandra'), heapMb: HEAP_MB, cqlPort, storagePort });
      cql = await connectCql(cassandra.host, cassandra.cqlPort);
      phase('Cassandra restarted');
    };

    let col = await startCollector(opts);
    collectors.push(col);
    const send = async (from: number, to: number) => expect(await sendLogs(col.logsUrl, ds, { from, to, parallel: 2 })).toBe(to - from);
    // The stream is sent in slices around the outages, so records are in flight, queued while
    // Cassandra is down, and in the on-disk queue when the collector restarts, deterministically.
    await send(0, 30_000);
    await waitFor('the first records stored', async () => (await stored()) > 5000, 120_000, 1000);

    // Outage 1: Cassandra stops for 20 s under a running collector; its driver session must recover.
    phase('first 5000 records stored; stopping Cassandra for 20 s');
    await cassandra!.stop();
    const downAt = Date.now();
    await send(30_000, 50_000);
    phase('20,000 more records accepted while Cassandra is down');
    await sleep(Math.max(0, 20_000 - (Date.now() - downAt)));
    await restartCassandra();
    const before = await stored();
    await waitFor('writes resumed by the running collector', async () => (await stored()) > before + 5000, 120_000, 1000);
    phase('writes resumed');

    // Outage 2: Cassandra stops again and records queue up on disk; the collector restarts
    // meanwhile: it must start, say it waits, and write what its file_storage queue kept.
    await cassandra!.stop();
    phase('Cassandra stopped again');
    await send(50_000, 80_000);
    await col.stop();
    collectors.splice(collectors.indexOf(col), 1);
    col = await startCollector({ ...opts, ports: col.ports });
    collectors.push(col);
    phase('collector restarted with 30,000+ records in its queue');
    await send(80_000, TOTAL);
    await restartCassandra();
    const times = await waitForAll(col, 'outage', ds, 240_000);
    phase('all records stored');
    expectExactlyOnce(times, ds);
    expect(col.process.tail(400)).toContain('waiting for Cassandra');
  }, 600_000);
});

/** The hour bucket of a timestamp in ns, as the exporter computes it with its default time_bucket. */
function bucketOf(nanos: bigint): Date {
  const ms = Number(nanos / 1_000_000n);
  return new Date(ms - (ms % 3_600_000));
}
