// Summary, targets and the markdown table of bench/results/pipeline.json.
import type { DetectionResult } from './detection.js';
import type { ScaleResult } from './scale.js';
import type { ConfigName, ThroughputSample } from './throughput.js';
import type { SteadySample } from './steady.js';

export interface ConfigSummary {
  config: ConfigName;
  rounds: number;
  /** Medians over the rounds (the machine is shared, so single rounds are noisy). */
  pointsPerSec: number;
  cpuSecPerMillion: number;
  peakRssBytes: number;
  refused: number;
}

export interface Ratios {
  /** Ours over pass-through: wall-clock points/s, and points per CPU-second (inverse CPU cost). */
  oursVsPassthroughThroughput?: number;
  oursVsPassthroughCpu?: number;
  /** The attributes output mode over pass-through. */
  oursAttributesVsPassthroughThroughput?: number;
  oursAttributesVsPassthroughCpu?: number;
  /** The default (metrics) output mode over the attributes mode: the cost of the companion series. */
  oursVsOursAttributesThroughput?: number;
  oursVsOursAttributesCpu?: number;
  oursVsContribThroughput?: number;
  oursVsContribCpu?: number;
}

export interface Summary {
  configs: ConfigSummary[];
  /** Ratios of the configurations' medians. */
  ratios: Ratios;
  /** The same ratios taken within each round (configurations run back to back), and their medians. */
  perRound: ({ round: number } & Ratios)[];
  perRoundMedian: Ratios;
}

/** What the recording a run replaces said of ours against pass-through. */
export interface PreviousRecording {
  started: string;
  commit?: string;
  loadavg: [number, number];
  oursVsPassthroughThroughput?: number;
  oursVsPassthroughCpu?: number;
  oursLabel?: string;
}

