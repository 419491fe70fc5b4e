#!/usr/bin/env node
// Bundles the CLI: src/cli/index.ts -> dist/mirador.js (one ESM file for Node 20, executable).
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist/mirador.js');
const started = Date.now();
await build({
  entryPoints: [join(root, 'src/cli/index.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // bundled CommonJS dependencies call require(); give the ESM bundle one
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __miradorCreateRequire } from 'node:module';\nconst require = __miradorCreateRequire(import.meta.url);" },
});
chmodSync(outfile, 0o755);
console.log(`build-cli: wrote ${outfile} in ${Date.now() - started} ms`);
