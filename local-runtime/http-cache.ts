/**
 * The backend `fetch` of the local runtime, with an in-memory model of
 * Fastly's readthrough (HTTP) cache as js-compute drives it when built with
 * --enable-http-cache (runtime/fastly/builtins/fetch/fetch.cpp):
 *
 * - only GET/HEAD that are not `pass` go through the cache; the key is the
 *   request's Host (header, else URL authority) plus path and query, or the
 *   `cacheKey` the service set; the backend is NOT part of the key;
 * - freshness: Surrogate-Control max-age, Cache-Control s-maxage, max-age,
 *   Expires, else 3600 s; `private` / `no-store` are not stored (Fastly's docs
 *   say `no-cache` is ignored by Fastly, so it is ignored here); statuses
 *   200 203 300 301 302 404 410 are stored by default; a `'override'`
 *   CacheOverride forces ttl / swr / staleIfError;
 * - on a miss `beforeSend(request)` runs, then the backend is called, then
 *   `afterSend(candidate)` may change status, headers, ttl, swr, staleIfError
 *   and return `{cache: true | false | 'uncacheable', bodyTransformFn}`;
 * - a stale object inside its stale-if-error window is served (with
 *   `maskedError` set) when the backend fetch fails, `beforeSend` throws or
 *   `afterSend` throws; a 5xx answer is handed to the service like any other,
 *   as on Fastly (an `afterSend` that throws on a 5xx when
 *   `candidate.staleIfErrorAvailable()` is true gets the stale object);
 * - inside stale-while-revalidate the stale object is served and refreshed in
 *   the background.
 *
 * With the cache off (Viceroy, which has no HTTP cache hostcalls), a fetch
 * whose CacheOverride has hooks throws synchronously, like js-compute does.
 */
import type { BackendDef, CacheOverrideLike, HostFetchOptions } from './context.ts';
import type { Clock } from './clock.ts';
import { networkError, responseHeaders, sendUpstream, UpstreamBody, type BackendPool, type Inflight } from './upstream.ts';

export const DEFAULT_TTL_SECONDS = 3600;
const CACHEABLE_STATUSES = new Set([200, 203, 300, 301, 302, 404, 410]);
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** js-compute's message when hooks are used on a host without the HTTP cache API (Viceroy). */
export const HOOKS_WITHOUT_HTTP_CACHE = 'HTTP caching API is not enabled; please contact support for help';

export interface StoredObject {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
  storedAt: number;
  initialAgeSeconds: number;
  ttl: number;
  swr: number;
  staleIfError: number;
  varyNames: string[];
  varyValues: (string | null)[];
  surrogateKeys: string[];
  pci: boolean;
}

function directives(value: string | null): Map<string, string | true> {
  const out = new Map<string, string | true>();
  if (!value) return out;
  for (const part of value.split(',')) {
    const [rawKey, ...rest] = part.split('=');
    const key = rawKey?.trim().toLowerCase();
    if (!key) continue;
    if (out.has(key)) continue;
    out.set(key, rest.length === 0 ? true : rest.join('=').trim().replace(/^"|"$/g, ''));
  }
  return out;
}

