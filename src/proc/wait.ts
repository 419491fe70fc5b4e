import { connect } from 'node:net';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until check() resolves truthy, or throws after timeoutMs with the label in the message. */
export async function waitFor<T>(label: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) { lastErr = e; }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** Waits until an HTTP GET answers with a status below 400. */
export function waitForHttp(url: string, timeoutMs = 60_000): Promise<true> {
  return waitFor(url, async () => (await fetch(url)).status < 400 || undefined, timeoutMs);
}

/** Waits until a TCP connect to host:port succeeds. */
export function waitForTcp(port: number, host = '127.0.0.1', timeoutMs = 60_000): Promise<true> {
  return waitFor(`${host}:${port}`, () => new Promise<true | undefined>((resolve) => {
    const s = connect({ port, host }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(undefined));
  }), timeoutMs);
}
