// CPU profile of a running collector through its pprof extension, summarised by `go tool pprof -top`.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Profiles for `seconds`, then returns the top 25 functions by cumulative time (text). */
export async function profileTop(pprofUrl: string, seconds: number, dir: string, name: string): Promise<string> {
  const res = await fetch(`${pprofUrl}/profile?seconds=${Math.max(1, Math.floor(seconds) - 1)}`);
  if (!res.ok) throw new Error(`pprof ${pprofUrl}: HTTP ${res.status}`);
  const file = join(dir, `${name}.cpu.pprof`);
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  const flat = await run('go', ['tool', 'pprof', '-top', '-nodecount=25', file], { maxBuffer: 8 << 20 });
  const cum = await run('go', ['tool', 'pprof', '-top', '-cum', '-nodecount=25', file], { maxBuffer: 8 << 20 });
  return `${flat.stdout}\n--- by cumulative time ---\n${cum.stdout}`;
}

/** In-use heap (after a forced GC) by function, `go tool pprof -top -sample_index=inuse_space`. */
export async function heapTop(pprofUrl: string, dir: string, name: string): Promise<string> {
  const res = await fetch(`${pprofUrl}/heap?gc=1`);
  if (!res.ok) throw new Error(`pprof ${pprofUrl}/heap: HTTP ${res.status}`);
  const file = join(dir, `${name}.heap.pprof`);
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  return (await run('go', ['tool', 'pprof', '-top', '-sample_index=inuse_space', '-nodecount=15', file], { maxBuffer: 8 << 20 })).stdout;
}
