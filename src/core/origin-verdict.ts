/**
 * What one origin fetch says about origin, for the outage memory:
 * `success` (an answer the service would serve: not a 5xx, or a 5xx with
 * No-Fallback), `failure` (a 5xx that fails over, a connection error or
 * timeout, or no answer within the patience: the hedge delay, when origin
 * would be hedged anyway), or `none` (no evidence: origin was not contacted,
 * or the answer is a copy from the cache, which origin did not send now).
 *
 * A failure for want of patience is provisional: when origin then answers
 * after all, with an answer it sent itself that the service would serve, a
 * `success` follows, which withdraws it (a slow page is not a broken one).
 * Otherwise there is one verdict per fetch.
 *
 * Verdicts are handed to `onVerdict` synchronously, from the first reaction
 * to the fetch (or the patience timer), so they are recorded before the
 * failover engine, which reacts after, sees the same outcome. The fetch is
 * watched even when the engine has already served another backend's answer:
 * the returned promise settles when the fetch has, for the platform to wait on.
 */
import { BackendUnavailable } from './attempt.ts';
import type { Clock } from './clock.ts';

export type OriginVerdict = 'success' | 'failure' | 'none';

/**
 * Where an answer came from: origin itself (`backend`), the cache (`cache`),
 * or the cache standing in for an origin answer that failed (`stale-for-error`:
 * a stale copy served instead of origin's 5xx).
 */
export type AnswerSource = 'backend' | 'cache' | 'stale-for-error';

export interface VerdictWatch {
  readonly accept: (response: Response) => boolean;
  /** Where an answer came from; absent: always from origin itself. */
  readonly source?: (response: Response) => AnswerSource;
  readonly clock: Clock;
  /** No answer after this long is a (provisional) failure; 0 waits for the fetch itself to end. */
  readonly patienceMs: number;
  readonly onVerdict: (verdict: OriginVerdict) => void;
}

export function watchOriginFetch(sent: Promise<Response>, watch: VerdictWatch): Promise<void> {
  return new Promise<void>((resolve) => {
    let impatient = false;
    let settled = false;
    let cancelPatience: (() => void) | undefined;
    const tell = (verdict: OriginVerdict) => {
      try {
        watch.onVerdict(verdict);
      } catch {
        // A verdict that cannot be recorded is lost; it never fails the request (the caller reports its own errors).
      }
    };
    const decide = (verdict: OriginVerdict) => {
      settled = true;
      cancelPatience?.();
      if (!impatient) tell(verdict);
      else if (verdict === 'success') tell('success');
      resolve();
    };
    sent.then(
      (response) => decide(verdictOf(response, watch)),
      (error: unknown) => decide(error instanceof BackendUnavailable ? 'none' : 'failure'),
    );
    if (!settled && watch.patienceMs > 0) {
      cancelPatience = watch.clock.schedule(watch.patienceMs, () => {
        if (settled) return;
        impatient = true;
        tell('failure');
      });
    }
  });
}

function verdictOf(response: Response, watch: VerdictWatch): OriginVerdict {
  const source = watch.source?.(response) ?? 'backend';
  if (source === 'cache') return 'none';
  if (source === 'stale-for-error') return 'failure';
  return watch.accept(response) ? 'success' : 'failure';
}
