/**
 * Which part of the site a request belongs to, for the outage memory: its
 * first path segment (`/government`, `/browse`, …), since a partial outage is
 * usually one application, and GOV.UK's applications own whole top-level
 * segments. The whole-origin scope covers every request.
 */

/** The scope that holds every request: origin as a whole. */
export const WHOLE_ORIGIN_SCOPE = '*';

/** Longer first segments are cut here: a scope is a cache key, and a segment that long is no application. */
export const MAX_SEGMENT_CHARS = 64;

/**
 * `/government/news/x` → `/government`; `/` and `//x` → `/`. The path is the
 * raw request path (percent-encoded as received, no query), so a segment never
 * holds a `/`.
 */
export function segmentScope(path: string): string {
  const rest = path.startsWith('/') ? path.slice(1) : path;
  const end = rest.indexOf('/');
  const segment = (end === -1 ? rest : rest.slice(0, end)).split('?')[0]!;
  return `/${segment.slice(0, MAX_SEGMENT_CHARS)}`;
}
