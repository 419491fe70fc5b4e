/**
 * The anomaly threshold an isolationforest processor applies, for reports and plots: the one place
 * that knows it. It reads the processor's config block as rendered (the chart's, a benchmark's
 * own) and, where the block leaves `threshold` out, asks the collector: `otelcol-mirador
 * print-config` prints a config with every default applied, so the value is the processor's
 * own (Config defaults, unmarshalling and validation), whatever its source says today.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { collectorBinary, type CollectorBuild } from './collector.js';

/**
 * The processor block as the collector applies it: `print-config` of a minimal metrics
 * pipeline through it. An invalid block is an error carrying the collector's message.
 */
export function appliedProcessorConfig(processorBlock: Record<string, unknown> | null | undefined, build: CollectorBuild = 'mirador'): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'mirador-print-config-'));
  try {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, stringify({
      receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
      processors: { isolationforest: processorBlock ?? {} },
      exporters: { debug: {} },
      service: { pipelines: { metrics: { receivers: ['otlp'], processors: ['isolationforest'], exporters: ['debug'] } } },
    }));
    let out: string;
    try {
      // The otelcol.printInitialConfig gate is on by default in v0.144.0; naming it keeps it so.
      out = execFileSync(collectorBinary(build), ['print-config', '--feature-gates', 'otelcol.printInitialConfig', '--config', file],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`the collector rejects the isolationforest config ${JSON.stringify(processorBlock ?? {})}: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' ')}`);
    }
    const applied = (parse(out) as { processors?: { isolationforest?: Record<string, unknown> } }).processors?.isolationforest;
    if (!applied) throw new Error(`otelcol-${build} print-config printed no processors.isolationforest:\n${out.slice(0, 500)}`);
    return applied;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The threshold in force for a rendered isolationforest processor block: its own `threshold`,
 * else the collector's default for it. Anything but a number in (0, 1] is an error.
 */
export function effectiveThreshold(processorBlock: Record<string, unknown> | null | undefined, build: CollectorBuild = 'mirador'): number {
  const own = processorBlock?.threshold;
  const raw = own !== undefined && own !== null ? own : appliedProcessorConfig(processorBlock, build).threshold;
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!(n > 0 && n <= 1)) {
    throw new Error(`isolationforest threshold ${JSON.stringify(raw)} (${own !== undefined && own !== null ? 'rendered config' : "the collector's default"}) is not a number in (0, 1]`);
  }
  return n;
}
