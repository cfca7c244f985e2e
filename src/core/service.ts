/**
 * One request, start to finish: refuse bad input, decide the override, try
 * the backends, and shape the answer with its diagnostics and log line.
 * Pure: every platform service arrives through `ServiceEnv`.
 */
import { answerHeaderFilter, filteredHeaders, filtersAny } from './answer-headers.ts';
import { type AttemptRecord, contacted } from './attempt.ts';
import { type BackendName, isMirror, type MirrorName } from './backends.ts';
import { buildBackendRequest, type GcsCredentials, mirrorNames } from './backend-request.ts';
import { type CacheRule, cacheRuleFor, deliveredCacheControl } from './cache-policy.ts';
import type { Clock } from './clock.ts';
import { type Config, SECRET_KEYS } from './config.ts';
import { BACKEND_NAME_HEADER, FAILOVER_HEADER, RESTARTS_HEADER, SERVER_TIMING_HEADER, serverTiming } from './diagnostics.ts';
import { accountSessionOf, applyAccountAnswer, needsAccountChanges } from './account-session.ts';
import { type Connection, HSTS_HEADER, isShareable, keepsCookies, STRICT_TRANSPORT_SECURITY } from './edge-contract.ts';
import { ERROR_PAGE_HTML, RETRY_AFTER_SECONDS } from './error-page.ts';
import { runFailover } from './failover.ts';
import { type CacheResponse, cacheResponseOf, type EdgeFacts, type LogRecord, logRecord, NO_EDGE_FACTS, queryOf } from './log-line.ts';
import type { MirrorObjectName } from './mirror-path.ts';
import { mirrorMisses, NO_MISSES } from './mirror-misses.ts';
import { mirrorWalks } from './mirror-walk.ts';
import type { MarkStore } from './outage-memory.ts';
import type { AnswerSource } from './origin-verdict.ts';
import { watchOutage } from './outage-watch.ts';
import { decideOverride, OVERRIDE_HEADER, OVERRIDE_IGNORED_HEADER, OVERRIDE_TOKEN_HEADER, type OverrideDecision } from './override.ts';
import { type Health, isAcceptable, type Mode, planCandidates } from './policy.ts';
import { checkRequest, rawPath } from './request-checks.ts';

export interface ServiceEnv {
  readonly config: Config;
  readonly configProblems: readonly string[];
  readonly clock: Clock;
  readonly requestId: string;
  /** The client's connection, for the boundary headers origin receives. */
  readonly connection: Connection;
  /** The bucket host a mirror's backend names (its override host, or its address when a host name); null when it names none. */
  bucketHost(mirror: MirrorName): string | null;
  /** Health of a backend; a backend that does not exist counts as `unknown` (sending to it then fails). */
  health(backend: BackendName): Health;
  /** Sends a request to a backend with the given cache rule. Rejects on transport failure. */
  send(backend: BackendName, request: Request, cache: CacheRule): Promise<Response>;
  /** Reads a secret; null when absent. */
  secret(key: string): Promise<string | null>;
  /**
   * Writes one log line to the log endpoint. The line is made by `line`, which
   * the adapter calls after the answer has gone, so that neither making it nor
   * the reads it needs (the config's `log_personal_data`, the edge's facts) hold
   * the answer up.
   */
  log(line: () => LogRecord): void;
  /** What the POP knows of the client's connection, for the log line (the JA3 fingerprint only with personal data); absent: nothing. */
  readonly edgeFacts?: (withPersonalData: boolean) => EdgeFacts;
  /** Wall-clock time, for the GCS `Date` header and the log. */
  readonly date: () => Date;
  /** Where a backend's answer came from (the backend itself, or the cache); absent: always the backend. */
  readonly answerSource?: (response: Response) => AnswerSource;
  /** Marks shared by the POP's requests, for the outage memory and the mirror miss memory; absent: neither. */
  readonly popMarks?: MarkStore;
  /** Keeps the request alive until a task ends, after the answer is sent (`event.waitUntil`). */
  readonly background?: (task: Promise<unknown>) => void;
  /** Every request arrives with at least Host (true on Fastly), so a request with none had headers the runtime could not read. */
  readonly headersAlwaysSent?: boolean;
}

const NO_OVERRIDE: OverrideDecision = { kind: 'none' };

