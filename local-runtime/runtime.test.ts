import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { loadManifest, startLocalRuntime, type LocalRuntime } from './index.ts';
import { HOOKS_WITHOUT_HTTP_CACHE } from './http-cache.ts';
import { backendsManifest, FIXTURE_MANIFEST, FIXTURE_SERVICE, type FixtureBackends, type Origin, startFixtureBackends } from './test-helpers.ts';

async function getJson(rt: LocalRuntime, path: string): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(rt.url + path);
  return { status: r.status, body: await r.json(), headers: r.headers };
}

// What the fixture service sees of each fastly:* API is checked against Viceroy in conformance.test.ts;
// this file keeps what only the double has: its error log, the modelled cache, instances side by side.
describe('local runtime: error log, cache hooks, instances', () => {
  let backends: FixtureBackends;
  let origin: Origin;
  let stall: Origin;
  let rt: LocalRuntime;
  const errors: string[] = [];

  beforeAll(async () => {
    process.env.LOCAL_RUNTIME_TEST_SECRET = 'from-env';
    backends = await startFixtureBackends();
    ({ origin, stall } = backends);
    expect(loadManifest(FIXTURE_MANIFEST).backends.size).toBeGreaterThan(0);
    rt = await startLocalRuntime({
      manifest: backends.manifest(150),
      manifestPath: FIXTURE_MANIFEST,
      entry: FIXTURE_SERVICE,
      echoLogs: false,
      errorLog: (m) => errors.push(m),
    });
  });

  afterAll(async () => {
    await rt?.close();
    await backends?.close();
    delete process.env.LOCAL_RUNTIME_TEST_SECRET;
  });

  it('reports backend connection errors and handler errors on its error log', async () => {
    await getJson(rt, '/proxy/refused/x?mode=pass');
    expect(errors.some((e) => e.includes("Backend connection error for 'refused'"))).toBe(true);
    expect((await fetch(`${rt.url}/throw`)).status).toBe(500);
    expect(errors.some((e) => e.startsWith('Error while running request handler: Error: boom'))).toBe(true);
  });

  it('throws synchronously for cache hooks only when the HTTP cache is off', async () => {
    const withCache = await getJson(rt, '/sync-throw?mode=override&after=1');
    expect(withCache.body.threw).toBe(false);
    const viceroy = await startLocalRuntime({
      manifest: backendsManifest({ origin: { url: origin.url } }),
      entry: FIXTURE_SERVICE,
      httpCache: false,
      echoLogs: false,
    });
    try {
      const r = await fetch(`${viceroy.url}/sync-throw?mode=override&after=1`);
      expect((await r.json()).error).toEqual({ name: 'Error', message: HOOKS_WITHOUT_HTTP_CACHE, isDOMException: false });
      const noHooks = await fetch(`${viceroy.url}/sync-throw?mode=override&ttl=5`);
      expect((await noHooks.json()).threw).toBe(false);
      // Viceroy has no readthrough cache: every GET reaches the backend, and
      // the HTTP-cache properties are undefined.
      const before = origin.seen.length;
      for (let i = 0; i < 2; i++) {
        const p = await fetch(`${viceroy.url}/proxy/origin/same`);
        expect(p.headers.get('x-lr-cached')).toBe('undefined');
        await p.text();
      }
      expect(origin.seen.length - before).toBe(2);
    } finally {
      await viceroy.close();
    }
  });

  it('runs several instances side by side, each with its own manifest', async () => {
    const other = await startLocalRuntime({
      manifest: { local_server: { config_stores: { settings: { format: 'inline-toml', contents: { mode: 'other' } } } } },
      entry: FIXTURE_SERVICE,
      echoLogs: false,
    });
    try {
      const [a, b] = await Promise.all([getJson(rt, '/config/settings/mode'), getJson(other, '/config/settings/mode')]);
      expect(a.body.value).toBe('normal');
      expect(b.body.value).toBe('other');
      expect((await getJson(other, '/health/origin')).status).toBe(404);
    } finally {
      await other.close();
    }
  });

  it('closes cleanly, even with a client connection held open', async () => {
    const extra = await startLocalRuntime({ manifest: backendsManifest({ slow: { url: stall.url } }), entry: FIXTURE_SERVICE, echoLogs: false });
    const agent = new http.Agent({ keepAlive: true });
    const responded = new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${extra.url}/proxy/slow/body?mode=pass`, { agent }, resolve).on('error', reject);
    });
    const res = await responded;
    const ended = new Promise<string>((resolve) => {
      res.on('error', () => resolve('error'));
      res.on('aborted', () => resolve('aborted'));
      res.on('close', () => resolve('closed'));
      res.resume();
    });
    await extra.close();
    expect(await ended).toMatch(/error|aborted|closed/);
    agent.destroy();
  });
});
