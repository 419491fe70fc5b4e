/** An HTML page with one inline-SVG chart per incident series: value and anomaly score over time. */
import type { DetectionReport } from './report.js';
import { shortName, type LogicalSeries } from './series.js';

const W = 900, H = 220, L = 60, R = 50, T = 20, B = 30;

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (v: number) => (Math.abs(v) >= 1e6 ? `${(v / 2 ** 20).toFixed(0)}Mi` : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2));

function chart(s: LogicalSeries, startMs: number, endMs: number, win: { from: number; to: number }, threshold: number): string {
  const xs = (t: number) => L + ((t - startMs) / Math.max(1, endMs - startMs)) * (W - L - R);
  const vals = s.points.map((p) => p.value).filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = vals.length ? Math.min(...vals) : 0, hi = vals.length ? Math.max(...vals) : 1;
  const span = hi - lo || Math.abs(hi) || 1;
  const yv = (v: number) => T + (1 - (v - lo) / span) * (H - T - B);
  const ys = (sc: number) => T + (1 - sc) * (H - T - B);
  const path = (pts: [number, number][]) => pts.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
  const valuePath = path(s.points.filter((p) => p.value !== null && Number.isFinite(p.value)).map((p) => [xs(p.t), yv(p.value!)]));
  const scorePath = path(s.points.filter((p) => p.score !== null).map((p) => [xs(p.t), ys(p.score!)]));
  const flags = s.points.filter((p) => p.flagged && p.value !== null).map((p) => `<circle cx="${xs(p.t).toFixed(1)}" cy="${yv(p.value!).toFixed(1)}" r="3" fill="#d62728"/>`).join('');
  const ticks = [];
  for (let sec = 0; sec <= (endMs - startMs) / 1000; sec += Math.max(10, Math.ceil((endMs - startMs) / 10000 / 10) * 10)) {
    ticks.push(`<text x="${xs(startMs + sec * 1000).toFixed(1)}" y="${H - 10}" font-size="10" text-anchor="middle">+${sec}s</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" style="border:1px solid #ddd;background:#fff">
<rect x="${xs(win.from).toFixed(1)}" y="${T}" width="${Math.max(1, xs(win.to) - xs(win.from)).toFixed(1)}" height="${H - T - B}" fill="#ffe9a8" opacity="0.6"/>
<line x1="${L}" x2="${W - R}" y1="${ys(threshold).toFixed(1)}" y2="${ys(threshold).toFixed(1)}" stroke="#ff7f0e" stroke-dasharray="4 3" stroke-width="1"/>
<path d="${valuePath}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>
<path d="${scorePath}" fill="none" stroke="#ff7f0e" stroke-width="1" opacity="0.9"/>
${flags}
<text x="${L - 5}" y="${T + 8}" font-size="10" text-anchor="end">${esc(fmt(hi))}</text>
<text x="${L - 5}" y="${H - B}" font-size="10" text-anchor="end">${esc(fmt(lo))}</text>
<text x="${W - R + 5}" y="${T + 8}" font-size="10" fill="#ff7f0e">score 1</text>
<text x="${W - R + 5}" y="${ys(threshold).toFixed(1)}" font-size="10" fill="#ff7f0e">${threshold}</text>
<text x="${W - R + 5}" y="${H - B}" font-size="10" fill="#ff7f0e">0</text>
${ticks.join('')}
</svg>`;
}

export function detectionHtml(report: DetectionReport, judged: LogicalSeries[][], perIncident = 3): string {
  const startMs = Date.parse(report.from), endMs = Date.parse(report.to);
  const sections = report.incidents.map((inc, i) => {
    const series = [...judged[i]]
      .filter((s) => s.points.some((p) => p.score !== null))
      .sort((a, b) => Number(b.points.some((p) => p.flagged)) - Number(a.points.some((p) => p.flagged)))
      .slice(0, perIncident);
    const win = { from: Date.parse(inc.start), to: Date.parse(inc.end) };
    const verdict = inc.flagged ? `flagged after ${inc.timeToDetectSec} s` : 'not flagged';
    const charts = series.length ? series.map((s) => `<h3>${esc(shortName(s))} <small>(${s.kind}${s.kind === 'histogram' ? ': mean per interval' : s.kind === 'counter' ? ': rate /s' : ''})</small></h3>${chart(s, startMs, endMs, win, report.threshold)}`).join('\n')
      : '<p>No scored series for this incident.</p>';
    return `<h2>${esc(inc.kind)}: ${esc(inc.description)} — ${verdict}</h2>\n${charts}`;
  });
  const fa = report.falseAlarms;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Mirador detection report</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}h2{margin-top:32px}h3{font-size:13px;font-weight:normal;font-family:monospace}small{color:#777}</style></head><body>
<h1>Mirador detection report</h1>
<p>${esc(report.from)} .. ${esc(report.to)}; threshold ${report.threshold}. Blue: value; orange: anomaly score (0..1, dashed = threshold); red dots: points flagged is_anomaly=true; yellow: incident window.</p>
<p>False alarms on ${fa.series} unaffected series: ${fa.flaggedPoints} of ${fa.scoredPoints} scored points (${(fa.flaggedFraction * 100).toFixed(2)}%), ${fa.perHour} alarm episodes per hour.</p>
${sections.join('\n')}
</body></html>\n`;
}
