/**
 * What a stub backend remembers about the requests it received, and waiting
 * (on events, with a bound) until enough have arrived.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Behaviour } from './behaviour.ts';

export interface RecordedRequest {
  /** 1, 2, 3… since the backend started (not reset by `resetRecording`). */
  readonly seq: number;
  readonly method: string;
  /** The request target exactly as received (not decoded, query string included). */
  readonly path: string;
  /** Lower-cased header names, as Node parses them. */
  readonly headers: IncomingHttpHeaders;
  /** Names and values in order and original case. */
  readonly rawHeaders: readonly string[];
  /** When the request headers arrived (ms since the epoch). */
  readonly time: number;
  /** The behaviour in effect when the request arrived. */
  readonly behaviour: Behaviour;
  /** What this request got: `behaviour` with any `random` choice made. */
  readonly chosen: Behaviour;
  /** The index a top-level `random` behaviour picked, else undefined. */
  readonly choice: number | undefined;
  /** The request body (utf-8, first `MAX_RECORDED_BODY_BYTES` bytes); filled in once it has been read. */
  body: string;
  /** Total request body bytes received so far. */
  bodyBytes: number;
}

export const MAX_RECORDED_BODY_BYTES = 64 * 1024;
export const DEFAULT_MAX_RECORDED_REQUESTS = 10_000;
export const MAX_WAIT_MS = 600_000;

interface Waiter {
  readonly n: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class Recorder {
  /** The first `maxRecorded` requests since the last reset (later ones are counted in `hits` only). */
  readonly requests: RecordedRequest[] = [];
  private count = 0;
  private nextSeq = 1;
  private readonly waiters = new Set<Waiter>();
  private closedWith: Error | undefined;

  constructor(
    private readonly id: string,
    private readonly maxRecorded: number = DEFAULT_MAX_RECORDED_REQUESTS,
  ) {}

  /** Requests received since the start or the last reset. */
  get hits(): number {
    return this.count;
  }

  takeSeq(): number {
    return this.nextSeq++;
  }

  add(r: RecordedRequest): void {
    this.count++;
    if (this.requests.length < this.maxRecorded) this.requests.push(r);
    for (const w of this.waiters) {
      if (this.count >= w.n) this.settle(w, undefined);
    }
  }

  reset(): void {
    this.requests.length = 0;
    this.count = 0;
  }

  /** Resolves once `hits >= n`; rejects after `timeoutMs` or when the backend closes. */
  wait(n: number, timeoutMs: number): Promise<void> {
    if (!Number.isInteger(n) || n < 0) return Promise.reject(new RangeError(`waitForRequests: n must be an integer >= 0, got ${n}`));
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_WAIT_MS) {
      return Promise.reject(new RangeError(`waitForRequests: timeoutMs must be in (0, ${MAX_WAIT_MS}], got ${timeoutMs}`));
    }
    if (this.count >= n) return Promise.resolve();
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(
          waiter,
          new Error(`stub backend ${this.id}: waited ${timeoutMs}ms for ${n} request(s), got ${this.count}`),
        );
      }, timeoutMs);
      const waiter: Waiter = { n, resolve, reject, timer };
      this.waiters.add(waiter);
    });
  }

  /** Rejects every pending wait; later waits that are not already satisfied reject at once. */
  close(reason: Error): void {
    this.closedWith = reason;
    for (const w of this.waiters) this.settle(w, reason);
  }

  private settle(w: Waiter, err: Error | undefined): void {
    if (!this.waiters.delete(w)) return;
    clearTimeout(w.timer);
    if (err) w.reject(err);
    else w.resolve();
  }
}
