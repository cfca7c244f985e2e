/**
 * What happened when the service tried one backend for one request.
 * Every backend failure becomes one of these outcomes; the log and the
 * `Server-Timing` header report them as they are.
 */
import type { BackendName } from './backends.ts';

export type AttemptOutcome =
  /** An answer the service accepted and served. */
  | 'ok'
  /** An answer the service does not serve: a 5xx from origin, anything but 200 from a mirror. */
  | 'http-error'
  /** The backend did not answer in time (first byte, between bytes or connect). */
  | 'timeout'
  /** The connection failed: refused, reset, DNS, TLS. */
  | 'connection-error'
  /** Anything else that went wrong while sending. */
  | 'error'
  /** Not contacted: the backend is missing or not configured. */
  | 'unavailable'
  /** Not contacted: its health check says unhealthy. */
  | 'unhealthy'
  /** Not contacted: a mirror that said it lacks every name of the page a moment ago (mirror-misses.ts). */
  | 'missing'
  /** Still waiting when another backend's answer was served; left to finish on its own. */
  | 'abandoned';

export interface AttemptRecord {
  readonly backend: BackendName;
  outcome: AttemptOutcome | 'pending';
  status?: number;
  /** Milliseconds after the request started at which this attempt started. */
  readonly startMs: number;
  durationMs: number;
  /** A short reason for `unavailable` and `error`. */
  detail?: string;
  /** For a mirror: the object keys asked, in order; the last one gave the outcome. */
  objects?: readonly string[];
}

/** Outcomes of attempts that contacted no backend. */
const NOT_CONTACTED: readonly (AttemptOutcome | 'pending')[] = ['unavailable', 'unhealthy', 'missing'];

/** Whether an attempt contacted its backend (the count `Fastly-Restarts` gives). */
export function contacted(attempt: AttemptRecord): boolean {
  return !NOT_CONTACTED.includes(attempt.outcome);
}

/** Thrown by a sender for a backend that cannot be contacted (missing, or not configured). */
export class BackendUnavailable extends Error {
  override readonly name: string = 'BackendUnavailable';
  /** The attempt's outcome. */
  readonly outcome: 'unavailable' | 'missing' = 'unavailable';
}

/** Thrown by a mirror's walk when the mirror said a moment ago that it lacks every name of the page. */
export class KnownMissing extends BackendUnavailable {
  override readonly name = 'KnownMissing';
  override readonly outcome = 'missing';
}

/**
 * A transport failure of a later request within one attempt (a mirror asked for
 * its next name), with the time that request took: the attempt's own duration
 * would include the requests before it.
 */
export class LaterRequestFailure extends Error {
  override readonly name = 'LaterRequestFailure';
  constructor(
    override readonly cause: unknown,
    readonly elapsedMs: number,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Classifies a transport failure. Production messages name the cause
 * ("Connection refused", "HTTP response timeout"); Viceroy's are always the
 * same generic NetworkError, so the time the attempt took decides there:
 * refusals and resets come back at once, timeouts only after the backend's
 * timeout, which is never shorter than `timeoutFloorMs`.
 */
export function classifyFailure(error: unknown, elapsedMs: number, timeoutFloorMs = 1000): 'timeout' | 'connection-error' | 'error' {
  if (error instanceof LaterRequestFailure) return classifyFailure(error.cause, error.elapsedMs, timeoutFloorMs);
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  const message = typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
  const isTransport = name === 'NetworkError' || name === 'TypeError' || /network|fetch|connect|socket/i.test(message);
  if (!isTransport) return 'error';
  if (/time(d)?\s*out|timeout/i.test(message)) return 'timeout';
  if (/refused|reset|dns|resolve|tls|certificate|unreachable/i.test(message)) return 'connection-error';
  return elapsedMs >= timeoutFloorMs ? 'timeout' : 'connection-error';
}
