/**
 * What every response and the per-request log line say about how the
 * answer was found. Secrets and cookies never appear here: only backend
 * names, outcomes, statuses, durations, the method and the path.
 */
import type { AttemptRecord } from './attempt.ts';
import type { BackendName } from './backends.ts';

export const BACKEND_NAME_HEADER = 'Fastly-Backend-Name';
export const FAILOVER_HEADER = 'Fastly-Failover';
export const RESTARTS_HEADER = 'Fastly-Restarts';
export const SERVER_TIMING_HEADER = 'Server-Timing';
/** The `Server-Timing` entry naming the suspect scope: `suspect;desc="/government"`. */
export const SUSPECT_TIMING_NAME = 'suspect';

/**
 * One `Server-Timing` entry per backend considered: `mirrorS3;desc="ok 200";dur=12.5`,
 * after `suspect;desc="/government"` when the outage memory started the first mirror at once.
 * A mirror that was asked for more than the page's first name also names the last
 * object it was asked for: `mirrorS3;desc="ok 200 report.pdf.html";dur=25.1`.
 */
export function serverTiming(attempts: readonly AttemptRecord[], suspectScope: string | null = null): string {
  const entries = attempts.map((a) => `${a.backend};desc="${a.outcome}${a.status === undefined ? '' : ` ${a.status}`}${laterName(a)}";dur=${round(a.durationMs)}`);
  if (suspectScope !== null) entries.unshift(`${SUSPECT_TIMING_NAME};desc="${suspectScope.replace(/["\\]/g, '\\$&')}"`);
  return entries.join(', ');
}

/** The scope a `Server-Timing` value names as suspect (`suspect;desc="/government"` → `/government`), or null. */
export function suspectScopeIn(serverTimingValue: string | null): string | null {
  const match = /(?:^|,)\s*suspect;desc="((?:[^"\\]|\\.)*)"/.exec(serverTimingValue ?? '');
  return match ? match[1]!.replace(/\\(.)/g, '$1') : null;
}

/** Longest object name shown in `Server-Timing` (its end, where the names differ, is kept). */
export const SHOWN_NAME_CHARS = 64;

/** ` <last segment of the last key asked>` when a mirror went past the first name, else `''`. */
function laterName(attempt: AttemptRecord): string {
  const objects = attempt.objects ?? [];
  if (objects.length < 2) return '';
  const key = objects[objects.length - 1]!;
  // Characters that end or split a Server-Timing entry are written as %XX.
  const name = key.slice(key.lastIndexOf('/') + 1).replace(/[",;=\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return ` ${name.length > SHOWN_NAME_CHARS ? `...${name.slice(-(SHOWN_NAME_CHARS - 3))}` : name}`;
}

export interface LogRecord {
  readonly time: string;
  readonly request_id: string;
  readonly method: string;
  readonly path: string;
  readonly override: string | null;
  readonly attempts: readonly {
    backend: BackendName;
    outcome: string;
    status: number | null;
    start_ms: number;
    ms: number;
    detail?: string;
    /** For a mirror: the object keys asked, in order; the last one gave the outcome. */
    objects?: readonly string[];
  }[];
  readonly backend: BackendName | 'error';
  readonly status: number;
  readonly total_ms: number;
  readonly config_problems?: readonly string[];
  /** Set when the outage memory held this request's scope suspect, so origin and the first mirror were asked at once. */
  readonly suspect_scope?: string;
  /** Set when the outage memory's store failed; the request was served as without the memory. */
  readonly outage_memory_error?: string;
  /** Set when the mirror miss memory's store failed; the buckets were asked as without it. */
  readonly miss_memory_error?: string;
  /** Set only when the service itself failed and answered with the 503 page. */
  readonly error?: string;
}

export function logRecord(fields: {
  time: Date;
  requestId: string;
  method: string;
  path: string;
  override: string | null;
  attempts: readonly AttemptRecord[];
  backend: BackendName | 'error';
  status: number;
  totalMs: number;
  configProblems: readonly string[];
  error?: string;
  suspectScope?: string | null;
  outageMemoryError?: string | null;
  missMemoryError?: string | null;
}): LogRecord {
  return {
    time: fields.time.toISOString(),
    request_id: fields.requestId,
    method: fields.method,
    path: fields.path,
    override: fields.override,
    attempts: fields.attempts.map((a) => ({
      backend: a.backend,
      outcome: a.outcome,
      status: a.status ?? null,
      start_ms: round(a.startMs),
      ms: round(a.durationMs),
      ...(a.detail ? { detail: a.detail } : {}),
      ...(a.objects ? { objects: a.objects } : {}),
    })),
    backend: fields.backend,
    status: fields.status,
    total_ms: round(fields.totalMs),
    ...(fields.configProblems.length > 0 ? { config_problems: fields.configProblems } : {}),
    ...(fields.suspectScope ? { suspect_scope: fields.suspectScope } : {}),
    ...(fields.outageMemoryError ? { outage_memory_error: fields.outageMemoryError } : {}),
    ...(fields.missMemoryError ? { miss_memory_error: fields.missMemoryError } : {}),
    ...(fields.error ? { error: fields.error.slice(0, 300) } : {}),
  };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
