// mirador eval nab: the Numenta Anomaly Benchmark, scored with NAB's rules (src/eval/nab).
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { loadCorpus } from '../../eval/nab/corpus.js';
import { evaluate, summarize, type DetectorRows } from '../../eval/nab/evaluate.js';
import { guarded, UsageError } from '../errors.js';

interface NabOpts {
  data: string;
  scores?: string;
  only?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const ev = program.command('eval').description('detection quality benchmarks');
  ev.command('nab')
    .description('the Numenta Anomaly Benchmark: NAB standard, reward-low-FP and reward-low-FN scores of the flags and of the best threshold')
    .option('--data <dir>', 'NAB corpus (data/<category>/<name>.csv and labels/combined_windows.json)', '../shared/datasets/nab')
    .option('--scores <file>', 'score a JSON of per-row scores and flags ({"<category>/<name>.csv": {"scores": [...], "flags": [...]}}) instead of streaming through the collector')
    .option('--only <regexp>', 'only the files whose <category>/<name>.csv matches')
    .option('--json', 'print the evaluation as JSON')
    .action(guarded('eval nab', async (o: NabOpts) => {
      const corpus = loadCorpus(o.data, o.only ? new RegExp(o.only) : undefined);
      if (!o.scores) throw new UsageError('streaming through the collector is not wired yet: pass --scores FILE');
      const raw = JSON.parse(readFileSync(o.scores, 'utf8')) as Record<string, DetectorRows>;
      const rows = new Map(Object.entries(raw));
      const e = evaluate('isolationforest', corpus, rows);
      console.log(o.json ? JSON.stringify(e, null, 2) : summarize(e));
    }));
}
