/**
 * Injected into the service bundle (esbuild `inject`): the bundle's free
 * references to `fetch`, `addEventListener`, `Request` and `Response` resolve
 * to these, so the test process's own globals stay Node's.
 */
import { createHash } from 'node:crypto';
import { anyHost, refuseAtInit, requestHost, slot, type CacheOverrideLike } from './context.ts';
import { Backend, defaultBackend } from './fastly/backend.ts';
import { CacheOverride, type CacheOverrideMode, type ICacheOverride } from './fastly/cache-override.ts';
import { markFetchedHeaders } from './fetched-headers.ts';
import { STALE_IF_ERROR_AVAILABLE_OUTSIDE_AFTER_SEND } from './cache-response.ts';

const NodeRequest = globalThis.Request;
const NodeResponse = globalThis.Response;

interface Extras {
  backend?: string;
  cacheOverride?: CacheOverride;
  cacheKey?: string;
}

const extras = new WeakMap<object, Extras>();

type CacheOverrideInit = CacheOverride | ICacheOverride | Exclude<CacheOverrideMode, 'override'>;

export interface FastlyRequestInit extends RequestInit {
  backend?: string | Backend;
  cacheOverride?: CacheOverrideInit;
  cacheKey?: string;
  fastly?: { decompressGzip?: boolean };
  manualFramingHeaders?: boolean;
  imageOptimizerOptions?: unknown;
}

function toCacheOverride(value: CacheOverrideInit): CacheOverride {
  if (value instanceof CacheOverride) return value;
  if (typeof value === 'string') return new CacheOverride(value);
  if (typeof value === 'object' && value !== null) return new CacheOverride(value);
  throw new Error('CacheOverride must be created from a string mode or override object');
}

function isStream(body: unknown): boolean {
  return typeof body === 'object' && body !== null && typeof (body as ReadableStream).getReader === 'function';
}

/** Request with Fastly's `backend`, `cacheOverride` and `cacheKey` init fields. */
class FastlyRequest extends NodeRequest {
  constructor(input: RequestInfo | URL, init?: FastlyRequestInit) {
    refuseAtInit('The Request builtin');
    const { backend, cacheOverride, cacheKey, fastly: _f, manualFramingHeaders: _m, imageOptimizerOptions: _i, ...rest } = init ?? {};
    const webInit: RequestInit & { duplex?: 'half' } = { ...rest };
    const bodyIsStream = isStream(rest.body) || (rest.body === undefined && input instanceof NodeRequest && input.body !== null);
    if (bodyIsStream) webInit.duplex = 'half';
    super(input, webInit);
    const inherited = typeof input === 'object' && input !== null ? extras.get(input) : undefined;
    const ex: Extras = { ...inherited };
    if (backend !== undefined) ex.backend = typeof backend === 'string' ? backend : String(backend.name);
    if (cacheOverride !== undefined) ex.cacheOverride = toCacheOverride(cacheOverride);
    extras.set(this, ex);
    if (cacheKey !== undefined) this.setCacheKey(cacheKey);
  }

  get backend(): Backend | undefined {
    const name = extras.get(this)?.backend;
    return name === undefined ? undefined : Backend.fromName(name);
  }

  get isCacheable(): boolean | undefined {
    const host = anyHost();
    if (!host?.httpCache) return undefined;
    return this.method === 'GET' || this.method === 'HEAD';
  }

  setCacheOverride(override: CacheOverride): void {
    (extras.get(this) ?? extras.set(this, {}).get(this)!).cacheOverride = toCacheOverride(override);
  }

