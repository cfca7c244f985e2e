/**
 * The outage memory's rules (src/core/outage-memory.ts) on a store in memory
 * whose clock the test moves: examples for each rule, then a model-based
 * property test against a plain statement of the rules (failure times per
 * page in a window, a reset time, expiry times), seeded and replayable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutageMemory, type OutageSettings, outageKeys, type Seen, type Suspicion, WHOLE_ORIGIN_SEGMENTS } from '../../src/core/outage-memory.ts';
import { MemoryMarks } from '../support/memory-marks.ts';
import { runs } from '../support/property-runs.ts';

const SETTINGS: OutageSettings = { threshold: 3, windowMs: 10_000, memoryMs: 10_000 };

function setup(settings: OutageSettings = SETTINGS) {
  let now = 1_000_000;
  const marks = new MemoryMarks(() => now);
  const memory = new OutageMemory(marks, settings);
  return { marks, memory, advance: (ms: number) => (now += ms), suspicion: (segment: string) => memory.read(segment).suspicion };
}

describe('OutageMemory', () => {
  it('makes a scope suspect when the threshold of distinct pages fail there, not before', () => {
    const { memory, suspicion } = setup();
    expect(memory.recordFailure('/government', 'p1')).toBe(1);
    expect(memory.recordFailure('/government', 'p2')).toBe(2);
    expect(suspicion('/government')).toBeNull();
    expect(memory.recordFailure('/government', 'p3')).toBe(3);
    expect(suspicion('/government')).toEqual({ scope: '/government', segment: true, wholeOrigin: false });
    expect(suspicion('/browse'), 'another segment is not').toBeNull();
  });

  it('counts one page once, however often it fails: one broken page never makes its segment suspect', () => {
    const { memory, suspicion } = setup();
    for (let i = 0; i < 50; i++) expect(memory.recordFailure('/help', 'boom')).toBe(1);
    expect(suspicion('/help')).toBeNull();
    expect(memory.read('/help').failingPages).toBe(1);
    expect(memory.recordFailure('/help', 'other')).toBe(2);
  });

  it('resets the count on a success in the scope: the failures must be consecutive', () => {
    const { memory, suspicion } = setup();
    memory.recordFailure('/help', 'a');
    memory.recordFailure('/help', 'b');
    memory.recordSuccess('/help', memory.read('/help'));
    expect(memory.recordFailure('/help', 'c'), 'counting starts again after the success').toBe(1);
    memory.recordFailure('/help', 'd');
    expect(suspicion('/help')).toBeNull();
    expect(memory.recordFailure('/help', 'e')).toBe(3);
    expect(suspicion('/help')).not.toBeNull();
  });

  it('counts only failures within the window', () => {
    const { memory, advance, suspicion } = setup();
    memory.recordFailure('/government', 'a');
    advance(6_000);
    memory.recordFailure('/government', 'b');
    advance(4_000); // a is 10 s old now: out of the window
    expect(memory.recordFailure('/government', 'c')).toBe(2);
    expect(suspicion('/government')).toBeNull();
    expect(memory.recordFailure('/government', 'a'), 'a failing again counts anew').toBe(3);
    expect(suspicion('/government')).not.toBeNull();
  });

  it('keeps a scope suspect for the memory time, again from each failure while the window holds the threshold', () => {
    const { memory, advance, suspicion } = setup({ threshold: 2, windowMs: 1_000, memoryMs: 5_000 });
    memory.recordFailure('/a', 'x');
    memory.recordFailure('/a', 'y');
    advance(4_999);
    expect(suspicion('/a')).not.toBeNull();
    advance(1);
    expect(suspicion('/a'), 'forgotten after 5 s').toBeNull();
    memory.recordFailure('/a', 'x');
    advance(500);
    memory.recordFailure('/a', 'x'); // the same page again: still one page in the window, no new mark
    expect(suspicion('/a')).toBeNull();
    memory.recordFailure('/a', 'y');
    advance(4_000);
    memory.recordFailure('/a', 'x'); // alone in the window (y is 4 s old): no new mark
    advance(1_000);
    expect(suspicion('/a'), 'the mark from 5 s ago is gone').toBeNull();
  });

  it('clears a suspect scope on a success, and writes nothing on a success where the scope holds nothing', () => {
    const { memory, marks, suspicion } = setup();
    for (const page of ['a', 'b', 'c']) memory.recordFailure('/government', page);
    const seen = memory.read('/government');
    marks.calls.length = 0;
    memory.recordSuccess('/browse', memory.read('/browse'));
    expect(marks.calls.filter((c) => !c.startsWith('read')), 'a success where nothing was failing writes nothing').toEqual([]);
    memory.recordSuccess('/government', seen);
    expect(suspicion('/government')).toBeNull();
    expect(memory.recordFailure('/government', 'd'), 'the count starts again').toBe(1);
  });

  it('withdraws a failure the request itself recorded (a hedge-time failure, then the answer) even if it read nothing', () => {
    const { memory, suspicion } = setup({ threshold: 2, windowMs: 10_000, memoryMs: 10_000 });
    const seen = memory.read('/search');
    memory.recordFailure('/search', 'slow');
    memory.recordFailure('/search', 'other');
    expect(suspicion('/search')).not.toBeNull();
    memory.recordSuccess('/search', seen, true);
    expect(suspicion('/search')).toBeNull();
    expect(memory.read('/search').failingPages).toBe(0);
  });

  it('does not count a failure of a request that started before the success that reset the scope', () => {
    const { memory, advance } = setup();
    for (const page of ['a', 'b', 'c']) memory.recordFailure('/government', page);
    memory.recordSuccess('/government', memory.read('/government'));
    advance(3_000);
    // A hung origin's failure, decided 5 s after its request started, 2 s before the success.
    expect(memory.recordFailure('/government', 'd', 5_000)).toBe(0);
    expect(memory.recordFailure('/government', 'd', 3_000), 'started with the success: counted').toBe(1);
    advance(10_000);
    expect(memory.recordFailure('/government', 'e', 20_000), 'the success is out of the window: counted (alone: d is out too)').toBe(1);
  });

  it(`makes the whole origin suspect when ${WHOLE_ORIGIN_SEGMENTS} segments are, and clears it on a success seen under it`, () => {
    const { memory, suspicion } = setup({ threshold: 1, windowMs: 10_000, memoryMs: 10_000 });
    memory.recordFailure('/a', 'x');
    memory.recordFailure('/b', 'x');
    expect(suspicion('/c')).toBeNull();
    memory.recordFailure('/c', 'x');
    const whole: Suspicion = { scope: '*', segment: false, wholeOrigin: true };
    expect(suspicion('/d')).toEqual(whole);
    expect(suspicion('/a')).toEqual({ scope: '/a', segment: true, wholeOrigin: true });
    memory.recordSuccess('/d', memory.read('/d'));
    expect(suspicion('/d')).toBeNull();
    expect(suspicion('/a'), 'a segment stays suspect on its own').toEqual({ scope: '/a', segment: true, wholeOrigin: false });
    // The list was emptied: three segments must be marked again.
    memory.recordFailure('/a', 'y');
    memory.recordFailure('/b', 'y');
    expect(suspicion('/d')).toBeNull();
  });

  it('counts a segment once in the whole-origin list, however often it is marked', () => {
    const { memory, suspicion } = setup({ threshold: 1, windowMs: 10_000, memoryMs: 10_000 });
    for (let i = 0; i < 5; i++) memory.recordFailure('/a', `p${i}`);
    memory.recordFailure('/b', 'x');
    expect(suspicion('/c')).toBeNull();
  });

  it('keeps one entry per scope, under one prefix, with the segment in its key', () => {
    const { memory, marks } = setup({ threshold: 1, windowMs: 10_000, memoryMs: 10_000 });
    memory.recordFailure('/government', 'a');
    memory.recordFailure('/government', 'b');
    expect(marks.live()).toEqual([outageKeys.origin, outageKeys.segment('/government')]);
    expect(outageKeys.segment('/government')).toBe('govuk-failover/outage-memory/v2/segment/government');
    expect(outageKeys.origin).toBe('govuk-failover/outage-memory/v2/origin');
  });

  it('reads a damaged entry as an empty one', () => {
    const { memory, marks } = setup();
    marks.write(outageKeys.segment('/a'), '{not json', 10_000);
    marks.write(outageKeys.origin, '{"g":[["/a","x"],7],"s":"soon"}', 10_000);
    expect(memory.read('/a')).toEqual({ suspicion: null, failingPages: 0 });
    expect(memory.recordFailure('/a', 'p')).toBe(1);
  });

  it('lets a store failure through, for the caller to turn into no memory', () => {
    const { memory, marks } = setup();
    marks.broken = new Error('lookup: Unsupported operation');
    expect(() => memory.read('/a')).toThrow('Unsupported operation');
    expect(() => memory.recordFailure('/a', 'p')).toThrow('Unsupported operation');
  });
});

// ---------------------------------------------------------------------------
// The rules, stated plainly: each page's failure time, each reset's and mark's time.

const SEGMENTS = ['/a', '/b', '/c', '/d', '/e'] as const;
const PAGES = ['p', 'q', 'r', 's'] as const;

class Model {
  private failures = new Map<string, Map<string, number>>();
  private resetAt = new Map<string, number>();
  private suspectUntil = new Map<string, number>();
  private originList: { segment: string; until: number }[] = [];
  private originUntil: number | undefined;

  constructor(private readonly s: OutageSettings) {}

  read(segment: string, now: number): Seen {
    const seg = (this.suspectUntil.get(segment) ?? -Infinity) > now;
    const whole = (this.originUntil ?? -Infinity) > now;
    return { suspicion: seg || whole ? { scope: seg ? segment : '*', segment: seg, wholeOrigin: whole } : null, failingPages: this.live(segment, now).size };
  }

  failure(segment: string, page: string, now: number, startedAgo: number): number {
    // A failure of a request that started before the success that reset the scope is old news.
    const reset = this.resetAt.get(segment);
    if (reset !== undefined && now - reset < this.s.windowMs && now - reset < startedAgo) return 0;
    const live = this.live(segment, now);
    live.delete(page);
    // The newest `threshold` distinct pages are kept.
    const kept = [...live].sort((x, y) => y[1] - x[1]).slice(0, this.s.threshold - 1);
    this.failures.set(segment, new Map([[page, now], ...kept]));
    const counted = kept.length + 1;
    if (counted >= this.s.threshold) this.mark(segment, now);
    return counted;
  }

  success(segment: string, seen: Seen, failedHere: boolean, now: number): void {
    if (seen.failingPages > 0 || seen.suspicion?.segment || failedHere) {
      this.resetAt.set(segment, now);
      this.suspectUntil.delete(segment);
      this.failures.delete(segment);
      this.originList = this.originList.filter((e) => e.segment !== segment);
    }
    if (seen.suspicion?.wholeOrigin) {
      this.originUntil = undefined;
      this.originList = [];
    }
  }

  private live(segment: string, now: number): Map<string, number> {
    return new Map([...(this.failures.get(segment) ?? [])].filter(([, t]) => now - t < this.s.windowMs));
  }

  private mark(segment: string, now: number): void {
    const until = now + this.s.memoryMs;
    this.suspectUntil.set(segment, until);
    // The whole-origin list keeps the segments most recently marked, one entry each.
    const others = this.originList.filter((e) => e.until > now && e.segment !== segment).sort((x, y) => y.until - x.until);
    this.originList = [{ segment, until }, ...others].slice(0, WHOLE_ORIGIN_SEGMENTS);
    if (this.originList.length >= WHOLE_ORIGIN_SEGMENTS) this.originUntil = until;
  }
}

type Event = {
  readonly after: number;
  readonly kind: 'failure' | 'success' | 'withdrawal' | 'look';
  readonly segment: (typeof SEGMENTS)[number];
  readonly page: (typeof PAGES)[number];
  /** For a failure: how long ago its request started. */
  readonly startedAgo: number;
};

