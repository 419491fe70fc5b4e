// One source per contract: assembly/abi.json holds the kernel ABI's version, export names and
// signatures, error codes and snapshot constants. This suite checks everything else against it:
// the generated AssemblyScript and TypeScript files (current, and the check can fail), the compiled
// wasm (exports, their signatures read from the binary, the ERR_* globals), the host's constants,
// the tables of docs/kernel.md, and the Go constants scripts/build-wasm.mjs writes for the processor.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ABI_VERSION, ERR, KERNEL_ERRORS, KERNEL_EXPORTS, Kernel, SNAPSHOT, describeCode } from '../../src/kernel/index.js';

const root = resolve(import.meta.dirname, '../..');
interface Abi {
  abi_version: number;
  exports: Record<'core' | 'extensions', { name: string; params: [string, string][]; result: string | null }[]>;
  errors: { code: number; name: string; message: string; doc: string }[];
  snapshot: { magic: string; format_version: number; header_bytes: number; rng_bytes: number; node_bytes: number; trailer_bytes: number; flags: { built: number; range_aware: number }; leaf_feature: number; header: { offset: number; type: string; name: string; doc: string }[] };
}
const abi: Abi = JSON.parse(readFileSync(join(root, 'assembly/abi.json'), 'utf8'));
const allExports = [...abi.exports.core, ...abi.exports.extensions];
const docs = readFileSync(join(root, 'docs/kernel.md'), 'utf8');
const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

const buildWasm = (args: string[], cwd = root, script = join(root, 'scripts/build-wasm.mjs')) =>
  spawnSync(process.execPath, [script, ...args], { cwd, encoding: 'utf8' });

