/**
 * A Node.js double of Fastly Compute / Viceroy that runs the service's own
 * entry file for development and tests. See README.md for what it models.
 */
import { resolve } from 'node:path';
import type { Server } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import { SystemClock, type Clock } from './clock.ts';
import type { BackendDef, GuestBindings, HostApi, HostFetchOptions } from './context.ts';
import { CoreCacheStore } from './core-cache.ts';
import { HttpCacheStore, hostFetch } from './http-cache.ts';
import { loadService } from './loader.ts';
import { loadManifest, manifestFromObject, type Manifest } from './manifest.ts';
import { createDownstreamServer } from './server.ts';
import { BackendPool, type Inflight } from './upstream.ts';

export { ManualClock, SystemClock, type Clock } from './clock.ts';
export { ManifestError, loadManifest, parseManifest, manifestFromObject, type Manifest } from './manifest.ts';
export { LoadError } from './loader.ts';
export { HOOKS_WITHOUT_HTTP_CACHE, DEFAULT_TTL_SECONDS } from './http-cache.ts';

export interface LogLine {
  endpoint: string;
  line: string;
}

export interface LocalRuntimeOptions {
  /** Path to fastly.toml (default: ./fastly.toml unless `manifest` is given). */
  manifestPath?: string;
  /** A manifest already read (from loadManifest) or a parsed-TOML-shaped object. */
  manifest?: Manifest | Record<string, unknown>;
  /** Service entry file (default: src/index.ts). */
  entry?: string;
  host?: '127.0.0.1';
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  /** Clock for the HTTP cache (default: wall clock that `advance` can move). */
  clock?: Clock;
  /** Model Fastly's readthrough cache (default true); false models Viceroy. */
  httpCache?: boolean;
  /** Model the Core cache of `fastly:cache` (default true); false models a host without it (every call fails). */
  coreCache?: boolean;
  /** Print logger lines to stdout as `<endpoint> :: <line>` (default true). */
  echoLogs?: boolean;
  /** Where runtime diagnostics go (default: stderr). */
  errorLog?: (message: string) => void;
}

export interface LocalRuntime {
  url: string;
  port: number;
  clock: Clock;
  logs: LogLine[];
  manifest: Manifest;
  /** Number of objects in the HTTP cache (0 when it is off). */
  cacheSize(): number;
  /** Number of objects in the Core cache (0 when it is off). */
  coreCacheSize(): number;
  close(): Promise<void>;
}

function isManifest(m: unknown): m is Manifest {
  return typeof m === 'object' && m !== null && (m as Manifest).backends instanceof Map;
}

class Instance implements HostApi {
  readonly backends: ReadonlyMap<string, BackendDef>;
  readonly configStores: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly secretStores: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>;
  readonly httpCache: boolean;
  readonly logs: LogLine[] = [];
  readonly cache: HttpCacheStore | undefined;
  readonly coreCache: CoreCacheStore | undefined;
  readonly inflightSet = new Set<() => void>();
  readonly tasks = new Set<Promise<unknown>>();
  /** Backend connections are reused, as Fastly does. */
  readonly pool = new BackendPool();
  bindings: GuestBindings | undefined;
  closed = false;

  constructor(
    readonly manifest: Manifest,
    readonly clock: Clock,
    httpCache: boolean,
    coreCache: boolean,
    readonly echoLogs: boolean,
    readonly errorLog: (message: string) => void,
  ) {
    this.backends = manifest.backends;
    this.configStores = manifest.configStores;
    this.secretStores = manifest.secretStores;
    this.httpCache = httpCache;
    this.cache = httpCache ? new HttpCacheStore() : undefined;
    this.coreCache = coreCache ? new CoreCacheStore(clock) : undefined;
  }

  readonly inflight: Inflight = {
    add: (destroy) => {
      if (this.closed) {
        queueMicrotask(destroy);
        return () => undefined;
      }
      this.inflightSet.add(destroy);
      return () => this.inflightSet.delete(destroy);
    },
  };

  track(task: Promise<unknown>): void {
    const t = task.then(
      () => undefined,
      () => undefined,
    );
    this.tasks.add(t);
    void t.then(() => this.tasks.delete(t));
  }

  log(endpoint: string, line: string): void {
    // Like Viceroy: one trailing newline is dropped, empty lines are skipped, and the
    // line is kept as Viceroy prints it, with interior newlines written as `\n`.
    const text = (line.endsWith('\n') ? line.slice(0, -1) : line).replaceAll('\n', '\\n');
    if (text === '') return;
    this.logs.push({ endpoint, line: text });
    if (this.echoLogs) process.stdout.write(`${endpoint} :: ${text}\n`);
  }

  fetch(request: Request, options: HostFetchOptions): Promise<Response> {
    return hostFetch(
      {
        backends: this.backends,
        cache: this.cache,
        clock: this.clock,
        inflight: this.inflight,
        pool: this.pool,
        background: (p) => this.track(p),
        onError: this.errorLog,
      },
      request,
      options,
    );
  }

  register(bindings: GuestBindings): void {
    // Like js-compute, the first listener that responds wins; we keep the first.
    this.bindings ??= bindings;
  }
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const manifest = options.manifest
    ? isManifest(options.manifest)
      ? options.manifest
      : manifestFromObject(options.manifest, options.manifestPath ?? 'fastly.toml')
    : loadManifest(options.manifestPath ?? 'fastly.toml');
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error('local-runtime only listens on 127.0.0.1');
  const clock = options.clock ?? new SystemClock();
  const errorLog = options.errorLog ?? ((m: string) => process.stderr.write(`${m}\n`));
  const instance = new Instance(manifest, clock, options.httpCache ?? true, options.coreCache ?? true, options.echoLogs ?? true, errorLog);

  await loadService(resolve(options.entry ?? 'src/index.ts'), instance);
  if (!instance.bindings) errorLog('local-runtime: warning: the service added no fetch event listener');

  const waitUntils = new Set<Promise<unknown>>();
  const { server, http: httpServer, sockets } = createDownstreamServer({
    host: instance,
    bindings: () => instance.bindings,
    waitUntil: (p) => {
      const t = p.then(
        () => undefined,
        (err) => errorLog(`Error in waitUntil promise: ${err instanceof Error ? err.message : String(err)}`),
      );
      waitUntils.add(t);
      void t.then(() => waitUntils.delete(t));
    },
    errorLog,
  });
  await listen(server, host, options.port ?? 0);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    clock,
    logs: instance.logs,
    manifest,
    cacheSize: () => instance.cache?.size ?? 0,
    coreCacheSize: () => instance.coreCache?.size ?? 0,
    close: () => (closing ??= shutdown(server, httpServer, sockets, instance)),
  };
}

function listen(server: NetServer, host: string, port: number): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
}

async function shutdown(server: NetServer, httpServer: Server, sockets: Set<Socket>, instance: Instance): Promise<void> {
  instance.closed = true;
  const closed = new Promise<void>((r) => server.close(() => r()));
  for (const destroy of [...instance.inflightSet]) destroy();
  instance.inflightSet.clear();
  instance.pool.destroy();
  httpServer.closeAllConnections();
  for (const s of sockets) s.destroy();
  await closed;
  await Promise.allSettled([...instance.tasks]);
  instance.cache?.clear();
  instance.coreCache?.clear();
}
