// Helpers for the chart suite: run the pinned helm, render the chart, pick objects and collector configs.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export const ROOT = resolve(import.meta.dirname, '../..');
export const CHART = join(ROOT, 'charts/mirador');
export const HELM = join(ROOT, '.tools/bin/helm');
export const COLLECTOR = join(ROOT, 'build/otelcol-mirador');
export const COMPONENTS = ['gateway', 'servicegraph', 'spanmetrics', 'isolationforest'] as const;
export type Component = (typeof COMPONENTS)[number];
export const RELEASE = 'mirador';
export const NAMESPACE = 'miradorstack';

/** The chart's option-group value files (ci/*.yaml) plus the local profile, as paths. */
export const CI_VALUES = readdirSync(join(CHART, 'ci'))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => join(CHART, 'ci', f));
export const LOCAL_PROFILE = join(CHART, 'profiles/local.yaml');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

export interface HelmResult { code: number; stdout: string; stderr: string }

export function requireHelm(): void {
  if (!existsSync(HELM)) throw new Error(`${HELM} is missing: run \`bash scripts/tools.sh helm\` (npm test does it)`);
}

export async function helm(args: string[]): Promise<HelmResult> {
  requireHelm();
  try {
    const { stdout, stderr } = await run(HELM, args, { cwd: ROOT, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e: any) {
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(e) };
  }
}

export interface RenderOptions { files?: string[]; set?: Record<string, string | number | boolean>; setString?: Record<string, string>; setJson?: Record<string, unknown> }

function valueArgs(opts: RenderOptions): string[] {
  const args: string[] = [];
  for (const f of opts.files ?? []) args.push('-f', f);
  for (const [k, v] of Object.entries(opts.set ?? {})) args.push('--set', `${k}=${v}`);
  for (const [k, v] of Object.entries(opts.setString ?? {})) args.push('--set-string', `${k}=${v}`);
  for (const [k, v] of Object.entries(opts.setJson ?? {})) args.push('--set-json', `${k}=${JSON.stringify(v)}`);
  return args;
}

/** `helm template`; resolves with the result (non-zero code for schema or template failures). */
export function template(opts: RenderOptions = {}): Promise<HelmResult> {
  return helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, ...valueArgs(opts)]);
}

export function lint(opts: RenderOptions = {}): Promise<HelmResult> {
  return helm(['lint', CHART, '--strict', ...valueArgs(opts)]);
}

const rendered = new Map<string, Promise<HelmResult>>();

/** Renders and parses every object; throws with helm's message when rendering fails.
 *  The same values render once per test file (helm is the slow part); each call gets its own objects. */
