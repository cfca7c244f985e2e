/**
 * Sending a request to a manifest backend over node:http(s), the way Viceroy
 * does (src/upstream.rs): the backend URL gives scheme, host, port and a path
 * prefix; `override_host` (else the request's Host, else its URL authority)
 * becomes the Host header; first-byte and between-bytes timeouts apply only
 * when the manifest sets them (Viceroy has no defaults). Every transport
 * failure becomes the platform's generic NetworkError.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { BackendDef } from './context.ts';

export function networkError(): DOMException {
  return new DOMException('NetworkError when attempting to fetch resource.', 'NetworkError');
}

/**
 * What reading a backend body rejects with once the backend breaks off after
 * its head (seen on Viceroy 0.22.0 with js-compute 3.46): a plain Error from
 * the body host call, not the NetworkError of a failed fetch. A connection
 * that ends early is an incomplete message; a between-bytes timeout is a
 * generic error.
 */
export function bodyReadError(cause: 'ended-early' | 'timed-out'): Error {
  return new Error(
    cause === 'ended-early'
      ? 'read_from_handle_all: HTTP incomplete message error. A stream ended unexpectedly.\n'
      : 'read_from_handle_all: Generic error value. This means that some unexpected error occurred during a hostcall.\n',
  );
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

/** The Host header and path Viceroy would send for `request` to `backend`. */
export function upstreamTarget(backend: BackendDef, request: Request): { host: string; path: string } {
  const reqUrl = new URL(request.url);
  const host = backend.overrideHost ?? request.headers.get('host') ?? reqUrl.host;
  let path = backend.url.pathname;
  if (!path.endsWith('/')) path += '/';
  const original = reqUrl.pathname + reqUrl.search;
  path += original.startsWith('/') ? original.slice(1) : original;
  return { host, path };
}

export interface Inflight {
  add(destroy: () => void): () => void;
}

/**
 * Idle connections kept per backend; more are closed once their exchange ends.
 * Connections open at once are not capped (Viceroy caps nothing, and Fastly's
 * `max_conn` is not modelled): a cap would queue requests behind hung ones.
 */
export const MAX_IDLE_CONNECTIONS_PER_BACKEND = 64;
/** How long an idle backend connection stays in the pool (less if the backend's `Keep-Alive: timeout=` says so). */
export const IDLE_CONNECTION_MS = 1000;

type AgentLike = http.Agent & {
  keepSocketAlive(socket: Socket): boolean;
  reuseSocket(socket: Socket, req: http.ClientRequest): void;
};

const onIdleEnd = Symbol('onIdleEnd');
type PooledSocket = Socket & { [onIdleEnd]?: () => void };

/**
 * Keep-alive behaviour of a pooled connection: while idle it is closed after
 * IDLE_CONNECTION_MS, and as soon as the backend closes it (so the agent never
 * hands out a socket whose FIN has already been read).
 */
function poolAgent<A extends http.Agent>(agent: A): A {
  const a = agent as unknown as AgentLike;
  const keep = a.keepSocketAlive.bind(a);
  const reuse = a.reuseSocket.bind(a);
  a.keepSocketAlive = (socket: PooledSocket) => {
    const keepIt = keep(socket);
    if (keepIt) {
      const hinted = socket.timeout ?? 0;
      socket.setTimeout(hinted > 0 ? Math.min(hinted, IDLE_CONNECTION_MS) : IDLE_CONNECTION_MS);
      socket[onIdleEnd] ??= () => socket.destroy();
      socket.once('end', socket[onIdleEnd]);
    }
    return keepIt;
  };
  a.reuseSocket = (socket: PooledSocket, req) => {
    socket.setTimeout(0);
    if (socket[onIdleEnd]) socket.off('end', socket[onIdleEnd]);
    reuse(socket, req);
  };
  return agent;
}

/**
 * The backend connection pools of one runtime instance, one agent per backend
 * (as on Fastly, where connections are pooled per backend; per backend also
 * because TLS options such as `cert_host` differ between backends that share
 * a host and port). `destroy()` closes every pooled and active connection.
 */
export class BackendPool {
  readonly #agents = new Map<string, http.Agent>();
  #destroyed = false;

  agentFor(backend: BackendDef): http.Agent | false {
    if (this.#destroyed) return false;
    let agent = this.#agents.get(backend.name);
    if (!agent) {
      const options = { keepAlive: true, maxFreeSockets: MAX_IDLE_CONNECTIONS_PER_BACKEND, scheduling: 'lifo' as const };
      agent = poolAgent(backend.url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options));
      this.#agents.set(backend.name, agent);
    }
    return agent;
  }

  /** Closes the idle connections to `backend` (after one of them turned out to be dead). */
  dropIdle(backend: BackendDef): void {
    const agent = this.#agents.get(backend.name);
    if (!agent) return;
    for (const list of Object.values(agent.freeSockets)) for (const socket of [...(list ?? [])]) socket.destroy();
  }

  destroy(): void {
    this.#destroyed = true;
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }
}

export interface UpstreamOptions {
  inflight: Inflight;
  /** Keep-alive pools; without it every request opens its own connection. */
  pool?: BackendPool;
  onError?: (message: string) => void;
}

/**
 * Resolves after two check phases of the event loop. A pooled connection the
 * backend had already closed before our request was written shows its EOF in
 * the first poll phase after the write, i.e. before this; a backend that read
 * the request and then closed cannot be seen that soon (its read takes a poll
 * phase, our read of its close another).
 */
function twoLoopTurns(onDone: () => void): () => void {
  let inner: NodeJS.Immediate | undefined;
  const outer = setImmediate(() => {
    inner = setImmediate(onDone);
  });
  return () => {
    clearImmediate(outer);
    if (inner) clearImmediate(inner);
  };
}

/** Resolves with the backend's response head; the body is still to be read. */
export function sendUpstream(backend: BackendDef, request: Request, opts: UpstreamOptions): Promise<IncomingMessage> {
  const { host, path } = upstreamTarget(backend, request);
  const headers: Record<string, string | string[]> = { host };
  for (const [name, value] of request.headers) {
    if (HOP_BY_HOP.has(name)) continue;
    const prev = headers[name];
    headers[name] = prev === undefined ? value : ([] as string[]).concat(prev, value);
  }
  // A body of unknown length goes chunked whatever the method (Node frames it only for some methods: a DELETE's would go unframed).
  if (request.body !== null && headers['content-length'] === undefined) headers['transfer-encoding'] = 'chunked';
  const isHttps = backend.url.protocol === 'https:';
  const common = {
    host: backend.url.hostname.replace(/^\[|\]$/g, ''),
    port: backend.url.port ? Number(backend.url.port) : isHttps ? 443 : 80,
    method: request.method,
    path,
    headers,
    setHost: false,
  };
  const tlsOptions = isHttps
    ? {
        servername: backend.useSni ? (backend.certHost ?? backend.url.hostname) : undefined,
        ca: backend.caCertificates.length > 0 ? backend.caCertificates : undefined,
        cert: backend.clientCertificate?.certificate,
        key: backend.clientCertificate?.key,
        checkServerIdentity: backend.certHost
          ? (_host: string, cert: PeerCertificate) => checkServerIdentity(backend.certHost!, cert)
          : undefined,
      }
    : undefined;
  // Only a request that can be sent again as it was may be retried (as Node's
  // docs, browsers and Varnish do for a reused connection).
  const retriable = request.body === null && (request.method === 'GET' || request.method === 'HEAD');

  return new Promise<IncomingMessage>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let req: http.ClientRequest;
    let stopWindow: (() => void) | undefined;
    const fail = (why: string): void => {
      if (timer) clearTimeout(timer);
      stopWindow?.();
      if (settled) return;
      settled = true;
      untrack();
      opts.onError?.(`Backend connection error for '${backend.name}' (${backend.url.href}): ${why}`);
      reject(networkError());
    };
    const send = (agent: http.Agent | false, mayRetry: boolean): void => {
      const options = { ...common, ...tlsOptions, agent };
      const r = isHttps ? https.request(options) : http.request(options);
      req = r;
      // The classic keep-alive race: a pooled connection closed by the backend
      // just as we reuse it. If it fails before any response byte, soon enough
      // that the backend cannot have read our request, send it once more on a
      // new connection.
      // (The agent hands out a pooled socket synchronously, in http.request.)
      let stale = mayRetry && r.reusedSocket;
      if (stale) stopWindow = twoLoopTurns(() => (stale = false));
      r.on('error', (err) => {
        if (settled || req !== r) return;
        stopWindow?.();
        if (stale && opts.pool) {
          opts.pool.dropIdle(backend);
          send(opts.pool.agentFor(backend), false);
          return;
        }
        fail(err.message);
      });
      r.on('response', (res) => {
        stopWindow?.();
        if (timer) clearTimeout(timer);
        if (settled || req !== r) {
          res.destroy();
          return;
        }
        settled = true;
        untrack();
        resolve(res);
      });
      if (request.body === null) {
        r.end();
      } else {
        const body = Readable.fromWeb(request.body as import('node:stream/web').ReadableStream);
        body.on('error', (err) => {
          r.destroy(err);
        });
        body.pipe(r);
      }
    };
    const untrack = opts.inflight.add(() => {
      req.destroy();
      fail('runtime closed');
    });
    if (backend.firstByteTimeoutMs !== undefined) {
      timer = setTimeout(() => {
        req.destroy();
        fail(`Timed out waiting for first byte of response (${backend.firstByteTimeoutMs} ms)`);
      }, backend.firstByteTimeoutMs);
    }
    const agent = opts.pool?.agentFor(backend) ?? false;
    send(agent, retriable && agent !== false);
  });
}

