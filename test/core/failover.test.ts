import { describe, expect, it } from 'vitest';
import type { BackendName } from '../../src/core/backends.ts';
import { BackendUnavailable, classifyFailure } from '../../src/core/attempt.ts';
import { type FailoverResult, runFailover } from '../../src/core/failover.ts';
import { type Health, isAcceptable, planCandidates } from '../../src/core/policy.ts';
import { ManualClock } from '../support/manual-clock.ts';

/** What a fake backend does, in the manual clock's time. */
type Fake =
  | { status: number; after?: number; headers?: Record<string, string> }
  | { fail: 'refused' | 'timeout' | 'unavailable'; after?: number }
  | { hang: true };

interface Case {
  name: string;
  method?: string;
  backends: Partial<Record<BackendName, Fake>>;
  health?: Partial<Record<BackendName, Health>>;
  hedgeAfterMs?: number;
  /** How far to move the clock before expecting a result. */
  runFor: number;
  expected: { served: BackendName | 'none'; status?: number; restarts?: number; at?: number; outcomes: string[] };
  contacted: BackendName[];
}

function networkError(message = 'NetworkError when attempting to fetch resource.') {
  return Object.assign(new Error(message), { name: 'NetworkError' });
}

async function run(c: Case) {
  const clock = new ManualClock();
  const contacted: BackendName[] = [];
  const method = c.method ?? 'GET';
  const send = (backend: BackendName) => {
    contacted.push(backend);
    const fake = c.backends[backend] ?? { status: 404 };
    return new Promise<Response>((resolve, reject) => {
      if ('hang' in fake) return;
      clock.schedule(fake.after ?? 0, () => {
        if ('status' in fake) resolve(new Response(`${backend} ${fake.status}`, { status: fake.status, headers: fake.headers }));
        else if (fake.fail === 'unavailable') reject(new BackendUnavailable('not configured'));
        // Viceroy's generic message for both: the engine must tell them apart by time.
        else reject(networkError());
      });
    });
  };
  let result: FailoverResult | undefined;
  let resolvedAt = -1;
  void runFailover(
    {
      candidates: planCandidates(method, undefined, (b) => c.health?.[b] ?? 'unknown'),
      hedgeAfterMs: c.hedgeAfterMs ?? 5000,
      accept: (backend, response) => isAcceptable('failover', method, backend, response),
    },
    { send, clock },
  ).then((r) => {
    result = r;
    resolvedAt = clock.now();
  });
  await clock.advance(c.runFor);
  return { result, contacted, resolvedAt, clock };
}

