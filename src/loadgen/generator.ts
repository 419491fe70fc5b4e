/**
 * The load generator: plays the shop (shop.ts) with the scripted incidents (scenario.ts) and
 * sends traces, metrics and logs over OTLP/HTTP protobuf through the OpenTelemetry JS SDK.
 *
 * Each request is planned first (durations, errors), then emitted as spans with explicit
 * timestamps ending "now", so simulated latency costs no wall-clock time and a 2-core machine
 * can play hundreds of requests per second.
 */
import { randomUUID } from 'node:crypto';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Histogram, type Counter } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { Rng } from './rng.js';
import { APP_METRICS, ENTRY_ROUTES, MEMORY_BASELINE, QUEUES, SERVICES, ORDERS, spanName, type DbCall, type Operation, type ServiceName } from './shop.js';
import { Effects, schedule, type Incident } from './scenario.js';
import { serviceTelemetry, sumCounts, type ServiceTelemetry } from './telemetry.js';
import type { SignalCount } from './counting.js';

export interface LoadgenOptions {
  /** OTLP/HTTP base URL, e.g. http://127.0.0.1:4318. */
  endpoint: string;
  /** Multiplier of the shop's baseline request rates (1 = about 17 requests/s, 80 spans/s, 40 logs/s). */
  rate?: number;
  seed?: number;
  /** Stop by itself after this many seconds; without it, run until stop(). */
  durationSec?: number;
  /** Length of one incident cycle; defaults to durationSec, or 300 s for open-ended runs. */
  cycleSec?: number;
  /** Metric export interval (ms); every series gets one point per interval. */
  metricIntervalMs?: number;
  runId?: string;
}

export interface LoadgenCounts {
  elapsedSec: number;
  requests: number;
  /** generated = ended by the generator; sent = acknowledged by the endpoint. */
  spans: SignalCount & { generated: number };
  metricPoints: SignalCount & { byMetric: Record<string, number> };
  logs: SignalCount & { generated: number };
  /** Errors of the final flush at stop (the items concerned are counted as failed). */
  shutdownErrors?: string[];
}

export interface Loadgen {
  runId: string;
  startedAt: Date;
  cycleSec: number;
  /** Incidents that started so far (the whole schedule for a run with a duration). */
  incidents(): Incident[];
  /** Every incident of the run up to the end of the current cycle (for a live view). */
  upcoming(): Incident[];
  counts(): LoadgenCounts;
  /** Stops generating, flushes every exporter, resolves with the final counts. Idempotent. */
  stop(): Promise<LoadgenCounts>;
  /** Resolves with the final counts when the run ends (duration reached or stop()). */
  done: Promise<LoadgenCounts>;
}

interface PlannedDb { kind: 'db'; call: DbCall; atMs: number; durMs: number }
interface PlannedHttp { kind: 'http'; atMs: number; durMs: number; netMs: number; server: Planned }
interface Planned { op: Operation; durMs: number; error: boolean; calls: (PlannedDb | PlannedHttp)[] }

const TICK_MS = 100;
const HEARTBEAT_SEC = 5;
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10];

