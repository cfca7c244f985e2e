/**
 * Model-based test of the failover engine: random plans (candidates, skips,
 * hedge delay, method) and random backend behaviours (answer a status at time t,
 * fail at time t, throw at once, never answer), run on the manual clock and
 * checked against a plain reference model of the rules in docs/behaviour.md.
 *
 * The model is a discrete-event simulation: timers fire in time order, those
 * due at the same time in the order they were set (as on the manual clock),
 * and what a timer sets off (a promise reaction: an answer handled, the next
 * backend started) happens before the next timer fires. An attempt's hedge
 * timer is set after its request is sent (the engine reads the first
 * attempt's delay only then), so an answer due at the very moment the hedge
 * is due comes first.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type AttemptRecord, BackendUnavailable } from '../../src/core/attempt.ts';
import { BACKEND_ORDER, type BackendName } from '../../src/core/backends.ts';
import { type Candidate, type FailoverResult, runFailover } from '../../src/core/failover.ts';
import { isAcceptable } from '../../src/core/policy.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { runs } from '../support/property-runs.ts';

type Failure = 'network' | 'unavailable' | 'bug';
type Behaviour =
  | { readonly kind: 'answer'; readonly status: number; readonly after: number }
  | { readonly kind: 'fail'; readonly failure: Failure; readonly after: number }
  | { readonly kind: 'throw'; readonly failure: Failure }
  | { readonly kind: 'never' };

interface Scenario {
  readonly method: 'GET' | 'POST';
  readonly candidates: readonly Candidate[];
  readonly hedgeAfterMs: number;
  /** The first attempt's own hedge delay (0: the second backend starts at once), as the outage memory sets it. */
  readonly firstHedgeAfterMs: number | undefined;
  readonly behaviours: Readonly<Record<BackendName, Behaviour>>;
}

const NETWORK_MESSAGE = 'NetworkError when attempting to fetch resource.';
const UNAVAILABLE_MESSAGE = 'not configured';
const BUG_MESSAGE = 'bad date';

function makeError(failure: Failure): Error {
  switch (failure) {
    case 'network':
      // Viceroy's generic message: only the time taken tells a timeout from a refusal.
      return Object.assign(new Error(NETWORK_MESSAGE), { name: 'NetworkError' });
    case 'unavailable':
      return new BackendUnavailable(UNAVAILABLE_MESSAGE);
    case 'bug':
      return new RangeError(BUG_MESSAGE);
  }
}

// ---------------------------------------------------------------------------
// Generators

const delay = fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.constantFrom(0, 1, 999, 1000, 4999, 5000, 5001));
const failure = fc.constantFrom<Failure>('network', 'unavailable', 'bug');
const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('answer' as const), status: fc.constant(200), after: delay }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('answer' as const), status: fc.constantFrom(204, 301, 403, 404, 500, 502, 503, 504), after: delay }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fail' as const), failure, after: delay }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('throw' as const), failure }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'never' as const }) },
);
const scenario: fc.Arbitrary<Scenario> = fc.record({
  method: fc.constantFrom('GET' as const, 'GET' as const, 'POST' as const),
  candidates: fc
    .shuffledSubarray([...BACKEND_ORDER])
    .chain((backends) => fc.tuple(...backends.map((backend) => fc.nat(3).map((n): Candidate => (n === 0 ? { backend, skip: 'unhealthy' } : { backend }))))),
  hedgeAfterMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8000 }), fc.constantFrom(1000, 5000)),
  firstHedgeAfterMs: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, fc.constant(0), fc.integer({ min: 1, max: 8000 })),
  behaviours: fc.record({ origin: behaviour, mirrorS3: behaviour, mirrorS3Replica: behaviour, mirrorGCS: behaviour }),
});

// ---------------------------------------------------------------------------
// The reference model

interface ModelAttempt {
  readonly backend: BackendName;
  readonly start: number;
  outcome: AttemptRecord['outcome'];
  status?: number;
  end?: number;
  detail?: string;
  successorStarted: boolean;
}

