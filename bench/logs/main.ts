// Logs into Cassandra, ours against contrib: the same OTLP log stream into the same Cassandra
// 5.0.9, once through otelcol-mirador's cassandra_logs and once through otelcol-peer's contrib
// `cassandra` exporter (v0.144.0), each into a fresh keyspace. Per exporter: the time until the
// exporter has finished with every record (the collector's own exporter metrics), the rows
// stored, and the rates. Writes bench/results/logs.json and logs.md.
//
//   npm run bench:logs [-- --records 100000 --parallel 4 --heap-mb 1024]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cassandraInstalled, collectorBinary, connectCql, countRows, cpuSeconds, freePort, newDataSet, onePipeline, repoRoot, requests, sendLogs, sendRequests,
  startCassandra, startCollector, waitFor,
} from '../../src/harness/index.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    parallel: { type: 'string', default: '4' },
    'heap-mb': { type: 'string', default: '1024' },
    'timeout-s': { type: 'string', default: '900' },
    'warmup': { type: 'string', default: '10000' },
    only: { type: 'string' }, // 'mirador' or 'peer': one exporter only, for profiling (no summary files)
  },
});
const RECORDS = Number(args.records);
const PARALLEL = Number(args.parallel);
const WARMUP = Number(args.warmup);
const ROOT = repoRoot();
const RUN = join(ROOT, '.run', 'bench-logs', 'run');

interface Result {
  exporter: string;
  distribution: string;
  sent: number;
  exporterSent: number;
  exporterFailed: number;
  stored: number;
  storedPct: number;
  seconds: number;
  processedPerSec: number;
  storedPerSec: number;
  storedPerCpuSec: number;
  collectorCpuSeconds: number;
  cassandraCpuSeconds: number;
  note: string;
}