export async function render(opts: RenderOptions = {}): Promise<K8sObject[]> {
  const key = JSON.stringify(opts);
  if (!rendered.has(key)) rendered.set(key, template(opts));
  const r = await rendered.get(key)!;
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => {
      if (d.errors.length) throw new Error(`rendered YAML does not parse: ${d.errors[0].message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** Renders once (cached like render); resolves with helm's verdict and, when it rendered, the objects. */
export async function tryRender(opts: RenderOptions = {}): Promise<{ ok: boolean; stderr: string; objs: K8sObject[] }> {
  const key = JSON.stringify(opts);
  if (!rendered.has(key)) rendered.set(key, template(opts));
  const r = await rendered.get(key)!;
  if (r.code !== 0) return { ok: false, stderr: r.stderr, objs: [] };
  return { ok: true, stderr: r.stderr, objs: await render(opts) };
}

export const ofKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
export const named = (objs: K8sObject[], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name);

/** Collector configs by component, parsed from each ConfigMap's relay.yaml. */
export function configs(objs: K8sObject[]): Partial<Record<Component, any>> {
  const out: Partial<Record<Component, any>> = {};
  for (const cm of ofKind(objs, 'ConfigMap')) {
    const component = cm.metadata.labels?.['app.kubernetes.io/component'] as Component;
    out[component] = parse(cm.data['relay.yaml']);
  }
  return out;
}

/** Raw relay.yaml text by component. */
export function configTexts(objs: K8sObject[]): Partial<Record<Component, string>> {
  const out: Partial<Record<Component, string>> = {};
  for (const cm of ofKind(objs, 'ConfigMap')) out[cm.metadata.labels!['app.kubernetes.io/component'] as Component] = cm.data['relay.yaml'];
  return out;
}

const CONNECTORS = new Set(['servicegraph', 'spanmetrics', 'forward']);
const typeOf = (id: string) => id.split('/')[0];

/** Exporters (by component/id) that send traces out of the release: traces pipelines' exporters that
 *  are neither connectors nor load-balancing hops to another component. */
export function traceWriters(cfgs: Partial<Record<Component, any>>): string[] {
  const writers = new Set<string>();
  for (const [component, cfg] of Object.entries(cfgs)) {
    for (const [pipeline, p] of Object.entries<any>(cfg.service?.pipelines ?? {})) {
      if (pipeline.split('/')[0] !== 'traces') continue;
      for (const id of p.exporters ?? []) {
        if (CONNECTORS.has(typeOf(id)) || ['loadbalancing', 'load_balancing'].includes(typeOf(id))) continue;
        writers.add(`${component}/${id}`);
      }
    }
  }
  return [...writers];
}

// ---- otelcol-mirador validate ------------------------------------------------------------------

// What a pod has: MY_POD_IP from the downward API, Cassandra credentials from the Secret, and API
// credentials (the k8s resolver builds its Kubernetes client while `validate` builds the pipelines;
// here a kubeconfig stands in for the ServiceAccount: the client is created, never connected).
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: validate, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: validate, user: {token: unused}}]
contexts: [{name: validate, context: {cluster: validate, user: validate, namespace: miradorstack}}]
current-context: validate
`;
let validateDir: string | undefined;
let validateN = 0;

export function requireCollector(): void {
  if (!existsSync(COLLECTOR)) throw new Error(`${COLLECTOR} is missing: run \`npm run build:collector\` (npm test does it)`);
}

/** Environment of `validate` and of locally run collectors: what the pod would have. */
export function podEnv(): NodeJS.ProcessEnv {
  if (!validateDir) {
    validateDir = mkdtempSync(join(tmpdir(), 'mirador-validate-'));
    writeFileSync(join(validateDir, 'kubeconfig'), KUBECONFIG);
    process.once('exit', () => rmSync(validateDir!, { recursive: true, force: true }));
  }
  return { ...process.env, MY_POD_IP: '10.1.2.3', CASSANDRA_USERNAME: 'mirador', CASSANDRA_PASSWORD: 'secret', KUBECONFIG: join(validateDir, 'kubeconfig') };
}

/** `build/otelcol-mirador validate` of one collector config (YAML text). */
export async function validateConfig(text: string): Promise<{ ok: boolean; output: string }> {
  requireCollector();
  const env = podEnv();
  const file = join(validateDir!, `relay-${process.pid}-${validateN++}.yaml`);
  writeFileSync(file, text);
  try {
    const { stdout, stderr } = await run(COLLECTOR, ['validate', `--config=${file}`], { env, timeout: 30_000 });
    return { ok: true, output: stdout + stderr };
  } catch (e: any) {
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
  } finally {
    rmSync(file, { force: true });
  }
}

/** Validates every config of a render; resolves with one line per rejected component. */
export async function validateAll(objs: K8sObject[]): Promise<string[]> {
  const failures: string[] = [];
  for (const [component, text] of Object.entries(configTexts(objs))) {
    const r = await validateConfig(text!);
    if (!r.ok) failures.push(`${component}: ${r.output.trim().split('\n').slice(-3).join(' | ')}`);
  }
  return failures;
}

/** The pipelines (by name) of a collector config that list `id` under `kind`. */
export function pipelinesWith(cfg: any, kind: 'receivers' | 'processors' | 'exporters', id: string): string[] {
  return Object.entries<any>(cfg.service?.pipelines ?? {}).filter(([, p]) => (p[kind] ?? []).includes(id)).map(([name]) => name).sort();
}

/** true when `want` is contained in `have` (objects: every key of want, recursively; else equal). */
export function contains(have: unknown, want: unknown): boolean {
  if (want && typeof want === 'object' && !Array.isArray(want)) {
    if (!have || typeof have !== 'object' || Array.isArray(have)) return false;
    return Object.entries(want).every(([k, v]) => contains((have as Record<string, unknown>)[k], v));
  }
  if (Array.isArray(want)) return Array.isArray(have) && want.length === have.length && want.every((w, i) => contains(have[i], w));
  return have === want;
}
