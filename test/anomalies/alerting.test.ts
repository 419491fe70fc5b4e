// The alerting examples of docs/alerting.md, run for real: every vmalert rule file of the page
// parses (vmalert -dryRun) and, against a real VictoriaMetrics holding score series and the
// processor's counters, fires what it says and nothing else (vmalert -replay writes ALERTS back);
// live vmalert notifies a stand-in Alertmanager; the page's Alertmanager routes send each alert to
// the intended receiver; the page's chart values render.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort, startProcess, startVictoriaMetrics, toolPath, vmExport, type ManagedProcess, type RunningVictoriaMetrics } from '../../src/harness/index.js';
import { helmTemplate } from '../../src/pipeline/render.js';

const run = promisify(execFile);
const DOC = resolve(import.meta.dirname, '../../docs/alerting.md');
const dir = mkdtempSync(join(tmpdir(), 'mirador-alerting-'));

/** The page's YAML blocks, by their first line (a comment naming what they are). */
function docBlocks(): { title: string; text: string }[] {
  return [...readFileSync(DOC, 'utf8').matchAll(/```yaml\n(.*?)```/gs)].map((m) => ({ title: m[1].split('\n')[0], text: m[1] }));
}
const ruleFiles = () => docBlocks().filter((b) => b.title.startsWith('# vmalert rules'));
const block = (prefix: string) => {
  const b = docBlocks().find((x) => x.title.startsWith(prefix));
  if (!b) throw new Error(`docs/alerting.md has no yaml block starting "${prefix}"`);
  return b.text;
};
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

async function dryRun(file: string): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await run(toolPath('vmalert'), ['-dryRun', `-rule=${file}`], { timeout: 60_000 });
    return { ok: true, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/alerting.md: vmalert -dryRun', () => {
  it('the page has the score, events and telemetry rule files', () => {
    const groups = ruleFiles().map((b) => (parse(b.text) as { groups: { name: string; type?: string }[] }).groups.map((g) => `${g.name}:${g.type ?? 'prometheus'}`));
    expect(groups.flat()).toEqual(['mirador-anomaly-scores:prometheus', 'mirador-anomaly-events:vlogs', 'mirador-anomaly-pipeline:prometheus']);
  });

  it('accepts every rule file of the page, and refuses a broken expression', async () => {
    for (const [i, b] of ruleFiles().entries()) {
      const r = await dryRun(write(`rules-${i}.yaml`, b.text));
      expect(r.ok, `${b.title}\n${r.out.slice(-1500)}`).toBe(true);
    }
    const broken = ruleFiles()[0].text.replace('max_over_time(', 'max_over_time((');
    expect((await dryRun(write('broken.yaml', broken))).ok).toBe(false);
    const brokenLogs = block('# vmalert rules: the anomaly events').replace('| stats by', '| statz by');
    expect((await dryRun(write('broken-logs.yaml', brokenLogs))).ok).toBe(false);
  });
});

// ---- the score and telemetry rules against a real VictoriaMetrics

const MIN = 60_000;
const STEP = 15_000;
const END = Math.floor(Date.now() / STEP) * STEP - 2 * MIN; // the replay's end, safely in the past
const START = END - 40 * MIN;
const ONSET = START + 10 * MIN;

interface Sample { name: string; labels: Record<string, string>; t: number; v: number }

/**
 * 40 minutes of what the processor writes: a payments latency series with one episode (its onset
 * point flagged, then 12 minutes at score 0.8), four more payments series opening an episode within
 * 15 minutes (one of them 0.8 for 5 minutes only), a quiet cart series, and the processor's
 * counters (events dropped for the rate limit; 40 onset events a minute for 10 minutes).
 */
