/**
 * The outage memory's marks in Fastly's Core cache (`fastly:cache`), which is
 * shared by every request at a POP: a mark is an empty entry whose user
 * metadata holds its value, with a max age; a cleared mark is written with a
 * max age of 0, so a lookup no longer finds it (the Core cache has no delete,
 * and a purge would reach the whole service's surrogate keys, not one entry).
 *
 * Every call is synchronous, and throws when the host refuses: the core turns
 * that into a request served as without the memory.
 */
import { CoreCache } from 'fastly:cache';
import type { MarkStore } from '../core/outage-memory.ts';

const decoder = new TextDecoder();

export const coreCacheMarks: MarkStore = {
  read(key) {
    const entry = CoreCache.lookup(key);
    if (entry === null) return null;
    try {
      return { value: decoder.decode(entry.userMetadata()), ageMs: entry.age() };
    } finally {
      entry.close();
    }
  },
  write(key, value, ttlMs) {
    CoreCache.insert(key, { maxAge: ttlMs, userMetadata: value }).close();
  },
  clear(key) {
    CoreCache.insert(key, { maxAge: 0 }).close();
  },
};
