// One source of truth for the limits of our own components: whatever values.schema.json and the
// chart's render-time rules (files/limits/*.yaml) accept, the isolationforest processor's and the
// cassandra_logs exporter's own Validate accept, and whatever they refuse, Validate refuses.
// Nothing below lists the limits: the probes are derived from the schema (every key with a numeric
// range, an enum, a const or a pattern of a known kind), from the rule files, and from the
// components' README option tables, so a range or option changed on either side fails here until
// the other side follows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CHART, ROOT, configs, configTexts, render, tryRender, validateConfig } from './helm.js';

type Schema = Record<string, any>;
const schema: Schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8'));
const resolveRef = (s: Schema): Schema => (s?.$ref ? resolveRef(schema.definitions[s.$ref.replace('#/definitions/', '')]) : s);
const refName = (s: Schema): string | undefined => s?.$ref?.replace('#/definitions/', '');

/** chartOnly: a bound of the chart's own (x-chart-limit in the schema: e.g. Helm's float64 numbers), beyond which only the chart refuses. */
interface Probe { path: string; value: unknown; why: string; chartOnly?: boolean }

/** Values of a pattern-checked string kind (by definition name) on both sides of its limits. */
const PATTERN_PROBES: Record<string, unknown[]> = {
  hostPort: ['cassandra:1', 'cassandra:65535', '[::1]:9042', 'cassandra:0', 'cassandra:65536', 'cassandra', ':9042'],
  cqlName: ['a'.repeat(48), 'a'.repeat(49), 'Logs_2', '2logs', 'my-logs'],
  duration: ['0s', '10s', '1h30m', '500ms', '10d', '-1s'],
};

/** Probes of one schema node at `path`: at and just beyond each bound, each enum member and a non-member. */
function probesOf(path: string, node: Schema): Probe[] {
  const kind = refName(node);
  const s = resolveRef(node);
  if (kind && PATTERN_PROBES[kind]) return PATTERN_PROBES[kind].map((value) => ({ path, value, why: `${kind} ${JSON.stringify(value)}` }));
  const out: Probe[] = [];
  for (const branch of s.anyOf ?? s.oneOf ?? []) out.push(...probesOf(path, branch));
  if ('const' in s) out.push({ path, value: s.const, why: 'const' }, { path, value: typeof s.const === 'number' ? s.const + 1e-6 : `${s.const}x`, why: 'next to const' });
  if (s.enum) out.push(...s.enum.map((value: unknown) => ({ path, value, why: 'enum member' })), { path, value: 'NOT_A_MEMBER', why: 'not an enum member' });
  if (s.type === 'integer' || s.type === 'number') {
    const step = (b: number) => (s.type === 'integer' ? 1 : Math.max(Math.abs(b) * 1e-6, 1e-9));
    if ('minimum' in s) out.push({ path, value: s.minimum, why: 'minimum' }, { path, value: s.minimum - step(s.minimum), why: 'below minimum' });
    if ('exclusiveMinimum' in s) out.push({ path, value: s.exclusiveMinimum, why: 'exclusiveMinimum' }, { path, value: s.exclusiveMinimum + step(s.exclusiveMinimum), why: 'above exclusiveMinimum' });
    if ('exclusiveMaximum' in s) out.push({ path, value: s.exclusiveMaximum, why: 'exclusiveMaximum' }, { path, value: s.exclusiveMaximum - step(s.exclusiveMaximum), why: 'below exclusiveMaximum' });
    if ('maximum' in s) out.push({ path, value: s.maximum, why: 'maximum' }, { path, value: s.maximum + step(s.maximum), why: 'above maximum', chartOnly: s['x-chart-limit'] === true });
    // no upper bound in the schema: the component must take a large value too
    else if (!('exclusiveMaximum' in s)) out.push({ path, value: s.type === 'integer' ? 2 ** 31 - 1 : 1e12, why: 'large (no maximum in the schema)' });
  }
  if (s.type === 'object' && s.properties) for (const [k, child] of Object.entries<Schema>(s.properties)) out.push(...probesOf(`${path}.${k}`, child));
  if (s.type === 'array' && s.items) for (const p of probesOf(`${path}[0]`, s.items)) out.push({ ...p, path, value: [p.value] });
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) {
    for (const p of probesOf(`${path}.dc1`, s.additionalProperties)) out.push(p);
  }
  return out;
}