function scenario(): Sample[] {
  const out: Sample[] = [];
  const score = (labels: Record<string, string>, name: string, f: (t: number) => number | null) => {
    for (let t = START; t <= END; t += STEP) {
      const v = f(t);
      if (v !== null) out.push({ name, labels: { ...labels, is_anomaly: 'false' }, t, v });
    }
  };
  const flag = (labels: Record<string, string>, name: string, t: number, v: number) => out.push({ name, labels: { ...labels, is_anomaly: 'true' }, t, v });
  const wobble = (t: number) => 0.1 + ((t / STEP) % 7) / 100;

  const charge = { service_name: 'payments', http_route: '/charge', http_request_method: 'POST' };
  score(charge, 'http_server_request_duration_anomaly_score_ratio', (t) => (t === ONSET ? null : t > ONSET && t <= ONSET + 12 * MIN ? 0.8 : wobble(t)));
  flag(charge, 'http_server_request_duration_anomaly_score_ratio', ONSET, 0.95);
  const others: { name: string; labels: Record<string, string> }[] = [
    { name: 'traces_span_metrics_duration_anomaly_score_ratio', labels: { service_name: 'payments', span_name: 'POST /charge', span_kind: 'SPAN_KIND_SERVER' } },
    { name: 'traces_span_metrics_calls_anomaly_score_ratio', labels: { service_name: 'payments', span_name: 'POST /charge', span_kind: 'SPAN_KIND_SERVER' } },
    { name: 'process_memory_usage_anomaly_score_ratio', labels: { service_name: 'payments' } },
    { name: 'shop_queue_depth_anomaly_score_ratio', labels: { service_name: 'payments', queue: 'settlements' } },
  ];
  others.forEach((o, i) => {
    const at = ONSET + (i + 1) * MIN;
    // The first one departs for 5 minutes only: not long enough for MiradorAnomalyPersistent.
    score(o.labels, o.name, (t) => (t === at ? null : i === 0 && t > at && t <= at + 5 * MIN ? 0.8 : wobble(t)));
    flag(o.labels, o.name, at, 0.6);
  });
  score({ service_name: 'cart' }, 'process_memory_usage_anomaly_score_ratio', (t) => 0.1 + ((t / STEP) % 5) / 25);

  let dropped = 0, events = 0;
  for (let t = START; t <= END; t += STEP) {
    if (t === ONSET + 5 * MIN) dropped += 4;
    if (t > ONSET && t <= ONSET + 10 * MIN) events += 10; // 40 a minute
    out.push({ name: 'otelcol_processor_isolationforest_events_dropped_total', labels: { drop_reason: 'rate_limited', job: 'isolationforest' }, t, v: dropped });
    out.push({ name: 'otelcol_processor_isolationforest_events_total', labels: { transition: 'onset', job: 'isolationforest' }, t, v: events });
  }
  return out;
}

const promLine = (s: Sample) => `${s.name}{${Object.entries(s.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}} ${s.v} ${s.t}`;

async function importSamples(vm: RunningVictoriaMetrics, samples: Sample[]): Promise<void> {
  const res = await fetch(`${vm.url}/api/v1/import/prometheus`, { method: 'POST', body: samples.map(promLine).join('\n') + '\n' });
  expect(res.status, await res.text()).toBeLessThan(300);
  await fetch(`${vm.url}/internal/force_flush`);
}

interface FiredAlert { labels: Record<string, string>; annotations?: Record<string, string> }

