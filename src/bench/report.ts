// Human-readable output: a table of our figures and each peer's, with ratios (peer / ours for
// times, ours / peer for throughput), so "3.0x" always means "we are 3 times better".
import { isUnavailable, type BenchResult, type Figures } from './types.js';

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '-');
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const rate = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const ratio = (x: number) => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}x` : '-');

export interface Ratios {
  fit: number;
  score: number;
}

/** How many times faster we are than a peer at fitting and at scoring (points per second). */
export function ratios(ours: Figures, peer: Figures): Ratios {
  return { fit: peer.fitMs / ours.fitMs, score: ours.pointsPerSec / peer.pointsPerSec };
}

export function formatTable(r: BenchResult): string {
  const p = r.params;
  const head = `${r.dataset}: ${r.rows} rows x ${r.dims} dims; trees ${p.trees}, sample size ${p.sampleSize}, seeds ${p.seeds}` +
    (p.stream ? `, streaming (window ${p.window ?? `4 x ${p.sampleSize}`}, batch ${p.batch})` : '');
  const cols = ['implementation', 'ROC-AUC', 'PR-AUC', 'fit CPU ms', 'score CPU ms', 'points/s', 'peak MB', 'seeds', 'fit ratio', 'score ratio'];
  const rows: string[][] = [];
  const line = (name: string, x: Figures, rt?: Ratios) => [
    name, f3(x.rocAuc), f3(x.prAuc), ms(x.fitMs), ms(x.scoreMs), rate(x.pointsPerSec), x.peakMemMB.toFixed(1), String(x.seeds),
    rt ? ratio(rt.fit) : '', rt ? ratio(rt.score) : '',
  ];
  rows.push(line('mirador (wasm)', r.ours));
  const notes: string[] = [];
  if (r.ours.note) notes.push(`mirador: ${r.ours.note}`);
  for (const [name, x] of Object.entries(r.peers)) {
    if (isUnavailable(x)) {
      notes.push(`${name}: not measured: ${x.unavailable}`);
      continue;
    }
    rows.push(line(name, x, ratios(r.ours, x)));
    if (x.note) notes.push(`${name}: ${x.note}`);
  }
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [head, '', fmt(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
  if (Object.keys(r.peers).length) out.push('', 'ratios: how many times faster mirador is (fit: peer fit time / ours; score: our points/s / peer\'s)');
  if (notes.length) out.push('', ...notes.map((n) => `note: ${n}`));
  return out.join('\n');
}
