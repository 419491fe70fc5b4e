#!/usr/bin/env node
// Runs a TypeScript program of this repository with Node 20: bundles ENTRY.ts (and the project
// modules it imports; node_modules stay external) with esbuild into .run/ts/, then imports it
// with ENTRY's arguments, so process.argv.slice(2) is what followed ENTRY on the command line.
//   node scripts/run-ts.mjs bench/pipeline/main.ts --rounds 1
import { build } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const entry = process.argv[2];
if (!entry || !entry.endsWith('.ts') || !existsSync(resolve(entry))) {
  console.error(`run-ts: expected the path of a .ts program, got ${entry === undefined ? 'nothing' : `"${entry}"`}`);
  process.exit(2);
}
const name = relative(root, resolve(entry)).replace(/\.ts$/, '').replace(/[\\/]/g, '-');
const out = join(root, '.run', 'ts', `${name}.mjs`);
mkdirSync(join(root, '.run', 'ts'), { recursive: true });
await build({
  entryPoints: [resolve(entry)], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20',
  packages: 'external', sourcemap: 'inline', logLevel: 'warning',
});
process.argv.splice(2, 1);
await import(pathToFileURL(out).href);
