// Exit codes: 0 ok, 1 failure, 2 bad input (options, data files): one clear error line on stderr.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DatasetError } from '../bench/dataset.js';

export const EXIT_USAGE = 2;

export class UsageError extends Error {}

/** Commander's own errors (unknown option, bad value, missing argument) exit 2, help/version 0. */
export function exitOnCommanderError(cmd: Command): void {
  cmd.exitOverride((err: CommanderError) => {
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  });
}

/** Runs an action; input errors print one line and exit 2, anything else exits 1. */
export function guarded<A extends unknown[]>(name: string, action: (...args: A) => Promise<void> | void) {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (e) {
      const input = e instanceof DatasetError || e instanceof UsageError;
      process.stderr.write(`mirador ${name}: error: ${(e as Error).message}\n`);
      process.exit(input ? EXIT_USAGE : 1);
    }
  };
}

/** Commander option parser for integers >= min. */
export function intAtLeast(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}`);
    }
    return n;
  };
}
