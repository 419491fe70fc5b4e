/**
 * The stores, started with the project's launchers (src/backends): VictoriaMetrics, Jaeger v2
 * and Cassandra, each alone or several at once.
 */
import { join } from 'node:path';
import { startCassandra, type CassandraOptions, type RunningCassandra } from '../backends/cassandra.js';
import { startJaeger, type JaegerOptions, type RunningJaeger } from '../backends/jaeger.js';
import { startVictoriaMetrics, type RunningVictoriaMetrics, type VictoriaMetricsOptions } from '../backends/victoriametrics.js';

export { cassandraInstalled, startCassandra, type CassandraOptions, type RunningCassandra } from '../backends/cassandra.js';
export { startJaeger, type JaegerOptions, type RunningJaeger } from '../backends/jaeger.js';
export { startVictoriaMetrics, type RunningVictoriaMetrics, type VictoriaMetricsOptions } from '../backends/victoriametrics.js';

type Without<T> = Partial<Omit<T, 'runDir'>>;

export interface BackendsOptions {
  /** Each backend gets <runDir>/<name>. */
  runDir: string;
  victoriaMetrics?: Without<VictoriaMetricsOptions>;
  jaeger?: Without<JaegerOptions>;
  cassandra?: Without<CassandraOptions>;
}

export interface RunningBackends {
  vm: RunningVictoriaMetrics;
  jaeger: RunningJaeger;
  cassandra: RunningCassandra;
  stop(): Promise<void>;
}

/**
 * All three at once (Cassandra's start-up dominates); if one fails, those that started are
 * stopped and the first failure is thrown.
 */
export async function startBackends(o: BackendsOptions): Promise<RunningBackends> {
  const results = await Promise.allSettled([
    startVictoriaMetrics({ ...o.victoriaMetrics, runDir: join(o.runDir, 'victoria-metrics') }),
    startJaeger({ ...o.jaeger, runDir: join(o.runDir, 'jaeger') }),
    startCassandra({ ...o.cassandra, runDir: join(o.runDir, 'cassandra') }),
  ] as const);
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(started.map((s) => s.stop()));
    throw failed.reason;
  }
  const [vm, jaeger, cassandra] = started as [RunningVictoriaMetrics, RunningJaeger, RunningCassandra];
  return { vm, jaeger, cassandra, stop: async () => { await Promise.allSettled([vm.stop(), jaeger.stop(), cassandra.stop()]); } };
}
