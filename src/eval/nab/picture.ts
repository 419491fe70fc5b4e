/**
 * An SVG picture of a few NAB series: each series' values, its labelled windows (shaded), and the
 * points where the detector opened an alarm (red dots), one panel per series.
 */
import type { NabFile } from './corpus.js';
import type { DetectorRows } from './evaluate.js';
import { probationLength } from './scoring.js';

const W = 1000, PANEL = 150, L = 10, R = 10, T = 22, B = 8;
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** One SVG document with a panel per file. */
export function nabPicture(files: readonly NabFile[], rows: ReadonlyMap<string, DetectorRows>, title: string): string {
  const panels = files.map((f, i) => panel(f, rows.get(f.name), i * PANEL));
  const h = files.length * PANEL + 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${h}" fill="#fff"/>
<text x="${L}" y="15" font-size="13">${esc(title)}</text>
<g transform="translate(0,24)">${panels.join('\n')}</g>
</svg>
`;
}

function panel(f: NabFile, r: DetectorRows | undefined, y0: number): string {
  const n = f.values.length;
  const x = (i: number) => L + (i / Math.max(1, n - 1)) * (W - L - R);
  let lo = Infinity, hi = -Infinity;
  for (const v of f.values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi - lo || 1;
  const y = (v: number) => y0 + T + (1 - (v - lo) / span) * (PANEL - T - B);
  // one vertex per pixel column (min and max of the column), so long series stay small
  const cols = new Map<number, [number, number]>();
  f.values.forEach((v, i) => {
    const c = Math.round(x(i));
    const m = cols.get(c);
    cols.set(c, m ? [Math.min(m[0], v), Math.max(m[1], v)] : [v, v]);
  });
  const path = [...cols.entries()].map(([c, [a, b]], k) => `${k ? 'L' : 'M'}${c},${y(a).toFixed(1)}L${c},${y(b).toFixed(1)}`).join('');
  const windows = f.windows.map(([a, b]) => `<rect x="${x(a).toFixed(1)}" y="${y0 + T}" width="${Math.max(1, x(b) - x(a)).toFixed(1)}" height="${PANEL - T - B}" fill="#ffd98a" opacity="0.55"/>`).join('');
  const probation = `<line x1="${x(probationLength(n)).toFixed(1)}" x2="${x(probationLength(n)).toFixed(1)}" y1="${y0 + T}" y2="${y0 + PANEL - B}" stroke="#999" stroke-dasharray="3 3"/>`;
  const flags = r ? f.values.map((v, i) => (r.flags[i] ? `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="#d62728"/>` : '')).join('') : '';
  const count = r ? r.flags.filter(Boolean).length : 0;
  return `<g>
<text x="${L}" y="${y0 + 14}">${esc(f.name)} — ${f.windows.length} labelled window(s), ${count} alarm(s)</text>
${windows}${probation}
<path d="${path}" fill="none" stroke="#1f77b4" stroke-width="1"/>
${flags}
</g>`;
}
