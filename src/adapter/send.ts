/**
 * Sends a backend request with the cache rule the core chose. Production
 * (built with --enable-http-cache) applies the rule in an `afterSend` hook,
 * per status. Viceroy has no HTTP cache and throws on hooks; there the
 * rule falls back to a plain host-mode override, detected once per instance.
 */
import { CacheOverride } from 'fastly:cache-override';
import { BackendUnavailable } from '../core/attempt.ts';
import { type BackendName, isMirror } from '../core/backends.ts';
import type { CacheDecision, CacheRule } from '../core/cache-policy.ts';
import { backendExists } from './backends.ts';

/** Thrown from afterSend so that Fastly serves the stored stale copy rather than origin's 5xx. */
class StaleCopyPreferred extends Error {
  override readonly name = 'StaleCopyPreferred';
  constructor(status: number) {
    super(`origin answered ${status}; a stale copy is available`);
  }
}

/** Unknown until the first cached fetch tells. */
let httpCacheApi: boolean | undefined;

/** Fields js-compute has since 3.43 that its type declarations lack. */
type CandidateResponse = Response & {
  staleIfError?: number;
  staleIfErrorAvailable?: () => boolean;
};

export async function sendToBackend(backend: BackendName, request: Request, rule: CacheRule): Promise<Response> {
  if (!backendExists(backend)) throw new BackendUnavailable(`backend ${backend} is not defined in this service`);
  if (rule.kind === 'pass') return fetch(request, { backend, cacheOverride: new CacheOverride('pass') });
  const cacheKey = cacheKeyFor(backend, request);
  if (httpCacheApi !== false) {
    try {
      const response = await fetch(request, { backend, cacheKey, cacheOverride: hookedOverride(rule) });
      httpCacheApi = true;
      return response;
    } catch (error) {
      if (httpCacheApi === true || !isHttpCacheUnavailable(error)) throw error;
      httpCacheApi = false;
    }
  }
  return fetch(request, { backend, cacheKey, cacheOverride: hostModeOverride(rule) });
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

function hookedOverride(rule: Extract<CacheRule, { kind: 'cache' }>): CacheOverride {
  const init = {
    staleIfError: rule.staleIfError,
    afterSend(candidate: Response) {
      const response = candidate as CandidateResponse;
      const staleAvailable = typeof response.staleIfErrorAvailable === 'function' && response.staleIfErrorAvailable();
      return applyDecision(response, rule.decide(response.status, response.headers, staleAvailable));
    },
  };
  return new CacheOverride('override', init);
}

function applyDecision(response: CandidateResponse, decision: CacheDecision) {
  switch (decision.store) {
    case 'force':
      response.ttl = decision.ttl;
      return { cache: true } as const;
    case 'default':
      if (decision.ttl !== undefined) response.ttl = decision.ttl;
      return undefined;
    case 'never':
      return { cache: 'uncacheable' } as const;
    case 'keep-stale':
      // Throwing from afterSend is how js-compute is told to serve the stale copy instead of this 5xx.
      throw new StaleCopyPreferred(response.status);
  }
}

function hostModeOverride(rule: Extract<CacheRule, { kind: 'cache' }>): CacheOverride {
  return rule.hostModeTtl === undefined ? new CacheOverride('none') : new CacheOverride('override', { ttl: rule.hostModeTtl });
}

/** The runtime's answer to cache hooks when it was built or runs without the HTTP cache API. */
export function isHttpCacheUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, message } = error as { name?: unknown; message?: unknown };
  return name !== 'NetworkError' && typeof message === 'string' && /http cach/i.test(message);
}