async function main() {
  // Both builds up front: a missing one fails before Cassandra starts.
  collectorBinary('mirador');
  collectorBinary('peer');
  if (!cassandraInstalled()) throw new Error('Cassandra jars are missing: run `npm run tools`');
  rmSync(RUN, { recursive: true, force: true });
  mkdirSync(RUN, { recursive: true });
  const loadBefore = loadavg()[0];
  console.log(`bench:logs: ${RECORDS} records, ${PARALLEL} OTLP requests in flight, Cassandra heap ${args['heap-mb']} MiB`);
  const cassandra = await startCassandra({ runDir: join(RUN, 'cassandra'), heapMb: Number(args['heap-mb']) });
  const cql = await connectCql(cassandra.host, cassandra.cqlPort);
  const results: Result[] = [];
  try {
    const runs = [
      {
        exporter: 'cassandra_logs (ours)', distribution: 'otelcol-mirador', build: 'mirador' as const, keyspace: 'bench_ours', table: 'logs', column: 'time_unix_nano',
        config: { cassandra_logs: { endpoints: [`127.0.0.1:${cassandra.cqlPort}`], keyspace: 'bench_ours', sending_queue: { queue_size: 1000 } } },
      },
      {
        exporter: 'cassandra (contrib v0.144.0)', distribution: 'otelcol-peer', build: 'peer' as const, keyspace: 'bench_contrib', table: 'otel_logs', column: 'severitynumber',
        config: { cassandra: { dsn: '127.0.0.1', port: cassandra.cqlPort, keyspace: 'bench_contrib', logs_table: 'otel_logs', timeout: '10s', replication: { class: 'SimpleStrategy', replication_factor: 1 } } },
      },
    ];
    for (const r of runs.filter((x) => !args.only || x.distribution.includes(args.only))) {
      // contrib opens its session on the keyspace before it would create it (its factory connects with the keyspace set): create it first.
      if (r.keyspace === 'bench_contrib') {
        await cql.execute("CREATE KEYSPACE IF NOT EXISTS bench_contrib WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      }
      const otlp = await freePort();
      const logsUrl = `http://127.0.0.1:${otlp}/v1/logs`;
      const col = await startCollector({ name: r.distribution, build: r.build, dir: RUN, config: onePipeline('logs', { http: otlp }, r.config) });
      try {
        // Warm-up (not measured): JIT-compiles Cassandra's and the collector's write paths, and
        // lets each exporter create its table, so that neither run pays for the other's start.
        const drain = async (target: number) => {
          let sent = 0, failed = 0;
          await waitFor(`${r.exporter} to finish ${target} records`, async () => {
            sent = await col.metric('otelcol_exporter_sent_log_records_total');
            failed = await col.metric('otelcol_exporter_send_failed_log_records_total');
            return sent + failed >= target;
          }, Number(args['timeout-s']) * 1000, 250);
          return { sent, failed };
        };
        const warm = WARMUP > 0 ? await sendLogs(logsUrl, newDataSet(WARMUP), { parallel: PARALLEL }) : 0;
        const base = await drain(warm);
        const storedBefore = await countRows(cql, r.keyspace, r.table, { column: r.column });

        // Encoded before the clock starts: the benchmark times the collector and Cassandra, not the generator.
        const bodies = [...requests(newDataSet(RECORDS))];
        const cpu0 = { col: cpuSeconds(col.pid), cas: cpuSeconds(cassandra.pid) };
        const t0 = Date.now();
        const acked = await sendRequests(logsUrl, bodies, { parallel: PARALLEL });
        console.log(`${r.exporter}: ${acked} records accepted by the collector after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const end = await drain(warm + acked);
        const sent = end.sent - base.sent, failed = end.failed - base.failed;
        const seconds = (Date.now() - t0) / 1000;
        const collectorCpuSeconds = cpuSeconds(col.pid) - cpu0.col;
        const cassandraCpuSeconds = cpuSeconds(cassandra.pid) - cpu0.cas;
        const stored = (await countRows(cql, r.keyspace, r.table, { column: r.column })) - storedBefore;
        const res: Result = {
          exporter: r.exporter, distribution: r.distribution, sent: acked, exporterSent: sent, exporterFailed: failed, stored,
          storedPct: (100 * stored) / acked, seconds, collectorCpuSeconds, cassandraCpuSeconds,
          processedPerSec: acked / seconds, storedPerSec: stored / seconds,
          storedPerCpuSec: stored / (collectorCpuSeconds + cassandraCpuSeconds),
          note: stored < acked && failed === 0 ? `${acked - stored} records reported sent but not stored` : '',
        };
        console.log(JSON.stringify(res));
        results.push(res);
      } finally {
        await col.stop();
      }
    }
  } finally {
    await cql.shutdown();
    await cassandra.stop();
  }
  if (results.length < 2) return;
  const [ours, contrib] = results;
  const summary = {
    date: new Date().toISOString(),
    command: `npm run bench:logs -- --records ${RECORDS} --parallel ${PARALLEL} --heap-mb ${args['heap-mb']} --warmup ${WARMUP}`,
    machine: { cores: cpus().length, loadBefore, loadAfter: loadavg()[0] },
    records: RECORDS,
    results,
    storedRateRatio: ours.storedPerSec / contrib.storedPerSec,
    processedRateRatio: ours.processedPerSec / contrib.processedPerSec,
    storedPerCpuRatio: ours.storedPerCpuSec / contrib.storedPerCpuSec,
    targets: { oursStores100Pct: ours.stored === ours.sent, atLeast5xContribRate: ours.storedPerSec >= 5 * contrib.storedPerSec },
  };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'logs.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(join(dir, 'logs.md'), markdown(summary));
  console.log(markdown(summary));
  if (!summary.targets.oursStores100Pct) process.exitCode = 1;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function markdown(s: { date: string; command: string; machine: { cores: number; loadBefore: number; loadAfter: number }; records: number; results: Result[]; storedRateRatio: number; processedRateRatio: number; storedPerCpuRatio: number; targets: Record<string, boolean> }): string {
  const rows = s.results.map((r) =>
    `| ${r.exporter} | ${fmt(r.sent)} | ${fmt(r.exporterSent)} / ${fmt(r.exporterFailed)} | ${fmt(r.stored)} (${r.storedPct.toFixed(1)}%) | ${r.seconds.toFixed(1)} | ${fmt(r.processedPerSec)} | ${fmt(r.storedPerSec)} | ${r.collectorCpuSeconds.toFixed(1)} / ${r.cassandraCpuSeconds.toFixed(1)} | ${fmt(r.storedPerCpuSec)} |`);
  return [
    '# Logs into Cassandra: cassandra_logs vs contrib cassandra exporter',
    '',
    `\`${s.command}\` on ${s.date} (${s.machine.cores} cores, load average ${s.machine.loadBefore.toFixed(1)} before, ${s.machine.loadAfter.toFixed(1)} after: the machine is shared, so absolute figures are noisy; both exporters ran back to back into the same Cassandra 5.0.9).`,
    '',
    `Input: ${fmt(s.records)} OTLP/HTTP JSON log records, encoded before timing starts (src/harness/otlp-logs.ts: half without trace context, 1000 sharing one span id and severity, empty, non-ASCII and three 1 MiB bodies, four records with 1000 attributes), 1000 per request.`,
    '',
    '| exporter | records sent | exporter: sent / failed | rows stored | seconds | records/s processed | records/s stored | CPU s: collector / Cassandra | records stored per CPU-s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Stored records per second, ours / contrib: **${s.storedRateRatio.toFixed(1)}x** (target ≥ 5x: ${s.targets.atLeast5xContribRate ? '✓' : '✗'}); records processed per second: ${s.processedRateRatio.toFixed(1)}x. Ours stored 100%: ${s.targets.oursStores100Pct ? '✓' : '✗'}. Stored records per CPU-second of collector and Cassandra together (less sensitive to what else the machine runs): **${s.storedPerCpuRatio.toFixed(1)}x**.`,
    '',
    `Each exporter first wrote ${fmt(WARMUP)} warm-up records (not counted) into its table, then the measured records.`,
    '',
    'Seconds: from the first OTLP request until the exporter has finished with every record (the collector\'s `otelcol_exporter_sent_log_records` + `send_failed_log_records`). contrib inserts one record at a time and only logs insert errors, so it reports records as sent that Cassandra rejected (no span id: "Key may not be empty") or that overwrote each other (same span id and severity).',
    '',
  ].join('\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