describe('docs/alerting.md rules against VictoriaMetrics', () => {
  let vm: RunningVictoriaMetrics;
  const scoreRules = () => write('scores.yaml', block('# vmalert rules: the score series'));
  const pipelineRules = () => write('pipeline.yaml', block("# vmalert rules: the processor's telemetry"));
  let replayed: FiredAlert[] = [];

  beforeAll(async () => {
    vm = await startVictoriaMetrics({ runDir: join(dir, 'vm') });
    await importSamples(vm, scenario());
  });
  afterAll(async () => vm?.stop());

  it('vmalert -replay over the 40 minutes fires each rule for payments, and nothing for cart', async () => {
    await run(toolPath('vmalert'), [
      `-rule=${scoreRules()}`, `-rule=${pipelineRules()}`, `-datasource.url=${vm.url}`, `-remoteWrite.url=${vm.url}`,
      `-replay.timeFrom=${new Date(START).toISOString()}`, `-replay.timeTo=${new Date(END).toISOString()}`,
      '-replay.disableProgressBar', '-replay.rulesDelay=0s', '-httpListenAddr=127.0.0.1:0',
    ], { timeout: 180_000 });
    await fetch(`${vm.url}/internal/force_flush`);
    let firing: Awaited<ReturnType<typeof vmExport>> = [];
    for (let i = 0; i < 10 && !firing.length; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      firing = await vmExport(vm.url, '{__name__="ALERTS",alertstate="firing"}', START, END + MIN);
    }
    replayed = firing.map((s) => ({ labels: s.metric }));
    const fired = (name: string) => firing.filter((s) => s.metric.alertname === name).map((s) => s.metric);
    const services = (name: string) => [...new Set(fired(name).map((m) => m.service_name))].sort();

    expect(services('MiradorAnomalyOnset')).toEqual(['payments']);
    expect(fired('MiradorAnomalyOnset').map((m) => m.score_series).sort()).toEqual([
      'http_server_request_duration_anomaly_score_ratio', 'process_memory_usage_anomaly_score_ratio', 'shop_queue_depth_anomaly_score_ratio',
      'traces_span_metrics_calls_anomaly_score_ratio', 'traces_span_metrics_duration_anomaly_score_ratio',
    ]);
    expect(fired('MiradorAnomalyStrong').map((m) => [m.score_series, m.service_name, m.severity])).toEqual([['http_server_request_duration_anomaly_score_ratio', 'payments', 'critical']]);
    // 12 minutes at 0.8 fires (for: 10m); the 5-minute departure does not.
    expect(fired('MiradorAnomalyPersistent').map((m) => m.score_series)).toEqual(['http_server_request_duration_anomaly_score_ratio']);
    expect(services('MiradorAnomalyStorm')).toEqual(['payments']);
    expect(fired('MiradorAnomalyEventsDropped').map((m) => m.drop_reason)).toEqual(['rate_limited']);
    expect(fired('MiradorAnomalyEventsHigh')).toHaveLength(1);
    expect(firing.filter((s) => s.metric.service_name === 'cart')).toEqual([]);
  }, 240_000);

  it('live vmalert notifies Alertmanager of a fresh onset, with its labels and summary', async () => {
    const received: FiredAlert[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url?.startsWith('/api/v2/alerts')) received.push(...(JSON.parse(body) as FiredAlert[]));
        res.writeHead(200).end();
      });
    });
    const amPort = await freePort();
    await new Promise<void>((r) => server.listen(amPort, '127.0.0.1', () => r()));
    // vmalert evaluates 30 s in the past (-rule.evalDelay): a flagged point 45 s ago is "now" to it.
    const now = Date.now();
    await importSamples(vm, [{ name: 'shop_queue_depth_anomaly_score_ratio', labels: { service_name: 'checkout', queue: 'orders', is_anomaly: 'true' }, t: now - 45_000, v: 0.83 }]);
    // The page's rules as they are, but evaluated every second (its 30 s interval would only make the test wait).
    const fast = write('scores-fast.yaml', block('# vmalert rules: the score series').replace(/interval: 30s/, 'interval: 1s'));
    let proc: ManagedProcess | undefined;
    try {
      proc = startProcess({
        name: 'vmalert', cmd: toolPath('vmalert'), logFile: join(dir, 'vmalert.log'),
        args: [`-rule=${fast}`, `-datasource.url=${vm.url}`, `-notifier.url=http://127.0.0.1:${amPort}`, `-httpListenAddr=127.0.0.1:${await freePort()}`],
      });
      const deadline = Date.now() + 60_000;
      const onset = () => received.find((a) => a.labels.alertname === 'MiradorAnomalyOnset' && a.labels.service_name === 'checkout');
      while (!onset() && Date.now() < deadline && proc.child.exitCode === null) await new Promise((r) => setTimeout(r, 500));
      expect(onset(), `alerts received: ${JSON.stringify(received.map((a) => a.labels))}\n${proc.tail(20)}`).toBeDefined();
      expect(onset()!.labels).toMatchObject({ score_series: 'shop_queue_depth_anomaly_score_ratio', queue: 'orders', severity: 'warning', is_anomaly: 'true' });
      expect(onset()!.annotations?.summary).toBe('anomaly on shop_queue_depth_anomaly_score_ratio of checkout (score 0.83)');
      replayed.push(onset()!);
    } finally {
      await proc?.stop(5_000);
      server.close();
    }
  }, 120_000);

  it('the Alertmanager routes send each alert that fired to the intended receiver', () => {
    const am = parse(block('# Alertmanager')) as AmConfig;
    const names = new Set(am.receivers.map((r) => r.name));
    const walk = (r: AmRoute): string[] => [r.receiver, ...(r.routes ?? []).flatMap(walk)].filter((x): x is string => Boolean(x));
    for (const r of walk(am.route)) expect(names.has(r), `receiver ${r} is defined`).toBe(true);
    expect(replayed.length).toBeGreaterThan(0);
    const want: Record<string, string> = {
      MiradorAnomalyOnset: 'service-channel', MiradorAnomalyStrong: 'oncall', MiradorAnomalyPersistent: 'oncall', MiradorAnomalyStorm: 'oncall',
      MiradorAnomalyEventsDropped: 'platform', MiradorAnomalyEventsHigh: 'platform',
    };
    const got = Object.fromEntries(replayed.map((a) => [a.labels.alertname, route(am.route, a.labels)]));
    expect(got).toEqual(want);
    // A storm on a service mutes its onsets.
    const inhibit = am.inhibit_rules[0];
    expect(inhibit.source_matchers.every((m) => matcher(m)({ alertname: 'MiradorAnomalyStorm' }))).toBe(true);
    expect(inhibit.target_matchers.every((m) => matcher(m)({ alertname: 'MiradorAnomalyOnset' }))).toBe(true);
  });
});

