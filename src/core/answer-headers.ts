/**
 * Which of a backend's response headers reach users (and the cache's copy).
 *
 * - A bucket's answer keeps only what describes the document: its type,
 *   length, encoding, `Last-Modified` and `ETag` (and `Age`, `X-Cache`,
 *   `X-Cache-Hits`, which the cache sets). Everything else a bucket
 *   may send (its own `Set-Cookie`, `X-Frame-Options`,
 *   `Access-Control-Allow-Origin`, `x-amz-*`, `x-goog-*`, …) is left behind:
 *   an allow-list, since a bucket's headers are configured far from here.
 *   The service adds its own (`Cache-Control`, the diagnostics) afterwards.
 * - Origin's answer is passed on as it is, less `Set-Cookie` where the
 *   request's cookies were not sent (edge-contract.ts).
 */
import { type BackendName, isMirror } from './backends.ts';

/**
 * The bucket headers a user receives (lower case). `age`, `x-cache` and
 * `x-cache-hits` are the cache's own (Fastly adds them to an answer that went
 * through it): an operator's curl reads them to see a copy came from the cache.
 */
export const BUCKET_HEADERS_KEPT = ['content-type', 'content-length', 'content-encoding', 'last-modified', 'etag', 'age', 'x-cache', 'x-cache-hits'] as const;

/** Whether a header of an answer is passed on; null when every header is (nothing to filter). */
export type HeaderFilter = ((name: string) => boolean) | null;

const keepBucketHeader = (name: string) => (BUCKET_HEADERS_KEPT as readonly string[]).includes(name.toLowerCase());
const dropSetCookie = (name: string) => name.toLowerCase() !== 'set-cookie';

export function answerHeaderFilter(backend: BackendName, cookiesKept: boolean): HeaderFilter {
  if (isMirror(backend)) return keepBucketHeader;
  return cookiesKept ? null : dropSetCookie;
}

/** Whether the filter would remove any of these headers. */
export function filtersAny(filter: HeaderFilter, headers: Headers): boolean {
  if (filter === null) return false;
  // Origin's answers, on every request's path: one look-up, not a walk through every header name.
  if (filter === dropSetCookie) return headers.has('set-cookie');
  for (const name of headers.keys()) if (!filter(name)) return true;
  return false;
}

/** The headers the filter keeps, as a new list. */
export function filteredHeaders(filter: HeaderFilter, headers: Headers): Headers {
  const kept = new Headers();
  for (const [name, value] of headers) if (filter === null || filter(name)) kept.append(name, value);
  return kept;
}