function setAt(obj: Record<string, any>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {});
  if (value === undefined) delete o[keys.at(-1)!];
  else o[keys.at(-1)!] = value;
}

/** One of our components as the chart exposes it. */
interface Target {
  name: string;
  component: 'isolationforest' | 'gateway';
  kind: 'processors' | 'exporters';
  id: string;
  /** values path of the schema node (dotted) and the schema node */
  valuesPath: string;
  node: Schema;
  /** component option for a values key below valuesPath (undefined: drop the key) */
  option?: (key: string, value: unknown) => [string, unknown];
}

const cassandraValues = schema.properties.backends.properties.cassandra;
const targets: Target[] = [
  { name: 'isolationforest processor (isolationforest.processor)', component: 'isolationforest', kind: 'processors', id: 'isolationforest', valuesPath: 'isolationforest.processor', node: schema.definitions.processor },
  { name: 'cassandra_logs exporter (gateway.config.exporters.cassandra_logs)', component: 'gateway', kind: 'exporters', id: 'cassandra_logs', valuesPath: 'gateway.config.exporters.cassandra_logs', node: schema.definitions.cassandraExporter },
  {
    name: 'cassandra_logs exporter (backends.cassandra)', component: 'gateway', kind: 'exporters', id: 'cassandra_logs', valuesPath: 'backends.cassandra',
    node: { type: 'object', properties: Object.fromEntries(Object.entries<Schema>(cassandraValues.properties).filter(([k]) => !['auth', 'tls'].includes(k))) },
    // the chart's names for the exporter's options; an empty consistency leaves the exporter's default
    option: (key, value) => [key === 'traceIdIndex' ? 'trace_id_index' : key, key === 'consistency' && value === '' ? undefined : value],
  },
];

let baseConfig: ReturnType<typeof configs>;
beforeAll(async () => { baseConfig = configs(await render()); });

/** What the component itself says of a value: its option injected into the default rendered config. */
async function componentVerdict(t: Target, key: string, value: unknown): Promise<{ ok: boolean; output: string }> {
  const cfg = structuredClone(baseConfig[t.component]);
  const conf = (cfg[t.kind][t.id] ??= {});
  if (key.startsWith('replication.')) conf.replication = replicationFor(key, value);
  else {
    const [opt, v] = t.option ? t.option(key, value) : [key, value];
    setAt(conf, opt, v);
  }
  return validateConfig(stringify(cfg));
}

/** A whole replication setting around one probed key (a class needs its own companion key). */
function replicationFor(key: string, value: unknown): Record<string, unknown> {
  if (key === 'replication.class') return value === 'NetworkTopologyStrategy' ? { class: value, datacenters: { dc1: 1 } } : { class: value, replication_factor: 1 };
  if (key.startsWith('replication.datacenters')) return { class: 'NetworkTopologyStrategy', datacenters: { dc1: value } };
  return { class: 'SimpleStrategy', [key.split('.')[1]]: value };
}

/** What the chart says (helm's verdict), and when it renders, what the component says of the rendered config. */
async function chartVerdict(t: Target, key: string, value: unknown): Promise<{ ok: boolean; output: string; rendered?: any; own?: { ok: boolean; output: string } }> {
  const setJson: Record<string, unknown> = key.startsWith('replication.')
    ? { [`${t.valuesPath}.replication`]: replicationFor(key, value) }
    : { [`${t.valuesPath}.${key}`]: value };
  const r = await tryRender({ setJson });
  if (!r.ok) return { ok: false, output: r.stderr };
  const own = await validateConfig(configTexts(r.objs)[t.component]!);
  return { ok: true, output: r.stderr, own, rendered: configs(r.objs)[t.component][t.kind][t.id] };
}

