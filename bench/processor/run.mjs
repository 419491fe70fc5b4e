#!/usr/bin/env node
// `npm run bench:processor`: runs the Go benchmarks of the isolationforest processor and writes
// bench/results/processor.json and bench/results/processor.md.
//   - BenchmarkPipeline: data points per CPU-second (and per second) through decode OTLP ->
//     [isolationforest] -> encode OTLP, for 1k, 100k and 1M active series: pass-through, the
//     processor with its defaults (output_mode metrics: a companion `<metric>_anomaly_score`
//     point per scored point) and the processor in the attributes mode, alternated per round in one
//     process, so every ratio (each mode over pass-through, metrics over attributes) is taken
//     within a round; heap bytes per series after warm-up (Go heap including the kernel
//     instances' linear memory).
//   - BenchmarkMetricNameMemory: Go heap of 10,000 series over 10 and over 110 metric names, every
//     forest grown: the memory of one more metric name (model group).
// Options: --series 1000,100000 (default 1000,100000,1000000), --benchtime 5s, --rounds 3,
// --modes metrics,attributes (output modes; the first is the one the targets are read on).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '../..');
const moduleDir = join(root, 'collector-builder/isolationforestprocessor');
const { values: opts } = parseArgs({
  options: {
    series: { type: 'string', default: '1000,100000,1000000' },
    benchtime: { type: 'string', default: '5s' },
    rounds: { type: 'string', default: '3' },
    modes: { type: 'string', default: 'metrics,attributes' },
  },
});
const fail = (msg) => { console.error(`bench:processor: ${msg}`); process.exit(2); };
if (!/^\d+(,\d+)*$/.test(opts.series)) fail(`--series must be comma-separated integers, got "${opts.series}"`);
if (!/^[1-9]\d*$/.test(opts.rounds)) fail(`--rounds must be a positive integer, got "${opts.rounds}"`);
if (!/^(metrics|attributes)(,(metrics|attributes))*$/.test(opts.modes)) fail(`--modes must list metrics and/or attributes, got "${opts.modes}"`);
const modes = [...new Set(opts.modes.split(','))];

function run(args, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('go', args, { cwd: moduleDir, env: { ...process.env, GOSUMDB: 'off', GOFLAGS: '-buildvcs=false', ...env } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => process.stderr.write(d));
    child.on('exit', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`go ${args.join(' ')} exited with ${code}`))));
  });
}

/** `name-2  N  123 ns/op  1.5 foo/bar  ...` -> { foo/bar: 1.5, ... } for lines whose name matches re. */
function parseBench(out, re) {
  const rows = [];
  for (const line of out.split('\n')) {
    const m = new RegExp(`^${re.source}(?:#\\d+)?-\\d+\\s+\\d+\\s+(.*)$`).exec(line);
    if (!m) continue;
    const metrics = {};
    for (const [, v, unit] of m[m.length - 1].matchAll(/([\d.e+-]+) (\S+)/g)) metrics[unit] = Number(v);
    rows.push({ groups: m.slice(1, -1), metrics });
  }
  return rows;
}

const median = (xs) => { const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b); if (!s.length) return undefined; const h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };

const started = new Date();
const loadBefore = loadavg();
console.log(`==> Go benchmarks in ${moduleDir} (series ${opts.series}, output modes ${modes.join(', ')}, benchtime ${opts.benchtime}, ${opts.rounds} rounds); 1M series takes minutes`);
const out = await run(['test', '-run', '^$', '-bench', '^BenchmarkPipeline$', '-benchtime', opts.benchtime, '-timeout', '90m', '.'],
  { BENCH_SERIES: opts.series, BENCH_ROUNDS: opts.rounds, BENCH_OUTPUT_MODE: modes.join(',') });
const loadMid = loadavg();
const memOut = await run(['test', '-run', '^$', '-bench', '^BenchmarkMetricNameMemory$', '-benchtime', '1x', '-timeout', '30m', '.'], {});
const loadAfter = loadavg();