const cases: Case[] = [
  { name: 'serves origin when it answers 200', backends: { origin: { status: 200 } }, runFor: 1, expected: { served: 'origin', status: 200, restarts: 0, outcomes: ['origin:ok'] }, contacted: ['origin'] },
  { name: 'serves a 404 from origin as the real answer', backends: { origin: { status: 404 } }, runFor: 1, expected: { served: 'origin', status: 404, restarts: 0, outcomes: ['origin:ok'] }, contacted: ['origin'] },
  { name: 'fails over to mirrorS3 on a 503', backends: { origin: { status: 503 }, mirrorS3: { status: 200 } }, runFor: 1, expected: { served: 'mirrorS3', restarts: 1, outcomes: ['origin:http-error', 'mirrorS3:ok'] }, contacted: ['origin', 'mirrorS3'] },
  { name: 'fails over on 500, 502 and 504 alike', backends: { origin: { status: 504 }, mirrorS3: { status: 502 }, mirrorS3Replica: { status: 500 }, mirrorGCS: { status: 200 } }, runFor: 1, expected: { served: 'mirrorGCS', restarts: 3, outcomes: ['origin:http-error', 'mirrorS3:http-error', 'mirrorS3Replica:http-error', 'mirrorGCS:ok'] }, contacted: ['origin', 'mirrorS3', 'mirrorS3Replica', 'mirrorGCS'] },
  { name: 'fails over on a refused connection', backends: { origin: { fail: 'refused' }, mirrorS3: { status: 200 } }, runFor: 1, expected: { served: 'mirrorS3', restarts: 1, outcomes: ['origin:connection-error', 'mirrorS3:ok'] }, contacted: ['origin', 'mirrorS3'] },
  { name: 'classifies a slow network error as a timeout', hedgeAfterMs: 0, backends: { origin: { fail: 'timeout', after: 15_000 }, mirrorS3: { status: 200 } }, runFor: 15_000, expected: { served: 'mirrorS3', at: 15_000, outcomes: ['origin:timeout', 'mirrorS3:ok'] }, contacted: ['origin', 'mirrorS3'] },
  { name: 'skips mirrors that do not answer 200 (403, 404)', backends: { origin: { status: 500 }, mirrorS3: { status: 403 }, mirrorS3Replica: { status: 404 }, mirrorGCS: { status: 200 } }, runFor: 1, expected: { served: 'mirrorGCS', restarts: 3, outcomes: ['origin:http-error', 'mirrorS3:http-error', 'mirrorS3Replica:http-error', 'mirrorGCS:ok'] }, contacted: ['origin', 'mirrorS3', 'mirrorS3Replica', 'mirrorGCS'] },
  { name: 'a mirror 3xx or 206 is not a 200 either', backends: { origin: { status: 503 }, mirrorS3: { status: 301 }, mirrorS3Replica: { status: 206 }, mirrorGCS: { status: 200 } }, runFor: 1, expected: { served: 'mirrorGCS', outcomes: ['origin:http-error', 'mirrorS3:http-error', 'mirrorS3Replica:http-error', 'mirrorGCS:ok'] }, contacted: ['origin', 'mirrorS3', 'mirrorS3Replica', 'mirrorGCS'] },
  { name: 'is exhausted when every backend fails', backends: { origin: { status: 503 }, mirrorS3: { status: 403 }, mirrorS3Replica: { fail: 'refused' }, mirrorGCS: { status: 500 } }, runFor: 1, expected: { served: 'none', outcomes: ['origin:http-error', 'mirrorS3:http-error', 'mirrorS3Replica:connection-error', 'mirrorGCS:http-error'] }, contacted: ['origin', 'mirrorS3', 'mirrorS3Replica', 'mirrorGCS'] },
  { name: 'does not count a backend it could not contact as a restart', backends: { origin: { status: 503 }, mirrorS3: { fail: 'unavailable' }, mirrorS3Replica: { status: 200 } }, runFor: 1, expected: { served: 'mirrorS3Replica', restarts: 1, outcomes: ['origin:http-error', 'mirrorS3:unavailable', 'mirrorS3Replica:ok'] }, contacted: ['origin', 'mirrorS3', 'mirrorS3Replica'] },
  { name: 'moves past an unconfigured mirror without counting it as an answer', backends: { origin: { status: 503 }, mirrorS3: { status: 404 }, mirrorS3Replica: { status: 404 }, mirrorGCS: { fail: 'unavailable' } }, runFor: 1, expected: { served: 'none', outcomes: ['origin:http-error', 'mirrorS3:http-error', 'mirrorS3Replica:http-error', 'mirrorGCS:unavailable'] }, contacted: ['origin', 'mirrorS3', 'mirrorS3Replica', 'mirrorGCS'] },
  { name: 'serves a 5xx marked No-Fallback as it is', backends: { origin: { status: 503, headers: { 'No-Fallback': '1' } } }, runFor: 1, expected: { served: 'origin', status: 503, outcomes: ['origin:ok'] }, contacted: ['origin'] },
  { name: 'never fails over a POST', method: 'POST', backends: { origin: { status: 503 }, mirrorS3: { status: 200 } }, runFor: 1, expected: { served: 'origin', status: 503, outcomes: ['origin:ok'] }, contacted: ['origin'] },
  { name: 'a failed POST is exhausted after origin alone', method: 'POST', backends: { origin: { fail: 'refused' }, mirrorS3: { status: 200 } }, runFor: 1, expected: { served: 'none', outcomes: ['origin:connection-error'] }, contacted: ['origin'] },
  { name: 'fails HEAD over like GET', method: 'HEAD', backends: { origin: { status: 502 }, mirrorS3: { status: 200 } }, runFor: 1, expected: { served: 'mirrorS3', outcomes: ['origin:http-error', 'mirrorS3:ok'] }, contacted: ['origin', 'mirrorS3'] },
  { name: 'skips an unhealthy origin without contacting it', health: { origin: 'unhealthy' }, backends: { origin: { status: 200 }, mirrorS3: { status: 200 } }, runFor: 1, expected: { served: 'mirrorS3', restarts: 0, outcomes: ['origin:unhealthy', 'mirrorS3:ok'] }, contacted: ['mirrorS3'] },
  { name: 'skips unhealthy mirrors too', health: { mirrorS3: 'unhealthy', mirrorS3Replica: 'unhealthy' }, backends: { origin: { status: 503 }, mirrorGCS: { status: 200 } }, runFor: 1, expected: { served: 'mirrorGCS', outcomes: ['origin:http-error', 'mirrorS3:unhealthy', 'mirrorS3Replica:unhealthy', 'mirrorGCS:ok'] }, contacted: ['origin', 'mirrorGCS'] },
  { name: 'tries every backend in order when all are unhealthy', health: { origin: 'unhealthy', mirrorS3: 'unhealthy', mirrorS3Replica: 'unhealthy', mirrorGCS: 'unhealthy' }, backends: { origin: { status: 503 }, mirrorS3: { status: 200 } }, runFor: 1, expected: { served: 'mirrorS3', outcomes: ['origin:http-error', 'mirrorS3:ok'] }, contacted: ['origin', 'mirrorS3'] },
  { name: 'hedges a hung origin after hedge_after_ms and serves the mirror', backends: { origin: { hang: true }, mirrorS3: { status: 200, after: 20 } }, runFor: 6000, expected: { served: 'mirrorS3', restarts: 1, at: 5020, outcomes: ['origin:abandoned', 'mirrorS3:ok'] }, contacted: ['origin', 'mirrorS3'] },
  { name: 'does not hedge a slow origin that answers in time', backends: { origin: { status: 200, after: 4999 }, mirrorS3: { status: 200 } }, runFor: 6000, expected: { served: 'origin', at: 4999, outcomes: ['origin:ok'] }, contacted: ['origin'] },
  { name: 'serves origin if it answers after the hedge but before the mirror', backends: { origin: { status: 200, after: 5050 }, mirrorS3: { status: 200, after: 100 } }, runFor: 6000, expected: { served: 'origin', at: 5050, restarts: 0, outcomes: ['origin:ok', 'mirrorS3:abandoned'] }, contacted: ['origin', 'mirrorS3'] },
  { name: 'waits for the first-byte timeout when hedging is off', hedgeAfterMs: 0, backends: { origin: { fail: 'timeout', after: 15_000 }, mirrorS3: { status: 200, after: 10 } }, runFor: 20_000, expected: { served: 'mirrorS3', at: 15_010, outcomes: ['origin:timeout', 'mirrorS3:ok'] }, contacted: ['origin', 'mirrorS3'] },
  { name: 'starts the next mirror at once when a hedged mirror fails', backends: { origin: { hang: true }, mirrorS3: { status: 404, after: 10 }, mirrorS3Replica: { status: 200, after: 10 } }, runFor: 6000, expected: { served: 'mirrorS3Replica', at: 5020, restarts: 2, outcomes: ['origin:abandoned', 'mirrorS3:http-error', 'mirrorS3Replica:ok'] }, contacted: ['origin', 'mirrorS3', 'mirrorS3Replica'] },
  { name: 'contacts each backend at most once when all hang and time out', backends: { origin: { fail: 'timeout', after: 15_000 }, mirrorS3: { fail: 'timeout', after: 15_000 }, mirrorS3Replica: { fail: 'timeout', after: 15_000 }, mirrorGCS: { fail: 'timeout', after: 15_000 } }, runFor: 40_000, expected: { served: 'none', at: 30_000, outcomes: ['origin:timeout', 'mirrorS3:timeout', 'mirrorS3Replica:timeout', 'mirrorGCS:timeout'] }, contacted: ['origin', 'mirrorS3', 'mirrorS3Replica', 'mirrorGCS'] },
];