/** Two at a time: the machine has two cores. */
async function pairwise<T, R>(items: T[], f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += 2) out.push(...(await Promise.all(items.slice(i, i + 2).map(f))));
  return out;
}

for (const t of targets) {
  describe(`${t.name}: the chart and the component agree`, () => {
    const probes = probesOf(t.valuesPath, t.node).map((p) => ({ ...p, key: p.path.slice(t.valuesPath.length + 1) }));

    it('on every bound, enum member and pattern of the schema', async () => {
      expect(probes.length).toBeGreaterThan(10);
      const results = await pairwise(probes, async (p) => {
        const chart = await chartVerdict(t, p.key, p.value);
        // the component judges what the chart rendered, or (when the chart refused) the value set directly
        const own = chart.own ?? (await componentVerdict(t, p.key, p.value));
        return { p, chart, own };
      });
      for (const r of results.filter((x) => x.p.chartOnly)) expect(r.chart.ok, `${r.p.key}=${r.p.value}: beyond the chart's own limit`).toBe(false);
      const disagreements = results.filter((r) => !r.p.chartOnly && r.chart.ok !== r.own.ok).map((r) =>
        `${r.p.key}=${JSON.stringify(r.p.value)} (${r.p.why}): chart ${r.chart.ok ? 'accepts' : 'refuses'}, component ${r.own.ok ? 'accepts' : `refuses: ${r.own.output.trim().split('\n').at(-1)}`}`);
      expect(disagreements).toEqual([]);
      // the probes reach both sides of the limits, and what the chart accepts is what it renders
      expect(results.some((r) => r.chart.ok) && results.some((r) => !r.chart.ok)).toBe(true);
      const accepted = results.filter((x) => x.chart.ok);
      for (const r of accepted) {
        const [opt, v] = t.option ? t.option(r.p.key, r.p.value) : [r.p.key, r.p.value];
        const rendered = opt.startsWith('replication') ? r.chart.rendered.replication : opt.split('.').reduce((o: any, k) => o?.[k], r.chart.rendered);
        if (v === undefined) expect(rendered, `${r.p.key} left out`).toBeUndefined();
        else if (opt.startsWith('replication')) expect(rendered, `${opt} rendered`).toMatchObject(replicationFor(r.p.key, r.p.value));
        else expect(rendered, `${opt} rendered`).toEqual(v);
      }
      // a refusal by the chart names the key
      for (const r of results.filter((x) => !x.chart.ok)) expect(r.chart.output, `${r.p.key}=${JSON.stringify(r.p.value)}`).toContain(r.p.key.split('.')[0]);
    }, 300_000);
  });
}

// ---- limits across options (files/limits/<type>.yaml), probed at and beyond each rule -----------
const processorLimits = parse(readFileSync(join(CHART, 'files/limits/isolationforest.yaml'), 'utf8'));
const exporterLimits = parse(readFileSync(join(CHART, 'files/limits/cassandra_logs.yaml'), 'utf8'));
const processorTarget = targets[0];
const exporterTarget = targets[1];

const NO_DEFAULT = Symbol('no literal default');

