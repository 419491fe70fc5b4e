/**
 * The detection report: for each scripted incident, whether the isolationforest processor flagged
 * the series it moves, and how fast; and how often it flagged series no incident touches.
 */
import { matches, type Incident } from '../loadgen/scenario.js';
import { logicalSeries, shortName, type LogicalSeries } from './series.js';
import { vmExport } from '../harness/stored-metrics.js';

export interface IncidentResult {
  kind: string;
  description: string;
  start: string;
  end: string;
  startSec: number;
  endSec: number;
  /** Series on which the incident is judged, and how many of them were scored at all. */
  judgedSeries: number;
  scoredSeries: number;
  flagged: boolean;
  /** Seconds from the incident's start to the first flagged point of a judged series. */
  timeToDetectSec: number | null;
  firstFlaggedSeries: string | null;
  flaggedPointsInWindow: number;
  maxScoreInWindow: number | null;
}

export interface FalseAlarms {
  /** Scored series no incident touches. */
  series: number;
  scoredPoints: number;
  flaggedPoints: number;
  /** Runs of consecutive flagged points on one series (one alarm a human would see). */
  episodes: number;
  hours: number;
  /** Episodes per hour, all unaffected series together, and per series. */
  perHour: number;
  perSeriesPerHour: number;
  flaggedFraction: number;
  noisiest: { series: string; flaggedPoints: number }[];
}

export interface DetectionReport {
  from: string;
  to: string;
  threshold: number;
  graceSec: number;
  scoredSeries: number;
  /**
   * Alarm episodes the processor opened on any series, from..to: its points with
   * is_anomaly="true" (the processor flags only the point that opens an episode).
   */
  alarmEpisodes: number;
  incidents: IncidentResult[];
  falseAlarms: FalseAlarms;
}

export interface ReportInput {
  vmUrl: string;
  loadgenStart: Date;
  endMs: number;
  incidents: Incident[];
  threshold: number;
  /** A flag up to graceSec after an incident's end still counts as a detection of it. */
  graceSec?: number;
}

export interface ReportData {
  report: DetectionReport;
  /** Judged series per incident (same order as report.incidents), for plots. */
  judged: LogicalSeries[][];
  /** Every flagged point counted in report.alarmEpisodes: its series and time (epoch ms). */
  flagged: { series: LogicalSeries; t: number }[];
}

export async function detectionReport(r: ReportInput): Promise<ReportData> {
  const startMs = r.loadgenStart.getTime();
  const graceSec = r.graceSec ?? 10;
  const all = logicalSeries(await vmExport(r.vmUrl, '{__name__!=""}', startMs - 60_000, r.endMs + 60_000));
  const scored = all.filter((s) => s.points.some((p) => p.score !== null));
  const iso = (sec: number) => new Date(startMs + sec * 1000).toISOString();

  const judged: LogicalSeries[][] = [];
  const incidents = r.incidents.map((inc): IncidentResult => {
    const js = all.filter((s) => inc.judged.some((sel) => matches(sel, s.labels)));
    judged.push(js);
    const from = startMs + inc.startSec * 1000, to = startMs + (inc.endSec + graceSec) * 1000;
    let first: { t: number; s: LogicalSeries } | undefined;
    let flaggedPoints = 0, maxScore: number | null = null;
    for (const s of js) {
      for (const p of s.points) {
        if (p.t < from || p.t > to) continue;
        if (p.score !== null) maxScore = Math.max(maxScore ?? 0, p.score);
        if (!p.flagged) continue;
        flaggedPoints++;
        if (!first || p.t < first.t) first = { t: p.t, s };
      }
    }
    return {
      kind: inc.kind, description: inc.description, start: iso(inc.startSec), end: iso(inc.endSec), startSec: inc.startSec, endSec: inc.endSec,
      judgedSeries: js.length, scoredSeries: js.filter((s) => s.points.some((p) => p.score !== null)).length,
      flagged: Boolean(first), timeToDetectSec: first ? Math.round((first.t - from) / 100) / 10 : null,
      firstFlaggedSeries: first ? shortName(first.s) : null, flaggedPointsInWindow: flaggedPoints, maxScoreInWindow: maxScore,
    };
  });

  const unaffected = scored.filter((s) => !r.incidents.some((i) => [...i.touched, ...i.judged].some((sel) => matches(sel, s.labels))));
  let scoredPoints = 0, flaggedPoints = 0, episodes = 0;
  const noisiest: FalseAlarms['noisiest'] = [];
  for (const s of unaffected) {
    let prevFlagged = false, f = 0;
    for (const p of s.points) {
      if (p.score === null) continue;
      scoredPoints++;
      if (p.flagged) { f++; if (!prevFlagged) episodes++; }
      prevFlagged = p.flagged;
    }
    flaggedPoints += f;
    if (f) noisiest.push({ series: shortName(s), flaggedPoints: f });
  }
  noisiest.sort((a, b) => b.flaggedPoints - a.flaggedPoints);
  // Every episode of the run (the export reaches a minute either side of it): from the loadgen's start to endMs.
  const flagged = scored.flatMap((s) => s.points.filter((p) => p.flagged && p.t >= startMs && p.t <= r.endMs).map((p) => ({ series: s, t: p.t })));
  const hours = Math.max(1e-9, (r.endMs - startMs) / 3_600_000);
  const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    judged, flagged,
    report: {
      from: r.loadgenStart.toISOString(), to: new Date(r.endMs).toISOString(), threshold: r.threshold, graceSec,
      scoredSeries: scored.length, alarmEpisodes: flagged.length,
      incidents,
      falseAlarms: {
        series: unaffected.length, scoredPoints, flaggedPoints, episodes, hours: round(hours, 4),
        perHour: round(episodes / hours, 1), perSeriesPerHour: round(unaffected.length ? episodes / hours / unaffected.length : 0, 2),
        flaggedFraction: round(scoredPoints ? flaggedPoints / scoredPoints : 0, 4), noisiest: noisiest.slice(0, 5),
      },
    },
  };
}

/** The report as a readable table. */
export function formatReport(d: DetectionReport): string {
  const rows = d.incidents.map((i) => [
    i.kind, `+${i.startSec}s..+${i.endSec}s`, i.flagged ? 'yes' : 'NO', i.timeToDetectSec === null ? '-' : `${i.timeToDetectSec} s`,
    `${i.scoredSeries}/${i.judgedSeries}`, i.maxScoreInWindow === null ? '-' : i.maxScoreInWindow.toFixed(2), i.firstFlaggedSeries ?? '',
  ]);
  const head = ['incident', 'window', 'flagged', 'detect', 'scored', 'max score', 'first flagged series'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((x, c) => x.padEnd(widths[c])).join('  ').trimEnd();
  const fa = d.falseAlarms;
  return [
    `Detection report ${d.from} .. ${d.to} (threshold ${d.threshold}, grace ${d.graceSec} s, ${d.scoredSeries} scored series)`,
    ...(rows.length ? [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)] : ['No incident started during the run.']),
    `False alarms on ${fa.series} unaffected series: ${fa.flaggedPoints} of ${fa.scoredPoints} scored points flagged (${(fa.flaggedFraction * 100).toFixed(2)}%), ` +
      `${fa.episodes} alarm episodes = ${fa.perHour}/hour (${fa.perSeriesPerHour}/hour per series)`,
    ...fa.noisiest.map((n) => `  noisiest: ${n.series} (${n.flaggedPoints} points)`),
  ].join('\n');
}
