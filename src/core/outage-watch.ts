/**
 * One request's part in the outage memory (outage-memory.ts): once origin's
 * request is sent (the failover engine asks then), whether origin is suspect
 * for this request, in which case the first mirror starts at once, in
 * parallel with origin, and the first acceptable answer wins as with any
 * hedge; while it runs, origin's verdict is recorded (origin-verdict.ts);
 * afterwards, what the response and the log line say.
 *
 * Only GET and HEAD requests in failover mode, with origin the first backend
 * to contact, take part. Overrides, other methods, an origin skipped by its
 * health check and `outage_memory_s = 0` leave the request as it was. A store
 * that throws does too: today's behaviour, with the reason in the log line.
 */
import type { BackendName } from './backends.ts';
import type { Clock } from './clock.ts';
import { type Config, describe } from './config.ts';
import type { Candidate } from './failover.ts';
import { type MarkStore, OutageMemory, type OutageSettings, type Seen } from './outage-memory.ts';
import { canonicalPath, pageId, scopeOf } from './outage-scope.ts';
import { type AnswerSource, type OriginVerdict, watchOriginFetch } from './origin-verdict.ts';
import type { Mode } from './policy.ts';
import { FAILOVER_METHODS } from './request-checks.ts';

export interface OutageWatch {
  /** For the failover plan: 0 when origin is suspect for this request, else absent. */
  readonly firstHedgeAfterMs: number | undefined;
  /** The suspect scope that started the first mirror at once (a segment such as `/government`, or `*`), or null. */
  readonly suspectScope: string | null;
  /** The first store failure this request met, or null. */
  readonly problem: string | null;
  /** Hands back the fetch it is given; origin's is watched for the memory. */
  observe(backend: BackendName, sent: Promise<Response>): Promise<Response>;
}

export interface OutageWatchInput {
  /** The POP's shared marks; absent where the platform has none. */
  readonly store: MarkStore | undefined;
  readonly config: Config;
  readonly clock: Clock;
  /** The raw request path. */
  readonly path: string;
  readonly method: string;
  readonly mode: Mode;
  readonly candidates: readonly Candidate[];
  /** Whether origin's answer would be served. */
  readonly acceptFromOrigin: (response: Response) => boolean;
  /** Where an answer came from (origin itself, or the cache); absent: always origin itself. */
  readonly answerSource?: (response: Response) => AnswerSource;
  /** Keeps the request's sandbox alive until a task ends (Fastly's `event.waitUntil`). */
  readonly background?: (task: Promise<unknown>) => void;
}

const INERT: OutageWatch = { firstHedgeAfterMs: undefined, suspectScope: null, problem: null, observe: (_backend, sent) => sent };

/** Null when the memory is off. The threshold and window are read from the config only when a failure is recorded. */
export function outageSettings(config: Config): OutageSettings | null {
  const memoryS = config.outageMemoryS;
  if (memoryS === 0) return null;
  return {
    get threshold() {
      return config.outageThreshold;
    },
    get windowMs() {
      return config.outageWindowS * 1000;
    },
    memoryMs: memoryS * 1000,
  };
}

export function watchOutage(input: OutageWatchInput): OutageWatch {
  const settings = outageSettings(input.config);
  const first = input.candidates.find((c) => !c.skip)?.backend;
  if (!input.store || !settings || input.mode !== 'failover' || !FAILOVER_METHODS.includes(input.method) || first !== 'origin') return INERT;

  const memory = new OutageMemory(input.store, settings);
  const canonical = canonicalPath(input.path);
  const segment = scopeOf(canonical);
  const startedAt = input.clock.now();
  let problem: string | null = null;
  // The memory is read on first use (undefined until then), which the failover engine makes once origin's request is on its way.
  let seen: Seen | null | undefined;
  let failedHere = false;
  const read = (): Seen | null => {
    if (seen === undefined) {
      try {
        seen = memory.read(segment);
      } catch (error) {
        seen = null;
        problem = storeProblem(error);
      }
    }
    return seen;
  };
  const record = (verdict: OriginVerdict) => {
    const before = read();
    // A store that could not be read is left alone for the rest of the request, as if there were no memory.
    if (before === null) return;
    try {
      if (verdict === 'failure') failedHere = memory.recordFailure(segment, pageId(canonical), input.clock.now() - startedAt) > 0 || failedHere;
      else if (verdict === 'success') memory.recordSuccess(segment, before, failedHere);
    } catch (error) {
      problem ??= storeProblem(error);
    }
  };
  return {
    get firstHedgeAfterMs() {
      return read()?.suspicion ? 0 : undefined;
    },
    get suspectScope() {
      return read()?.suspicion?.scope ?? null;
    },
    get problem() {
      return problem;
    },
    observe(backend, sent) {
      if (backend !== 'origin') return sent;
      const decided = watchOriginFetch(sent, { accept: input.acceptFromOrigin, source: input.answerSource, clock: input.clock, patienceMs: input.config.hedgeAfterMs, onVerdict: record });
      input.background?.(decided);
      return sent;
    },
  };
}

function storeProblem(error: unknown): string {
  return `outage memory unavailable, served as without it: ${describe(error)}`.slice(0, 300);
}
