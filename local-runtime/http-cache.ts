/**
 * The backend `fetch` of the local runtime, with an in-memory model of
 * Fastly's readthrough (HTTP) cache as js-compute drives it when built with
 * --enable-http-cache (runtime/fastly/builtins/fetch/fetch.cpp), held to
 * js-compute-runtime's own integration tests (local-runtime/README.md lists
 * each route and the test that ports it):
 *
 * - only GET/HEAD that are not `pass` go through the cache; the key is the
 *   request's Host (header, else URL authority) plus path and query, or the
 *   `cacheKey` the service set; the backend is NOT part of the key; what the
 *   headers say is http-cache-store.ts;
 * - a fresh hit runs no hook; a miss runs `beforeSend(request)`, then the
 *   backend, then `afterSend(candidate)` (cache-response.ts), which may change
 *   status, headers and cache options and return `{cache: true | false |
 *   'uncacheable', bodyTransformFn}`; with no `ttl` set, headers changed in
 *   the hook decide the stored copy's lifetime; `cache: true` stores whatever
 *   the headers say, and the answer is then read back from the cache (a new
 *   Response, the candidate's options moved to it); otherwise the candidate
 *   itself is the answer; `'uncacheable'` sends each later request for the
 *   key to the backend on its own;
 * - requests for a key already being fetched wait for that fetch and get its
 *   stored copy as a hit (request collapsing), or fetch themselves when it
 *   stored nothing;
 * - a stale object inside its stale-if-error window is served (with
 *   `maskedError` set) when the backend fetch fails, `beforeSend` throws or
 *   `afterSend` throws; a 5xx answer is handed to the service like any other,
 *   as on Fastly (an `afterSend` that throws on a 5xx when
 *   `candidate.staleIfErrorAvailable()` is true gets the stale object);
 * - inside stale-while-revalidate the stale object is served and refreshed in
 *   the background, with that request's hooks, after it has been answered;
 * - what comes back carries `x-cache` and `x-cache-hits` (pass: neither).
 *
 * With the cache off (Viceroy, which has no HTTP cache hostcalls), a fetch
 * whose CacheOverride has hooks throws synchronously, like js-compute does.
 */
import { createHash } from 'node:crypto';
import type { BackendDef, CacheOverrideLike, HostFetchOptions } from './context.ts';
import type { Clock } from './clock.ts';
import { addDeliveryHeaders, type CacheOptions, makeCandidate, withCacheInfo } from './cache-response.ts';
import {
  ageMs,
  type HttpCacheStore,
  isFresh,
  policyFromHeaders,
  remainingTtl,
  type StoredObject,
  withinStaleIfError,
  withinSwr,
} from './http-cache-store.ts';
import { networkError, responseHeaders, sendUpstream, UpstreamBody, type BackendPool, type Inflight } from './upstream.ts';

export { DEFAULT_TTL_SECONDS, HttpCacheStore, policyFromHeaders } from './http-cache-store.ts';

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** js-compute's message when hooks are used on a host without the HTTP cache API (Viceroy). */
export const HOOKS_WITHOUT_HTTP_CACHE = 'HTTP caching API is not enabled; please contact support for help';

export interface FetchEnv {
  backends: ReadonlyMap<string, BackendDef>;
  /** undefined models Viceroy: no readthrough cache at all. */
  cache: HttpCacheStore | undefined;
  clock: Clock;
  inflight: Inflight;
  /** Keep-alive connection pools (none: one connection per request). */
  pool?: BackendPool;
  /** Keeps a background task (revalidation, cache fill) tracked until it settles. */
  background(task: Promise<unknown>): void;
  onError?: (message: string) => void;
}

function cacheKeyFor(request: Request, override: string | undefined): string {
  if (override !== undefined) return `key:${override}`;
  const url = new URL(request.url);
  const host = request.headers.get('host') ?? url.host;
  return `url:${host.toLowerCase()}${url.pathname}${url.search}`;
}

