/**
 * How long each kind of answer is kept in Fastly's cache, and what
 * `Cache-Control` the user is given. Pure: the adapter applies it through
 * the HTTP cache API (`afterSend`) where it exists, and through a plain
 * host-mode override where it does not (Viceroy).
 */
import { managesAccountSession } from './account-session.ts';
import { answerHeaderFilter, type HeaderFilter } from './answer-headers.ts';
import { type BackendName, isMirror } from './backends.ts';
import type { Config } from './config.ts';
import type { Mode } from './policy.ts';
import { FAILOVER_METHODS } from './request-checks.ts';

export type CacheDecision =
  /** Store with this TTL (seconds), whatever the status; `staleIfError` replaces the rule's window for this copy. */
  | { readonly store: 'force'; readonly ttl: number; readonly staleIfError?: number }
  /** Fastly's own decision from the response headers; `ttl` replaces a missing lifetime. */
  | { readonly store: 'default'; readonly ttl?: number }
  /** Never store. */
  | { readonly store: 'never' }
  /** Do not store this answer: serve the stale copy already stored instead. */
  | { readonly store: 'keep-stale' };

export type CacheRule =
  | { readonly kind: 'pass' }
  | {
      readonly kind: 'cache';
      /** Seconds a stale copy may stand in when the backend fails (0: never). */
      readonly staleIfError: number;
      /** The TTL for runtimes without the HTTP cache API (host-mode override); undefined keeps Fastly's default. */
      readonly hostModeTtl: number | undefined;
      /** The answer's headers that may be stored (answer-headers.ts); applied before `decide`. */
      readonly headerFilter: HeaderFilter;
      decide(status: number, headers: Headers, staleAvailable: boolean): CacheDecision;
    };

const UNCACHEABLE_DIRECTIVES = /(?:^|,)\s*(?:private|no-store|no-cache)\s*(?:,|$|=)|(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*"?0+"?\s*(?:,|$)/i;
const FRESHNESS_DIRECTIVES = /(?:^|,)\s*(?:s-maxage|max-age)\s*=/i;

/** Whether origin's headers forbid caching (`private`, `no-store`, `no-cache`, `max-age=0`). */
export function forbidsCaching(headers: Headers): boolean {
  return UNCACHEABLE_DIRECTIVES.test(headers.get('Cache-Control') ?? '') || UNCACHEABLE_DIRECTIVES.test(headers.get('Surrogate-Control') ?? '');
}

/** Whether origin says how long its answer stays fresh. */
export function hasFreshness(headers: Headers): boolean {
  return FRESHNESS_DIRECTIVES.test(headers.get('Cache-Control') ?? '') || FRESHNESS_DIRECTIVES.test(headers.get('Surrogate-Control') ?? '') || headers.has('Expires');
}

/**
 * `shareable`: whether origin's answer to this request may be shared at all
 * (edge-contract.ts: not when it carries Authorization or keeps its cookies);
 * a mirror's answer always may. A 5xx is stored 1 s so that an outage does
 * not stampede origin, unless it is private or a stale copy can stand in.
 */
export function cacheRuleFor(mode: Mode, method: string, backend: BackendName, config: Config, shareable = true): CacheRule {
  if (mode === 'override' || !FAILOVER_METHODS.includes(method)) return { kind: 'pass' };
  if (isMirror(backend)) {
    return {
      kind: 'cache',
      staleIfError: 0,
      hostModeTtl: config.mirrorTtl,
      headerFilter: answerHeaderFilter(backend, false),
      decide(status) {
        if (status === 200) return { store: 'force', ttl: config.mirrorTtl };
        if (status >= 500) return { store: 'force', ttl: config.errorTtl };
        return { store: 'never' };
      },
    };
  }
  if (!shareable) return { kind: 'pass' };
  return {
    kind: 'cache',
    // Read only where it is used: in the HTTP cache API's hook, which a runtime without one never calls.
    get staleIfError() {
      return config.staleIfError;
    },
    hostModeTtl: undefined,
    headerFilter: answerHeaderFilter(backend, false),
    decide(status, headers, staleAvailable) {
      if (status >= 500 && staleAvailable) return { store: 'keep-stale' };
      if (headers.has('Set-Cookie') || managesAccountSession(headers) || forbidsCaching(headers)) return { store: 'never' };
      // A stored 5xx must never stand in, stale, for a later 5xx: it gets no stale-if-error window of its own.
      if (status >= 500) return { store: 'force', ttl: config.errorTtl, staleIfError: 0 };
      if (hasFreshness(headers)) return { store: 'default' };
      return { store: 'default', ttl: config.defaultTtl };
    },
  };
}

/** The `Cache-Control` given to the user, or `undefined` to pass on the backend's own. */
export function deliveredCacheControl(mode: Mode, backend: BackendName | 'error', config: Config): string | undefined {
  if (mode === 'override') return 'private, no-store';
  if (backend === 'error') return `max-age=${config.errorTtl}`;
  if (isMirror(backend)) return `max-age=${config.mirrorTtl}`;
  return undefined;
}

/** What an `afterSend` hook does with a decision: the TTL to set on the candidate, and what to return. */
export type AfterSendAction =
  | { readonly ttl?: number; readonly staleIfError?: number; readonly result: { readonly cache: true | 'uncacheable' } | undefined }
  /** Throw, which is how js-compute is told to serve the stale copy instead of this answer. */
  | { readonly throwForStale: true };

export function afterSendAction(decision: CacheDecision): AfterSendAction {
  switch (decision.store) {
    case 'force':
      return decision.staleIfError === undefined ? { ttl: decision.ttl, result: { cache: true } } : { ttl: decision.ttl, staleIfError: decision.staleIfError, result: { cache: true } };
    case 'default':
      return decision.ttl === undefined ? { result: undefined } : { ttl: decision.ttl, result: undefined };
    case 'never':
      return { result: { cache: 'uncacheable' } };
    case 'keep-stale':
      return { throwForStale: true };
  }
}

/**
 * Whether an error from `fetch` means the runtime has no HTTP cache API (Viceroy, or a
 * build without --enable-http-cache), as opposed to a failed request.
 */
export function isHttpCacheUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, message } = error as { name?: unknown; message?: unknown };
  return name !== 'NetworkError' && typeof message === 'string' && /http cach/i.test(message);
}
