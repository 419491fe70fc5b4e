/**
 * Alarm episodes of the isolationforest processor, from its anomaly events in Cassandra, each
 * with links to its score series in vmui and to its traces: what `mirador anomalies` lists and
 * what `mirador up`'s report shows for its run.
 *
 *   events  a stored row -> AnomalyEvent; events -> Episode (onset and resolve paired)
 *   links   the score series' MetricsQL and vmui URL, trace UI URLs
 *   store   the events of a time range, read from the cassandra_logs table
 */
import { ANOMALY_EVENT_NAME, pairEpisodes, type Episode } from './events.js';
import { episodeLinks, labelName, type EpisodeLinks, type LinkBases } from './links.js';
import { fetchAnomalyEvents, type EventSource } from './store.js';

export * from './events.js';
export * from './links.js';
export * from './store.js';

export interface LinkedEpisode extends Episode {
  links: EpisodeLinks;
}

export interface EpisodeFilter {
  /** Only episodes of these services (resource service.name). */
  services?: string[];
  /**
   * Only episodes of these metrics: the OpenTelemetry name (`http.server.request.duration`), its
   * stored form (`http_server_request_duration`, also with a unit or type suffix such as
   * `_seconds`, `_total`), or a pattern with `*`.
   */
  metrics?: string[];
  /** Only open (or only resolved) episodes. */
  state?: 'open' | 'resolved';
}

const SUFFIXES = ['', '_seconds', '_milliseconds', '_bytes', '_ratio', '_total', '_count', '_sum', '_bucket', '_anomaly_score', '_anomaly_score_ratio'];

/** Whether `pattern` names `otelMetric` (see EpisodeFilter.metrics). */
export function metricMatches(pattern: string, otelMetric: string): boolean {
  const p = pattern.trim();
  if (p === otelMetric) return true;
  const name = labelName(otelMetric);
  if (p.includes('*')) {
    const re = new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return re.test(otelMetric) || re.test(name);
  }
  return SUFFIXES.some((s) => labelName(p) === name + s);
}

export function filterEpisodes<E extends Episode>(episodes: E[], f: EpisodeFilter): E[] {
  return episodes.filter((e) =>
    (!f.services?.length || f.services.includes(e.service)) &&
    (!f.metrics?.length || f.metrics.some((m) => metricMatches(m, e.metric))) &&
    (!f.state || e.state === f.state));
}

export const withLinks = (episodes: Episode[], bases: LinkBases): LinkedEpisode[] => episodes.map((e) => ({ ...e, links: episodeLinks(e, bases) }));

export interface EpisodeCounts {
  episodes: number;
  open: number;
  resolved: number;
  /** Records read: onset and resolve events. */
  events: { onset: number; resolve: number };
}

/** Counts of episodes and of the records they were made of. */
export function countEpisodes(episodes: Episode[]): EpisodeCounts {
  return {
    episodes: episodes.length, open: episodes.filter((e) => e.state === 'open').length, resolved: episodes.filter((e) => e.state === 'resolved').length,
    events: { onset: episodes.filter((e) => e.records.onset).length, resolve: episodes.filter((e) => e.records.resolve).length },
  };
}

export interface EpisodeListing {
  from: string;
  to: string;
  source: { cassandra: string; keyspace: string; table: string; eventName: string };
  links: LinkBases;
  /** Counts of the listed episodes (after the filters) and the events they were made of. */
  counts: EpisodeCounts;
  /** Newest onset first. */
  episodes: LinkedEpisode[];
}

export interface ListOptions extends EpisodeFilter, EventSource {
  links: LinkBases;
  /** At most this many episodes (the newest); all when absent. */
  limit?: number;
}

/** Reads, pairs, filters and links the episodes of a time range (see fetchAnomalyEvents for errors). */
export async function listEpisodes(o: ListOptions): Promise<EpisodeListing> {
  const events = await fetchAnomalyEvents(o.host, o.port, { keyspace: o.keyspace, table: o.table, fromMs: o.fromMs, toMs: o.toMs, services: o.services });
  const all = filterEpisodes(pairEpisodes(events), o);
  const episodes = o.limit !== undefined ? all.slice(0, o.limit) : all;
  return {
    from: new Date(o.fromMs).toISOString(), to: new Date(o.toMs).toISOString(),
    source: { cassandra: `${o.host}:${o.port}`, keyspace: o.keyspace, table: o.table, eventName: ANOMALY_EVENT_NAME },
    links: o.links,
    counts: countEpisodes(episodes),
    episodes: withLinks(episodes, o.links),
  };
}

// ---- text output

/** The series' own attributes in one short line (`-` for a series with none: its resource alone names it). */
export function seriesLabel(e: Pick<Episode, 'labels'>): string {
  const own = Object.entries(e.labels).filter(([k]) => k !== 'service.name');
  return own.length ? own.map(([k, v]) => `${k}=${v}`).join(', ') : '-';
}

const fmtNum = (v: number | null) => (v === null ? '-' : Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toPrecision(3) : String(Math.round(v * 100) / 100));
const fmtScore = (v: number | null) => (v === null ? '-' : v.toFixed(2));
export const fmtDuration = (ms: number | null) => (ms === null ? '-' : ms < 60_000 ? `${Math.round(ms / 1000)} s` : ms < 3_600_000 ? `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s` : `${(ms / 3_600_000).toFixed(1)} h`);

/** Episodes as a table, each followed by its vmui link and up to `tracesShown` trace links. */
export function formatEpisodes(episodes: LinkedEpisode[], tracesShown = 3): string[] {
  if (!episodes.length) return [];
  const rows = episodes.map((e) => [
    e.onset.replace('T', ' ').slice(0, 19), e.state, fmtDuration(e.durationMs), e.service, e.metric, seriesLabel(e),
    fmtScore(e.score), fmtScore(e.peakScore), e.driver ?? '-', `${fmtNum(e.observed)} / ${fmtNum(e.expected)}`, String(e.traceIds.length),
  ]);
  const head = ['onset (UTC)', 'state', 'duration', 'service', 'metric', 'series', 'score', 'peak', 'driver', 'observed / expected', 'traces'];
  const widths = head.map((h, c) => Math.min(c === 5 ? 60 : 200, Math.max(h.length, ...rows.map((r) => r[c].length))));
  const cell = (x: string, w: number) => (x.length > w ? `${x.slice(0, w - 1)}…` : x.padEnd(w));
  const line = (r: string[]) => r.map((x, c) => cell(x, widths[c])).join('  ').trimEnd();
  const out = [line(head), line(widths.map((w) => '-'.repeat(w)))];
  episodes.forEach((e, i) => {
    out.push(line(rows[i]));
    out.push(`    vmui   ${e.links.series}`);
    for (const t of e.links.traces.slice(0, tracesShown)) out.push(`    trace  ${t.url}`);
    if (e.links.traces.length > tracesShown) out.push(`    (${e.links.traces.length - tracesShown} more trace ids in --json)`);
  });
  return out;
}

export function formatListing(l: EpisodeListing): string {
  const c = l.counts;
  return [
    `Anomaly episodes ${l.from} .. ${l.to} (${l.source.keyspace}.${l.source.table} at ${l.source.cassandra}): ` +
      `${c.episodes} (${c.open} open, ${c.resolved} resolved) from ${c.events.onset} onset and ${c.events.resolve} resolve events`,
    ...(c.episodes ? ['', ...formatEpisodes(l.episodes)] : []),
  ].join('\n');
}