describe('runFailover', () => {
  it.each(cases)('$name', async (c) => {
    const { result, contacted, resolvedAt, clock } = await run(c);
    expect(result, 'a result within the time given').toBeDefined();
    const r = result!;
    expect(r.attempts.map((a) => `${a.backend}:${a.outcome}`)).toEqual(c.expected.outcomes);
    expect(contacted).toEqual(c.contacted);
    if (c.expected.served === 'none') {
      expect(r.kind).toBe('exhausted');
    } else {
      expect(r.kind).toBe('answered');
      if (r.kind !== 'answered') return;
      expect(r.backend).toBe(c.expected.served);
      if (c.expected.status !== undefined) expect(r.response.status).toBe(c.expected.status);
      if (c.expected.restarts !== undefined) expect(r.restarts).toBe(c.expected.restarts);
      expect(await r.response.text()).toContain(c.expected.served);
    }
    if (c.expected.at !== undefined) expect(resolvedAt).toBe(c.expected.at);
    expect(clock.pendingTimers, 'no hedge timer left behind').toBe(0);
  });

  it('records each attempt with its start time and duration', async () => {
    const { result } = await run({ name: '', backends: { origin: { hang: true }, mirrorS3: { status: 200, after: 30 } }, runFor: 6000, expected: { served: 'mirrorS3', outcomes: [] }, contacted: [] });
    expect(result!.attempts).toEqual([
      { backend: 'origin', outcome: 'abandoned', startMs: 0, durationMs: 5030 },
      { backend: 'mirrorS3', outcome: 'ok', status: 200, startMs: 5000, durationMs: 30 },
    ]);
  });
});

