// Replays test/vectors/*.json through the TypeScript host: every score must match bit for bit.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/index.js';
import { codeOf } from '../support/kernel-code.js';

interface Step {
  op: 'fit' | 'update' | 'score';
  rows: (number | string)[][];
  expected_code?: number;
  expected_bits?: string[];
  expected?: number[];
}
interface Vector {
  name: string;
  params: { trees: number; psi: number; dims: number; seed: string; window: number | null };
  steps: Step[];
}

const dir = resolve(import.meta.dirname, '../vectors');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
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

describe('golden vectors', () => {
  it('has the expected set of cases', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
  });

  for (const file of files) {
    it(file, () => {
      const v: Vector = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      const { trees, psi, dims, seed, window } = v.params;
      const forest = kernel.forest({ trees, sampleSize: psi, dims, seed: BigInt(seed), window: window ?? undefined });
      try {
        v.steps.forEach((step, i) => {
          const where = `${v.name} step ${i} (${step.op})`;
          // a wrong-width row must be rejected even when the total length happens to divide by dims
          const rows = step.rows.some((r) => r.length !== dims) ? new Float64Array(dims + 1) : flatten(step.rows);
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
    });
  }
});
