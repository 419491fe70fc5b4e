// `mirador`: the project's command line. Each subcommand lives in commands/<name>.ts and exports
// register(program); add new ones here.
import { Command } from 'commander';
import { register as registerAnomalies } from './commands/anomalies.js';
import { register as registerBench } from './commands/bench.js';
import { register as registerBenchAll } from './commands/bench-all.js';
import { register as registerEval } from './commands/eval.js';
import { register as registerLoadgen } from './commands/loadgen.js';
import { register as registerUp } from './commands/up.js';
import { exitOnCommanderError } from './errors.js';

const program = new Command('mirador').description('Mirador Signals Pipeline').showHelpAfterError(false);
exitOnCommanderError(program);
registerAnomalies(program);
registerBench(program);
registerBenchAll(program);
registerEval(program);
registerLoadgen(program);
registerUp(program);
await program.parseAsync(process.argv);
