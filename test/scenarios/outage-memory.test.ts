/**
 * The outage memory on each engine: the real service, the Core cache as the
 * engine provides it (the local runtime's model, on its clock; Viceroy's own,
 * in memory), stub backends on loopback. Tests that share a configuration
 * share an engine (Viceroy takes seconds to start), each in its own path
 * segments, and clear what they left suspect, which the clean-up checks.
 *
 * Time: the hedge delay is 1500 ms here, so an answer "at mirror speed" (well
 * under it) and one that waited for the hedge are far apart. Expiry uses the
 * local runtime's clock, which the test moves; Viceroy's cache clock cannot
 * be moved, so there the test lets the real seconds pass (windows of 1–2 s).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LogLine, startLocalRuntime } from '../../local-runtime/index.ts';
import { type Engine, engines } from './engines.ts';
import { type Observed, send } from './request.ts';
import { LOG_ENDPOINT, MANIFEST, type ManifestDoc, type MirrorPages, startWorld, type World } from './world.ts';

const HEDGE_MS = 1500;
/** Well under the hedge delay: what an answer that did not wait for it takes, on a loaded machine. */
const MIRROR_SPEED_MS = HEDGE_MS / 2;
const SEGMENTS = ['government', 'browse', 'guidance', 'news', 'a', 'b', 'c', 'd'];
const PAGES_PER_SEGMENT = 200;

const inBucket = SEGMENTS.flatMap((s) => Array.from({ length: PAGES_PER_SEGMENT }, (_, i) => `/${s}/${i}`));
const PAGES: MirrorPages = { mirrorS3: inBucket, mirrorS3Replica: [], mirrorGCS: [] };

type Settings = Partial<Record<'outage_threshold' | 'outage_window_s' | 'outage_memory_s' | 'hedge_after_ms', string>>;

function withMemory(settings: Settings = {}): (doc: ManifestDoc) => void {
  return (doc) => {
    Object.assign(doc.local_server.config_stores.failover_config.contents, {
      hedge_after_ms: String(HEDGE_MS),
      outage_threshold: '3',
      outage_window_s: '10',
      outage_memory_s: '10',
      ...settings,
    });
  };
}

const ORIGIN_503 = { kind: 'status', status: 503 } as const;

/** The scope named by the `suspect` Server-Timing entry, or null. */
function suspectScope(r: Observed): string | null {
  const entry = r.timing.find((t) => t.startsWith('suspect '));
  return entry ? entry.slice('suspect '.length) : null;
}