// BenchmarkPipeline/series=1000/metrics#01-2   615   4541049 ns/op   0 disordered/point ... 202633 points/cpu-s   220213 points/s   1.000 scored/point
const variantNames = ['passthrough', ...modes];
const runs = new Map(); // series -> { variant: [metrics per round] }
for (const { groups: [series, variant], metrics } of parseBench(out, /BenchmarkPipeline\/series=(\d+)\/(passthrough|metrics|attributes)/)) {
  const entry = runs.get(Number(series)) ?? Object.fromEntries(variantNames.map((v) => [v, []]));
  entry[variant].push(metrics);
  runs.set(Number(series), entry);
}
if (runs.size === 0) throw new Error('no BenchmarkPipeline results parsed');

const results = [...runs.entries()].map(([series, byVariant]) => {
  const pass = byVariant.passthrough;
  const perRound = pass.map((p, i) => {
    const r = { round: i + 1, passthrough_points_per_cpu_s: p['points/cpu-s'], passthrough_points_per_s: p['points/s'] };
    for (const m of modes) {
      const q = byVariant[m][i];
      if (!q) continue;
      r[`${m}_points_per_cpu_s`] = q['points/cpu-s'];
      r[`${m}_points_per_s`] = q['points/s'];
      r[`${m}_ratio`] = q['points/cpu-s'] / p['points/cpu-s'];
      r[`${m}_ratio_wall_clock`] = q['points/s'] / p['points/s'];
    }
    if (r.metrics_ratio !== undefined && r.attributes_ratio !== undefined) r.metrics_over_attributes = r.metrics_points_per_cpu_s / r.attributes_points_per_cpu_s;
    return r;
  });
  const mode = Object.fromEntries(modes.map((m) => {
    const rs = byVariant[m];
    return [m, {
      points_per_cpu_s: median(rs.map((x) => x['points/cpu-s'])), points_per_s: median(rs.map((x) => x['points/s'])),
      ratio: median(perRound.map((r) => r[`${m}_ratio`])), ratio_wall_clock: median(perRound.map((r) => r[`${m}_ratio_wall_clock`])),
      heap_bytes_per_series: rs[0]?.['heap-bytes/series'],
      scored_per_point: median(rs.map((x) => x['scored/point'])), disordered_per_point: median(rs.map((x) => x['disordered/point'])),
      out_points_per_point: median(rs.map((x) => x['out-points/point'])), evictions: Math.max(...rs.map((x) => x.evictions ?? 0)),
    }];
  }));
  return {
    series,
    passthrough: { points_per_cpu_s: median(pass.map((x) => x['points/cpu-s'])), points_per_s: median(pass.map((x) => x['points/s'])) },
    modes: mode,
    metrics_over_attributes: median(perRound.map((r) => r.metrics_over_attributes)),
    rounds: perRound,
  };
});

// Marginal memory of one more series: heap growth between the two largest series counts, which
// cancels the fixed cost of the forests (one per metric name).
const bySize = [...results].sort((a, b) => a.series - b.series);
const marginal = {};
if (bySize.length >= 2) {
  const [a, b] = bySize.slice(-2);
  for (const m of modes) {
    const ha = a.modes[m].heap_bytes_per_series, hb = b.modes[m].heap_bytes_per_series;
    if (ha !== undefined && hb !== undefined) marginal[m] = { from_series: a.series, to_series: b.series, heap_bytes_per_series: (hb * b.series - ha * a.series) / (b.series - a.series) };
  }
}

