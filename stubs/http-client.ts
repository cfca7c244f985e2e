/**
 * A bounded, connection-per-request HTTP client for tests: sends the path
 * exactly as given (no normalisation, so `%2520` stays `%2520`), never
 * rejects, and tells apart "no answer", "answer with a broken body" and
 * "complete answer". Everything it opens is closed when `done` settles.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

export interface StubRequestOptions {
  readonly method?: string;
  /** Raw request target, default `/`. */
  readonly path?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string | Uint8Array;
  /** Gives up (code `TIMEOUT`) after this long. Default 5000. */
  readonly timeoutMs?: number;
}

export type StubRequestOutcome =
  /** Headers and the whole body arrived. */
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      readonly body: Buffer;
      readonly text: string;
    }
  /** Headers arrived, the body did not complete (`code`: ECONNRESET, TIMEOUT, ABORTED…). */
  | {
      readonly kind: 'broken-body';
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      readonly body: Buffer;
      readonly code: string;
    }
  /** No response headers (`code`: ECONNREFUSED, ECONNRESET, TIMEOUT, ABORTED…). */
  | { readonly kind: 'no-response'; readonly code: string; readonly message: string };

export interface StubRequest {
  /** Resolves with status and headers when they arrive; rejects if they never do. */
  readonly response: Promise<{ status: number; headers: IncomingHttpHeaders }>;
  /** Resolves once at least `n` body bytes have arrived; rejects if the exchange ends first. */
  bodyBytes(n: number): Promise<void>;
  /** Settles (never rejects) when the exchange is over and its socket closed. */
  readonly done: Promise<StubRequestOutcome>;
  /** Ends the exchange now (code `ABORTED`). */
  abort(): void;
}

const MAX_BODY = 64 * 1024 * 1024;

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERROR';
}

function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Starts a request to `baseUrl` (e.g. `stub.url`) + `options.path`. */
export function startStubRequest(baseUrl: string, options: StubRequestOptions = {}): StubRequest {
  const url = new URL(baseUrl);
  const timeoutMs = options.timeoutMs ?? 5000;
  const chunks: Buffer[] = [];
  let received = 0;
  const byteWaiters = new Set<{ n: number; resolve: () => void; reject: (e: Error) => void }>();
  let head: { status: number; headers: IncomingHttpHeaders } | undefined;
  let failure: unknown;
  let complete = false;
  let settled = false;

  let resolveResponse!: (h: { status: number; headers: IncomingHttpHeaders }) => void;
  let rejectResponse!: (e: Error) => void;
  const response = new Promise<{ status: number; headers: IncomingHttpHeaders }>((res, rej) => {
    resolveResponse = res;
    rejectResponse = rej;
  });
  response.catch(() => undefined);

  let resolveDone!: (o: StubRequestOutcome) => void;
  const done = new Promise<StubRequestOutcome>((res) => (resolveDone = res));

  const req = httpRequest({
    host: url.hostname,
    port: url.port,
    method: options.method ?? 'GET',
    path: options.path ?? '/',
    headers: options.headers,
    agent: false,
  });

  const timer = setTimeout(() => req.destroy(coded(`no complete answer within ${timeoutMs}ms`, 'TIMEOUT')), timeoutMs);

  const finish = (): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    const body = Buffer.concat(chunks);
    let outcome: StubRequestOutcome;
    if (head === undefined) {
      const code = codeOf(failure);
      outcome = { kind: 'no-response', code, message: failure instanceof Error ? failure.message : 'no response' };
      rejectResponse(coded(`no response: ${code}`, code));
    } else if (complete && failure === undefined) {
      outcome = { kind: 'response', ...head, body, text: body.toString('utf8') };
    } else {
      outcome = { kind: 'broken-body', ...head, body, code: failure === undefined ? 'ECONNRESET' : codeOf(failure) };
    }
    for (const w of byteWaiters) {
      if (received >= w.n) w.resolve();
      else w.reject(coded(`exchange ended after ${received} body bytes (${outcome.kind})`, 'ENDED'));
    }
    byteWaiters.clear();
    resolveDone(outcome);
  };

  req.on('error', (err) => {
    failure ??= err;
  });
  // 'close' on the request comes after the socket has closed, also when a response was received.
  req.on('close', finish);
  req.on('response', (res) => {
    head = { status: res.statusCode ?? 0, headers: res.headers };
    resolveResponse(head);
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_BODY) {
        req.destroy(coded('body too large', 'TOO_LARGE'));
        return;
      }
      chunks.push(chunk);
      for (const w of byteWaiters) {
        if (received >= w.n) {
          byteWaiters.delete(w);
          w.resolve();
        }
      }
    });
    res.on('end', () => {
      complete = res.complete;
    });
    res.on('error', (err) => {
      failure ??= err;
    });
    res.on('aborted', () => {
      failure ??= coded('response aborted', 'ECONNRESET');
    });
  });

  if (options.body !== undefined) req.end(options.body);
  else req.end();

  return {
    response,
    done,
    bodyBytes(n: number): Promise<void> {
      if (received >= n) return Promise.resolve();
      if (settled) return Promise.reject(coded(`exchange ended after ${received} body bytes`, 'ENDED'));
      return new Promise<void>((resolve, reject) => byteWaiters.add({ n, resolve, reject }));
    },
    abort(): void {
      req.destroy(coded('aborted by the test', 'ABORTED'));
    },
  };
}

/** Sends one request and waits (bounded by `timeoutMs`) for its outcome. */
export function stubRequest(baseUrl: string, options: StubRequestOptions = {}): Promise<StubRequestOutcome> {
  return startStubRequest(baseUrl, options).done;
}
