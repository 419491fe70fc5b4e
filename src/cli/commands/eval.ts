// mirador eval nab: the Numenta Anomaly Benchmark through the built collector, scored with NAB's
// rules (src/eval/nab).
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCorpus } from '../../eval/nab/corpus.js';
import { evaluate, summarize, type DetectorRows } from '../../eval/nab/evaluate.js';
import { streamCorpus } from '../../eval/nab/stream.js';
import { guarded, UsageError } from '../errors.js';

interface NabOpts {
  data: string;
  processor?: string;
  scores?: string;
  only?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const ev = program.command('eval').description('detection quality benchmarks');
  ev.command('nab')
    .description('the Numenta Anomaly Benchmark: every series streamed through build/otelcol-mirador into VictoriaMetrics, '
      + 'the stored is_anomaly flags and scores judged with NAB\'s rules (standard, reward-low-FP, reward-low-FN; flags and best threshold)')
    .option('--data <dir>', 'NAB corpus (data/<category>/<name>.csv and labels/combined_windows.json)', '../shared/datasets/nab')
    .option('--processor <json>', 'the isolationforest processor\'s config block, as JSON (default {}: its defaults)')
    .option('--scores <file>', 'judge a JSON of per-row scores and flags ({"<category>/<name>.csv": {"scores": [...], "flags": [...]}}) instead of streaming')
    .option('--only <regexp>', 'only the files whose <category>/<name>.csv matches')
    .option('--json', 'print the evaluation as JSON')
    .action(guarded('eval nab', async (o: NabOpts) => {
      const corpus = loadCorpus(o.data, o.only ? new RegExp(o.only) : undefined);
      let rows: Map<string, DetectorRows>;
      if (o.scores) {
        rows = new Map(Object.entries(JSON.parse(readFileSync(o.scores, 'utf8')) as Record<string, DetectorRows>));
      } else {
        let processor: Record<string, unknown> = {};
        if (o.processor) {
          try {
            processor = JSON.parse(o.processor) as Record<string, unknown>;
          } catch (e) {
            throw new UsageError(`--processor: not JSON: ${(e as Error).message}`);
          }
        }
        const runDir = mkdtempSync(join(tmpdir(), 'mirador-eval-nab-'));
        try {
          const r = await streamCorpus(corpus, { runDir, processor, log: (l) => process.stderr.write(`${l}\n`) });
          process.stderr.write(`nab: ${r.sent} points streamed, ${r.stored} stored, in ${r.seconds.toFixed(0)} s\n`);
          if (r.stored !== r.sent) throw new Error(`${r.sent} points sent but ${r.stored} stored`);
          rows = r.rows;
        } finally {
          rmSync(runDir, { recursive: true, force: true });
        }
      }
      const e = evaluate('isolationforest', corpus, rows);
      console.log(o.json ? JSON.stringify(e, null, 2) : summarize(e));
    }));
}
