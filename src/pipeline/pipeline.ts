/**
 * `mirador up` as a library: real backends and the chart's four collectors as local processes,
 * the load generator in this process, and at the end a drain, exact stored counts and the
 * detection report. The CLI (src/cli/commands/up.ts) and test/pipeline use this same code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cassandraInstalled, startBackends, type RunningCassandra, type RunningJaeger, type RunningVictoriaMetrics } from '../harness/backends.js';
import { collectorBinary } from '../harness/collector.js';
import { promSampleName, vmExport } from '../harness/stored-metrics.js';
import { jaegerStoredSpans, type StoredSpans } from '../harness/stored-spans.js';
import { appliedComponentConfig, effectiveThreshold } from '../harness/applied-config.js';
import { startLoadgen, type Loadgen, type LoadgenCounts } from '../loadgen/generator.js';
import { APP_METRICS } from '../loadgen/shop.js';
import { assertPortFree, freePorts } from '../proc/ports.js';
import { repoRoot, toolPath } from '../proc/tools.js';
import { startCollectors, stopCollectors, type PipelineCollector } from './collectors.js';
import { helmTemplate, processNames, renderCollectorConfigs, type CollectorPorts } from './render.js';
import { detectionReport, formatReport, type DetectionReport } from './report.js';
import { detectionHtml } from './plot.js';
import { countLogRows, formatRunAnomalies, runAnomalies, type RunAnomalies } from './anomalies.js';
import { scrape } from '../harness/prometheus.js';

export interface FixedPorts {
  otlpGrpc: number;
  otlpHttp: number;
  victoriaMetrics: number;
  jaegerUi: number;
  cassandra: number;
}

/** Where a newcomer looks by default; --free-ports picks free ones instead (tests). */
export const DEFAULT_PORTS: FixedPorts = { otlpGrpc: 4317, otlpHttp: 4318, victoriaMetrics: 8428, jaegerUi: 16686, cassandra: 9042 };

export interface PipelineOptions {
  /** Default .run/<timestamp> in the repository. */
  runDir?: string;
  /** Fixed user-facing ports, or 'free' for free ports everywhere. */
  ports?: FixedPorts | 'free';
  rate?: number;
  seed?: number;
  /** Loadgen duration; the loadgen runs until stop() without it. */
  durationSec?: number;
  cycleSec?: number;
  /** Loadgen metric export interval and the connectors' flush interval. */
  intervalMs?: number;
  isolationforestProcesses?: number;
  /** isolationforest processor overrides (e.g. { threshold: 0.7 }). */
  processor?: Record<string, unknown>;
  /** Progress lines (start-up steps). */
  log?: (line: string) => void;
}

export interface Urls {
  vmui: string;
  victoriaMetrics: string;
  jaegerUi: string;
  otlpHttp: string;
  otlpGrpc: string;
  cassandra: string;
}

export interface StoredCounts {
  spans: StoredSpans;
  /** Loadgen metric points stored in VictoriaMetrics, per OTel metric name and in total. */
  metricPoints: { total: number; byMetric: Record<string, number> };
  /** The application's log records stored in Cassandra (the table's rows that are not anomaly events). */
  logs: number;
}

export interface RunReport {
  runDir: string;
  runId: string;
  startedAt: string;
  durationSec: number;
  urls: Urls;
  sent: LoadgenCounts;
  stored: StoredCounts;
  /** sent == stored for each signal, no duplicate span. */
  complete: { spans: boolean; metricPoints: boolean; logs: boolean };
  detection: DetectionReport;
  /** The run's alarm episodes as anomaly events in Cassandra, with links; checked against detection.alarmEpisodes. */
  anomalies: RunAnomalies;
  files: { json: string; table: string; html: string };
}

export interface Pipeline {
  runDir: string;
  urls: Urls;
  vm: RunningVictoriaMetrics;
  jaeger: RunningJaeger;
  cassandra: RunningCassandra;
  collectors: PipelineCollector[];
  loadgen: Loadgen;
  keyspace: string;
  table: string;
  /** The isolationforest threshold in force (the rendered config's, else the processor's default). */
  threshold: number;
  /** Stops the load generator (if still running), drains, counts and reports; the processes keep running. */
  report(): Promise<RunReport>;
  /** report(), then stops every process. */
  finish(): Promise<RunReport>;
  /** Stops every process without a report (after a failure). Idempotent. */
  kill(): Promise<void>;
}

/**
 * isolationforest settings for a local run, layered over the chart's (which are the processor's
 * defaults, the benchmarked ones): instances 1, because the two local isolationforest processes
 * share two cores with everything else; shards and kernel instances beyond the cores only cost
 * memory. Detection is the same at any instance count.
 */
export const LOCAL_PROCESSOR = { instances: 1 };

/**
 * Where a gateway config's logs (and with them the anomaly events) land: the keyspace and table of
 * its `cassandra_logs` exporter as the collector applies them (its defaults included; asks
 * `otelcol-mirador print-config`, so the collector must be built).
 */
