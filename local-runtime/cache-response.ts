/**
 * The Fastly cache properties of the responses the local runtime's fetch
 * hands back, as js-compute gives them (runtime/fastly/builtins/fetch/
 * request-response.cpp), and as js-compute-runtime's own integration tests
 * assert them (the routes named in local-runtime/README.md):
 *
 * - a response through the cache reports `cached`, `stale` and `age`
 *   (read-only: assigning throws), and `ttl`, `swr`, `staleIfError`, `vary`,
 *   `surrogateKeys`, `pci`, whose setters throw outside `afterSend`;
 * - the candidate handed to `afterSend` takes changes to its status,
 *   headers and cache options, each checked as js-compute checks it, hides
 *   its body while the hook runs, and answers `staleIfErrorAvailable()`;
 * - what Fastly adds on the way out: `x-cache` (HIT or MISS) and
 *   `x-cache-hits`, and no `Surrogate-Key` / `Surrogate-Control` unless the
 *   request carried `Fastly-FF` or `Fastly-Debug`.
 */

/** The cache options of a response: what `afterSend` can change, and what a stored object keeps. */
export interface CacheOptions {
  ttl: number;
  swr: number;
  staleIfError: number;
  vary: string[];
  surrogateKeys: string[];
  pci: boolean;
}

export interface CacheInfo extends Partial<CacheOptions> {
  cached: boolean;
  stale: boolean;
  /** Seconds, with fractions. */
  age?: number;
  maskedError?: unknown;
}

const SETTABLE = ['ttl', 'swr', 'staleIfError', 'vary', 'surrogateKeys', 'pci'] as const;

function notOnThisResponse(property: string): never {
  throw new TypeError(`Response set: ${property} must be set only on unsent cache transaction responses`);
}

export const STALE_IF_ERROR_AVAILABLE_OUTSIDE_AFTER_SEND = 'Response: staleIfErrorAvailable() must can only be called on candidate responses inside afterSend callback';

function define(response: Response, name: string, descriptor: PropertyDescriptor): void {
  Object.defineProperty(response, name, { configurable: true, enumerable: true, ...descriptor });
}

/** Gives a response that came through the cache its properties, as a finished (not candidate) response. */
export function withCacheInfo(response: Response, info: CacheInfo): Response {
  define(response, 'cached', { get: () => info.cached });
  define(response, 'stale', { get: () => info.stale });
  define(response, 'age', { get: () => info.age });
  for (const name of SETTABLE) define(response, name, { get: () => info[name], set: () => notOnThisResponse(name) });
  define(response, 'staleWhileRevalidate', { get: () => info.swr, set: () => notOnThisResponse('swr') });
  define(response, 'maskedError', { value: info.maskedError, writable: true });
  define(response, 'staleIfErrorAvailable', {
    value: () => {
      throw new TypeError(STALE_IF_ERROR_AVAILABLE_OUTSIDE_AFTER_SEND);
    },
  });
  return response;
}

/** The candidate response `afterSend` sees, and what it did to it. */
export interface Candidate {
  readonly response: Response;
  /** Its cache options as they stand. */
  readonly options: CacheOptions;
  readonly status: number;
  /** Whether `afterSend` set the TTL itself. */
  readonly ttlSet: boolean;
  /** Whether its headers are not what they were when it was made. */
  headersChanged(): boolean;
  /** The hook has returned: its body is readable again, and `staleIfErrorAvailable()` throws from now on. */
  close(): void;
  /** Its options have moved to the response read back from the cache: they read as undefined on it from now on. */
  handOver(): void;
}

