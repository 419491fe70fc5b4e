/**
 * Scripted incidents at known times. A scenario is one cycle of `cycleSec` seconds (the run's
 * --duration when given): a quiet baseline first (so every series warms up and the models learn
 * normal), then the incidents one after another; the level shift and the memory leak persist to
 * the end of the cycle. Cycles repeat when the run is longer than one cycle.
 */
import { CHARGE, ENTRY_ROUTES, ORDERS, STOCK, type EntryRoute, type Operation, type ServiceName } from './shop.js';

export type IncidentKind = 'latency_spike' | 'error_burst' | 'traffic_drop' | 'level_shift' | 'memory_leak';

/**
 * Selects series by their labels. Label keys are compared normalised (every character outside
 * [A-Za-z0-9_] becomes "_"), so `service.name` and `service_name` both match `service_name`.
 */
export interface SeriesSelector {
  /** Matched against the metric name (normalised the same way). */
  metric?: RegExp;
  labels?: Record<string, string | RegExp>;
}

export interface Incident {
  kind: IncidentKind;
  description: string;
  /** Seconds from the start of the load generator. */
  startSec: number;
  endSec: number;
  /** Series on which detection is judged (flagged within the window + grace?). */
  judged: SeriesSelector[];
  /** Series the incident may legitimately move (excluded from false-alarm counting), judged ones included. */
  touched: SeriesSelector[];
}

export const normaliseKey = (k: string) => k.replace(/[^A-Za-z0-9_]/g, '_');

export function matches(sel: SeriesSelector, labels: Record<string, string>): boolean {
  const norm: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) norm[normaliseKey(k)] = v;
  if (sel.metric && !sel.metric.test(normaliseKey(norm.__name__ ?? ''))) return false;
  for (const [k, want] of Object.entries(sel.labels ?? {})) {
    const got = norm[normaliseKey(k)];
    if (got === undefined) return false;
    if (typeof want === 'string' ? got !== want : !want.test(got)) return false;
  }
  return true;
}

// Metric name patterns (normalised) for the app's own metrics and the trace-derived ones.
const APP_LATENCY = /^http_server_request_duration/;
const SPAN_METRICS = /^traces_span_metrics_/; // spanmetrics connector, namespace traces.span.metrics
const SPAN_CALLS = /^traces_span_metrics_calls/;
const SPAN_DURATION = /^traces_span_metrics_duration/;
const GRAPH = /^traces_service_graph_/; // servicegraph connector

const svc = (s: ServiceName) => ({ service_name: s });
const route = (o: Operation) => ({ ...svc(o.service as ServiceName), http_route: o.route });
const span = (o: Operation) => ({ ...svc(o.service as ServiceName), span_name: `${o.method} ${o.route}` });

const recommendations = ENTRY_ROUTES.find((r) => r.id === 'GET /recommendations')!;
const products = ENTRY_ROUTES.find((r) => r.id === 'GET /products')!;
const checkout = ENTRY_ROUTES.find((r) => r.id === 'POST /checkout')!;

/** Incident parameters: what each one does to the traffic. */
export const EFFECT = {
  latencySpikeFactor: 15, // payments POST /charge self time x15 (35 ms -> about 0.5 s)
  errorBurstRate: 0.5, // inventory GET /stock fails 50% (baseline 2%)
  trafficDropFactor: 0.15, // GET /recommendations at 15% of its rate
  levelShift: 40, // checkout orders queue depth +40 (baseline 20 +- 2)
  leakBytesPerSec: 256 * 1024, // cart resident memory grows 256 KiB/s (noise sd 1 MiB)
};