  /**
   * As js-compute: the key goes through ToString, the request gets Fastly's
   * `fastly-xqd-cache-key` header (the key's SHA-256, upper-case hex), and
   * the HTTP cache looks the request up by the key.
   */
  setCacheKey(key: string): void {
    if (arguments.length < 1) throw new TypeError('setCacheKey: At least 1 argument required, but only 0 passed');
    // SpiderMonkey's words for a Symbol, where V8 would say "Cannot convert a Symbol value to a string".
    if (typeof key === 'symbol') throw new TypeError("can't convert symbol to string");
    const text = `${key}`;
    this.headers.set('fastly-xqd-cache-key', createHash('sha256').update(text).digest('hex').toUpperCase());
    (extras.get(this) ?? extras.set(this, {}).get(this)!).cacheKey = text;
  }

  setManualFramingHeaders(_manual: boolean): void {}

  override clone(): FastlyRequest {
    const copy = super.clone();
    Object.setPrototypeOf(copy, FastlyRequest.prototype);
    extras.set(copy, { ...extras.get(this) });
    return copy as FastlyRequest;
  }
}

export { FastlyRequest as Request };

/** The cache properties a Response made by the service has: none (js-compute: undefined, and setters that throw). */
const CACHE_PROPERTIES = ['ttl', 'swr', 'staleIfError', 'vary', 'surrogateKeys', 'pci'] as const;

/** Response, which js-compute refuses to construct at init time (Wizer), like Request. */
class FastlyResponse extends NodeResponse {
  constructor(body?: BodyInit | null, init?: ResponseInit) {
    refuseAtInit('The Response builtin');
    super(body, init);
  }

  get cached(): undefined {
    return undefined;
  }
  get stale(): undefined {
    return undefined;
  }
  get age(): undefined {
    return undefined;
  }
  get maskedError(): undefined {
    return undefined;
  }

  staleIfErrorAvailable(): never {
    throw new TypeError(STALE_IF_ERROR_AVAILABLE_OUTSIDE_AFTER_SEND);
  }
}
for (const name of [...CACHE_PROPERTIES, 'staleWhileRevalidate']) {
  Object.defineProperty(FastlyResponse.prototype, name, {
    configurable: true,
    get: () => undefined,
    set: () => {
      throw new TypeError(`Response set: ${name === 'staleWhileRevalidate' ? 'swr' : name} must be set only on unsent cache transaction responses`);
    },
  });
}

export { FastlyResponse as Response };

function overrideLike(o: CacheOverride | undefined): CacheOverrideLike | undefined {
  if (!o) return undefined;
  return {
    mode: o.mode,
    ttl: o.ttl,
    swr: o.swr,
    staleIfError: o.staleIfError,
    surrogateKey: o.surrogateKey,
    pci: o.pci,
    beforeSend: o.beforeSend as CacheOverrideLike['beforeSend'],
    afterSend: o.afterSend as CacheOverrideLike['afterSend'],
  };
}

export function fetch(input: RequestInfo | URL, init?: FastlyRequestInit): Promise<Response> {
  const host = requestHost('fetch');
  let request: FastlyRequest;
  try {
    request = input instanceof FastlyRequest && init === undefined ? input : new FastlyRequest(input, init);
  } catch (err) {
    return Promise.reject(err);
  }
  const ex = extras.get(request) ?? {};
  const backend = ex.backend ?? defaultBackend();
  const pending = host.fetch(request, { backend, cacheOverride: overrideLike(ex.cacheOverride), cacheKey: ex.cacheKey });
  return pending.then((response) => {
    markFetchedHeaders(response.headers);
    if (backend !== undefined && !Object.prototype.hasOwnProperty.call(response, 'backend')) {
      Object.defineProperty(response, 'backend', { value: Backend.fromName(backend), enumerable: true });
    }
    return response;
  });
}

export function addEventListener(type: string, listener: (event: unknown) => unknown): void {
  if (type !== 'fetch') return;
  if (typeof listener !== 'function') {
    console.error('Error: addEventListener: Argument 2 is not a function.');
    return;
  }
  const host = slot().loading;
  if (!host) throw new TypeError('addEventListener: fetch handlers can only be added while the service is being initialised');
  host.register({ handler: listener, Request: FastlyRequest });
}
