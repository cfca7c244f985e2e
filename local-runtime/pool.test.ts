import { afterEach, describe, expect, it } from 'vitest';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { startLocalRuntime } from './index.ts';
import type { BackendDef } from './context.ts';
import { BackendPool, sendUpstream } from './upstream.ts';
import { backendsManifest, FIXTURE_SERVICE } from './test-helpers.ts';

interface Backend {
  url: string;
  connections: number;
  requests: number;
  open: Set<Socket>;
  reply: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

async function backend(): Promise<Backend> {
  const b: Backend = {
    url: '',
    connections: 0,
    requests: 0,
    open: new Set(),
    reply: (req, res) => res.end(`${req.method} ${req.url}`),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of b.open) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    b.requests++;
    b.reply(req, res);
  });
  server.on('connection', (s) => {
    b.connections++;
    b.open.add(s);
    s.once('close', () => b.open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  b.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return b;
}

function def(url: string): BackendDef {
  return { name: 'b', url: new URL(url), useSni: false, grpc: false, health: 'unknown', caCertificates: [] };
}

const inflight = { add: () => () => undefined };

async function get(pool: BackendPool, url: string): Promise<string> {
  try {
    const res = await sendUpstream(def(url), new Request('http://www.example.test/x'), { inflight, pool });
    let text = '';
    for await (const chunk of res) text += chunk;
    return text;
  } catch (err) {
    return `error: ${(err as Error).name}`;
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('backend connection pool', () => {
  it('reuses backend connections, and close() leaves none open', async () => {
    const origin = await backend();
    cleanups.push(() => origin.close());
    const rt = await startLocalRuntime({ manifest: backendsManifest({ origin: { url: origin.url } }), entry: FIXTURE_SERVICE, echoLogs: false });
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${rt.url}/proxy/origin/p${i}?mode=pass`);
      expect(await r.text()).toBe(`GET /p${i}`);
    }
    expect(origin.requests).toBe(5);
    expect(origin.connections).toBe(1);
    await rt.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(origin.open.size).toBe(0);
  });

  it('sends again, once, a GET whose pooled connection the backend had just closed', async () => {
    const origin = await backend();
    const pool = new BackendPool();
    cleanups.push(() => origin.close(), () => pool.destroy());
    expect(await get(pool, origin.url)).toBe('GET /x');
    for (let i = 0; i < 20; i++) {
      // The backend drops its idle connections just as the next request reuses one.
      for (const s of origin.open) s.destroy();
      expect(await get(pool, origin.url)).toBe('GET /x');
    }
    expect(origin.requests).toBe(21);
  });

  it('does not send again a request the backend read and then dropped', async () => {
    const origin = await backend();
    const pool = new BackendPool();
    cleanups.push(() => origin.close(), () => pool.destroy());
    expect(await get(pool, origin.url)).toBe('GET /x');
    origin.reply = (req) => req.socket.destroy();
    expect(await get(pool, origin.url)).toBe('error: NetworkError');
    expect(origin.requests).toBe(2);
  });

  it('closes idle connections after a while', async () => {
    const origin = await backend();
    const pool = new BackendPool();
    cleanups.push(() => origin.close(), () => pool.destroy());
    expect(await get(pool, origin.url)).toBe('GET /x');
    expect(origin.open.size).toBe(1);
    const deadline = Date.now() + 3000;
    while (origin.open.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(origin.open.size).toBe(0);
  });
});
