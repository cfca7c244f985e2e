/**
 * One timed HTTP request to 127.0.0.1, the way a user's browser would feel
 * it: a fresh connection (no keep-alive) unless an agent is given, time to
 * the response head (TTFB) and to the last body byte (total). Never rejects;
 * bounded by a timeout.
 */
import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Timing {
  readonly ok: boolean;
  readonly status: number;
  /** ms from just before the request was started to the response head. NaN when none came. */
  readonly ttfbMs: number;
  /** ms to the end of the body. NaN when the exchange did not complete. */
  readonly totalMs: number;
  readonly bytes: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as text, when asked for with `keepBody`. */
  readonly body?: string;
  readonly error?: string;
}

export interface TimedGetOptions {
  /** Reuse connections (as an edge reuses its backend connections); default: a fresh connection per request. */
  readonly agent?: Agent;
  /** Keep the body, for checking what was answered. */
  readonly keepBody?: boolean;
}

const LOOPBACK = '127.0.0.1';

export function timedGet(baseUrl: string, path: string, timeoutMs: number, headers: Record<string, string> = {}, options: TimedGetOptions = {}): Promise<Timing> {
  const url = new URL(baseUrl);
  if (url.hostname !== LOOPBACK) return Promise.resolve(failed(`refusing to send to ${url.hostname}: the benchmark only talks to ${LOOPBACK}`));
  return new Promise<Timing>((resolve) => {
    let settled = false;
    let status = 0;
    let ttfb = Number.NaN;
    let bytes = 0;
    let resHeaders: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    const start = performance.now();
    const finish = (t: Timing): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(t);
    };
    const req = httpRequest({ host: LOOPBACK, port: url.port, path, method: 'GET', headers: { host: 'www.gov.uk', ...headers }, agent: options.agent ?? false });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ...failed(`no complete answer within ${timeoutMs} ms`), status, ttfbMs: ttfb, bytes, headers: resHeaders });
    }, timeoutMs);
    req.on('error', (err) => finish({ ...failed(err.message), status, ttfbMs: ttfb, bytes, headers: resHeaders }));
    req.on('response', (res) => {
      ttfb = performance.now() - start;
      status = res.statusCode ?? 0;
      resHeaders = res.headers;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (options.keepBody) chunks.push(chunk);
      });
      res.on('end', () => {
        const total = performance.now() - start;
        const body = options.keepBody ? { body: Buffer.concat(chunks).toString('utf8') } : {};
        finish({ ok: res.complete, status, ttfbMs: ttfb, totalMs: total, bytes, headers: resHeaders, ...body });
      });
      res.on('error', (err) => finish({ ...failed(err.message), status, ttfbMs: ttfb, bytes, headers: resHeaders }));
    });
    req.end();
  });
}

function failed(error: string): Timing {
  return { ok: false, status: 0, ttfbMs: Number.NaN, totalMs: Number.NaN, bytes: 0, headers: {}, error };
}