/** Events over the first `segments` segments: few segments and short steps fill the lists often. */
const events = fc.integer({ min: 1, max: SEGMENTS.length }).chain((segments) =>
  fc.array(
    fc.record({
      after: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 60 })),
      kind: fc.constantFrom<Event['kind']>('failure', 'failure', 'failure', 'failure', 'success', 'withdrawal', 'look'),
      segment: fc.constantFrom(...SEGMENTS.slice(0, segments)),
      page: fc.constantFrom(...PAGES),
      startedAgo: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 60 })),
    }),
    { minLength: 1, maxLength: 80 },
  ),
);
const settings: fc.Arbitrary<OutageSettings> = fc.record({
  threshold: fc.integer({ min: 1, max: 5 }),
  windowMs: fc.integer({ min: 1, max: 100 }),
  memoryMs: fc.integer({ min: 1, max: 100 }),
});

describe('OutageMemory against a plain statement of its rules', () => {
  it('agrees on every scope after every failure, success, withdrawal and lookup, on random sequences', () => {
    fc.assert(
      fc.property(settings, events, (s, sequence) => {
        let now = 0;
        const memory = new OutageMemory(new MemoryMarks(() => now), s);
        const model = new Model(s);
        for (const e of sequence) {
          now += e.after;
          const seen = memory.read(e.segment);
          expect(seen, `before ${e.kind} in ${e.segment} at ${now}`).toEqual(model.read(e.segment, now));
          if (e.kind === 'failure') expect(memory.recordFailure(e.segment, e.page, e.startedAgo)).toBe(model.failure(e.segment, e.page, now, e.startedAgo));
          if (e.kind === 'success' || e.kind === 'withdrawal') {
            memory.recordSuccess(e.segment, seen, e.kind === 'withdrawal');
            model.success(e.segment, seen, e.kind === 'withdrawal', now);
          }
          for (const segment of SEGMENTS) expect(memory.read(segment), `${segment} after ${e.kind} in ${e.segment} at ${now}`).toEqual(model.read(segment, now));
        }
      }),
      runs(1000),
    );
  });
});
