/**
 * The service as the edge for all of www.gov.uk: what one client sends must
 * never decide what others get. Each finding of the edge-safety review is a
 * named scenario here, on both engines, with the outage memory on as deployed
 * (3 distinct failing pages in 10 s, remembered 10 s), the mirror miss memory
 * on (5 s), and the hedge at 1.5 s;
 * where the shared HTTP cache is involved the scenario runs on the local
 * runtime only (Viceroy has no readthrough cache) and says so.
 *
 * Origin answers from "30 ms away" and the mirror at once, as on the
 * internet: were a segment held suspect, the mirror's copy would win the race.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Engine, type EngineSpec, engines } from './engines.ts';
import { type Observed, send } from './request.ts';
import { LOG_ENDPOINT, type ManifestDoc, type MirrorPages, startWorld, type World } from './world.ts';
import type { Behaviour } from '../../stubs/index.ts';

const HEDGE_MS = 1500;
const ORIGIN_DELAY_MS = 30;

const PAGES: MirrorPages = {
  mirrorS3: ['/help/boom', '/help/cookies', '/government/boom', '/browse/benefits', '/search/s1', '/search/s2', '/search/s3', '/cache/private', '/bucket/headers', '/host/page'],
  mirrorS3Replica: ['/host/page'],
  mirrorGCS: [],
};

const withMemory = (doc: ManifestDoc) => {
  Object.assign(doc.local_server.config_stores.failover_config.contents, { hedge_after_ms: String(HEDGE_MS), outage_threshold: '3', outage_window_s: '10', outage_memory_s: '10', mirror_miss_memory_s: '5' });
};

/** Origin healthy and 30 ms away, but for the given pages. */
function originWith(paths: Record<string, Behaviour>): Behaviour {
  return { kind: 'by-path', paths, otherwise: { kind: 'delay', ms: ORIGIN_DELAY_MS, then: { kind: 'echo' } } };
}

const suspect = (r: Observed) => r.timing.find((t) => t.startsWith('suspect ')) ?? null;

