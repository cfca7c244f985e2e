/**
 * The scenario suite: the real service behind each engine, real stub
 * backends on loopback, real HTTP. It runs on the local runtime (src/,
 * bundled in Node) always, and on Viceroy (bin/main.wasm, built from src/ in
 * this run) wherever the pinned Viceroy is found, with the same assertions.
 * Only the cache scenarios are local-runtime-only: Viceroy has no readthrough
 * cache.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BackendName } from '../../src/core/backends.ts';
import { GOVUK_LOG_COLUMNS } from '../../src/core/log-line.ts';
import { type Engine, engines } from './engines.ts';
import { type Cell, FAULT_MATRIX, FIRST_BYTE_TIMEOUT_MS, HEDGE_MS, SLACK_MS } from './fault-matrix.ts';
import { expectedGcsAuthorization, type Observed, send } from './request.ts';
import { LOG_ENDPOINT, type ManifestDoc, manifestDocument, manifestSecret, type MirrorPages, startWorld, type World } from './world.ts';

const ERROR_PAGE_TEXT = 'Sorry, there is a problem with the service';

const PAGES: MirrorPages = {
  mirrorS3: [...FAULT_MATRIX.map((c) => c.path), '/', '/browse/benefits', '/head/benefits', '/only-in-s3', '/cache/mirror', '/cache/stale'],
  mirrorS3Replica: ['/', '/browse/benefits', '/only-in-replica'],
  mirrorGCS: ['/', '/browse/benefits', '/only-in-replica', '/only-in-gcs', '/signed-by-gcs'],
};

function expectDiagnostics(r: Observed, backend: BackendName | 'error', restarts: number, timing: string[]) {
  expect(r.header('fastly-backend-name'), 'Fastly-Backend-Name').toBe(backend);
  expect(r.header('fastly-failover'), 'Fastly-Failover').toBe(backend !== 'error' && backend !== 'origin' ? '1' : undefined);
  expect(r.header('fastly-restarts'), 'Fastly-Restarts').toBe(String(restarts));
  expect(r.timing, 'Server-Timing').toEqual(timing);
}

describe.each(engines())('on $name', ({ hasCache, start }) => {
  let world: World;
  let engine: Engine;

  beforeAll(async () => {
    world = await startWorld(PAGES);
    engine = await start(world.manifest());
  });
  afterAll(async () => {
    await engine?.close();
    await world?.close();
  });
  beforeEach(async () => {
    await world.reset();
  });

  /** One cell of the fault matrix: the backends set, one request, its status, body source, diagnostics and time. */
  const checkCell = async (on: Engine, { path, origin, mirrorS3, expected }: Cell) => {
    await world.set({ origin, mirrorS3 });
    const r = await send(on.url, path);
    if (expected.body === 'truncated' && r.outcome.kind === 'no-response') {
      // The head is on its way when origin's body breaks off; on a loaded machine Viceroy can see the reset before it
      // has written the head, and closes the connection with nothing sent (seen once in CI, on 2 busy cores). Either
      // way the client sees an incomplete transfer, never a short page presented as whole (docs/behaviour.md).
      expect(r.outcome.code, 'the connection ends with an error, not an empty success').not.toBe('');
      return;
    }
    expect(r.status).toBe(expected.status);
    expectDiagnostics(r, expected.backend, expected.restarts, [...expected.timing]);
    switch (expected.body) {
      case 'origin':
        expect(r.outcome.kind).toBe('response');
        expect(r.header('x-stub-backend')).toBe('origin');
        break;
      case 'mirrorS3':
        expect(r.text).toBe(world.pageBody('mirrorS3', path));
        expect(r.header('cache-control')).toBe('max-age=900');
        break;
      case 'error-page':
        expect(r.text).toContain(ERROR_PAGE_TEXT);
        expect(r.header('retry-after')).toBe('30');
        break;
      case 'truncated':
        expect(r.outcome.kind, 'the body breaks off: the client must see an incomplete response').toBe('broken-body');
        break;
    }
    expect(r.ms).toBeGreaterThanOrEqual(expected.minMs);
    expect(r.ms).toBeLessThan(expected.maxMs);
  };

  describe('fault matrix: origin × mirrorS3', () => {
    it.each(FAULT_MATRIX)('$name', (cell) => checkCell(engine, cell));
  });

  describe('falls through the mirrors in order', () => {
    it.each<{ name: string; path: string; set: Parameters<World['set']>[0]; backend: BackendName | 'error'; restarts: number; timing: string[] }>([
      { name: 'to the replica when mirrorS3 lacks the page', path: '/only-in-replica', set: { origin: { kind: 'status', status: 503 } }, backend: 'mirrorS3Replica', restarts: 2, timing: ['origin http-error 503', 'mirrorS3 http-error 403', 'mirrorS3Replica ok 200'] },
      { name: 'to GCS when both S3 copies lack it', path: '/only-in-gcs', set: { origin: { kind: 'refuse' } }, backend: 'mirrorGCS', restarts: 3, timing: ['origin connection-error', 'mirrorS3 http-error 403', 'mirrorS3Replica http-error 403', 'mirrorGCS ok 200'] },
      { name: 'past a replica answering 503', path: '/only-in-gcs', set: { origin: { kind: 'status', status: 500 }, mirrorS3Replica: { kind: 'status', status: 503 } }, backend: 'mirrorGCS', restarts: 3, timing: ['origin http-error 500', 'mirrorS3 http-error 403', 'mirrorS3Replica http-error 503', 'mirrorGCS ok 200'] },
      { name: 'to the 503 page when no mirror has it', path: '/nowhere', set: { origin: { kind: 'status', status: 502 } }, backend: 'error', restarts: 4, timing: ['origin http-error 502', 'mirrorS3 http-error 403', 'mirrorS3Replica http-error 403', 'mirrorGCS http-error 403'] },
    ])('$name', async ({ path, set, backend, restarts, timing }) => {
      await world.set(set);
      const r = await send(engine.url, path);
      expect(r.status).toBe(backend === 'error' ? 503 : 200);
      expectDiagnostics(r, backend, restarts, timing);
      if (backend === 'error') expect(r.text).toContain(ERROR_PAGE_TEXT);
      else expect(r.text).toBe(world.pageBody(backend as 'mirrorGCS', path));
    });

    it('signs GCS requests with the HMAC key from the secret store', async () => {
      await world.set({ origin: { kind: 'status', status: 503 } });
      const r = await send(engine.url, '/signed-by-gcs');
      expect(r.header('fastly-backend-name')).toBe('mirrorGCS');
      const received = world.stubs.mirrorGCS.requests.at(-1)!;
      expect(received.path).toBe('/www.gov.uk/signed-by-gcs.html');
      const doc = manifestDocument();
      const bucket = ((doc.local_server as Record<string, Record<string, Record<string, Record<string, string>>>>).config_stores!.failover_config!.contents!).gcs_bucket!;
      const date = String(received.headers.date);
      expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(60_000);
      expect(received.headers.authorization).toBe(expectedGcsAuthorization(manifestSecret('gcs_access_id'), manifestSecret('gcs_secret_key'), bucket, 'GET', date, received.path));
      expect(JSON.stringify(r.outcome)).not.toContain(manifestSecret('gcs_secret_key'));
    });

    it('never sends the client Cookie or Authorization to a mirror, nor bucket headers back', async () => {
      await world.set({ origin: { kind: 'status', status: 503 } });
      const r = await send(engine.url, '/browse/benefits?utm=1', { headers: { Cookie: 'session=abc', Authorization: 'Bearer xyz', 'If-None-Match': '"old"' } });
      expect(r.status).toBe(200);
      const received = world.stubs.mirrorS3.requests.at(-1)!;
      expect(received.path).toBe('/www.gov.uk/browse/benefits.html');
      expect(received.headers.cookie).toBeUndefined();
      expect(received.headers.authorization).toBeUndefined();
      expect(received.headers['if-none-match']).toBeUndefined();
      expect(received.headers['fastly-failover']).toBe('1');
      expect(world.stubs.origin.requests.at(-1)!.headers.cookie, 'GOV.UK strips Cookie from a GET outside the cookie paths').toBeUndefined();
      expect(Object.keys(r.outcome.kind === 'no-response' ? {} : r.outcome.headers).filter((h) => /^x-(amz|goog|guploader)-/.test(h))).toEqual([]);
    });
  });

  describe('Backend-Override', () => {
    it.each<[string, BackendName, number]>([
      ['origin', 'origin', 200],
      ['mirrorS3', 'mirrorS3', 200],
      ['MIRRORS3REPLICA', 'mirrorS3Replica', 200],
      ['mirrorgcs', 'mirrorGCS', 200],
    ])('%s reads exactly that backend, privately', async (value, backend, status) => {
      const r = await send(engine.url, '/browse/benefits', { headers: { 'Backend-Override': value } });
      expect(r.status).toBe(status);
      expectDiagnostics(r, backend, 0, [`${backend} ok ${status}`]);
      expect(r.header('cache-control')).toBe('private, no-store');
      for (const other of ['origin', 'mirrorS3', 'mirrorS3Replica', 'mirrorGCS'] as const) {
        expect(world.stubs[other].hits, other).toBe(other === backend ? 1 : 0);
      }
      if (backend !== 'origin') expect(r.text).toBe(world.pageBody(backend, '/browse/benefits'));
    });

    it('shows a mirror 404 as 404, with no fallback', async () => {
      await world.set({ mirrorS3: { kind: 'status', status: 404 } });
      const r = await send(engine.url, '/browse/benefits', { headers: { 'Backend-Override': 'mirrorS3' } });
      expect(r.status).toBe(404);
      expectDiagnostics(r, 'mirrorS3', 0, ['mirrorS3 ok 404']);
      expect(world.stubs.mirrorS3Replica.hits + world.stubs.origin.hits).toBe(0);
    });

    it('shows an origin 503 as 503, with no fallback', async () => {
      await world.set({ origin: { kind: 'status', status: 503 } });
      const r = await send(engine.url, '/browse/benefits', { headers: { 'Backend-Override': 'origin' } });
      expect(r.status).toBe(503);
      expect(r.header('fastly-backend-name')).toBe('origin');
      expect(world.stubs.mirrorS3.hits).toBe(0);
    });

    it('says 502 when the named backend refuses', async () => {
      await world.set({ mirrorS3: { kind: 'refuse' } });
      const r = await send(engine.url, '/browse/benefits', { headers: { 'Backend-Override': 'mirrorS3' } });
      expect(r.status).toBe(502);
      expect(r.text).toContain('mirrorS3 connection-error');
      expect(r.header('fastly-backend-name')).toBe('error');
    });

    it('says 504 when the named backend times out', async () => {
      await world.set({ mirrorS3Replica: { kind: 'hang' } });
      const r = await send(engine.url, '/browse/benefits', { headers: { 'Backend-Override': 'mirrorS3Replica' } });
      expect(r.status).toBe(504);
      expect(r.text).toContain('mirrorS3Replica timeout');
      expect(r.ms).toBeGreaterThanOrEqual(FIRST_BYTE_TIMEOUT_MS - 200);
      expect(r.ms).toBeLessThan(FIRST_BYTE_TIMEOUT_MS + SLACK_MS);
    });

    it.each(['mirrorS4', 'mirror', 'origin,mirrorS3', 'all'])('answers %j with 400 naming the allowed values', async (value) => {
      const r = await send(engine.url, '/', { headers: { 'Backend-Override': value } });
      expect(r.status).toBe(400);
      expect(r.header('content-type')).toBe('text/plain; charset=utf-8');
      expect(r.text).toContain('Allowed values: origin, mirrorS3, mirrorS3Replica, mirrorGCS');
      expect(r.header('fastly-backend-name')).toBe('error');
      expect(world.stubs.origin.hits).toBe(0);
    });
  });

  describe('methods', () => {
    it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('%s goes to origin only and its 503 comes back as it is', async (method) => {
      await world.set({ origin: { kind: 'status', status: 503 } });
      const r = await send(engine.url, '/email-signup', { method, body: 'address=someone%40example.com', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      expect(r.status).toBe(503);
      expectDiagnostics(r, 'origin', 0, ['origin ok 503']);
      expect(world.stubs.mirrorS3.hits).toBe(0);
      const received = world.stubs.origin.requests.at(-1)!;
      expect(received.method).toBe(method);
      expect(received.body.toString()).toBe('address=someone%40example.com');
    });

    it('a POST to a refusing origin gets the 503 page, not a mirror', async () => {
      await world.set({ origin: { kind: 'refuse' } });
      const r = await send(engine.url, '/email-signup', { method: 'POST', body: 'x=1' });
      expect(r.status).toBe(503);
      expect(r.text).toContain(ERROR_PAGE_TEXT);
      expectDiagnostics(r, 'error', 1, ['origin connection-error']);
      expect(world.stubs.mirrorS3.hits).toBe(0);
    });

    it('OPTIONS goes to origin', async () => {
      const r = await send(engine.url, '/', { method: 'OPTIONS' });
      expect(r.status).toBe(200);
      expect(r.header('fastly-backend-name')).toBe('origin');
    });

    it('HEAD fails over like GET, reading the mirror with GET', async () => {
      await world.set({ origin: { kind: 'status', status: 503 } });
      const r = await send(engine.url, '/head/benefits', { method: 'HEAD' });
      expect(r.status).toBe(200);
      expect(r.header('fastly-backend-name')).toBe('mirrorS3');
      expect(world.stubs.origin.requests.at(-1)!.method).toBe('HEAD');
      expect(world.stubs.mirrorS3.requests.at(-1)!.method).toBe('GET');
    });

    // TRACE and made-up methods never reach the service in Node (undici and llhttp refuse them): the unit tests cover those.
    it.each(['PROPFIND', 'MKCOL', 'LOCK'])('%s gets 501 naming the allowed methods', async (method) => {
      const r = await send(engine.url, '/', { method });
      expect(r.status).toBe(501);
      expect(r.text).toContain('Allowed: GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH');
      expect(world.stubs.origin.hits).toBe(0);
    });
  });

  describe('No-Fallback', () => {
    it('serves an origin 5xx carrying No-Fallback as it is', async () => {
      await world.set({ origin: { kind: 'status', status: 503, headers: { 'No-Fallback': 'true' } } });
      const r = await send(engine.url, '/browse/benefits');
      expect(r.status).toBe(503);
      expectDiagnostics(r, 'origin', 0, ['origin ok 503']);
      expect(world.stubs.mirrorS3.hits).toBe(0);
    });
  });

  describe('hostile and odd input', () => {
    it.each<[string, string, string]>([
      ['dot segments', '/../../etc/passwd', '/www.gov.uk/etc/passwd.html'],
      ['encoded dot segments', '/%2e%2e/%2E%2E/secret', '/www.gov.uk/secret.html'],
      ['encoded slashes', '/..%2f..%2fsecret', '/www.gov.uk/..%252f..%252fsecret.html'],
      ['doubled slashes', '//hostile//doubled', '/www.gov.uk/hostile/doubled.html'],
      ['a query string', '/hostile/query?acl&versionId=1', '/www.gov.uk/hostile/query.html'],
      ['an escaped space', '/a%20b', '/www.gov.uk/a%2520b.html'],
      ['a trailing slash', '/hostile/trailing/', '/www.gov.uk/hostile/trailing/index.html'],
    ])('keeps %s inside the bucket prefix', async (_name, path, bucketPath) => {
      await world.set({ origin: { kind: 'status', status: 503 } });
      await send(engine.url, path);
      expect(world.stubs.mirrorS3.requests.at(-1)!.path).toBe(bucketPath);
    });

    it.each<[string, string, number]>([
      ['an encoded NUL', '/a%00b', 400],
      ['an encoded CR LF', '/a%0d%0aSet-Cookie:%20x=1', 400],
      ['an encoded DEL', '/a%7F', 400],
      ['a URL of about 8,070 bytes (the service allows 8,000)', `/${'a'.repeat(8050)}`, 414],
    ])('answers %s with %i and a plain reason, contacting no backend', async (_name, path, status) => {
      const r = await send(engine.url, path);
      expect(r.status).toBe(status);
      expect(r.header('content-type')).toBe('text/plain; charset=utf-8');
      expect(r.text.length).toBeGreaterThan(10);
      expect(world.stubs.origin.hits).toBe(0);
    });

    it('a URL over 8,192 bytes never reaches the service: the runtime answers 500 with no body', async () => {
      const r = await send(engine.url, `/${'a'.repeat(8300)}`);
      expect(r.status).toBe(500);
      expect(r.text).toBe('');
      expect(world.stubs.origin.hits).toBe(0);
    });

    it('passes a 16 KiB header (a big cookie, where cookies are kept) on to origin intact', async () => {
      const r = await send(engine.url, '/email/big-cookie', { headers: { Cookie: `c=${'a'.repeat(16 * 1024)}` } });
      expectDiagnostics(r, 'origin', 0, ['origin ok 200']);
      expect(world.stubs.origin.requests.at(-1)!.headers.cookie).toHaveLength(16 * 1024 + 2);
    });

    it('answers request headers over 32 KiB in all with 431 and a plain reason, contacting no backend', async () => {
      const r = await send(engine.url, '/', { headers: { 'X-Huge': 'a'.repeat(40 * 1024) } });
      expect(r.status).toBe(431);
      expect(r.header('content-type')).toBe('text/plain; charset=utf-8');
      expect(r.text).toContain('the limit is 32768 bytes');
      expect(world.stubs.origin.hits).toBe(0);
    });

    it('answers a header value of 69,000 bytes or more with 431 and a plain reason: the runtime then reads no header at all, so none can be passed on', async () => {
      const r = await send(engine.url, '/unreadable-headers', { headers: { Cookie: 'session=keep-me', 'X-Huge': 'a'.repeat(69_000) } });
      expect(r.status).toBe(431);
      expect(r.header('content-type')).toBe('text/plain; charset=utf-8');
      expect(r.text).toContain('The request headers could not be read: one header value is 69000 bytes or more.');
      expectDiagnostics(r, 'error', 0, []);
      expect(world.stubs.origin.hits).toBe(0);
      const after = await send(engine.url, '/', { headers: { 'X-Big': 'a'.repeat(30_000) } });
      expectDiagnostics(after, 'origin', 0, ['origin ok 200']);
    });

    it('answers a request head of over 500 KB with 431 from the runtime, and keeps serving', async () => {
      const r = await send(engine.url, '/', { headers: { 'X-Huge': 'a'.repeat(600 * 1024) } });
      expect(r.status).toBe(431);
      expect(world.stubs.origin.hits).toBe(0);
      const after = await send(engine.url, '/');
      expect(after.status).toBe(200);
    });
  });

  describe.skipIf(!hasCache)('cache (needs a readthrough cache: local runtime only, Viceroy has none)', () => {
    it('keeps a mirror copy 900 s and tells browsers max-age=900', async () => {
      await world.set({ origin: { kind: 'status', status: 503 } });
      const first = await send(engine.url, '/cache/mirror');
      expect(first.header('fastly-backend-name')).toBe('mirrorS3');
      expect(first.header('cache-control')).toBe('max-age=900');
      engine.clock!.advance(899_000);
      const cached = await send(engine.url, '/cache/mirror');
      expect(cached.header('fastly-backend-name')).toBe('mirrorS3');
      expect(Number(cached.header('age'))).toBeGreaterThanOrEqual(899);
      expect(world.stubs.mirrorS3.hits).toBe(1);
      engine.clock!.advance(2_000);
      await send(engine.url, '/cache/mirror');
      expect(world.stubs.mirrorS3.hits).toBe(2);
    });

    it('keeps a 5xx for 1 s, so an outage does not stampede origin', async () => {
      await world.set({ origin: { kind: 'status', status: 503 } });
      await send(engine.url, '/cache/five-hundred');
      await send(engine.url, '/cache/five-hundred');
      expect(world.stubs.origin.hits).toBe(1);
      engine.clock!.advance(1_100);
      await send(engine.url, '/cache/five-hundred');
      expect(world.stubs.origin.hits).toBe(2);
    });

    it.each<[string, Record<string, string>, number | 'never']>([
      ['no cache headers: 3600 s', {}, 3600],
      ['max-age=60: 60 s', { 'Cache-Control': 'max-age=60' }, 60],
      ['private: never', { 'Cache-Control': 'private' }, 'never'],
      ['no-store: never', { 'Cache-Control': 'no-store' }, 'never'],
      ['max-age=0: never', { 'Cache-Control': 'max-age=0' }, 'never'],
    ])('keeps an origin answer with %s', async (name, headers, ttl) => {
      const path = `/cache/origin-${name.replace(/\W+/g, '-')}`;
      await world.set({ origin: { kind: 'echo', headers } });
      await send(engine.url, path);
      await send(engine.url, path);
      if (ttl === 'never') {
        expect(world.stubs.origin.hits).toBe(2);
        return;
      }
      expect(world.stubs.origin.hits).toBe(1);
      engine.clock!.advance((ttl - 1) * 1000);
      await send(engine.url, path);
      expect(world.stubs.origin.hits).toBe(1);
      engine.clock!.advance(2_000);
      await send(engine.url, path);
      expect(world.stubs.origin.hits).toBe(2);
    });

    it('serves a stale origin copy (up to 24 h) before going to the mirrors', async () => {
      await world.set({ origin: { kind: 'echo', headers: { 'Cache-Control': 'max-age=60' }, body: 'fresh from origin' } });
      await send(engine.url, '/cache/stale');
      engine.clock!.advance(3_600_000);
      await world.set({ origin: { kind: 'status', status: 503 } });
      const r = await send(engine.url, '/cache/stale');
      expect(r.status).toBe(200);
      expect(r.text).toBe('fresh from origin');
      expect(r.header('fastly-backend-name')).toBe('origin');
      expect(world.stubs.mirrorS3.hits).toBe(0);
      engine.clock!.advance(24 * 3_600_000);
      const tooOld = await send(engine.url, '/cache/stale');
      expect(tooOld.header('fastly-backend-name')).toBe('mirrorS3');
    });

    it('never shares an override response with the public page', async () => {
      await send(engine.url, '/browse/benefits', { headers: { 'Backend-Override': 'mirrorS3' } });
      await send(engine.url, '/browse/benefits', { headers: { 'Backend-Override': 'mirrorS3' } });
      expect(world.stubs.mirrorS3.hits).toBe(2);
      const pub = await send(engine.url, '/browse/benefits');
      expect(pub.header('fastly-backend-name')).toBe('origin');
    });
  });

  describe('with other configurations (each its own manifest, written for the engine)', () => {
    /** Starts the engine on fastly.toml with `edit` applied, runs `use` against it, and stops it. */
    const withConfig = async (edit: (doc: ManifestDoc) => void, use: (engine: Engine) => Promise<void>) => {
      const configured = await start(world.manifest(edit));
      // Viceroy's `serve` sends GET / to every backend as it starts: not the service's doing.
      world.clearRecordings();
      try {
        await use(configured);
      } finally {
        await configured.close();
      }
    };
    /** The engine's log lines for the service's endpoint, once `count` have arrived. */
    const logLines = async (from: Engine, count: number) => {
      await from.waitForLogs(count);
      return from.logs.filter((l) => l.endpoint === LOG_ENDPOINT);
    };

    describe('with http_cache_api = absent (the runtime has no HTTP cache API: no refused attempt before each cached fetch)', () => {
      let absent: Engine;
      beforeAll(async () => {
        absent = await start(world.manifest((doc) => { doc.local_server.config_stores.failover_config.contents.http_cache_api = 'absent'; }));
      });
      afterAll(() => absent?.close());
      beforeEach(() => world.clearRecordings());

      // The cells that answer without waiting for a timeout.
      it.each(FAULT_MATRIX.filter((c) => c.expected.maxMs <= SLACK_MS))('$name', (cell) => checkCell(absent, cell));

      it('still answers a header value of 69,000 bytes or more with 431', async () => {
        const r = await send(absent.url, '/', { headers: { 'X-Huge': 'a'.repeat(69_000) } });
        expect(r.status).toBe(431);
        expect(world.stubs.origin.hits).toBe(0);
      });

      it('still fails a HEAD over, reading the mirror with GET, and passes a POST to origin', async () => {
        await world.set({ origin: { kind: 'status', status: 503 } });
        const head = await send(absent.url, '/head/benefits', { method: 'HEAD' });
        expectDiagnostics(head, 'mirrorS3', 1, ['origin http-error 503', 'mirrorS3 ok 200']);
        expect(world.stubs.mirrorS3.requests.at(-1)!.method).toBe('GET');
        const post = await send(absent.url, '/email-signup', { method: 'POST', body: 'x=1' });
        expectDiagnostics(post, 'origin', 0, ['origin ok 503']);
      });
    });

    it('skips an unhealthy origin without contacting it', async () => {
      await withConfig((doc) => { doc.local_server.backends.origin.health = 'unhealthy'; }, async (engine) => {
        const r = await send(engine.url, '/browse/benefits');
        expect(r.status).toBe(200);
        expectDiagnostics(r, 'mirrorS3', 0, ['origin unhealthy', 'mirrorS3 ok 200']);
        expect(world.stubs.origin.hits).toBe(0);
        expect(r.ms).toBeLessThan(SLACK_MS);
      });
    });

    it('tries every backend when all are unhealthy', async () => {
      await withConfig((doc) => {
        for (const b of Object.values(doc.local_server.backends) as Record<string, unknown>[]) b.health = 'unhealthy';
      }, async (engine) => {
        const r = await send(engine.url, '/browse/benefits');
        expectDiagnostics(r, 'origin', 0, ['origin ok 200']);
      });
    });

    it('with hedging off waits for the first-byte timeout, as the VCL did', async () => {
      await world.set({ origin: { kind: 'hang' } });
      await withConfig((doc) => { doc.local_server.config_stores.failover_config.contents.hedge_after_ms = '0'; }, async (engine) => {
        const r = await send(engine.url, '/browse/benefits');
        expectDiagnostics(r, 'mirrorS3', 1, ['origin timeout', 'mirrorS3 ok 200']);
        expect(r.ms).toBeGreaterThanOrEqual(FIRST_BYTE_TIMEOUT_MS - 200);
      });
    });

    it('with hedging on serves the mirror after hedge_after_ms', async () => {
      await world.set({ origin: { kind: 'hang' } });
      await withConfig(() => undefined, async (engine) => {
        const r = await send(engine.url, '/browse/benefits');
        expectDiagnostics(r, 'mirrorS3', 1, ['origin abandoned', 'mirrorS3 ok 200']);
        expect(r.ms).toBeGreaterThanOrEqual(HEDGE_MS - 50);
        expect(r.ms).toBeLessThan(HEDGE_MS + SLACK_MS);
        expect(world.stubs.origin.hits).toBe(1);
      });
    });

    it('with backend_override = disabled ignores the header and says so', async () => {
      await withConfig((doc) => { doc.local_server.config_stores.failover_config.contents.backend_override = 'disabled'; }, async (engine) => {
        const r = await send(engine.url, '/browse/benefits', { headers: { 'Backend-Override': 'mirrorS3' } });
        expect(r.header('fastly-backend-name')).toBe('origin');
        expect(r.header('backend-override-ignored')).toBe('disabled');
        expect(world.stubs.mirrorS3.hits).toBe(0);
      });
    });

    it('with backend_override = token honours only the right token', async () => {
      await withConfig((doc) => { doc.local_server.config_stores.failover_config.contents.backend_override = 'token'; }, async (engine) => {
        const without = await send(engine.url, '/browse/benefits', { headers: { 'Backend-Override': 'mirrorS3' } });
        expect(without.status).toBe(403);
        const wrong = await send(engine.url, '/browse/benefits', { headers: { 'Backend-Override': 'mirrorS3', 'Backend-Override-Token': 'guess' } });
        expect(wrong.status).toBe(403);
        const right = await send(engine.url, '/browse/benefits', { headers: { 'Backend-Override': 'mirrorS3', 'Backend-Override-Token': manifestSecret('override_token') } });
        expect(right.header('fastly-backend-name')).toBe('mirrorS3');
        const toOrigin = await send(engine.url, '/browse/benefits', { headers: { 'Backend-Override': 'origin', 'Backend-Override-Token': manifestSecret('override_token') } });
        expect(toOrigin.header('fastly-backend-name')).toBe('origin');
        const received = world.stubs.origin.requests.at(-1)!.headers;
        expect(received['backend-override-token'], 'the token never travels on to origin').toBeUndefined();
        expect(received['backend-override'], 'nor the override header').toBeUndefined();
        await engine.waitForLogs(4);
        expect(JSON.stringify(engine.logs)).not.toContain(manifestSecret('override_token'));
      });
    });

    it('skips GCS, and logs why, when no HMAC key is configured', async () => {
      await world.set({ origin: { kind: 'status', status: 503 } });
      await withConfig((doc) => { doc.local_server.secret_stores.failover_secrets = [{ key: 'override_token', data: 'x' }]; }, async (engine) => {
        const r = await send(engine.url, '/only-in-gcs');
        expect(r.status).toBe(503);
        expect(world.stubs.mirrorGCS.hits).toBe(0);
        const line = JSON.parse((await logLines(engine, 1)).at(-1)!.line);
        expect(line.attempts[3]).toMatchObject({ backend: 'mirrorGCS', outcome: 'unavailable' });
        expect(line.attempts[3].detail).toContain('failover_secrets');
      });
    });

    it('falls back to defaults, and logs the problem, on a bad config value', async () => {
      await world.set({ origin: { kind: 'status', status: 503 } });
      await withConfig((doc) => { doc.local_server.config_stores.failover_config.contents.mirror_ttl = 'a while'; }, async (engine) => {
        const r = await send(engine.url, '/browse/benefits');
        expect(r.header('fastly-backend-name')).toBe('mirrorS3');
        expect(r.header('cache-control'), 'the default mirror_ttl').toBe('max-age=900');
        const line = JSON.parse((await logLines(engine, 1)).at(-1)!.line);
        expect(line.config_problems).toEqual([expect.stringContaining('mirror_ttl: "a while" is not a whole number of seconds')]);
      });
    });

    it('falls back to every default when the config store is missing', async () => {
      await world.set({ origin: { kind: 'status', status: 503 } });
      await withConfig((doc) => { delete doc.local_server.config_stores; }, async (engine) => {
        const r = await send(engine.url, '/browse/benefits');
        expect(r.header('fastly-backend-name')).toBe('mirrorS3');
        expect(r.header('cache-control')).toBe('max-age=900');
        const line = JSON.parse((await logLines(engine, 1)).at(-1)!.line);
        expect(line.config_problems[0]).toContain('config store failover_config could not be opened');
      });
    });

    it('writes one JSON log line per request to failover_log, with each attempt', async () => {
      await world.set({ origin: { kind: 'status', status: 503 } });
      await withConfig(() => undefined, async (engine) => {
        await send(engine.url, '/browse/benefits?q=private', { headers: { Cookie: 'session=abc' } });
        const lines = await logLines(engine, 1);
        expect(lines).toHaveLength(1);
        const { endpoint, line } = lines[0]!;
        expect(endpoint).toBe(LOG_ENDPOINT);
        const record = JSON.parse(line);
        // GOV.UK's CDN log columns first (govuk_www), with the JSON types its logging_s3 format writes.
        expect(Object.keys(record).slice(0, Object.keys(GOVUK_LOG_COLUMNS).length)).toEqual(Object.keys(GOVUK_LOG_COLUMNS));
        expect(record).toMatchObject({
          client_ip: null,
          request_received_offset: '+0000',
          method: 'GET',
          url: '/browse/benefits',
          status: 200,
          protocol: null,
          content_type: 'text/html; charset=utf-8',
          user_agent: null,
          fastly_backend: 'mirrorS3',
          data_centre: 'XXX',
          cache_hit: true,
          cache_response: 'MISS',
          tls_client_protocol: null,
          tls_client_cipher: null,
          client_ja3: null,
          override: null,
        });
        expect(record.request_received).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
        expect(Math.abs(Date.parse(`${record.request_received.replace(' ', 'T')}Z`) - Date.now())).toBeLessThan(60_000);
        expect(typeof record.request_time).toBe('number');
        expect(record.time_to_generate_response).toBeGreaterThan(0);
        expect(record.attempts.map((a: { backend: string; outcome: string; status: number }) => `${a.backend} ${a.outcome} ${a.status}`)).toEqual(['origin http-error 503', 'mirrorS3 ok 200']);
        expect(typeof record.request_id).toBe('string');
        expect(line).not.toContain('abc');
        expect(line).not.toContain('private');
      });
    });

    it('writes the client address and the query string into the log line only with log_personal_data = "true"', async () => {
      await world.set({ origin: { kind: 'status', status: 200 } });
      await withConfig((doc) => { doc.local_server.config_stores.failover_config.contents.log_personal_data = 'true'; }, async (engine) => {
        await send(engine.url, '/search/all?keywords=my+name', { headers: { 'User-Agent': 'scenario/1' } });
        const record = JSON.parse((await logLines(engine, 1)).at(-1)!.line);
        expect(record).toMatchObject({ client_ip: '127.0.0.1', url: '/search/all?keywords=my+name', user_agent: 'scenario/1', fastly_backend: 'origin', cache_response: 'MISS' });
      });
    });
  });
});