export function logsTableOf(gatewayConfig: Record<string, any>): { keyspace: string; table: string } {
  const applied = appliedComponentConfig('exporters', 'cassandra_logs', gatewayConfig.exporters?.cassandra_logs, 'logs');
  return { keyspace: String(applied.keyspace), table: String(applied.table) };
}

/** The keyspace and table `mirador up` stores logs in: the chart's local profile's gateway, applied (needs helm and the collector). */
export function localLogsTable(): { keyspace: string; table: string } {
  return logsTableOf(helmTemplate([join(repoRoot(), 'charts', 'mirador', 'profiles', 'local.yaml')]).gateway);
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);

/** Checks up front everything that would otherwise fail half-way through start-up. */
export function preflight(): void {
  toolPath('helm');
  toolPath('victoria-metrics');
  toolPath('jaeger');
  if (!cassandraInstalled()) throw new Error('Cassandra jars are not installed (.tools/cassandra): run `npm run tools` (or `bash scripts/tools.sh cassandra`)');
  collectorBinary();
}

export async function startPipeline(o: PipelineOptions = {}): Promise<Pipeline> {
  const log = o.log ?? (() => undefined);
  preflight();
  const runDir = resolve(o.runDir ?? join(repoRoot(), '.run', stamp()));
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  const ifCount = o.isolationforestProcesses ?? 2;
  const intervalMs = o.intervalMs ?? 1000;

  // Ports: the user-facing ones fixed (checked first, so a clash is one clear error), the rest free.
  const fixed = o.ports === 'free' ? undefined : (o.ports ?? DEFAULT_PORTS);
  if (fixed) {
    for (const [what, port] of Object.entries(fixed)) await assertPortFree(port, what);
  }
  const names = processNames(ifCount);
  const free = await freePorts(names.length * 4 + 2);
  const ports: Record<string, CollectorPorts> = {};
  names.forEach((n, i) => (ports[n] = { otlpGrpc: free[i * 4], otlpHttp: free[i * 4 + 1], metrics: free[i * 4 + 2], healthCheck: free[i * 4 + 3] }));
  if (fixed) ports.gateway = { ...ports.gateway, otlpGrpc: fixed.otlpGrpc, otlpHttp: fixed.otlpHttp };

  const started: { stop(): Promise<void> }[] = [];
  let collectors: PipelineCollector[] = [];
  let killed = false;
  const kill = async () => {
    if (killed) return;
    killed = true;
    await stopCollectors(collectors);
    await Promise.allSettled(started.map((s) => s.stop()));
  };

  try {
    log('starting VictoriaMetrics, Jaeger v2 and Cassandra ...');
    const t0 = Date.now();
    const backends = await startBackends({
      runDir,
      victoriaMetrics: { port: fixed?.victoriaMetrics },
      jaeger: { queryPort: fixed?.jaegerUi },
      cassandra: { cqlPort: fixed?.cassandra, storagePort: fixed ? free[free.length - 1] : undefined },
    });
    started.push(backends);
    const { vm, jaeger, cassandra } = backends;
    log(`backends up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const specs = renderCollectorConfigs({
      runDir, ports, vmOtlpMetricsUrl: vm.otlpMetricsUrl, jaegerOtlpTracesUrl: jaeger.otlpTracesUrl,
      cassandraEndpoint: `${cassandra.host}:${cassandra.cqlPort}`, connectorFlushInterval: `${Math.max(1, Math.round(intervalMs / 1000))}s`,
      isolationforestProcesses: ifCount, isolationforest: { ...LOCAL_PROCESSOR, ...o.processor },
    });
    const { keyspace, table } = logsTableOf(specs.find((s) => s.name === 'gateway')!.config);
    const threshold = effectiveThreshold(specs.find((s) => s.component === 'isolationforest')!.config.processors?.isolationforest);
    log(`collector configs rendered from charts/mirador (profiles/local.yaml) into ${join(runDir, 'collectors')}`);

    const t1 = Date.now();
    collectors = await startCollectors(specs, runDir);
    log(`collectors up in ${((Date.now() - t1) / 1000).toFixed(1)} s: ${collectors.map((c) => c.spec.name).join(', ')}`);

    const urls: Urls = {
      vmui: vm.vmuiUrl, victoriaMetrics: vm.url, jaegerUi: `${jaeger.queryUrl}/`,
      otlpHttp: `http://127.0.0.1:${ports.gateway.otlpHttp}`, otlpGrpc: `127.0.0.1:${ports.gateway.otlpGrpc}`,
      cassandra: `${cassandra.host}:${cassandra.cqlPort}`,
    };
    const loadgen = startLoadgen({ endpoint: urls.otlpHttp, rate: o.rate, seed: o.seed, durationSec: o.durationSec, cycleSec: o.cycleSec, metricIntervalMs: intervalMs });
    const pipeline: Pipeline = {
      runDir, urls, vm, jaeger, cassandra, collectors, loadgen, keyspace, table, threshold,
      kill,
      report: () => finishRun(pipeline, log),
      finish: async () => {
        try {
          return await finishRun(pipeline, log);
        } finally {
          await kill();
        }
      },
    };
    return pipeline;
  } catch (e) {
    await kill();
    throw new Error(`${(e as Error).message}\n(logs of every process: ${runDir})`);
  }
}

