/**
 * The live one-screen summary of `mirador up`: what the load generator sent, what the gateway
 * accepted, what the backends hold, and what the isolationforest processors flagged.
 */
import { DEFAULT_PORTS, type Pipeline } from './pipeline.js';
import { APP_METRICS } from '../loadgen/shop.js';
import { scrape, type Exposition } from '../harness/prometheus.js';
import { countLogRows, type LogRows } from './anomalies.js';
import { promSampleName, vmQueryScalar } from '../harness/stored-metrics.js';

export interface LiveStats {
  at: number;
  elapsedSec: number;
  sent: { spans: number; points: number; logs: number; failed: number };
  gatewayIn: { spans: number; points: number; logs: number };
  stored: { spans: number; points: number; traceDerivedPoints: number; logs: number };
  /** Points flagged (= alarm episodes opened), series with one, series flagged in the last 15 s; anomaly events in Cassandra. */
  anomalies: { flaggedPoints: number; flaggedSeries: number; flaggedNow: number; events: number };
  collectorsUp: Record<string, boolean>;
  errors: string[];
}

// Counting Cassandra's rows pages through all of them: refresh that figure every 10 s only.
const CASSANDRA_EVERY_MS = 10_000;
const lastRows = new WeakMap<Pipeline, { at: number; rows: LogRows }>();

async function cassandraRows(p: Pipeline): Promise<LogRows> {
  const last = lastRows.get(p);
  if (last && Date.now() - last.at < CASSANDRA_EVERY_MS) return last.rows;
  const rows = await countLogRows(p.cassandra.host, p.cassandra.cqlPort, p.keyspace, p.table);
  lastRows.set(p, { at: Date.now(), rows });
  return rows;
}

// Counters carry _total on the wire; a missing exposition (scrape failed) counts as none.
const metric = (m: Exposition | undefined, name: string) => m?.sum(`${name}_total`) ?? 0;

/** One sample of every figure; a backend that does not answer leaves its figure at -1 and an error line. */
export async function liveStats(p: Pipeline): Promise<LiveStats> {
  const c = p.loadgen.counts();
  const errors: string[] = [];
  const safe = async <T>(what: string, f: () => Promise<T>, dflt: T): Promise<T> => {
    try { return await f(); } catch (e) { errors.push(`${what}: ${(e as Error).message.split('\n')[0]}`); return dflt; }
  };
  const range = `${Math.ceil(c.elapsedSec) + 120}s`;
  const run = `mirador_run_id="${p.loadgen.runId}"`;
  // The app's own metrics (spanmetrics copies the resource, run id included, onto its series).
  const appNames = APP_METRICS.map((m) => promSampleName(m.name, m.unit, m.kind)).join('|');
  // One logical series, not one VictoriaMetrics series per score value.
  const flaggedSeriesQ = (r: string) => `count(sum without (anomaly_score, is_anomaly) (count_over_time({is_anomaly="true",__name__!~".*_(bucket|sum)"}[${r}])))`;
  const gw = p.collectors.find((x) => x.spec.name === 'gateway')!;
  const scorers = p.collectors.filter((x) => x.spec.component === 'isolationforest');
  const [gwm, ifm, jm, points, derived, logs, flaggedPoints, flaggedSeries, flaggedNow] = await Promise.all([
    safe('gateway metrics', () => scrape(gw.telemetryUrl), undefined),
    safe('isolationforest metrics', () => Promise.all(scorers.map((x) => scrape(x.telemetryUrl))), undefined),
    safe('jaeger metrics', () => scrape(p.jaeger.metricsUrl), undefined),
    safe('VictoriaMetrics', () => vmQueryScalar(p.vm.url, `sum(count_over_time({${run},__name__=~"${appNames}"}[${range}]))`), -1),
    safe('VictoriaMetrics', () => vmQueryScalar(p.vm.url, `sum(count_over_time({__name__=~"traces_.+",__name__!~".*_(bucket|sum)"}[${range}]))`), -1),
    safe('Cassandra', () => cassandraRows(p), { app: -1, events: -1 }),
    safe('VictoriaMetrics', () => vmQueryScalar(p.vm.url, `sum(count_over_time({is_anomaly="true",__name__!~".*_(bucket|sum)"}[${range}]))`), -1),
    safe('VictoriaMetrics', () => vmQueryScalar(p.vm.url, flaggedSeriesQ(range)), -1),
    safe('VictoriaMetrics', () => vmQueryScalar(p.vm.url, flaggedSeriesQ('15s')), -1),
  ]);
  const collectorsUp: Record<string, boolean> = {};
  for (const col of p.collectors) collectorsUp[col.spec.name] = col.running();
  return {
    at: Date.now(), elapsedSec: c.elapsedSec,
    sent: { spans: c.spans.sent, points: c.metricPoints.sent, logs: c.logs.sent, failed: c.spans.failed + c.metricPoints.failed + c.logs.failed },
    gatewayIn: {
      spans: metric(gwm, 'otelcol_receiver_accepted_spans'),
      points: metric(gwm, 'otelcol_receiver_accepted_metric_points'),
      // The gateway also takes the anomaly events from the isolationforest processes (their only logs exporter).
      logs: metric(gwm, 'otelcol_receiver_accepted_log_records') - (ifm ?? []).reduce((a, m) => a + metric(m, 'otelcol_exporter_sent_log_records'), 0),
    },
    stored: { spans: jm ? metric(jm, 'otelcol_exporter_sent_spans') : -1, points, traceDerivedPoints: derived, logs: logs.app },
    anomalies: { flaggedPoints, flaggedSeries, flaggedNow, events: logs.events },
    collectorsUp, errors,
  };
}