export function makeCandidate(response: Response, initial: CacheOptions & { age: number }, staleAvailable: () => boolean): Candidate {
  const options: CacheOptions = { ...initial, vary: [...initial.vary], surrogateKeys: [...initial.surrogateKeys] };
  const headersBefore = JSON.stringify([...response.headers]);
  let status = response.status;
  let ttlSet = false;
  let open = true;
  let handedOver = false;
  const read = <T>(value: T): T | undefined => (handedOver ? undefined : value);

  define(response, 'status', {
    get: () => status,
    set: (value: unknown) => {
      const n = Math.trunc(Number(value)) || 0;
      if ((n < 200 || n > 599) && n !== 103) throw new RangeError(`Response constructor: Invalid response status code. The status provided (${n}) is outside the range [200, 599].`);
      status = n;
    },
  });
  define(response, 'cached', { get: () => false });
  define(response, 'stale', { get: () => false });
  define(response, 'age', { get: () => read(initial.age) });
  const seconds = (name: 'ttl' | 'swr' | 'staleIfError') => ({
    get: () => read(options[name]),
    set: (value: unknown) => {
      const n = Number(value);
      if (Number.isNaN(n) || n < 0) throw new TypeError(`Response set: ${name} must be a number greater than or equal to zero`);
      options[name] = n;
      if (name === 'ttl') ttlSet = true;
    },
  });
  define(response, 'ttl', seconds('ttl'));
  define(response, 'swr', seconds('swr'));
  define(response, 'staleWhileRevalidate', seconds('swr'));
  define(response, 'staleIfError', seconds('staleIfError'));
  const strings = (name: 'vary' | 'surrogateKeys') => ({
    get: () => read(options[name]),
    set: (value: unknown) => {
      if (!Array.isArray(value)) throw new TypeError(`Response set: ${name} must be an Array`);
      if (!value.every((v) => typeof v === 'string')) throw new TypeError(`Response set: ${name} must contain only strings`);
      options[name] = [...value];
    },
  });
  define(response, 'vary', strings('vary'));
  define(response, 'surrogateKeys', strings('surrogateKeys'));
  define(response, 'pci', {
    get: () => read(options.pci),
    set: (value: unknown) => {
      if (typeof value !== 'boolean') throw new TypeError('Response set: pci must be a boolean');
      options.pci = value;
    },
  });
  define(response, 'maskedError', { value: undefined, writable: true });
  define(response, 'staleIfErrorAvailable', {
    value: () => {
      if (!open) throw new TypeError(STALE_IF_ERROR_AVAILABLE_OUTSIDE_AFTER_SEND);
      return staleAvailable();
    },
  });
  // The body stays with the response; the hook sees none (js-compute hands afterSend a body-less candidate).
  define(response, 'body', { get: () => null });
  define(response, 'bodyUsed', { get: () => false });
  for (const method of ['text', 'json', 'arrayBuffer', 'blob', 'formData', 'bytes'] as const) {
    define(response, method, { value: () => Promise.resolve(method === 'text' ? '' : method === 'arrayBuffer' ? new ArrayBuffer(0) : method === 'bytes' ? new Uint8Array(0) : undefined) });
  }

  return {
    response,
    options,
    get status() {
      return status;
    },
    get ttlSet() {
      return ttlSet;
    },
    headersChanged: () => JSON.stringify([...response.headers]) !== headersBefore,
    close() {
      open = false;
      for (const name of ['body', 'bodyUsed', 'text', 'json', 'arrayBuffer', 'blob', 'formData', 'bytes']) delete (response as unknown as Record<string, unknown>)[name];
      for (const name of [...SETTABLE, 'staleWhileRevalidate'] as const) {
        const descriptor = Object.getOwnPropertyDescriptor(response, name)!;
        define(response, name, { get: descriptor.get, set: () => notOnThisResponse(name === 'staleWhileRevalidate' ? 'swr' : name) });
      }
    },
    handOver() {
      handedOver = true;
    },
  };
}

/** What Fastly adds to an answer through the cache on its way to the service. */
export function addDeliveryHeaders(response: Response, hit: { hits: number } | null, requestHeaders: Headers): Response {
  response.headers.set('x-cache', hit ? 'HIT' : 'MISS');
  response.headers.set('x-cache-hits', String(hit ? hit.hits : 0));
  if (!requestHeaders.has('fastly-ff') && !requestHeaders.has('fastly-debug')) {
    response.headers.delete('surrogate-key');
    response.headers.delete('surrogate-control');
  }
  return response;
}
