/**
 * Sends a backend request with the cache rule the core chose. Production
 * (built with --enable-http-cache) applies the rule in an `afterSend` hook,
 * per status. Viceroy has no HTTP cache and throws on hooks; there the
 * rule falls back to a plain host-mode override, found out once per instance
 * (that is, per request) by the refused attempt, or known from the config
 * (`http_cache_api = "absent"`) without it.
 */
import { CacheOverride } from 'fastly:cache-override';
import { BackendUnavailable } from '../core/attempt.ts';
import { type BackendName, isMirror } from '../core/backends.ts';
import { afterSendAction, type CacheDecision, type CacheRule, isHttpCacheUnavailable } from '../core/cache-policy.ts';
import type { HttpCacheApi } from '../core/config.ts';
import type { AnswerSource } from '../core/origin-verdict.ts';
import { backendExists } from './backends.ts';

/** Thrown from afterSend so that Fastly serves the stored stale copy rather than origin's 5xx. */
class StaleCopyPreferred extends Error {
  override readonly name = 'StaleCopyPreferred';
  constructor(status: number) {
    super(`origin answered ${status}; a stale copy is available`);
  }
}

/** Answers that are a stale copy served because afterSend refused origin's 5xx for it. */
const staleForError = new WeakSet<Response>();

/**
 * Where an answer came from, for the outage memory: a copy from the cache is
 * no news of origin (js-compute's `cached` is true for a hit, and for a
 * request collapsed onto another's fetch; false for the fetch that went to
 * the backend; undefined without the HTTP cache API, as in Viceroy).
 */
export function answerSource(response: Response): AnswerSource {
  if (staleForError.has(response)) return 'stale-for-error';
  return response.cached === true ? 'cache' : 'backend';
}

/** Unknown until the first cached fetch tells. */
let httpCacheApi: boolean | undefined;

/** Fields js-compute has since 3.43 that its type declarations lack. */
type CandidateResponse = Response & {
  staleIfError?: number;
  staleIfErrorAvailable?: () => boolean;
};

/**
 * `configured`: what the config says of the runtime, read only when a cached
 * fetch needs it. Returns the runtime's own fetch promise where it can (no
 * async wrapper, so no extra promise jobs on every request's path).
 */
export function sendToBackend(backend: BackendName, request: Request, rule: CacheRule, configured: () => HttpCacheApi): Promise<Response> {
  if (!backendExists(backend)) return Promise.reject(new BackendUnavailable(`backend ${backend} is not defined in this service`));
  if (rule.kind === 'pass') return fetch(request, { backend, cacheOverride: new CacheOverride('pass') });
  const cacheKey = cacheKeyFor(backend, request);
  if (httpCacheApi === undefined && configured() === 'absent') httpCacheApi = false;
  if (httpCacheApi === false) return fetch(request, hostModeInit(backend, cacheKey, rule));
  return sendThroughHttpCache(backend, request, rule, cacheKey);
}

/**
 * Through the HTTP cache API, with the rule in an `afterSend` hook. A runtime
 * without the API refuses it (js-compute throws at once; a rejection is
 * handled the same way): then again with a plain override, and so for the
 * rest of the request.
 */
function sendThroughHttpCache(backend: BackendName, request: Request, rule: Extract<CacheRule, { kind: 'cache' }>, cacheKey: string | undefined): Promise<Response> {
  const refused = (error: unknown): Promise<Response> => {
    if (httpCacheApi === true || !isHttpCacheUnavailable(error)) return Promise.reject(error);
    httpCacheApi = false;
    return fetch(request, hostModeInit(backend, cacheKey, rule));
  };
  // Set when afterSend refuses origin's 5xx for the stale copy: the answer that comes back is that copy.
  const refusal = { forStale: false };
  let sent: Promise<Response>;
  try {
    sent = fetch(request, { backend, cacheKey, cacheOverride: hookedOverride(rule, refusal) });
  } catch (error) {
    return refused(error);
  }
  return sent.then((response) => {
    httpCacheApi = true;
    if (refusal.forStale) staleForError.add(response);
    return response;
  }, refused);
}

/**
 * Fastly keys the cache on the request's URL and Host, not on the backend.
 * All three mirrors are asked for the same path, often with the same Host,
 * so a mirror's key names the mirror: one mirror's copy is never served as
 * another's. Origin keeps the default key.
 */
function cacheKeyFor(backend: BackendName, request: Request): string | undefined {
  if (!isMirror(backend)) return undefined;
  const url = new URL(request.url);
  return `${backend} ${request.headers.get('Host') ?? url.host}${url.pathname}`;
}

function hookedOverride(rule: Extract<CacheRule, { kind: 'cache' }>, refusal: { forStale: boolean }): CacheOverride {
  const init = {
    staleIfError: rule.staleIfError,
    afterSend(candidate: Response) {
      const response = candidate as CandidateResponse;
      // What users may not receive is not stored either.
      const filter = rule.headerFilter;
      if (filter !== null) for (const name of [...response.headers.keys()]) if (!filter(name)) response.headers.delete(name);
      const staleAvailable = typeof response.staleIfErrorAvailable === 'function' && response.staleIfErrorAvailable();
      return applyDecision(response, rule.decide(response.status, response.headers, staleAvailable), refusal);
    },
  };
  return new CacheOverride('override', init);
}

function applyDecision(response: CandidateResponse, decision: CacheDecision, refusal: { forStale: boolean }) {
  const action = afterSendAction(decision);
  if ('throwForStale' in action) {
    refusal.forStale = true;
    throw new StaleCopyPreferred(response.status);
  }
  if (action.ttl !== undefined) response.ttl = action.ttl;
  if (action.staleIfError !== undefined) response.staleIfError = action.staleIfError;
  return action.result;
}

/** A TTL override where the rule has one; else nothing at all, which is what a `none` override means. */
function hostModeInit(backend: BackendName, cacheKey: string | undefined, rule: Extract<CacheRule, { kind: 'cache' }>): RequestInit {
  const init: RequestInit = { backend };
  if (cacheKey !== undefined) init.cacheKey = cacheKey;
  if (rule.hostModeTtl !== undefined) init.cacheOverride = new CacheOverride('override', { ttl: rule.hostModeTtl });
  return init;
}