interface ModelResult {
  /** `waiting`: a backend that never answers, with nothing left to start after it. */
  readonly kind: 'answered' | 'exhausted' | 'waiting';
  readonly backend?: BackendName;
  readonly restarts?: number;
  readonly at: number;
  readonly attempts: AttemptRecord[];
  /** Backends contacted, in the order they were. */
  readonly contacted: BackendName[];
}

function model(s: Scenario, accept: (backend: BackendName, status: number) => boolean): ModelResult {
  type Timer = { at: number; seq: number; run: () => void; hedgeOf?: ModelAttempt };
  let now = 0;
  let seq = 0;
  let timers: Timer[] = [];
  const reactions: (() => void)[] = [];
  const queue = s.candidates.filter((c) => !c.skip).map((c) => c.backend);
  const started: ModelAttempt[] = [];
  let next = 0;
  let pending = 0;
  let result: Omit<ModelResult, 'attempts' | 'contacted'> | undefined;

  const settle = (kind: 'answered' | 'exhausted', served?: ModelAttempt) => {
    timers = timers.filter((t) => t.hedgeOf === undefined);
    for (const a of started) if (a.outcome === 'pending') Object.assign(a, { outcome: 'abandoned', end: now });
    result =
      kind === 'answered'
        ? { kind, backend: served!.backend, restarts: started.slice(0, started.indexOf(served!)).filter((a) => a.outcome !== 'unavailable').length, at: now }
        : { kind, at: now };
  };
  const startSuccessor = (a: ModelAttempt) => {
    if (a.successorStarted) return;
    a.successorStarted = true;
    start();
  };
  const failed = (a: ModelAttempt) => {
    startSuccessor(a);
    if (result === undefined && pending === 0) settle('exhausted');
  };
  /** What happens when a backend's answer or failure reaches the engine. */
  const arrive = (a: ModelAttempt, b: Behaviour) => {
    if (result !== undefined) return;
    pending--;
    a.end = now;
    timers = timers.filter((t) => t.hedgeOf !== a);
    if (b.kind === 'answer') {
      a.status = b.status;
      if (accept(a.backend, b.status)) {
        a.outcome = 'ok';
        settle('answered', a);
      } else {
        a.outcome = 'http-error';
        failed(a);
      }
      return;
    }
    if (b.kind === 'never') return;
    // docs/behaviour.md: in Viceroy every transport failure is the same; a second or more is a timeout.
    const elapsed = now - a.start;
    if (b.failure === 'network') a.outcome = elapsed >= 1000 ? 'timeout' : 'connection-error';
    else if (b.failure === 'unavailable') Object.assign(a, { outcome: 'unavailable', detail: UNAVAILABLE_MESSAGE });
    else Object.assign(a, { outcome: 'error', detail: BUG_MESSAGE });
    failed(a);
  };
  const start = () => {
    if (result !== undefined || next >= queue.length) return;
    const backend = queue[next++]!;
    const a: ModelAttempt = { backend, start: now, outcome: 'pending', successorStarted: false };
    started.push(a);
    pending++;
    const first = started.length === 1;
    const b = s.behaviours[backend];
    if (b.kind === 'answer' || b.kind === 'fail') timers.push({ at: now + b.after, seq: seq++, run: () => arrive(a, b) });
    else if (b.kind === 'throw') reactions.push(() => arrive(a, b));
    const hedgeAfterMs = first ? (s.firstHedgeAfterMs ?? s.hedgeAfterMs) : s.hedgeAfterMs;
    if (hedgeAfterMs > 0) {
      timers.push({ at: now + hedgeAfterMs, seq: seq++, hedgeOf: a, run: () => result === undefined && a.outcome === 'pending' && startSuccessor(a) });
    }
    // A suspect origin: the second backend starts right after the first is sent.
    if (first && s.firstHedgeAfterMs === 0) startSuccessor(a);
  };
  const drainReactions = () => {
    while (reactions.length > 0) reactions.shift()!();
  };

  if (queue.length === 0) settle('exhausted');
  else start();
  drainReactions();
  while (result === undefined && timers.length > 0) {
    const timer = timers.reduce((first, t) => (t.at < first.at || (t.at === first.at && t.seq < first.seq) ? t : first));
    timers = timers.filter((t) => t !== timer);
    now = timer.at;
    timer.run();
    drainReactions();
  }
  if (result === undefined) return { kind: 'waiting', at: now, attempts: [], contacted: started.map((a) => a.backend) };

  const position = (b: BackendName) => s.candidates.findIndex((c) => c.backend === b);
  const attempts: AttemptRecord[] = [
    ...s.candidates.filter((c) => c.skip).map((c): AttemptRecord => ({ backend: c.backend, outcome: 'unhealthy', startMs: 0, durationMs: 0 })),
    ...started.map((a): AttemptRecord => ({
      backend: a.backend,
      outcome: a.outcome,
      ...(a.status === undefined ? {} : { status: a.status }),
      startMs: a.start,
      durationMs: (a.end ?? result!.at) - a.start,
      ...(a.detail === undefined ? {} : { detail: a.detail }),
    })),
  ].sort((x, y) => position(x.backend) - position(y.backend));
  return { ...result, attempts, contacted: started.map((a) => a.backend) };
}

