// mirador bench-all (npm run bench:kernel): `bench --compare` over every CSV in a directory,
// written to bench/results/kernel.json and a markdown summary bench/results/kernel.md.
import { Command } from 'commander';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { readDataset } from '../../bench/dataset.js';
import { repoRoot } from '../../proc/tools.js';
import { kernelMarkdown } from '../../bench/markdown.js';
import { runBench } from '../../bench/run.js';
import type { BenchResult } from '../../bench/types.js';
import { UsageError, guarded, intAtLeast } from '../errors.js';
import { progressReporter } from '../progress.js';

interface Opts {
  datasets: string;
  out: string;
  trees: number;
  sampleSize: number;
  seeds: number;
  only?: string;
}

export function register(program: Command): void {
  program
    .command('bench-all')
    .description('bench --compare over every dataset; writes <out>/kernel.json and <out>/kernel.md')
    .option('--datasets <dir>', 'directory of labelled CSVs', resolve(repoRoot(), '../shared/datasets'))
    .option('--out <dir>', 'results directory', resolve(repoRoot(), 'bench/results'))
    .option('--trees <n>', 'trees per forest', intAtLeast(1), 100)
    .option('--sample-size <n>', 'sub-sample size psi', intAtLeast(1), 256)
    .option('--seeds <n>', 'seeds per dataset', intAtLeast(1), 5)
    .option('--only <names>', 'comma-separated dataset names (default: all)')
    .action(guarded('bench-all', async (o: Opts) => {
      let files: string[];
      try {
        files = readdirSync(o.datasets).filter((f) => f.endsWith('.csv')).sort();
      } catch (e) {
        throw new UsageError(`cannot list datasets directory ${o.datasets}: ${(e as Error).message}`);
      }
      if (o.only) {
        const want = new Set(o.only.split(',').map((s) => s.trim()));
        files = files.filter((f) => want.has(f.replace(/\.csv$/, '')));
      }
      if (files.length === 0) throw new UsageError(`no .csv datasets in ${o.datasets}`);
      const results: BenchResult[] = [];
      const started = Date.now();
      for (const f of files) {
        const ds = readDataset(join(o.datasets, f));
        const progress = progressReporter(`${ds.name}`);
        process.stderr.write(`bench-all: ${ds.name} (${ds.rows} x ${ds.dims})\n`);
        const r = await runBench(ds, {
          trees: o.trees, sampleSize: o.sampleSize, seeds: o.seeds, label: 'label', stream: false, window: null, batch: 1,
        }, { compare: true, onProgress: progress.tick });
        progress.stop();
        results.push(r);
      }
      const meta = {
        date: new Date().toISOString(),
        command: `mirador bench-all --trees ${o.trees} --sample-size ${o.sampleSize} --seeds ${o.seeds}`,
        node: process.version,
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        wallSeconds: Math.round((Date.now() - started) / 1000),
      };
      mkdirSync(o.out, { recursive: true });
      writeFileSync(join(o.out, 'kernel.json'), JSON.stringify({ meta, results }, null, 1) + '\n');
      const md = kernelMarkdown(meta, results);
      writeFileSync(join(o.out, 'kernel.md'), md);
      process.stdout.write(md);
      process.stderr.write(`bench-all: wrote ${join(o.out, 'kernel.json')} and kernel.md\n`);
    }));
}
