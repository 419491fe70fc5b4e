// A deliberately broken kernel through kernel_path: an AssemblyScript module with the ABI v1
// exports whose forest_score traps (`unreachable`), compiled here with asc. The collector must
// deliver every point, count the traps, pass the points the forest was asked about through
// unscored (the others are scored by their statistics), recreate the instance and keep running.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeGauges, freePorts, otlpReceiver, postMetrics, repoRoot, startCollector, startJsonSink, waitFor, type JsonSink, type RunningCollector,
} from '../../src/harness/index.js';
import { PROCESSOR } from './configs.js';

const work = mkdtempSync(join(tmpdir(), 'mirador-kernel-trap-'));

const BROKEN_KERNEL = `
export function abi_version(): i32 { return 1; }
export function alloc(bytes: u32): usize { return heap.alloc(bytes); }
export function free(ptr: usize): void { heap.free(ptr); }
export function forest_new(trees: i32, psi: i32, dims: i32, seed: u64): i32 { return 0; }
export function forest_fit(h: i32, rows: usize, n: i32): i32 { return 0; }
export function forest_update(h: i32, rows: usize, n: i32): i32 { return 0; }
// Traps on every call: the host sees a wasm runtime error, not an error code.
export function forest_score(h: i32, rows: usize, n: i32, out: usize): i32 { unreachable(); return 0; }
export function forest_free(h: i32): void {}
`;

describe('kernel trap', () => {
  let col: RunningCollector | undefined;
  let sink: JsonSink | undefined;
  afterAll(async () => {
    await col?.stop();
    await sink?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('passes data through unscored when kernel_path points at a kernel that traps', async () => {
    const src = join(work, 'broken.ts');
    const wasm = join(work, 'broken.wasm');
    writeFileSync(src, BROKEN_KERNEL);
    execFileSync(join(repoRoot(), 'node_modules/.bin/asc'), [src, '-o', wasm, '--runtime', 'stub', '-O2'], { stdio: 'pipe' });

    const [http, sinkPort] = await freePorts(2);
    sink = await startJsonSink(sinkPort);
    col = await startCollector({
      name: 'kernel-trap', dir: work, config: {
        receivers: otlpReceiver({ http }),
        processors: { isolationforest: { ...PROCESSOR, kernel_path: wasm, warmup_points: 2 } },
        exporters: { otlphttp: { endpoint: sink.url, encoding: 'json', compression: 'none', sending_queue: { enabled: false } } },
        pipelines: { metrics: { receivers: ['otlp'], processors: ['isolationforest'], exporters: ['otlphttp'] } },
      },
    });
    const t0 = BigInt(Date.now() - 600_000) * 1_000_000n;
    const SERIES = 6, STEPS = 30;
    for (let step = 0; step < STEPS; step++) {
      // a new high at every step: every warm point has evidence, so the forest is asked about it
      const points = Array.from({ length: SERIES }, (_, s) => ({ attributes: { series: `s${s}` }, timeUnixNano: t0 + BigInt(step) * 1_000_000_000n, value: 10 * s + step * step }));
      const r = await postMetrics(`http://127.0.0.1:${http}`, encodeGauges([{ resource: { 'service.name': 'trap' }, metrics: [{ name: 'trap_gauge', points }] }]));
      expect(r.status, r.text).toBe(200);
    }
    const got = await waitFor(`${SERIES * STEPS} points at the sink`, async () => sink!.byMetric('trap_gauge').length >= SERIES * STEPS && sink!.byMetric('trap_gauge'), 20_000);
    const t = await col.telemetry();
    // a scored point has its companion score point (the default output mode)
    const scored = sink.byMetric('trap_gauge_anomaly_score').length;
    const kernelErrors = t.sum('otelcol_processor_isolationforest_kernel_errors_total');
    const unscored = t.sum('otelcol_processor_isolationforest_points_unscored_total', { reason: 'kernel_error' });
    console.log(`kernel trap: ${SERIES * STEPS} points sent, ${got.length} delivered, ${scored} scored; kernel errors ${kernelErrors}, ` +
      `points passed unscored after a kernel error ${unscored}; collector ${col.running() ? 'running' : 'EXITED'}`);
    expect(got.length).toBe(SERIES * STEPS);
    expect(kernelErrors).toBeGreaterThan(0);
    expect(unscored).toBeGreaterThan(0);
    expect(scored + unscored, 'every warm point is scored or counted unscored').toBe(SERIES * (STEPS - 2));
    expect(col.process.tail(200)).toMatch(/unreachable|trap|forest_score/i);
    expect((await fetch(col.telemetryUrl)).status, 'collector still running').toBe(200);
  }, 120_000);
});