export async function serve(request: Request, env: ServiceEnv): Promise<Response> {
  const arrival: Arrival = { date: env.date(), clockMs: env.clock.now() };
  const method = request.method;
  const url = request.url;
  const requestPath = rawPath(url);
  const finish = (response: Response, fields: AnswerFields) => deliver(request, env, arrival, response, fields);
  /** A request refused before any backend: the reason in plain text, with the diagnostics every answer has. */
  const refuse = (status: number, message: string, override: string | null) => {
    const response = plainText(status, message);
    response.headers.set(BACKEND_NAME_HEADER, 'error');
    response.headers.set(RESTARTS_HEADER, '0');
    return finish(response, { backend: 'error', cacheResponse: 'ERROR', attempts: [], override });
  };

  const rejection = checkRequest(method, url, request.headers, env.headersAlwaysSent, requestPath);
  if (rejection) return refuse(rejection.status, rejection.message, null);

  const overrideHeader = request.headers.get(OVERRIDE_HEADER);
  // Nearly every request has no override: no promise, no config key read, no header to remove for it.
  const override: OverrideDecision =
    overrideHeader === null
      ? NO_OVERRIDE
      : await decideOverride({
          header: overrideHeader,
          tokenHeader: request.headers.get(OVERRIDE_TOKEN_HEADER),
          mode: env.config.backendOverride,
          expectedToken: () => env.secret(SECRET_KEYS.overrideToken),
        });
  if (overrideHeader !== null) request.headers.delete(OVERRIDE_HEADER);
  if (override.kind === 'reject') {
    return refuse(override.status, override.message, 'rejected');
  }
  const overrideBackend = override.kind === 'use' ? override.backend : undefined;
  const mode: Mode = overrideBackend ? 'override' : 'failover';

  const cookiesKept = keepsCookies(method, requestPath);
  // Read once, before origin's request drops the cookies it does not keep.
  const accountSession = accountSessionOf(request.headers.get('Cookie'));
  const shareable = isShareable(method, requestPath, request.headers, accountSession);
  // No one else could get this answer: only such an answer may set or end a session (account-session.ts).
  const personal = !shareable || mode === 'override';
  const context = {
    config: env.config,
    date: env.date,
    gcsCredentials: () => readGcsCredentials(env),
    connection: env.connection,
    cookiesKept,
    accountSession,
    bucketHost: (mirror: MirrorName) => env.bucketHost(mirror),
  };
  const send = (backend: BackendName, name?: MirrorObjectName): Promise<Response> => {
    const built = buildBackendRequest(backend, request, context, name);
    const rule = cacheRuleFor(mode, method, backend, env.config, shareable);
    return built instanceof Promise ? built.then((r) => env.send(backend, r, rule)) : env.send(backend, built, rule);
  };
  const misses = mode === 'failover' ? mirrorMisses(env.popMarks, env.config.mirrorMissMemoryS) : NO_MISSES;
  const mirrors = mirrorWalks({ clock: env.clock, names: (mirror) => mirrorNames(mirror, request, env.config), ask: send, misses });
  const candidates = planCandidates(method, overrideBackend, (b) => env.health(b));
  const outage = watchOutage({
    store: env.popMarks,
    config: env.config,
    clock: env.clock,
    path: requestPath,
    method,
    mode,
    candidates,
    acceptFromOrigin: (response) => isAcceptable(mode, method, 'origin', response),
    answerSource: env.answerSource,
    background: env.background,
  });
  const result = await runFailover(
    {
      candidates,
      hedgeAfterMs: mode === 'override' ? 0 : env.config.hedgeAfterMs,
      // A getter: the engine asks once origin's request is sent, so the outage memory is read while origin works.
      get firstHedgeAfterMs() {
        return outage.firstHedgeAfterMs;
      },
      accept: (backend, response) => isAcceptable(mode, method, backend, response),
    },
    {
      clock: env.clock,
      send: (backend) => (isMirror(backend) ? mirrors.send(backend) : outage.observe(backend, send(backend))),
    },
  );
  mirrors.finish(result.attempts);

  const overrideLog = overrideBackend ?? (override.kind === 'ignored' ? `ignored (${override.reason})` : null);
  let response: Response;
  let backend: BackendName | 'error';
  let fromCache = false;
  if (result.kind === 'answered') {
    backend = result.backend;
    fromCache = (env.answerSource?.(result.response) ?? 'backend') !== 'backend';
    response = answerFrom(result.response, backend, cookiesKept, { personal, signedIn: accountSession !== null });
    response.headers.set(RESTARTS_HEADER, String(result.restarts));
  } else {
    backend = 'error';
    response = mode === 'override' ? overrideFailure(result.attempts) : unavailablePage();
    // Every backend actually contacted failed; skipped ones (unhealthy, not configured) were not attempts.
    response.headers.set(RESTARTS_HEADER, String(result.attempts.filter(contacted).length));
  }
  response.headers.set(BACKEND_NAME_HEADER, backend);
  if (backend !== 'error' && isMirror(backend)) response.headers.set(FAILOVER_HEADER, '1');
  response.headers.set(SERVER_TIMING_HEADER, serverTiming(result.attempts, outage.suspectScope));
  const cacheControl = deliveredCacheControl(mode, backend, env.config);
  if (cacheControl !== undefined) response.headers.set('Cache-Control', cacheControl);
  if (override.kind === 'ignored') response.headers.set(OVERRIDE_IGNORED_HEADER, override.reason);
  // Past the shared cache: an override, or origin answering a request that could not share (another method included).
  const passed = mode === 'override' || (backend === 'origin' && !shareable);
  return finish(response, {
    backend,
    cacheResponse: cacheResponseOf({ backend, fromCache, passed }),
    attempts: result.attempts,
    override: overrideLog,
    suspectScope: outage.suspectScope,
    outageMemoryError: outage.problem,
    missMemoryError: misses.problem,
  });
}

