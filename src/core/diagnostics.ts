/**
 * What every response says about how the answer was found: the backend, the
 * restarts, and one `Server-Timing` entry per backend considered (the log
 * line, log-line.ts, says the same and more). Only backend names, outcomes,
 * statuses, durations and object names appear here.
 */
import type { AttemptRecord } from './attempt.ts';

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

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
