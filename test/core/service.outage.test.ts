/**
 * serve() with the outage memory: a store in memory shared by the requests
 * of one test (as the Core cache is shared by a POP's), the manual clock, and
 * fake backends. What the memory changes (the plan, the diagnostics) and what
 * it must never touch (overrides, other methods, a skipped origin).
 */
import { describe, expect, it } from 'vitest';
import type { BackendName } from '../../src/core/backends.ts';
import { type Config, DEFAULT_CONFIG } from '../../src/core/config.ts';
import type { LogRecord } from '../../src/core/log-line.ts';
import { outageKeys } from '../../src/core/outage-memory.ts';
import type { AnswerSource } from '../../src/core/origin-verdict.ts';
import type { Health } from '../../src/core/policy.ts';
import { serve } from '../../src/core/service.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { MemoryMarks } from '../support/memory-marks.ts';

type Fake = { status: number; after?: number; source?: AnswerSource } | { hang: true };

function pop(config: Partial<Config> = {}) {
  const clock = new ManualClock();
  const marks = new MemoryMarks(() => clock.now());
  const logs: LogRecord[] = [];
  const background: Promise<unknown>[] = [];
  const contacted: BackendName[] = [];
  let backends: Partial<Record<BackendName, Fake>> = {};
  let health: Partial<Record<BackendName, Health>> = {};
  const sources = new WeakMap<Response, AnswerSource>();

  const request = async (path: string, init: RequestInit = {}) => {
    let response: Response | undefined;
    const served = serve(new Request(`https://www.gov.uk${path}`, init), {
      config: { ...DEFAULT_CONFIG, gcsBucket: 'govuk-test-mirror', ...config },
      configProblems: [],
      clock,
      requestId: 'req',
      connection: { clientAddress: '192.0.2.10', serverHostname: 'cache-test-lhr1' },
      bucketHost: (mirror) => `${mirror.toLowerCase()}.bucket.test`,
      date: () => new Date('2026-11-30T12:00:00Z'),
      health: (b) => health[b] ?? 'unknown',
      send(backend) {
        contacted.push(backend);
        const fake = backends[backend] ?? { status: 403 };
        return new Promise<Response>((resolve) => {
          if ('hang' in fake) return;
          const response = new Response(`${backend} says ${fake.status}`, { status: fake.status });
          if (fake.source) sources.set(response, fake.source);
          clock.schedule(fake.after ?? 10, () => resolve(response));
        });
      },
      secret: async () => null,
      log: (line) => logs.push(line()),
      popMarks: marks,
      answerSource: (r) => sources.get(r) ?? 'backend',
      background: (task) => background.push(task),
    }).then((r) => (response = r));
    const startedAt = clock.now();
    while (response === undefined) await clock.advance(1);
    await served;
    return { response, at: clock.now() - startedAt, log: logs.at(-1)! };
  };
  return {
    clock,
    marks,
    logs,
    background,
    contacted,
    request,
    set(b: Partial<Record<BackendName, Fake>>, h: Partial<Record<BackendName, Health>> = {}) {
      backends = b;
      health = h;
      contacted.length = 0;
    },
  };
}