// BenchmarkMetricNameMemory/names=10-2   1   430079628 ns/op   1664864 forest-kernel-bytes   10.00 forests   25419776 heap-bytes   200 slot-bytes
const names = parseBench(memOut, /BenchmarkMetricNameMemory\/names=(\d+)/).map(({ groups: [n], metrics }) => ({ names: Number(n), ...metrics }));
if (names.length !== 2) throw new Error(`expected 2 BenchmarkMetricNameMemory results, parsed ${names.length}`);
const [few, many] = names.sort((a, b) => a.names - b.names);
const perMetricName = {
  series: 10000,
  runs: names.map((x) => ({ metric_names: x.names, forests: x.forests, heap_bytes: x['heap-bytes'] })),
  heap_bytes_per_metric_name: (many['heap-bytes'] - few['heap-bytes']) / (many.forests - few.forests),
  forest_kernel_bytes_computed: few['forest-kernel-bytes'],
};
const slotBytes = few['slot-bytes'];

const goVersion = (await run(['version'], {})).trim();
const report = {
  command: `npm run bench:processor -- --series ${opts.series} --benchtime ${opts.benchtime} --rounds ${opts.rounds} --modes ${modes.join(',')}`,
  date: started.toISOString(),
  finished: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model, go: goVersion, load_average_before: loadBefore[0], load_average_between: loadMid[0], load_average_after: loadAfter[0] },
  pipeline: 'decode OTLP protobuf -> [isolationforest] -> encode OTLP protobuf; 1000 gauge points per request over 10 metric names, GOMAXPROCS goroutines; every series one point per replay cycle, 10 s of its own time after the previous',
  processor_config: 'defaults (threshold 0.5, trees 100, sample_size 256, window_size 2048, refresh_interval 10s, refresh_points 256, warmup_points 10, seasonality on, instances = GOMAXPROCS) except max_series = max(100000, 1.1 x active series) and output_mode as named',
  targets: { ratio_min: 0.8, bytes_per_series_max: 256 },
  results,
  marginal_heap_bytes_per_series: marginal,
  per_metric_name: perMetricName,
  series_slot_bytes: slotBytes,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/processor.json'), JSON.stringify(report, null, 2) + '\n');