/** The option table of a component README: option -> default (parsed as YAML), NO_DEFAULT when documented in words. */
function optionTable(readme: string, exporterMarkers: boolean): Record<string, unknown> {
  let text = readFileSync(join(ROOT, readme), 'utf8');
  if (exporterMarkers) text = text.slice(text.indexOf('<!-- options:begin'), text.indexOf('<!-- options:end'));
  else text = text.slice(text.indexOf('\n## Options\n'), text.indexOf('\n## ', text.indexOf('\n## Options\n') + 5));
  // an option (nested ones as a::b or a.b) and its default: a literal in backticks, or words (no default)
  const out: Record<string, unknown> = {};
  for (const m of text.matchAll(/^\| `([a-z_.:]+)` \| ([^|]*?) \|/gm)) {
    const literal = m[2].match(/^`([^`]*)`$/);
    out[m[1].replace(/::/g, '.')] = literal ? parse(literal[1] === '' ? '""' : literal[1]) : NO_DEFAULT;
  }
  return out;
}
const PROCESSOR_README = 'collector-builder/isolationforestprocessor/README.md';
const EXPORTER_README = 'collector-builder/cassandralogsexporter/README.md';

describe('limits across options (files/limits)', () => {
  it('the defaults the rules read are the processor\'s (its README option table)', () => {
    const table = optionTable(PROCESSOR_README, false);
    for (const [k, v] of Object.entries(processorLimits.defaults)) expect(table[k], k).toEqual(v);
  });

  it('each rule holds at its bound and fails beyond it, for the chart and the component alike', async () => {
    const cases: Array<{ t: Target; values: Record<string, unknown>; why: string }> = [];
    const opt = (k: string) => resolveRef(schema.definitions.processor.properties[k]);
    for (const [a, b] of processorLimits.atLeast) {
      // the smallest step of these options, and a value inside both their ranges
      const integer = opt(a).type === 'integer' && opt(b).type === 'integer';
      const step = integer ? 1 : 1e-3;
      const lo = Math.max(opt(a).minimum ?? opt(a).exclusiveMinimum ?? 0, opt(b).minimum ?? opt(b).exclusiveMinimum ?? 0);
      const hi = Math.min(opt(a).maximum ?? opt(a).exclusiveMaximum ?? Infinity, opt(b).maximum ?? opt(b).exclusiveMaximum ?? Infinity);
      const both = integer ? Math.min(Math.max(1024, lo + 1), hi - 1) : (lo + hi) / 2;
      const [da, db] = [processorLimits.defaults[a], processorLimits.defaults[b]];
      cases.push({ t: processorTarget, values: { [a]: db }, why: `${a} = ${b}'s default` });
      cases.push({ t: processorTarget, values: { [a]: db - step }, why: `${a} just below ${b}'s default` });
      cases.push({ t: processorTarget, values: { [b]: da }, why: `${b} = ${a}'s default` });
      cases.push({ t: processorTarget, values: { [b]: da + step }, why: `${b} just above ${a}'s default` });
      cases.push({ t: processorTarget, values: { [b]: both, [a]: both }, why: `${a} = ${b}, both set` });
      cases.push({ t: processorTarget, values: { [b]: both, [a]: both - step }, why: `${a} < ${b}, both set` });
    }
    for (const { of, max } of processorLimits.maxProduct ?? []) {
      cases.push({ t: processorTarget, values: { [of[0]]: max / processorLimits.defaults[of[1]] }, why: `${of.join(' x ')} = ${max}` });
      cases.push({ t: processorTarget, values: { [of[0]]: max / processorLimits.defaults[of[1]] + 1 }, why: `${of.join(' x ')} > ${max}` });
    }
    const seconds = (d: string) => [...d.matchAll(/([\d.]+)(ms|s|m|h)/g)].reduce((x, [, v, u]) => x + Number(v) * ({ ms: 1e-3, s: 1, m: 60, h: 3600 } as Record<string, number>)[u], 0);
    for (const [t, lim] of [[processorTarget, processorLimits], [exporterTarget, exporterLimits]] as const) {
      for (const [opt, bound] of Object.entries<any>(lim.durations ?? {})) {
        if (bound.max) cases.push({ t, values: { [opt]: bound.max }, why: 'max' }, { t, values: { [opt]: `${seconds(bound.max) + 1}s` }, why: 'max + 1s' });
        if (bound.min) cases.push({ t, values: { [opt]: bound.min }, why: 'min' }, { t, values: { [opt]: `${seconds(bound.min) * 1000 - 1}ms` }, why: 'min - 1ms' });
        if (bound.wholeSeconds) cases.push({ t, values: { [opt]: '1500ms' }, why: 'not whole seconds' }, { t, values: { [opt]: '90s' }, why: 'whole seconds' });
        if (bound.positive) cases.push({ t, values: { [opt]: '0s' }, why: 'zero' }, { t, values: { [opt]: '1ms' }, why: 'positive' });
      }
    }
    expect(cases.length).toBeGreaterThan(8);
    const disagreements: string[] = [];
    await pairwise(cases, async ({ t, values, why }) => {
      const setJson = Object.fromEntries(Object.entries(values).map(([k, v]) => [`${t.valuesPath}.${k}`, v]));
      const chart = await tryRender({ setJson });
      const chartOk = chart.ok;
      const cfg = structuredClone(baseConfig[t.component]);
      Object.assign((cfg[t.kind][t.id] ??= {}), values);
      const own = await validateConfig(chart.ok ? configTexts(chart.objs)[t.component]! : stringify(cfg));
      if (chartOk !== own.ok) disagreements.push(`${t.id} ${JSON.stringify(values)} (${why}): chart ${chartOk ? 'accepts' : 'refuses'}, component ${own.ok ? 'accepts' : 'refuses'}`);
      if (!chart.ok) for (const k of Object.keys(values)) expect(chart.stderr, why).toContain(k);
    });
    expect(disagreements).toEqual([]);
  }, 300_000);

  it('one forest\'s memory: at the largest trees the processor takes (found by asking it) the chart accepts, one more it refuses', async () => {
    expect(processorLimits.forestBytes, 'files/limits/isolationforest.yaml has the forest memory rule').toBeDefined();
    const own = async (values: Record<string, number>) => {
      const cfg = structuredClone(baseConfig.isolationforest);
      cfg.processors.isolationforest = values;
      return (await validateConfig(stringify(cfg))).ok;
    };
    const treesMax = resolveRef(schema.definitions.processor.properties.trees).maximum;
    const found: string[] = [];
    for (const [sample_size, window_size] of [[65536, 65536], [65536, 1048576], [4096, 1048576], [256, 2048]]) {
      // binary search, on the processor alone, for the largest trees it accepts with these two
      let lo = 0, hi = treesMax + 1;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (await own({ trees: mid, sample_size, window_size })) lo = mid; else hi = mid;
      }
      found.push(`sample_size ${sample_size}, window_size ${window_size}: trees <= ${lo}`);
      if (lo >= 1) {
        const at = await tryRender({ setJson: { 'isolationforest.processor': { trees: lo, sample_size, window_size } } });
        expect(at.ok, `trees=${lo}, sample_size=${sample_size}, window_size=${window_size}: ${at.stderr}`).toBe(true);
      }
      if (lo < treesMax) {
        const beyond = await tryRender({ setJson: { 'isolationforest.processor': { trees: lo + 1, sample_size, window_size } } });
        expect(beyond.ok, `trees=${lo + 1}, sample_size=${sample_size}, window_size=${window_size}`).toBe(false);
        expect(beyond.stderr).toMatch(/trees=.*sample_size=.*window_size=.* make one forest \d+ MiB, more than the \d+ MiB/);
      }
    }
    console.log(`forest memory limit, found by asking the processor: ${found.join('; ')}`);
    // the search reached the limit at least once (not only the schema's maximum)
    expect(found.some((f) => !f.endsWith(`<= ${treesMax}`))).toBe(true);
  }, 300_000);

  it('the corners of the processor\'s ranges (all at minimum, all at maximum, one against the others) agree: a limit across options the chart does not know shows up here', async () => {
    const ranged = Object.entries<Schema>(schema.definitions.processor.properties)
      .map(([k, s]) => [k, resolveRef(s)] as const)
      .filter(([, s]) => (s.type === 'integer' || s.type === 'number') && 'minimum' in s && 'maximum' in s);
    expect(ranged.length).toBeGreaterThan(4);
    const lo = Object.fromEntries(ranged.map(([k, s]) => [k, s.minimum]));
    const hi = Object.fromEntries(ranged.map(([k, s]) => [k, s.maximum]));
    const corners: Array<[string, Record<string, unknown>]> = [['all at minimum', lo], ['all at maximum', hi]];
    for (const [k] of ranged) {
      corners.push([`${k} at maximum, the rest at minimum`, { ...lo, [k]: hi[k] }]);
      corners.push([`${k} at minimum, the rest at maximum`, { ...hi, [k]: lo[k] }]);
    }
    const disagreements: string[] = [];
    let accepted = 0;
    await pairwise(corners, async ([why, values]) => {
      const setJson = { 'isolationforest.processor': values };
      const chart = await tryRender({ setJson });
      const chartOk = chart.ok;
      const cfg = structuredClone(baseConfig.isolationforest);
      cfg.processors.isolationforest = values;
      const own = await validateConfig(chart.ok ? configTexts(chart.objs).isolationforest! : stringify(cfg));
      if (chartOk) accepted++;
      if (chartOk !== own.ok) disagreements.push(`${why}: chart ${chartOk ? 'accepts' : `refuses (${chart.stderr.trim().split('\n').at(-1)})`}, processor ${own.ok ? 'accepts' : `refuses: ${own.output.trim().split('\n').at(-1)}`}`);
    });
    expect(disagreements).toEqual([]);
    expect(accepted).toBeGreaterThan(0);
  }, 300_000);
});