describe('serve with the outage memory', () => {
  it('after three origin failures in a segment, asks origin and mirrorS3 at once there, and says so', async () => {
    const p = pop();
    p.set({ origin: { status: 503 }, mirrorS3: { status: 200 } });
    for (let i = 0; i < 3; i++) {
      const { response, log } = await p.request(`/government/${i}`);
      expect(response.headers.get('Server-Timing')).toBe('origin;desc="http-error 503";dur=10, mirrorS3;desc="ok 200";dur=10');
      expect(log.suspect_scope).toBeUndefined();
    }
    p.set({ origin: { hang: true }, mirrorS3: { status: 200, after: 20 } });
    const { response, at, log } = await p.request('/government/3');
    expect(at, 'the mirror\'s 20 ms, not the 5 s hedge').toBe(20);
    expect(response.headers.get('Fastly-Backend-Name')).toBe('mirrorS3');
    expect(response.headers.get('Fastly-Restarts')).toBe('1');
    expect(response.headers.get('Server-Timing')).toBe('suspect;desc="/government", origin;desc="abandoned";dur=20, mirrorS3;desc="ok 200";dur=20');
    expect(log.suspect_scope).toBe('/government');
    expect(p.contacted).toEqual(['origin', 'mirrorS3']);

    // The hung origin is still watched after the answer: a failure once the hedge delay has passed, which keeps the scope suspect.
    expect(p.background).toHaveLength(4);
    p.marks.calls.length = 0;
    await p.clock.advance(DEFAULT_CONFIG.hedgeAfterMs);
    const written = p.marks.calls.filter((c) => c.startsWith(`write ${outageKeys.segment('/government')} `));
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0]!.split(' ')[2]!).s, 'marked again for the memory time').toBe(10_000);
  });

  it('leaves other segments alone', async () => {
    const p = pop();
    p.set({ origin: { status: 503 }, mirrorS3: { status: 200 } });
    for (let i = 0; i < 3; i++) await p.request(`/government/${i}`);
    p.set({ origin: { status: 200 } });
    const { response, log } = await p.request('/browse/benefits');
    expect(response.headers.get('Server-Timing')).toBe('origin;desc="ok 200";dur=10');
    expect(log.suspect_scope).toBeUndefined();
    expect(p.contacted).toEqual(['origin']);
  });

  it('on a healthy origin only reads two entries per request, and writes none', async () => {
    const p = pop();
    p.set({ origin: { status: 200 } });
    await p.request('/browse/benefits');
    await Promise.all(p.background);
    expect(p.marks.calls).toEqual([`read ${outageKeys.segment('/browse')}`, `read ${outageKeys.origin}`]);
  });

  it('one broken page, asked however often and however spelt, never makes its segment suspect', async () => {
    const p = pop();
    p.set({ origin: { status: 500 }, mirrorS3: { status: 200 } });
    for (const path of ['/help/boom', '/help/boom', '/help/bo%6Fm', '/help//boom/', '/HELP/Boom', '/help/./boom', '/%68elp/boom', '/help/boom?x=1', '/help/boom', '/help/boom']) {
      const { log } = await p.request(path);
      expect(log.suspect_scope, path).toBeUndefined();
    }
    p.set({ origin: { status: 200, after: 30 }, mirrorS3: { status: 200, after: 5 } });
    const { response, log } = await p.request('/help/cookies');
    expect(response.headers.get('Fastly-Backend-Name')).toBe('origin');
    expect(response.headers.get('Server-Timing')).toBe('origin;desc="ok 200";dur=30');
    expect(log.suspect_scope).toBeUndefined();
  });

  it('spellings of one segment are one scope: they never add up to the whole origin', async () => {
    const p = pop({ outageThreshold: 1 });
    p.set({ origin: { status: 500 }, mirrorS3: { status: 200 } });
    for (const path of ['/government/boom', '/%67overnment/boom', '/g%6Fvernment/boom', '/gov%65rnment/boom']) await p.request(path);
    p.set({ origin: { status: 200, after: 30 }, mirrorS3: { status: 200, after: 5 } });
    const { response, log } = await p.request('/browse/benefits');
    expect(log.suspect_scope).toBeUndefined();
    expect(response.headers.get('Fastly-Backend-Name')).toBe('origin');
  });

  it('a copy from the cache is never evidence: a cached 5xx served again counts nothing', async () => {
    const p = pop({ outageThreshold: 2 });
    p.set({ origin: { status: 500 }, mirrorS3: { status: 200 } });
    await p.request('/help/a');
    p.set({ origin: { status: 500, source: 'cache' }, mirrorS3: { status: 200 } });
    for (const path of ['/help/a', '/help/b', '/help/c']) await p.request(path);
    p.set({ origin: { hang: true }, mirrorS3: { status: 200 } });
    const { log } = await p.request('/help/d');
    expect(log.suspect_scope, 'only one answer came from origin itself').toBeUndefined();
  });

  it('a copy from the cache does not reset the count either; a stale copy standing in for a 5xx is a failure', async () => {
    const p = pop({ outageThreshold: 2 });
    p.set({ origin: { status: 500 }, mirrorS3: { status: 200 } });
    await p.request('/help/a');
    p.set({ origin: { status: 200, source: 'cache' } });
    await p.request('/help/cached');
    p.set({ origin: { status: 200, source: 'stale-for-error' } });
    const { response } = await p.request('/help/stale');
    expect(response.headers.get('Fastly-Backend-Name'), 'the stale copy is served').toBe('origin');
    p.set({ origin: { hang: true }, mirrorS3: { status: 200 } });
    const { log } = await p.request('/help/d');
    expect(log.suspect_scope).toBe('/help');
  });

  it('a page slower than the hedge counts as failing only until origin answers it', async () => {
    const p = pop({ outageThreshold: 2 });
    // Origin answers the slow page after 6 s; the mirror's copy is served at the 5 s hedge.
    p.set({ origin: { status: 200, after: 6_000 }, mirrorS3: { status: 200 } });
    const slow = await p.request('/search/all');
    expect(slow.response.headers.get('Fastly-Backend-Name')).toBe('mirrorS3');
    p.set({ origin: { status: 500 }, mirrorS3: { status: 200 } });
    await p.clock.advance(2_000);
    // The slow page's failure was withdrawn when its answer came: after another page fails, one failing page, not two.
    await p.request('/search/other');
    const { log } = await p.request('/search/third');
    expect(log.suspect_scope, 'not suspect: the slow page no longer counts').toBeUndefined();
    const { log: next } = await p.request('/search/fourth');
    expect(next.suspect_scope, 'two pages failed in a row: suspect').toBe('/search');
  });

  it.each<[string, RequestInit, Partial<Record<BackendName, Health>>]>([
    ['an override', { headers: { 'Backend-Override': 'origin' } }, {}],
    ['a POST', { method: 'POST', body: 'x' }, {}],
    ['a request while origin is marked unhealthy', {}, { origin: 'unhealthy' }],
  ])('never touches the memory for %s', async (_name, init, health) => {
    const p = pop({ outageThreshold: 1 });
    p.set({ origin: { status: 503 }, mirrorS3: { status: 200 } }, health);
    await p.request('/government/x', init);
    await p.request('/government/y', init);
    await Promise.all(p.background);
    expect(p.marks.calls.filter((c) => c.includes('/outage-memory/'))).toEqual([]);
    expect(p.logs.every((l) => l.suspect_scope === undefined)).toBe(true);
  });

  it('with outage_memory_s = 0 never touches it', async () => {
    const p = pop({ outageMemoryS: 0, outageThreshold: 1 });
    p.set({ origin: { status: 503 }, mirrorS3: { status: 200 } });
    await p.request('/government/x');
    await p.request('/government/y');
    expect(p.marks.calls.filter((c) => c.includes('/outage-memory/'))).toEqual([]);
  });

  it('with a broken store serves as without the memory, and the log line says why', async () => {
    const p = pop({ outageThreshold: 1 });
    p.marks.broken = new Error('lookup: Unsupported operation error.');
    p.set({ origin: { status: 503 }, mirrorS3: { status: 200 } });
    for (const path of ['/government/x', '/government/y']) {
      const { response, log } = await p.request(path);
      expect(response.status).toBe(200);
      expect(response.headers.get('Server-Timing')).toBe('origin;desc="http-error 503";dur=10, mirrorS3;desc="ok 200";dur=10');
      expect(log.outage_memory_error).toBe('outage memory unavailable, served as without it: Error: lookup: Unsupported operation error.');
      expect(log.suspect_scope).toBeUndefined();
    }
  });

  it('with a store that fails only when writing, still answers, and says why', async () => {
    const p = pop({ outageThreshold: 1 });
    const marks = p.marks;
    const write = marks.write.bind(marks);
    marks.write = () => {
      throw new Error('insert: Invalid argument.');
    };
    p.set({ origin: { status: 503 }, mirrorS3: { status: 200 } });
    const { response, log } = await p.request('/government/x');
    expect(response.status).toBe(200);
    expect(log.outage_memory_error).toBe('outage memory unavailable, served as without it: Error: insert: Invalid argument.');
    marks.write = write;
  });

  it('clears a suspect scope when origin answers, even after the mirror\'s answer was served', async () => {
    const p = pop();
    p.set({ origin: { status: 503 }, mirrorS3: { status: 200 } });
    for (let i = 0; i < 3; i++) await p.request(`/government/${i}`);
    p.set({ origin: { status: 200, after: 50 }, mirrorS3: { status: 200, after: 20 } });
    const raced = await p.request('/government/3');
    expect(raced.response.headers.get('Fastly-Backend-Name')).toBe('mirrorS3');
    expect(raced.log.suspect_scope).toBe('/government');
    await p.clock.advance(30);
    await Promise.all(p.background);
    const after = await p.request('/government/4');
    expect(after.log.suspect_scope).toBeUndefined();
    expect(after.response.headers.get('Fastly-Backend-Name')).toBe('origin');
  });
});
