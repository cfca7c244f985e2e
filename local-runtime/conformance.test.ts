/**
 * The double against the real runtime: the fixture service exercises each
 * modelled `fastly:*` API, and the same assertions run on the local runtime
 * (test-fixtures/service.js bundled in Node, no readthrough cache, as in
 * Viceroy) and on Viceroy (the same file compiled by js-compute-runtime with
 * --enable-http-cache, as the service is). When they disagree, Viceroy is
 * right about the platform and the double is changed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FixtureEngine, localFixtureEngine, type RunningFixture, viceroyFixtureEngine } from './fixture-engines.ts';
import { exchange } from '../test/support/raw-http.ts';
import { startLocalRuntime } from './index.ts';
import { HOOKS_WITHOUT_HTTP_CACHE } from './http-cache.ts';
import { backendsManifest, FIXTURE_SERVICE, type FixtureBackends, type Origin, startFixtureBackends } from './test-helpers.ts';

const NETWORK_ERROR = { name: 'NetworkError', message: 'NetworkError when attempting to fetch resource.', isDOMException: true };
/** Reading a body that breaks off: the body host call's own errors, not a NetworkError. */
const BODY_ENDED_EARLY = { name: 'Error', message: 'read_from_handle_all: HTTP incomplete message error. A stream ended unexpectedly.\n', isDOMException: false };
const BODY_TIMED_OUT = { name: 'Error', message: 'read_from_handle_all: Generic error value. This means that some unexpected error occurred during a hostcall.\n', isDOMException: false };

const run = promisify(execFile);
const chosen = inject('viceroy');
const ENGINES: FixtureEngine[] = 'path' in chosen ? [localFixtureEngine(FIXTURE_SERVICE, { httpCache: false }), viceroyFixtureEngine(chosen.path, FIXTURE_SERVICE)] : [localFixtureEngine(FIXTURE_SERVICE, { httpCache: false })];

