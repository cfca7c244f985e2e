/**
 * `fastly:cache-override` — same construction rules and errors as
 * js-compute's CacheOverride (runtime/fastly/builtins/cache-override.cpp),
 * including `staleIfError`, which the runtime has but the 3.46 .d.ts lacks.
 */
export type CacheOverrideMode = 'none' | 'pass' | 'override';

export interface CacheOptions {
  cache?: boolean | 'uncacheable';
  bodyTransformFn?: (body: Uint8Array) => Uint8Array | PromiseLike<Uint8Array>;
}

export interface ICacheOverride {
  ttl?: number;
  swr?: number;
  staleWhileRevalidate?: number;
  staleIfError?: number;
  surrogateKey?: string;
  pci?: boolean;
  beforeSend?: (request: Request) => void | PromiseLike<void>;
  afterSend?: (response: Response) => void | CacheOptions | PromiseLike<void | CacheOptions>;
}

type Hook = (...args: never[]) => unknown;

function parseMode(value: unknown): CacheOverrideMode {
  const s = String(value);
  if (s === 'none' || s === 'pass' || s === 'override') return s;
  throw new TypeError(`CacheOverride constructor: 'mode' has to be "none", "pass", or "override", but got "${s}"`);
}

function toInt32(value: unknown, field: string): number {
  const n = Number(value) | 0;
  if (n < 0) throw new TypeError(`CacheOverride: ${field} must be a non-negative integer`);
  return n;
}

class CacheOverrideObject {
  #mode: CacheOverrideMode = 'none';
  #ttl?: number;
  #swr?: number;
  #staleIfError?: number;
  #surrogateKey?: string;
  #pci?: boolean;
  #beforeSend?: ICacheOverride['beforeSend'];
  #afterSend?: ICacheOverride['afterSend'];

  constructor(mode: CacheOverrideMode, init?: ICacheOverride);
  constructor(init?: ICacheOverride);
  constructor(modeOrInit?: CacheOverrideMode | ICacheOverride, maybeInit?: ICacheOverride) {
    if (arguments.length < 1) throw new TypeError('CacheOverride constructor: At least 1 argument required, but only 0 passed');
    let init: unknown;
    if (typeof modeOrInit === 'object' && modeOrInit !== null) {
      this.#mode = 'override';
      init = modeOrInit;
    } else {
      this.#mode = parseMode(modeOrInit);
      init = maybeInit;
    }
    if (this.#mode !== 'override') return;
    if (typeof init !== 'object' || init === null) {
      throw new Error('Creating a CacheOverride object with mode "override" requires an init object for the override parameters as the second argument');
    }
    const o = init as ICacheOverride;
    this.ttl = o.ttl;
    this.swr = o.swr;
    if (o.staleWhileRevalidate !== undefined && o.staleWhileRevalidate !== null) this.swr = o.staleWhileRevalidate;
    this.staleIfError = o.staleIfError;
    this.surrogateKey = o.surrogateKey;
    this.pci = o.pci;
    this.beforeSend = o.beforeSend;
    this.afterSend = o.afterSend;
  }

  #ensureOverride(field: string): void {
    if (this.#mode !== 'override') throw new Error(`Can't set ${field} on CacheOverride object whose mode isn't "override"`);
  }

  get mode(): CacheOverrideMode {
    return this.#mode;
  }
  set mode(value: CacheOverrideMode) {
    this.#mode = parseMode(value);
  }

  get ttl(): number | undefined {
    return this.#ttl;
  }
  set ttl(value: number | undefined) {
    this.#ensureOverride('a TTL');
    this.#ttl = value === undefined ? undefined : toInt32(value, 'ttl');
  }

  get swr(): number | undefined {
    return this.#swr;
  }
  set swr(value: number | undefined) {
    this.#ensureOverride('staleWhileRevalidate');
    this.#swr = value === undefined ? undefined : toInt32(value, 'swr');
  }

  get staleWhileRevalidate(): number | undefined {
    return this.swr;
  }
  set staleWhileRevalidate(value: number | undefined) {
    this.swr = value;
  }

  get staleIfError(): number | undefined {
    return this.#staleIfError;
  }
  set staleIfError(value: number | undefined) {
    this.#ensureOverride('staleIfError');
    this.#staleIfError = value === undefined ? undefined : toInt32(value, 'staleIfError');
  }

  get surrogateKey(): string | undefined {
    return this.#surrogateKey;
  }
  set surrogateKey(value: string | undefined) {
    this.#ensureOverride('a surrogate key');
    this.#surrogateKey = value === undefined ? undefined : String(value);
  }

  get pci(): boolean | undefined {
    return this.#pci;
  }
  set pci(value: boolean | undefined) {
    this.#ensureOverride('PCI');
    this.#pci = value === undefined ? undefined : Boolean(value);
  }

  get beforeSend(): ICacheOverride['beforeSend'] {
    return this.#beforeSend;
  }
  set beforeSend(fn: ICacheOverride['beforeSend']) {
    this.#ensureOverride('beforeSend');
    if (fn !== undefined && typeof fn !== 'function') throw new Error('CacheOverride: beforeSend must be a function');
    this.#beforeSend = fn as Hook as ICacheOverride['beforeSend'];
  }

  get afterSend(): ICacheOverride['afterSend'] {
    return this.#afterSend;
  }
  set afterSend(fn: ICacheOverride['afterSend']) {
    this.#ensureOverride('afterSend');
    if (fn !== undefined && typeof fn !== 'function') throw new Error('CacheOverride: afterSend must be a function');
    this.#afterSend = fn as Hook as ICacheOverride['afterSend'];
  }
}

/** Called without `new`, js-compute's builtin throws its own TypeError (a class would throw V8's). */
export const CacheOverride = new Proxy(CacheOverrideObject, {
  apply(): never {
    throw new TypeError('calling a builtin CacheOverride constructor without new is forbidden');
  },
});
export type CacheOverride = CacheOverrideObject;
