/**
 * The simulated shop: services, their operations and who calls whom. Entry routes arrive at the
 * frontend at steady (diurnal-free) Poisson rates; each request walks its call tree, producing a
 * server span per hop, a client span per outgoing call and a client span per database call.
 */

export interface DbCall {
  kind: 'db';
  system: string; // db.system.name, e.g. postgresql
  namespace: string; // db.namespace
  operation: string; // span name, e.g. "SELECT products"
  medianMs: number;
}

export interface HttpCall {
  kind: 'http';
  target: Operation;
}

export type Call = DbCall | HttpCall;

export interface Operation {
  service: string;
  method: string;
  route: string;
  /** Median time spent in the operation itself, excluding downstream calls. */
  selfMs: number;
  /** Log-normal shape of selfMs: larger = longer tail. */
  sigma: number;
  /** Probability that this operation fails on its own in steady state. */
  errorRate: number;
  calls: Call[];
}

export interface EntryRoute {
  id: string;
  /** Requests per second at --rate 1. */
  rate: number;
  op: Operation;
}

export const SERVICES = ['frontend', 'cart', 'checkout', 'payments', 'inventory', 'recommendation'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The queues whose depth each service reports as a gauge (baseline mean, noise sd). */
export const QUEUES: { service: ServiceName; queue: string; mean: number; sd: number }[] = [
  { service: 'checkout', queue: 'orders', mean: 20, sd: 2 },
  { service: 'payments', queue: 'settlements', mean: 8, sd: 1 },
];

/** Resident memory baseline per service in bytes (noise sd 1 MiB). */
export const MEMORY_BASELINE: Record<ServiceName, number> = {
  frontend: 220 * 2 ** 20,
  cart: 180 * 2 ** 20,
  checkout: 260 * 2 ** 20,
  payments: 150 * 2 ** 20,
  inventory: 200 * 2 ** 20,
  recommendation: 310 * 2 ** 20,
};

const op = (service: ServiceName, method: string, route: string, selfMs: number, calls: Call[] = [], errorRate = 0, sigma = 0.25): Operation =>
  ({ service, method, route, selfMs, sigma, errorRate, calls });
const db = (system: string, namespace: string, operation: string, medianMs: number): DbCall =>
  ({ kind: 'db', system, namespace, operation, medianMs });
const http = (target: Operation): HttpCall => ({ kind: 'http', target });

// Downstream operations (the incidents in scenario.ts refer to these by service + route).
export const STOCK = op('inventory', 'GET', '/stock', 6, [db('postgresql', 'inventory', 'SELECT stock', 3)], 0.02);
export const RESERVE = op('inventory', 'POST', '/reserve', 8, [db('postgresql', 'inventory', 'UPDATE stock', 4)]);
export const CHARGE = op('payments', 'POST', '/charge', 35, [db('postgresql', 'payments', 'INSERT payments', 5)]);
export const ORDERS = op('checkout', 'POST', '/orders', 12, [http(RESERVE), http(CHARGE), db('postgresql', 'orders', 'INSERT orders', 4)]);
export const RECOMMEND = op('recommendation', 'GET', '/recommend', 25);
export const CART_GET = op('cart', 'GET', '/cart', 3, [db('redis', 'carts', 'HGETALL', 1)]);

export const ENTRY_ROUTES: EntryRoute[] = [
  { id: 'GET /products', rate: 8, op: op('frontend', 'GET', '/products', 10, [http(STOCK)]) },
  { id: 'GET /recommendations', rate: 4, op: op('frontend', 'GET', '/recommendations', 5, [http(RECOMMEND)]) },
  { id: 'GET /cart', rate: 3, op: op('frontend', 'GET', '/cart', 4, [http(CART_GET)]) },
  { id: 'POST /checkout', rate: 2, op: op('frontend', 'POST', '/checkout', 15, [http(CART_GET), http(ORDERS)]) },
];

/** Span name of a server operation, as HTTP semantic conventions name it. */
export const spanName = (o: Pick<Operation, 'method' | 'route'>) => `${o.method} ${o.route}`;

/** The application metrics every run exports (name, unit, kind): tests compare their point counts. */
export const APP_METRICS = [
  { name: 'http.server.request.duration', unit: 's', kind: 'histogram' },
  { name: 'process.memory.usage', unit: 'By', kind: 'gauge' },
  { name: 'shop.queue.depth', unit: '{message}', kind: 'gauge' },
  { name: 'shop.orders.placed', unit: '{order}', kind: 'counter' },
] as const;
