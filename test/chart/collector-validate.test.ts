// Every collector config the chart renders (defaults, every option group, the local profile) is
// accepted by our distribution: `build/otelcol-mirador validate`, and uses only component types it has.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CI_VALUES, COLLECTOR, LOCAL_PROFILE, configTexts, render } from './helm.js';

const run = promisify(execFile);
// What a pod has: MY_POD_IP from the downward API, Cassandra credentials from the Secret, and API
// credentials (the k8s resolver builds its Kubernetes client while `validate` builds the pipelines;
// here a kubeconfig stands in for the ServiceAccount: the client is created, never connected).
const ENV: NodeJS.ProcessEnv = { ...process.env, MY_POD_IP: '10.1.2.3', CASSANDRA_USERNAME: 'mirador', CASSANDRA_PASSWORD: 'secret' };
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: validate, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: validate, user: {token: unused}}]
contexts: [{name: validate, context: {cluster: validate, user: validate, namespace: miradorstack}}]
current-context: validate
`;

let dir: string;
let n = 0;
beforeAll(() => {
  if (!existsSync(COLLECTOR)) throw new Error(`${COLLECTOR} is missing: run \`bash scripts/build-collector.sh\` (npm test does it)`);
  dir = mkdtempSync(join(tmpdir(), 'mirador-chart-'));
  writeFileSync(join(dir, 'kubeconfig'), KUBECONFIG);
  ENV.KUBECONFIG = join(dir, 'kubeconfig');
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

async function validate(text: string): Promise<{ ok: boolean; output: string }> {
  const file = join(dir, `relay-${n++}.yaml`);
  writeFileSync(file, text);
  try {
    const { stdout, stderr } = await run(COLLECTOR, ['validate', `--config=${file}`], { env: ENV, timeout: 30_000 });
    return { ok: true, output: stdout + stderr };
  } catch (e: any) {
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
  }
}

type Kind = 'receivers' | 'processors' | 'exporters' | 'connectors' | 'extensions';
const KINDS: Kind[] = ['receivers', 'processors', 'exporters', 'connectors', 'extensions'];

const cases: Array<[string, string[]]> = [['defaults', []], ...[...CI_VALUES, LOCAL_PROFILE].map((f): [string, string[]] => [basename(f), [f]])];

describe('otelcol-mirador accepts every rendered collector config', () => {
  it('rejects a broken config (the check has teeth)', async () => {
    const texts = configTexts(await render());
    const broken = texts.isolationforest!.replace('metrics_endpoint:', 'metrics_endpiont:');
    const r = await validate(broken);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/metrics_endpiont/);
  });

  for (const [name, files] of cases) {
    it(name, async () => {
      const texts = configTexts(await render({ files }));
      expect(Object.keys(texts).length).toBeGreaterThan(0);
      // two at a time: the machine has two cores
      const entries = Object.entries(texts);
      const failures: string[] = [];
      for (let i = 0; i < entries.length; i += 2) {
        await Promise.all(entries.slice(i, i + 2).map(async ([component, text]) => {
          const r = await validate(text!);
          if (!r.ok) failures.push(`${component}: ${r.output.trim().split('\n').slice(-3).join(' | ')}`);
        }));
      }
      expect(failures).toEqual([]);
    });
  }

  it('the chart uses current type names that the distribution has (v0.144.0)', async () => {
    const { stdout } = await run(COLLECTOR, ['components'], { env: ENV });
    const available = parse(stdout) as Record<string, Array<{ name: string }>>;
    const has = (kind: Kind, type: string) => (available[kind] ?? []).some((c) => c.name === type);
    // the renamed OTLP exporters exist under their new names in this release
    expect(has('exporters', 'otlp_grpc') && has('exporters', 'otlp_http')).toBe(true);
    for (const [name, files] of cases) {
      const texts = configTexts(await render({ files }));
      for (const [component, text] of Object.entries(texts)) {
        if (name === 'seed-names.yaml') continue; // deliberately uses the deprecated aliases
        const cfg = parse(text!);
        for (const kind of KINDS) {
          for (const id of Object.keys(cfg[kind] ?? {})) {
            expect(has(kind, id.split('/')[0]), `${name} ${component}: ${kind} ${id}`).toBe(true);
          }
        }
      }
    }
  });
});
