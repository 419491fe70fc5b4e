/** An HTML page with one inline-SVG chart per incident series: value and anomaly score over time. */
import type { DetectionReport } from './report.js';
import { shortName, type LogicalSeries } from './series.js';
import type { RunAnomalies } from './anomalies.js';
import { fmtDuration, seriesLabel } from '../anomalies/index.js';

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

/** The run's alarm episodes as a table: when, which series, why, and links to its score in vmui and to its traces. */
export function episodesHtml(a: RunAnomalies, tracesShown = 3): string {
  const verdict = a.complete ? 'one onset event per alarm episode' : `MISMATCH: ${a.events.onset} onset events for ${a.alarmEpisodes} alarm episodes`;
  const dropped = Object.entries(a.processor.dropped).filter(([, n]) => n > 0).map(([r, n]) => `${n} ${r}`).join(', ');
  const head = `<h2>Anomaly episodes: ${a.episodeCounts.total} (${a.episodeCounts.resolved} resolved, ${a.episodeCounts.open} open at the end)</h2>
<p>${a.events.onset} onset and ${a.events.resolve} resolve events in Cassandra for ${a.alarmEpisodes} alarm episodes in VictoriaMetrics (points flagged is_anomaly=true): ${esc(verdict)}.${dropped ? ` Events not emitted by the processor: ${esc(dropped)}.` : ''}</p>`;
  if (!a.episodes.length) return `${head}\n<p>No anomaly events stored for this run.</p>`;
  const num = (v: number | null) => (v === null ? '-' : fmt(v));
  const rows = a.episodes.map((e) => {
    const traces = e.links.traces.slice(0, tracesShown).map((t) => `<a href="${esc(t.url)}"><code>${esc(t.traceId.slice(0, 8))}</code></a>`).join(' ') +
      (e.links.traces.length > tracesShown ? ` +${e.links.traces.length - tracesShown}` : '');
    return `<tr><td>${esc(e.onset.slice(11, 19))}</td><td>${e.state}</td><td>${esc(fmtDuration(e.durationMs))}</td><td>${esc(e.service)}</td>` +
      `<td><code>${esc(e.metric)}</code><br><small>${esc(seriesLabel(e))}</small></td><td>${e.score === null ? '-' : e.score.toFixed(2)}</td>` +
      `<td>${e.peakScore === null ? '-' : e.peakScore.toFixed(2)}</td><td>${esc(e.driver ?? '-')}</td><td>${esc(num(e.observed))} / ${esc(num(e.expected))}</td>` +
      `<td><a href="${esc(e.links.series)}" title="${esc(e.links.query)}">score in vmui</a></td><td>${traces || '-'}</td></tr>`;
  });
  return `${head}
<table><tr><th>onset (UTC)</th><th>state</th><th>duration</th><th>service</th><th>series</th><th>score</th><th>peak</th><th>driver</th><th>observed / expected</th><th>series</th><th>traces</th></tr>
${rows.join('\n')}
</table>`;
}

export function detectionHtml(report: DetectionReport, judged: LogicalSeries[][], anomalies?: RunAnomalies, perIncident = 3): string {
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
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}h2{margin-top:32px}h3{font-size:13px;font-weight:normal;font-family:monospace}small{color:#777}table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}</style></head><body>
<h1>Mirador detection report</h1>
<p>${esc(report.from)} .. ${esc(report.to)}; threshold ${report.threshold}. Blue: value; orange: anomaly score (0..1, dashed = threshold); red dots: points flagged is_anomaly=true; yellow: incident window.</p>
<p>False alarms on ${fa.series} unaffected series: ${fa.flaggedPoints} of ${fa.scoredPoints} scored points (${(fa.flaggedFraction * 100).toFixed(2)}%), ${fa.perHour} alarm episodes per hour.</p>
${sections.join('\n')}
${anomalies ? episodesHtml(anomalies) : ''}
</body></html>\n`;
}
