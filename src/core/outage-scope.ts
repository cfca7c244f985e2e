/**
 * Which part of the site a request belongs to, for the outage memory, and
 * which page it asks for, each in one canonical spelling, so that one page
 * cannot pass for several pages, nor one segment for several segments.
 *
 * The scope is the first path segment (`/government`, `/browse`, …), since a
 * partial outage is usually one application, and GOV.UK's applications own
 * whole top-level segments. The whole-origin scope covers every request.
 *
 * The canonical spelling (`canonicalPath`) is RFC 3986's normalisation of a
 * path (section 6.2.2: percent-encoded unreserved characters decoded, the
 * other escapes in upper case, dot segments removed), and then what no page
 * on the site tells apart: runs of `/` as one, no trailing `/`, letters in
 * lower case. Spellings that may name different pages can only be merged by
 * it, never split, and merging only makes evidence scarcer: two spellings of
 * one page always count as one page.
 */

/** The scope that holds every request: origin as a whole. */
export const WHOLE_ORIGIN_SCOPE = '*';

/** Longer first segments are cut here: a scope is a cache key, and a segment that long is no application. */
export const MAX_SEGMENT_CHARS = 64;

/**
 * `/Government/news/x` → `/government`; `/`, `` and `//` → `/`. The path is
 * the raw request path (percent-encoded as received, no query); its
 * canonical spelling decides the segment, so `/%67overnment/x` and
 * `//government/x` are in `/government` too.
 */
export function segmentScope(path: string): string {
  return scopeOf(canonicalPath(path));
}

/** The segment of a path already in its canonical spelling. */
export function scopeOf(canonical: string): string {
  const end = canonical.indexOf('/', 1);
  const segment = end === -1 ? canonical : canonical.slice(0, end);
  return segment.slice(0, MAX_SEGMENT_CHARS + 1);
}

/**
 * The page a raw request path names, in one spelling (see the top of this
 * file). The query is not part of it: `?` and what follows are dropped when
 * present.
 */
export function canonicalPath(path: string): string {
  const query = path.indexOf('?');
  const escaped = normaliseEscapes(query === -1 ? path : path.slice(0, query));
  const out: string[] = [];
  for (const segment of escaped.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`.toLowerCase();
}

/** The escapes of unreserved characters decoded, every other escape in upper case, anything else as it is. */
function normaliseEscapes(path: string): string {
  if (!path.includes('%')) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '%' && i + 2 < path.length && isHex(path[i + 1]) && isHex(path[i + 2])) {
      const code = parseInt(path.slice(i + 1, i + 3), 16);
      out += isUnreserved(code) ? String.fromCharCode(code) : `%${path.slice(i + 1, i + 3).toUpperCase()}`;
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
}

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e
  );
}

/**
 * A short name for a canonical path, for counting distinct pages in a small
 * shared entry (32-bit FNV-1a, in hex). Two pages that share a name count as
 * one: a collision can only make evidence scarcer, never make one page count
 * twice.
 */
export function pageId(canonical: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < canonical.length; i++) {
    hash ^= canonical.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