describe('every option of the README option tables is known to the schema', () => {
  for (const [name, readme, markers, valuesPath, component, kind, id] of [
    ['isolationforest processor', PROCESSOR_README, false, 'isolationforest.processor', 'isolationforest', 'processors', 'isolationforest'],
    ['cassandra_logs exporter', EXPORTER_README, true, 'gateway.config.exporters.cassandra_logs', 'gateway', 'exporters', 'cassandra_logs'],
  ] as const) {
    it(`${name}: each option, set to its documented default, renders and validates`, async () => {
      const table = optionTable(readme, markers);
      expect(Object.keys(table).length).toBeGreaterThan(10);
      const failures: string[] = [];
      await pairwise(Object.entries(table).filter(([, v]) => v !== NO_DEFAULT), async ([key, value]) => {
        const setJson = { [`${valuesPath}.${key}`]: value };
        const r = await tryRender({ setJson });
        if (!r.ok) { failures.push(`${key}=${JSON.stringify(value)}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`); return; }
        const v = await validateConfig(configTexts(r.objs)[component]!);
        if (!v.ok) failures.push(`${key}=${JSON.stringify(value)}: validate: ${v.output.trim().split('\n').at(-1)}`);
      });
      expect(failures).toEqual([]);
    }, 300_000);

    it(`${name}: the schema and the README have the same options`, () => {
      const table = optionTable(readme, markers);
      const documented = new Set(Object.keys(table).map((k) => k.split('.')[0]));
      const def = kind === 'processors' ? schema.definitions.processor : schema.definitions.cassandraExporter;
      expect(Object.keys(def.properties).filter((k) => !documented.has(k)), 'in the schema, not in the README').toEqual([]);
      // every documented option (nested ones too) is a key of the schema
      const known = (path: string[]) => path.reduce<Schema | undefined>((s, k) => { const r = s && resolveRef(s); return r?.properties?.[k] ?? (r?.type === 'object' && !r.properties ? r : undefined); }, def);
      expect(Object.keys(table).filter((k) => !known(k.split('.'))), 'in the README, not in the schema').toEqual([]);
      void component; void id;
    });
  }

  it('the chart repeats none of the processor\'s defaults (it applies them itself)', () => {
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    expect(values.isolationforest.processor).toEqual({});
    expect(baseConfig.isolationforest.processors.isolationforest).toEqual({});
  });
});