describe('planCandidates', () => {
  it('names exactly the override backend, whatever the health', () => {
    expect(planCandidates('GET', 'mirrorGCS', () => 'unhealthy')).toEqual([{ backend: 'mirrorGCS' }]);
  });
  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('sends %s to origin only', (method) => {
    expect(planCandidates(method, undefined, () => 'healthy')).toEqual([{ backend: 'origin' }]);
  });
});

describe('classifyFailure', () => {
  const named = (message: string, name = 'NetworkError') => Object.assign(new Error(message), { name });
  it.each<[string, unknown, number, string]>([
    ['a production refusal', named('Connection refused'), 2, 'connection-error'],
    ['a production connect timeout', named('Connection timeout'), 1000, 'timeout'],
    ['a production first-byte timeout', named('HTTP response timeout'), 15_000, 'timeout'],
    ['a production TLS failure', named('TLS certificate error'), 20, 'connection-error'],
    ['a production reset', named('Connection terminated'), 5, 'connection-error'],
    ['a quick generic Viceroy error', named('NetworkError when attempting to fetch resource.'), 3, 'connection-error'],
    ['a slow generic Viceroy error', named('NetworkError when attempting to fetch resource.'), 3000, 'timeout'],
    ['an unknown backend', new TypeError("Requested backend named 'x' does not exist"), 0, 'connection-error'],
    ['a bug', new RangeError('bad date'), 0, 'error'],
  ])('%s', (_name, error, elapsed, outcome) => {
    expect(classifyFailure(error, elapsed)).toBe(outcome);
  });
});