const f = (n: number) => (n < 0 ? '?' : n.toLocaleString('en-US'));
const dur = (s: number) => `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;

/** The `mirador anomalies` command line that lists this pipeline's episodes (options only where its ports differ from the defaults). */
export function anomaliesCommand(p: Pick<Pipeline, 'urls' | 'keyspace' | 'table'>): string {
  const d = DEFAULT_PORTS;
  const opts = [
    p.urls.cassandra !== `127.0.0.1:${d.cassandra}` ? `--cassandra ${p.urls.cassandra}` : '',
    p.urls.vmui !== `http://127.0.0.1:${d.victoriaMetrics}/vmui/` ? `--vmui ${p.urls.vmui}` : '',
    p.urls.jaegerUi !== `http://127.0.0.1:${d.jaegerUi}/` ? `--trace-ui ${p.urls.jaegerUi}` : '',
  ].filter(Boolean);
  return ['mirador anomalies', ...opts].join(' ');
}

export function renderLive(p: Pipeline, s: LiveStats, durationSec?: number): string {
  const t = s.elapsedSec;
  const incidents = p.loadgen.upcoming().map((i) => {
    const state = t < i.startSec ? `in ${Math.ceil(i.startSec - t)} s` : t < i.endSec ? 'ACTIVE' : 'over';
    return `    ${i.kind.padEnd(14)} +${i.startSec}s..+${i.endSec}s  ${state.padEnd(9)} ${i.description}`;
  });
  const row = (label: string, sent: number, gw: number, stored: number, where: string) =>
    `  ${label.padEnd(14)} ${f(sent).padStart(10)} ${f(gw).padStart(12)} ${f(stored).padStart(12)}  ${where}`;
  return [
    `Mirador pipeline  run ${p.loadgen.runId}  elapsed ${dur(t)}${durationSec ? ` of ${dur(durationSec)}` : ''}  (Ctrl-C stops and prints the report)`,
    '',
    `  vmui        ${p.urls.vmui}`,
    `  Jaeger UI   ${p.urls.jaegerUi}`,
    `  OTLP in     http ${p.urls.otlpHttp}   grpc ${p.urls.otlpGrpc}`,
    `  Cassandra   ${p.urls.cassandra}  (${p.keyspace}.${p.table})`,
    `  run dir     ${p.runDir}`,
    '',
    `  ${''.padEnd(14)} ${'sent'.padStart(10)} ${'gateway in'.padStart(12)} ${'stored'.padStart(12)}`,
    row('spans', s.sent.spans, s.gatewayIn.spans, s.stored.spans, 'Jaeger'),
    row('metric points', s.sent.points, s.gatewayIn.points, s.stored.points, `VictoriaMetrics (+${f(s.stored.traceDerivedPoints)} span/service-graph points)`),
    row('logs', s.sent.logs, s.gatewayIn.logs, s.stored.logs, 'Cassandra'),
    s.sent.failed ? `  ! ${f(s.sent.failed)} items failed to send (see ${p.runDir}/logs)` : '',
    `  anomalies      ${f(s.anomalies.flaggedPoints)} points flagged on ${f(s.anomalies.flaggedSeries)} series; flagged in the last 15 s: ${f(s.anomalies.flaggedNow)} series`,
    `                 ${f(s.anomalies.events)} anomaly events (onset and resolve) in Cassandra: ${anomaliesCommand(p)}`,
    '',
    '  incidents',
    ...incidents,
    '',
    `  collectors     ${Object.entries(s.collectorsUp).map(([n, up]) => `${n} ${up ? 'up' : 'DOWN'}`).join(', ')}`,
    ...s.errors.slice(0, 3).map((e) => `  ! ${e}`),
  ].filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n');
}
