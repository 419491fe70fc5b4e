// Replays test/vectors/*.json and the extension vectors in test/vectors/snapshot/ and
// test/vectors/range-aware/ through the TypeScript host: every score must match bit for bit, every
// snapshot its length, CRC-32, SHA-256 (and bytes when embedded), and a restored model must carry on
// exactly as the original did when the vectors were written (test/vectors/generate.mjs).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IsolationForest, Kernel } from '../../src/kernel/index.js';
import { codeOf } from '../support/kernel-code.js';

interface Step {
  op: 'fit' | 'update' | 'score' | 'set_range_aware' | 'snapshot' | 'restore';
  rows?: (number | string)[][];
  on?: number;
  source?: 'last_snapshot' | 'base64';
  base64?: string;
  expected_code?: number;
  expected_bits?: string[];
  expected?: number[];
  expected_length?: number;
  expected_crc32?: string;
  expected_sha256?: string;
  expected_base64?: string;
}
interface Vector {
  name: string;
  format?: string;
  params: { trees: number; psi: number; dims: number; seed: string; window: number | null };
  steps: Step[];
}

const dir = resolve(import.meta.dirname, '../vectors');
const jsonIn = (d: string) => readdirSync(join(dir, d)).filter((f) => f.endsWith('.json')).sort().map((f) => join(d, f));
const files = { base: jsonIn('.'), snapshot: jsonIn('snapshot'), 'range-aware': jsonIn('range-aware') };
const kernel = Kernel.load();

const bits = (x: number) => {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return v.getBigUint64(0).toString(16).padStart(16, '0');
};

/** Row-major values; a row of the wrong width makes the array length fail the host's dims check. */
function flatten(rows: (number | string)[][]): Float64Array {
  return Float64Array.from(rows.flat().map((v) => (typeof v === 'string' ? Number(v) : v)));
}

const handleOf = (f: IsolationForest) => (f as unknown as { handle: number }).handle;

function replay(v: Vector): void {
  const { trees, psi, dims, seed, window } = v.params;
  let forest = kernel.forest({ trees, sampleSize: psi, dims, seed: BigInt(seed), window: window ?? undefined });
  let last: Uint8Array | null = null;
  try {
    v.steps.forEach((step, i) => {
      const where = `${v.name} step ${i} (${step.op})`;
      switch (step.op) {
        case 'set_range_aware':
          expect(kernel.exports.forest_set_range_aware(handleOf(forest), step.on!), where).toBe(step.expected_code ?? 0);
          return;
        case 'snapshot': {
          expect(kernel.exports.forest_snapshot_size(handleOf(forest)), where).toBe(step.expected_length);
          last = forest.snapshot();
          expect(last.length, where).toBe(step.expected_length);
          expect((crc32(last.subarray(0, last.length - 4)) >>> 0).toString(16).padStart(8, '0'), where).toBe(step.expected_crc32);
          expect(new DataView(last.buffer).getUint32(last.length - 4, true).toString(16).padStart(8, '0'), where).toBe(step.expected_crc32);
          expect(createHash('sha256').update(last).digest('hex'), where).toBe(step.expected_sha256);
          if (step.expected_base64 !== undefined) expect(Buffer.from(last).toString('base64'), where).toBe(step.expected_base64);
          return;
        }
        case 'restore': {
          const bytes = step.source === 'base64' ? new Uint8Array(Buffer.from(step.base64!, 'base64')) : last;
          expect(bytes, `${where}: a snapshot step comes first`).not.toBeNull();
          let restored: IsolationForest | null = null;
          expect(codeOf(() => (restored = IsolationForest.restore(kernel, bytes!))), where).toBe(step.expected_code ?? 0);
          if (restored) {
            forest.free();
            forest = restored;
          }
          return;
        }
      }
      // a wrong-width row must be rejected even when the total length happens to divide by dims
      const rows = step.rows!.some((r) => r.length !== dims) ? new Float64Array(dims + 1) : flatten(step.rows!);
      if (step.op === 'score' && step.expected_code === undefined) {
        const scores = forest.score(rows);
        expect(Array.from(scores, bits), where).toEqual(step.expected_bits);
        expect(Array.from(scores), where).toEqual(step.expected);
      } else {
        const code = codeOf(() => (step.op === 'fit' ? forest.fit(rows) : step.op === 'update' ? forest.update(rows) : forest.score(rows)));
        expect(code, where).toBe(step.expected_code ?? 0);
      }
    });
  } finally {
    forest.free();
  }
}

describe('golden vectors', () => {
  it('has the expected set of cases', () => {
    expect(files.base.length).toBeGreaterThanOrEqual(9);
    expect(files.snapshot.length).toBeGreaterThanOrEqual(5);
    expect(files['range-aware'].length).toBeGreaterThanOrEqual(4);
  });

  for (const file of [...files.base, ...files.snapshot, ...files['range-aware']]) {
    it(file, () => {
      const v: Vector = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      // extension vectors explain their ops in the file itself
      if (!files.base.includes(file)) expect(v.format).toContain('forest_restore');
      replay(v);
    });
  }

  it('the extension vectors exercise what they claim', () => {
    const all = [...files.snapshot, ...files['range-aware']].map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Vector);
    const steps = all.flatMap((v) => v.steps);
    expect(steps.filter((s) => s.op === 'restore' && s.source === 'last_snapshot' && s.expected_code === undefined).length).toBeGreaterThanOrEqual(4);
    expect(new Set(steps.filter((s) => s.op === 'restore').map((s) => s.expected_code))).toEqual(new Set([undefined, -10, -11]));
    expect(steps.filter((s) => s.op === 'snapshot' && s.expected_base64).length).toBeGreaterThanOrEqual(4);
    // range-aware-distance: inside points keep their bits, scores beyond the range increase
    const d = all.find((v) => v.name === 'range-aware-distance')!;
    const [off, on] = d.steps.filter((s) => s.op === 'score').map((s) => s.expected!);
    expect(on.slice(0, 2)).toEqual(off.slice(0, 2));
    for (let i = 3; i < 9; i++) expect(on[i]).toBeGreaterThan(on[i - 1]);
    for (let i = 10; i < 16; i++) expect(on[i]).toBeGreaterThan(on[i - 1]);
  });
});
