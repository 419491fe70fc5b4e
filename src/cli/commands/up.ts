// mirador up: the whole pipeline on this machine (docs/architecture.md): backends, the chart's four
// collectors, the load generator, a live summary, and on exit the run and detection report.
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_PORTS, formatRunReport, startPipeline, type FixedPorts, type Pipeline } from '../../pipeline/pipeline.js';
import { liveStats, renderLive } from '../../pipeline/live.js';
import { guarded, intAtLeast } from '../errors.js';

interface UpOpts {
  duration?: number;
  json?: boolean;
  rate: number;
  seed: number;
  cycle?: number;
  interval: number;
  threshold?: number;
  freePorts?: boolean;
  runDir?: string;
  otlpGrpcPort: number;
  otlpHttpPort: number;
  vmPort: number;
  jaegerPort: number;
  cassandraPort: number;
}

/** Below this, the baseline before the first incident (35% of the cycle) is shorter than the models' warm-up. */
const MIN_USEFUL_CYCLE_SEC = 100;

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
}

function unitInterval(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError('expected a number in (0, 1]');
  return n;
}

/** Redraws the summary in place on a terminal; elsewhere prints one short line now and then. */
function startLiveView(p: Pipeline, o: UpOpts): () => void {
  const tty = Boolean(process.stdout.isTTY) && !o.json;
  let busy = false, last = 0;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const s = await liveStats(p);
      if (tty) process.stdout.write(`\x1b[H\x1b[2J${renderLive(p, s, o.duration)}\n`);
      else if (Date.now() - last >= 15_000) {
        last = Date.now();
        process.stderr.write(`[${Math.round(s.elapsedSec)} s] spans ${s.sent.spans}/${s.stored.spans} points ${s.sent.points}/${s.stored.points} logs ${s.sent.logs}/${s.stored.logs} (sent/stored), ` +
          `${s.anomalies.flaggedPoints} points flagged on ${s.anomalies.flaggedSeries} series\n`);
      }
    } finally {
      busy = false;
    }
  }, 2000);
  return () => clearInterval(timer);
}

function catchCtrlC(onInterrupt: () => void): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY) return () => undefined;
  stdin.setRawMode(true);
  stdin.resume();
  const onData = (b: Buffer) => { if (b.includes(3) || b.includes(113 /* q */)) onInterrupt(); };
  stdin.on('data', onData);
  return () => { stdin.off('data', onData); stdin.setRawMode(false); stdin.pause(); };
}

export function register(program: Command): void {
  program
    .command('up')
    .description('run the whole pipeline locally (VictoriaMetrics, Jaeger v2, Cassandra, the four collectors, the load generator) with a live summary; report on exit')
    .option('--duration <s>', 'stop after this many seconds and print the report (default: until Ctrl-C)', positiveNumber)
    .option('--json', 'print the final report as one JSON line on stdout (progress goes to stderr)')
    .option('--rate <x>', 'load generator rate multiplier (1 = ~17 requests/s, ~80 spans/s, ~40 logs/s)', positiveNumber, 1)
    .option('--seed <n>', 'load generator seed', intAtLeast(0), 1)
    .option('--cycle <s>', 'incident cycle length (default: --duration, else 300)', positiveNumber)
    .option('--interval <ms>', 'metric interval of the load generator and of the span/service-graph connectors', intAtLeast(1000), 1000)
    .option('--threshold <x>', 'isolationforest anomaly threshold (default: the processor\'s)', unitInterval)
    .option('--free-ports', 'pick free ports for everything instead of the defaults below')
    .option('--run-dir <dir>', 'where configs, data and logs go (default .run/<timestamp>)')
    .option('--otlp-grpc-port <n>', 'gateway OTLP/gRPC port', intAtLeast(1), DEFAULT_PORTS.otlpGrpc)
    .option('--otlp-http-port <n>', 'gateway OTLP/HTTP port', intAtLeast(1), DEFAULT_PORTS.otlpHttp)
    .option('--vm-port <n>', 'VictoriaMetrics (vmui) port', intAtLeast(1), DEFAULT_PORTS.victoriaMetrics)
    .option('--jaeger-port <n>', 'Jaeger UI / query port', intAtLeast(1), DEFAULT_PORTS.jaegerUi)
    .option('--cassandra-port <n>', 'Cassandra CQL port', intAtLeast(1), DEFAULT_PORTS.cassandra)
    .action(guarded('up', async (o: UpOpts) => {
      const ports: FixedPorts | 'free' = o.freePorts ? 'free' : {
        otlpGrpc: o.otlpGrpcPort, otlpHttp: o.otlpHttpPort, victoriaMetrics: o.vmPort, jaegerUi: o.jaegerPort, cassandra: o.cassandraPort,
      };
      const log = (l: string) => process.stderr.write(`mirador up: ${l}\n`);
      const cycle = o.cycle ?? o.duration;
      if (cycle !== undefined && cycle < MIN_USEFUL_CYCLE_SEC) {
        log(`note: a ${cycle} s incident cycle leaves the models about ${Math.round(cycle * 0.35)} s of baseline before the first incident; ` +
          `a series is scored after 10 points of warm-up and weighs new highs and lows fully only from 200 points on (a young series finds them in plain noise), so early incidents may go unflagged (use ${MIN_USEFUL_CYCLE_SEC} s or more)`);
      }
      const p = await startPipeline({
        ports, runDir: o.runDir, rate: o.rate, seed: o.seed, durationSec: o.duration, cycleSec: o.cycle, intervalMs: o.interval,
        processor: o.threshold !== undefined ? { threshold: o.threshold } : undefined, log,
      });
      log(`running; vmui ${p.urls.vmui}  Jaeger UI ${p.urls.jaegerUi}  OTLP ${p.urls.otlpHttp}  Cassandra ${p.urls.cassandra}`);
      const stopView = startLiveView(p, o);
      let interrupted = 0;
      const onSignal = () => {
        interrupted++;
        if (interrupted === 1) { log('stopping (Ctrl-C again to stop without a report) ...'); void p.loadgen.stop(); }
        else { log('stopping now, no report'); void p.kill().then(() => process.exit(130)); }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // On a terminal, Ctrl-C would send SIGINT to the whole foreground process group, so the
      // backends and collectors would die before the drain and the report. Raw mode turns
      // Ctrl-C into a key press that only we see; we then stop the children in order.
      const restoreTty = catchCtrlC(onSignal);
      await p.loadgen.done;
      stopView();
      restoreTty();
      const report = await p.finish();
      process.stdout.write(o.json ? JSON.stringify(report) + '\n' : formatRunReport(report) + '\n');
      const c = report.complete;
      if (!(c.spans && c.metricPoints && c.logs)) {
        log(`data lost or duplicated between the load generator and the backends (see ${report.files.json})`);
        process.exitCode = 1;
      }
    }));
}
