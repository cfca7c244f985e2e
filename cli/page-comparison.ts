/**
 * One page, origin's answer against one mirror's: `same`, `drifted`,
 * `missing` or `error`. HTML (by origin's Content-Type) is compared by its
 * visible text, anything else byte for byte (SHA-256); an origin redirect is
 * matched by the crawler's meta-refresh copy pointing to the same path.
 */
import type { BackendName, MirrorName } from '../src/core/backends.ts';
import { BACKEND_NAME_HEADER } from '../src/core/diagnostics.ts';
import { OVERRIDE_IGNORED_HEADER } from '../src/core/override.ts';
import { errorBodyMessage } from './error-body.ts';
import { firstDifference } from './first-difference.ts';
import { metaRefreshTarget } from './meta-refresh.ts';
import type { Answer, ProbeResult } from './probe.ts';
import { visibleWords } from './visible-text.ts';

export type ComparedBy = 'visible text' | 'bytes' | 'redirect';

/** What origin said about a page, ready to compare copies with. */
export type Reference =
  | { readonly ok: true; readonly by: 'visible text'; readonly words: readonly string[] }
  | { readonly ok: true; readonly by: 'bytes'; readonly sha256: string; readonly bytes: number }
  | { readonly ok: true; readonly by: 'redirect'; readonly location: string }
  | { readonly ok: false; readonly status: number | null; readonly reason: string };

export type PageOutcome =
  | { readonly state: 'same'; readonly by: ComparedBy }
  | {
      readonly state: 'drifted';
      readonly by: ComparedBy;
      /** Where origin and the mirror part ways: words (visible text), size and digest (bytes), or target (redirect). */
      readonly origin: string;
      readonly mirror: string;
      /** With `visible text`: index of the first word that differs. */
      readonly wordIndex?: number;
    }
  | { readonly state: 'missing'; readonly status: number; readonly reason: string }
  | { readonly state: 'error'; readonly status: number | null; readonly reason: string };

export type PageState = PageOutcome['state'];

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MISSING_STATUSES = new Set([403, 404]);
const HTML_TYPE = /^\s*(?:text\/html|application\/xhtml\+xml)\b/i;

export function isHtml(headers: Headers): boolean {
  return HTML_TYPE.test(headers.get('Content-Type') ?? '');
}

/** Origin's answer for `pageUrl` as a reference, or why there is none. */
export function referenceFrom(result: ProbeResult, pageUrl: URL): Reference {
  const unusable = notFrom('origin', result);
  if (unusable) return { ok: false, ...unusable };
  const answer = result as Answer;
  const location = answer.headers.get('Location');
  if (REDIRECT_STATUSES.has(answer.status) && location !== null) return { ok: true, by: 'redirect', location: redirectPath(location, pageUrl) };
  if (answer.status !== 200) return { ok: false, status: answer.status, reason: said(answer, 'origin') };
  if (!answer.complete) return { ok: false, status: 200, reason: tooLarge(answer) };
  if (isHtml(answer.headers)) return { ok: true, by: 'visible text', words: visibleWords(answer.body.toString('utf8')) };
  return { ok: true, by: 'bytes', sha256: answer.sha256, bytes: answer.bytes };
}

/** One mirror's answer for the page, judged against origin's. */
export function compareCopy(reference: Reference & { ok: true }, mirror: MirrorName, result: ProbeResult, pageUrl: URL): PageOutcome {
  const unusable = notFrom(mirror, result);
  if (unusable) {
    const { status } = unusable;
    if (status !== null && result.ok && isMissing(mirror, result)) return { state: 'missing', status, reason: unusable.reason };
    return { state: 'error', ...unusable };
  }
  const answer = result as Answer;
  if (answer.status !== 200) return { state: 'error', status: answer.status, reason: said(answer, mirror) };
  if (!answer.complete) return { state: 'error', status: 200, reason: tooLarge(answer) };
  return compareBodies(reference, answer, pageUrl);
}

/** A 200 answer's body against origin's: same or drifted, by visible text, bytes or redirect target. */
export function compareBodies(reference: Reference & { ok: true }, answer: Answer, pageUrl: URL): PageOutcome & { state: 'same' | 'drifted' } {
  switch (reference.by) {
    case 'visible text': {
      const difference = firstDifference(reference.words, visibleWords(answer.body.toString('utf8')));
      if (difference === null) return { state: 'same', by: reference.by };
      return { state: 'drifted', by: reference.by, origin: difference.expected, mirror: difference.actual, wordIndex: difference.wordIndex };
    }
    case 'bytes':
      if (answer.sha256 === reference.sha256) return { state: 'same', by: reference.by };
      return { state: 'drifted', by: reference.by, origin: digest(reference.bytes, reference.sha256), mirror: digest(answer.bytes, answer.sha256) };
    case 'redirect': {
      const target = metaRefreshTarget(answer.body.toString('utf8'));
      const path = target === null ? null : redirectPath(target, pageUrl);
      if (path === reference.location) return { state: 'same', by: reference.by };
      return { state: 'drifted', by: reference.by, origin: `redirects to ${reference.location}`, mirror: path === null ? 'a page, not a redirect' : `redirects to ${path}` };
    }
  }
}

/** A mirror's own 403/404 (S3 and GCS answers for a missing object), or the service's branded 503 page. */
function isMissing(mirror: MirrorName, answer: Answer): boolean {
  const backend = answer.headers.get(BACKEND_NAME_HEADER);
  if (MISSING_STATUSES.has(answer.status)) return backend === mirror;
  return answer.status === 503 && backend === 'error' && isHtml(answer.headers);
}

/**
 * Why an answer is not `backend`'s own 2xx/3xx, or null when it is. Covers no
 * answer, an override the service ignored, and another backend answering.
 */
function notFrom(backend: BackendName, result: ProbeResult): { status: number | null; reason: string } | null {
  if (!result.ok) return { status: null, reason: `no answer: ${result.failure.message}` };
  const ignored = result.headers.get(OVERRIDE_IGNORED_HEADER);
  if (ignored !== null) return { status: result.status, reason: `the service ignored Backend-Override (${ignored}); set backend_override to enabled or token` };
  if (result.headers.get(BACKEND_NAME_HEADER) !== backend || result.status >= 400) return { status: result.status, reason: said(result, backend) };
  return null;
}

/** `404 from mirrorGCS (NoSuchKey: The specified key does not exist)`. */
function said(answer: Answer, expected: BackendName): string {
  const backend = answer.headers.get(BACKEND_NAME_HEADER);
  const from = backend === 'error' ? 'the service (no backend answered)' : (backend ?? `unknown backend, not ${expected}`);
  const message = errorBodyMessage(answer.headers, answer.bodyStart);
  return `${answer.status} from ${from}${message ? ` (${message.replace(/\.$/, '')})` : ''}`;
}

function tooLarge(answer: Answer): string {
  return `the body is ${answer.bytes} bytes, more than the ${answer.body.byteLength} compared`;
}

function digest(bytes: number, sha256: string): string {
  return `${bytes} bytes, sha256 ${sha256.slice(0, 12)}`;
}

/** A redirect target as a path and query, resolved against the page (hosts differ between the site and a local service). */
function redirectPath(target: string, pageUrl: URL): string {
  try {
    const url = new URL(target, pageUrl);
    return `${url.pathname}${url.search}`;
  } catch {
    return target;
  }
}
