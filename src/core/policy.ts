/**
 * Which requests fail over, which backends are tried, and which answers are
 * served. Data first, so the rules read as a table.
 */
import { BACKEND_ORDER, type BackendName, isMirror } from './backends.ts';
import type { Candidate } from './failover.ts';
import { FAILOVER_METHODS } from './request-checks.ts';

export type Health = 'healthy' | 'unhealthy' | 'unknown';

/** Origin may carry this header on a 5xx to say "serve my error, do not fail over". */
export const NO_FALLBACK_HEADER = 'No-Fallback';

export type Mode = 'failover' | 'override';

/**
 * The backends to try, in order. An override names exactly one. Methods other
 * than GET and HEAD go to origin only. Unhealthy backends are skipped, unless
 * every backend is unhealthy: then all are tried, since a health check can be wrong.
 */
export function planCandidates(method: string, override: BackendName | undefined, health: (backend: BackendName) => Health): Candidate[] {
  if (override) return [{ backend: override }];
  if (!FAILOVER_METHODS.includes(method)) return [{ backend: 'origin' }];
  const states = BACKEND_ORDER.map((backend) => ({ backend, unhealthy: health(backend) === 'unhealthy' }));
  const allUnhealthy = states.every((s) => s.unhealthy);
  return states.map(({ backend, unhealthy }) => (unhealthy && !allUnhealthy ? { backend, skip: 'unhealthy' } : { backend }));
}

/** Whether an answer is served (true) or the next backend is tried (false). */
export function isAcceptable(mode: Mode, method: string, backend: BackendName, response: Response): boolean {
  if (mode === 'override') return true;
  if (isMirror(backend)) return response.status === 200;
  if (!FAILOVER_METHODS.includes(method)) return true;
  return response.status < 500 || response.headers.has(NO_FALLBACK_HEADER);
}

/**
 * A bucket's answers for an object it does not hold: 404, and 403 with the error
 * code AccessDenied, which S3 and GCS send instead for a private bucket (they do
 * not say which keys exist). Such an answer sends the service to the page's next
 * name on the same mirror; any other answer or failure, to the next mirror.
 */
export const MISSING_OBJECT = { statuses: [404], denied: { status: 403, code: 'AccessDenied' } } as const;

/** Whether a mirror's answer means "no object of that name"; `errorCode` is the bucket's `<Code>`, when read. */
export function isMissingObject(status: number, errorCode: string | undefined): boolean {
  if ((MISSING_OBJECT.statuses as readonly number[]).includes(status)) return true;
  return status === MISSING_OBJECT.denied.status && errorCode === MISSING_OBJECT.denied.code;
}

/** Whether the bucket's error code must be read to judge this status. */
export function needsErrorCode(status: number): boolean {
  return status === MISSING_OBJECT.denied.status;
}
