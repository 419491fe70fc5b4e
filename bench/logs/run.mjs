#!/usr/bin/env node
// `npm run bench:logs`: bundles bench/logs/main.ts (it imports the project's TypeScript Cassandra
// launcher and the logs test helpers) with esbuild into .run/ and runs it. Options: see main.ts.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '../..');
const out = join(root, '.run/bench-logs/main.mjs');
mkdirSync(join(root, '.run/bench-logs'), { recursive: true });
await build({
  entryPoints: [join(root, 'bench/logs/main.ts')], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20',
  packages: 'external', logLevel: 'warning',
});
await import(pathToFileURL(out).href);