describe.each(engines())('on $name: one client cannot decide what others get', (spec: EngineSpec) => {
  const { hasCache } = spec;
  let world: World;
  let engine: Engine;

  beforeAll(async () => {
    world = await startWorld(PAGES);
    engine = await spec.start(world.manifest(withMemory));
  }, 180_000);
  afterAll(async () => {
    await engine?.close();
    await world?.close();
  });
  beforeEach(async () => {
    await world.reset();
  });

  describe('the outage memory', () => {
    it('one broken page asked ten times does not move its segment onto the mirrors', async () => {
      await world.set({ origin: originWith({ '/help/boom': { kind: 'status', status: 500 } }) });
      for (let i = 0; i < 10; i++) {
        const broken = await send(engine.url, '/help/boom');
        expect(broken.header('fastly-backend-name'), `request ${i + 1}: the broken page fails over`).toBe('mirrorS3');
      }
      const r = await send(engine.url, '/help/cookies');
      expect(r.status).toBe(200);
      expect(r.header('fastly-backend-name')).toBe('origin');
      expect(r.timing).toEqual(['origin ok 200']);
      expect(suspect(r)).toBeNull();
    });

    it('one broken page under four spellings of its segment does not move the whole site', async () => {
      const spellings = ['/government/boom', '/%67overnment/boom', '/g%6Fvernment/boom', '/gov%65rnment/boom'];
      await world.set({ origin: originWith(Object.fromEntries(spellings.map((p) => [p, { kind: 'status', status: 500 }]))) });
      for (let i = 0; i < 3; i++) for (const path of spellings) await send(engine.url, path);
      for (const path of ['/browse/benefits', '/government/other']) {
        const r = await send(engine.url, path);
        expect(r.header('fastly-backend-name'), path).toBe('origin');
        expect(r.timing, path).toEqual(['origin ok 200']);
      }
    });

    it('pages slower than the hedge count as failing only until origin answers them', async () => {
      // Three distinct slow searches (origin answers each after 2 s, past the 1.5 s hedge; no mirror holds them).
      const slow: Behaviour = { kind: 'delay', ms: HEDGE_MS + 500, then: { kind: 'echo' } };
      await world.set({ origin: originWith({ '/search/q1': slow, '/search/q2': slow, '/search/q3': slow }) });
      for (const path of ['/search/q1', '/search/q2', '/search/q3']) {
        const r = await send(engine.url, path);
        expect(r.header('fastly-backend-name'), path).toBe('origin');
      }
      const r = await send(engine.url, '/search/s1');
      expect(r.header('fastly-backend-name')).toBe('origin');
      expect(r.timing).toEqual(['origin ok 200']);
    });

    it.skipIf(!hasCache)('a 5xx served again from the cache is not new evidence (local runtime only: Viceroy has no readthrough cache)', async () => {
      await world.set({ origin: originWith({ '/help/boom': { kind: 'status', status: 500 } }) });
      for (let i = 0; i < 3; i++) await send(engine.url, '/help/boom');
      expect(world.stubs.origin.hits, 'one origin request; the others were answered from the 1 s copy').toBe(1);
      const r = await send(engine.url, '/help/cookies');
      expect(r.header('fastly-backend-name')).toBe('origin');
      expect(suspect(r)).toBeNull();
    });

    it.skipIf(!hasCache)('a copy from the cache does not clear the count either: only origin itself says it is well (local runtime only)', async () => {
      await send(engine.url, '/cache/healthy-copy'); // stored 3600 s
      const failing: Behaviour = { kind: 'status', status: 500 };
      await world.set({ origin: originWith({ '/help/f1': failing, '/help/f2': failing, '/help/f3': failing, '/cache/healthy-copy': failing }) });
      await send(engine.url, '/help/f1');
      await send(engine.url, '/help/f2');
      const copy = await send(engine.url, '/cache/healthy-copy');
      expect(copy.header('fastly-backend-name')).toBe('origin');
      await send(engine.url, '/help/f3');
      const r = await send(engine.url, '/help/cookies');
      expect(suspect(r), 'three pages failed with no success from origin between').toBe('suspect /help');
      // Clean up: origin answers in /help, which clears it.
      await world.set({ origin: { kind: 'echo' } });
      await send(engine.url, '/help/clear');
      const deadline = performance.now() + 5_000;
      while (suspect(await send(engine.url, '/help/clear')) !== null && performance.now() < deadline);
    });
  });

  describe('nothing private is shared', () => {
    it.skipIf(!hasCache)("origin's private 5xx is never stored: the next user's request goes to origin (local runtime only)", async () => {
      const privateError: Behaviour = { kind: 'echo', status: 500, body: 'an error page for one user', headers: { 'Cache-Control': 'private, no-store', 'No-Fallback': '1' } };
      await world.set({ origin: originWith({ '/cache/private': privateError }) });
      const first = await send(engine.url, '/cache/private');
      expect(first.status).toBe(500);
      expect(first.text).toBe('an error page for one user');
      const second = await send(engine.url, '/cache/private');
      expect(second.status).toBe(500);
      expect(world.stubs.origin.hits, 'each user asked origin').toBe(2);
    });

    it("a bucket's own Set-Cookie, X-Frame-Options and Access-Control-Allow-Origin never reach users", async () => {
      await world.set({
        origin: { kind: 'status', status: 503 },
        mirrorS3: { ...world.bucket('mirrorS3'), headers: { 'Set-Cookie': 'AWSALB=bucket', 'X-Frame-Options': 'ALLOW-FROM https://evil.example', 'Access-Control-Allow-Origin': '*' } } as Behaviour,
      });
      for (const round of ['first', 'again']) {
        const r = await send(engine.url, '/bucket/headers');
        expect(r.header('fastly-backend-name'), round).toBe('mirrorS3');
        expect(r.text).toBe(world.pageBody('mirrorS3', '/bucket/headers'));
        for (const header of ['set-cookie', 'x-frame-options', 'access-control-allow-origin', 'x-amz-request-id']) expect(r.header(header), `${round}: ${header}`).toBeUndefined();
        expect(r.header('content-type')).toContain('text/html');
      }
      if (hasCache) expect(world.stubs.mirrorS3.hits, 'the second answer was the stored copy, stored without them').toBe(1);
    });

    it.skipIf(!hasCache)('a request carrying Authorization never shares a cache entry with one without (local runtime only)', async () => {
      await send(engine.url, '/cache/authorised', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } });
      await send(engine.url, '/cache/authorised');
      await send(engine.url, '/cache/authorised', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } });
      await send(engine.url, '/cache/authorised');
      expect(world.stubs.origin.hits, 'the two with Authorization each went to origin; the first without was stored').toBe(3);
    });

    it.skipIf(!hasCache)('an answer under a cookie path is never shared; elsewhere the cookie never reaches origin, so a shared answer cannot depend on it (local runtime only)', async () => {
      await send(engine.url, '/email/manage', { headers: { Cookie: 'session=alice' } });
      await send(engine.url, '/email/manage', { headers: { Cookie: 'session=bob' } });
      expect(world.stubs.origin.hits).toBe(2);
      await send(engine.url, '/cache/cookie-page', { headers: { Cookie: 'session=alice' } });
      const bob = await send(engine.url, '/cache/cookie-page', { headers: { Cookie: 'session=bob' } });
      expect(bob.status).toBe(200);
      expect(world.stubs.origin.hits).toBe(3);
      expect(world.stubs.origin.requests.map((r) => r.headers.cookie ?? null)).toEqual(['session=alice', 'session=bob', null]);
    });
  });

  describe("GOV.UK's edge contract with origin", () => {
    it('origin learns who is asking from the connection, never from the request', async () => {
      const claims = { 'True-Client-IP': '10.9.9.9', 'Fastly-Client-IP': '10.9.9.9', 'X-Forwarded-For': '10.9.9.9, 10.8.8.8', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Server': 'evil', 'Client-IP': '10.9.9.9' };
      for (const method of ['GET', 'POST']) {
        const r = await send(engine.url, `/boundary/${method}`, { method, headers: claims, ...(method === 'POST' ? { body: 'x' } : {}) });
        expect(r.status).toBe(200);
        const received = world.stubs.origin.requests.at(-1)!.headers;
        expect(received['fastly-client-ip'], method).toBe('127.0.0.1');
        expect(received['true-client-ip'], method).toBe('127.0.0.1');
        expect(received['x-forwarded-for'], method).toBe('127.0.0.1');
        expect(received['x-forwarded-host'], method).toBe(new URL(engine.url).host);
        expect(received['x-forwarded-server'], method).toBe('localhost');
        expect(received['client-ip'], method).toBeUndefined();
      }
    });

    it.each<[string, string, boolean]>([
      ['GET', '/cookies/get', false],
      ['HEAD', '/cookies/head', false],
      ['GET', '/email/subscriptions', true],
      ['GET', '/apply-for-a-licence/x', true],
      ['GET', '/sign-in/callback/x', true],
      ['POST', '/cookies/post', true],
    ])("%s %s: GOV.UK's cookie rule (cookie kept: %s), and Set-Cookie likewise", async (method, path, kept) => {
      await world.set({ origin: { kind: 'echo', headers: { 'Set-Cookie': 'session=from-origin', 'Cache-Control': 'private' } } });
      const r = await send(engine.url, path, { method, headers: { Cookie: 'session=secret' }, ...(method === 'POST' ? { body: 'x' } : {}) });
      expect(r.header('fastly-backend-name')).toBe('origin');
      expect(world.stubs.origin.requests.at(-1)!.headers.cookie).toBe(kept ? 'session=secret' : undefined);
      expect(r.header('set-cookie')).toBe(kept ? 'session=from-origin' : undefined);
    });
  });

  describe('HTTPS only', () => {
    it("every answer carries GOV.UK's Strict-Transport-Security: origin's, a mirror's copy, the 503 page, a refusal", async () => {
      const hsts = 'max-age=31536000; preload';
      expect((await send(engine.url, '/hsts/origin')).header('strict-transport-security')).toBe(hsts);
      await world.set({ origin: { kind: 'status', status: 503 } });
      const mirror = await send(engine.url, '/search/s3'); // held by mirrorS3, and never asked before (no copy of origin's)
      expect(mirror.header('fastly-backend-name')).toBe('mirrorS3');
      expect(mirror.header('strict-transport-security')).toBe(hsts);
      const page = await send(engine.url, '/hsts/nowhere');
      expect(page.status).toBe(503);
      expect(page.header('strict-transport-security')).toBe(hsts);
      const refused = await send(engine.url, '/hsts/refused', { method: 'BREW' });
      expect(refused.status).toBe(501);
      expect(refused.header('strict-transport-security')).toBe(hsts);
    });
  });

  describe('GOV.UK account sessions', () => {
    const SESSION_COOKIE = '__Host-govuk_account_session';
    const sessionHeaders = (headers: Record<string, string | string[] | undefined>) =>
      Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('govuk-account')));

    it("a signed-in request reaches origin as GOV.UK's session headers, never as the cookie; a client's own session headers never do", async () => {
      await send(engine.url, '/account/signed-in', { headers: { Cookie: `cookies_policy=x; ${SESSION_COOKIE}=csrf_t$$head` } });
      await send(engine.url, '/account/forged', { headers: { 'GOVUK-Account-Session': 'someone-else', 'GOVUK-Account-Session-Exists': '1', GOVUK_Account_Session: 'rack-reads-this' } });
      const [signedIn, forged] = world.stubs.origin.requests.slice(-2).map((r) => r.headers);
      expect(sessionHeaders(signedIn!)).toEqual({ 'govuk-account-session': 'csrf_t$$head', 'govuk-account-session-exists': '1', 'govuk-account-session-flash': 'head' });
      expect(signedIn!.cookie).toBeUndefined();
      expect(sessionHeaders(forged!)).toEqual({});
      expect(Object.keys(forged!).filter((name) => name.replaceAll('_', '-').startsWith('govuk-account'))).toEqual([]);
    });

    it("origin's session headers become the httponly cookie, with no-store, only on an answer no one else could get; they, and Vary on them, never reach the user", async () => {
      await world.set({ origin: { kind: 'echo', headers: { 'GOVUK-Account-Session': 'fresh$$saved', Vary: 'Accept-Encoding, GOVUK-Account-Session', 'Cache-Control': 'public, max-age=60' } } });
      // A shareable request (signed out, no cookie path): a session set there would be set for everyone.
      const shared = await send(engine.url, '/account/shared');
      expect(shared.header('set-cookie')).toBeUndefined();
      expect(shared.header('govuk-account-session')).toBeUndefined();
      const set = await send(engine.url, '/sign-in/callback/save');
      expect(set.status).toBe(200);
      expect(set.header('set-cookie')).toBe(`${SESSION_COOKIE}=fresh$$saved; secure; httponly; samesite=lax; path=/`);
      expect(set.header('cache-control')).toBe('max-age=60, no-store, private');
      expect(set.header('vary')).toBe('Accept-Encoding, Cookie');
      expect(set.header('govuk-account-session')).toBeUndefined();

      await world.set({ origin: { kind: 'echo', headers: { 'GOVUK-Account-End-Session': '1', 'Cache-Control': 'private' } } });
      const ended = await send(engine.url, '/account/sign-out', { headers: { Cookie: `${SESSION_COOKIE}=fresh$$saved` } });
      expect(ended.header('set-cookie')).toBe(`${SESSION_COOKIE}=; secure; httponly; samesite=lax; path=/; max-age=0`);
      expect(ended.header('cache-control')).toBe('private, no-store');
      expect(ended.header('govuk-account-end-session')).toBeUndefined();
    });

    it.skipIf(!hasCache)("a signed-in page is never shared, and signed-in users never get the signed-out copy (local runtime only)", async () => {
      await world.set({ origin: { kind: 'echo', headers: { Vary: 'GOVUK-Account-Session', 'Cache-Control': 'max-age=300' } } });
      await send(engine.url, '/cache/personal', { headers: { Cookie: `${SESSION_COOKIE}=alice` } });
      await send(engine.url, '/cache/personal', { headers: { Cookie: `${SESSION_COOKIE}=bob` } });
      expect(world.stubs.origin.hits, 'each signed-in user asked origin').toBe(2);
      await send(engine.url, '/cache/personal');
      await send(engine.url, '/cache/personal');
      expect(world.stubs.origin.hits, 'the signed-out copy was stored once and shared').toBe(3);
      await send(engine.url, '/cache/personal', { headers: { Cookie: `${SESSION_COOKIE}=carol` } });
      expect(world.stubs.origin.hits, 'a signed-in user still asked origin').toBe(4);
      expect(world.stubs.origin.requests.map((r) => r.headers['govuk-account-session'] ?? null)).toEqual(['alice', 'bob', null, 'carol']);
    });
  });

  describe('the buckets', () => {
    it("a bucket is never asked with the user's Host: a mirror whose bucket host cannot be told is skipped, and the log says why", async () => {
      const other = await spec.start(
        world.manifest((doc) => {
          withMemory(doc);
          delete doc.local_server.backends.mirrorS3.override_host;
        }),
      );
      try {
        await world.set({ origin: { kind: 'status', status: 503 } });
        world.clearRecordings(); // Viceroy probes each backend as it starts
        const logsBefore = other.logs.length;
        const r = await send(other.url, '/host/page', { headers: { Host: 'www.gov.uk' } });
        expect(r.status).toBe(200);
        expect(r.header('fastly-backend-name')).toBe('mirrorS3Replica');
        expect(r.timing).toEqual(['origin http-error 503', 'mirrorS3 unavailable', 'mirrorS3Replica ok 200']);
        expect(world.stubs.mirrorS3.hits).toBe(0);
        expect(world.stubs.mirrorS3Replica.requests[0]!.headers.host).toBe('govuk-local-mirror-replica.s3.eu-west-1.amazonaws.com');
        await other.waitForLogs(logsBefore + 1);
        const line = JSON.parse(other.logs.slice(logsBefore).find((l) => l.endpoint === LOG_ENDPOINT)!.line);
        expect(line.attempts[1]).toMatchObject({ backend: 'mirrorS3', outcome: 'unavailable', detail: 'no bucket host: set mirror_s3_host in config store failover_config, or an override host on backend mirrorS3' });
      } finally {
        await other.close();
      }
    });

    it("a flood of requests for a document no mirror holds costs the buckets one walk per mirror_miss_memory_s, not one a request (the Core cache: both engines)", async () => {
      await world.set({ origin: { kind: 'status', status: 503 } });
      const path = '/government/missing/report.pdf';
      const first = await send(engine.url, path);
      expect(first.status).toBe(503);
      expect(first.timing).toEqual(['origin http-error 503', 'mirrorS3 http-error 403 report.pdf.html', 'mirrorS3Replica http-error 403 report.pdf.html', 'mirrorGCS http-error 403 report.pdf.html']);
      const afterFirst = world.stubs.mirrorS3.hits + world.stubs.mirrorS3Replica.hits + world.stubs.mirrorGCS.hits;
      expect(afterFirst, 'two names on each of three mirrors').toBe(6);
      for (let i = 0; i < 20; i++) {
        const r = await send(engine.url, path);
        expect(r.status).toBe(503);
        expect(r.timing).toEqual(['origin http-error 503', 'mirrorS3 missing', 'mirrorS3Replica missing', 'mirrorGCS missing']);
      }
      expect(world.stubs.mirrorS3.hits + world.stubs.mirrorS3Replica.hits + world.stubs.mirrorGCS.hits, 'no bucket asked again').toBe(afterFirst);
    });
  });
});
