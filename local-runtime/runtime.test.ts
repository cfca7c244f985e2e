import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { loadManifest, startLocalRuntime, type LocalRuntime } from './index.ts';
import { HOOKS_WITHOUT_HTTP_CACHE } from './http-cache.ts';
import { backendsManifest, closedPort, FIXTURE_MANIFEST, FIXTURE_SERVICE, startOrigin, type Origin } from './test-helpers.ts';

const NETWORK_ERROR = { name: 'NetworkError', message: 'NetworkError when attempting to fetch resource.', isDOMException: true };

async function getJson(rt: LocalRuntime, path: string): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(rt.url + path);
  return { status: r.status, body: await r.json(), headers: r.headers };
}

describe('local runtime: routing, errors, host APIs', () => {
  let origin: Origin;
  let stall: Origin;
  let rt: LocalRuntime;
  let refused: number;
  const errors: string[] = [];

  beforeAll(async () => {
    process.env.LOCAL_RUNTIME_TEST_SECRET = 'from-env';
    origin = await startOrigin((req, res) => {
      if (req.url?.includes('reset')) {
        req.socket.destroy();
        return;
      }
      res.writeHead(req.url?.includes('fail') ? 503 : 200, { 'content-type': 'text/plain', 'x-seen-host': req.headers.host ?? '' });
      res.end(`${req.method} ${req.url}`);
    });
    // Sends the head and one chunk, then nothing: for first-byte and between-bytes timeouts.
    stall = await startOrigin((req, res) => {
      if (req.url?.includes('nohead')) return;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial-');
    });
    refused = await closedPort();
    const fixture = loadManifest(FIXTURE_MANIFEST);
    const manifest = backendsManifest(
      {
        origin: { url: `${origin.url}/`, health: 'healthy' },
        mirror: { url: `${origin.url}/mirror-prefix`, override_host: 'mirror.example.test', health: 'unhealthy' },
        plain: { url: origin.url },
        refused: { url: `http://127.0.0.1:${refused}` },
        slow: { url: stall.url, first_byte_timeout_ms: 150, between_bytes_timeout_ms: 150 },
      },
      {
        config_stores: { settings: { format: 'inline-toml', contents: { mode: 'normal' } }, fromjson: { format: 'json', file: 'data/config.json' } },
        secret_stores: {
          secrets: [
            { key: 'token', data: 's3cr3t' },
            { key: 'fromenv', env: 'LOCAL_RUNTIME_TEST_SECRET' },
          ],
          jsonsecrets: { file: 'data/secrets.json', format: 'json' },
        },
      },
    );
    expect(fixture.backends.size).toBeGreaterThan(0);
    rt = await startLocalRuntime({
      manifest,
      manifestPath: FIXTURE_MANIFEST,
      entry: FIXTURE_SERVICE,
      echoLogs: false,
      errorLog: (m) => errors.push(m),
    });
  });

  afterAll(async () => {
    await rt?.close();
    await origin?.close();
    await stall?.close();
    delete process.env.LOCAL_RUNTIME_TEST_SECRET;
  });

  it('gives the service a Viceroy-shaped request and environment', async () => {
    const { body } = await getJson(rt, '/info?x=1');
    expect(body.url).toBe(`http://127.0.0.1:${rt.port}/info?x=1`);
    expect(body.client).toBe('127.0.0.1');
    expect(body.isRequest).toBe(true);
    expect(body.backend).toBeNull();
    expect(body.hostname).toBe('localhost');
    expect(body.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(body.traceIdAgain).toBe(body.traceId);
    expect(body.other).toBeNull();
    const again = await getJson(rt, '/info');
    expect(again.body.traceId).not.toBe(body.traceId);
  });

  it('refuses host calls at initialisation time', async () => {
    const { body } = await getJson(rt, '/info');
    const wizer = (what: string) => `TypeError: ${what} can only be used during request handling, not during initialization`;
    expect(body.initErrors).toEqual({
      configStore: wizer('The ConfigStore builtin'),
      secretStore: wizer('The SecretStore builtin'),
      backend: wizer('The Backend builtin'),
      logger: wizer('The Logger builtin'),
      fetch: wizer('fetch'),
    });
  });

  it('sends to the named backend with Host from the request, or override_host, and the backend path prefix', async () => {
    const r1 = await fetch(`${rt.url}/proxy/origin/a/b?mode=pass`);
    expect(r1.status).toBe(200);
    expect(await r1.text()).toBe('GET /a/b');
    expect(r1.headers.get('x-seen-host')).toBe('www.example.test');
    expect(r1.headers.get('x-lr-backend')).toBe('origin');

    const r2 = await fetch(`${rt.url}/proxy/mirror/a/b?mode=pass`);
    expect(await r2.text()).toBe('GET /mirror-prefix/a/b');
    expect(r2.headers.get('x-seen-host')).toBe('mirror.example.test');

    const r3 = await fetch(`${rt.url}/proxy/plain/c?mode=pass&host=explicit.example.test&viaRequest=1&method=POST`);
    expect(await r3.text()).toBe('POST /c');
    expect(r3.headers.get('x-seen-host')).toBe('explicit.example.test');
    expect(origin.seen.at(-1)!.headers['content-length'] ?? origin.seen.at(-1)!.headers['transfer-encoding']).toBeTruthy();
  });

  it('passes 5xx answers through as responses', async () => {
    const r = await fetch(`${rt.url}/proxy/origin/fail?mode=pass`);
    expect(r.status).toBe(503);
    expect(await r.text()).toBe('GET /fail');
  });

  it('rejects an unknown backend with the platform TypeError', async () => {
    const { status, body } = await getJson(rt, '/proxy/nope/x');
    expect(status).toBe(502);
    expect(body.fetchError).toEqual({ name: 'TypeError', message: "Requested backend named 'nope' does not exist", isDOMException: false });
  });

  it('turns refused connections, resets and first-byte timeouts into NetworkError', async () => {
    expect((await getJson(rt, '/proxy/refused/x?mode=pass')).body.fetchError).toEqual(NETWORK_ERROR);
    expect((await getJson(rt, '/proxy/origin/reset?mode=pass')).body.fetchError).toEqual(NETWORK_ERROR);
    expect((await getJson(rt, '/proxy/slow/nohead?mode=pass')).body.fetchError).toEqual(NETWORK_ERROR);
    expect(errors.some((e) => e.includes("Backend connection error for 'refused'"))).toBe(true);
  });

  it('errors the body stream when the backend stalls between bytes', async () => {
    const read = await getJson(rt, '/proxy/slow/body?mode=pass&read=1');
    expect(read.body.bodyError).toEqual(NETWORK_ERROR);
    // Streamed through to the client, the response is cut short.
    const r = await fetch(`${rt.url}/proxy/slow/body?mode=pass`);
    expect(r.status).toBe(200);
    await expect(r.text()).rejects.toThrow();
  });

  it('reports backend health from the manifest', async () => {
    expect((await getJson(rt, '/health/origin')).body).toMatchObject({ health: 'healthy', name: 'origin', str: 'origin', exists: true, isSSL: false, firstByteTimeout: null });
    expect((await getJson(rt, '/health/mirror')).body.health).toBe('unhealthy');
    expect((await getJson(rt, '/health/plain')).body.health).toBe('unknown');
    const missing = await getJson(rt, '/health/nope');
    expect(missing.body).toEqual({ exists: false, error: { name: 'Error', message: "Backend.fromName: backend named 'nope' does not exist", isDOMException: false } });
  });

  it('serves config stores (inline and JSON) and secret stores', async () => {
    expect((await getJson(rt, '/config/settings/mode')).body).toEqual({ value: 'normal' });
    expect((await getJson(rt, '/config/settings/absent')).body).toEqual({ value: null });
    expect((await getJson(rt, '/config/fromjson/colour')).body).toEqual({ value: 'blue' });
    expect((await getJson(rt, '/config/nostore/x')).body.error).toEqual({
      name: 'TypeError',
      message: "ConfigStore constructor: No ConfigStore named 'nostore' exists",
      isDOMException: false,
    });
    expect((await getJson(rt, '/secret/secrets/token')).body).toEqual({ value: 's3cr3t', bytes: 6 });
    expect((await getJson(rt, '/secret/secrets/fromenv')).body).toEqual({ value: 'from-env', bytes: 8 });
    expect((await getJson(rt, '/secret/secrets/absent')).body).toEqual({ value: null });
    expect((await getJson(rt, '/secret/jsonsecrets/apiKey')).body).toEqual({ value: 'k-123', bytes: 5 });
    expect((await getJson(rt, '/secret/nostore/x')).body.error.message).toBe("SecretStore constructor: No SecretStore named 'nostore' exists");
  });

  it('captures logger lines per endpoint', async () => {
    await fetch(`${rt.url}/log/access?line=${encodeURIComponent('GET /x 200')}`).then((r) => r.text());
    await fetch(`${rt.url}/log/errors?line=${encodeURIComponent('two\nlines\n')}`).then((r) => r.text());
    expect(rt.logs.slice(-2)).toEqual([
      { endpoint: 'access', line: 'GET /x 200' },
      { endpoint: 'errors', line: 'two\nlines' },
    ]);
  });

  it('answers 500 when the handler throws, rejects, responds with a non-Response or does not respond', async () => {
    for (const path of ['/throw', '/reject', '/not-a-response', '/no-respond', '/throw-sync']) {
      const r = await fetch(rt.url + path);
      expect(r.status, path).toBe(500);
      expect(await r.text()).toBe('');
    }
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