/**
 * The body of a backend response as a Web stream. Reads are driven by the
 * consumer unless `drain()` is called (the cache then reads the whole body,
 * as the edge does, whatever the client does). A reset or a between-bytes
 * stall errors the stream with the runtime's body-read error.
 */
export class UpstreamBody {
  readonly stream: ReadableStream<Uint8Array>;
  readonly #res: IncomingMessage;
  readonly #betweenBytesMs?: number;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #timer?: NodeJS.Timeout;
  #done = false;
  #eager = false;
  #chunks?: Uint8Array[];
  #captured?: { resolve: (body: Uint8Array) => void; reject: (err: unknown) => void };
  readonly #untrack: () => void;

  #failure?: unknown;

  /** `record`: keep every chunk from the start, so that `drain` has the whole body however late it is called (a body the cache may store). */
  constructor(res: IncomingMessage, betweenBytesMs: number | undefined, inflight: Inflight, record = false) {
    if (record) this.#chunks = [];
    this.#res = res;
    this.#betweenBytesMs = betweenBytesMs;
    this.#untrack = inflight.add(() => this.#fail(bodyReadError('timed-out')));
    res.pause();
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
          res.on('data', (chunk: Buffer) => this.#onData(chunk));
          res.on('end', () => this.#onEnd());
          res.on('error', () => this.#fail(bodyReadError('ended-early')));
          res.on('close', () => {
            if (!this.#done) this.#fail(bodyReadError('ended-early'));
          });
        },
        pull: () => {
          this.#resume();
        },
        cancel: () => {
          this.#failure = new Error('body cancelled');
          this.#finish();
          res.destroy();
          this.#captured?.reject(new Error('body cancelled'));
        },
      },
      { highWaterMark: 1 },
    );
  }

  /** Reads the whole body now; resolves with its bytes (the stream still yields them). */
  drain(): Promise<Uint8Array> {
    if (this.#done) return this.#failure === undefined && this.#chunks ? Promise.resolve(concat(this.#chunks)) : Promise.reject(this.#failure ?? new Error('drain: the body was read before it was recorded'));
    this.#chunks ??= [];
    const p = new Promise<Uint8Array>((resolve, reject) => {
      this.#captured = { resolve, reject };
    });
    this.#eager = true;
    this.#resume();
    return p;
  }

  #armTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#betweenBytesMs === undefined || this.#done) return;
    this.#timer = setTimeout(() => this.#fail(bodyReadError('timed-out')), this.#betweenBytesMs);
  }

  #resume(): void {
    if (this.#done) return;
    this.#res.resume();
    this.#armTimer();
  }

  #onData(chunk: Buffer): void {
    if (this.#done) return;
    const bytes = new Uint8Array(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength));
    this.#chunks?.push(bytes);
    try {
      this.#controller.enqueue(bytes);
    } catch {
      // the consumer cancelled; keep draining for the cache
    }
    if (!this.#eager && (this.#controller.desiredSize ?? 1) <= 0) {
      this.#res.pause();
      if (this.#timer) clearTimeout(this.#timer);
    } else {
      this.#armTimer();
    }
  }

  #onEnd(): void {
    if (this.#done) return;
    this.#finish();
    try {
      this.#controller.close();
    } catch {
      // already cancelled
    }
    if (this.#captured) this.#captured.resolve(concat(this.#chunks ?? []));
  }

  #finish(): void {
    this.#done = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#untrack();
  }

  #fail(err: unknown): void {
    if (this.#done) return;
    this.#failure = err;
    this.#finish();
    this.#res.destroy();
    try {
      this.#controller.error(err);
    } catch {
      // already closed
    }
    this.#captured?.reject(err);
  }
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Response headers as a Headers object, without hop-by-hop fields. */
export function responseHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'connection' || lower === 'keep-alive' || lower === 'transfer-encoding') continue;
    headers.append(name, raw[i + 1]!);
  }
  return headers;
}