export function startLoadgen(o: LoadgenOptions): Loadgen {
  const rate = o.rate ?? 1;
  const seed = o.seed ?? 1;
  const cycleSec = o.cycleSec ?? o.durationSec ?? 300;
  const metricIntervalMs = o.metricIntervalMs ?? 1000;
  const runId = o.runId ?? randomUUID().slice(0, 8);
  if (!(rate > 0)) throw new Error(`loadgen: rate must be > 0 (got ${o.rate})`);
  if (!(cycleSec >= 10)) throw new Error(`loadgen: cycle must be at least 10 s (got ${cycleSec})`);
  if (!(metricIntervalMs >= 100)) throw new Error(`loadgen: metric interval must be at least 100 ms (got ${metricIntervalMs})`);
  if (o.durationSec !== undefined && !(o.durationSec > 0)) throw new Error(`loadgen: duration must be > 0 (got ${o.durationSec})`);
  try { new URL(o.endpoint); } catch { throw new Error(`loadgen: endpoint is not a URL: ${o.endpoint}`); }

  const rng = new Rng(seed);
  const effects = new Effects(cycleSec);
  const tel = new Map<string, ServiceTelemetry>(SERVICES.map((s) => [s, serviceTelemetry(s, { endpoint: o.endpoint, runId, metricIntervalMs })]));
  const startedAt = new Date();
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  let requests = 0, spansGenerated = 0, logsGenerated = 0;

  // Instruments.
  const latency = new Map<string, Histogram>();
  for (const [s, t] of tel) {
    latency.set(s, t.meter.createHistogram(APP_METRICS[0].name, {
      unit: APP_METRICS[0].unit, description: 'Duration of HTTP server requests.', advice: { explicitBucketBoundaries: LATENCY_BUCKETS },
    }));
    t.meter.createObservableGauge(APP_METRICS[1].name, { unit: APP_METRICS[1].unit, description: 'Resident memory of the service.' })
      .addCallback((r) => r.observe(Math.round(MEMORY_BASELINE[s as ServiceName] + rng.normal() * 2 ** 20 + effects.memoryExtra(s as ServiceName, elapsed()))));
  }
  for (const q of QUEUES) {
    tel.get(q.service)!.meter.createObservableGauge(APP_METRICS[2].name, { unit: APP_METRICS[2].unit, description: 'Messages waiting in the queue.' })
      .addCallback((r) => r.observe(Math.max(0, Math.round(q.mean + q.sd * rng.normal() + effects.queueOffset(q.service, q.queue, elapsed()))), { queue: q.queue }));
  }
  const ordersPlaced: Counter = tel.get('checkout')!.meter.createCounter(APP_METRICS[3].name, { unit: APP_METRICS[3].unit, description: 'Orders accepted.' });

  function plan(op: Operation, t: number): Planned {
    const self = rng.logNormal(op.selfMs * effects.latencyFactor(op, t), op.sigma);
    let cursor = self * 0.3;
    let childError = false;
    const calls: Planned['calls'] = [];
    for (const c of op.calls) {
      if (c.kind === 'http') {
        const server = plan(c.target, t);
        const netMs = 0.2 + rng.next() * 0.6;
        const durMs = server.durMs + 2 * netMs;
        calls.push({ kind: 'http', atMs: cursor, durMs, netMs, server });
        cursor += durMs;
        childError ||= server.error;
      } else {
        const durMs = rng.logNormal(c.medianMs, 0.3);
        calls.push({ kind: 'db', call: c, atMs: cursor, durMs });
        cursor += durMs;
      }
    }
    return { op, durMs: cursor + self * 0.7, error: childError || rng.chance(effects.errorRate(op, t)), calls };
  }

  function emit(p: Planned, startMs: number, parent: Context) {
    const t = tel.get(p.op.service)!;
    const status = p.error ? 500 : 200;
    const httpAttrs = { 'http.request.method': p.op.method, 'http.route': p.op.route, 'http.response.status_code': status };
    const span = t.tracer.startSpan(spanName(p.op), {
      kind: SpanKind.SERVER, startTime: startMs,
      attributes: { ...httpAttrs, 'url.path': p.op.route, 'url.scheme': 'http', 'server.address': p.op.service },
    }, parent);
    const ctx = trace.setSpan(parent, span);
    for (const c of p.calls) {
      if (c.kind === 'http') {
        const target = c.server.op;
        const client = t.tracer.startSpan(spanName(target), {
          kind: SpanKind.CLIENT, startTime: startMs + c.atMs,
          attributes: {
            'http.request.method': target.method, 'server.address': target.service, 'server.port': 8080,
            'url.full': `http://${target.service}:8080${target.route}`, 'peer.service': target.service,
            'http.response.status_code': c.server.error ? 500 : 200,
          },
        }, ctx);
        emit(c.server, startMs + c.atMs + c.netMs, trace.setSpan(ctx, client));
        if (c.server.error) client.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP 500 from ${target.service}` });
        client.end(startMs + c.atMs + c.durMs);
        spansGenerated++;
      } else {
        const d = c.call;
        const dbSpan = t.tracer.startSpan(d.operation, {
          kind: SpanKind.CLIENT, startTime: startMs + c.atMs,
          attributes: {
            'db.system.name': d.system, 'db.system': d.system, 'db.namespace': d.namespace, 'db.name': d.namespace,
            // servicegraph names the database node by peer.service first: "redis", "postgresql".
            'peer.service': d.system,
            'db.operation.name': d.operation.split(' ')[0], 'db.query.summary': d.operation,
          },
        }, ctx);
        dbSpan.end(startMs + c.atMs + c.durMs);
        spansGenerated++;
      }
    }
    const endMs = startMs + p.durMs;
    if (p.error) span.setStatus({ code: SpanStatusCode.ERROR, message: 'internal error' });
    span.end(endMs);
    spansGenerated++;
    latency.get(p.op.service)!.record(p.durMs / 1000, httpAttrs);
    if (p.op === ORDERS && !p.error) ordersPlaced.add(1);
    t.logger.emit({
      timestamp: endMs, context: ctx,
      severityNumber: p.error ? SeverityNumber.ERROR : SeverityNumber.INFO, severityText: p.error ? 'ERROR' : 'INFO',
      body: p.error ? `${spanName(p.op)} failed: internal error` : `${spanName(p.op)} ${status} in ${p.durMs.toFixed(1)} ms`,
      attributes: { ...httpAttrs, 'duration_ms': Number(p.durMs.toFixed(3)) },
    });
    logsGenerated++;
  }

  // Logs with no trace context (a periodic heartbeat, with some non-ASCII text), stored like any other.
  let nextHeartbeat = 0;
  function heartbeat(t: number) {
    if (t < nextHeartbeat) return;
    nextHeartbeat += HEARTBEAT_SEC;
    for (const [s, svc] of tel) {
      svc.logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: `${s} bereit ✓ — heartbeat`, attributes: { 'shop.uptime_s': Math.round(t) } });
      logsGenerated++;
    }
  }

  let last = elapsed();
  function tick() {
    const t = elapsed();
    const dt = t - last;
    last = t;
    heartbeat(t);
    const now = Date.now();
    for (const r of ENTRY_ROUTES) {
      const n = rng.poisson(r.rate * rate * effects.trafficFactor(r, t) * dt);
      for (let i = 0; i < n; i++) {
        const p = plan(r.op, t);
        emit(p, now - p.durMs, ROOT_CONTEXT);
        requests++;
      }
    }
  }

  const timer = setInterval(tick, TICK_MS);
  let resolveDone!: (c: LoadgenCounts) => void;
  const done = new Promise<LoadgenCounts>((r) => (resolveDone = r));
  let stopping: Promise<LoadgenCounts> | undefined;
  let endSec: number | undefined;

  const counts = (): LoadgenCounts => {
    const all = [...tel.values()];
    const byMetric: Record<string, number> = {};
    for (const s of all) for (const [k, v] of s.metrics.byMetric) byMetric[k] = (byMetric[k] ?? 0) + v;
    return {
      elapsedSec: endSec ?? elapsed(),
      requests,
      spans: { ...sumCounts(all.map((s) => s.spans.count)), generated: spansGenerated },
      metricPoints: { ...sumCounts(all.map((s) => s.metrics.count)), byMetric },
      logs: { ...sumCounts(all.map((s) => s.logs.count)), generated: logsGenerated },
    };
  };

  const stop = () => {
    stopping ??= (async () => {
      clearInterval(timer);
      clearTimeout(durationTimer);
      endSec = elapsed();
      // Shutdown flushes the span and log queues and makes a last metric collection and export;
      // a failed final export is already counted as failed by the counting exporters.
      const results = await Promise.allSettled([...tel.values()].map((s) => s.shutdown()));
      const c = counts();
      c.shutdownErrors = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error)?.message ?? r.reason)] : []));
      resolveDone(c);
      return c;
    })();
    return stopping;
  };
  const durationTimer = o.durationSec !== undefined ? setTimeout(() => void stop(), o.durationSec * 1000) : undefined;

  return {
    runId, startedAt, cycleSec,
    incidents: () => schedule(cycleSec, o.durationSec ?? Math.max(endSec ?? elapsed(), 1)),
    upcoming: () => schedule(cycleSec, o.durationSec ?? (Math.floor((endSec ?? elapsed()) / cycleSec) + 1) * cycleSec),
    counts, stop, done,
  };
}
