// The `helm test` pod's command, run here against a local HTTP server standing in for the gateway:
// it sends one OTLP/HTTP JSON trace request with curl alone (exec form, no shell, so an image
// holding only curl works), and fails when the gateway keeps refusing it.
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/harness/index.js';
import { ofKind, render } from './helm.js';

const run = promisify(execFile);
let container: any;

beforeAll(async () => {
  const [pod] = ofKind(await render(), 'Pod');
  expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
  container = pod.spec.containers[0];
});

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

/** Runs the container's command with the gateway URL (its last argument) pointed at `url`. */
async function runPod(url: string): Promise<number> {
  const [cmd, ...args] = container.command as string[];
  expect(args.at(-1)).toBe('http://mirador-gateway.miradorstack.svc:4318/v1/traces');
  try {
    await run(cmd, [...args.slice(0, -1), url], { timeout: 40_000 });
    return 0;
  } catch (e: any) {
    return e.code as number;
  }
}

describe('helm test pod', () => {
  it('sends one OTLP trace request to the gateway', async () => {
    const gw = await gateway(200);
    try {
      expect(await runPod(gw.url)).toBe(0);
      expect(gw.requests).toHaveLength(1);
      expect(gw.requests[0]).toMatchObject({ url: '/v1/traces', type: 'application/json' });
      expect(gw.requests[0].body.resourceSpans[0].scopeSpans[0].spans[0].name).toBe('helm-test');
    } finally {
      await gw.close();
    }
  });

  it('fails when the gateway refuses the request, after retrying', async () => {
    const gw = await gateway(503);
    try {
      expect(await runPod(gw.url)).not.toBe(0);
      expect(gw.requests).toHaveLength(6);
    } finally {
      await gw.close();
    }
  }, 60_000);
});