const pct = (x) => (x === undefined ? 'n/a' : `${(100 * x).toFixed(1)}%`);
const n = (x) => (x === undefined ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const mib = (x) => `${(x / 2 ** 20).toFixed(2)} MiB`;
const md = [
  '# isolationforest processor benchmark',
  '',
  `\`${report.command}\` on ${report.date} (${report.machine.cpus} cores, ${report.machine.go}; load average ${loadBefore[0].toFixed(1)} before, ` +
    `${loadMid[0].toFixed(1)} after the throughput runs, ${loadAfter[0].toFixed(1)} at the end: the machine is shared, so absolute figures are noisy; ratios compare runs made back to back in the same process).`,
  '',
  `Pipeline: ${report.pipeline}. Processor: ${report.processor_config}.`,
  '',
  'Each processor is warmed up first (warmup_points + 5 cycles: every series scored, every forest grown), outside the timed runs; then every round runs pass-through, ' +
    `${modes.join(', ')} back to back. A refresh of each metric's forest falls due every cycle (10 s of the points' time), so with few series per metric name ` +
    'the refreshes weigh on every point: at 1,000 series a refresh per 100 points, at 1M series one per 100,000.',
  '',
  '## Throughput (points per CPU-second of the benchmark process; medians over rounds)',
  '',
  `| active series | pass-through | ${modes.map((m) => `${m}${m === 'metrics' ? ' (default)' : ''}`).join(' | ')} | ${modes.map((m) => `${m} / pass-through (per round)`).join(' | ')} |${modes.length > 1 ? ' metrics / attributes (per round) |' : ''}`,
  `|---:|---:|${modes.map(() => '---:|').join('')}${modes.map(() => '---:|').join('')}${modes.length > 1 ? '---:|' : ''}`,
  ...results.map((r) => `| ${n(r.series)} | ${n(r.passthrough.points_per_cpu_s)} | ${modes.map((m) => n(r.modes[m].points_per_cpu_s)).join(' | ')} | ` +
    `${modes.map((m) => `${pct(r.modes[m].ratio)} ${r.modes[m].ratio >= 0.8 ? '✓' : '✗'} (${r.rounds.map((x) => pct(x[`${m}_ratio`])).join(', ')})`).join(' | ')} |` +
    `${modes.length > 1 ? ` ${pct(r.metrics_over_attributes)} (${r.rounds.map((x) => pct(x.metrics_over_attributes)).join(', ')}) |` : ''}`),
  '',
  'Target: ≥ 80% of pass-through. The ratio is taken per round (pass-through and the processor run back to back), then the median.',
  '',
  '| active series | wall-clock points/s: pass-through / ' + modes.join(' / ') + ' | wall-clock ratio ' + modes.join(' / ') + ' | scored per point | points out per point in | duplicates + out of order per point | evictions |',
  '|---:|---|---|---|---|---|---:|',
  ...results.map((r) => `| ${n(r.series)} | ${n(r.passthrough.points_per_s)} / ${modes.map((m) => n(r.modes[m].points_per_s)).join(' / ')} | ` +
    `${modes.map((m) => pct(r.modes[m].ratio_wall_clock)).join(' / ')} | ${modes.map((m) => r.modes[m].scored_per_point?.toFixed(3)).join(' / ')} | ` +
    `${modes.map((m) => r.modes[m].out_points_per_point?.toFixed(3)).join(' / ')} | ${modes.map((m) => r.modes[m].disordered_per_point).join(' / ')} | ${modes.map((m) => n(r.modes[m].evictions)).join(' / ')} |`),
  '',
  'Scored per point, duplicates and evictions come from the processor\'s own telemetry during the timed runs (a benchmark that stopped scoring would show it); ' +
    'points out per point in counts what reached the encoder (the metrics mode adds one companion point per scored point).',
  '',
  '## Memory',
  '',
  '| active series | ' + modes.map((m) => `${m}: heap bytes per series after warm-up`).join(' | ') + ' |',
  `|---:|${modes.map(() => '---:|').join('')}`,
  ...results.map((r) => `| ${n(r.series)} | ${modes.map((m) => `${n(r.modes[m].heap_bytes_per_series)} ${r.modes[m].heap_bytes_per_series <= 256 ? '✓' : '✗'}`).join(' | ')} |`),
  '',
  'Heap bytes per series: Go heap in use (after two forced GCs) after the warm-up minus before the processor was created, over the series; it includes the ' +
    'series slot and index, and the fixed cost of the 10 metric names\' forests (the kernel instances\' linear memory is Go heap), which dominates at 1,000 series.',
  ...Object.entries(marginal).flatMap(([m, x]) => ['', `Marginal cost of one more series (${m}; heap growth between ${n(x.from_series)} and ${n(x.to_series)} series, forests cancelled out): **${n(x.heap_bytes_per_series)} bytes** ${x.heap_bytes_per_series <= 256 ? '✓' : '✗'} (target ≤ 256; computed: a ${slotBytes}-byte slot plus 8-16 bytes of index).`]),
  '',
  `Per metric name (model group), measured: 10,000 series over ${few.names} names (${few.forests} forests, ${mib(few['heap-bytes'])} of heap) and over ${many.names} names ` +
    `(${many.forests} forests, ${mib(many['heap-bytes'])}): **${mib(perMetricName.heap_bytes_per_metric_name)} per metric name** ` +
    `(computed: ${mib(perMetricName.forest_kernel_bytes_computed)} of kernel memory per forest, kernel.ForestBytes, plus its learning sample; the measured figure includes the linear memory's growth headroom). ` +
    'At most max_forests (200) forests are held.',
  '',
];
writeFileSync(join(root, 'bench/results/processor.md'), md.join('\n'));
console.log(`\nwrote bench/results/processor.json and bench/results/processor.md`);