describe.each(ENGINES)('on $name: the fixture service', (engine) => {
  let backends: FixtureBackends;
  let origin: Origin;
  let rt: RunningFixture;

  async function getJson(path: string): Promise<{ status: number; body: any; headers: Headers }> {
    const r = await fetch(rt.url + path);
    return { status: r.status, body: await r.json(), headers: r.headers };
  }

  beforeAll(async () => {
    process.env.LOCAL_RUNTIME_TEST_SECRET = 'from-env';
    await engine.prepare?.();
    backends = await startFixtureBackends();
    origin = backends.origin;
    rt = await engine.start(backends.manifest(300));
  }, 300_000);

  afterAll(async () => {
    await rt?.close();
    await backends?.close();
    engine.cleanup?.();
    delete process.env.LOCAL_RUNTIME_TEST_SECRET;
  });

  it('gives the service the request URL, client address and environment', async () => {
    const { body } = await getJson('/info?x=1');
    expect(body.url).toBe(`${rt.url}/info?x=1`);
    expect(body.client).toBe('127.0.0.1');
    expect(body.isRequest).toBe(true);
    expect(body.isCacheable, 'undefined where there is no HTTP cache API').toBe('undefined');
    expect(body.backend).toBeNull();
    expect(body.hostname).toBe('localhost');
    expect(body.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(body.traceIdAgain).toBe(body.traceId);
    expect(body.pop).toBe('XXX');
    const again = await getJson('/info');
    expect(again.body.traceId).not.toBe(body.traceId);
  });

  it.each<[string, string, string]>([
    ['dot segments kept', 'GET /info/./x/../y HTTP/1.1\r\nHost: www.example.test', 'http://www.example.test/info/./x/../y'],
    ['an absolute https target: its path, the Host header\'s host', 'GET https://evil.example/info?q HTTP/1.1\r\nHost: www.example.test', 'https://www.example.test/info?q'],
    ['a fragment dropped, the Host kept as sent', 'GET /info#frag HTTP/1.1\r\nHost: WWW.Example.Test:80', 'http://WWW.Example.Test:80/info'],
    ['any method token, the six standard ones in upper case', 'get /info HTTP/1.1\r\nHost: www.example.test', 'GET'],
    ['another method as sent', 'BREW /info HTTP/1.1\r\nHost: www.example.test', 'BREW'],
    ['TRACE too', 'TRACE /info HTTP/1.1\r\nHost: www.example.test', 'TRACE'],
  ])('hands the service the request as sent: %s', async (_what, head, expected) => {
    const got = await exchange(rt.url, Buffer.from(`${head}\r\nConnection: close\r\n\r\n`, 'latin1'), ['GET']);
    expect(got.responses[0]?.status).toBe(200);
    const body = JSON.parse(got.responses[0]!.body.toString());
    expect(expected.includes('://') ? body.url : body.method).toBe(expected);
  });

  it.each<[string, string, number | 'nothing']>([
    ['a port out of range: the URL cannot be built, 500', 'GET /info HTTP/1.1\r\nHost: www.example.test:99999', 500],
    ['`<` in the path: the HTTP server\'s 400', 'GET /info/a<b HTTP/1.1\r\nHost: www.example.test', 400],
    ['101 header lines: its 431', `GET /info HTTP/1.1\r\nHost: www.example.test\r\n${Array.from({ length: 99 }, (_, i) => `X-${i}: v`).join('\r\n')}`, 431],
    ['Transfer-Encoding in HTTP/1.0: 400', 'POST /info HTTP/1.0\r\nHost: www.example.test\r\nTransfer-Encoding: chunked', 400],
  ])('refuses what Viceroy\'s HTTP server refuses: %s', async (_what, head, expected) => {
    const got = await exchange(rt.url, Buffer.from(`${head}\r\nConnection: close\r\n\r\n`, 'latin1'), ['GET']);
    expect(got.responses[0]?.status ?? 'nothing').toBe(expected);
  });

  it('shows the guest no request header at all when one value is 69,000 bytes or more, and all of them below that', async () => {
    const names = async (valueBytes: number) => {
      const r = await fetch(`${rt.url}/header-names`, { headers: { 'X-Long': 'a'.repeat(valueBytes), 'X-Other': '1' } });
      return ((await r.json()) as { names: string[] }).names;
    };
    expect(await names(68_999)).toEqual(expect.arrayContaining(['host', 'x-long', 'x-other']));
    expect(await names(69_000)).toEqual([]);
  });

  it('refuses store and fetch host calls, Request and Response at initialisation time, where Headers work and env() has no values', async () => {
    const { body } = await getJson('/info');
    const wizer = (what: string) => `TypeError: ${what} can only be used during request handling, not during initialization`;
    expect(body.initErrors).toEqual({
      configStore: wizer('The ConfigStore builtin'),
      secretStore: wizer('The SecretStore builtin'),
      fetch: wizer('fetch'),
      request: wizer('The Request builtin'),
      response: wizer('The Response builtin'),
      headers: 'no error: 1',
      hostname: 'no error: undefined',
      coreCache: wizer('The CoreCache builtin'),
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

  it.each([
    ['deleted: not sent', '', null],
    // A js-compute quirk: the service no longer sees the header, but the response still sends it.
    ['deleted after its names were listed: still sent', '&listFirst=1', 'www.example.test'],
  ])('sends a fetched response on as it is, with a header set on it and one %s', async (_name, extra, sent) => {
    const r = await fetch(`${rt.url}/proxy/origin/a?mode=pass&passthrough=1&drop=x-seen-host${extra}`);
    expect(await r.text()).toBe('GET /a');
    expect(r.headers.get('x-set-on-fetched')).toBe('1');
    expect(r.headers.get('x-seen-after-delete')).toBe('null');
    expect(r.headers.get('x-seen-host')).toBe(sent);
  });

  it('passes 5xx answers through as responses', async () => {
    const r = await fetch(`${rt.url}/proxy/origin/fail?mode=pass`);
    expect(r.status).toBe(503);
    expect(await r.text()).toBe('GET /fail');
  });

  it('rejects an unknown backend with the platform TypeError', async () => {
    const { status, body } = await getJson('/proxy/nope/x');
    expect(status).toBe(502);
    expect(body.fetchError).toEqual({ name: 'TypeError', message: "Requested backend named 'nope' does not exist", isDOMException: false });
  });

  it('turns refused connections, resets and first-byte timeouts into NetworkError', async () => {
    expect((await getJson('/proxy/refused/x?mode=pass')).body.fetchError).toEqual(NETWORK_ERROR);
    expect((await getJson('/proxy/origin/reset?mode=pass')).body.fetchError).toEqual(NETWORK_ERROR);
    const started = performance.now();
    expect((await getJson('/proxy/slow/nohead?mode=pass')).body.fetchError).toEqual(NETWORK_ERROR);
    expect(performance.now() - started, 'after the first-byte timeout').toBeGreaterThanOrEqual(250);
  });

  it('errors the body stream when the backend resets or stalls between bytes', async () => {
    expect((await getJson('/proxy/origin/halfreset?mode=pass&read=1')).body.bodyError).toEqual(BODY_ENDED_EARLY);
    const read = await getJson('/proxy/slow/body?mode=pass&read=1');
    expect(read.body.bodyError).toEqual(BODY_TIMED_OUT);
    // Streamed through to the client, the response is cut short.
    const r = await fetch(`${rt.url}/proxy/slow/body?mode=pass`);
    expect(r.status).toBe(200);
    await expect(r.text()).rejects.toThrow();
  });

  it('reports backend health from the manifest', async () => {
    expect((await getJson('/health/origin')).body).toMatchObject({ health: 'healthy', name: 'origin', str: 'origin', exists: true, isSSL: false, firstByteTimeout: null });
    expect((await getJson('/health/mirror')).body.health).toBe('unhealthy');
    // What the service reads to address a bucket when no mirror_*_host is configured.
    expect((await getJson('/health/mirror')).body).toMatchObject({ hostOverride: 'mirror.example.test', target: '127.0.0.1' });
    expect((await getJson('/health/plain')).body).toMatchObject({
      hostOverride: { error: { name: 'Error', message: 'host_override_get: A `None` error. This status code is used to indicate when an optional value did not exist, as opposed to an empty value.\n', isDOMException: false } },
      target: '127.0.0.1',
    });
    expect((await getJson('/health/plain')).body.health).toBe('unknown');
    const missing = await getJson('/health/nope');
    expect(missing.body).toEqual({ exists: false, error: { name: 'Error', message: "Backend.fromName: backend named 'nope' does not exist", isDOMException: false } });
  });

  it('serves config stores (inline and JSON) and secret stores', async () => {
    expect((await getJson('/config/settings/mode')).body).toEqual({ value: 'normal' });
    expect((await getJson('/config/settings/absent')).body).toEqual({ value: null });
    expect((await getJson('/config/fromjson/colour')).body).toEqual({ value: 'blue' });
    expect((await getJson('/config/nostore/x')).body.error).toEqual({
      name: 'TypeError',
      message: "ConfigStore constructor: No ConfigStore named 'nostore' exists",
      isDOMException: false,
    });
    expect((await getJson('/secret/secrets/token')).body).toEqual({ value: 's3cr3t', bytes: 6 });
    expect((await getJson('/secret/secrets/fromenv')).body).toEqual({ value: 'from-env', bytes: 8 });
    expect((await getJson('/secret/secrets/absent')).body).toEqual({ value: null });
    expect((await getJson('/secret/jsonsecrets/apiKey')).body).toEqual({ value: 'k-123', bytes: 5 });
    expect((await getJson('/secret/nostore/x')).body.error.message).toBe("SecretStore constructor: No SecretStore named 'nostore' exists");
  });

  it('writes logger lines per endpoint, one trailing newline dropped, from a Logger made at init too', async () => {
    const before = rt.logs.length;
    await fetch(`${rt.url}/log/access?line=${encodeURIComponent('GET /x 200')}`).then((r) => r.text());
    await fetch(`${rt.url}/log/errors?line=${encodeURIComponent('two\nlines\n')}`).then((r) => r.text());
    await fetch(`${rt.url}/log/made-at-init?line=early`).then((r) => r.text());
    await rt.waitForLogs(before + 3);
    expect(rt.logs.slice(before)).toEqual([
      { endpoint: 'access', line: 'GET /x 200' },
      { endpoint: 'errors', line: 'two\\nlines' },
      { endpoint: 'made-at-init', line: 'early' },
    ]);
  });

  it('keeps Core cache entries across requests, with their metadata, body and max age, until they expire', async () => {
    const key = `entry-${engine.name}`;
    expect((await getJson(`/core-cache/insert?key=${key}&ms=60000&meta=seg%2Fa&body=hello`)).body).toEqual({ value: 'undefined' });
    const { entry } = (await getJson(`/core-cache/lookup?key=${key}`)).body;
    expect(entry).toMatchObject({
      found: true,
      usable: true,
      stale: false,
      mustInsertOrUpdate: false,
      maxAge: 60000,
      length: 5,
      userMetadata: 'seg/a',
      body: 'hello',
      closeTwice: { error: { name: 'Error', message: 'close: Invalid handle. Thrown when a request, response, dictionary, or body handle is not valid.\n', isDOMException: false } },
      afterClose: { error: { name: 'Error', message: 'maxAge: Invalid handle. Thrown when a request, response, dictionary, or body handle is not valid.\n', isDOMException: false } },
    });
    expect(entry.age).toBeGreaterThanOrEqual(0);
    expect(entry.age).toBeLessThan(5000);
    const unsupported = (call: string) => ({ error: { name: 'Error', message: `${call}: Unsupported operation error. This error is thrown when some operation cannot be performed, because it is not supported.\n`, isDOMException: false } });
    expect(entry.hits).toEqual(unsupported('hits'));
    expect(entry.staleWhileRevalidate).toEqual(unsupported('staleWhileRevalidate'));

    // A max age of 0 is how a mark is cleared: never found again.
    await getJson(`/core-cache/insert?key=${key}&ms=0`);
    expect((await getJson(`/core-cache/lookup?key=${key}`)).body).toEqual({ entry: null });
    expect((await getJson(`/core-cache/lookup?key=never-${key}`)).body).toEqual({ entry: null });
    expect((await getJson(`/core-cache/insert?key=w-${key}&ms=1000&appendAfterClose=1`)).body.error.message).toBe('append: Invalid handle. Thrown when a request, response, dictionary, or body handle is not valid.\n');
  });

  it('expires a Core cache entry after its max age', async () => {
    const key = `expiring-${engine.name}`;
    const insertedAfter = performance.now();
    await getJson(`/core-cache/insert?key=${key}&ms=400`);
    const foundAt = performance.now();
    expect((await getJson(`/core-cache/lookup?key=${key}`)).body.entry, 'found at once').not.toBeNull();
    let gone = Number.NaN;
    while (performance.now() - insertedAfter < 5_000) {
      const sentAt = performance.now();
      if ((await getJson(`/core-cache/lookup?key=${key}`)).body.entry === null) {
        gone = sentAt;
        break;
      }
    }
    expect(gone - foundAt, 'not found any more after 400 ms').toBeGreaterThanOrEqual(0);
    expect(performance.now() - insertedAfter, 'gone no sooner than its max age').toBeGreaterThanOrEqual(400);
    expect(gone - insertedAfter, 'and soon after it').toBeLessThan(1_400);
  });

  it('checks Core cache keys and options as js-compute and the host do', async () => {
    const error = (message: string, name = 'Error') => ({ error: { name, message, isDOMException: false } });
    expect((await getJson('/core-cache/errors')).body).toEqual({
      emptyKey: error('CoreCache.lookup: key can not be an empty string'),
      longKey: error('CoreCache.lookup: key is too long, the maximum allowed length is 8135.'),
      overHostLimit: error('lookup: Invalid argument.\n'),
      atHostLimit: { value: null },
      insertOneArgument: error('CoreCache.insert: At least 2 arguments required, but only 1 passed', 'TypeError'),
      insertNoMaxAge: error('maxAge is required'),
      insertNegative: error('maxAge field is an invalid value, only positive numbers can be used for maxAge values.'),
      insertOverHostLimit: error('insert: Invalid argument.\n'),
    });
  });

  it('answers 500 when the handler throws, rejects, responds with a non-Response or does not respond', async () => {
    for (const path of ['/throw', '/reject', '/not-a-response', '/no-respond', '/throw-sync']) {
      const r = await fetch(rt.url + path);
      expect(r.status, path).toBe(500);
      expect(await r.text()).toBe('');
    }
  });

  it('has no readthrough cache: hooks throw synchronously, cache fields are undefined, every GET reaches the backend', async () => {
    const r = await fetch(`${rt.url}/sync-throw?mode=override&after=1`);
    expect((await r.json()).error).toEqual({ name: 'Error', message: HOOKS_WITHOUT_HTTP_CACHE, isDOMException: false });
    const noHooks = await fetch(`${rt.url}/sync-throw?mode=override&ttl=5`);
    expect((await noHooks.json()).threw).toBe(false);
    const before = origin.seen.length;
    for (let i = 0; i < 2; i++) {
      const p = await fetch(`${rt.url}/proxy/origin/same`);
      expect(p.headers.get('x-lr-cached')).toBe('undefined');
      await p.text();
    }
    expect(origin.seen.length - before).toBe(2);
  });
});

/**
 * Some host calls cannot run at Wizer time at all: js-compute-runtime's build
 * traps, and the double refuses to load the service with the same words.
 */
describe.each([
  ['Backend.fromName', "import { Backend } from 'fastly:backend';\ntry { Backend.fromName('origin'); } catch {}", "'fastly_backend' 'exists'"],
  ['Backend.exists', "import { Backend } from 'fastly:backend';\ntry { Backend.exists('origin'); } catch {}", "'fastly_backend' 'exists'"],
  ['Logger.log', "import { Logger } from 'fastly:logger';\ntry { new Logger('x').log('at init'); } catch {}", "'fastly_log' 'endpoint_get'"],
])('%s at initialisation fails the build', (_name, source, hostcall) => {
  const service = `${source}\naddEventListener('fetch', (e) => e.respondWith(new Response('unreachable')));\n`;
  const expected = `the \`wizer.initialize\` function trapped`;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'govuk-failover-init-trap-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on local-runtime: the service does not load', async () => {
    const entry = join(dir, 'local.js');
    writeFileSync(entry, service);
    const started = startLocalRuntime({ manifest: backendsManifest({ origin: { url: 'http://127.0.0.1:9' } }), entry, echoLogs: false });
    await expect(started).rejects.toThrow(expected);
    await expect(started).rejects.toThrow(`attempted to call an unknown imported function: ${hostcall}`);
  });

  it.skipIf(!('path' in chosen))('on viceroy: js-compute-runtime does not build it', async () => {
    const entry = join(dir, 'wasm.js');
    writeFileSync(entry, service);
    const built = run('npx', ['js-compute-runtime', entry, join(dir, 'out.wasm')], { timeout: 300_000 });
    await expect(built).rejects.toThrow(expected);
    await expect(built).rejects.toThrow(`attempted to call an unknown imported function: ${hostcall}`);
  }, 300_000);
});
