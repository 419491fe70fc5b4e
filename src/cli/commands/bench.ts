// mirador bench: accuracy and speed of the kernel (and, with --compare, its peers) on one labelled CSV.
import { Command } from 'commander';
import { readDataset } from '../../bench/dataset.js';
import { formatTable } from '../../bench/report.js';
import { runBench } from '../../bench/run.js';
import type { BenchParams } from '../../bench/types.js';
import { UsageError, guarded, intAtLeast } from '../errors.js';
import { progressReporter } from '../progress.js';

interface BenchOpts {
  data?: string;
  label: string;
  trees: number;
  sampleSize: number;
  seeds: number;
  compare?: boolean;
  json?: boolean;
  stream?: boolean;
  window?: number;
  batch: number;
  kernel?: string;
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('fit on all rows of a labelled CSV, score all rows, report ROC-AUC, PR-AUC, fit/score time, points/s, peak memory')
    .requiredOption('--data <file.csv>', 'CSV with a header row and a label column (1 = anomaly, 0 = normal)')
    .option('--label <column>', 'label column name', 'label')
    .option('--trees <n>', 'trees per forest', intAtLeast(1), 100)
    .option('--sample-size <n>', 'sub-sample size psi per tree', intAtLeast(1), 256)
    .option('--seeds <n>', 'seeds to average over (1..n)', intAtLeast(1), 5)
    .option('--compare', 'also run the peers: npm isolation-forest, ml-isolation-forest, scikit-learn, isotree')
    .option('--json', 'print one JSON object instead of a table')
    .option('--stream', 'streaming path: rows in file order, each batch scored before the model learns it')
    .option('--window <n>', 'streaming window in rows (default 4 x sample size)', intAtLeast(1))
    .option('--batch <n>', 'streaming batch size', intAtLeast(1), 1)
    .option('--kernel <file.wasm>', 'kernel to load (default build/isolation_forest.wasm)')
    .action(guarded('bench', async (o: BenchOpts) => {
      if (o.window !== undefined && !o.stream) throw new UsageError('--window only applies with --stream');
      const ds = readDataset(o.data!, o.label);
      const params: BenchParams = {
        trees: o.trees, sampleSize: o.sampleSize, seeds: o.seeds, label: o.label,
        stream: Boolean(o.stream), window: o.window ?? null, batch: o.batch,
      };
      const progress = progressReporter(`bench ${ds.name}`);
      const result = await runBench(ds, params, { compare: Boolean(o.compare), kernelPath: o.kernel, onProgress: progress.tick });
      progress.stop();
      process.stdout.write(o.json ? JSON.stringify(result) + '\n' : formatTable(result) + '\n');
    }));
}