// ---------------------------------------------------------------------------
// Running the engine on the manual clock

async function runEngine(s: Scenario) {
  const clock = new ManualClock();
  const contacted: BackendName[] = [];
  const responses = new Map<BackendName, Response>();
  let fakeTimers = 0;
  const send = (backend: BackendName): Promise<Response> => {
    contacted.push(backend);
    const b = s.behaviours[backend];
    if (b.kind === 'throw') throw makeError(b.failure);
    return new Promise<Response>((resolve, reject) => {
      if (b.kind === 'never') return;
      fakeTimers++;
      clock.schedule(b.after, () => {
        fakeTimers--;
        if (b.kind === 'answer') {
          const response = new Response(b.status === 204 ? null : `${backend} ${b.status}`, { status: b.status });
          responses.set(backend, response);
          resolve(response);
        } else {
          reject(makeError(b.failure));
        }
      });
    });
  };

  let settled: { result: FailoverResult; at: number; timersLeft: number; fakeTimersLeft: number; snapshot: string } | undefined;
  let resolutions = 0;
  void runFailover(
    { candidates: s.candidates, hedgeAfterMs: s.hedgeAfterMs, firstHedgeAfterMs: s.firstHedgeAfterMs, accept: (backend, response) => isAcceptable('failover', s.method, backend, response) },
    { send, clock },
  ).then((result) => {
    resolutions++;
    settled = { result, at: clock.now(), timersLeft: clock.pendingTimers, fakeTimersLeft: fakeTimers, snapshot: JSON.stringify(result.attempts) };
  });
  // Far enough for every backend to answer, one after another.
  await clock.advance(4 * (20_000 + 8000) + 1);
  return { settled, resolutions, contacted, responses, clock };
}

// ---------------------------------------------------------------------------

