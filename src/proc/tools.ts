/** Where the project's pinned tools and builds live, and a clear error when one is missing. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export class MissingToolError extends Error {}

function findRootAbove(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'mirador-signals-pipeline') return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The repository root: $MIRADOR_ROOT, else the nearest ancestor of this module (src/ or dist/)
 * holding this project's package.json, else of the working directory.
 */
export function repoRoot(): string {
  const root = process.env.MIRADOR_ROOT ?? findRootAbove(dirname(fileURLToPath(import.meta.url))) ?? findRootAbove(process.cwd());
  if (!root) throw new Error(`cannot find the mirador repository (package.json "mirador-signals-pipeline") above ${fileURLToPath(import.meta.url)} or ${process.cwd()}`);
  return root;
}

/** A pinned tool in .tools/bin, or an error giving the command that installs it. */
export function toolPath(name: string): string {
  const p = join(repoRoot(), '.tools', 'bin', name);
  if (!existsSync(p)) throw new MissingToolError(`${name} is not installed (${p} is missing): run \`npm run tools\` (or \`bash scripts/tools.sh ${name}\`)`);
  return p;
}

/** A built artefact under build/, or an error giving the command that builds it. */
export function buildPath(file: string, buildCommand: string): string {
  const p = join(repoRoot(), 'build', file);
  if (!existsSync(p)) throw new MissingToolError(`${p} is missing: run \`${buildCommand}\``);
  return p;
}