export interface BenchResult {
  command: string;
  started: string;
  finished: string;
  commit?: string;
  machine: { cores: number; loadavgBefore: number; loadavgAfter: number };
  settings: Record<string, unknown>;
  variants: { name: ConfigName; label: string }[];
  samples: ThroughputSample[];
  summary: Summary;
  previous?: PreviousRecording;
  /** Throughput on a steady input of many series (steady.ts): the same configurations, contrib aside. */
  steady?: { series: number; warmRounds: number; rounds: number; samples: SteadySample[]; summary: Summary };
  detection?: DetectionResult;
  scale?: ScaleResult;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

const CONFIGS: ConfigName[] = ['passthrough', 'ours', 'ours-attributes', 'contrib'];

/** Points per second and CPU-seconds per million points of each configuration: its median, or one round's. */
type Figures = Partial<Record<ConfigName, { pointsPerSec: number; cpuSecPerMillion: number }>>;

function ratiosOf(f: Figures): Ratios {
  const r = (x: ConfigName, y: ConfigName) => {
    const [p, q] = [f[x], f[y]];
    return p && q ? { throughput: p.pointsPerSec / q.pointsPerSec, cpu: q.cpuSecPerMillion / p.cpuSecPerMillion } : undefined;
  };
  const op = r('ours', 'passthrough'), ap = r('ours-attributes', 'passthrough'), oa = r('ours', 'ours-attributes'), oc = r('ours', 'contrib');
  return {
    oursVsPassthroughThroughput: op?.throughput, oursVsPassthroughCpu: op?.cpu,
    oursAttributesVsPassthroughThroughput: ap?.throughput, oursAttributesVsPassthroughCpu: ap?.cpu,
    oursVsOursAttributesThroughput: oa?.throughput, oursVsOursAttributesCpu: oa?.cpu,
    oursVsContribThroughput: oc?.throughput, oursVsContribCpu: oc?.cpu,
  };
}

export function previousRecording(prev: BenchResult): PreviousRecording {
  return {
    started: prev.started, commit: prev.commit, loadavg: [prev.machine.loadavgBefore, prev.machine.loadavgAfter],
    oursVsPassthroughThroughput: prev.summary.ratios.oursVsPassthroughThroughput, oursVsPassthroughCpu: prev.summary.ratios.oursVsPassthroughCpu,
    oursLabel: prev.variants.find((v) => v.name === 'ours')?.label,
  };
}

type Sample = Pick<ThroughputSample, 'config' | 'round' | 'pointsPerSec' | 'cpuSecPerMillion'> & Partial<Pick<ThroughputSample, 'peakRssBytes' | 'refused'>>;

export function summarise(samples: Sample[]): Summary {
  const configs: ConfigSummary[] = [];
  for (const name of CONFIGS) {
    const s = samples.filter((x) => x.config === name);
    if (!s.length) continue;
    configs.push({
      config: name, rounds: s.length, pointsPerSec: median(s.map((x) => x.pointsPerSec)), cpuSecPerMillion: median(s.map((x) => x.cpuSecPerMillion)),
      peakRssBytes: Math.max(...s.map((x) => x.peakRssBytes ?? 0)), refused: Math.max(...s.map((x) => x.refused ?? 0)),
    });
  }
  const ratios = ratiosOf(Object.fromEntries(configs.map((c) => [c.config, c])));
  const perRound = [...new Set(samples.map((x) => x.round))].sort((x, y) => x - y)
    .map((round) => ({ round, ...ratiosOf(Object.fromEntries(samples.filter((x) => x.round === round).map((x) => [x.config, x]))) }));
  const perRoundMedian = Object.fromEntries(Object.keys(ratios).map((k) => {
    const xs = perRound.map((r) => r[k as keyof Ratios]).filter((x): x is number => x !== undefined);
    return [k, xs.length ? median(xs) : undefined];
  })) as Ratios;
  return { configs, ratios, perRound, perRoundMedian };
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const pct = (x?: number) => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
const times = (x?: number) => (x === undefined ? '-' : `${x.toFixed(2)}x`);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const mark = (ok: boolean) => (ok ? '✓' : '✗');

function detectionScore(d: DetectionResult['ours']) {
  return { flagged: d.incidents.filter((i) => i.flagged).length, total: d.incidents.length, fp: d.falseAlarms.flaggedFraction };
}

export function toMarkdown(r: BenchResult): string {
  const L: string[] = [];
  const { ratios } = r.summary;
  L.push('# Pipeline benchmark', '');
  L.push(`\`${r.command}\` — ${r.started} to ${r.finished}${r.commit ? ` (commit ${r.commit})` : ''}; ${r.machine.cores} cores, load average ${r.machine.loadavgBefore.toFixed(1)} before, ` +
    `${r.machine.loadavgAfter.toFixed(1)} after (the machine is shared: wall-clock figures are noisy, CPU-seconds per point much less so).`, '');
  L.push(`telemetrygen (${JSON.stringify(r.settings.telemetrygen)}) -> OTLP gRPC -> collector under test -> OTLP gRPC (no sending queue, so ` +
    'what the receiver accepted was delivered to the sink) -> counting sink collector. Points are input points (accepted by the collector under test; ' +
    'the metrics output mode also delivers a companion score point per scored point). Configurations alternated per round in the order below; medians over rounds.', '');
  L.push('| configuration | points/s | CPU-s per million points | peak RSS | refused |', '|---|---:|---:|---:|---:|');
  for (const c of r.summary.configs) {
    L.push(`| ${r.variants.find((v) => v.name === c.config)?.label ?? c.config} | ${n0(c.pointsPerSec)} | ${c.cpuSecPerMillion.toFixed(2)} | ${mib(c.peakRssBytes)} | ${c.refused} |`);
  }
  L.push('', '| round | configuration | points/s | CPU-s/M | cores busy | peak RSS | points out per point in | processor: scored per point; unscored per point by reason; alarms, forest refreshes per M points |', '|---:|---|---:|---:|---:|---:|---:|---|');
  const proc = (p: ThroughputSample['processor']) => (p ? `${p.scoredPerPoint.toFixed(3)}; ${Object.entries(p.unscoredPerPoint).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ') || '-'}; ` +
    `${n0(p.alarmsPerMillion)}, ${n0(p.refreshesPerMillion)}` : '');
  for (const s of r.samples) L.push(`| ${s.round} | ${s.config} | ${n0(s.pointsPerSec)} | ${s.cpuSecPerMillion.toFixed(2)} | ${s.cores.toFixed(2)} | ${mib(s.peakRssBytes)} | ${s.pointsOut === undefined ? '-' : (s.pointsOut / s.pointsSent).toFixed(3)} | ${proc(s.processor)} |`);
  const pr = r.summary.perRound, prm = r.summary.perRoundMedian;
  if (pr?.length) {
    L.push('', 'Ratios within each round (the configurations ran back to back), points per CPU-second / points per second:', '');
    L.push('| round | ours / pass-through | attributes mode / pass-through | ours (metrics) / attributes mode |', '|---:|---:|---:|---:|');
    const two = (cpu?: number, wall?: number) => `${pct(cpu)} / ${pct(wall)}`;
    for (const x of pr) L.push(`| ${x.round} | ${two(x.oursVsPassthroughCpu, x.oursVsPassthroughThroughput)} | ${two(x.oursAttributesVsPassthroughCpu, x.oursAttributesVsPassthroughThroughput)} | ${two(x.oursVsOursAttributesCpu, x.oursVsOursAttributesThroughput)} |`);
    L.push(`| median | ${two(prm.oursVsPassthroughCpu, prm.oursVsPassthroughThroughput)} | ${two(prm.oursAttributesVsPassthroughCpu, prm.oursAttributesVsPassthroughThroughput)} | ${two(prm.oursVsOursAttributesCpu, prm.oursVsOursAttributesThroughput)} |`);
  }
  const st = r.steady;
  if (st) {
    L.push('', `## Steady input (${n0(st.series)} series over 10 metric names, a steady level with a small periodic wobble; OTLP/HTTP protobuf, 1000 points per request; ` +
      `${st.warmRounds} warm-up rounds, then ${st.rounds} timed rounds of one point per series; contrib not run)`, '');
    L.push('| configuration | points/s | CPU-s per million points |', '|---|---:|---:|');
    for (const c of st.summary.configs) L.push(`| ${r.variants.find((v) => v.name === c.config)?.label ?? c.config} | ${n0(c.pointsPerSec)} | ${c.cpuSecPerMillion.toFixed(2)} |`);
    L.push('', '| round | configuration | points/s | CPU-s/M | points out per point in | scored per point |', '|---:|---|---:|---:|---:|---:|');
    for (const s of st.samples) L.push(`| ${s.round} | ${s.config} | ${n0(s.pointsPerSec)} | ${s.cpuSecPerMillion.toFixed(2)} | ${(s.pointsOut / s.pointsIn).toFixed(3)} | ${s.scoredPerPoint?.toFixed(3) ?? '-'} |`);
    const two = (cpu?: number, wall?: number) => `${pct(cpu)} / ${pct(wall)}`;
    L.push('', '| round | ours / pass-through | attributes mode / pass-through | ours (metrics) / attributes mode |', '|---:|---:|---:|---:|');
    for (const x of st.summary.perRound) L.push(`| ${x.round} | ${two(x.oursVsPassthroughCpu, x.oursVsPassthroughThroughput)} | ${two(x.oursAttributesVsPassthroughCpu, x.oursAttributesVsPassthroughThroughput)} | ${two(x.oursVsOursAttributesCpu, x.oursVsOursAttributesThroughput)} |`);
    const m = st.summary.perRoundMedian;
    L.push(`| median | ${two(m.oursVsPassthroughCpu, m.oursVsPassthroughThroughput)} | ${two(m.oursAttributesVsPassthroughCpu, m.oursAttributesVsPassthroughThroughput)} | ${two(m.oursVsOursAttributesCpu, m.oursVsOursAttributesThroughput)} |`);
  }
  L.push('', '## Targets', '');
  L.push('| target | measured | |', '|---|---:|---|');
  if (ratios.oursVsPassthroughThroughput !== undefined) {
    L.push(`| ours ≥ 80% of pass-through (points/s) | ${pct(ratios.oursVsPassthroughThroughput)} | ${mark(ratios.oursVsPassthroughThroughput >= 0.8)} |`);
    L.push(`| ours ≥ 80% of pass-through (points per CPU-second) | ${pct(ratios.oursVsPassthroughCpu)} | ${mark(ratios.oursVsPassthroughCpu! >= 0.8)} |`);
  }
  const prev = r.previous;
  if (prev && ratios.oursVsPassthroughThroughput !== undefined) {
    // the issue's target: ours' ratio to pass-through drops by at most 10% (relative) against the recording replaced
    const change = (now?: number, was?: number) => (now === undefined || was === undefined ? undefined : now / was - 1);
    const wall = change(ratios.oursVsPassthroughThroughput, prev.oursVsPassthroughThroughput), cpu = change(ratios.oursVsPassthroughCpu, prev.oursVsPassthroughCpu);
    const cell = (c?: number, now?: number, was?: number) => (c === undefined ? '-' : `${pct(was)} → ${pct(now)} (${c >= 0 ? '+' : ''}${(c * 100).toFixed(1)}%)`);
    L.push(`| ours' ratio to pass-through drops ≤ 10% against the previous recording (${prev.started.slice(0, 10)}${prev.commit ? `, ${prev.commit}` : ''}), points/s | ${cell(wall, ratios.oursVsPassthroughThroughput, prev.oursVsPassthroughThroughput)} | ${wall === undefined ? '-' : mark(wall >= -0.1)} |`);
    L.push(`| the same, points per CPU-second | ${cell(cpu, ratios.oursVsPassthroughCpu, prev.oursVsPassthroughCpu)} | ${cpu === undefined ? '-' : mark(cpu >= -0.1)} |`);
  }
  if (st?.summary.ratios.oursVsPassthroughCpu !== undefined) {
    const sr = st.summary.ratios;
    L.push(`| steady input: ours ≥ 80% of pass-through (points/s) | ${pct(sr.oursVsPassthroughThroughput)} | ${mark(sr.oursVsPassthroughThroughput! >= 0.8)} |`);
    L.push(`| steady input: ours ≥ 80% of pass-through (points per CPU-second) | ${pct(sr.oursVsPassthroughCpu)} | ${mark(sr.oursVsPassthroughCpu! >= 0.8)} |`);
  }
  if (ratios.oursVsContribThroughput !== undefined) {
    L.push(`| ours ≥ 2x contrib (points/s) | ${times(ratios.oursVsContribThroughput)} | ${mark(ratios.oursVsContribThroughput >= 2)} |`);
    L.push(`| ours ≥ 2x contrib (points per CPU-second) | ${times(ratios.oursVsContribCpu)} | ${mark(ratios.oursVsContribCpu! >= 2)} |`);
  }
  const d = r.detection;
  if (d) {
    const o = detectionScore(d.ours), c = detectionScore(d.contrib);
    const better = o.flagged >= c.flagged && o.fp <= c.fp;
    L.push(`| detection equal or better than contrib (incidents flagged, false-positive rate) | ours ${o.flagged}/${o.total}, ${pct(o.fp)} FP; contrib ${c.flagged}/${c.total}, ${pct(c.fp)} FP | ${mark(better)} |`);
  }
  const sc = r.scale;
  if (sc) {
    const largest = [...sc.rows].sort((x, y) => y.series - x.series)[0];
    if (largest) L.push(`| ≤ 256 bytes per series (RSS growth / series at ${n0(largest.series)} series) | ${n0(largest.rssBytesPerSeries)} B (live heap ${n0(largest.heapBytesPerSeries)} B) | ${mark(largest.rssBytesPerSeries <= 256)} |`);
    if (sc.marginal) L.push(`| ≤ 256 bytes per series (marginal RSS, ${n0(sc.marginal.fromSeries)} → ${n0(sc.marginal.toSeries)}) | ${n0(sc.marginal.rssBytesPerSeries)} B (live heap ${n0(sc.marginal.heapBytesPerSeries)} B) | ${mark(sc.marginal.rssBytesPerSeries <= 256)} |`);
    L.push(`| past max_series: evicts, state bounded | ${n0(sc.eviction.activeSeries)} held of max ${n0(sc.eviction.maxSeries)}, ${n0(sc.eviction.evictions)} evictions | ${mark(sc.eviction.evictions > 0 && sc.eviction.activeSeries <= sc.eviction.maxSeries)} |`);
  }
  if (d) {
    L.push('', `## Detection (loadgen seed ${d.seed}, ${d.durationSec} s, ${n0(d.pointsSentByLoadgen)} metric points; same input to both)`, '');
    L.push('| incident | ours: flagged / detect time / max score | contrib: flagged / detect time / max score |', '|---|---|---|');
    const cell = (i: DetectionResult['ours']['incidents'][number]) =>
      `${i.flagged ? 'yes' : 'NO'} / ${i.timeToDetectSec === null ? '-' : `${i.timeToDetectSec} s`} / ${i.maxScoreInWindow === null ? '-' : i.maxScoreInWindow.toFixed(2)} (${i.scoredSeries}/${i.judgedSeries} series scored)`;
    d.ours.incidents.forEach((i, k) => L.push(`| ${i.kind} (+${i.startSec}..+${i.endSec} s) | ${cell(i)} | ${cell(d.contrib.incidents[k])} |`));
    const fa = (x: DetectionResult['ours']) => `${x.falseAlarms.flaggedPoints} of ${x.falseAlarms.scoredPoints} points on ${x.falseAlarms.series} unaffected series (${pct(x.falseAlarms.flaggedFraction)}), ${x.falseAlarms.episodes} episodes`;
    L.push(`| false alarms | ${fa(d.ours)} | ${fa(d.contrib)} |`);
    L.push('', `Thresholds: ours ${d.ours.threshold} (default), contrib ${d.contrib.threshold} (default; its contamination_rate adapts it).`);
  }
  if (sc) {
    L.push('', `## Scale (ours; warmup_points ${sc.warmupPoints}; OTLP/HTTP protobuf, 1000 points per request, 10 metric names)`, '');
    L.push('| active series | max_series | points/s (scored rounds) | CPU-s/M | RSS before → after | RSS bytes/series | live heap bytes/series | active | evictions |', '|---:|---:|---:|---:|---|---:|---:|---:|---:|');
    for (const x of [...sc.rows, sc.eviction]) {
      L.push(`| ${n0(x.series)} | ${n0(x.maxSeries)} | ${n0(x.pointsPerSec)} | ${x.cpuSecPerMillion.toFixed(2)} | ${mib(x.rssBeforeBytes)} → ${mib(x.rssAfterBytes)} | ${n0(x.rssBytesPerSeries)} | ${n0(x.heapBytesPerSeries)} | ${n0(x.activeSeries)} | ${n0(x.evictions)} |`);
    }
    if (sc.marginal) {
      const m = sc.marginal;
      L.push('', `Marginal cost of one more series (growth between ${n0(m.fromSeries)} and ${n0(m.toSeries)} series, fixed costs cancelled): ` +
        `RSS ${n0(m.rssBytesPerSeries)} B, live heap ${n0(m.heapBytesPerSeries)} B.`);
    }
    const e = sc.eviction;
    L.push('', `Past max_series: ${n0(e.series)} distinct series into max_series ${n0(e.maxSeries)}: ${n0(e.activeSeries)} held, ${n0(e.evictions)} evicted, ` +
      `RSS ${mib(e.rssAfterBytes)} (bounded: ${e.activeSeries <= e.maxSeries ? 'yes' : 'NO'}).`);
  }
  const refresh = r.samples.filter((s) => s.modelRefreshSecPerMillion !== undefined).map((s) => s.modelRefreshSecPerMillion!);
  if (refresh.length) {
    const ours = r.summary.configs.find((c) => c.config === 'ours');
    L.push('', `Ours: of ${ours?.cpuSecPerMillion.toFixed(2)} CPU-s per million points, ${median(refresh).toFixed(2)} s are kernel model refreshes (forest_update, ` +
      "the processor's model_refresh_duration histogram; median over rounds).");
  }
  const heap = r.scale?.rows.find((x) => x.heapProfile);
  if (heap) L.push('', `## In-use heap at ${n0(heap.series)} series (\`go tool pprof -top -sample_index=inuse_space\`)`, '', '```', heap.heapProfile!.trim(), '```');
  const prof = r.samples.filter((s) => s.profile);
  if (prof.length) {
    L.push('', '## CPU profiles of the last round (`go tool pprof -top`, pprof extension)', '');
    for (const s of prof) L.push(`### ${s.config}`, '', '```', s.profile!.trim(), '```', '');
  }
  return L.join('\n') + '\n';
}
