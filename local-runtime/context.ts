/**
 * Per-request context shared by the host side of the local runtime and the
 * copies of the `fastly:*` modules bundled into a service.
 *
 * Both sides reach the same AsyncLocalStorage through a well-known symbol on
 * globalThis, so several runtime instances can live in one process.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CoreCacheStore } from './core-cache.ts';

export type Health = 'healthy' | 'unhealthy' | 'unknown';

export interface BackendDef {
  name: string;
  url: URL;
  overrideHost?: string;
  certHost?: string;
  useSni: boolean;
  grpc: boolean;
  firstByteTimeoutMs?: number;
  betweenBytesTimeoutMs?: number;
  health: Health;
  caCertificates: string[];
  clientCertificate?: { certificate: string; key: string };
}

/** What the host fetch needs to know about a CacheOverride (read by duck typing). */
export interface CacheOverrideLike {
  mode: 'none' | 'pass' | 'override';
  ttl?: number;
  swr?: number;
  staleIfError?: number;
  surrogateKey?: string;
  pci?: boolean;
  beforeSend?: (request: Request) => unknown;
  afterSend?: (response: Response) => unknown;
}

export interface HostFetchOptions {
  backend?: string;
  cacheOverride?: CacheOverrideLike;
  cacheKey?: string;
}

export type FetchHandler = (event: unknown) => unknown;

/** Handed over by the bundled shim when the service registers its handler. */
export interface GuestBindings {
  handler: FetchHandler;
  /** The bundle's Request class, used for `event.request`. */
  Request: typeof Request;
}

export interface HostApi {
  readonly backends: ReadonlyMap<string, BackendDef>;
  readonly configStores: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly secretStores: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>;
  readonly httpCache: boolean;
  /** The Core cache (`fastly:cache`) shared by the instance's requests; absent models a host without it. */
  readonly coreCache: CoreCacheStore | undefined;
  log(endpoint: string, line: string): void;
  /** May throw synchronously (like the platform does for some errors). */
  fetch(request: Request, options: HostFetchOptions): Promise<Response>;
  register(bindings: GuestBindings): void;
}

export interface Scope {
  host: HostApi;
  phase: 'init' | 'request';
  traceId?: string;
  /** Set at init when the service made a host call that traps at Wizer time (the build fails). */
  trap?: string;
}

interface Slot {
  als: AsyncLocalStorage<Scope>;
  /** The instance whose service is being loaded (loads are serialised). */
  loading?: HostApi;
}

const KEY = Symbol.for('govuk-failover.local-runtime');

export function slot(): Slot {
  const g = globalThis as unknown as Record<symbol, Slot | undefined>;
  let s = g[KEY];
  if (!s) {
    s = { als: new AsyncLocalStorage<Scope>() };
    g[KEY] = s;
  }
  return s;
}

export function currentScope(): Scope | undefined {
  return slot().als.getStore();
}

/** The host of the current request; throws like a host call made at Wizer (init) time. */
export function requestHost(apiName: string): HostApi {
  const scope = currentScope();
  if (!scope || scope.phase !== 'request') throw initOnlyError(apiName);
  return scope.host;
}

/** js-compute's words for a request-only API used at Wizer (init) time. */
function initOnlyError(apiName: string): TypeError {
  return new TypeError(`${apiName} can only be used during request handling, not during initialization`);
}

/** For builtins that exist at init time but may not be constructed then (Request, Response). */
export function refuseAtInit(apiName: string): void {
  if (currentScope()?.phase === 'init') throw initOnlyError(apiName);
}

/**
 * The host of the current request, for host calls that js-compute cannot
 * even attempt at Wizer time: there the call traps and js-compute-runtime
 * fails the build (`the wizer.initialize function trapped: attempted to call
 * an unknown imported function: '<module>' '<name>'`). The double throws, and
 * marks the load as failed even if the service catches the error.
 */
export function requestHostOrTrap(hostcall: readonly [module: string, name: string]): HostApi {
  const scope = currentScope();
  if (scope?.phase === 'request') return scope.host;
  const message = `attempted to call an unknown imported function: '${hostcall[0]}' '${hostcall[1]}'`;
  if (scope) scope.trap ??= message;
  throw new Error(message);
}

/** The instance being initialised or serving; for APIs that are fine at init time. */
export function anyHost(): HostApi | undefined {
  return currentScope()?.host ?? slot().loading;
}
