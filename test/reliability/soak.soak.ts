// Soak (npm run test:soak): the chart's collectors, rendered from charts/mirador with its local
// profile (src/pipeline/render.ts, as `mirador up` runs them): the gateway (loadbalancing exporters
// with a memory queue and a backed-off retry per target, cassandra_logs) in front of three
// isolationforest collectors (the processor's defaults, file_storage queue), a real
// VictoriaMetrics and a real Cassandra, for SOAK_SECONDS (default 300) under SOAK_SERIES x 10
// metric points/s (default 2,000) over 12 resources (so routing by resource spreads them over the
// targets) and a steady stream of log records. Meanwhile:
//   - at 0.1 T one load-balancing target (isolationforest-1) is stopped for 60 s (SIGTERM, as
//     Kubernetes stops a pod) and started again;
//   - at 0.4 T a poison log record arrives: a service.name of 70,000 bytes, a partition key
//     Cassandra can never accept;
//   - at 0.5 T VictoriaMetrics goes away for 60 s and comes back on the same port and data.
// Every metric point must be stored exactly once (samples per series and timestamp are counted,
// not only distinct points), every other log record stored once, the poison record dropped and
// counted once by reason, the gateway's counters agree, and its logs queue drains.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appliedComponentConfig, eachValue, freePorts, newDataSet, peakRss, postLogs, requests, sendRequests, startCassandra, startVictoriaMetrics, vmExport, waitFor,
  withCql, type RunningCassandra, type RunningVictoriaMetrics,
} from '../../src/harness/index.js';
import { renderCollectorConfigs, type CollectorPorts, type CollectorProcessSpec } from '../../src/pipeline/render.js';
import { startCollector, type PipelineCollector } from '../../src/pipeline/collectors.js';
import { sleep, steadySender } from './support.js';

const SOAK_MS = Number(process.env.SOAK_SECONDS ?? 300) * 1000;
const SERIES = Number(process.env.SOAK_SERIES ?? 200); // points per 100 ms step: 2,000 points/s by default
const TARGETS = 3;
const STOPPED = 'isolationforest-1';
const DOWN_MS = 60_000;
const OUTAGE_MS = 60_000;
const LOG_RECORDS = 20_000;
const SERVICES = Array.from({ length: 12 }, (_, i) => `soak-svc-${i}`);
const work = mkdtempSync(join(tmpdir(), 'mirador-soak-'));

/** Metric samples stored for the soak's gauges (not their companion score series): raw, distinct (series, timestamp), duplicates. */
async function storedPoints(vm: RunningVictoriaMetrics, fromMs: number, toMs: number) {
  const seen = new Set<string>();
  let raw = 0;
  for (const s of await vmExport(vm.url, '{__name__=~"soak_gauge_[0-9]+"}', fromMs, toMs)) {
    const key = JSON.stringify(Object.entries(s.metric).sort(([a], [b]) => a.localeCompare(b)));
    for (const t of s.timestamps) { raw++; seen.add(`${key}@${t}`); }
  }
  return { raw, distinct: seen.size, duplicates: raw - seen.size };
}