/** Fastly's default surrogate key for an object: one opaque key, derived from its cache key. */
function defaultSurrogateKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A stored object served from the cache. */
function hit(obj: StoredObject, request: Request, now: number, stale: boolean, maskedError?: unknown): Response {
  obj.hits++;
  const headers = new Headers(obj.headers);
  const age = ageMs(obj, now) / 1000;
  headers.set('age', String(Math.floor(age)));
  const noBody = request.method === 'HEAD' || NULL_BODY_STATUSES.has(obj.status);
  const response = new Response(noBody ? null : obj.body.slice(), { status: obj.status, statusText: obj.statusText, headers });
  withCacheInfo(response, { cached: true, stale, age, ttl: remainingTtl(obj, now), swr: obj.swr, staleIfError: obj.staleIfError, vary: obj.varyNames, surrogateKeys: obj.surrogateKeys, pci: obj.pci, maskedError });
  return addDeliveryHeaders(response, obj, request.headers);
}

/** The host side of the service's `fetch`. Throws synchronously where js-compute does. */
export function hostFetch(env: FetchEnv, request: Request, options: HostFetchOptions): Promise<Response> {
  const co = options.cacheOverride;
  const pass = co?.mode === 'pass';
  const hooks = co?.mode === 'override' && (co.beforeSend !== undefined || co.afterSend !== undefined);
  if (!env.cache && hooks && !pass && request.method !== 'PURGE') {
    throw new Error(HOOKS_WITHOUT_HTTP_CACHE);
  }
  if (options.backend === undefined) {
    return Promise.reject(
      new Error(
        `No backend specified for request with url ${request.url}. Must provide a \`backend\` property on the \`init\` object passed to either \`new Request()\` or \`fetch\``,
      ),
    );
  }
  const backend = env.backends.get(options.backend);
  if (!backend) return Promise.reject(new TypeError(`Requested backend named '${options.backend}' does not exist`));

  const cacheable = env.cache !== undefined && !pass && (request.method === 'GET' || request.method === 'HEAD');
  if (!cacheable) {
    return direct(env, backend, request).then(({ response }) => {
      if (!env.cache) return response;
      withCacheInfo(response, { cached: false, stale: false });
      // A request the cache does not take (a POST) is a miss; a pass is not seen by the cache at all.
      return pass ? response : addDeliveryHeaders(response, null, request.headers);
    });
  }
  return throughCache(env, env.cache!, backend, request, co, options.cacheKey);
}

/** `record`: the body may be stored, so every chunk is kept for the cache however late it is read. */
async function direct(env: FetchEnv, backend: BackendDef, request: Request, record = false): Promise<{ response: Response; body?: UpstreamBody }> {
  const res = await sendUpstream(backend, request, { inflight: env.inflight, pool: env.pool, onError: env.onError });
  const headers = responseHeaders(res);
  const status = res.statusCode ?? 502;
  const noBody = request.method === 'HEAD' || NULL_BODY_STATUSES.has(status);
  if (noBody) {
    res.resume();
    return { response: new Response(null, { status, statusText: res.statusMessage, headers }) };
  }
  const body = new UpstreamBody(res, backend.betweenBytesTimeoutMs, env.inflight, record);
  return { response: new Response(body.stream, { status, statusText: res.statusMessage, headers }), body };
}

