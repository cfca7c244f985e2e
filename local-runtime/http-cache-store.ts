/**
 * What Fastly's readthrough (HTTP) cache holds, for the local runtime: stored
 * objects by key and variant, what a response's headers say about storing it,
 * the markers an `'uncacheable'` answer leaves (hit-for-pass), and the fetches
 * under way that later requests for the same key wait on (request collapsing).
 * The flow of one fetch through it is http-cache.ts.
 */

export const DEFAULT_TTL_SECONDS = 3600;
const CACHEABLE_STATUSES = new Set([200, 203, 300, 301, 302, 404, 410]);

export interface StoredObject {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
  storedAt: number;
  /** The age the object had when stored (its `Age` header), seconds. */
  initialAgeSeconds: number;
  /** Seconds of freshness from the moment it was stored (so it is fresh while its age is under initial age + ttl). */
  ttl: number;
  swr: number;
  staleIfError: number;
  /** The vary rule as set (`res.vary`), and the request's values of those headers. */
  varyNames: string[];
  varyValues: (string | null)[];
  surrogateKeys: string[];
  pci: boolean;
  /** Times it has been served from the cache. */
  hits: number;
}

/** What Fastly's readthrough cache reads from a backend response's headers. */
export interface CachePolicy {
  cacheable: boolean;
  /** The freshness lifetime the headers give (before the response's own age is taken off). */
  ttl: number;
  swr: number;
  staleIfError: number;
  initialAgeSeconds: number;
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

/**
 * Surrogate-Control max-age, Cache-Control s-maxage, max-age, Expires, else
 * 3600 s; `private` / `no-store` are not stored (Fastly's docs say `no-cache`
 * is ignored by Fastly, so it is ignored here); statuses 200 203 300 301 302
 * 404 410 are stored by default.
 */
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
    cacheable: CACHEABLE_STATUSES.has(status) && !cc.has('private') && !cc.has('no-store') && !sc.has('no-store') && vary?.trim() !== '*',
    ttl: ttl ?? DEFAULT_TTL_SECONDS,
    swr: seconds(sc.get('stale-while-revalidate')) ?? seconds(cc.get('stale-while-revalidate')) ?? 0,
    staleIfError: seconds(sc.get('stale-if-error')) ?? seconds(cc.get('stale-if-error')) ?? 0,
    initialAgeSeconds: seconds(headers.get('age')?.trim() ?? undefined) ?? 0,
  };
}

export function ageMs(obj: StoredObject, now: number): number {
  return obj.initialAgeSeconds * 1000 + Math.max(0, now - obj.storedAt);
}

/** Seconds the object is fresh for, counted from age 0. */
function maxAge(obj: StoredObject): number {
  return obj.initialAgeSeconds + obj.ttl;
}

export function isFresh(obj: StoredObject, now: number): boolean {
  return ageMs(obj, now) < maxAge(obj) * 1000;
}
export function withinSwr(obj: StoredObject, now: number): boolean {
  return ageMs(obj, now) < (maxAge(obj) + obj.swr) * 1000;
}
export function withinStaleIfError(obj: StoredObject, now: number): boolean {
  return ageMs(obj, now) < (maxAge(obj) + obj.staleIfError) * 1000;
}
/** Seconds of freshness left (what a hit reports as its `ttl`). */
export function remainingTtl(obj: StoredObject, now: number): number {
  return Math.max(0, maxAge(obj) - ageMs(obj, now) / 1000);
}

/** A fetch under way for a key: later requests for it wait, then get its stored object (or, if it stored none, fetch themselves). */
interface Inflight {
  readonly done: Promise<StoredObject | undefined>;
}

/** The per-instance object store: key → variants (by Vary), hit-for-pass markers, fetches under way. */
export class HttpCacheStore {
  readonly #objects = new Map<string, StoredObject[]>();
  readonly #uncacheableUntil = new Map<string, number>();
  readonly #inflight = new Map<string, Inflight>();

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
    this.#uncacheableUntil.delete(key);
  }

  /** An `'uncacheable'` answer: until `until`, requests for the key go to the backend each, without waiting on one another. */
  recordUncacheable(key: string, until: number): void {
    this.#uncacheableUntil.set(key, until);
  }

  isUncacheable(key: string, now: number): boolean {
    const until = this.#uncacheableUntil.get(key);
    if (until === undefined) return false;
    if (now < until) return true;
    this.#uncacheableUntil.delete(key);
    return false;
  }

  /** The fetch under way for `key`, if any. */
  inflight(key: string): Inflight | undefined {
    return this.#inflight.get(key);
  }

  /** Marks a fetch for `key` as under way until `done` settles. */
  lead(key: string, done: Promise<StoredObject | undefined>): void {
    const entry: Inflight = { done };
    this.#inflight.set(key, entry);
    const clear = () => {
      if (this.#inflight.get(key) === entry) this.#inflight.delete(key);
    };
    done.then(clear, clear);
  }

  get size(): number {
    let n = 0;
    for (const v of this.#objects.values()) n += v.length;
    return n;
  }

  clear(): void {
    this.#objects.clear();
    this.#uncacheableUntil.clear();
  }
}
