#!/usr/bin/env node
// Builds the kernel: assembly/ -> build/isolation_forest.wasm (asconfig.json "release" target).
//
// First it regenerates the ABI constants from their one source, assembly/abi.json:
//   assembly/abi.ts     (AssemblyScript: ABI_VERSION, ERR_*, snapshot format constants)
//   src/kernel/abi.ts   (TypeScript: ABI_VERSION, ERR, KERNEL_ERRORS, KERNEL_EXPORTS, SNAPSHOT)
// (each written only when its text changes). Then it compiles, unless the .wasm is newer than
// every source, so `npm test` stays fast.
//
// Usage: node scripts/build-wasm.mjs [--force] [--debug]
//        node scripts/build-wasm.mjs --check                       exit 1 when a generated file is stale (writes nothing)
//        node scripts/build-wasm.mjs --go FILE [--go-package PKG]  write the constants as Go source to FILE and exit
//        node scripts/build-wasm.mjs --go-check FILE [--go-package PKG]  exit 1 when FILE differs from what --go writes
import { main } from 'assemblyscript/asc';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const debug = flag('--debug');
const force = flag('--force');
const out = join(root, debug ? 'build/isolation_forest.debug.wasm' : 'build/isolation_forest.wasm');

// ---- ABI constants from assembly/abi.json ----

const abiPath = join(root, 'assembly/abi.json');
const abi = JSON.parse(readFileSync(abiPath, 'utf8'));
const HEADER_NOTE = 'Generated from assembly/abi.json by scripts/build-wasm.mjs: do not edit (edit abi.json, then run node scripts/build-wasm.mjs).';

const upperSnake = (s) => s.toUpperCase();
const camel = (s) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const pascal = (s) => camel(s).replace(/^./, (c) => c.toUpperCase());
const hex32 = (n) => '0x' + (n >>> 0).toString(16).padStart(8, '0');
const magicU32 = () => {
  const m = abi.snapshot.magic;
  if (m.length !== 4) throw new Error('abi.json: snapshot.magic must be 4 ASCII characters');
  return [...m].reduce((v, ch, i) => v + ch.charCodeAt(0) * 2 ** (8 * i), 0); // little-endian u32 of the 4 bytes
};
const snapshotScalars = () => {
  const s = abi.snapshot;
  return [
    ['MAGIC', hex32(magicU32()), 'u32', `magic: the bytes "${s.magic}" read as a little-endian u32`],
    ['FORMAT_VERSION', s.format_version, 'i32', 'snapshot format version written and accepted'],
    ['HEADER_BYTES', s.header_bytes, 'usize', 'fixed header'],
    ['RNG_BYTES', s.rng_bytes, 'usize', 'RNG state after the header (4 x u64)'],
    ['NODE_BYTES', s.node_bytes, 'usize', 'one tree node in a snapshot'],
    ['TRAILER_BYTES', s.trailer_bytes, 'usize', 'CRC-32 trailer'],
    ['FLAG_BUILT', s.flags.built, 'u32', 'flags bit: the model has trees'],
    ['FLAG_RANGE_AWARE', s.flags.range_aware, 'u32', 'flags bit: range-aware scoring on'],
    ['LEAF_FEATURE', s.leaf_feature, 'i32', 'feature field of a leaf node in a snapshot'],
  ];
};

function assemblyScriptSource() {
  const lines = [`// ${HEADER_NOTE}`, '// Kernel ABI constants: the ABI version, the error codes every export returns (0 = ok, a handle', '// is >= 0, errors are < 0; the kernel never traps on bad input) and the snapshot format.', ''];
  lines.push('/** Kernel ABI version, returned by abi_version(). */', `export const ABI_VERSION: i32 = ${abi.abi_version};`, '');
  for (const e of abi.errors) lines.push(`/** ${e.doc.replace(/\*\//g, '* /')} */`, `export const ${e.name}: i32 = ${e.code};`);
  lines.push('', '// snapshot format (docs/kernel.md, "Snapshot format")');
  for (const [name, value, type, doc] of snapshotScalars()) lines.push(`/** ${doc} */`, `export const SNAP_${name}: ${type} = ${value};`);
  lines.push('// header field offsets');
  for (const f of abi.snapshot.header) lines.push(`/** ${f.type}: ${f.doc.replace(/\*\//g, '* /')} */`, `export const SNAP_OFF_${upperSnake(f.name)}: usize = ${f.offset};`);
  return lines.join('\n') + '\n';
}

