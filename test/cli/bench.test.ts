// `mirador bench` end to end through the bundled CLI (dist/mirador.js).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'dist/mirador.js');
const tmp = mkdtempSync(join(tmpdir(), 'mirador-bench-'));

function mirador(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, MIRADOR_PROGRESS: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function csv(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

/** 300 normal points near the origin and 10 far ones, labelled. */
function labelled(): string {
  const lines = ['a,b,c,label'];
  for (let i = 0; i < 300; i++) lines.push(`${Math.sin(i) * 0.5},${Math.cos(i * 1.3) * 0.5},${(i % 17) / 17},0`);
  for (let i = 0; i < 10; i++) lines.push(`${5 + i},${-5 - i},${3},1`);
  return csv('small.csv', lines.join('\n') + '\n');
}

beforeAll(() => {
  if (!existsSync(cli)) spawnSync(process.execPath, [join(root, 'scripts/build-cli.mjs')], { stdio: 'inherit' });
});

const FIGURES = ['rocAuc', 'prAuc', 'fitMs', 'scoreMs', 'pointsPerSec'];

describe('mirador bench', () => {
  it('--compare --json prints one JSON object with ours and every peer', () => {
    const r = mirador('bench', '--data', labelled(), '--compare', '--json', '--seeds', '2', '--trees', '50', '--sample-size', '64');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ dataset: 'small', rows: 310, dims: 3, params: { trees: 50, sampleSize: 64, seeds: 2, stream: false } });
    for (const f of FIGURES) expect(typeof out.ours[f]).toBe('number');
    expect(out.ours.rocAuc).toBeGreaterThan(0.95);
    expect(Object.keys(out.peers).sort()).toEqual(['isolation-forest', 'isotree', 'ml-isolation-forest', 'scikit-learn']);
    for (const name of ['isolation-forest', 'ml-isolation-forest']) {
      for (const f of FIGURES) expect(typeof out.peers[name][f], `${name}.${f}`).toBe('number');
    }
    // python peers: measured when .venv/python3 has them, otherwise a clear reason
    for (const name of ['scikit-learn', 'isotree']) {
      const p = out.peers[name];
      if ('unavailable' in p) expect(p.unavailable).toMatch(/python|install|module/);
      else expect(p.rocAuc).toBeGreaterThan(0.9);
    }
  });

  it('prints a table with ratios by default', () => {
    const r = mirador('bench', '--data', labelled(), '--seeds', '1', '--trees', '20');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/small: 310 rows x 3 dims/);
    expect(r.stdout).toMatch(/mirador \(wasm\)\s+\d\.\d{3}/);
  });

  it('--stream --window scores each point before learning it', () => {
    const r = mirador('bench', '--data', labelled(), '--stream', '--window', '128', '--sample-size', '32', '--seeds', '1', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.params).toMatchObject({ stream: true, window: 128, batch: 1 });
    expect(out.ours.note).toMatch(/first 32 rows/);
    for (const f of FIGURES) expect(typeof out.ours[f]).toBe('number');
  });

  it.each([
    ['missing file', () => ['--data', join(tmp, 'nope.csv')], /cannot read data file .*nope\.csv: no such file/],
    ['empty file', () => ['--data', csv('empty.csv', '')], /is empty/],
    ['no label column', () => ['--data', csv('nolabel.csv', 'a,b\n1,2\n')], /no label column "label"/],
    ['other label name', () => ['--data', csv('other.csv', 'a,y\n1,0\n'), '--label', 'target'], /no label column "target"/],
    ['non-numeric cell', () => ['--data', csv('text.csv', 'a,label\n1,0\nx,1\n')], /line 3 column "a": "x" is not a finite number/],
    ['ragged row', () => ['--data', csv('ragged.csv', 'a,b,label\n1,2,0\n1,1\n')], /line 3: 2 cells/],
    ['header only', () => ['--data', csv('header.csv', 'a,label\n')], /no data rows/],
    ['bad --trees', () => ['--data', labelled(), '--trees', 'many'], /--trees.*invalid/],
    ['zero --seeds', () => ['--data', labelled(), '--seeds', '0'], /--seeds.*invalid/],
    ['unknown option', () => ['--data', labelled(), '--fast'], /unknown option '--fast'/],
    ['--window without --stream', () => ['--data', labelled(), '--window', '10'], /--window only applies with --stream/],
    ['no --data', () => [], /required option '--data/],
  ])('%s: one error line, exit code 2', (_, args, message) => {
    const r = mirador('bench', ...args());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
