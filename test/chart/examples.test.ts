// Every example of charts/mirador/README.md and of the original chart's README (the examples users
// follow; a verbatim copy in fixtures/original-chart-README.md) renders, passes `otelcol-mirador validate`,
// and takes effect: each component it defines is in a pipeline of its signal with its values in the
// rendered config, each value it sets shows in the rendered objects. A value this file has no check
// for fails the test, so a new example needs one.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  CHART, COLLECTOR, COMPONENTS, ROOT, configs, contains, named, ofKind, pipelinesWith, podEnv, render, requireCollector,
  validateAll, type Component, type K8sObject,
} from './helm.js';

// the original chart's README, as users have it (a verbatim copy: the test runs from any clone)
const ORIGINAL = join(import.meta.dirname, 'fixtures/original-chart-README.md');
const CHART_README = join(CHART, 'README.md');

interface Example { source: string; title: string; values?: Record<string, any>; text?: string; set?: Record<string, string> }

/** ```yaml blocks; a block holding several clusters' values is split at its `# Cluster X` lines. */
function yamlExamples(file: string, source: string): Example[] {
  const md = readFileSync(file, 'utf8');
  const out: Example[] = [];
  // headings and bold lead-ins outside code blocks name the examples
  const prose = md.replace(/```[\s\S]*?```/g, (b) => b.replace(/[^\n]/g, ' '));
  for (const m of md.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    const before = prose.slice(0, m.index);
    const heading = [...before.matchAll(/^#+ (.*)$/gm)].at(-1);
    const lead = [...before.matchAll(/\*\*([^*]+)\*\*/g)].filter((b) => b.index! > (heading?.index ?? 0)).at(-1)?.[1];
    const name = [heading?.[1], lead].filter(Boolean).join(': ');
    const parts = m[1].split(/^(?=# Cluster \w+\n)/m).filter((p) => parse(p) !== null);
    parts.forEach((text, i) => out.push({ source, title: `${out.length + 1}. ${name}${parts.length > 1 ? ` (${text.match(/^# (Cluster \w+)/)?.[1] ?? i + 1})` : ''}: ${Object.keys(parse(text)).join(', ')}`, values: parse(text), text }));
  }
  return out;
}

/** `--set a=b,c=d` in the README's text (inline code and commands). */
function setExamples(file: string, source: string): Example[] {
  const md = readFileSync(file, 'utf8');
  return [...md.matchAll(/--set ([^\s`]+)/g)].map((m) => ({
    source, title: `--set ${m[1]}`,
    set: Object.fromEntries(m[1].split(',').map((kv) => kv.split('=') as [string, string])),
  }));
}

const originalExamples = yamlExamples(ORIGINAL, 'original README');
const chartExamples = [...yamlExamples(CHART_README, 'chart README'), ...setExamples(CHART_README, 'chart README')];

// ---- what "takes effect" means, value by value ------------------------------------------------

const ROLE = /^(otlp|otlp_grpc|otlphttp|otlp_http)\/(logs|traces|metrics|victoriametrics|victoriatraces)$/;
const roleOf = (id: string) => ({ logs: 'logs', traces: 'traces', victoriatraces: 'traces', metrics: 'metrics', victoriametrics: 'metrics' } as Record<string, string>)[id.split('/')[1]];

let supported: Record<string, string[]> = {};

interface Rendered { objs: K8sObject[]; c: Partial<Record<Component, any>>; values: Record<string, any> }

/** Components that write a backend role in this render. */
function writers(r: Rendered, role: string): Component[] {
  const tracesBy = r.values.backends?.victoriaTraces?.exportedBy ?? 'gateway';
  if (role === 'traces') return [tracesBy as Component];
  if (role === 'logs') return ['gateway'];
  return r.c.isolationforest ? ['isolationforest'] : (COMPONENTS.filter((x) => r.c[x]) as Component[]);
}

function checkConfig(r: Rendered, comp: Component, config: Record<string, any>, checked: string[]): void {
  const cfg = r.c[comp];
  for (const kind of ['receivers', 'processors', 'exporters', 'connectors', 'extensions'] as const) {
    for (const [id, conf] of Object.entries<any>(config[kind] ?? {})) {
      const where = `${comp}.config.${kind}.${id}`;
      checked.push(where);
      if (kind === 'exporters' && ROLE.test(id)) {
        // the backend of its role, where that role is written
        const role = roleOf(id);
        for (const w of writers(r, role)) {
          expect(contains(r.c[w].exporters[id], conf ?? {}), `${where}: in ${w}'s exporters with its values`).toBe(true);
          expect(pipelinesWith(r.c[w], 'exporters', id).filter((p) => p.split('/')[0] === role), `${where}: in a ${role} pipeline of ${w}`).not.toEqual([]);
        }
        continue;
      }
      if (kind === 'extensions') {
        expect(cfg.service.extensions, where).toContain(id);
      } else {
        const lists = kind === 'connectors' ? ['exporters', 'receivers'] as const : [kind] as const;
        for (const l of lists) expect(pipelinesWith(cfg, l, id), `${where}: in a pipeline (${l})`).not.toEqual([]);
        if (kind === 'processors') {
          // each pipeline it joined is of a signal its type supports
          for (const p of pipelinesWith(cfg, 'processors', id)) expect(supported[id.split('/')[0]], `${where} in ${p}`).toContain(p.split('/')[0]);
        }
      }
      expect(contains(cfg[kind][id], conf ?? {}), `${where}: its values are in the rendered config\n${JSON.stringify(cfg[kind][id])}`).toBe(true);
    }
  }
  for (const [name, p] of Object.entries<any>(config.service?.pipelines ?? {})) {
    checked.push(`${comp}.config.service.pipelines.${name}`);
    expect(contains(cfg.service.pipelines[name], p), `${comp} pipeline ${name}`).toBe(true);
  }
  for (const k of Object.keys(config)) if (!['receivers', 'processors', 'exporters', 'connectors', 'extensions', 'service'].includes(k)) checked.push(`!unhandled ${comp}.config.${k}`);
}

const deployment = (r: Rendered, comp: string) => named(r.objs, 'Deployment', `mirador-${comp}`) ?? named(r.objs, 'StatefulSet', `mirador-${comp}`);
const container = (r: Rendered, comp: string) => deployment(r, comp)!.spec.template.spec.containers[0];

/** Checks each value of an example; returns the paths it checked ("!unhandled ..." for the rest). */
function checkValues(r: Rendered, values: Record<string, any>): string[] {
  const checked: string[] = [];
  for (const [key, v] of Object.entries<any>(values)) {
    if ((COMPONENTS as readonly string[]).includes(key)) {
      const comp = key as Component;
      for (const [k, cv] of Object.entries<any>(v)) {
        const at = `${comp}.${k}`;
        checked.push(at);
        if (k === 'enabled') expect(Boolean(deployment(r, comp)), at).toBe(cv);
        else if (k === 'replicaCount') expect(deployment(r, comp)!.spec.replicas, at).toBe(cv);
        else if (k === 'resources') expect(contains(container(r, comp).resources, cv), at).toBe(true);
        else if (k === 'config') checkConfig(r, comp, cv, checked);
        else if (k === 'processor') {
          expect(contains(r.c.isolationforest.processors.isolationforest, cv), at).toBe(true);
          // events off: nothing of the anomaly events path is rendered
          if (cv.events?.enabled === false) expect(r.c.isolationforest.receivers.anomaly_events, at).toBeUndefined();
        } else if (k === 'persistence') {
          const sts = named(r.objs, 'StatefulSet', `mirador-${comp}`);
          expect(Boolean(sts), at).toBe(Boolean(cv.enabled));
          if (sts) {
            const claim = sts.spec.volumeClaimTemplates[0].spec;
            if (cv.size) expect(claim.resources.requests.storage, at).toBe(cv.size);
            if (cv.storageClassName !== undefined) expect(claim.storageClassName, at).toBe(cv.storageClassName);
            expect(r.c[comp].processors.isolationforest.storage, at).toBe('file_storage/isolationforest');
          }
        } else if (k === 'anomalyEvents') {
          expect(pipelinesWith(r.c.isolationforest, 'exporters', 'otlp_grpc/events'), at).toEqual(['logs/anomalies']);
          expect(contains(r.c.isolationforest.exporters['otlp_grpc/events'], cv), at).toBe(true);
        }
        else if (k === 'image') expect(container(r, comp).image, at).toContain(cv.tag ?? cv.repository);
        else if (k === 'networkPolicy') {
          const np = named(r.objs, 'NetworkPolicy', `mirador-${comp}`);
          expect(Boolean(np), at).toBe(cv.enabled);
          for (const peer of cv.allowIngressFrom ?? []) expect(np!.spec.ingress[0].from, at).toContainEqual(peer);
        } else checked.push(`!unhandled ${at}`);
      }
      continue;
    }
    checked.push(key);
    if (key === 'listenHost') {
      for (const comp of COMPONENTS) for (const p of Object.values<any>(r.c[comp].receivers.otlp.protocols)) expect(p.endpoint.startsWith(`${v}:`), `${comp} receiver`).toBe(true);
    } else if (key === 'batch') {
      for (const comp of COMPONENTS) expect(contains(r.c[comp].processors.batch, v), `${comp} batch`).toBe(true);
    } else if (key === 'sampling') {
      expect(r.c.gateway.processors.probabilistic_sampler).toEqual({ sampling_percentage: v.percentage });
      expect(pipelinesWith(r.c.gateway, 'processors', 'probabilistic_sampler')).toEqual(['traces/store']);
    } else if (key === 'image') {
      for (const comp of COMPONENTS) {
        const ctr = container(r, comp);
        if (v.repository) expect(ctr.image.startsWith(`${v.repository}:`)).toBe(true);
        if (v.tag) expect(ctr.image.endsWith(`:${v.tag}`)).toBe(true);
        if (v.pullPolicy) expect(ctr.imagePullPolicy).toBe(v.pullPolicy);
      }
    } else if (key === 'backends') {
      for (const [b, bv] of Object.entries<any>(v)) {
        if (b === 'victoriaMetrics') for (const w of writers(r, 'metrics')) expect(r.c[w].exporters['otlp_http/victoriametrics'].metrics_endpoint).toBe(bv.endpoint);
        else if (b === 'victoriaTraces') for (const w of writers(r, 'traces')) expect(r.c[w].exporters['otlp_http/victoriatraces'].traces_endpoint).toBe(bv.endpoint);
        else if (b === 'logs' && bv.exporter === 'otlp') {
          expect(r.c.gateway.service.pipelines.logs.exporters).toEqual(['otlp_grpc/logs']);
          expect(r.c.gateway.exporters['otlp_grpc/logs'].endpoint).toBe(bv.otlp.endpoint);
        } else checked.push(`!unhandled backends.${b}`);
      }
    } else if (key === 'loadBalancing') {
      const lbs = COMPONENTS.flatMap((comp) => Object.entries<any>(r.c[comp].exporters).filter(([id]) => id.startsWith('loadbalancing/')).map(([, e]) => e));
      expect(lbs.length).toBeGreaterThan(0);
      for (const [k, lv] of Object.entries<any>(v)) {
        if (k === 'resolver') for (const e of lbs) expect(Object.keys(e.resolver)).toEqual([lv]);
        else if (k === 'metricsRoutingKey') expect(r.c.gateway.exporters['loadbalancing/isolationforest'].routing_key).toBe(lv);
        else if (k === 'tls') {
          for (const e of lbs) {
            expect(e.protocol.otlp.tls.insecure).toBe(!lv.enabled);
            expect(Boolean(e.protocol.otlp.tls.cert_file)).toBe(Boolean(lv.mutual));
          }
          for (const comp of COMPONENTS) expect(deployment(r, comp)!.spec.template.spec.volumes).toContainEqual({ name: 'tls', secret: { secretName: lv.secretName } });
        } else checked.push(`!unhandled loadBalancing.${k}`);
      }
    } else checked.push(`!unhandled ${key}`);
  }
  return checked;
}

// ---- the tests ---------------------------------------------------------------------------------

let dir: string;
beforeAll(async () => {
  requireCollector();
  dir = mkdtempSync(join(tmpdir(), 'mirador-examples-'));
  const { stdout } = await promisify(execFile)(COLLECTOR, ['components'], { env: podEnv() });
  supported = Object.fromEntries((parse(stdout).processors as Array<{ name: string; stability: Record<string, string> }>)
    .map((p) => [p.name, Object.entries(p.stability).filter(([, s]) => s !== 'Undefined').map(([s]) => s)]));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

let n = 0;
async function renderExample(e: Example): Promise<Rendered> {
  const files: string[] = [];
  const text = e.text ?? (e.values ? stringify(e.values) : undefined);
  if (text !== undefined) {
    const f = join(dir, `example-${n++}.yaml`);
    writeFileSync(f, text);
    files.push(f);
  }
  const objs = await render({ files, set: e.set });
  const values: Record<string, any> = e.values ?? {};
  for (const [k, v] of Object.entries(e.set ?? {})) {
    const keys = k.split('.');
    let o = values;
    for (const p of keys.slice(0, -1)) o = (o[p] ??= {});
    // as helm --set reads them: integers and booleans
    o[keys.at(-1)!] = /^\d+$/.test(v) ? Number(v) : v === 'true' || v === 'false' ? v === 'true' : v;
  }
  return { objs, c: configs(objs), values };
}

for (const [group, examples] of [['the original chart README', originalExamples], ['the chart README', chartExamples]] as const) {
  describe(`every example of ${group} renders, validates and takes effect`, () => {
    it('has examples', () => {
      expect(existsSync(group === 'the chart README' ? CHART_README : ORIGINAL)).toBe(true);
      expect(examples.length).toBeGreaterThan(group === 'the chart README' ? 15 : 10);
    });
    for (const e of examples) {
      it(e.title, async () => {
        const r = await renderExample(e);
        expect(await validateAll(r.objs)).toEqual([]);
        const checked = checkValues(r, r.values);
        expect(checked.filter((c) => c.startsWith('!')), 'values this test has no check for').toEqual([]);
        expect(checked.length).toBeGreaterThan(0);
      });
    }
  });
}

describe('the chart README shows the original README\'s examples', () => {
  it('each of them, verbatim', () => {
    const readme = readFileSync(CHART_README, 'utf8');
    const blocks = [...readFileSync(ORIGINAL, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThan(10);
    for (const b of blocks) expect(readme, b.slice(0, 80)).toContain(b);
  });

  it('the checks have teeth: a no-op component fails them', async () => {
    // an exporter the chart would leave out of every pipeline is refused at render time; were it
    // rendered, checkConfig would find it in no pipeline
    const r = await renderExample({ source: 'test', title: 'teeth', values: { gateway: { config: { exporters: { debug: {} } } } } })
      .then(() => 'rendered', (e: Error) => e.message);
    expect(r).toMatch(/gateway.config.exporters.debug is in no pipeline/);
    const fake: Rendered = { objs: await render(), c: configs(await render()), values: {} };
    expect(() => checkConfig(fake, 'gateway', { processors: { attributes: { actions: [] } } }, [])).toThrow(/in a pipeline/);
    expect(() => checkValues(fake, { isolationforest: { replicaCount: 5 } })).toThrow();
    expect(checkValues(fake, { somethingNew: 1 })).toContain('!unhandled somethingNew');
    void ofKind;
  });
});
