/**
 * One request/response pair as the behaviour code sees it, and the small
 * helpers they share for writing answers safely.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HeaderMap } from './behaviour.ts';

export interface Parked {
  /** Takes the exchange off the parked list without destroying anything (e.g. a delay that has elapsed). */
  unpark(): void;
}

export interface Exchange {
  /** The stub backend's id (sent as `X-Stub-Backend`). */
  readonly id: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** The raw request target. */
  readonly path: string;
  /**
   * Marks the exchange as waiting on the stub (hang, stalled body, delay): it
   * is ended by destroying its socket on the next `setBehaviour` or `close`.
   * `cleanup` runs then and also when the exchange ends in any other way.
   */
  park(cleanup?: () => void): Parked;
  /** Keeps `close()` waiting for asynchronous work (e.g. file reads) this exchange started. */
  track(work: Promise<void>): void;
}

export const STUB_BACKEND_HEADER = 'X-Stub-Backend';
export const STUB_PATH_HEADER = 'X-Stub-Path';

/** True when the response can still be written to. */
export function writable(res: ServerResponse): boolean {
  return !res.destroyed && !res.writableEnded && !res.socket?.destroyed;
}

export function applyHeaders(res: ServerResponse, headers: HeaderMap | undefined): void {
  if (headers === undefined) return;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}

/** Header-safe form of a raw request path (it is normally ASCII already). */
export function headerSafe(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURI(value);
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Statuses that never carry a body. */
export function statusHasNoBody(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200);
}
