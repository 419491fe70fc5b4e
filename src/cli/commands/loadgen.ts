// mirador loadgen: plays the simulated shop with scripted incidents against any OTLP/HTTP endpoint.
import { Command, InvalidArgumentError } from 'commander';
import { startLoadgen, type LoadgenCounts } from '../../loadgen/generator.js';
import type { Incident } from '../../loadgen/scenario.js';
import { guarded, intAtLeast } from '../errors.js';

interface LoadgenOpts {
  endpoint: string;
  rate: number;
  seed: number;
  duration?: number;
  cycle?: number;
  metricInterval: number;
  json?: boolean;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
}

export function formatSchedule(startedAt: Date, incidents: Incident[]): string {
  const at = (s: number) => new Date(startedAt.getTime() + s * 1000).toISOString().slice(11, 19);
  return incidents.map((i) => `  ${at(i.startSec)}-${at(i.endSec)}  (+${i.startSec}s..+${i.endSec}s)  ${i.kind.padEnd(13)} ${i.description}`).join('\n');
}

export function formatCounts(c: LoadgenCounts): string {
  const f = (n: number) => n.toLocaleString('en-US');
  const fail = (x: { failed: number; lastError?: string }) => (x.failed ? ` (${f(x.failed)} failed: ${x.lastError})` : '');
  return `requests ${f(c.requests)}  spans ${f(c.spans.sent)}/${f(c.spans.generated)} sent${fail(c.spans)}  ` +
    `metric points ${f(c.metricPoints.sent)} sent${fail(c.metricPoints)}  logs ${f(c.logs.sent)}/${f(c.logs.generated)} sent${fail(c.logs)}`;
}

export function register(program: Command): void {
  program
    .command('loadgen')
    .description('send a small shop\'s traces, metrics and logs (OTLP/HTTP protobuf) with scripted incidents; prints counts sent')
    .option('--endpoint <url>', 'OTLP/HTTP base URL (/v1/traces, /v1/metrics, /v1/logs are appended)', 'http://127.0.0.1:4318')
    .option('--rate <x>', 'multiplier of the baseline request rate (1 = ~17 requests/s, ~80 spans/s, ~40 logs/s)', positiveNumber, 1)
    .option('--seed <n>', 'seed of the traffic shape (latencies, errors, arrivals)', intAtLeast(0), 1)
    .option('--duration <s>', 'stop after this many seconds (default: until Ctrl-C)', positiveNumber)
    .option('--cycle <s>', 'length of one incident cycle in seconds (default: --duration, else 300)', positiveNumber)
    .option('--metric-interval <ms>', 'metric export interval', intAtLeast(100), 1000)
    .option('--json', 'print the final counts and the incident schedule as one JSON object')
    .action(guarded('loadgen', async (o: LoadgenOpts) => {
      const lg = startLoadgen({
        endpoint: o.endpoint, rate: o.rate, seed: o.seed, durationSec: o.duration, cycleSec: o.cycle, metricIntervalMs: o.metricInterval,
      });
      process.stderr.write(`loadgen run ${lg.runId} -> ${o.endpoint}, incident cycle ${lg.cycleSec} s:\n${formatSchedule(lg.startedAt, lg.upcoming())}\n`);
      const onSignal = () => void lg.stop();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const progress = setInterval(() => process.stderr.write(`${formatCounts(lg.counts())}\n`), 5000);
      const c = await lg.done;
      clearInterval(progress);
      const out = o.json
        ? JSON.stringify({ runId: lg.runId, startedAt: lg.startedAt.toISOString(), endpoint: o.endpoint, counts: c, incidents: lg.incidents().map(({ judged, touched, ...i }) => i) }) + '\n'
        : `${formatCounts(c)}\n`;
      process.stdout.write(out);
      const failed = c.spans.failed + c.metricPoints.failed + c.logs.failed;
      if (failed) process.exitCode = 1;
    }));
}
