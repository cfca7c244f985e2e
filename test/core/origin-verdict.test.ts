import { describe, expect, it } from 'vitest';
import { BackendUnavailable } from '../../src/core/attempt.ts';
import { type AnswerSource, type OriginVerdict, watchOriginFetch } from '../../src/core/origin-verdict.ts';
import { ManualClock } from '../support/manual-clock.ts';

/** A fetch that the test settles by hand. */
function pending() {
  let resolve!: (r: Response) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<Response>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function watch(patienceMs = 5000) {
  const clock = new ManualClock();
  const fetch = pending();
  const verdicts: OriginVerdict[] = [];
  let done = false;
  void watchOriginFetch(fetch.promise, { accept: (r) => r.status < 500, clock, patienceMs, onVerdict: (v) => verdicts.push(v) }).then(() => (done = true));
  return { clock, fetch, verdicts, done: () => done };
}

describe('watchOriginFetch', () => {
  it.each<[string, (f: ReturnType<typeof pending>) => void, OriginVerdict]>([
    ['an answer that would be served', (f) => f.resolve(new Response('ok', { status: 404 })), 'success'],
    ['a 5xx that fails over', (f) => f.resolve(new Response('no', { status: 503 })), 'failure'],
    ['a transport failure', (f) => f.reject(Object.assign(new Error('NetworkError when attempting to fetch resource.'), { name: 'NetworkError' })), 'failure'],
    ['a backend that is not there', (f) => f.reject(new BackendUnavailable('backend origin is not defined')), 'none'],
  ])('gives one verdict for %s', async (_name, settle, verdict) => {
    const w = watch();
    settle(w.fetch);
    await w.clock.advance(10_000);
    expect(w.verdicts).toEqual([verdict]);
    expect(w.done()).toBe(true);
    expect(w.clock.pendingTimers, 'the patience timer is cancelled').toBe(0);
  });

  it('calls an origin that has not answered within the patience a failure, and withdraws it when origin then answers', async () => {
    const w = watch(5000);
    await w.clock.advance(4999);
    expect(w.verdicts).toEqual([]);
    await w.clock.advance(1);
    expect(w.verdicts).toEqual(['failure']);
    expect(w.done(), 'the fetch is still watched').toBe(false);
    w.fetch.resolve(new Response('late', { status: 200 }));
    await w.clock.advance(1);
    expect(w.verdicts, 'a slow page is not a broken one').toEqual(['failure', 'success']);
    expect(w.done()).toBe(true);
  });

  it.each<[string, (f: ReturnType<typeof pending>) => void]>([
    ['a 5xx', (f) => f.resolve(new Response('no', { status: 503 }))],
    ['a transport failure', (f) => f.reject(Object.assign(new Error('NetworkError when attempting to fetch resource.'), { name: 'NetworkError' }))],
  ])('keeps the hedge-time failure when origin then sends %s', async (_name, settle) => {
    const w = watch(5000);
    await w.clock.advance(5000);
    settle(w.fetch);
    await w.clock.advance(1);
    expect(w.verdicts).toEqual(['failure']);
    expect(w.done()).toBe(true);
  });

  it.each<[string, AnswerSource, number, OriginVerdict[]]>([
    ['a copy from the cache is no news of origin, whatever its status', 'cache', 200, ['none']],
    ['a cached 5xx neither', 'cache', 500, ['none']],
    ['a stale copy standing in for origin\'s 5xx is a failure', 'stale-for-error', 200, ['failure']],
    ['an answer origin sent itself counts', 'backend', 200, ['success']],
  ])('%s', async (_name, source, status, verdicts) => {
    const clock = new ManualClock();
    const seen: OriginVerdict[] = [];
    await watchOriginFetch(Promise.resolve(new Response('x', { status })), { accept: (r) => r.status < 500, source: () => source, clock, patienceMs: 5000, onVerdict: (v) => seen.push(v) });
    expect(seen).toEqual(verdicts);
  });

  it('does not withdraw a hedge-time failure for a late copy from the cache', async () => {
    const clock = new ManualClock();
    const fetch = pending();
    const seen: OriginVerdict[] = [];
    void watchOriginFetch(fetch.promise, { accept: () => true, source: () => 'cache', clock, patienceMs: 100, onVerdict: (v) => seen.push(v) });
    await clock.advance(100);
    fetch.resolve(new Response('copy'));
    await clock.advance(1);
    expect(seen).toEqual(['failure']);
  });

  it('waits for the fetch itself when the patience is 0 (hedging off)', async () => {
    const w = watch(0);
    await w.clock.advance(60_000);
    expect(w.verdicts).toEqual([]);
    expect(w.done()).toBe(false);
    w.fetch.resolve(new Response('ok'));
    await w.clock.advance(0);
    expect(w.verdicts).toEqual(['success']);
  });

  it('still settles when recording the verdict throws', async () => {
    const clock = new ManualClock();
    const done = watchOriginFetch(Promise.resolve(new Response('ok')), {
      accept: () => true,
      clock,
      patienceMs: 10,
      onVerdict: () => {
        throw new Error('store gone');
      },
    });
    await expect(done).resolves.toBeUndefined();
  });
});
