import { expect, it } from 'vitest';
import http from 'node:http';
import type { Socket } from 'node:net';
import { startLocalRuntime } from './index.ts';
import { backendsManifest, FIXTURE_SERVICE } from './test-helpers.ts';

it('cancels the body when the client goes away mid-response', async () => {
  // A backend that sends the head and one chunk, then nothing.
  const open = new Set<Socket>();
  const backend = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial-');
  });
  backend.on('connection', (s) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const address = backend.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const rt = await startLocalRuntime({ manifest: backendsManifest({ slow: { url } }), entry: FIXTURE_SERVICE, echoLogs: false });
  try {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${rt.url}/proxy/slow/body?mode=pass`, { agent: false }, resolve).on('error', reject);
    });
    await new Promise((resolve) => res.once('data', resolve));
    expect(open.size).toBe(1);
    res.destroy();
    const deadline = Date.now() + 2000;
    while (open.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    // The runtime cancelled the body, which closed its backend connection.
    expect(open.size).toBe(0);
  } finally {
    await rt.close();
    for (const s of open) s.destroy();
    await new Promise<void>((resolve) => backend.close(() => resolve()));
  }
});
