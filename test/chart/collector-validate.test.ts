// Every collector config the chart renders (defaults, every option group, the local profile) is
// accepted by our distribution: `build/otelcol-mirador validate`, and uses only component types it has.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CI_VALUES, COLLECTOR, LOCAL_PROFILE, configTexts, podEnv, render, requireCollector, validateConfig } from './helm.js';

const run = promisify(execFile);

beforeAll(() => requireCollector());
const validate = validateConfig;

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
    const { stdout } = await run(COLLECTOR, ['components'], { env: podEnv() });
    const available = parse(stdout) as Record<string, Array<{ name: string }>>;
    const has = (kind: Kind, type: string) => (available[kind] ?? []).some((c) => c.name === type);
    // the renamed OTLP exporters exist under their new names in this release
    expect(has('exporters', 'otlp_grpc') && has('exporters', 'otlp_http')).toBe(true);
    for (const [name, files] of cases) {
      const texts = configTexts(await render({ files }));
      // ids a values file defines itself may use the deprecated aliases (ci/seed-names.yaml and
      // ci/user-config.yaml do, deliberately); the chart's own must not
      const own = new Set<string>();
      for (const f of files) {
        const v = parse(readFileSync(f, 'utf8')) ?? {};
        for (const comp of Object.values<any>(v)) for (const kind of KINDS) for (const id of Object.keys(comp?.config?.[kind] ?? {})) own.add(id);
      }
      for (const [component, text] of Object.entries(texts)) {
        const cfg = parse(text!);
        for (const kind of KINDS) {
          for (const id of Object.keys(cfg[kind] ?? {})) {
            if (own.has(id)) continue;
            expect(has(kind, id.split('/')[0]), `${name} ${component}: ${kind} ${id}`).toBe(true);
          }
        }
      }
    }
  });
});