describe('soak', () => {
  let vm: RunningVictoriaMetrics | undefined;
  let cassandra: RunningCassandra | undefined;
  const running = new Map<string, PipelineCollector>();
  afterAll(async () => {
    const gw = running.get('gateway');
    if (gw) await gw.stop();
    for (const [name, c] of running) if (name !== 'gateway') await c.stop();
    await vm?.stop();
    await cassandra?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it(`stores every point and log record of ${SOAK_MS / 1000} s of load exactly once across a stopped load-balancing target, a poison record and a backend outage`, async () => {
    if (!(SOAK_MS >= 240_000)) throw new Error(`SOAK_SECONDS must be at least 240, got ${process.env.SOAK_SECONDS}`);
    vm = await startVictoriaMetrics({ runDir: join(work, 'vm') });
    cassandra = await startCassandra({ runDir: join(work, 'cassandra') });
    const names = ['gateway', 'servicegraph', 'spanmetrics', ...Array.from({ length: TARGETS }, (_, i) => `isolationforest-${i}`)];
    const free = await freePorts(names.length * 4 + 1);
    const ports: Record<string, CollectorPorts> = {};
    names.forEach((n, i) => { ports[n] = { otlpGrpc: free[4 * i], otlpHttp: free[4 * i + 1], metrics: free[4 * i + 2], healthCheck: free[4 * i + 3] }; });
    const specs = renderCollectorConfigs({
      runDir: work, ports, vmOtlpMetricsUrl: vm.otlpMetricsUrl, jaegerOtlpTracesUrl: `http://127.0.0.1:${free[free.length - 1]}/v1/traces`,
      cassandraEndpoint: `${cassandra.host}:${cassandra.cqlPort}`, connectorFlushInterval: '1s', isolationforestProcesses: TARGETS,
    });
    // Only the metrics and logs paths run here: the gateway and the scoring targets (no traces are sent).
    const spec = (n: string) => specs.find((s) => s.name === n)!;
    for (const s of specs.filter((x) => x.name.startsWith('isolationforest-'))) {
      const fs = s.config.extensions?.['file_storage/queue'];
      expect(fs?.compaction?.directory ?? fs?.directory, `${s.name} compacts its queue in its own directory`).toBe(fs?.directory);
    }
    const start = async (s: CollectorProcessSpec) => { running.set(s.name, await startCollector(s, work)); };
    for (let i = 0; i < TARGETS; i++) await start(spec(`isolationforest-${i}`));
    await start(spec('gateway'));
    const gateway = running.get('gateway')!;
    const lb = spec('gateway').config.exporters['loadbalancing/isolationforest'];
    expect(lb.resolver.static.hostnames).toHaveLength(TARGETS);
    const logsExporter = appliedComponentConfig('exporters', 'cassandra_logs', spec('gateway').config.exporters.cassandra_logs, 'logs');
    const [keyspace, table] = [String(logsExporter.keyspace), String(logsExporter.table)];
    const gatewayHttp = `http://127.0.0.1:${ports.gateway.otlpHttp}`;

    const startMs = Date.now();
    const at = (f: number) => startMs + f * SOAK_MS;
    const until = async (t: number) => sleep(Math.max(0, t - Date.now()));
    const phase = (what: string) => console.log(`soak +${((Date.now() - startMs) / 1000).toFixed(0)} s: ${what}`);
    const senders = [0, 1, 2, 3].map((k) => steadySender({ endpoint: gatewayHttp, metric: `soak_gauge_${k}`, series: SERIES / 4, intervalMs: 100, services: SERVICES }));
    const sentNow = () => senders.reduce((n, s) => n + s.sent(), 0);
    // log records: the harness's data set (odd cases included), 100 a request, paced over 80% of the run
    const ds = newDataSet(LOG_RECORDS);
    const logBodies = [...requests(ds, 0, LOG_RECORDS, 100)];
    const logsSent = sendRequests(`${gatewayHttp}/v1/logs`, logBodies, { parallel: 1, paceMs: Math.floor((0.8 * SOAK_MS) / logBodies.length) });

    // a load-balancing target stopped for 60 s
    await until(at(0.1));
    await running.get(STOPPED)!.stop(30_000);
    phase(`${STOPPED} stopped`);
    const sentAtStop = sentNow();
    await sleep(DOWN_MS);
    const sentWhileStopped = sentNow() - sentAtStop;
    await start(spec(STOPPED));
    phase(`${STOPPED} restarted`);

    // a poison log record among the others
    await until(at(0.4));
    const str = (s: string) => ({ stringValue: s });
    await postLogs(`${gatewayHttp}/v1/logs`, JSON.stringify({
      resourceLogs: [{
        resource: { attributes: [{ key: 'service.name', value: str('p'.repeat(70_000)) }] },
        scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), severityNumber: 9, body: str('poison') }] }],
      }],
    }));
    phase('poison record sent');

    // a backend outage
    await until(at(0.5));
    await vm.stop();
    phase('VictoriaMetrics stopped');
    const sentAtOutage = sentNow();
    await sleep(OUTAGE_MS);
    const sentDuringOutage = sentNow() - sentAtOutage;
    vm = await startVictoriaMetrics({ runDir: join(work, 'vm'), port: vm.port });
    phase('VictoriaMetrics restarted');

    await until(at(1));
    let sent = 0;
    for (const s of senders) sent += await s.stop();
    const logsAcked = await logsSent;
    const endMs = Date.now();
    phase(`load stopped: ${sent} points and ${logsAcked} log records acknowledged by the gateway`);

    // metric points: all stored, then a pause, so anything still in flight would show as a duplicate
    let points = await storedPoints(vm, startMs - 60_000, endMs + 60_000);
    await waitFor(`${sent} points stored`, async () => {
      points = await storedPoints(vm!, startMs - 60_000, endMs + 60_000);
      return points.distinct >= sent || undefined;
    }, 300_000, 5_000).catch(() => undefined);
    // log records: every good one stored (keyed by their seq attribute), the queue drained
    const logRows = async () => {
      const perSeq = new Map<string, number>();
      let rows = 0;
      await withCql(cassandra!.host, cassandra!.cqlPort, (c) => eachValue(c, keyspace, table, 'log_attributes', (v) => {
        rows++;
        const seq = (v as Record<string, string> | null)?.seq ?? '?';
        perSeq.set(seq, (perSeq.get(seq) ?? 0) + 1);
      }));
      return { rows, distinct: perSeq.size, duplicates: [...perSeq.values()].filter((n) => n > 1).length };
    };
    let logs = await logRows();
    await waitFor(`${LOG_RECORDS} log rows`, async () => { logs = await logRows(); return logs.rows >= LOG_RECORDS || undefined; }, 180_000, 5_000).catch(() => undefined);
    await sleep(10_000);
    points = await storedPoints(vm, startMs - 60_000, endMs + 60_000);
    logs = await logRows();

    const g = await gateway.telemetry();
    const lbSent = g.sum('otelcol_exporter_sent_metric_points_total', { exporter: 'loadbalancing/isolationforest' });
    const lbFailed = g.sum('otelcol_exporter_send_failed_metric_points_total', { exporter: 'loadbalancing/isolationforest' });
    const dropped = g.sum('otelcol_cassandra_logs_records_dropped_total');
    const droppedPoison = g.sum('otelcol_cassandra_logs_records_dropped_total', { reason: 'partition_key_too_large' });
    const written = g.sum('otelcol_cassandra_logs_records_written_total');
    const queueSeries = g.samples.filter((s) => s.name === 'otelcol_exporter_queue_size' && s.labels.exporter === 'cassandra_logs');
    const logsQueue = g.sum('otelcol_exporter_queue_size', { exporter: 'cassandra_logs' });
    const targets: Record<string, number> = {};
    for (let i = 0; i < TARGETS; i++) targets[`isolationforest-${i}`] = await running.get(`isolationforest-${i}`)!.metric('otelcol_receiver_accepted_metric_points_total');
    console.log(
      `soak: ${SOAK_MS / 1000} s at ${SERIES * 10} points/s over ${SERVICES.length} resources: sent ${sent} points (${sentWhileStopped} while ${STOPPED} was stopped ` +
      `${DOWN_MS / 1000} s, ${sentDuringOutage} during the ${OUTAGE_MS / 1000} s VictoriaMetrics outage); stored ${points.distinct} distinct, ${points.raw} samples, ` +
      `${points.duplicates} duplicates; gateway loadbalancing sent ${lbSent}, failed ${lbFailed}; targets accepted (since their last start) ${JSON.stringify(targets)}; ` +
      `logs: ${logsAcked} good records + 1 poison acknowledged, ${logs.rows} rows (${logs.distinct} distinct records, ${logs.duplicates} stored twice), ` +
      `exporter wrote ${written}, dropped ${dropped} (partition_key_too_large ${droppedPoison}), queue ${logsQueue}; ` +
      `peak RSS gateway ${(peakRss(gateway.pid) / 2 ** 20).toFixed(0)} MiB, isolationforest-0 ${(peakRss(running.get('isolationforest-0')!.pid) / 2 ** 20).toFixed(0)} MiB`);

    expect(sentWhileStopped, 'the gateway kept accepting while a target was stopped').toBeGreaterThan(0);
    expect(sentDuringOutage, 'the pipeline kept accepting while VictoriaMetrics was down').toBeGreaterThan(0);
    for (const [n, accepted] of Object.entries(targets)) expect(accepted, `${n} took a share of the load`).toBeGreaterThan(0);
    // every metric point exactly once, and the gateway's counters agree
    expect(points.distinct).toBe(sent);
    expect(points.duplicates).toBe(0);
    expect(lbSent).toBe(sent);
    // every good log record once; the poison record dropped, counted once by reason; the queue drained
    expect(logsAcked).toBe(LOG_RECORDS);
    expect(logs.rows).toBe(LOG_RECORDS);
    expect(logs.distinct).toBe(LOG_RECORDS);
    expect(written).toBe(LOG_RECORDS);
    expect(droppedPoison).toBe(1);
    expect(dropped).toBe(1);
    expect(queueSeries.length, 'the gateway reports its logs queue').toBeGreaterThan(0);
    expect(logsQueue).toBe(0);
    expect(gateway.process.tail(500)).toMatch(/dropping log records Cassandra can never accept.*partition_key_too_large/);
  });
});