describe('runFailover against a reference model', () => {
  /** How the generated plans ended, to see that every kind of ending is exercised. */
  const endings = new Map<string, number>();
  afterAll(() => {
    if (endings.size > 0) console.log(`[failover model] ${[...endings].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  });

  it('serves what the model serves, when it does, with the same attempts, on random plans and backends', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const expected = model(s, (backend, status) => isAcceptable('failover', s.method, backend, new Response(null, { status })));
        const { settled, resolutions, contacted, responses, clock } = await runEngine(s);
        const hedged = expected.attempts.some((a) => a.outcome === 'abandoned') ? ' after a hedge' : '';
        endings.set(`${expected.kind}${hedged}`, (endings.get(`${expected.kind}${hedged}`) ?? 0) + 1);

        if (expected.kind === 'waiting') {
          // Only a backend's own timeout would end this; the engine adds no deadline of its own.
          expect(settled, 'no result while a backend may still answer').toBeUndefined();
          expect(contacted).toEqual(expected.contacted);
          expect(clock.pendingTimers).toBe(0);
          return;
        }
        expect(settled, 'a result').toBeDefined();
        const { result, at, timersLeft, fakeTimersLeft, snapshot } = settled!;
        expect(resolutions, 'settled once').toBe(1);

        // The model's answer, at the model's time, with the model's attempts.
        expect(result.kind).toBe(expected.kind);
        expect(result.attempts).toEqual(expected.attempts);
        expect(at).toBe(expected.at);
        expect(contacted).toEqual(expected.contacted);
        if (result.kind === 'answered') {
          expect(result.backend).toBe(expected.backend);
          expect(result.restarts).toBe(expected.restarts);
          expect(result.response, 'the backend\'s own answer').toBe(responses.get(result.backend));
        }

        // The documented rules, stated on their own.
        const queue = s.candidates.filter((c) => !c.skip).map((c) => c.backend);
        expect(new Set(contacted).size, 'each backend contacted at most once').toBe(contacted.length);
        expect(contacted, 'contacted in the plan\'s order, skipped ones never').toEqual(queue.slice(0, contacted.length));
        expect(result.attempts.some((a) => a.outcome === 'pending'), 'no attempt left pending').toBe(false);
        if (result.kind === 'exhausted') {
          for (const a of result.attempts) expect(['http-error', 'timeout', 'connection-error', 'error', 'unavailable', 'unhealthy']).toContain(a.outcome);
        } else {
          expect(result.attempts.filter((a) => a.outcome === 'ok').map((a) => a.backend)).toEqual([result.backend]);
          expect(result.restarts).toBe(contacted.indexOf(result.backend) - result.attempts.filter((a) => a.outcome === 'unavailable' && contacted.indexOf(a.backend) < contacted.indexOf(result.backend)).length);
        }

        // Nothing of the engine's left on the clock: only backends still answering had timers then.
        expect(timersLeft, 'no hedge timer left at the answer').toBe(fakeTimersLeft);
        expect(clock.pendingTimers, 'nothing scheduled once all is done').toBe(0);
        // Nothing changed after the answer (no second settle), and every answer not served was read.
        expect(JSON.stringify(result.attempts)).toBe(snapshot);
        const served = result.kind === 'answered' ? result.response : undefined;
        for (const [backend, response] of responses) {
          if (response !== served) expect(response.bodyUsed || response.body === null, `${backend}'s unserved answer read`).toBe(true);
        }
        await served?.arrayBuffer();
      }),
      runs(1000),
    );
  });

  it.each([
    // The documented hedge example: a hung origin, hedged after 5 s to mirrorS3, which answers 200 after 20 ms.
    { name: 'the documented hedge example', firstHedgeAfterMs: undefined, mirrorStart: 5000 },
    // A suspect origin: the outage memory starts mirrorS3 with it.
    { name: 'a suspect origin, asked with the first mirror at once', firstHedgeAfterMs: 0, mirrorStart: 0 },
  ])('the model agrees with the engine on $name', async ({ firstHedgeAfterMs, mirrorStart }) => {
    const s: Scenario = {
      method: 'GET',
      candidates: BACKEND_ORDER.map((backend) => ({ backend })),
      hedgeAfterMs: 5000,
      firstHedgeAfterMs,
      behaviours: { origin: { kind: 'never' }, mirrorS3: { kind: 'answer', status: 200, after: 20 }, mirrorS3Replica: { kind: 'never' }, mirrorGCS: { kind: 'never' } },
    };
    const at = mirrorStart + 20;
    const expected = model(s, (backend, status) => isAcceptable('failover', 'GET', backend, new Response(null, { status })));
    expect(expected).toEqual({
      kind: 'answered',
      backend: 'mirrorS3',
      restarts: 1,
      at,
      contacted: ['origin', 'mirrorS3'],
      attempts: [
        { backend: 'origin', outcome: 'abandoned', startMs: 0, durationMs: at },
        { backend: 'mirrorS3', outcome: 'ok', status: 200, startMs: mirrorStart, durationMs: 20 },
      ],
    });
    const { settled } = await runEngine(s);
    expect(settled?.result.attempts).toEqual(expected.attempts);
    expect(settled?.at).toBe(at);
  });
});
