// The chart's collector configs as local processes: the local profile rendered with free loopback
// ports (nothing Kubernetes-only in it), one otelcol-mirador process per component, and as many
// isolationforest processes as asked for behind the gateway's static resolver (the chart's replicas).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { forIsolationforestProcess } from '../../src/pipeline/render.js';
import { freePorts, startProcess, waitForHttp, type ManagedProcess } from '../../src/harness/index.js';
import { COLLECTOR, COMPONENTS, LOCAL_PROFILE, configs, render, type Component } from './helm.js';

export type Ports = { otlpGrpc: number; otlpHttp: number; metrics: number; healthCheck: number };

export interface LocalOptions {
  /** Extra values (--set-json) over the local profile and the ports. */
  values?: Record<string, unknown>;
  /** Components to run (the others are disabled in the render). */
  components?: readonly Component[];
  /** OTLP/HTTP metrics URL of the metrics backend; default: a port nothing listens on. */
  vmOtlpUrl?: string;
  /** isolationforest processes (the gateway's static resolver lists them all). */
  isolationforests?: number;
  /** Extra environment per process name. */
  env?: Record<string, NodeJS.ProcessEnv>;
}

export interface Local {
  dir: string;
  /** Ports by process name: gateway, servicegraph, spanmetrics, isolationforest-<i>. */
  ports: Record<string, Ports>;
  /** Parsed configs by process name, as run. */
  config: Record<string, any>;
  procs: Record<string, ManagedProcess>;
  /** Starts (or restarts) a process and waits for its health check. */
  start(name: string): Promise<void>;
  stop(): Promise<void>;
}

export const componentOf = (name: string) => name.replace(/-\d+$/, '') as Component;

export async function startLocal(o: LocalOptions = {}): Promise<Local> {
  const components = o.components ?? COMPONENTS;
  const ifCount = components.includes('isolationforest') ? (o.isolationforests ?? 1) : 0;
  const names = [...components.filter((c) => c !== 'isolationforest'), ...Array.from({ length: ifCount }, (_, i) => `isolationforest-${i}`)];
  const dir = mkdtempSync(join(tmpdir(), 'mirador-local-'));
  const free = await freePorts(names.length * 4 + 3);
  const ports: Record<string, Ports> = {};
  names.forEach((n, i) => { ports[n] = { otlpGrpc: free[i * 4], otlpHttp: free[i * 4 + 1], metrics: free[i * 4 + 2], healthCheck: free[i * 4 + 3] }; });
  const [vm, traces, cassandra] = free.slice(-3); // nothing listens there unless asked
  const grpc = (n: string) => `127.0.0.1:${ports[n].otlpGrpc}`;
  const portsOf = (c: Component) => ports[c === 'isolationforest' ? 'isolationforest-0' : c] ?? ports[names[0]];
  const rendered = configs(await render({
    files: [LOCAL_PROFILE],
    setJson: {
      ...Object.fromEntries(COMPONENTS.map((c) => [`${c}.ports`, portsOf(c)])),
      ...Object.fromEntries(COMPONENTS.map((c) => [`${c}.enabled`, components.includes(c)])),
      'loadBalancing.static': {
        servicegraph: [grpc(components.includes('servicegraph') ? 'servicegraph' : names[0])],
        spanmetrics: [grpc(components.includes('spanmetrics') ? 'spanmetrics' : names[0])],
        isolationforest: ifCount ? names.filter((n) => n.startsWith('isolationforest')).map(grpc) : [grpc(names[0])],
      },
      'backends.victoriaMetrics.endpoint': o.vmOtlpUrl ?? `http://127.0.0.1:${vm}/opentelemetry/v1/metrics`,
      'backends.victoriaTraces.endpoint': `http://127.0.0.1:${traces}/v1/traces`,
      'backends.cassandra.endpoints': [`127.0.0.1:${cassandra}`],
      'isolationforest.persistentQueue.directory': join(dir, 'queue/isolationforest-0'),
      // anomaly events go to the gateway (or, without it, a port nothing listens on)
      'isolationforest.anomalyEvents.endpoint': components.includes('gateway') ? grpc('gateway') : `127.0.0.1:${cassandra}`,
      // the trace writer must be a component that runs
      'backends.victoriaTraces.exportedBy': (['gateway', 'servicegraph', 'spanmetrics'] as const).find((c) => components.includes(c)) ?? 'none',
      ...o.values,
    },
  }));
  const config: Record<string, any> = {};
  for (const n of names) {
    const c = componentOf(n);
    config[n] = n.startsWith('isolationforest-') && n !== 'isolationforest-0'
      ? forIsolationforestProcess(rendered.isolationforest, ports[n], join(dir, `queue/${n}`))
      : rendered[c];
    writeFileSync(join(dir, `${n}.yaml`), stringify(config[n]));
  }
  const procs: Record<string, ManagedProcess> = {};
  const start = async (n: string) => {
    const p = startProcess({ name: n, cmd: COLLECTOR, args: [`--config=${join(dir, `${n}.yaml`)}`], logFile: join(dir, `${n}.log`), env: o.env?.[n] });
    procs[n] = p;
    const died = p.exited.then((code) => { throw new Error(`${n} exited (${code}):\n${p.tail(20)}`); });
    await Promise.race([waitForHttp(`http://127.0.0.1:${ports[n].healthCheck}/`, 30_000), died]);
    died.catch(() => undefined);
  };
  const local: Local = {
    dir, ports, config, procs, start,
    stop: async () => {
      await Promise.all(Object.values(procs).map((p) => p.stop(10_000)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // targets before the components that send to them
    for (const n of [...names.filter((x) => x.startsWith('isolationforest')), ...(['servicegraph', 'spanmetrics', 'gateway'] as const).filter((x) => names.includes(x))]) await start(n);
  } catch (e) {
    await local.stop();
    throw e;
  }
  return local;
}

/** Sum of one of a collector's own counters (optionally only series whose labels match), from its Prometheus endpoint. */
export async function counter(l: Local, name: string, metric: string, labels: RegExp = /.*/): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${l.ports[name].metrics}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${metric}(?:_total)?(\\{[^}]*\\})? ([0-9.e+]+)$`, 'gm'))) if (labels.test(m[1] ?? '')) sum += Number(m[2]);
  return sum;
}

/** POSTs OTLP/HTTP JSON to the gateway; resolves with the status. */
export async function postOtlp(l: Local, path: '/v1/traces' | '/v1/metrics' | '/v1/logs', body: unknown, to = 'gateway'): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${l.ports[to].otlpHttp}${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  await res.text();
  return res.status;
}

export const resource = (service: string, extra: Record<string, string> = {}) => ({
  attributes: Object.entries({ 'service.name': service, ...extra }).map(([key, v]) => ({ key, value: { stringValue: v } })),
});
