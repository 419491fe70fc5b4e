/**
 * The pipeline benchmark (npm run bench:pipeline). In ONE run, configurations alternated per round:
 *   (a) pass-through: otelcol-mirador without the anomaly processor,
 *   (b) ours: otelcol-mirador with isolationforest (defaults: output_mode metrics, a companion
 *       <metric>_anomaly_score point per scored point, input untouched),
 *   (b') ours, attributes mode: the same with output_mode attributes (the previous default), so the
 *       cost of the new default is a ratio within one run,
 *   (c) contrib: otelcol-peer with contrib's isolationforest (defaults),
 * each driven by telemetrygen into a counting sink collector: points/s, CPU s per million points,
 * peak RSS. Then detection of the loadgen's scripted incidents by (b) and (c) on the same input,
 * the same configurations (contrib aside) on a steady input of many series (steady.ts), and our
 * processor at 10k / 100k / 1M active series plus eviction past max_series.
 * Writes bench/results/pipeline.json and pipeline.md.
 * Options: --rounds 3 --window 15 --warm 5 --detect 240 (seconds of loadgen; 0 skips)
 *          --scale 10000,100000,1000000 (empty skips) --only passthrough,ours,ours-attributes,contrib
 *          --steady 50000 (series of the steady-input throughput runs; 0 skips) --steady-rounds 10
 * The summary also compares ours' ratio to pass-through with the recording this run replaces
 * (bench/results/pipeline.json as it was before the run).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePorts, repoRoot, sinkConfig, startCollector } from '../../src/harness/index.js';
import { measureThroughput, type ThroughputSample, type Variant } from './throughput.js';
import { previousRecording, summarise, toMarkdown, type BenchResult } from './report.js';
import { runDetection } from './detection.js';
import { runScale } from './scale.js';
import { measureSteady, type SteadySample } from './steady.js';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' }, window: { type: 'string', default: '15' }, warm: { type: 'string', default: '5' },
    workers: { type: 'string', default: '4' }, 'batch-size': { type: 'string', default: '1000' },
    detect: { type: 'string', default: '240' }, scale: { type: 'string', default: '10000,100000,1000000' },
    only: { type: 'string', default: 'passthrough,ours,ours-attributes,contrib' },
    steady: { type: 'string', default: '50000' }, 'steady-rounds': { type: 'string', default: '10' }, out: { type: 'string', default: join(repoRoot(), 'bench/results') },
  },
});
const int = (name: string, v: string) => {
  if (!/^\d+$/.test(v)) { console.error(`bench:pipeline: --${name} must be a whole number, got "${v}"`); process.exit(2); }
  return Number(v);
};
const rounds = int('rounds', opts.rounds), windowSec = int('window', opts.window), warmSec = int('warm', opts.warm);
const workers = int('workers', opts.workers), batchSize = int('batch-size', opts['batch-size']), detectSec = int('detect', opts.detect);
const scaleSeries = opts.scale ? opts.scale.split(',').map((s) => int('scale', s)) : [];
const steadySeries = int('steady', opts.steady), steadyRounds = int('steady-rounds', opts['steady-rounds']);
const STEADY_WARM_ROUNDS = 15; // the processor's warm-up (warmup_points 10) and its forests' first growth

const variants: Variant[] = [
  { name: 'passthrough', label: '(a) pass-through (otelcol-mirador, no anomaly processor)', build: 'mirador' },
  { name: 'ours', label: '(b) ours (otelcol-mirador, isolationforest defaults: output_mode metrics)', build: 'mirador', processor: {} },
  { name: 'ours-attributes', label: "(b') ours, output_mode attributes (otherwise defaults)", build: 'mirador', processor: { output_mode: 'attributes' } },
  { name: 'contrib', label: "(c) contrib's isolationforest (otelcol-peer, defaults)", build: 'peer', processor: {} },
].filter((v) => opts.only.split(',').includes(v.name)) as Variant[];

mkdirSync(join(repoRoot(), '.run/bench-pipeline'), { recursive: true });
const dir = mkdtempSync(join(repoRoot(), '.run/bench-pipeline/run-'));
const started = new Date();
const load0 = loadavg();
console.log(`bench:pipeline: work dir ${dir}; ${rounds} rounds x [${variants.map((v) => v.name).join(', ')}], warm ${warmSec} s + window ${windowSec} s each`);

const [sinkGrpc] = await freePorts(1);
const sink = await startCollector({ name: 'sink', dir, config: sinkConfig({ grpc: sinkGrpc }) });
const samples: ThroughputSample[] = [];
const steadySamples: SteadySample[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    for (const v of variants) {
      const s = await measureThroughput(v, { dir, sinkGrpc, round, workers, batchSize, warmSec, windowSec, profile: round === rounds });
      samples.push(s);
      console.log(`  round ${round} ${v.name.padEnd(11)} ${Math.round(s.pointsPerSec).toLocaleString('en-US').padStart(9)} points/s  ` +
        `${s.cpuSecPerMillion.toFixed(2)} CPU-s/M points  ${s.cores.toFixed(2)} cores  peak RSS ${(s.peakRssBytes / 2 ** 20).toFixed(0)} MiB  refused ${s.refused}` +
        (s.processor ? `  scored ${s.processor.scoredPerPoint.toFixed(3)}/point, unscored ${JSON.stringify(s.processor.unscoredPerPoint)}, ` +
          `${s.processor.alarmsPerMillion.toFixed(0)} alarms and ${s.processor.refreshesPerMillion.toFixed(0)} forest refreshes per M points` : ''));
    }
  }
  // the same configurations (contrib aside: hours at its speed) on a steady input of many series
  const steadyVariants = variants.filter((v) => v.name !== 'contrib');
  for (let round = 1; steadySeries > 0 && round <= rounds; round++) {
    for (const v of steadyVariants) {
      const s = await measureSteady(v, { dir, sinkGrpc, round, series: steadySeries, warmRounds: STEADY_WARM_ROUNDS, rounds: steadyRounds });
      steadySamples.push(s);
      console.log(`  steady round ${round} ${v.name.padEnd(15)} ${Math.round(s.pointsPerSec).toLocaleString('en-US').padStart(9)} points/s  ` +
        `${s.cpuSecPerMillion.toFixed(2)} CPU-s/M points  out/in ${(s.pointsOut / s.pointsIn).toFixed(3)}${s.scoredPerPoint === undefined ? '' : `  scored ${s.scoredPerPoint.toFixed(3)}/point`}`);
    }
  }
} finally {
  await sink.stop();
}

const detection = detectSec > 0 ? await runDetection({ dir, durationSec: detectSec }) : undefined;
const scale = scaleSeries.length ? await runScale({ dir, series: scaleSeries }) : undefined;

// The recording this run replaces, for the change in ours' ratio to pass-through.
const previousFile = join(opts.out, 'pipeline.json');
const previous = existsSync(previousFile) ? previousRecording(JSON.parse(readFileSync(previousFile, 'utf8')) as BenchResult) : undefined;
let commit: string | undefined;
try { commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot(), encoding: 'utf8' }).trim(); } catch { /* not a git checkout */ }

const result: BenchResult = {
  command: ['npm run bench:pipeline', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
  started: started.toISOString(), finished: new Date().toISOString(),
  commit,
  machine: { cores: cpus().length, loadavgBefore: load0[0], loadavgAfter: loadavg()[0] },
  settings: { rounds, windowSec, warmSec, telemetrygen: { workers, batchSize, metricType: 'Gauge', rate: 'unthrottled' } },
  variants: variants.map(({ name, label }) => ({ name, label })),
  samples,
  summary: summarise(samples),
  previous,
  steady: steadySamples.length ? { series: steadySeries, warmRounds: STEADY_WARM_ROUNDS, rounds: steadyRounds, samples: steadySamples, summary: summarise(steadySamples) } : undefined,
  detection, scale,
};
mkdirSync(opts.out, { recursive: true });
writeFileSync(join(opts.out, 'pipeline.json'), JSON.stringify(result, null, 2) + '\n');
writeFileSync(join(opts.out, 'pipeline.md'), toMarkdown(result));
console.log(`\nwrote ${join(opts.out, 'pipeline.json')} and pipeline.md\n`);
console.log(toMarkdown(result));
