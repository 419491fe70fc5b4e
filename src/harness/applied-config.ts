/**
 * What a component's config means once the collector has applied its defaults, asked of the
 * collector itself: `otelcol-mirador print-config` prints a config with every default applied,
 * so values come from the component's own Config defaults, unmarshalling and validation, whatever
 * its source says today. effectiveThreshold is the one place that knows the isolationforest
 * threshold in force (for reports and plots): the rendered block's, else the collector's default;
 * it keeps no range or default of its own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { collectorBinary, type CollectorBuild } from './collector.js';

/**
 * A component's config block as the collector applies it, every default filled in:
 * `print-config` of a minimal pipeline of `signal` through it. An invalid block is an error
 * carrying the collector's message.
 */
export function appliedComponentConfig(kind: 'processors' | 'exporters', type: string, block: Record<string, unknown> | null | undefined,
  signal: 'metrics' | 'traces' | 'logs', build: CollectorBuild = 'mirador'): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'mirador-print-config-'));
  try {
    const file = join(dir, 'config.yaml');
    const processors = kind === 'processors' ? { [type]: block ?? {} } : undefined;
    const exporters = kind === 'exporters' ? { [type]: block ?? {} } : { debug: {} };
    writeFileSync(file, stringify({
      receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
      processors, exporters,
      service: { pipelines: { [signal]: { receivers: ['otlp'], processors: Object.keys(processors ?? {}), exporters: Object.keys(exporters) } } },
    }));
    let out: string;
    try {
      // The otelcol.printInitialConfig gate is on by default in v0.144.0; naming it keeps it so.
      out = execFileSync(collectorBinary(build), ['print-config', '--feature-gates', 'otelcol.printInitialConfig', '--config', file],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`the collector rejects the ${type} config ${JSON.stringify(block ?? {})}: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' ')}`);
    }
    const applied = (parse(out) as Record<string, Record<string, Record<string, unknown>> | undefined>)[kind]?.[type];
    if (!applied) throw new Error(`otelcol-${build} print-config printed no ${kind}.${type}:\n${out.slice(0, 500)}`);
    return applied;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The isolationforest processor block as the collector applies it. */
export const appliedProcessorConfig = (block: Record<string, unknown> | null | undefined, build: CollectorBuild = 'mirador') =>
  appliedComponentConfig('processors', 'isolationforest', block, 'metrics', build);

/**
 * The threshold in force for a rendered isolationforest processor block: its own `threshold`, else
 * the collector's default, as print-config reports it. The collector also validates the block (its
 * ranges are the processor's own), so an out-of-range value fails here with the collector's message.
 */
export function effectiveThreshold(processorBlock: Record<string, unknown> | null | undefined, build: CollectorBuild = 'mirador'): number {
  const raw = appliedProcessorConfig(processorBlock, build).threshold;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(n)) throw new Error(`otelcol-${build} print-config gives the isolationforest threshold as ${JSON.stringify(raw)}, not a number`);
  return n;
}