async function throughCache(
  env: FetchEnv,
  cache: HttpCacheStore,
  backend: BackendDef,
  request: Request,
  co: CacheOverrideLike | undefined,
  cacheKey: string | undefined,
): Promise<Response> {
  const key = cacheKeyFor(request, cacheKey);
  const lookedUp = lookup(cache, key, request, env.clock.now());
  if (lookedUp.response) {
    if (lookedUp.revalidate) {
      const stale = lookedUp.stale;
      // The refresh runs this request's hooks once the request has its answer.
      const revalidation = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => fetchAndStore(env, cache, backend, request.clone(), co, key, stale))
        .then(async (r) => {
          await r.arrayBuffer().catch(() => undefined);
        });
      env.background(revalidation.catch(() => undefined));
    }
    return lookedUp.response;
  }
  // A fetch for this key is under way: wait for what it stores (unless the key is marked uncacheable).
  const leader = cache.isUncacheable(key, env.clock.now()) ? undefined : cache.inflight(key);
  if (leader) {
    await leader.done.catch(() => undefined);
    const after = lookup(cache, key, request, env.clock.now());
    if (after.response && !after.revalidate) return after.response;
    return fetchAndStore(env, cache, backend, request, co, key, lookedUp.stale);
  }
  // This request leads: the others wait until it has stored its answer, or decided not to.
  let settle!: (obj: StoredObject | undefined) => void;
  cache.lead(key, new Promise<StoredObject | undefined>((resolve) => (settle = resolve)));
  try {
    return await fetchAndStore(env, cache, backend, request, co, key, lookedUp.stale, settle);
  } catch (err) {
    settle(undefined);
    throw err;
  }
}

/** A fresh hit, a stale one inside stale-while-revalidate (to be refreshed), or nothing usable (and the stale object, if any). */
function lookup(cache: HttpCacheStore, key: string, request: Request, now: number): { response?: Response; revalidate?: boolean; stale?: StoredObject } {
  const found = cache.lookup(key, request.headers, now);
  if (!found) return {};
  if (isFresh(found, now)) return { response: hit(found, request, now, false) };
  if (withinSwr(found, now)) return { response: hit(found, request, now, true), revalidate: true, stale: found };
  return { stale: found };
}

