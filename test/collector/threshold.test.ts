// The isolationforest threshold that reports and plots use (src/harness/applied-config.ts): the
// rendered processor block's own value, else what the collector itself applies by default.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appliedComponentConfig, appliedProcessorConfig, effectiveThreshold, repoRoot } from '../../src/harness/index.js';

/** The default a component's README documents in its option table (a Go test keeps the processor's equal to Config's). */
function documentedDefault(key: string, component = 'isolationforestprocessor'): string {
  const readme = readFileSync(join(repoRoot(), `collector-builder/${component}/README.md`), 'utf8');
  const m = new RegExp(`^\\| \`${key}\` \\| \`([^\`]*)\` \\|`, 'm').exec(readme);
  if (!m) throw new Error(`README has no option row for ${key}`);
  return m[1];
}

describe('effectiveThreshold', () => {
  it("takes the rendered config's threshold when it sets one", () => {
    expect(effectiveThreshold({ threshold: 0.71, sample_size: 64 })).toBe(0.71);
    expect(effectiveThreshold({ threshold: 0.8 })).toBe(0.8);
  });

  it("asks the collector when the config leaves it out: the processor's documented default", () => {
    expect(effectiveThreshold({ sample_size: 64 })).toBe(Number(documentedDefault('threshold')));
    expect(effectiveThreshold(undefined)).toBe(Number(documentedDefault('threshold')));
  });

  it('reads every default from the collector, not only the threshold', () => {
    const applied = appliedProcessorConfig({ trees: 50 });
    expect(applied.trees).toBe(50);
    expect(String(applied.window_size)).toBe(documentedDefault('window_size'));
  });

  it("refuses a threshold the processor rejects, with the collector's own message", () => {
    expect(() => effectiveThreshold({ threshold: 1.5 })).toThrow(/the collector rejects the isolationforest config \{"threshold":1\.5\}: .*threshold: must be in/);
    expect(() => effectiveThreshold({ threshold: 'high' })).toThrow(/the collector rejects the isolationforest config/);
  });
});

describe('appliedComponentConfig', () => {
  it("fills in an exporter's defaults as the collector does (where mirador up reads the logs)", () => {
    const applied = appliedComponentConfig('exporters', 'cassandra_logs', { endpoints: ['127.0.0.1:9042'] }, 'logs');
    expect(applied.endpoints).toEqual(['127.0.0.1:9042']);
    expect(applied.keyspace).toBe(documentedDefault('keyspace', 'cassandralogsexporter'));
    expect(applied.table).toBe(documentedDefault('table', 'cassandralogsexporter'));
    expect(appliedComponentConfig('exporters', 'cassandra_logs', { endpoints: ['127.0.0.1:9042'], keyspace: 'obs' }, 'logs').keyspace).toBe('obs');
  });
});
