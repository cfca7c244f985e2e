import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ManualClock, startLocalRuntime, type LocalRuntime } from './index.ts';
import { policyFromHeaders } from './http-cache.ts';
import { backendsManifest, FIXTURE_SERVICE, startOrigin, type Origin } from './test-helpers.ts';

const S = 1000;

describe('cache policy from headers', () => {
  const now = Date.UTC(2025, 0, 1);
  const p = (status: number, h: Record<string, string>) => policyFromHeaders(status, new Headers(h), now);

  it('takes the TTL from Surrogate-Control, then s-maxage, then max-age, then Expires, else 3600 s', () => {
    expect(p(200, { 'surrogate-control': 'max-age=60', 'cache-control': 's-maxage=30, max-age=10' }).ttl).toBe(60);
    expect(p(200, { 'cache-control': 's-maxage=30, max-age=10' }).ttl).toBe(30);
    expect(p(200, { 'cache-control': 'public, max-age=10' }).ttl).toBe(10);
    expect(p(200, { expires: new Date(now + 120 * S).toUTCString(), date: new Date(now).toUTCString() }).ttl).toBe(120);
    expect(p(200, { expires: 'garbage' }).ttl).toBe(0);
    expect(p(200, {}).ttl).toBe(3600);
  });

  it('reads stale-while-revalidate, stale-if-error and Age', () => {
    const policy = p(200, { 'cache-control': 'max-age=10, stale-while-revalidate=20, stale-if-error=30', age: '4' });
    expect(policy).toMatchObject({ ttl: 10, swr: 20, staleIfError: 30, initialAgeSeconds: 4 });
    expect(p(200, { 'surrogate-control': 'stale-if-error=99', 'cache-control': 'stale-if-error=30' }).staleIfError).toBe(99);
  });

  it('stores the default statuses only, and not private or no-store', () => {
    for (const status of [200, 203, 300, 301, 302, 404, 410]) expect(p(status, {}).cacheable, String(status)).toBe(true);
    for (const status of [201, 204, 307, 400, 403, 500, 502, 503]) expect(p(status, {}).cacheable, String(status)).toBe(false);
    expect(p(200, { 'cache-control': 'private, max-age=60' }).cacheable).toBe(false);
    expect(p(200, { 'cache-control': 'no-store' }).cacheable).toBe(false);
    expect(p(200, { vary: '*' }).cacheable).toBe(false);
  });
});