/** The options the candidate starts with: the override's where it sets them, else what the headers say. */
function initialOptions(response: Response, co: CacheOverrideLike | undefined, key: string, now: number): CacheOptions & { age: number } {
  const policy = policyFromHeaders(response.status, response.headers, now);
  const override = co?.mode === 'override' ? co : undefined;
  const surrogate = override?.surrogateKey ?? response.headers.get('surrogate-key');
  return {
    age: policy.initialAgeSeconds,
    ttl: override?.ttl ?? Math.max(0, policy.ttl - policy.initialAgeSeconds),
    swr: override?.swr ?? policy.swr,
    staleIfError: override?.staleIfError ?? policy.staleIfError,
    vary: (response.headers.get('vary') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    surrogateKeys: surrogate ? surrogate.split(/\s+/).filter(Boolean) : [defaultSurrogateKey(key)],
    pci: override?.pci ?? false,
  };
}

type AfterSendResult = { cache?: boolean | 'uncacheable'; bodyTransformFn?: (b: Uint8Array) => Uint8Array | PromiseLike<Uint8Array> } | undefined;

/** What js-compute accepts from afterSend. */
function checkAfterSendResult(out: unknown): AfterSendResult {
  if (out === undefined || out === null) return undefined;
  if (typeof out !== 'object') throw new TypeError('afterSend must return undefined or a CacheOptions object');
  const { cache, bodyTransformFn } = out as Record<string, unknown>;
  if (cache !== undefined && typeof cache !== 'boolean' && cache !== 'uncacheable') {
    throw new TypeError(`Request cache hook: afterSend() must return a 'cache' property that is a boolean or 'uncacheable'`);
  }
  if (bodyTransformFn !== undefined && typeof bodyTransformFn !== 'function') {
    throw new TypeError(`Request cache hook: afterSend() must return a 'bodyTransformFn' property that is a function`);
  }
  return out as AfterSendResult;
}

async function fetchAndStore(
  env: FetchEnv,
  cache: HttpCacheStore,
  backend: BackendDef,
  request: Request,
  co: CacheOverrideLike | undefined,
  key: string,
  stale: StoredObject | undefined,
  stored: (obj: StoredObject | undefined) => void = () => undefined,
): Promise<Response> {
  const staleFallback = (err: unknown): Response => {
    stored(undefined);
    const now = env.clock.now();
    if (stale && withinStaleIfError(stale, now)) return hit(stale, request, now, true, err);
    throw err;
  };

  let response: Response;
  let body: UpstreamBody | undefined;
  try {
    if (co?.beforeSend) await co.beforeSend(request);
    ({ response, body } = await direct(env, backend, request, true));
  } catch (err) {
    return staleFallback(err);
  }

  const receivedAt = env.clock.now();
  const originalStatus = response.status;
  const candidate = makeCandidate(response, initialOptions(response, co, key, receivedAt), () => stale !== undefined && withinStaleIfError(stale, env.clock.now()));
  let decision: AfterSendResult;
  try {
    decision = checkAfterSendResult(co?.afterSend ? await co.afterSend(candidate.response) : undefined);
  } catch (err) {
    candidate.close();
    await response.body?.cancel().catch(() => undefined);
    return staleFallback(err);
  }
  candidate.close();

  // Headers changed in the hook, with no TTL set by it, decide the copy's lifetime anew.
  const options = candidate.options;
  // Storage by default is decided for the status the backend sent; the stored copy keeps the one the hook set.
  const policy = policyFromHeaders(originalStatus, response.headers, receivedAt);
  if (candidate.headersChanged() && !candidate.ttlSet) {
    options.ttl = Math.max(0, policy.ttl - policy.initialAgeSeconds);
    if (co?.mode !== 'override' || co.swr === undefined) options.swr = policy.swr;
    if (co?.mode !== 'override' || co.staleIfError === undefined) options.staleIfError = policy.staleIfError;
  }
  if (decision?.cache === 'uncacheable') cache.recordUncacheable(key, receivedAt + (options.ttl + policy.initialAgeSeconds) * 1000);
  const store = request.method === 'GET' && (decision?.cache === true ? true : decision?.cache === undefined ? policy.cacheable : false);
  if (!store) {
    stored(undefined);
    return addDeliveryHeaders(response, null, request.headers);
  }

  const snapshot = (bytes: Uint8Array): StoredObject => ({
    status: candidate.status,
    statusText: response.statusText,
    headers: [...response.headers],
    body: bytes,
    storedAt: receivedAt,
    initialAgeSeconds: policy.initialAgeSeconds,
    ttl: options.ttl,
    swr: options.swr,
    staleIfError: options.staleIfError,
    varyNames: options.vary.map((name) => name.toLowerCase()),
    varyValues: options.vary.map((name) => request.headers.get(name)),
    surrogateKeys: options.surrogateKeys,
    pci: options.pci,
    hits: 0,
  });
  const insert = (obj: StoredObject) => {
    cache.insert(key, obj);
    stored(obj);
    return obj;
  };

  // The answer is read back from the cache: a new Response; the candidate's options move to it.
  candidate.handOver();
  const readBack = (bodyInit: BodyInit | null) => {
    const fresh = new Response(bodyInit, { status: candidate.status, statusText: response.statusText, headers: response.headers });
    withCacheInfo(fresh, { cached: false, stale: false, age: policy.initialAgeSeconds, ...options });
    return addDeliveryHeaders(fresh, null, request.headers);
  };
  const transform = decision?.bodyTransformFn;
  if (!body) {
    insert(snapshot(new Uint8Array(0)));
    return readBack(null);
  }
  if (transform) {
    const bytes = await body.drain();
    const out = await transform(bytes);
    if (!(out instanceof Uint8Array)) throw new TypeError('transformBodyFn did not return a valid array buffer or promise for an array buffer');
    insert(snapshot(out));
    return readBack(out.slice());
  }
  env.background(
    body.drain().then(
      (bytes) => insert(snapshot(bytes)),
      () => stored(undefined),
    ),
  );
  return readBack(body.stream);
}

export { networkError };
