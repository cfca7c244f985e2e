/** Helpers for the local runtime's own tests: throwaway origins on 127.0.0.1. */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'test-fixtures');
export const FIXTURE_SERVICE = join(FIXTURES, 'service.js');
export const FIXTURE_MANIFEST = join(FIXTURES, 'fastly.toml');

export type OriginHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Origin {
  url: string;
  port: number;
  /** Requests seen, in order. */
  seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  handler: OriginHandler;
  /** Resolves at the next request the origin receives. */
  nextRequest(): Promise<IncomingMessage>;
  close(): Promise<void>;
}

export async function startOrigin(handler: OriginHandler): Promise<Origin> {
  const sockets = new Set<Socket>();
  const waiters: ((req: IncomingMessage) => void)[] = [];
  const origin: Origin = {
    url: '',
    port: 0,
    seen: [],
    handler,
    nextRequest: () => new Promise((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    origin.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    for (const w of waiters.splice(0)) w(req);
    origin.handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin.port = typeof address === 'object' && address ? address.port : 0;
  origin.url = `http://127.0.0.1:${origin.port}`;
  return origin;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function backendsManifest(backends: Record<string, Record<string, unknown>>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { manifest_version: 3, local_server: { backends, ...extra } };
}

/** The backends the fixture service's tests use, and the manifest that names them. */
export interface FixtureBackends {
  /** Echoes `METHOD /path` and the Host it saw; `fail` → 503, `reset` → reset before the head, `halfreset` → after a chunk. */
  readonly origin: Origin;
  /** Sends the head and one chunk, then nothing (`nohead`: not even the head): for first-byte and between-bytes timeouts. */
  readonly stall: Origin;
  /** A port nothing listens on. */
  readonly refused: number;
  /** The fixture manifest over these backends, with the stall backend's timeouts. */
  manifest(slowTimeoutMs: number): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startFixtureBackends(): Promise<FixtureBackends> {
  const origin = await startOrigin((req, res) => {
    if (req.url?.includes('halfreset')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('partial-', () => req.socket.destroy());
      return;
    }
    if (req.url?.includes('reset')) {
      req.socket.destroy();
      return;
    }
    res.writeHead(req.url?.includes('fail') ? 503 : 200, { 'content-type': 'text/plain', 'x-seen-host': req.headers.host ?? '' });
    res.end(`${req.method} ${req.url}`);
  });
  const stall = await startOrigin((req, res) => {
    if (req.url?.includes('nohead')) return;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial-');
  });
  const refused = await closedPort();
  return {
    origin,
    stall,
    refused,
    manifest: (slowTimeoutMs) =>
      backendsManifest(
        {
          origin: { url: `${origin.url}/`, health: 'healthy' },
          mirror: { url: `${origin.url}/mirror-prefix`, override_host: 'mirror.example.test', health: 'unhealthy' },
          plain: { url: origin.url },
          refused: { url: `http://127.0.0.1:${refused}` },
          slow: { url: stall.url, first_byte_timeout_ms: slowTimeoutMs, between_bytes_timeout_ms: slowTimeoutMs },
        },
        {
          config_stores: { settings: { format: 'inline-toml', contents: { mode: 'normal' } }, fromjson: { format: 'json', file: 'data/config.json' } },
          secret_stores: {
            secrets: [
              { key: 'token', data: 's3cr3t' },
              { key: 'fromenv', env: 'LOCAL_RUNTIME_TEST_SECRET' },
            ],
            jsonsecrets: { file: 'data/secrets.json', format: 'json' },
          },
        },
      ),
    close: async () => {
      await origin.close();
      await stall.close();
    },
  };
}

export const FASTLY_CACHE_ROUTES = join(FIXTURES, 'fastly-cache-routes.js');

/**
 * A stand-in for http-me.fastly.dev, the backend of js-compute-runtime's
 * cache tests, with what those tests use of it: `/anything/…` echoes the
 * request as JSON (its `url` is the path and query, its `headers` the
 * request's), with CORS headers and no cache headers; `/now…` answers the
 * time and a counter, new every time; `?status=N` sets the status,
 * `?header=Name:Value` adds a header, a `/body=text` segment sets the body.
 */
export async function startHttpMe(): Promise<Origin> {
  let served = 0;
  return startOrigin((req, res) => {
    const url = new URL(req.url ?? '/', 'http://http-me.test');
    const status = Number(url.searchParams.get('status') ?? '200');
    const headers: Record<string, string> = {};
    for (const header of url.searchParams.getAll('header')) {
      const colon = header.indexOf(':');
      if (colon > 0) headers[header.slice(0, colon)] = header.slice(colon + 1);
    }
    const bodySegment = url.pathname.split('/').find((segment) => segment.startsWith('body='));
    let body: string;
    if (bodySegment !== undefined) body = decodeURIComponent(bodySegment.slice('body='.length));
    else if (url.pathname.startsWith('/anything')) {
      Object.assign(headers, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true' });
      // httpbin's shape, as http-me answers: well over 200 characters for any request.
      body = JSON.stringify({ args: Object.fromEntries(url.searchParams), data: '', files: {}, form: {}, headers: req.headers, json: null, method: req.method, origin: req.socket.remoteAddress, url: req.url }, null, 2);
    } else body = `now ${Date.now()} #${++served}\n`;
    res.writeHead(status, headers);
    res.end(status === 304 ? undefined : body);
  });
}
