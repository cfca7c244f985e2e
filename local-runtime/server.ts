/**
 * The downstream side: a node:http server whose requests become FetchEvents
 * for the service, the way Viceroy + js-compute present them
 * (`event.request.url` is `http://<Host header><path>`, as Viceroy builds it).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import net, { type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { slot, type GuestBindings, type HostApi } from './context.ts';
import { lingeringHeaders } from './fetched-headers.ts';
import { frontConnection, RAW_METHOD_HEADER, REFUSE_HEADER } from './http1-front.ts';

/**
 * The JavaScript runtime's buffer for the request URL (js-compute's URI_MAX_LEN):
 * a longer URL fails the FetchEvent before the handler runs, and the client gets 500.
 */
export const MAX_GUEST_URL_BYTES = 8192;
/**
 * The runtime's buffer for one header value (HEADER_MAX_LEN). With a value this
 * long or longer the guest reads no request header at all, silently (Viceroy
 * 0.22.0: the list is empty; sending that request on then fails the instance,
 * which the double does not model: the service answers 431 first).
 */
export const MAX_GUEST_HEADER_VALUE_BYTES = 69_000;
/**
 * Viceroy's HTTP server answers 431 to a larger request head (seen on 0.22.0: a
 * 507,832-byte header passed, a 507,841-byte one got 431).
 */
export const MAX_REQUEST_HEAD_BYTES = 507_840;
const URL_TOO_LONG = 'Exception while initialization of FetchEvent\nError: init_request: Buffer length error. Buffer is too long.';

export interface DownstreamOptions {
  host: HostApi;
  bindings: () => GuestBindings | undefined;
  /** Tracks promises passed to waitUntil. */
  waitUntil(p: Promise<unknown>): void;
  errorLog(message: string): void;
}

function plain(res: ServerResponse, status: number, message = ''): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, message ? { 'content-type': 'text/plain; charset=utf-8' } : {});
  res.end(message);
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}

async function sendResponse(response: Response, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers: [string, string][] = [];
  const hasBody = response.body !== null && req.method !== 'HEAD';
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    if (name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding') continue;
    // Framing is the runtime's business (automatic framing mode): a body-less answer to anything but a HEAD has length 0.
    if ((hasBody || req.method !== 'HEAD') && name === 'content-length') continue;
    headers.push([name, value]);
  }
  for (const cookie of response.headers.getSetCookie()) headers.push(['set-cookie', cookie]);
  headers.push(...lingeringHeaders(response.headers));
  res.writeHead(response.status, response.statusText || undefined, headers.flat());
  if (!hasBody) {
    await response.body?.cancel().catch(() => undefined);
    res.end();
    return;
  }
  await pump(response.body!, res);
}

/**
 * Copies the body to the client. One 'close' listener per response (not a
 * race per chunk): a client that goes away cancels the body; a body that
 * errors after the head was sent destroys the client socket (truncated response).
 */
async function pump(body: ReadableStream<Uint8Array>, res: ServerResponse): Promise<void> {
  const reader = body.getReader();
  let gone = false;
  let wake: (() => void) | undefined;
  const onClose = (): void => {
    gone = true;
    reader.cancel().catch(() => undefined);
    wake?.();
  };
  res.once('close', onClose);
  try {
    for (;;) {
      const next = await reader.read();
      if (gone) return;
      if (next.done) break;
      if (!res.write(next.value)) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          res.once('drain', resolve);
        });
        wake = undefined;
        if (gone) return;
      }
    }
    res.off('close', onClose);
    res.end();
  } catch {
    res.off('close', onClose);
    // The body errored after the head was sent: the client sees a truncated response.
    res.destroy();
  }
}

/**
 * The listening socket (client connections go through http1-front.ts, which
 * settles what Viceroy's HTTP server takes and Node's does not), and the Node
 * HTTP server that parses what it hands on.
 */
export function createDownstreamServer(opts: DownstreamOptions): { server: net.Server; http: http.Server; sockets: Set<Socket> } {
  const sockets = new Set<Socket>();
  const httpServer = http.createServer({ maxHeaderSize: MAX_REQUEST_HEAD_BYTES }, (req, res) => {
    void handle(opts, req, res).catch((err) => {
      opts.errorLog(`local-runtime: internal error: ${describe(err)}`);
      plain(res, 500);
    });
  });
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    frontConnection(socket, httpServer, MAX_REQUEST_HEAD_BYTES);
  });
  return { server, http: httpServer, sockets };
}