describe.each(engines())('on $name', ({ name, start }) => {
  let world: World;
  /** A page path not asked for before in this file: `/<segment>/<n>`, a copy of which mirrorS3 holds. */
  const next: Record<string, number> = {};
  const page = (segment: string) => `/${segment}/${(next[segment] = (next[segment] ?? -1) + 1)}`;

  beforeAll(async () => {
    world = await startWorld(PAGES);
  });
  afterAll(async () => {
    await world?.close();
  });

  /**
   * One engine for a describe block, started with the outage memory configured (Viceroy probes every backend as it
   * starts: forgotten). Each test's segments are cleared afterwards: a request origin answers, in each, seen suspect.
   */
  function engineWith(settings?: Settings) {
    const box: { engine?: Engine; segments: Set<string> } = { segments: new Set() };
    beforeAll(async () => {
      box.engine = await start(world.manifest(withMemory(settings)));
    }, 180_000);
    afterAll(async () => {
      await box.engine?.close();
    });
    beforeEach(async (context) => {
      await world.reset();
      box.segments.clear();
      context.onTestFinished(async () => {
        await world.set({ origin: { kind: 'echo' }, mirrorS3: 'bucket' });
        for (const segment of box.segments) {
          await send(box.engine!.url, `/${segment}/clean-up`);
          expect(suspectScope(await send(box.engine!.url, `/${segment}/clean-up`)), `/${segment} left clear`).toBeNull();
        }
      });
    });
    const engine = () => box.engine!;
    return {
      engine,
      /** A new page in `segment`, which the clean-up will clear. */
      page: (segment: string) => {
        box.segments.add(segment);
        return page(segment);
      },
      /** Sends `count` GETs in `segment` that origin fails with 503 (each served by mirrorS3), one after another. */
      failures: async (segment: string, count: number) => {
        box.segments.add(segment);
        for (let i = 0; i < count; i++) {
          const r = await send(engine().url, page(segment));
          expect(r.header('fastly-backend-name'), `failure ${i + 1} in /${segment} is served by the mirror`).toBe('mirrorS3');
        }
      },
      /** Time passing for the Core cache: the local runtime's clock is moved; on Viceroy the real time goes by. */
      letTimePass: async (ms: number) => {
        if (engine().clock) engine().clock!.advance(ms);
        else await new Promise((resolve) => setTimeout(resolve, ms));
      },
      /** The service's log records from the `from`-th line on, once `count` lines have arrived in all. */
      logRecords: async (from: number, count: number) => {
        await engine().waitForLogs(count);
        return engine().logs.slice(from).filter((l: LogLine) => l.endpoint === LOG_ENDPOINT).map((l) => JSON.parse(l.line));
      },
    };
  }

  describe('with the defaults (3 failures in 10 s, remembered 10 s)', () => {
    const { engine, page, failures, logRecords } = engineWith();

    it('K failures make a scope suspect: its next request is answered at mirror speed with origin hung', async () => {
      const logsBefore = engine().logs.length;
      await world.set({ origin: ORIGIN_503 });
      for (let i = 0; i < 2; i++) {
        const r = await send(engine().url, page('government'));
        expect(suspectScope(r), `failure ${i + 1} of 3: not yet suspect`).toBeNull();
        expect(r.timing).toEqual(['origin http-error 503', 'mirrorS3 ok 200']);
      }
      const third = await send(engine().url, page('government'), { method: 'HEAD' });
      expect(third.header('fastly-backend-name'), 'HEAD fails over and counts too').toBe('mirrorS3');
      expect(suspectScope(third)).toBeNull();

      await world.set({ origin: { kind: 'hang' } });
      world.clearRecordings();
      const path = page('government');
      const r = await send(engine().url, path);
      expect(r.status).toBe(200);
      expect(r.text).toBe(world.pageBody('mirrorS3', path));
      expect(r.header('fastly-backend-name')).toBe('mirrorS3');
      expect(r.header('fastly-restarts')).toBe('1');
      expect(r.timing).toEqual(['suspect /government', 'origin abandoned', 'mirrorS3 ok 200']);
      expect(r.ms, 'at mirror speed, not after the hedge delay').toBeLessThan(MIRROR_SPEED_MS);
      expect(world.stubs.origin.hits, 'origin is still asked, in parallel').toBe(1);
      expect(world.stubs.mirrorS3.hits).toBe(1);

      const records = await logRecords(logsBefore, logsBefore + 4);
      expect(records.map((l) => l.suspect_scope ?? null)).toEqual([null, null, null, '/government']);
      expect(records.some((l) => 'outage_memory_error' in l)).toBe(false);
    });

    it('another segment is unaffected: it still waits for the hedge with origin hung', async () => {
      await world.set({ origin: ORIGIN_503 });
      await failures('guidance', 3);
      await world.set({ origin: { kind: 'hang' } });
      const other = await send(engine().url, page('browse'));
      expect(other.header('fastly-backend-name')).toBe('mirrorS3');
      expect(other.timing).toEqual(['origin abandoned', 'mirrorS3 ok 200']);
      expect(other.ms).toBeGreaterThanOrEqual(HEDGE_MS - 50);
      const suspect = await send(engine().url, page('guidance'));
      expect(suspectScope(suspect)).toBe('/guidance');
      expect(suspect.ms).toBeLessThan(MIRROR_SPEED_MS);
    });

    it('a successful origin answer in the scope clears it', async () => {
      await world.set({ origin: ORIGIN_503 });
      await failures('news', 3);
      await world.set({ origin: { kind: 'echo' } });
      world.clearRecordings();
      // No mirror holds this page: origin's answer is the one served, and it clears the scope.
      const recovered = await send(engine().url, '/news/only-at-origin');
      expect(recovered.status).toBe(200);
      expect(recovered.header('fastly-backend-name')).toBe('origin');
      expect(recovered.timing.slice(0, 2)).toEqual(['suspect /news', 'origin ok 200']);
      expect(['mirrorS3 http-error 403', 'mirrorS3 abandoned'], 'the mirror, asked at once, lacks the page').toContain(recovered.timing[2]);
      const after = await send(engine().url, page('news'));
      expect(suspectScope(after)).toBeNull();
      expect(after.timing).toEqual(['origin ok 200']);
      expect(world.stubs.mirrorS3.hits, 'the mirror is asked no more').toBe(1);
    });

    it('clears the scope when origin answers after the mirror already has (the answer is waited for after the response)', async () => {
      await world.set({ origin: ORIGIN_503 });
      await failures('a', 3);
      // Origin is healthy again, but slower than the mirror: the mirror's copy is served, origin's answer still counts.
      await world.set({ origin: { kind: 'delay', ms: 300, then: { kind: 'echo' } } });
      const raced = await send(engine().url, page('a'));
      expect(raced.header('fastly-backend-name')).toBe('mirrorS3');
      expect(raced.timing).toEqual(['suspect /a', 'origin abandoned', 'mirrorS3 ok 200']);
      // Origin's 200 arrives about 300 ms later, in the background: wait for the scope to be clear.
      const deadline = performance.now() + 5_000;
      let r: Observed;
      for (;;) {
        r = await send(engine().url, page('a'));
        if (suspectScope(r) === null || performance.now() > deadline) break;
      }
      expect(suspectScope(r), 'cleared within 5 s').toBeNull();
      expect(r.header('fastly-backend-name')).toBe('origin');
    });

    it('overrides and methods other than GET and HEAD are never affected, nor counted', async () => {
      await world.set({ origin: ORIGIN_503 });
      await failures('b', 2);
      for (let i = 0; i < 3; i++) {
        const post = await send(engine().url, page('b'), { method: 'POST', body: 'x' });
        expect(post.status).toBe(503);
        expect(post.timing).toEqual(['origin ok 503']);
        const override = await send(engine().url, page('b'), { headers: { 'Backend-Override': 'origin' } });
        expect(override.status).toBe(503);
        expect(override.timing).toEqual(['origin ok 503']);
      }
      const get = await send(engine().url, page('b'));
      expect(suspectScope(get), 'only two GET failures so far').toBeNull();
      const suspect = await send(engine().url, page('b'));
      expect(suspectScope(suspect)).toBe('/b');
      world.clearRecordings();
      const override = await send(engine().url, page('b'), { headers: { 'Backend-Override': 'origin' } });
      expect(override.timing, 'an override ignores the memory').toEqual(['origin ok 503']);
      const post = await send(engine().url, page('b'), { method: 'POST', body: 'x' });
      expect(post.timing).toEqual(['origin ok 503']);
      expect(world.stubs.mirrorS3.hits).toBe(0);
    });

    it('concurrent requests never corrupt the state: every answer right, then suspect, then clear', async () => {
      const logsBefore = engine().logs.length;
      const burst = async (count: number, expectBackend: string) => {
        const paths = Array.from({ length: count }, () => page('c'));
        const answers = await Promise.all(paths.map((p) => send(engine().url, p)));
        answers.forEach((r, i) => {
          expect(r.status, paths[i]).toBe(200);
          expect(r.header('fastly-backend-name'), paths[i]).toBe(expectBackend);
          if (expectBackend === 'mirrorS3') expect(r.text).toBe(world.pageBody('mirrorS3', paths[i]!));
        });
      };
      await world.set({ origin: ORIGIN_503 });
      await burst(24, 'mirrorS3');
      await world.set({ origin: { kind: 'hang' } });
      const suspect = await send(engine().url, page('c'));
      expect(suspectScope(suspect), '24 concurrent failures: suspect').toBe('/c');
      expect(suspect.ms).toBeLessThan(MIRROR_SPEED_MS);

      // Recovery under concurrency: origin answers (the mirror fails), and every success clears.
      await world.set({ origin: { kind: 'echo' }, mirrorS3: { kind: 'status', status: 503 } });
      await burst(24, 'origin');
      const clear = await send(engine().url, page('c'));
      expect(suspectScope(clear), 'clear after the concurrent successes').toBeNull();
      const records = await logRecords(logsBefore, logsBefore + 50);
      expect(records).toHaveLength(50);
      expect(records.filter((l) => 'outage_memory_error' in l)).toEqual([]);
    });
  });

  describe('with a 1 s window, remembered 2 s', () => {
    const { engine, page, failures, letTimePass } = engineWith({ outage_window_s: '1', outage_memory_s: '2' });

    it('the window expires on time: failures older than outage_window_s do not count', async () => {
      await world.set({ origin: ORIGIN_503 });
      await failures('government', 2);
      await letTimePass(1_200);
      await failures('government', 1);
      const notYet = await send(engine().url, page('government'));
      expect(suspectScope(notYet), 'two of the three failures were outside the window').toBeNull();
      // That request was the second failure in the window; one more makes three.
      await failures('government', 1);
      const now = await send(engine().url, page('government'));
      expect(suspectScope(now)).toBe('/government');
    });

    it('the memory expires on time: outage_memory_s after the scope became suspect', async () => {
      await world.set({ origin: ORIGIN_503 });
      await failures('browse', 2);
      const markedNoEarlierThan = performance.now();
      await failures('browse', 1);
      await world.set({ origin: { kind: 'hang' } });
      // Before the 2 s are up, measured from before the third failure was sent.
      await letTimePass(Math.max(0, 1_300 - (performance.now() - markedNoEarlierThan)));
      const still = await send(engine().url, page('browse'));
      expect(suspectScope(still), 'still suspect before outage_memory_s').toBe('/browse');
      expect(still.ms).toBeLessThan(MIRROR_SPEED_MS);
      // Past the 2 s (the hung request's own failure, 1.5 s after it started, is one failure in a 1 s window).
      await letTimePass(1_000);
      const expired = await send(engine().url, page('browse'));
      expect(suspectScope(expired), 'forgotten after outage_memory_s').toBeNull();
      expect(expired.ms).toBeGreaterThanOrEqual(HEDGE_MS - 50);
    });
  });

  describe('with a threshold of 1', () => {
    const { engine, page, failures } = engineWith({ outage_threshold: '1' });

    it('the whole origin becomes suspect when three segments are at once, and a success anywhere clears it', async () => {
      await world.set({ origin: ORIGIN_503 });
      await failures('a', 1);
      await failures('b', 1);
      const two = await send(engine().url, page('browse'));
      expect(suspectScope(two), 'two suspect segments: the others are not suspect').toBeNull();
      // That was a failure in /browse too: the third suspect segment.
      await world.set({ origin: { kind: 'hang' } });
      const whole = await send(engine().url, page('guidance'));
      expect(suspectScope(whole)).toBe('*');
      expect(whole.ms).toBeLessThan(MIRROR_SPEED_MS);

      await world.set({ origin: { kind: 'echo' } });
      const success = await send(engine().url, '/news/only-at-origin');
      expect(success.header('fastly-backend-name')).toBe('origin');
      expect(suspectScope(success)).toBe('*');
      const cleared = await send(engine().url, page('c'));
      expect(suspectScope(cleared), 'the whole origin is no longer suspect').toBeNull();
      const own = await send(engine().url, '/a/only-at-origin');
      expect(suspectScope(own), 'a segment stays suspect on its own until a success there').toBe('/a');
    });
  });

  describe('with outage_memory_s = 0', () => {
    const { engine, page, failures } = engineWith({ outage_memory_s: '0', outage_threshold: '1' });

    it('the memory is off', async () => {
      await world.set({ origin: ORIGIN_503 });
      await failures('government', 3);
      await world.set({ origin: { kind: 'hang' } });
      const r = await send(engine().url, page('government'));
      expect(r.timing).toEqual(['origin abandoned', 'mirrorS3 ok 200']);
      expect(r.ms).toBeGreaterThanOrEqual(HEDGE_MS - 50);
    });
  });

  it.skipIf(name === 'viceroy')('a missing Core cache degrades to today\'s behaviour, and the log says why (local runtime only: Viceroy always has the Core cache)', async () => {
    await world.reset();
    const runtime = await startLocalRuntime({ manifestPath: MANIFEST, manifest: world.manifest(withMemory({ outage_threshold: '1' })), coreCache: false, echoLogs: false, errorLog: () => undefined });
    try {
      await world.set({ origin: ORIGIN_503 });
      for (let i = 0; i < 3; i++) {
        const r = await send(runtime.url, page('government'));
        expect(r.status).toBe(200);
        expect(r.header('fastly-backend-name')).toBe('mirrorS3');
        expect(r.timing).toEqual(['origin http-error 503', 'mirrorS3 ok 200']);
      }
      await world.set({ origin: { kind: 'hang' } });
      const hung = await send(runtime.url, page('government'));
      expect(hung.timing).toEqual(['origin abandoned', 'mirrorS3 ok 200']);
      expect(hung.ms).toBeGreaterThanOrEqual(HEDGE_MS - 50);
      const records = runtime.logs.filter((l) => l.endpoint === LOG_ENDPOINT).map((l) => JSON.parse(l.line));
      expect(records).toHaveLength(4);
      for (const record of records) {
        expect(record.outage_memory_error).toBe('outage memory unavailable, served as without it: Error: lookup: Unsupported operation error. This error is thrown when some operation cannot be performed, because it is not supported.\n');
        expect(record.suspect_scope).toBeUndefined();
      }
    } finally {
      await runtime.close();
    }
  });
});
