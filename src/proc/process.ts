import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
}

export interface StartOptions {
  name: string;
  cmd: string;
  args?: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts a child process with stdout and stderr appended to logFile. */
export function startProcess(o: StartOptions): ManagedProcess {
  mkdirSync(dirname(o.logFile), { recursive: true });
  const log = createWriteStream(o.logFile, { flags: 'a' });
  const child = spawn(o.cmd, o.args ?? [], { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  // Resolved once the process is gone AND its last output is in the log file ('close' comes after
  // stdout and stderr ended), so tail() right after an exit shows why it exited.
  const exited = new Promise<number | string>((resolve) => {
    let ended = false;
    const done = (result: number | string) => { if (!ended) { ended = true; log.end(() => resolve(result)); } };
    child.on('error', (e) => { log.write(`\n[${o.name}] failed to start: ${e.message}\n`); done(`error: ${e.message}`); });
    child.on('close', (code, signal) => done(code ?? signal ?? 'unknown'));
  });
  const tail = (lines = 20) => {
    try { return readFileSync(o.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n'); } catch { return ''; }
  };
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return { name: o.name, child, logFile: o.logFile, exited, stop, tail };
}
