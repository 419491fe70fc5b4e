/**
 * The anomaly events of a `mirador up` run: the alarm episodes of the run as their onset and resolve
 * records in Cassandra (the isolationforest processes' `anomaly_events` receivers -> gateway ->
 * cassandra_logs, the same table as the application's logs), with links, and checked against the
 * alarm episodes VictoriaMetrics holds (points flagged is_anomaly="true").
 */
import { ANOMALY_EVENT_NAME, formatEpisodes, labelName, pairEpisodes, readAnomalyEvents, withLinks, type AnomalyEvent, type EventSource, type LinkedEpisode, type LinkBases } from '../anomalies/index.js';
import { eachValue, withCql } from '../harness/stored-logs.js';
import type { Exposition } from '../harness/prometheus.js';
import type { LogicalSeries } from './series.js';

export interface LogRows {
  /** Rows that are not anomaly events (the application's logs). */
  app: number;
  /** Anomaly event rows (event_name mirador.anomaly). */
  events: number;
}

/** Rows of the logs table, application logs and anomaly events apart (one pass over event_name). */
export function countLogRows(host: string, port: number, keyspace: string, table: string): Promise<LogRows> {
  return withCql(host, port, async (c) => {
    const n: LogRows = { app: 0, events: 0 };
    await eachValue(c, keyspace, table, 'event_name', (v) => { if (v === ANOMALY_EVENT_NAME) n.events++; else n.app++; });
    return n;
  });
}

/** The isolationforest processes' own counters (otelcol_processor_isolationforest_*), summed over processes. */
export interface ProcessorEventCounts {
  alarms: { onset: number; resolve: number };
  /** Events handed to the anomaly_events receiver. */
  events: { onset: number; resolve: number };
  /** Events not emitted, by reason (no_receiver, queue_full, rate_limited). */
  dropped: Record<string, number>;
}

export function processorEventCounts(expositions: Exposition[]): ProcessorEventCounts {
  const out: ProcessorEventCounts = { alarms: { onset: 0, resolve: 0 }, events: { onset: 0, resolve: 0 }, dropped: {} };
  for (const e of expositions) {
    for (const t of ['onset', 'resolve'] as const) {
      out.alarms[t] += e.sum('otelcol_processor_isolationforest_alarms_total', { transition: t });
      out.events[t] += e.sum('otelcol_processor_isolationforest_events_total', { transition: t });
    }
    for (const [reason, n] of e.sumBy('otelcol_processor_isolationforest_events_dropped_total', 'drop_reason')) out.dropped[reason] = (out.dropped[reason] ?? 0) + n;
  }
  return out;
}

export interface RunAnomalies {
  /** Alarm episodes of the run in VictoriaMetrics (detection.alarmEpisodes): the figure the events must equal. */
  alarmEpisodes: number;
  /** Anomaly events of the run stored in Cassandra (event time within the run). */
  events: { onset: number; resolve: number };
  /** Episodes made of them: resolved, still open at the end of the run. */
  episodeCounts: { total: number; resolved: number; open: number };
  /** One onset event per alarm episode, each flagged point matched to its series' onset event. */
  complete: boolean;
  /** Flagged points without an onset event and onset events without a flagged point (up to 5 each). */
  unmatched: { flaggedWithoutEvent: string[]; eventsWithoutFlag: string[] };
  processor: ProcessorEventCounts;
  /** Newest onset first, with links to vmui and the trace UI. */
  episodes: LinkedEpisode[];
}

/** Whether an onset event is the one of a flagged point of this VictoriaMetrics series. */
export function eventOfSeries(e: AnomalyEvent, s: LogicalSeries): boolean {
  const stem = labelName(e.metric);
  if (s.name !== stem && !s.name.startsWith(`${stem}_`)) return false;
  for (const [k, v] of [...Object.entries(e.resource), ...Object.entries(e.labels)]) {
    if (v !== '' && s.labels[labelName(k)] !== v) return false;
  }
  return true;
}

const describeFlag = (f: { series: LogicalSeries; t: number }) => `${f.series.key} at ${new Date(f.t).toISOString()}`;
const describeEvent = (e: AnomalyEvent) => `${e.metric} ${JSON.stringify({ ...e.resource, ...e.labels })} at ${new Date(e.timeMs).toISOString()}`;

