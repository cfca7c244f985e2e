/**
 * The outage memory's rules (src/core/outage-memory.ts) on a store in memory
 * whose clock the test moves: examples for each rule, then a model-based
 * property test against a plain statement of the rules (failure times in a
 * window, marks with an expiry), seeded and replayable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutageMemory, type OutageSettings, outageKeys, type Suspicion, WHOLE_ORIGIN_SEGMENTS } from '../../src/core/outage-memory.ts';
import { MemoryMarks } from '../support/memory-marks.ts';
import { runs } from '../support/property-runs.ts';

const SETTINGS: OutageSettings = { threshold: 3, windowMs: 10_000, memoryMs: 10_000 };

function setup(settings: OutageSettings = SETTINGS) {
  let now = 1_000_000;
  const marks = new MemoryMarks(() => now);
  const memory = new OutageMemory(marks, settings, () => 0.5);
  return { marks, memory, advance: (ms: number) => (now += ms) };
}

describe('OutageMemory', () => {
  it('makes a scope suspect at the threshold, not before', () => {
    const { memory } = setup();
    expect(memory.recordFailure('/government')).toBe(1);
    expect(memory.recordFailure('/government')).toBe(2);
    expect(memory.suspicion('/government')).toBeNull();
    expect(memory.recordFailure('/government')).toBe(3);
    expect(memory.suspicion('/government')).toEqual({ scope: '/government', segment: true, wholeOrigin: false });
    expect(memory.suspicion('/browse'), 'another segment is not').toBeNull();
  });

  it('counts only failures within the window: the slots hold the most recent ones', () => {
    const { memory, advance } = setup();
    memory.recordFailure('/government');
    advance(6_000);
    memory.recordFailure('/government');
    advance(4_000); // the first is 10 s old now: out of the window
    expect(memory.recordFailure('/government')).toBe(2);
    expect(memory.suspicion('/government')).toBeNull();
    expect(memory.recordFailure('/government')).toBe(3);
    expect(memory.suspicion('/government')).not.toBeNull();
    // All three slots taken (failures at 6, 10 and 10 s): the next replaces the oldest, so the newest are kept.
    advance(1_000);
    memory.recordFailure('/government'); // at 11 s
    advance(9_500); // 20.5 s: those at 10 s are out, the one at 11 s is in
    expect(memory.recordFailure('/government'), 'the failure at 11 s is still counted').toBe(2);
  });

  it('keeps a scope suspect for the memory time, again from each failure while the window holds the threshold', () => {
    const { memory, advance } = setup({ threshold: 2, windowMs: 1_000, memoryMs: 5_000 });
    memory.recordFailure('/a');
    memory.recordFailure('/a');
    advance(4_999);
    expect(memory.suspicion('/a')).not.toBeNull();
    advance(1);
    expect(memory.suspicion('/a'), 'forgotten after 5 s').toBeNull();
    memory.recordFailure('/a');
    advance(500);
    memory.recordFailure('/a');
    advance(4_000);
    memory.recordFailure('/a'); // one in the window with it (the other is 4 s old): no new mark
    advance(1_000);
    expect(memory.suspicion('/a'), 'the mark from 5 s ago is gone').toBeNull();
  });

  it('clears a suspect scope on a success seen there, and writes nothing on a success where nothing was suspect', () => {
    const { memory, marks } = setup();
    for (let i = 0; i < 3; i++) memory.recordFailure('/government');
    const seen = memory.suspicion('/government');
    marks.calls.length = 0;
    memory.recordSuccess('/browse', null);
    expect(marks.calls, 'a success where nothing was suspect touches nothing').toEqual([]);
    memory.recordSuccess('/government', seen);
    expect(memory.suspicion('/government')).toBeNull();
    expect(memory.recordFailure('/government'), 'the count starts again').toBe(1);
    expect(marks.live()).toEqual([outageKeys.cleared('/government'), outageKeys.failure('/government', 1)]);
  });

  it('does not count a failure of a request that started before the success that cleared the scope', () => {
    const { memory, advance } = setup();
    for (let i = 0; i < 3; i++) memory.recordFailure('/government');
    memory.recordSuccess('/government', memory.suspicion('/government'));
    advance(3_000);
    // A hung origin's failure, decided 5 s after its request started, 2 s before the success.
    expect(memory.recordFailure('/government', 5_000)).toBe(0);
    expect(memory.recordFailure('/government', 3_000), 'started with the success: counted').toBe(1);
    advance(10_000);
    expect(memory.recordFailure('/government', 20_000), 'the success is out of the window: counted (alone: the last one is out too)').toBe(1);
  });

  it(`makes the whole origin suspect when ${WHOLE_ORIGIN_SEGMENTS} segments are, and clears it on a success seen under it`, () => {
    const { memory } = setup({ threshold: 1, windowMs: 10_000, memoryMs: 10_000 });
    memory.recordFailure('/a');
    memory.recordFailure('/b');
    expect(memory.suspicion('/c')).toBeNull();
    memory.recordFailure('/c');
    const whole: Suspicion = { scope: '*', segment: false, wholeOrigin: true };
    expect(memory.suspicion('/d')).toEqual(whole);
    expect(memory.suspicion('/a')).toEqual({ scope: '/a', segment: true, wholeOrigin: true });
    memory.recordSuccess('/d', memory.suspicion('/d'));
    expect(memory.suspicion('/d')).toBeNull();
    expect(memory.suspicion('/a'), 'a segment stays suspect on its own').toEqual({ scope: '/a', segment: true, wholeOrigin: false });
    // The list was emptied: three segments must be marked again.
    memory.recordFailure('/a');
    memory.recordFailure('/b');
    expect(memory.suspicion('/d')).toBeNull();
  });

  it('counts a segment once in the whole-origin list, however often it is marked', () => {
    const { memory } = setup({ threshold: 1, windowMs: 10_000, memoryMs: 10_000 });
    for (let i = 0; i < 5; i++) memory.recordFailure('/a');
    memory.recordFailure('/b');
    expect(memory.suspicion('/c')).toBeNull();
  });

  it('names its keys under one prefix, with the segment in them', () => {
    expect(outageKeys.failure('/government', 2)).toBe('govuk-failover/outage-memory/v1/segment/government/failure/2');
    expect(outageKeys.suspect('/')).toBe('govuk-failover/outage-memory/v1/segment//suspect');
    expect(outageKeys.originSegment(0)).toBe('govuk-failover/outage-memory/v1/origin/segment/0');
    expect(outageKeys.originSuspect).toBe('govuk-failover/outage-memory/v1/origin/suspect');
  });

  it('lets a store failure through, for the caller to turn into no memory', () => {
    const { memory, marks } = setup();
    marks.broken = new Error('lookup: Unsupported operation');
    expect(() => memory.suspicion('/a')).toThrow('Unsupported operation');
    expect(() => memory.recordFailure('/a')).toThrow('Unsupported operation');
  });
});

// ---------------------------------------------------------------------------
// The rules, stated plainly: each failure's time, each mark's time.

const SEGMENTS = ['/a', '/b', '/c', '/d', '/e'] as const;

class Model {
  private failures = new Map<string, number[]>();
  private clearedAt = new Map<string, number>();
  private segmentMarks = new Map<string, number>();
  private originList: { segment: string; at: number }[] = [];
  private originMark: number | undefined;

  constructor(private readonly s: OutageSettings) {}

  suspicion(segment: string, now: number): Suspicion | null {
    const mark = this.segmentMarks.get(segment);
    const seg = mark !== undefined && now - mark < this.s.memoryMs;
    const whole = this.originMark !== undefined && now - this.originMark < this.s.memoryMs;
    return seg || whole ? { scope: seg ? segment : '*', segment: seg, wholeOrigin: whole } : null;
  }

  failure(segment: string, now: number, startedAgo: number): number {
    // A failure of a request that started before the success that cleared the scope is old news.
    const cleared = this.clearedAt.get(segment);
    if (cleared !== undefined && now - cleared < this.s.windowMs && now - cleared < startedAgo) return 0;
    const live = (this.failures.get(segment) ?? []).filter((t) => now - t < this.s.windowMs);
    const counted = Math.min(this.s.threshold, live.length + 1);
    // The slots keep the `threshold` most recent failures.
    this.failures.set(segment, [...live, now].sort((x, y) => x - y).slice(-this.s.threshold));
    if (counted >= this.s.threshold) this.mark(segment, now);
    return counted;
  }

  success(segment: string, seen: Suspicion | null, now: number): void {
    if (seen?.segment) {
      this.clearedAt.set(segment, now);
      this.segmentMarks.delete(segment);
      this.failures.delete(segment);
      this.originList = this.originList.filter((e) => e.segment !== segment);
    }
    if (seen?.wholeOrigin) {
      this.originMark = undefined;
      this.originList = [];
    }
  }

  private mark(segment: string, now: number): void {
    this.segmentMarks.set(segment, now);
    // The whole-origin list keeps the segments most recently marked, one entry each.
    const live = this.originList.filter((e) => now - e.at < this.s.memoryMs && e.segment !== segment);
    this.originList = [...live.sort((x, y) => x.at - y.at).slice(-(WHOLE_ORIGIN_SEGMENTS - 1)), { segment, at: now }];
    if (this.originList.length >= WHOLE_ORIGIN_SEGMENTS) this.originMark = now;
  }
}

type Event = {
  readonly after: number;
  readonly kind: 'failure' | 'success' | 'look';
  readonly segment: (typeof SEGMENTS)[number];
  /** For a failure: how long ago its request started. */
  readonly startedAgo: number;
};

