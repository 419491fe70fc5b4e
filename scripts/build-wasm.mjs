#!/usr/bin/env node
// Builds the kernel: assembly/ -> build/isolation_forest.wasm (asconfig.json "release" target).
// Skips the compile when the .wasm is newer than every source, so `npm test` stays fast.
// Usage: node scripts/build-wasm.mjs [--force] [--debug]
import { main } from 'assemblyscript/asc';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const debug = process.argv.includes('--debug');
const force = process.argv.includes('--force');
const out = join(root, debug ? 'build/isolation_forest.debug.wasm' : 'build/isolation_forest.wasm');

function newestSource() {
  const files = [join(root, 'asconfig.json'), ...readdirSync(join(root, 'assembly')).map((f) => join(root, 'assembly', f))];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

function upToDate() {
  try {
    return statSync(out).mtimeMs > newestSource();
  } catch {
    return false;
  }
}

if (!force && upToDate()) {
  console.log(`build-wasm: ${out} is up to date`);
} else {
  mkdirSync(join(root, 'build'), { recursive: true });
  const started = Date.now();
  const { error, stderr } = await main(['--config', join(root, 'asconfig.json'), '--target', debug ? 'debug' : 'release'], {
    stdout: process.stdout,
    stderr: process.stderr,
  });
  if (error) {
    console.error(`build-wasm: asc failed: ${error.message}`);
    process.exit(1);
  }
  void stderr;
  console.log(`build-wasm: wrote ${out} (${statSync(out).size} bytes) in ${Date.now() - started} ms`);
}
