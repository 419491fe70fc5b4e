// mirador-image (scripts/cluster/imagebuilder): the OCI archive that `npm run build:image`
// imports. Fast and root-free, so it runs in the default `npm test`.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

const ROOT = resolve(import.meta.dirname, '../..');
const TOOL = resolve(ROOT, '.tools/k8s/bin/mirador-image');

/** Entries of an uncompressed tar (ustar), name -> content. */
function untar(buf: Buffer): Map<string, { mode: number; data: Buffer }> {
  const out = new Map<string, { mode: number; data: Buffer }>();
  for (let off = 0; off + 512 <= buf.length;) {
    const name = buf.toString('utf8', off, off + 100).replace(/\0.*$/s, '');
    if (!name) break;
    const prefix = buf.toString('utf8', off + 345, off + 500).replace(/\0.*$/s, '');
    const size = parseInt(buf.toString('utf8', off + 124, off + 136).replace(/\0.*$/s, '').trim() || '0', 8);
    const mode = parseInt(buf.toString('utf8', off + 100, off + 108).replace(/\0.*$/s, '').trim() || '0', 8);
    out.set(prefix ? `${prefix}/${name}` : name, { mode, data: buf.subarray(off + 512, off + 512 + size) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

const blob = (files: Map<string, { data: Buffer }>, digest: string) => files.get(`blobs/sha256/${digest.replace('sha256:', '')}`)!.data;

describe('mirador-image', () => {
  let dir = '';
  beforeAll(() => {
    execFileSync('bash', ['scripts/cluster/build.sh', 'imagebuilder'], { cwd: ROOT, stdio: 'inherit' });
    dir = mkdtempSync(join(tmpdir(), 'mirador-image-'));
    writeFileSync(join(dir, 'prog'), '#!/bin/true\n');
    chmodSync(join(dir, 'prog'), 0o755);
  }, 300_000);

  it('writes a one-layer non-root OCI image that containerd can name', () => {
    const out = join(dir, 'img.tar');
    const build = () => execFileSync(TOOL, ['--ref', 'mirador.local/demo:local', '--out', out,
      '--file', `${join(dir, 'prog')}=/bin/prog`, '--dir', '/tmp:1777', '--entrypoint', '/bin/prog',
      '--cmd', '--config', '--cmd', '/etc/x.yaml', '--user', '10001:10001', '--port', '4317/tcp']);
    build();
    const first = readFileSync(out);
    const files = untar(first);
    expect(JSON.parse(files.get('oci-layout')!.data.toString()).imageLayoutVersion).toBe('1.0.0');
    const index = JSON.parse(files.get('index.json')!.data.toString());
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0].annotations['io.containerd.image.name']).toBe('mirador.local/demo:local');
    expect(index.manifests[0].annotations['org.opencontainers.image.ref.name']).toBe('local');
    const manifest = JSON.parse(blob(files, index.manifests[0].digest).toString());
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.layers).toHaveLength(1);
    const config = JSON.parse(blob(files, manifest.config.digest).toString());
    expect(config.config).toMatchObject({ User: '10001:10001', Entrypoint: ['/bin/prog'], Cmd: ['--config', '/etc/x.yaml'], ExposedPorts: { '4317/tcp': {} } });
    expect(config.os).toBe('linux');
    const layer = untar(gunzipSync(blob(files, manifest.layers[0].digest)));
    expect([...layer.keys()].sort()).toEqual(['bin/', 'bin/prog', 'tmp/']);
    expect(layer.get('bin/prog')!.data.toString()).toBe('#!/bin/true\n');
    expect(layer.get('bin/prog')!.mode & 0o777).toBe(0o755);
    expect(layer.get('tmp/')!.mode & 0o7777).toBe(0o1777);
    // Reproducible: the same input gives the same bytes, so build:image skips re-imports.
    build();
    expect(readFileSync(out).equals(first)).toBe(true);
  });

  it('rejects bad input with one clear message naming the flag', () => {
    const fail = (...args: string[]) => {
      const r = spawnSync(TOOL, args, { encoding: 'utf8' });
      expect(r.status).toBe(1);
      return r.stderr.trim();
    };
    const out = join(dir, 'x.tar');
    expect(fail('--out', out, '--file', `${join(dir, 'prog')}=/p`)).toBe('mirador-image: --ref is required');
    expect(fail('--ref', 'a/b:c', '--out', out, '--file', 'prog')).toMatch(/^mirador-image: --file "prog": want SRC=DST with an absolute DST$/);
    expect(fail('--ref', 'a/b:c', '--out', out, '--file', `${join(dir, 'nope')}=/p`)).toMatch(/--file .*no such file or directory/);
    expect(fail('--ref', 'a/b:c', '--out', out, '--file', `${join(dir, 'prog')}=/p`, '--dir', '/tmp:99x')).toBe('mirador-image: --dir "/tmp:99x": mode "99x" is not octal');
    expect(fail('--ref', 'UPPER/Case:x', '--out', out, '--file', `${join(dir, 'prog')}=/p`)).toMatch(/^mirador-image: --ref "UPPER\/Case:x": /);
  });
});