/** Exact stored counts of this run's data. */
export async function storedCounts(p: Pipeline, untilMs = Date.now()): Promise<StoredCounts> {
  const from = p.loadgen.startedAt.getTime() - 60_000;
  // Every trace starts at the frontend, so its traces are all of them.
  const spans = await jaegerStoredSpans(p.jaeger.queryUrl, 'frontend', from, untilMs + 60_000);
  const byMetric: Record<string, number> = {};
  let total = 0;
  for (const m of APP_METRICS) {
    const name = promSampleName(m.name, m.unit, m.kind);
    const series = await vmExport(p.vm.url, `{__name__="${name}",mirador_run_id="${p.loadgen.runId}"}`, from, untilMs + 60_000);
    byMetric[m.name] = series.reduce((a, s) => a + s.values.length, 0);
    total += byMetric[m.name];
  }
  // The table also holds the processor's anomaly events (same logs pipeline): only the app's rows count here.
  const logs = (await countLogRows(p.cassandra.host, p.cassandra.cqlPort, p.keyspace, p.table)).app;
  return { spans, metricPoints: { total, byMetric }, logs };
}

const complete = (sent: LoadgenCounts, s: StoredCounts) => ({
  spans: s.spans.spans === sent.spans.sent && s.spans.duplicates === 0,
  metricPoints: s.metricPoints.total === sent.metricPoints.sent,
  logs: s.logs === sent.logs.sent,
});

/** Waits (up to timeoutMs) until everything sent is stored: queues drain within seconds. */
export async function drain(p: Pipeline, sent: LoadgenCounts, timeoutMs = 60_000): Promise<StoredCounts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await storedCounts(p);
    const c = complete(sent, s);
    if ((c.spans && c.metricPoints && c.logs) || Date.now() > deadline) return s;
    // Over-delivery (duplicates) will not heal by waiting.
    if (s.spans.spans > sent.spans.sent || s.metricPoints.total > sent.metricPoints.sent || s.logs > sent.logs.sent) return s;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function finishRun(p: Pipeline, log: (l: string) => void): Promise<RunReport> {
  const sent = await p.loadgen.stop();
  log('load generator stopped; waiting until every span, point and log is stored ...');
  const stored = await drain(p, sent);
  const endMs = Date.now();
  const readDetection = () => detectionReport({
    vmUrl: p.vm.url, loadgenStart: p.loadgen.startedAt, endMs, incidents: p.loadgen.incidents(), threshold: p.threshold,
  });
  let latest = await readDetection(), fresh = true;
  // The anomaly events must match the flagged points; until they do, the detection report is read again.
  const anomalies = await runAnomalies({
    host: p.cassandra.host, port: p.cassandra.cqlPort, keyspace: p.keyspace, table: p.table,
    fromMs: p.loadgen.startedAt.getTime(), toMs: endMs, links: { vmui: p.urls.vmui, traceUi: p.urls.jaegerUi },
    flagged: async () => {
      if (!fresh) latest = await readDetection();
      fresh = false;
      return latest.flagged;
    },
    telemetry: () => Promise.all(p.collectors.filter((c) => c.spec.component === 'isolationforest').map((c) => scrape(c.telemetryUrl))),
  });
  const { report: detection, judged } = latest;
  const files = { json: join(p.runDir, 'report.json'), table: join(p.runDir, 'report.txt'), html: join(p.runDir, 'detection.html') };
  const report: RunReport = {
    runDir: p.runDir, runId: p.loadgen.runId, startedAt: p.loadgen.startedAt.toISOString(), durationSec: Math.round(sent.elapsedSec * 10) / 10,
    urls: p.urls, sent, stored, complete: complete(sent, stored), detection, anomalies, files,
  };
  writeFileSync(files.json, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(files.table, formatRunReport(report) + '\n');
  writeFileSync(files.html, detectionHtml(detection, judged, anomalies));
  return report;
}

export function formatRunReport(r: RunReport): string {
  const f = (n: number) => n.toLocaleString('en-US');
  const ok = (b: boolean) => (b ? 'ok' : 'MISMATCH');
  return [
    `Run ${r.runId}: ${r.durationSec} s, ${f(r.sent.requests)} requests (run directory ${r.runDir})`,
    `  spans          sent ${f(r.sent.spans.sent).padStart(9)}  stored in Jaeger          ${f(r.stored.spans.spans).padStart(9)}  duplicates ${r.stored.spans.duplicates}  ${ok(r.complete.spans)}`,
    `  metric points  sent ${f(r.sent.metricPoints.sent).padStart(9)}  stored in VictoriaMetrics ${f(r.stored.metricPoints.total).padStart(9)}  ${ok(r.complete.metricPoints)}`,
    `  logs           sent ${f(r.sent.logs.sent).padStart(9)}  stored in Cassandra       ${f(r.stored.logs).padStart(9)}  ${ok(r.complete.logs)}`,
    '',
    formatReport(r.detection),
    '',
    ...formatRunAnomalies(r.anomalies),
    '',
    `Files: ${r.files.json}, ${r.files.table}, ${r.files.html}`,
  ].join('\n');
}

