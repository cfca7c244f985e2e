/**
 * The service's cache rules, on the local runtime's model of Fastly's HTTP
 * cache as held to Fastly's own tests (local-runtime/fastly-cache.test.ts).
 * Local runtime only: Viceroy has no readthrough cache. Each rule is asked of
 * the real service with stub backends, its clock moved where time matters,
 * and checked by what the backends received, what users got, and the
 * `x-cache` and `Age` an operator's curl would see.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Engine, LOCAL_ENGINE } from './engines.ts';
import { send } from './request.ts';
import { type MirrorPages, startWorld, type World } from './world.ts';

const PAGES: MirrorPages = {
  mirrorS3: ['/rules/mirror-copy', '/rules/five', '/rules/stale', '/rules/refused-stale', '/rules/override', '/rules/control'],
  mirrorS3Replica: [],
  mirrorGCS: [],
};
const ORIGIN_503 = { kind: 'status', status: 503 } as const;

describe("on 'local-runtime': the service's cache rules (local runtime only: Viceroy has no readthrough cache)", () => {
  let world: World;
  let engine: Engine;

  beforeAll(async () => {
    world = await startWorld(PAGES);
    engine = await LOCAL_ENGINE.start(world.manifest());
  });
  afterAll(async () => {
    await engine?.close();
    await world?.close();
  });
  beforeEach(async () => {
    await world.reset();
  });

  it('stores a mirror 200 900 s and serves it from the cache, asking no bucket, until it expires', async () => {
    await world.set({ origin: ORIGIN_503 });
    const first = await send(engine.url, '/rules/mirror-copy');
    expect(first.header('fastly-backend-name')).toBe('mirrorS3');
    expect(first.header('x-cache')).toBe('MISS');
    engine.clock!.advance(899_500);
    const copy = await send(engine.url, '/rules/mirror-copy');
    expect(copy.text).toBe(world.pageBody('mirrorS3', '/rules/mirror-copy'));
    expect(copy.header('x-cache'), 'an operator sees the copy came from the cache').toBe('HIT');
    expect(Number(copy.header('age'))).toBe(899);
    expect(world.stubs.mirrorS3.hits).toBe(1);
    engine.clock!.advance(1_000);
    const again = await send(engine.url, '/rules/mirror-copy');
    expect(again.header('x-cache')).toBe('MISS');
    expect(world.stubs.mirrorS3.hits).toBe(2);
  });

  it.each([403, 404] as const)('never stores a mirror %i: the bucket is asked again every time', async (missing) => {
    await world.set({ origin: ORIGIN_503, mirrorS3: world.bucket('mirrorS3', missing) });
    for (let i = 0; i < 3; i++) {
      const r = await send(engine.url, `/rules/not-in-any-bucket-${missing}`);
      expect(r.status).toBe(503);
      expect(r.timing[1]).toBe(`mirrorS3 http-error ${missing}`);
    }
    expect(world.stubs.mirrorS3.hits).toBe(3);
  });

  it('stores an origin 5xx 1 s: requests arriving together in that second make one origin request', async () => {
    await world.set({ origin: { kind: 'delay', ms: 100, then: ORIGIN_503 } });
    const answers = await Promise.all(Array.from({ length: 10 }, () => send(engine.url, '/rules/five')));
    for (const r of answers) expect(r.header('fastly-backend-name')).toBe('mirrorS3');
    expect(world.stubs.origin.hits, 'ten requests at once, one origin request: the others waited for it').toBe(1);
    engine.clock!.advance(500);
    await send(engine.url, '/rules/five');
    expect(world.stubs.origin.hits).toBe(1);
    engine.clock!.advance(600);
    await send(engine.url, '/rules/five');
    expect(world.stubs.origin.hits, 'past the second').toBe(2);
  });

  it.each([
    ['answers 503', ORIGIN_503, '/rules/stale'],
    ['refuses', { kind: 'refuse' } as const, '/rules/refused-stale'],
  ])('serves a stale origin copy when origin %s, up to stale_if_error (24 h) and never past it', async (_what, failing, path) => {
    await world.set({ origin: { kind: 'echo', headers: { 'Cache-Control': 'max-age=60' }, body: 'the origin copy' } });
    await send(engine.url, path);
    await world.set({ origin: failing });
    engine.clock!.advance(60_000 + 24 * 3_600_000 - 1_000);
    const stale = await send(engine.url, path);
    expect(stale.text).toBe('the origin copy');
    expect(stale.header('fastly-backend-name')).toBe('origin');
    expect(world.stubs.mirrorS3.hits).toBe(0);
    engine.clock!.advance(2_000);
    const past = await send(engine.url, path);
    expect(past.header('fastly-backend-name'), 'past the window: the mirror').toBe('mirrorS3');
  });

  it('never stores an override answer, nor serves one from the shared cache', async () => {
    await world.set({ origin: ORIGIN_503 });
    const pub = await send(engine.url, '/rules/override');
    expect(pub.header('fastly-backend-name')).toBe('mirrorS3');
    for (let i = 0; i < 2; i++) {
      const r = await send(engine.url, '/rules/override', { headers: { 'Backend-Override': 'mirrorS3' } });
      expect(r.header('x-cache'), 'an override passes the cache').toBeUndefined();
      expect(r.header('cache-control')).toBe('private, no-store');
    }
    expect(world.stubs.mirrorS3.hits, 'the public copy, then the bucket for each override').toBe(3);
    await world.set({ origin: { kind: 'echo' } });
    const origin = await send(engine.url, '/rules/override', { headers: { 'Backend-Override': 'origin' } });
    expect(origin.status).toBe(200);
    expect(world.stubs.origin.hits).toBe(2);
  });

  it.each<[string, () => Promise<void>, string, Record<string, string>, string | undefined]>([
    ["origin's own, when origin answers", async () => world.set({ origin: { kind: 'echo', headers: { 'Cache-Control': 'public, max-age=300' } } }), '/rules/control', {}, 'public, max-age=300'],
    ['max-age=900 for a mirror copy', async () => world.set({ origin: ORIGIN_503 }), '/rules/control', {}, 'max-age=900'],
    ['max-age=1 for the 503 page', async () => world.set({ origin: ORIGIN_503 }), '/rules/in-no-bucket', {}, 'max-age=1'],
    ['private, no-store for an override', async () => undefined, '/rules/control', { 'Backend-Override': 'origin' }, 'private, no-store'],
    ['no-store for a refusal', async () => undefined, '/rules/control', { 'Backend-Override': 'mirrorS9' }, 'no-store'],
  ])('tells each user %s', async (_what, arrange, path, headers, expected) => {
    await arrange();
    const r = await send(engine.url, `${path}?case=${encodeURIComponent(expected ?? '')}`, { headers });
    expect(r.header('cache-control')).toBe(expected);
  });
});