/** The section of docs/kernel.md under a heading, up to the next heading of the same or a higher level. */
function section(heading: string): string {
  const level = heading.match(/^#+/)![0].length;
  const start = docs.indexOf(`\n${heading}\n`);
  expect(start, `docs/kernel.md has "${heading}"`).toBeGreaterThanOrEqual(0);
  const rest = docs.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level}} `));
  return end < 0 ? rest : rest.slice(0, end);
}
const tableRows = (text: string) =>
  text.split('\n').filter((l) => /^\|/.test(l) && !/^[|:\s-]+$/.test(l)).slice(1).map((l) => l.replace(/^\|\s*|\s*\|$/g, '').split(/\s+\|\s+/));

/** Function exports with their signatures, and global exports, read from the wasm binary. */
function readWasm(bytes: Uint8Array) {
  let p = 8;
  const u = () => {
    let r = 0, shift = 0, b;
    do {
      b = bytes[p++];
      r += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return r;
  };
  const valType: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' };
  const types: { params: string[]; results: string[] }[] = [];
  const funcTypes: number[] = [];
  let importedFuncs = 0;
  const exports: { name: string; kind: number; index: number }[] = [];
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = u();
    const end = p + size;
    if (id === 1) {
      for (let n = u(); n > 0; n--) {
        p++; // 0x60
        const params = Array.from({ length: u() }, () => valType[bytes[p++]]);
        const results = Array.from({ length: u() }, () => valType[bytes[p++]]);
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = u(); n > 0; n--) {
        p += u(); // module
        p += u(); // name
        const kind = bytes[p++];
        if (kind === 0) importedFuncs++;
        if (kind === 0) u();
        else throw new Error('unexpected non-function import');
      }
    } else if (id === 3) {
      for (let n = u(); n > 0; n--) funcTypes.push(u());
    } else if (id === 7) {
      for (let n = u(); n > 0; n--) {
        const len = u();
        const name = Buffer.from(bytes.subarray(p, p + len)).toString('utf8');
        p += len;
        const kind = bytes[p++];
        exports.push({ name, kind, index: u() });
      }
    }
    p = end;
  }
  const signature = (index: number) => types[funcTypes[index - importedFuncs]];
  return { importedFuncs, exports, signature };
}

describe('assembly/abi.json is the one source of the kernel ABI', () => {
  it('the generated assembly/abi.ts and src/kernel/abi.ts are current', () => {
    const r = buildWasm(['--check']);
    expect(r.stderr + r.stdout).toContain('generated ABI files match assembly/abi.json');
    expect(r.status).toBe(0);
  });

  it('the check fails when a generated file or abi.json is edited', () => {
    const dir = mkdtempSync(join(tmpdir(), 'abi-check-'));
    temps.push(dir);
    for (const f of ['scripts/build-wasm.mjs', 'assembly/abi.json', 'assembly/abi.ts', 'src/kernel/abi.ts']) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      cpSync(join(root, f), join(dir, f));
    }
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    const check = () => buildWasm(['--check'], dir, join(dir, 'scripts/build-wasm.mjs'));
    expect(check().status).toBe(0);
    writeFileSync(join(dir, 'src/kernel/abi.ts'), readFileSync(join(dir, 'src/kernel/abi.ts'), 'utf8').replace('NOT_FITTED: -7', 'NOT_FITTED: -70'));
    let r = check();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('src/kernel/abi.ts');
    cpSync(join(root, 'src/kernel/abi.ts'), join(dir, 'src/kernel/abi.ts'));
    const edited = JSON.parse(readFileSync(join(dir, 'assembly/abi.json'), 'utf8')) as Abi;
    edited.errors.push({ code: -99, name: 'ERR_NEW', message: 'new', doc: 'new' });
    writeFileSync(join(dir, 'assembly/abi.json'), JSON.stringify(edited));
    r = check();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/assembly\/abi\.ts, src\/kernel\/abi\.ts/);
  });

  it('the compiled kernel exports exactly these functions with these signatures, and the ERR_* globals', () => {
    const wasm = readWasm(new Uint8Array(readFileSync(join(root, 'build/isolation_forest.wasm'))));
    expect(wasm.importedFuncs).toBe(0);
    const funcs = wasm.exports.filter((e) => e.kind === 0);
    expect(funcs.map((e) => e.name).sort()).toEqual(allExports.map((e) => e.name).sort());
    for (const e of allExports) {
      const sig = wasm.signature(funcs.find((f) => f.name === e.name)!.index);
      expect(sig.params, e.name).toEqual(e.params.map(([, t]) => t));
      expect(sig.results, e.name).toEqual(e.result ? [e.result] : []);
    }
    const globals = wasm.exports.filter((e) => e.kind === 3).map((e) => e.name);
    expect(globals.sort()).toEqual(abi.errors.map((e) => e.name).sort());
    expect(wasm.exports.filter((e) => e.kind === 2).map((e) => e.name)).toEqual(['memory']);
    const k = Kernel.load();
    const ex = k.exports as unknown as Record<string, WebAssembly.Global>;
    for (const e of abi.errors) expect(ex[e.name].value, e.name).toBe(e.code);
    expect(k.exports.abi_version()).toBe(abi.abi_version);
  });

  it('the host\'s constants are the same', () => {
    expect(ABI_VERSION).toBe(abi.abi_version);
    expect(Object.entries(ERR).map(([n, c]) => [`ERR_${n}`, c])).toEqual(abi.errors.map((e) => [e.name, e.code]));
    for (const e of abi.errors) {
      expect(KERNEL_ERRORS[e.code as keyof typeof KERNEL_ERRORS]).toEqual({ name: e.name, meaning: e.message, doc: e.doc });
      expect(describeCode(e.code)).toBe(`${e.name} (${e.code}): ${e.message}`);
    }
    expect(KERNEL_EXPORTS).toEqual(abi.exports);
    const magic = new DataView(Uint8Array.from(Buffer.from(abi.snapshot.magic, 'latin1')).buffer).getUint32(0, true);
    expect(SNAPSHOT.MAGIC).toBe(magic);
    expect(Object.fromEntries(abi.snapshot.header.map((f) => [f.name, { offset: f.offset, type: f.type }]))).toEqual(SNAPSHOT.HEADER);
  });

  it('docs/kernel.md\'s error table is abi.json\'s errors', () => {
    const rows = tableRows(section('### Error codes'));
    expect(rows.map(([code, name, doc]) => ({ code: Number(code), name: name.replace(/`/g, ''), doc }))).toEqual(
      abi.errors.map(({ code, name, doc }) => ({ code, name, doc })),
    );
  });

  it('docs/kernel.md\'s export tables list every export once, with its parameter count', () => {
    const listed = tableRows(section('## ABI v1'))
      .map(([sig]) => sig.match(/^`([a-z_0-9]+)\(([^)]*)\)/))
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => [m[1], m[2].split(',').filter((s) => s.trim()).length]);
    expect(listed.map(([n]) => n).sort()).toEqual(allExports.map((e) => e.name).sort());
    for (const [name, count] of listed) expect(count, String(name)).toBe(allExports.find((e) => e.name === name)!.params.length);
  });

  it('docs/kernel.md\'s snapshot header table is abi.json\'s header', () => {
    const rows = tableRows(section('### Header (64 bytes)'));
    expect(rows.map(([offset, type, name, doc]) => ({ offset: Number(offset), type, name: name.replace(/`/g, ''), doc }))).toEqual(abi.snapshot.header);
  });

  it('--go writes gofmt-clean Go that compiles, with the same values; --go-check detects a stale copy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'abi-go-'));
    temps.push(dir);
    const file = join(dir, 'kernel_abi_gen.go');
    expect(buildWasm(['--go', file, '--go-package', 'abicheck']).status).toBe(0);
    writeFileSync(join(dir, 'go.mod'), 'module abicheck\n\ngo 1.22\n');
    const env = { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', GOWORK: 'off' };
    const fmt = spawnSync('gofmt', ['-l', dir], { encoding: 'utf8', env });
    expect(fmt.error, 'gofmt must be on PATH (Go is a project requirement)').toBeUndefined();
    expect(fmt.stdout + fmt.stderr).toBe('');
    const vet = spawnSync('go', ['vet', './...'], { cwd: dir, encoding: 'utf8', env });
    expect(vet.stderr, 'go vet').toBe('');
    expect(vet.status).toBe(0);
    const go = readFileSync(file, 'utf8');
    expect(go).toMatch(/^\/\/ Code generated .* DO NOT EDIT\.$/m);
    expect(go).toContain(`const kernelABIVersion = ${abi.abi_version}\n`);
    const codes = [...go.matchAll(/^const kernel(Err\w+) int32 = (-?\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
    expect(codes).toEqual(abi.errors.map((e) => [e.name.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase()), e.code]));
    const names = [...go.matchAll(/^const kernelExport\w+ = "([a-z_]+)"$/gm)].map((m) => m[1]);
    expect(names).toEqual(allExports.map((e) => e.name));
    const offsets = [...go.matchAll(/^const snapshotOff\w+ = (\d+)$/gm)].map((m) => Number(m[1]));
    expect(offsets).toEqual(abi.snapshot.header.map((f) => f.offset));
    expect(buildWasm(['--go-check', file, '--go-package', 'abicheck']).status).toBe(0);
    writeFileSync(file, go.replace('int32 = -7', 'int32 = -70'));
    expect(buildWasm(['--go-check', file, '--go-package', 'abicheck']).status).toBe(1);
  }, 120_000);
});
