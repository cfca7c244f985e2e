/**
 * The mirror sync marker: a small object the mirror sync writes into each
 * bucket after every successful run, read through the edge service like any
 * page. Default: the path /mirror-last-sync.json, which the service maps to
 * the object `www.gov.uk/mirror-last-sync.json`, holding
 *
 *   {"synced_at": "2026-11-21T03:12:09Z"}
 *
 * The time comes from `synced_at` (ISO 8601, with a zone); when the body has
 * none, from the object's Last-Modified header.
 */

export const DEFAULT_MARKER_PATH = '/mirror-last-sync.json';
export const MARKER_TIME_KEY = 'synced_at';

export type MarkerTime =
  | { readonly ok: true; readonly time: Date; readonly source: typeof MARKER_TIME_KEY | 'Last-Modified' }
  | { readonly ok: false; readonly problem: string };

export function markerTime(body: string, lastModified: string | null): MarkerTime {
  const fromBody = timeInBody(body);
  if (fromBody !== undefined) return { ok: true, time: fromBody, source: MARKER_TIME_KEY };
  const fromHeader = lastModified === null ? NaN : Date.parse(lastModified);
  if (Number.isFinite(fromHeader)) return { ok: true, time: new Date(fromHeader), source: 'Last-Modified' };
  return { ok: false, problem: `the marker has no "${MARKER_TIME_KEY}" time and no Last-Modified header` };
}

function timeInBody(body: string): Date | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const value = (parsed as Record<string, unknown>)[MARKER_TIME_KEY];
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T.*(?:Z|[+-]\d{2}:?\d{2})$/i.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}