/** What the http crate takes as a URI authority (seen on Viceroy 0.22.0): a bracketed IPv6 literal, or these characters. */
export function isUriAuthority(host: string): boolean {
  if (/^\[[0-9A-Fa-f:.]+\](?::[0-9]*)?$/.test(host)) return true;
  return /^[A-Za-z0-9\-._~!$&'()*+,;=:@]+$/.test(host);
}

/** js-compute's `request.method`: fetch's normalisation (the six standard methods in upper case, whatever their case), any other as sent. */
export function guestMethod(raw: string): string {
  const upper = raw.toUpperCase();
  return ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'].includes(upper) ? upper : raw;
}

async function handle(opts: DownstreamOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const refused = req.headers[REFUSE_HEADER];
  if (typeof refused === 'string') {
    // A request Viceroy's HTTP server refuses itself (http1-front.ts): its status, no body, and the connection closed.
    res.shouldKeepAlive = false;
    res.writeHead(Number(refused), { 'content-length': '0', connection: 'close' });
    res.end();
    return;
  }
  const bindings = opts.bindings();
  if (!bindings) {
    opts.errorLog('local-runtime: the service registered no fetch handler (addEventListener("fetch", …))');
    plain(res, 500);
    return;
  }
  const hostHeader = req.headers.host;
  // Viceroy hands no service a request whose Host is no URI authority (missing, empty, a space, `%`, non-ASCII …):
  // its worker panics and the connection closes unanswered. The double answers 400 instead (local-runtime/README.md).
  if (!hostHeader || !isUriAuthority(hostHeader)) {
    plain(res, 400, 'Bad Request: invalid host or URL');
    return;
  }
  // The URL js-compute hands the service: the scheme (https for an absolute https target), the Host as sent, and the
  // target's path and query as sent, up to any fragment: not normalised (`/a/../b` stays so).
  const target = req.url ?? '/';
  const absolute = /^(https?):\/\/[^/?#]*(.*)$/i.exec(target);
  const scheme = absolute ? absolute[1]!.toLowerCase() : 'http';
  const pathAndQuery = (absolute ? absolute[2] || '/' : target).split('#')[0]!;
  const raw = `${scheme}://${hostHeader}${pathAndQuery}`;
  if (Buffer.byteLength(raw) > MAX_GUEST_URL_BYTES) {
    opts.errorLog(URL_TOO_LONG);
    plain(res, 500);
    return;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // js-compute builds the request's URL before the handler runs; one it cannot parse (a port out of range,
    // `*` after a port) fails the FetchEvent: 500, no body, as on Viceroy.
    opts.errorLog(`TypeError: URL constructor: ${raw} is not a valid URL.`);
    plain(res, 500);
    return;
  }
  const headers = new Headers();
  // One value the runtime cannot read and the guest reads no header at all, as in Viceroy.
  const unreadable = req.rawHeaders.some((value, i) => i % 2 === 1 && Buffer.byteLength(value, 'latin1') >= MAX_GUEST_HEADER_VALUE_BYTES);
  let rawMethod = req.method ?? 'GET';
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === RAW_METHOD_HEADER) rawMethod = req.rawHeaders[i + 1]!;
    else if (!unreadable) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  const method = guestMethod(rawMethod);
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (hasBody) {
    init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  // A method fetch's Request refuses (CONNECT, TRACE, TRACK): js-compute hands it to the service all the same.
  const forbidden = ['CONNECT', 'TRACE', 'TRACK'].includes(method.toUpperCase());
  // Nor does it take a URL with credentials (a Host such as `user@host`), which js-compute hands on as it is.
  const bare = url.username !== '' || url.password !== '' ? new URL(url.pathname + url.search, `${url.protocol}//${url.host}`) : url;
  const request = new bindings.Request(bare, forbidden ? { ...init, method: hasBody ? 'POST' : 'GET' } : init);
  if (forbidden) Object.defineProperty(request, 'method', { value: method, enumerable: true });
  if (request.url !== raw) Object.defineProperty(request, 'url', { value: raw, enumerable: true });

  let state: 'unhandled' | 'waitToRespond' = 'unhandled';
  let dispatching = true;
  let responsePromise: Promise<unknown> | undefined;
  const remote = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const local = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
  const event = {
    type: 'fetch',
    request,
    client: {
      address: remote,
      requestId: randomUUID(),
      geo: null,
      tlsJA3MD5: null,
      tlsJA4: null,
      tlsCipherOpensslName: null,
      tlsProtocol: null,
      tlsClientCertificate: null,
      tlsClientHello: null,
      h2Fingerprint: null,
      ohFingerprint: null,
    },
    server: { address: local },
    respondWith(response: unknown): void {
      if (!dispatching) throw new Error('FetchEvent#respondWith must be called synchronously from within a FetchEvent handler');
      if (state !== 'unhandled') throw new Error("FetchEvent#respondWith can't be called twice on the same event");
      state = 'waitToRespond';
      responsePromise = Promise.resolve(response);
    },
    waitUntil(promise: Promise<unknown>): void {
      opts.waitUntil(Promise.resolve(promise));
    },
    sendEarlyHints(hints: HeadersInit): void {
      const h = new Headers(hints);
      const link = [...h].filter(([k]) => k === 'link').map(([, v]) => v);
      if (link.length > 0 && !res.headersSent) res.writeEarlyHints({ link });
    },
  };

  const scope = { host: opts.host, phase: 'request' as const };
  slot().als.run(scope, () => {
    try {
      const ret = bindings.handler.call(globalThis, event) as unknown;
      if (ret && typeof (ret as Promise<unknown>).then === 'function') {
        (ret as Promise<unknown>).then(undefined, (err) => opts.errorLog(`Error while running request handler: ${describe(err)}`));
      }
    } catch (err) {
      opts.errorLog(`Error while running request handler: ${describe(err)}`);
    }
  });
  dispatching = false;

  if (state === 'unhandled' || !responsePromise) {
    opts.errorLog('Error: the fetch handler did not call event.respondWith()');
    plain(res, 500);
    return;
  }
  let response: unknown;
  try {
    response = await responsePromise;
  } catch (err) {
    opts.errorLog(`Error while running request handler: ${describe(err)}`);
    plain(res, 500);
    return;
  }
  if (!(response instanceof Response)) {
    opts.errorLog(
      'Error while running request handler: FetchEvent#respondWith must be called with a Response object or a Promise resolving to a Response object as the first argument',
    );
    plain(res, 500);
    return;
  }
  await slot().als.run(scope, () => sendResponse(response as Response, req, res));
}
