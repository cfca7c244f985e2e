/**
 * A MarkStore in memory, on a clock the test moves: what the Core cache is to
 * the adapter (a mark is found while its age is under its TTL; a cleared mark
 * is written with a TTL of 0), with a switch that makes every call throw, as
 * a host without the cache does.
 */
import type { Mark, MarkStore } from '../../src/core/outage-memory.ts';

export class MemoryMarks implements MarkStore {
  private readonly marks = new Map<string, { value: string; writtenAt: number; ttlMs: number }>();
  /** Every call made, in order: `read key`, `write key value ttl`, `clear key`. */
  readonly calls: string[] = [];
  broken: Error | undefined;

  constructor(private readonly now: () => number) {}

  read(key: string): Mark | null {
    this.call(`read ${key}`);
    const mark = this.marks.get(key);
    if (!mark) return null;
    const ageMs = this.now() - mark.writtenAt;
    return ageMs < mark.ttlMs ? { value: mark.value, ageMs } : null;
  }

  write(key: string, value: string, ttlMs: number): void {
    this.call(`write ${key} ${value} ${ttlMs}`);
    this.marks.set(key, { value, writtenAt: this.now(), ttlMs });
  }

  clear(key: string): void {
    this.call(`clear ${key}`);
    this.marks.set(key, { value: '', writtenAt: this.now(), ttlMs: 0 });
  }

  /** Keys of the marks alive now. */
  live(): string[] {
    const now = this.now();
    return [...this.marks].filter(([, m]) => now - m.writtenAt < m.ttlMs).map(([k]) => k).sort();
  }

  private call(what: string): void {
    if (this.broken) throw this.broken;
    this.calls.push(what);
  }
}
