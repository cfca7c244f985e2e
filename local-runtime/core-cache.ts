/**
 * The host side of `fastly:cache`'s Core cache: one store per runtime
 * instance, shared by all its requests (as the Core cache is shared by a
 * POP's requests, and Viceroy keeps one per process), in memory, on the
 * instance's clock, so tests can move time to expire entries.
 *
 * Modelled as Viceroy 0.22.0 does it (seen, and read in its src/cache): an
 * inserted entry is found at once, even before its body is closed; a lookup
 * finds an entry only while it is usable (age < max age + stale-while-
 * revalidate), so an entry inserted with a max age of 0 is never found;
 * keys over 4,096 bytes are refused by the host; an entry's length is known
 * once its body is closed (Viceroy learns it a moment later, when its
 * collector has read the body). Expired entries are dropped (Viceroy keeps
 * them; nobody can see the difference but the heap).
 */
import type { Clock } from './clock.ts';

/** Viceroy's limit on a cache key (its `CacheKey`), in bytes; js-compute's own is 8,135 characters. */
export const MAX_HOST_KEY_BYTES = 4096;

export interface CoreCacheObject {
  readonly insertedAt: number;
  readonly initialAgeMs: number;
  readonly maxAgeMs: number;
  readonly swrMs: number;
  readonly userMetadata: Uint8Array;
  /** The length given at insertion; else known once the body is closed. */
  length: number | null;
  readonly chunks: Uint8Array[];
}

export interface CoreCacheInsert {
  readonly maxAgeMs: number;
  readonly swrMs: number;
  readonly initialAgeMs: number;
  readonly userMetadata: Uint8Array;
  readonly length: number | null;
}

/** A host call the platform refused, worded as Viceroy words it (`<call>: <reason>.\n`). */
export class HostCallError extends Error {
  constructor(call: string, reason: 'Invalid argument' | 'Invalid handle' | 'Unsupported operation') {
    const detail = {
      'Invalid argument': 'Invalid argument.',
      'Invalid handle': 'Invalid handle. Thrown when a request, response, dictionary, or body handle is not valid.',
      'Unsupported operation': 'Unsupported operation error. This error is thrown when some operation cannot be performed, because it is not supported.',
    }[reason];
    super(`${call}: ${detail}\n`);
  }
}

const SWEEP_EVERY = 1024;

export class CoreCacheStore {
  readonly #objects = new Map<string, CoreCacheObject>();
  #insertsSinceSweep = 0;

  constructor(readonly clock: Clock) {}

  get size(): number {
    return this.#objects.size;
  }

  ageMs(object: CoreCacheObject): number {
    return this.clock.now() - object.insertedAt + object.initialAgeMs;
  }

  usable(object: CoreCacheObject): boolean {
    return this.ageMs(object) < object.maxAgeMs + object.swrMs;
  }

  lookup(key: string): CoreCacheObject | null {
    checkHostKey('lookup', key);
    const object = this.#objects.get(key);
    if (!object) return null;
    if (this.usable(object)) return object;
    this.#objects.delete(key);
    return null;
  }

  /** Stores a new object under `key` (last writer wins) and returns it, to be filled. */
  insert(key: string, options: CoreCacheInsert): CoreCacheObject {
    checkHostKey('insert', key);
    const object: CoreCacheObject = { insertedAt: this.clock.now(), ...options, chunks: [] };
    this.#objects.set(key, object);
    if (++this.#insertsSinceSweep >= SWEEP_EVERY) this.sweep();
    return object;
  }

  clear(): void {
    this.#objects.clear();
  }

  private sweep(): void {
    this.#insertsSinceSweep = 0;
    for (const [key, object] of this.#objects) if (!this.usable(object)) this.#objects.delete(key);
  }
}

function checkHostKey(call: string, key: string): void {
  if (Buffer.byteLength(key) > MAX_HOST_KEY_BYTES) throw new HostCallError(call, 'Invalid argument');
}