/**
 * A backend's answer, with only the headers users may receive
 * (answer-headers.ts). Passed on as it is when there is nothing to remove
 * (nearly every origin answer): a new Response around the same body would
 * send every chunk through the service instead of letting the runtime stream
 * it straight to the client. Otherwise it is copied: on js-compute a header
 * deleted from a fetched response after its names were listed is still sent.
 */
function answerFrom(upstream: Response, backend: BackendName, cookiesKept: boolean, account: { personal: boolean; signedIn: boolean }): Response {
  const filter = answerHeaderFilter(backend, cookiesKept);
  const accountChanges = backend === 'origin' && needsAccountChanges(upstream.headers, account.signedIn);
  if (!accountChanges && !filtersAny(filter, upstream.headers)) return upstream;
  const headers = filteredHeaders(filter, upstream.headers);
  if (accountChanges) applyAccountAnswer(headers, account.personal, account.signedIn);
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers });
}

/** When a request arrived: the wall clock for the log, the monotonic clock for its duration. */
export interface Arrival {
  readonly date: Date;
  readonly clockMs: number;
}

/**
 * The answer when the service itself failed (a bug): still the branded page with
 * its diagnostics, and still one log line, timed from the request's arrival.
 */
export function serviceFailure(
  request: Request,
  error: string,
  env: Pick<ServiceEnv, 'config' | 'configProblems' | 'requestId' | 'clock' | 'log' | 'connection' | 'edgeFacts'>,
  arrival: Arrival,
): Response {
  const page = unavailablePage();
  page.headers.set(BACKEND_NAME_HEADER, 'error');
  page.headers.set(RESTARTS_HEADER, '0');
  page.headers.set('Cache-Control', deliveredCacheControl('failover', 'error', env.config)!);
  return deliver(request, env, arrival, page, { backend: 'error', cacheResponse: 'ERROR', attempts: [], override: null, error });
}

/** What one answer's log line says beyond the request itself. */
interface AnswerFields {
  readonly backend: BackendName | 'error';
  readonly cacheResponse: CacheResponse;
  readonly attempts: readonly AttemptRecord[];
  readonly override: string | null;
  readonly suspectScope?: string | null;
  readonly outageMemoryError?: string | null;
  readonly missMemoryError?: string | null;
  readonly error?: string;
}

type DeliverEnv = Pick<ServiceEnv, 'config' | 'configProblems' | 'requestId' | 'clock' | 'log' | 'connection' | 'edgeFacts'>;

/**
 * Every answer's last step, served or failed: GOV.UK's `Strict-Transport-Security`, and its log line, which
 * `env.log` makes once the answer has gone (the path and query are taken from the URL then, off the user's wait).
 */
function deliver(request: Request, env: DeliverEnv, arrival: Arrival, response: Response, fields: AnswerFields): Response {
  const totalMs = env.clock.now() - arrival.clockMs;
  response.headers.set(HSTS_HEADER, STRICT_TRANSPORT_SECURITY);
  const { method, url } = request;
  const userAgent = request.headers.get('User-Agent');
  const answer = { status: response.status, headers: response.headers };
  env.log(() =>
    logRecord({
      ...fields,
      received: arrival.date,
      requestId: env.requestId,
      method,
      path: rawPath(url),
      query: queryOf(url),
      clientAddress: env.connection.clientAddress,
      userAgent,
      answer,
      totalMs,
      configProblems: env.configProblems,
      personalData: env.config.logPersonalData,
      edge: env.edgeFacts?.(env.config.logPersonalData) ?? NO_EDGE_FACTS,
    }),
  );
  // A HEAD answer keeps its body here: the platform sends none for HEAD, and rebuilding the
  // response without one would change its Content-Length.
  return response;
}

export function unavailablePage(): Response {
  return new Response(ERROR_PAGE_HTML, {
    status: 503,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Retry-After': String(RETRY_AFTER_SECONDS) },
  });
}

/** With an override there is no fallback: say plainly what the named backend did. */
function overrideFailure(attempts: readonly AttemptRecord[]): Response {
  const attempt = attempts[0];
  if (!attempt) return plainText(503, 'No backend was tried.');
  const what = `${attempt.backend} ${attempt.outcome}${attempt.detail ? `: ${attempt.detail}` : ''} after ${Math.round(attempt.durationMs)} ms`;
  switch (attempt.outcome) {
    case 'timeout':
      return plainText(504, `Backend-Override: ${what}. The backend did not answer in time.`);
    case 'connection-error':
      return plainText(502, `Backend-Override: ${what}. The connection to the backend failed.`);
    default:
      return plainText(503, `Backend-Override: ${what}.`);
  }
}

export function plainText(status: number, message: string): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

async function readGcsCredentials(env: ServiceEnv): Promise<GcsCredentials | null> {
  const [accessId, secretKey] = await Promise.all([env.secret(SECRET_KEYS.gcsAccessId), env.secret(SECRET_KEYS.gcsSecretKey)]);
  return accessId && secretKey ? { accessId, secretKey } : null;
}