/** One cycle's incidents, placed at fixed fractions of the cycle. */
export function cycleIncidents(cycleSec: number, offsetSec = 0): Incident[] {
  const at = (f: number) => Math.round(offsetSec + f * cycleSec);
  const end = offsetSec + cycleSec;
  return [
    {
      kind: 'latency_spike', startSec: at(0.35), endSec: at(0.45),
      description: `payments POST /charge ${EFFECT.latencySpikeFactor}x slower (felt by POST /checkout)`,
      // The slow hop and the callers that wait for it (their latency is the incident too).
      judged: [
        { metric: APP_LATENCY, labels: route(CHARGE) },
        { metric: APP_LATENCY, labels: route(ORDERS) },
        { metric: APP_LATENCY, labels: route(checkout.op) },
        { metric: SPAN_DURATION, labels: { span_name: /^(POST \/charge|POST \/orders|POST \/checkout)$/ } },
      ],
      touched: [
        { labels: svc('payments') },
        { metric: APP_LATENCY, labels: route(checkout.op) },
        { metric: APP_LATENCY, labels: { service_name: 'checkout', http_route: '/orders' } },
        { metric: SPAN_METRICS, labels: { span_name: /^(POST \/checkout|POST \/orders|POST \/charge)$/ } },
        { metric: GRAPH, labels: { server: /^(payments|checkout)$/ } },
        { metric: GRAPH, labels: { client: 'payments' } },
        { metric: GRAPH, labels: { client: 'user', server: 'frontend' } }, // the root edge carries POST /checkout's latency
      ],
    },
    {
      kind: 'error_burst', startSec: at(0.5), endSec: at(0.6),
      description: `inventory GET /stock fails ${Math.round(EFFECT.errorBurstRate * 100)}% (baseline ${STOCK.errorRate * 100}%), 5xx on GET /products`,
      // The failing hop's errors and the 5xx they cause at the frontend.
      judged: [
        { metric: SPAN_CALLS, labels: { span_name: /^(GET \/stock|GET \/products)$/, status_code: /ERROR/ } },
        { metric: APP_LATENCY, labels: { ...route(STOCK), http_response_status_code: '500' } },
        { metric: APP_LATENCY, labels: { ...route(products.op), http_response_status_code: '500' } },
      ],
      touched: [
        { labels: { service_name: 'inventory', http_route: '/stock' } },
        { metric: APP_LATENCY, labels: route(products.op) },
        { metric: SPAN_METRICS, labels: { span_name: /^(GET \/products|GET \/stock|SELECT stock)$/ } },
        { metric: GRAPH, labels: { server: 'inventory' } },
        { metric: GRAPH, labels: { client: 'inventory' } },
        { metric: GRAPH, labels: { client: 'user', server: 'frontend' } }, // 5xx of GET /products fail the root edge
      ],
    },
    {
      kind: 'traffic_drop', startSec: at(0.65), endSec: at(0.75),
      description: `GET /recommendations traffic at ${EFFECT.trafficDropFactor * 100}% of its rate`,
      judged: [
        { metric: APP_LATENCY, labels: route(recommendations.op) },
        { metric: SPAN_CALLS, labels: { service_name: 'recommendation' } },
      ],
      touched: [
        { labels: svc('recommendation') },
        { metric: SPAN_METRICS, labels: { span_name: /^GET \/recommend/ } },
        { metric: GRAPH, labels: { server: 'recommendation' } },
        { metric: GRAPH, labels: { client: 'user', server: 'frontend' } }, // fewer requests on the root edge
      ],
    },
    {
      kind: 'level_shift', startSec: at(0.8), endSec: end,
      description: `checkout orders queue depth +${EFFECT.levelShift} (baseline 20)`,
      judged: [{ metric: /^shop_queue_depth/, labels: { service_name: 'checkout', queue: 'orders' } }],
      touched: [{ metric: /^shop_queue_depth/, labels: { service_name: 'checkout' } }],
    },
    {
      kind: 'memory_leak', startSec: at(0.35), endSec: end,
      description: `cart resident memory grows ${EFFECT.leakBytesPerSec / 1024} KiB/s`,
      judged: [{ metric: /^process_memory_usage/, labels: svc('cart') }],
      touched: [{ metric: /^process_memory_usage/, labels: svc('cart') }],
    },
  ];
}

/** All incidents of a run of durationSec (cycles repeat; an unfinished last cycle keeps what started). */
export function schedule(cycleSec: number, durationSec: number): Incident[] {
  const out: Incident[] = [];
  for (let off = 0; off < durationSec; off += cycleSec) {
    for (const i of cycleIncidents(cycleSec, off)) if (i.startSec < durationSec) out.push(i);
  }
  return out;
}

/** What the incidents do to the traffic at t seconds after the start (cycles repeat). */
export class Effects {
  private readonly incidents: Incident[];

  constructor(private readonly cycleSec: number) {
    this.incidents = cycleIncidents(cycleSec);
  }

  private active(kind: IncidentKind, t: number): Incident | undefined {
    const c = t % this.cycleSec;
    return this.incidents.find((i) => i.kind === kind && c >= i.startSec && c < i.endSec);
  }

  latencyFactor(o: Operation, t: number): number {
    return o === CHARGE && this.active('latency_spike', t) ? EFFECT.latencySpikeFactor : 1;
  }

  errorRate(o: Operation, t: number): number {
    return o === STOCK && this.active('error_burst', t) ? EFFECT.errorBurstRate : o.errorRate;
  }

  trafficFactor(r: EntryRoute, t: number): number {
    return r === recommendations && this.active('traffic_drop', t) ? EFFECT.trafficDropFactor : 1;
  }

  queueOffset(service: ServiceName, queue: string, t: number): number {
    return service === 'checkout' && queue === 'orders' && this.active('level_shift', t) ? EFFECT.levelShift : 0;
  }

  memoryExtra(service: ServiceName, t: number): number {
    if (service !== 'cart') return 0;
    const leak = this.active('memory_leak', t);
    return leak ? ((t % this.cycleSec) - leak.startSec) * EFFECT.leakBytesPerSec : 0;
  }
}