/** Events over the first `segments` segments: few segments and short steps fill the slots often. */
const events = fc.integer({ min: 1, max: SEGMENTS.length }).chain((segments) =>
  fc.array(
    fc.record({
      after: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 60 })),
      kind: fc.constantFrom<Event['kind']>('failure', 'failure', 'failure', 'failure', 'success', 'look'),
      segment: fc.constantFrom(...SEGMENTS.slice(0, segments)),
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
  it('agrees on every scope after every failure, success and lookup, on random sequences', () => {
    fc.assert(
      fc.property(settings, events, fc.integer(), (s, sequence, seed) => {
        let now = 0;
        let state = seed;
        // Which free slot is taken must not matter: a seeded pseudo-random choice.
        const random = () => ((state = (Math.imul(state, 1103515245) + 12345) | 0) >>> 0) / 2 ** 32;
        const memory = new OutageMemory(new MemoryMarks(() => now), s, random);
        const model = new Model(s);
        for (const e of sequence) {
          now += e.after;
          const seen = memory.suspicion(e.segment);
          expect(seen, `before ${e.kind} in ${e.segment} at ${now}`).toEqual(model.suspicion(e.segment, now));
          if (e.kind === 'failure') expect(memory.recordFailure(e.segment, e.startedAgo)).toBe(model.failure(e.segment, now, e.startedAgo));
          if (e.kind === 'success') {
            memory.recordSuccess(e.segment, seen);
            model.success(e.segment, seen, now);
          }
          for (const segment of SEGMENTS) expect(memory.suspicion(segment), `${segment} after ${e.kind} in ${e.segment} at ${now}`).toEqual(model.suspicion(segment, now));
        }
      }),
      runs(1000),
    );
  });
});
