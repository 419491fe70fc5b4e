/** Starts the rendered collector configs of `mirador up` in dependency order, through the harness. */
import { join } from 'node:path';
import { launchCollector, type RunningCollector } from '../harness/collector.js';
import type { CollectorProcessSpec } from './render.js';

export interface PipelineCollector extends RunningCollector {
  spec: CollectorProcessSpec;
}

export function startCollector(spec: CollectorProcessSpec, runDir: string): Promise<PipelineCollector> {
  return launchCollector({
    name: spec.name, config: spec.config,
    configFile: join(runDir, 'collectors', `${spec.name}.yaml`), logFile: join(runDir, 'logs', `${spec.name}.log`),
    healthUrl: `http://127.0.0.1:${spec.ports.healthCheck}/`, telemetryUrl: `http://127.0.0.1:${spec.ports.metrics}/metrics`,
  }).then((c) => ({ ...c, spec }));
}

/** Starts the scorers first, then the connectors, then the gateway (each one's targets are up before it). */
export async function startCollectors(specs: CollectorProcessSpec[], runDir: string): Promise<PipelineCollector[]> {
  const order = ['isolationforest', 'servicegraph', 'spanmetrics', 'gateway'];
  const running: PipelineCollector[] = [];
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
export async function stopCollectors(cs: PipelineCollector[]): Promise<void> {
  for (const component of ['gateway', 'servicegraph', 'spanmetrics', 'isolationforest']) {
    await Promise.all(cs.filter((c) => c.spec.component === component).map((c) => c.stop(20_000)));
  }
}
