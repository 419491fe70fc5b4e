/** Starts the rendered collector configs as otelcol-mirador child processes and waits for their health checks. */
import { join } from 'node:path';
import { startProcess, type ManagedProcess } from '../proc/process.js';
import { waitForHttp } from '../proc/wait.js';
import type { CollectorProcessSpec } from './render.js';
import { buildPath } from './tools.js';

export interface RunningCollector {
  spec: CollectorProcessSpec;
  process: ManagedProcess;
  healthUrl: string;
  metricsUrl: string;
}

export function collectorBinary(): string {
  return buildPath('otelcol-mirador', 'npm run build:collector');
}

export async function startCollector(spec: CollectorProcessSpec, runDir: string, timeoutMs = 60_000): Promise<RunningCollector> {
  const configFile = join(runDir, 'collectors', `${spec.name}.yaml`);
  const proc = startProcess({
    name: spec.name, cmd: collectorBinary(), args: ['--config', configFile], logFile: join(runDir, 'logs', `${spec.name}.log`),
  });
  const healthUrl = `http://127.0.0.1:${spec.ports.healthCheck}/`;
  const died = proc.exited.then((c) => { throw new Error(`collector ${spec.name} exited (${c}) during start-up (config ${configFile}):\n${proc.tail(25)}`); });
  try {
    await Promise.race([waitForHttp(healthUrl, timeoutMs), died]);
  } catch (e) {
    await proc.stop(5_000);
    throw e;
  }
  died.catch(() => undefined);
  return { spec, process: proc, healthUrl, metricsUrl: `http://127.0.0.1:${spec.ports.metrics}/metrics` };
}

/** Starts the scorers first, then the connectors, then the gateway (each one's targets are up before it). */
export async function startCollectors(specs: CollectorProcessSpec[], runDir: string): Promise<RunningCollector[]> {
  const order = ['isolationforest', 'servicegraph', 'spanmetrics', 'gateway'];
  const running: RunningCollector[] = [];
  try {
    for (const component of order) {
      running.push(...(await Promise.all(specs.filter((s) => s.component === component).map((s) => startCollector(s, runDir)))));
    }
  } catch (e) {
    await stopCollectors(running);
    throw e;
  }
  return running;
}

/** Gateway first, scorers last: each stage drains into a still-running next one. */
export async function stopCollectors(cs: RunningCollector[]): Promise<void> {
  for (const component of ['gateway', 'servicegraph', 'spanmetrics', 'isolationforest']) {
    await Promise.all(cs.filter((c) => c.spec.component === component).map((c) => c.process.stop(20_000)));
  }
}