interface AmRoute { receiver?: string; matchers?: string[]; continue?: boolean; routes?: AmRoute[] }
interface AmConfig { route: AmRoute; receivers: { name: string }[]; inhibit_rules: { source_matchers: string[]; target_matchers: string[] }[] }

/** One Alertmanager matcher (`name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"`; regexps anchored). */
function matcher(m: string): (labels: Record<string, string>) => boolean {
  const x = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(m);
  if (!x) throw new Error(`not an Alertmanager matcher: ${m}`);
  const [, name, op, raw] = x;
  const v = raw.replace(/\\(.)/g, '$1');
  const re = new RegExp(`^(?:${v})$`);
  return (l) => {
    const got = l[name] ?? '';
    return op === '=' ? got === v : op === '!=' ? got !== v : op === '=~' ? re.test(got) : !re.test(got);
  };
}

/** The receiver Alertmanager's routing tree picks: the first matching child, recursively (no `continue` here). */
function route(r: AmRoute, labels: Record<string, string>, inherited = ''): string {
  const receiver = r.receiver ?? inherited;
  for (const child of r.routes ?? []) {
    if ((child.matchers ?? []).every((m) => matcher(m)(labels))) return route(child, labels, receiver);
  }
  return receiver;
}

describe('docs/alerting.md chart values', () => {
  it('a copy of every anomaly event goes to the events exporter of the page, beside the chart\'s', () => {
    const values = write('values-events.yaml', block('# chart values'));
    const iso = helmTemplate([values]).isolationforest;
    expect(iso.service.pipelines['logs/anomalies'].receivers).toEqual(['anomaly_events']);
    expect(iso.service.pipelines['logs/anomalies'].exporters).toEqual(['otlp_grpc/events', 'otlp_http/anomaly-alerts']);
    expect(iso.exporters['otlp_http/anomaly-alerts'].logs_endpoint).toBe('http://victorialogs:9428/insert/opentelemetry/v1/logs');
  });
});