function typeScriptSource() {
  const q = JSON.stringify;
  const lines = [`// ${HEADER_NOTE}`, '// Kernel ABI constants for hosts: ABI version, error codes, export names and signatures, snapshot format.', ''];
  lines.push('/** Kernel ABI version this host speaks (`abi_version()`). */', `export const ABI_VERSION = ${abi.abi_version};`, '');
  lines.push('/** Every kernel error code: its name, the short message hosts put in errors, and the meaning docs/kernel.md gives. */');
  lines.push('export const KERNEL_ERRORS = {');
  for (const e of abi.errors) lines.push(`  [${e.code}]: { name: ${q(e.name)}, meaning: ${q(e.message)}, doc: ${q(e.doc)} },`);
  lines.push('} as const;', '');
  lines.push('/** Kernel error codes by name without the `ERR_` prefix (`ERR.NOT_FITTED === -7`). */', 'export const ERR = {');
  for (const e of abi.errors) lines.push(`  ${e.name.replace(/^ERR_/, '')}: ${e.code},`);
  lines.push('} as const;', '');
  lines.push('/** Export names with their wasm signatures: core = ABI v1 proper, extensions = additive (optional for hosts). */');
  lines.push('export const KERNEL_EXPORTS = {');
  for (const kind of ['core', 'extensions']) {
    lines.push(`  ${kind}: [`);
    for (const x of abi.exports[kind]) lines.push(`    { name: ${q(x.name)}, params: ${q(x.params)}, result: ${q(x.result)} },`);
    lines.push('  ],');
  }
  lines.push('} as const;', '');
  lines.push('/** Snapshot format constants (docs/kernel.md, "Snapshot format"); HEADER gives each header field\'s byte offset and type. */');
  lines.push('export const SNAPSHOT = {');
  for (const [name, value, , doc] of snapshotScalars()) lines.push(`  /** ${doc} */`, `  ${name}: ${value},`);
  lines.push('  HEADER: {');
  for (const f of abi.snapshot.header) lines.push(`    ${f.name}: { offset: ${f.offset}, type: ${q(f.type)} },`);
  lines.push('  },', '} as const;');
  return lines.join('\n') + '\n';
}

function goSource(pkg) {
  const q = JSON.stringify; // Go accepts JSON string literals (the messages are ASCII)
  const L = [`// Code generated by scripts/build-wasm.mjs from assembly/abi.json; DO NOT EDIT.`, '', `package ${pkg}`, ''];
  L.push('// kernelABIVersion is the kernel ABI version (abi_version()).', `const kernelABIVersion = ${abi.abi_version}`, '');
  for (const e of abi.errors) {
    const id = 'kernel' + pascal(e.name);
    L.push(`// ${id} is ${e.name}: ${e.message}.`, `const ${id} int32 = ${e.code}`, '');
  }
  L.push('// kernelErrors lists every kernel error code with its name and message.', 'var kernelErrors = []struct {', '\tCode    int32', '\tName    string', '\tMessage string', '}{');
  for (const e of abi.errors) L.push(`\t{${e.code}, ${q(e.name)}, ${q(e.message)}},`);
  L.push('}', '');
  for (const kind of ['core', 'extensions']) {
    for (const x of abi.exports[kind]) L.push(`// kernelExport${pascal(x.name)} is the ${kind === 'core' ? 'core' : 'extension'} export ${x.name}(${x.params.map(([n, t]) => `${n} ${t}`).join(', ')})${x.result ? ' ' + x.result : ''}.`, `const kernelExport${pascal(x.name)} = ${q(x.name)}`, '');
  }
  L.push('// kernelCoreExports are exported by every ABI v1 kernel.', `var kernelCoreExports = []string{${abi.exports.core.map((x) => q(x.name)).join(', ')}}`, '');
  L.push('// kernelExtensionExports are additive exports a host may find missing in an older kernel.', `var kernelExtensionExports = []string{${abi.exports.extensions.map((x) => q(x.name)).join(', ')}}`, '');
  for (const [name, value, type, doc] of snapshotScalars()) {
    const goType = type === 'u32' ? 'uint32' : 'int';
    L.push(`// snapshot${pascal(name)}: ${doc}.`, `const snapshot${pascal(name)} ${goType} = ${value}`, '');
  }
  for (const f of abi.snapshot.header) L.push(`// snapshotOff${pascal(f.name)} is the byte offset of the header field ${f.name} (${f.type}): ${f.doc.replace(/`/g, '')}.`, `const snapshotOff${pascal(f.name)} = ${f.offset}`, '');
  return L.join('\n').replace(/\n+$/, '\n');
}

const generated = () => [
  [join(root, 'assembly/abi.ts'), assemblyScriptSource()],
  [join(root, 'src/kernel/abi.ts'), typeScriptSource()],
];
const readOr = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

if (flag('--check') || flag('--go-check')) {
  const targets = flag('--go-check') ? [[resolve(option('--go-check')), goSource(option('--go-package', 'isolationforestprocessor'))]] : generated();
  const stale = targets.filter(([file, text]) => readOr(file) !== text).map(([file]) => relative(root, file));
  if (stale.length) {
    console.error(`build-wasm: stale (regenerate with node scripts/build-wasm.mjs${flag('--go-check') ? ' --go FILE' : ''}): ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log('build-wasm: generated ABI files match assembly/abi.json');
  process.exit(0);
}
if (option('--go')) {
  const file = resolve(option('--go'));
  writeFileSync(file, goSource(option('--go-package', 'isolationforestprocessor')));
  console.log(`build-wasm: wrote ${file} from assembly/abi.json`);
  process.exit(0);
}
for (const [file, text] of generated()) {
  if (readOr(file) !== text) {
    writeFileSync(file, text);
    console.log(`build-wasm: regenerated ${relative(root, file)} from assembly/abi.json`);
  }
}

// ---- compile ----

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
