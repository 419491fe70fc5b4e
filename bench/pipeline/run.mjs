#!/usr/bin/env node
// `npm run bench:pipeline`: bundles bench/pipeline/main.ts (it imports the project's TypeScript
// launchers and load generator) with esbuild into .run/ and runs it. Options: see main.ts.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '../..');
const out = join(root, '.run/bench-pipeline/main.mjs');
mkdirSync(join(root, '.run/bench-pipeline'), { recursive: true });
await build({
  entryPoints: [join(root, 'bench/pipeline/main.ts')], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20',
  packages: 'external', logLevel: 'warning',
});
await import(pathToFileURL(out).href);