describe('readthrough cache through the runtime', () => {
  let origin: Origin;
  let rt: LocalRuntime;
  const clock = new ManualClock();
  let reply: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
  let n = 0;

  // Each test uses its own path, so cache entries never collide.
  const path = () => `p${++n}`;
  const get = async (p: string, query = '') => {
    const r = await fetch(`${rt.url}/proxy/origin/${p}${query ? `?${query}` : ''}`);
    return { status: r.status, body: await r.text(), h: (name: string) => r.headers.get(name) };
  };
  const hits = (p: string) => origin.seen.filter((s) => s.url === `/${p}`).length;

  beforeAll(async () => {
    origin = await startOrigin((req, res) => reply(req, res));
    rt = await startLocalRuntime({
      manifest: backendsManifest({ origin: { url: origin.url } }),
      entry: FIXTURE_SERVICE,
      clock,
      echoLogs: false,
      errorLog: () => undefined,
    });
  });
  afterAll(async () => {
    await rt?.close();
    await origin?.close();
  });
  beforeEach(() => {
    reply = (req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=900' });
      res.end(`body of ${req.url}`);
    };
  });

  it('caches for the TTL from the headers, with Age on hits, and expires by the clock', async () => {
    const p = path();
    const first = await get(p);
    expect(first.body).toBe(`body of /${p}`);
    expect(first.h('x-lr-cached')).toBe('false');
    expect(first.h('x-lr-ttl')).toBe('900');

    clock.advance(899 * S);
    const second = await get(p);
    expect(second.body).toBe(`body of /${p}`);
    expect(second.h('x-lr-cached')).toBe('true');
    expect(second.h('age')).toBe('899');
    expect(second.h('x-lr-age')).toBe('899');
    expect(hits(p)).toBe(1);

    clock.advance(1 * S);
    const third = await get(p);
    expect(third.h('x-lr-cached')).toBe('false');
    expect(hits(p)).toBe(2);
  });

  it('caches for the default 3600 s without cache headers, and keys on Host', async () => {
    reply = (req, res) => res.end(`for ${req.headers.host}`);
    const p = path();
    expect((await get(p)).body).toBe('for www.example.test');
    expect((await get(p, 'host=other.example.test')).body).toBe('for other.example.test');
    expect((await get(p)).h('x-lr-cached')).toBe('true');
    expect(hits(p)).toBe(2);
    clock.advance(3599 * S);
    expect((await get(p)).h('x-lr-cached')).toBe('true');
    clock.advance(1 * S);
    expect((await get(p)).h('x-lr-cached')).toBe('false');
  });

  it('does not store private or no-store answers, POSTs or pass requests', async () => {
    const p1 = path();
    reply = (_req, res) => {
      res.writeHead(200, { 'cache-control': 'private, max-age=900' });
      res.end('x');
    };
    await get(p1);
    await get(p1);
    expect(hits(p1)).toBe(2);

    reply = (_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=900' });
      res.end('x');
    };
    const p2 = path();
    const passed = await get(p2, 'mode=pass');
    expect(passed.h('x-lr-cached')).toBe('false');
    await get(p2, 'mode=pass');
    expect(hits(p2)).toBe(2);

    const p3 = path();
    await get(p3, 'method=POST');
    await get(p3, 'method=POST');
    expect(hits(p3)).toBe(2);
  });

  it('does not store a 5xx unless afterSend says cache: true', async () => {
    reply = (_req, res) => {
      res.writeHead(503, { 'cache-control': 'max-age=900' });
      res.end('down');
    };
    const p1 = path();
    expect((await get(p1)).status).toBe(503);
    await get(p1);
    expect(hits(p1)).toBe(2);

    const p2 = path();
    const first = await get(p2, 'mode=override&after=cache&setTtl=30');
    expect(first.status).toBe(503);
    expect(first.h('x-after-send')).toBe('503');
    const second = await get(p2, 'mode=override&after=cache&setTtl=30');
    expect(second.h('x-lr-cached')).toBe('true');
    expect(second.h('x-lr-ttl')).toBe('30');
    expect(hits(p2)).toBe(1);
    clock.advance(30 * S);
    await get(p2, 'mode=override&after=cache&setTtl=30');
    expect(hits(p2)).toBe(2);
  });

  it('lets afterSend refuse storage and change the TTL', async () => {
    const p1 = path();
    await get(p1, 'mode=override&after=nocache');
    await get(p1, 'mode=override&after=nocache');
    expect(hits(p1)).toBe(2);

    const p2 = path();
    await get(p2, 'mode=override&after=1&setTtl=5');
    clock.advance(4 * S);
    expect((await get(p2, 'mode=override&after=1&setTtl=5')).h('x-lr-cached')).toBe('true');
    clock.advance(1 * S);
    expect((await get(p2, 'mode=override&after=1&setTtl=5')).h('x-lr-cached')).toBe('false');
  });

  it('forces the TTL with an override CacheOverride, and runs beforeSend on misses', async () => {
    const p = path();
    const first = await get(p, 'mode=override&ttl=10&before=yes');
    expect(first.h('x-lr-ttl')).toBe('10');
    expect(origin.seen.at(-1)!.headers['x-before-send']).toBe('yes');
    clock.advance(9 * S);
    expect((await get(p, 'mode=override&ttl=10&before=yes')).h('x-lr-cached')).toBe('true');
    clock.advance(1 * S);
    expect((await get(p, 'mode=override&ttl=10&before=yes')).h('x-lr-cached')).toBe('false');
    expect(hits(p)).toBe(2);
  });

  it('serves a stale copy inside stale-if-error when the backend fails, marking the masked error', async () => {
    const p = path();
    reply = (_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=10, stale-if-error=60' });
      res.end('good copy');
    };
    await get(p);
    clock.advance(20 * S);
    reply = (req) => req.socket.destroy();
    const stale = await get(p);
    expect(stale.status).toBe(200);
    expect(stale.body).toBe('good copy');
    expect(stale.h('x-lr-stale')).toBe('true');
    expect(stale.h('x-lr-cached')).toBe('true');
    expect(stale.h('x-lr-masked')).toBe('NetworkError');
    expect(stale.h('age')).toBe('20');

    clock.advance(60 * S);
    const gone = await get(p);
    expect(gone.status).toBe(502);
    expect(JSON.parse(gone.body).fetchError.name).toBe('NetworkError');
  });

  it('hands a 5xx to the service, and serves stale when afterSend throws on it', async () => {
    const p = path();
    reply = (_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=10' });
      res.end('good copy');
    };
    await get(p, 'mode=override&sie=300&after=throw-5xx');
    clock.advance(20 * S);
    reply = (_req, res) => {
      res.writeHead(500);
      res.end('broken');
    };
    const plain = await get(p);
    expect(plain.status).toBe(500);
    const masked = await get(p, 'mode=override&sie=300&after=throw-5xx');
    expect(masked.status).toBe(200);
    expect(masked.body).toBe('good copy');
    expect(masked.h('x-lr-masked')).toBe('Error');
  });

  it('serves stale inside stale-while-revalidate and refreshes in the background', async () => {
    const p = path();
    reply = (_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=10, stale-while-revalidate=30' });
      res.end('v1');
    };
    await get(p);
    clock.advance(15 * S);
    reply = (_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=10' });
      res.end('v2');
    };
    const revalidated = origin.nextRequest();
    const stale = await get(p);
    expect(stale.body).toBe('v1');
    expect(stale.h('x-lr-stale')).toBe('true');
    expect((await revalidated).url).toBe(`/${p}`);
    expect(hits(p)).toBe(2);
  });
});
