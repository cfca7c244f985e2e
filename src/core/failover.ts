/**
 * The failover engine: tries backends in order, starts the next one early
 * when an attempt hangs (hedging), and serves the first acceptable answer.
 * It knows nothing of Fastly: it is handed a sender and a clock.
 */
import type { BackendName } from './backends.ts';
import { type AttemptRecord, BackendUnavailable, classifyFailure, contacted } from './attempt.ts';
import type { Clock } from './clock.ts';

export interface Candidate {
  readonly backend: BackendName;
  /** Set when the backend is not to be contacted. */
  readonly skip?: 'unhealthy';
}

export interface FailoverPlan {
  /** Backends in the order they are tried. */
  readonly candidates: readonly Candidate[];
  /** An attempt unanswered for this long starts the next backend in parallel; 0 turns hedging off. */
  readonly hedgeAfterMs: number;
  /**
   * Replaces `hedgeAfterMs` for the first attempt only; 0 starts the second
   * backend at once, right after the first, in parallel with it (the outage
   * memory's plan for a suspect origin). Absent: `hedgeAfterMs`. Read once the
   * first request has been sent, so it may be a getter that does some work.
   */
  readonly firstHedgeAfterMs?: number;
  /** Whether this answer from this backend is served. */
  accept(backend: BackendName, response: Response): boolean;
}

export interface FailoverDeps {
  send(backend: BackendName): Promise<Response>;
  readonly clock: Clock;
}

export type FailoverResult =
  | {
      readonly kind: 'answered';
      readonly backend: BackendName;
      readonly response: Response;
      readonly attempts: readonly AttemptRecord[];
      /** Backends contacted before the one that answered. */
      readonly restarts: number;
    }
  | { readonly kind: 'exhausted'; readonly attempts: readonly AttemptRecord[] };

/**
 * Each attempt starts at most one successor: when it fails, or when it has
 * not answered after `hedgeAfterMs`, whichever comes first. So every backend
 * is contacted at most once, and at most one attempt is started per event.
 */
export function runFailover(plan: FailoverPlan, deps: FailoverDeps): Promise<FailoverResult> {
  const { clock } = deps;
  const startedAt = clock.now();
  const attempts: AttemptRecord[] = [];
  const queue: BackendName[] = [];
  const position = new Map(plan.candidates.map((c, i) => [c.backend, i]));
  for (const candidate of plan.candidates) {
    if (candidate.skip) attempts.push({ backend: candidate.backend, outcome: candidate.skip, startMs: 0, durationMs: 0 });
    else queue.push(candidate.backend);
  }

  return new Promise((resolve) => {
    let nextIndex = 0;
    let pending = 0;
    let settled = false;
    const cancels = new Set<() => void>();

    const settle = (result: FailoverResult) => {
      settled = true;
      for (const cancel of cancels) cancel();
      cancels.clear();
      const now = clock.now();
      for (const record of attempts) {
        if (record.outcome === 'pending') {
          record.outcome = 'abandoned';
          record.durationMs = now - startedAt - record.startMs;
        }
      }
      attempts.sort((a, b) => position.get(a.backend)! - position.get(b.backend)!);
      resolve(result);
    };

    const started: AttemptRecord[] = [];
    const start = (): void => {
      if (settled || nextIndex >= queue.length) return;
      const backend = queue[nextIndex++]!;
      const record: AttemptRecord = { backend, outcome: 'pending', startMs: clock.now() - startedAt, durationMs: 0 };
      attempts.push(record);
      started.push(record);
      pending++;
      let successorStarted = false;
      const startSuccessor = () => {
        if (successorStarted) return;
        successorStarted = true;
        start();
      };
      let cancelHedge: (() => void) | undefined;

      const finished = () => {
        pending--;
        record.durationMs = clock.now() - startedAt - record.startMs;
        if (cancelHedge) {
          cancelHedge();
          cancels.delete(cancelHedge);
        }
      };
      const failed = () => {
        startSuccessor();
        if (!settled && pending === 0) settle({ kind: 'exhausted', attempts });
      };

      let sent: Promise<Response>;
      try {
        sent = deps.send(backend);
      } catch (error) {
        sent = Promise.reject(error);
      }
      // Only now, with the request on its way, is the plan asked when the next backend starts:
      // what it reads to know (the outage memory's marks) then costs no waiting.
      const firstHedgeAfterMs = started.length === 1 ? plan.firstHedgeAfterMs : undefined;
      const hedgeAfterMs = firstHedgeAfterMs ?? plan.hedgeAfterMs;
      const successorAtOnce = firstHedgeAfterMs === 0;
      if (hedgeAfterMs > 0) {
        const cancel = clock.schedule(hedgeAfterMs, () => {
          cancels.delete(cancel);
          if (!settled && record.outcome === 'pending') startSuccessor();
        });
        cancelHedge = cancel;
        cancels.add(cancel);
      }
      sent.then(
        (response) => {
          if (settled) {
            discard(response);
            return;
          }
          finished();
          record.status = response.status;
          if (plan.accept(backend, response)) {
            record.outcome = 'ok';
            const before = started.slice(0, started.indexOf(record));
            settle({ kind: 'answered', backend, response, attempts, restarts: before.filter(contacted).length });
          } else {
            record.outcome = 'http-error';
            discard(response);
            failed();
          }
        },
        (error: unknown) => {
          if (settled) return;
          finished();
          if (error instanceof BackendUnavailable) {
            record.outcome = error.outcome;
            record.detail = error.message;
          } else {
            record.outcome = classifyFailure(error, record.durationMs);
            if (record.outcome === 'error') record.detail = error instanceof Error ? error.message.slice(0, 200) : String(error);
          }
          failed();
        },
      );
      if (successorAtOnce) startSuccessor();
    };

    if (queue.length === 0) settle({ kind: 'exhausted', attempts });
    else start();
  });
}

/**
 * Reads an answer that will not be served to its end, in the background.
 * Reading it (rather than cancelling it) lets the cache finish storing it,
 * which is what keeps a 5xx for 1 s; the backend's between-bytes timeout
 * bounds how long that can take.
 */
export function discard(response: Response): void {
  try {
    response.arrayBuffer().catch(() => undefined);
  } catch {
    // The body may already be locked or consumed; nothing else to free.
  }
}
