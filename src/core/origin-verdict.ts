/**
 * What one origin fetch says about origin, for the outage memory, decided
 * once: `success` (an answer the service would serve: not a 5xx, or a 5xx
 * with No-Fallback), `failure` (a 5xx that fails over, a connection error or
 * timeout, or no answer within the patience: the hedge delay, when origin
 * would be hedged anyway), or `none` (origin was not contacted at all).
 *
 * The verdict is handed to `onVerdict` synchronously, from the first reaction
 * to the fetch (or the patience timer), so it is recorded before the failover
 * engine, which reacts after, sees the same outcome. It is watched even when
 * the engine has already served another backend's answer: the returned
 * promise settles when the verdict is in, for the platform to wait on.
 */
import { BackendUnavailable } from './attempt.ts';
import type { Clock } from './clock.ts';

export type OriginVerdict = 'success' | 'failure' | 'none';

export interface VerdictWatch {
  readonly accept: (response: Response) => boolean;
  readonly clock: Clock;
  /** No answer after this long is a failure; 0 waits for the fetch itself to end. */
  readonly patienceMs: number;
  readonly onVerdict: (verdict: OriginVerdict) => void;
}

export function watchOriginFetch(sent: Promise<Response>, watch: VerdictWatch): Promise<void> {
  return new Promise<void>((resolve) => {
    let decided = false;
    let cancelPatience: (() => void) | undefined;
    const decide = (verdict: OriginVerdict) => {
      if (decided) return;
      decided = true;
      cancelPatience?.();
      try {
        watch.onVerdict(verdict);
      } catch {
        // A verdict that cannot be recorded is lost; it never fails the request (the caller reports its own errors).
      }
      resolve();
    };
    sent.then(
      (response) => decide(watch.accept(response) ? 'success' : 'failure'),
      (error: unknown) => decide(error instanceof BackendUnavailable ? 'none' : 'failure'),
    );
    if (!decided && watch.patienceMs > 0) cancelPatience = watch.clock.schedule(watch.patienceMs, () => decide('failure'));
  });
}