/** Matches flagged points and onset events one to one (same series, same time). */
export function matchFlagsToEvents(flagged: { series: LogicalSeries; t: number }[], onsets: AnomalyEvent[]): RunAnomalies['unmatched'] & { matched: number } {
  const byTime = new Map<number, AnomalyEvent[]>();
  for (const e of onsets) byTime.set(e.timeMs, [...(byTime.get(e.timeMs) ?? []), e]);
  const used = new Set<AnomalyEvent>();
  const missing: string[] = [];
  for (const f of flagged) {
    const e = (byTime.get(f.t) ?? []).find((x) => !used.has(x) && eventOfSeries(x, f.series));
    if (e) used.add(e);
    else missing.push(describeFlag(f));
  }
  const extra = onsets.filter((e) => !used.has(e)).map(describeEvent);
  return { matched: used.size, flaggedWithoutEvent: missing.slice(0, 5), eventsWithoutFlag: extra.slice(0, 5) };
}

export interface RunAnomaliesInput extends EventSource {
  /**
   * The flagged points of [fromMs, toMs] in VictoriaMetrics (detectionReport's `flagged`), read
   * again on each call: points stamped just before toMs may still be on their way there.
   */
  flagged: () => Promise<{ series: LogicalSeries; t: number }[]>;
  links: LinkBases;
  /** The isolationforest processes' telemetry, read at the end. */
  telemetry: () => Promise<Exposition[]>;
  /** How long to wait for the last events to be stored (the gateway's queue), ms. */
  settleMs?: number;
}

/**
 * The run's anomaly events and episodes. Events travel isolationforest -> gateway -> Cassandra, the
 * points isolationforest -> VictoriaMetrics, each taking a second or two: until every flagged point
 * has its onset event and every onset event its flagged point (or settleMs passed), both are read again.
 */
export async function runAnomalies(r: RunAnomaliesInput): Promise<RunAnomalies> {
  const deadline = Date.now() + (r.settleMs ?? 20_000);
  for (;;) {
    const flagged = await r.flagged();
    const events = await withCql(r.host, r.port, (c) => readAnomalyEvents(c, { keyspace: r.keyspace, table: r.table, fromMs: r.fromMs, toMs: r.toMs }).catch((e) => {
      if ((e as Error).message.startsWith('no table')) return [] as AnomalyEvent[];
      throw e;
    }));
    const onsets = events.filter((e) => e.state === 'onset');
    const m = matchFlagsToEvents(flagged, onsets);
    const complete = m.matched === flagged.length && onsets.length === flagged.length;
    const processor = processorEventCounts(await r.telemetry());
    // Nothing handed to a logs pipeline (no anomaly_events receiver configured): nothing to wait for.
    const noneEmitted = processor.events.onset + processor.events.resolve === 0;
    if (complete || noneEmitted || Date.now() > deadline) {
      const episodes = withLinks(pairEpisodes(events), r.links);
      return {
        alarmEpisodes: flagged.length,
        events: { onset: onsets.length, resolve: events.length - onsets.length },
        episodeCounts: { total: episodes.length, resolved: episodes.filter((e) => e.state === 'resolved').length, open: episodes.filter((e) => e.state === 'open').length },
        complete, unmatched: { flaggedWithoutEvent: m.flaggedWithoutEvent, eventsWithoutFlag: m.eventsWithoutFlag },
        processor, episodes,
      };
    }
    await new Promise((res) => setTimeout(res, 2000));
  }
}

/** The run's anomaly section of report.txt: the counts, the check, then every episode with its links. */
export function formatRunAnomalies(a: RunAnomalies, tracesShown = 1): string[] {
  const c = a.episodeCounts;
  const dropped = Object.entries(a.processor.dropped).filter(([, n]) => n > 0).map(([r, n]) => `${n} ${r}`).join(', ');
  return [
    `Anomaly events: ${a.events.onset} onset + ${a.events.resolve} resolve in Cassandra for ${a.alarmEpisodes} alarm episodes in VictoriaMetrics ` +
      `(${c.resolved} resolved, ${c.open} open at the end)  ${a.complete ? 'ok' : 'MISMATCH'}` + (dropped ? `; not emitted by the processor: ${dropped}` : ''),
    ...a.unmatched.flaggedWithoutEvent.map((x) => `  flagged point without an onset event: ${x}`),
    ...a.unmatched.eventsWithoutFlag.map((x) => `  onset event without a flagged point: ${x}`),
    ...formatEpisodes(a.episodes, tracesShown).map((l) => `  ${l}`),
  ];
}