function seconds(v: string | true | undefined): number | undefined {
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

export interface CachePolicy {
  cacheable: boolean;
  ttl: number;
  swr: number;
  staleIfError: number;
  initialAgeSeconds: number;
}

/** What Fastly's readthrough cache reads from a backend response's headers. */
export function policyFromHeaders(status: number, headers: Headers, now: number): CachePolicy {
  const sc = directives(headers.get('surrogate-control'));
  const cc = directives(headers.get('cache-control'));
  let ttl = seconds(sc.get('max-age')) ?? seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  if (ttl === undefined && headers.has('expires')) {
    const expires = Date.parse(headers.get('expires')!);
    const date = Date.parse(headers.get('date') ?? '');
    ttl = Number.isNaN(expires) ? 0 : Math.max(0, Math.floor((expires - (Number.isNaN(date) ? now : date)) / 1000));
  }
  const vary = headers.get('vary');
  return {
    cacheable:
      CACHEABLE_STATUSES.has(status) && !cc.has('private') && !cc.has('no-store') && !sc.has('no-store') && vary?.trim() !== '*',
    ttl: ttl ?? DEFAULT_TTL_SECONDS,
    swr: seconds(sc.get('stale-while-revalidate')) ?? seconds(cc.get('stale-while-revalidate')) ?? 0,
    staleIfError: seconds(sc.get('stale-if-error')) ?? seconds(cc.get('stale-if-error')) ?? 0,
    initialAgeSeconds: seconds(headers.get('age')?.trim() ?? undefined) ?? 0,
  };
}

export function ageMs(obj: StoredObject, now: number): number {
  return obj.initialAgeSeconds * 1000 + Math.max(0, now - obj.storedAt);
}

function isFresh(obj: StoredObject, now: number): boolean {
  return ageMs(obj, now) < obj.ttl * 1000;
}
function withinSwr(obj: StoredObject, now: number): boolean {
  return ageMs(obj, now) < (obj.ttl + obj.swr) * 1000;
}
function withinStaleIfError(obj: StoredObject, now: number): boolean {
  return ageMs(obj, now) < (obj.ttl + obj.staleIfError) * 1000;
}

/** The per-instance object store: key → variants (by Vary). */
export class HttpCacheStore {
  readonly #objects = new Map<string, StoredObject[]>();

  lookup(key: string, requestHeaders: Headers, now: number): StoredObject | undefined {
    const variants = this.#objects.get(key);
    if (!variants) return undefined;
    const alive = variants.filter((o) => withinSwr(o, now) || withinStaleIfError(o, now));
    if (alive.length === 0) this.#objects.delete(key);
    else if (alive.length !== variants.length) this.#objects.set(key, alive);
    return alive.find((o) => o.varyNames.every((name, i) => requestHeaders.get(name) === o.varyValues[i]));
  }

  insert(key: string, obj: StoredObject): void {
    const others = (this.#objects.get(key) ?? []).filter(
      (o) => !(o.varyNames.join() === obj.varyNames.join() && o.varyValues.join('\0') === obj.varyValues.join('\0')),
    );
    this.#objects.set(key, [obj, ...others]);
  }

  get size(): number {
    let n = 0;
    for (const v of this.#objects.values()) n += v.length;
    return n;
  }

  clear(): void {
    this.#objects.clear();
  }
}

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

interface CacheProps {
  cached?: boolean;
  stale?: boolean;
  ttl?: number;
  age?: number;
  swr?: number;
  staleIfError?: number;
  maskedError?: unknown;
  surrogateKeys?: string[];
  vary?: string[];
  pci?: boolean;
}

function decorate(response: Response, props: CacheProps): Response {
  for (const [k, v] of Object.entries({
    cached: undefined,
    stale: undefined,
    ttl: undefined,
    age: undefined,
    swr: undefined,
    staleIfError: undefined,
    maskedError: undefined,
    surrogateKeys: undefined,
    vary: undefined,
    pci: undefined,
    ...props,
  })) {
    Object.defineProperty(response, k, { value: v, enumerable: true, configurable: true, writable: true });
  }
  Object.defineProperty(response, 'staleWhileRevalidate', {
    get: () => (response as unknown as { swr?: number }).swr,
    configurable: true,
  });
  return response;
}

function cacheKeyFor(request: Request, override: string | undefined): string {
  if (override !== undefined) return `key:${override}`;
  const url = new URL(request.url);
  const host = request.headers.get('host') ?? url.host;
  return `url:${host.toLowerCase()}${url.pathname}${url.search}`;
}

function hit(obj: StoredObject, method: string, now: number, stale: boolean, maskedError?: unknown): Response {
  const headers = new Headers(obj.headers);
  const age = Math.floor(ageMs(obj, now) / 1000);
  headers.set('age', String(age));
  const noBody = method === 'HEAD' || NULL_BODY_STATUSES.has(obj.status);
  const response = new Response(noBody ? null : obj.body.slice(), { status: obj.status, statusText: obj.statusText, headers });
  return decorate(response, {
    cached: true,
    stale,
    ttl: obj.ttl,
    age,
    swr: obj.swr,
    staleIfError: obj.staleIfError,
    maskedError,
    surrogateKeys: obj.surrogateKeys,
    vary: obj.varyNames,
    pci: obj.pci,
  });
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
    return direct(env, backend, request).then(({ response }) =>
      decorate(response, env.cache ? { cached: false, stale: false } : {}),
    );
  }
  return throughCache(env, env.cache!, backend, request, co, options.cacheKey);
}

async function direct(env: FetchEnv, backend: BackendDef, request: Request): Promise<{ response: Response; body?: UpstreamBody }> {
  const res = await sendUpstream(backend, request, { inflight: env.inflight, pool: env.pool, onError: env.onError });
  const headers = responseHeaders(res);
  const status = res.statusCode ?? 502;
  const noBody = request.method === 'HEAD' || NULL_BODY_STATUSES.has(status);
  if (noBody) {
    res.resume();
    return { response: new Response(null, { status, statusText: res.statusMessage, headers }) };
  }
  const body = new UpstreamBody(res, backend.betweenBytesTimeoutMs, env.inflight);
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
  const found = cache.lookup(key, request.headers, env.clock.now());
  if (found) {
    const now = env.clock.now();
    if (isFresh(found, now)) return hit(found, request.method, now, false);
    if (withinSwr(found, now)) {
      const revalidation = fetchAndStore(env, cache, backend, request.clone(), co, key, found).then(async (r) => {
        await r.arrayBuffer().catch(() => undefined);
      });
      env.background(revalidation.catch(() => undefined));
      return hit(found, request.method, now, true);
    }
  }
  return fetchAndStore(env, cache, backend, request, co, key, found);
}

async function fetchAndStore(
  env: FetchEnv,
  cache: HttpCacheStore,
  backend: BackendDef,
  request: Request,
  co: CacheOverrideLike | undefined,
  key: string,
  stale: StoredObject | undefined,
): Promise<Response> {
  const staleFallback = (err: unknown): Response => {
    const now = env.clock.now();
    if (stale && withinStaleIfError(stale, now)) return hit(stale, request.method, now, true, err);
    throw err;
  };

  let response: Response;
  let body: UpstreamBody | undefined;
  try {
    if (co?.beforeSend) await co.beforeSend(request);
    ({ response, body } = await direct(env, backend, request));
  } catch (err) {
    return staleFallback(err);
  }

  const receivedAt = env.clock.now();
  const policy = policyFromHeaders(response.status, response.headers, receivedAt);
  const override = co?.mode === 'override' ? co : undefined;
  let status = response.status;
  let ttl = override?.ttl ?? policy.ttl;
  let swr = override?.swr ?? policy.swr;
  let staleIfError = override?.staleIfError ?? policy.staleIfError;
  const surrogateKeys = (override?.surrogateKey ?? response.headers.get('surrogate-key') ?? '').split(/\s+/).filter(Boolean);
  const pci = override?.pci ?? false;
  const nonNegative = (field: string, v: unknown): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new TypeError(`Response set: ${field} must be a non-negative number`);
    return Math.floor(n);
  };
  Object.defineProperties(response, {
    status: { get: () => status, set: (v: number) => (status = Number(v)), configurable: true, enumerable: true },
    ttl: { get: () => ttl, set: (v: number) => (ttl = nonNegative('ttl', v)), configurable: true, enumerable: true },
    swr: { get: () => swr, set: (v: number) => (swr = nonNegative('swr', v)), configurable: true, enumerable: true },
    staleWhileRevalidate: { get: () => swr, set: (v: number) => (swr = nonNegative('swr', v)), configurable: true },
    staleIfError: {
      get: () => staleIfError,
      set: (v: number) => (staleIfError = nonNegative('staleIfError', v)),
      configurable: true,
      enumerable: true,
    },
    age: { value: policy.initialAgeSeconds, configurable: true, enumerable: true, writable: true },
    cached: { value: false, configurable: true, enumerable: true, writable: true },
    stale: { value: false, configurable: true, enumerable: true, writable: true },
    maskedError: { value: undefined, configurable: true, enumerable: true, writable: true },
    surrogateKeys: { value: surrogateKeys, configurable: true, enumerable: true, writable: true },
    pci: { value: pci, configurable: true, enumerable: true, writable: true },
    staleIfErrorAvailable: {
      value: () => stale !== undefined && withinStaleIfError(stale, env.clock.now()),
      configurable: true,
    },
  });

  let decision: { cache?: boolean | 'uncacheable'; bodyTransformFn?: (b: Uint8Array) => Uint8Array | PromiseLike<Uint8Array> } | undefined;
  try {
    const out = co?.afterSend ? await co.afterSend(response) : undefined;
    if (out !== undefined && out !== null && typeof out !== 'object') {
      throw new TypeError('afterSend must return undefined or a CacheOptions object');
    }
    decision = out as typeof decision;
  } catch (err) {
    await response.body?.cancel().catch(() => undefined);
    return staleFallback(err);
  }
  delete (response as { staleIfErrorAvailable?: unknown }).staleIfErrorAvailable;
  Object.defineProperty(response, 'staleIfErrorAvailable', {
    value: () => {
      throw new TypeError('Response.staleIfErrorAvailable(): can only be called on candidate responses inside afterSend callback');
    },
    configurable: true,
  });

  const defaultStore = policyFromHeaders(status, response.headers, receivedAt).cacheable;
  const store =
    request.method === 'GET' &&
    (decision?.cache === true ? true : decision?.cache === false || decision?.cache === 'uncacheable' ? false : defaultStore);
  if (!store) return response;

  const varyNames = (response.headers.get('vary') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const snapshot = (bytes: Uint8Array): StoredObject => ({
    status,
    statusText: response.statusText,
    headers: [...response.headers],
    body: bytes,
    storedAt: receivedAt,
    initialAgeSeconds: policy.initialAgeSeconds,
    ttl,
    swr,
    staleIfError,
    varyNames,
    varyValues: varyNames.map((n) => request.headers.get(n)),
    surrogateKeys,
    pci,
  });

  const transform = decision?.bodyTransformFn;
  if (!body) {
    cache.insert(key, snapshot(new Uint8Array(0)));
    return response;
  }
  if (transform) {
    const bytes = await body.drain();
    const out = await transform(bytes);
    if (!(out instanceof Uint8Array)) throw new TypeError('transformBodyFn did not return a valid array buffer or promise for an array buffer');
    const obj = snapshot(out);
    cache.insert(key, obj);
    const fresh = hit(obj, request.method, env.clock.now(), false);
    (fresh as unknown as { cached: boolean }).cached = false;
    return fresh;
  }
  env.background(
    body.drain().then(
      (bytes) => cache.insert(key, snapshot(bytes)),
      () => undefined,
    ),
  );
  return response;
}

export { networkError };
