// The `helm test` pod's script, run here against a local HTTP server standing in for the gateway:
// it sends one OTLP/HTTP JSON trace request, with curl or (busybox-style images) wget, and fails
// when the gateway refuses it.
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/proc/index.js';
import { ofKind, render } from './helm.js';

const run = promisify(execFile);
let pod: any;
let wgetOnly: string;

beforeAll(async () => {
  [pod] = ofKind(await render(), 'Pod');
  // a PATH with wget but no curl, as in a busybox image
  wgetOnly = mkdtempSync(join(tmpdir(), 'mirador-wget-'));
  for (const tool of ['wget', 'sleep']) symlinkSync(`/usr/bin/${tool}`, join(wgetOnly, tool));
});
afterAll(() => rmSync(wgetOnly, { recursive: true, force: true }));

async function gateway(status: number) {
  const requests: Array<{ url: string; type: string; body: any }> = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let data = '';
    for await (const chunk of req) data += chunk;
    requests.push({ url: req.url!, type: req.headers['content-type'] ?? '', body: JSON.parse(data) });
    res.writeHead(status, { 'Content-Type': 'application/json' }).end('{}');
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { requests, url: `http://127.0.0.1:${port}/v1/traces`, close: () => new Promise((r) => server.close(r)) };
}

async function runPod(url: string, path = process.env.PATH!) {
  const c = pod.spec.containers[0];
  const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
  expect(env.OTLP_URL).toBe('http://mirador-gateway.miradorstack.svc:4318/v1/traces');
  try {
    await run('/bin/sh', [...c.command.slice(1), c.args[0]], { env: { PATH: path, OTLP_BODY: env.OTLP_BODY, OTLP_URL: url }, timeout: 30_000 });
    return 0;
  } catch (e: any) {
    return e.code as number;
  }
}

describe('helm test pod', () => {
  it('is a helm test hook that runs a shell script', () => {
    expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
    expect(pod.spec.containers[0].command).toEqual(['sh', '-c']);
  });

  for (const [tool, path] of [['curl', undefined], ['wget', 'wget-only']] as const) {
    it(`sends one OTLP trace request with ${tool}`, async () => {
      const gw = await gateway(200);
      try {
        expect(await runPod(gw.url, path ? wgetOnly : undefined)).toBe(0);
        expect(gw.requests).toHaveLength(1);
        expect(gw.requests[0].url).toBe('/v1/traces');
        expect(gw.requests[0].type).toBe('application/json');
        expect(gw.requests[0].body.resourceSpans[0].scopeSpans[0].spans[0].name).toBe('helm-test');
      } finally {
        await gw.close();
      }
    });
  }

  it('fails when the gateway refuses the request', async () => {
    const gw = await gateway(503);
    try {
      expect(await runPod(gw.url)).not.toBe(0);
      expect(gw.requests).toHaveLength(5);
    } finally {
      await gw.close();
    }
  }, 60_000);
});
