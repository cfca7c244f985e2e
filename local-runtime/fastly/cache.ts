/**
 * `fastly:cache` — the Core cache's non-transactional calls, `CoreCache.lookup`
 * and `CoreCache.insert`, with js-compute 3.46's argument checks and errors
 * and Viceroy 0.22.0's host behaviour (see ../core-cache.ts). A runtime
 * started with `coreCache: false` models a host without the Core cache: every
 * call fails as an unsupported host call. Transactional lookups and
 * `SimpleCache` are not modelled.
 */
import { requestHost } from '../context.ts';
import { type CoreCacheObject, type CoreCacheStore, HostCallError } from '../core-cache.ts';

/** js-compute's own limit on a key, in characters (the host's is lower: 4,096 bytes). */
const MAX_KEY_CHARS = 8135;

const encoder = new TextEncoder();

function store(call: string): CoreCacheStore {
  const host = requestHost('The CoreCache builtin');
  if (!host.coreCache) throw new HostCallError(call, 'Unsupported operation');
  return host.coreCache;
}

function checkKey(method: string, key: unknown): string {
  const k = String(key);
  if (k === '') throw new Error(`CoreCache.${method}: key can not be an empty string`);
  if (k.length > MAX_KEY_CHARS) throw new Error(`CoreCache.${method}: key is too long, the maximum allowed length is ${MAX_KEY_CHARS}.`);
  return k;
}

function bytes(value: unknown): Uint8Array {
  if (value === undefined || value === null) return new Uint8Array(0);
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  return encoder.encode(String(value));
}

function milliseconds(value: unknown, field: string, required: boolean): number {
  if (value === undefined) {
    if (required) throw new Error(`${field} is required`);
    return 0;
  }
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${field} field is an invalid value, only positive numbers can be used for ${field} values.`);
  return Math.floor(n);
}

export interface InsertOptions {
  maxAge: number;
  staleWhileRevalidate?: number;
  initialAge?: number;
  length?: number;
  userMetadata?: ArrayBufferView | ArrayBuffer | URLSearchParams | string;
  vary?: string[];
  surrogateKeys?: string[];
  sensitive?: boolean;
  headers?: HeadersInit;
}

export class CacheState {
  readonly #found: boolean;
  readonly #stale: boolean;
  constructor(found: boolean, stale: boolean) {
    this.#found = found;
    this.#stale = stale;
  }
  found(): boolean {
    return this.#found;
  }
  usable(): boolean {
    return this.#found;
  }
  stale(): boolean {
    return this.#stale;
  }
  mustInsertOrUpdate(): boolean {
    return false;
  }
}

export class CacheEntry {
  #object: CoreCacheObject | undefined;
  readonly #store: CoreCacheStore;

  constructor(object: CoreCacheObject, cache: CoreCacheStore) {
    this.#object = object;
    this.#store = cache;
  }

  #open(call: string): CoreCacheObject {
    if (!this.#object) throw new HostCallError(call, 'Invalid handle');
    return this.#object;
  }

  close(): void {
    this.#open('close');
    this.#object = undefined;
  }

  state(): CacheState {
    const object = this.#open('get_state');
    const usable = this.#store.usable(object);
    return new CacheState(usable, this.#store.ageMs(object) >= object.maxAgeMs);
  }

  userMetadata(): ArrayBuffer {
    const meta = this.#open('userMetadata').userMetadata;
    return meta.buffer.slice(meta.byteOffset, meta.byteOffset + meta.byteLength) as ArrayBuffer;
  }

  body(): ReadableStream<Uint8Array> {
    const chunks = [...this.#open('body').chunks];
    return new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
  }

  length(): number | null {
    return this.#open('length').length;
  }

  maxAge(): number {
    return this.#open('maxAge').maxAgeMs;
  }

  age(): number {
    return Math.floor(this.#store.ageMs(this.#open('age')));
  }

  /** Viceroy refuses these two. */
  staleWhileRevalidate(): number {
    this.#open('staleWhileRevalidate');
    throw new HostCallError('staleWhileRevalidate', 'Unsupported operation');
  }

  hits(): number {
    this.#open('hits');
    throw new HostCallError('hits', 'Unsupported operation');
  }
}

/** What `CoreCache.insert` returns: the body to write the object into. */
export class FastlyBody {
  #object: CoreCacheObject | undefined;

  constructor(object: CoreCacheObject) {
    this.#object = object;
  }

  append(data: unknown): void {
    if (!this.#object) throw new HostCallError('append', 'Invalid handle');
    this.#object.chunks.push(bytes(data));
  }

  close(): void {
    if (!this.#object) throw new HostCallError('close', 'Invalid handle');
    this.#object.length ??= this.#object.chunks.reduce((n, chunk) => n + chunk.byteLength, 0);
    this.#object = undefined;
  }

  abandon(): void {
    if (!this.#object) throw new HostCallError('abandon', 'Invalid handle');
    this.#object = undefined;
  }
}

export class CoreCache {
  static lookup(key: string, _options?: { headers?: HeadersInit }): CacheEntry | null {
    const k = checkKey('lookup', key);
    const cache = store('lookup');
    const object = cache.lookup(k);
    return object ? new CacheEntry(object, cache) : null;
  }

  static insert(key: string, options: InsertOptions): FastlyBody {
    if (arguments.length < 2) throw new TypeError(`CoreCache.insert: At least 2 arguments required, but only ${arguments.length} passed`);
    const k = checkKey('insert', key);
    const o = (options ?? {}) as InsertOptions;
    const maxAgeMs = milliseconds(o.maxAge, 'maxAge', true);
    const swrMs = milliseconds(o.staleWhileRevalidate, 'staleWhileRevalidate', false);
    const initialAgeMs = milliseconds(o.initialAge, 'initialAge', false);
    const length = o.length === undefined ? null : Math.floor(Number(o.length));
    const object = store('insert').insert(k, { maxAgeMs, swrMs, initialAgeMs, userMetadata: bytes(o.userMetadata), length });
    return new FastlyBody(object);
  }
}
