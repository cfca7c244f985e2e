/** Clocks for the HTTP cache: milliseconds since the epoch, movable by tests. */
export interface Clock {
  now(): number;
  advance(ms: number): void;
}

/** Wall-clock time plus an offset that `advance` moves forward. */
export class SystemClock implements Clock {
  #offset = 0;
  now(): number {
    return Date.now() + this.#offset;
  }
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance(ms) needs a finite ms >= 0');
    this.#offset += ms;
  }
}

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start: number = Date.UTC(2025, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance(ms) needs a finite ms >= 0');
    this.#now += ms;
  }
}
