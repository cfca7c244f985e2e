/**
 * The per-request log line, in GOV.UK's CDN log schema: every column of the
 * Athena table `govuk_www` (alphagov/govuk-fastly `logs/main.tf`), under the
 * same names and with the JSON types its `logging_s3` format writes, so that
 * GOV.UK's saved queries and govuk-mirror's drift checker read these lines as
 * they read the VCL service's. The failover's own fields follow, under names
 * that are not columns of that table.
 *
 * Personal data (the client's address, its TLS fingerprint, the query string)
 * is written only when the configuration says so; otherwise those are null
 * and `url` is the path alone. Cookies, tokens and keys never appear.
 */
import type { AttemptRecord } from './attempt.ts';
import type { BackendName } from './backends.ts';

/** What `fastly_info.state` reduces to in GOV.UK's `cache_response` (its `regsub`), for what this service can tell. */
export type CacheResponse = 'HIT' | 'MISS' | 'PASS' | 'ERROR';

/** The columns of `govuk_www`, with the JSON type each has in the line (null where the value is unknown or withheld). */
export const GOVUK_LOG_COLUMNS = {
  client_ip: 'string',
  request_received: 'string',
  request_received_offset: 'string',
  method: 'string',
  url: 'string',
  status: 'number',
  protocol: 'string',
  request_time: 'number',
  time_to_generate_response: 'number',
  bytes: 'number',
  content_type: 'string',
  user_agent: 'string',
  fastly_backend: 'string',
  data_centre: 'string',
  cache_hit: 'boolean',
  cache_response: 'string',
  tls_client_protocol: 'string',
  tls_client_cipher: 'string',
  client_ja3: 'string',
} as const;

export interface LogAttempt {
  readonly backend: BackendName;
  readonly outcome: string;
  readonly status: number | null;
  readonly start_ms: number;
  readonly ms: number;
  readonly detail?: string;
  /** For a mirror: the object keys asked, in order; the last one gave the outcome. */
  readonly objects?: readonly string[];
}

export interface LogRecord {
  // GOV.UK's columns, in the order its format writes them.
  readonly client_ip: string | null;
  /** `YYYY-MM-DD HH:MM:SS.mmm`, UTC, when the request arrived. */
  readonly request_received: string;
  readonly request_received_offset: '+0000';
  readonly method: string;
  /** The path as the client sent it (at most 1,000 characters), and its query string only with personal data on. */
  readonly url: string;
  readonly status: number;
  /** The HTTP version: js-compute does not tell it, so null. */
  readonly protocol: string | null;
  /** Seconds to the answer (see time_to_generate_response): the body streams after the line is made. */
  readonly request_time: number;
  /** Seconds from the request's arrival to its answer's status and headers being ready. */
  readonly time_to_generate_response: number;
  /** The body's length when the answer declares it (Content-Length, or 0 for HEAD), else null: a streamed body is not counted. */
  readonly bytes: number | null;
  readonly content_type: string | null;
  readonly user_agent: string | null;
  /** What `Fastly-Backend-Name` says: the backend that answered, or `error`. */
  readonly fastly_backend: BackendName | 'error';
  /** The POP (`FASTLY_POP`). */
  readonly data_centre: string | null;
  /** GOV.UK's `cache_hit`: true for HIT and MISS (the answer was cacheable), false for PASS and ERROR. */
  readonly cache_hit: boolean;
  readonly cache_response: CacheResponse;
  readonly tls_client_protocol: string | null;
  readonly tls_client_cipher: string | null;
  readonly client_ja3: string | null;
  // The failover's own fields.
  readonly request_id: string;
  readonly override: string | null;
  readonly attempts: readonly LogAttempt[];
  readonly config_problems?: readonly string[];
  /** Set when the outage memory held this request's scope suspect, so origin and the first mirror were asked at once. */
  readonly suspect_scope?: string;
  /** Set when the outage memory's store failed; the request was served as without the memory. */
  readonly outage_memory_error?: string;
  /** Set when the mirror miss memory's store failed; the buckets were asked as without it. */
  readonly miss_memory_error?: string;
  /** Set only when the service itself failed and answered with the 503 page. */
  readonly error?: string;
}

/** What the POP knows of the client's connection, read when the line is made (each is a host call). */
export interface EdgeFacts {
  readonly dataCentre: string | null;
  readonly tlsProtocol: string | null;
  readonly tlsCipher: string | null;
  readonly ja3: string | null;
}

export const NO_EDGE_FACTS: EdgeFacts = { dataCentre: null, tlsProtocol: null, tlsCipher: null, ja3: null };

/** The longest path written (a URL may be 8,000 bytes; a log line need not be). */
export const LOGGED_URL_CHARS = 1000;

/** The query string with its `?` as the client sent it ('' when none), without any fragment. */
export function queryOf(url: string): string {
  const fragment = url.indexOf('#');
  const beforeFragment = fragment < 0 ? url : url.slice(0, fragment);
  const start = beforeFragment.indexOf('?');
  return start < 0 ? '' : beforeFragment.slice(start);
}

/** The shortest query text looked for in free text: a shorter one would cut ordinary words. */
const QUERY_TEXT_MIN_CHARS = 4;

/**
 * Free text (an error's message, a failed attempt's detail) fit to write when
 * the query string may not be: a runtime's message can quote the URL it was
 * given, query and all. The request's own query (`query`, with its `?`), as
 * sent and decoded, becomes `…` wherever it appears, and anything after a `?`
 * is cut to `?…`.
 */
export function withoutQueries(text: string, personalData: boolean, query = ''): string {
  if (personalData) return text;
  let out = text;
  const sent = query.replace(/^\?/, '');
  let decoded = sent;
  try {
    decoded = decodeURIComponent(sent.replace(/\+/g, ' '));
  } catch {
    // A malformed escape: the query as sent is all there is to look for.
  }
  for (const form of new Set([sent, decoded])) if (form.length >= QUERY_TEXT_MIN_CHARS) out = out.split(form).join('\u2026');
  return out.replace(/\?[^\s"'<>]+/g, '?\u2026');
}

export function logRecord(fields: {
  /** When the request arrived. */
  received: Date;
  requestId: string;
  method: string;
  /** The path as sent, and the query string with its `?` ('' when none). */
  path: string;
  query: string;
  /** The client's address, from the connection. */
  clientAddress: string | null;
  userAgent: string | null;
  override: string | null;
  attempts: readonly AttemptRecord[];
  backend: BackendName | 'error';
  answer: { status: number; headers: Headers };
  cacheResponse: CacheResponse;
  totalMs: number;
  configProblems: readonly string[];
  personalData: boolean;
  edge: EdgeFacts;
  error?: string;
  suspectScope?: string | null;
  outageMemoryError?: string | null;
  missMemoryError?: string | null;
}): LogRecord {
  const seconds = roundSeconds(fields.totalMs / 1000);
  return {
    client_ip: fields.personalData ? fields.clientAddress : null,
    request_received: receivedAt(fields.received),
    request_received_offset: '+0000',
    method: fields.method,
    url: (fields.path + (fields.personalData ? fields.query : '')).slice(0, LOGGED_URL_CHARS),
    status: fields.answer.status,
    protocol: null,
    request_time: seconds,
    time_to_generate_response: seconds,
    bytes: bodyBytes(fields.method, fields.answer.headers),
    content_type: fields.answer.headers.get('Content-Type'),
    user_agent: fields.userAgent,
    fastly_backend: fields.backend,
    data_centre: fields.edge.dataCentre,
    cache_hit: fields.cacheResponse === 'HIT' || fields.cacheResponse === 'MISS',
    cache_response: fields.cacheResponse,
    tls_client_protocol: fields.edge.tlsProtocol,
    tls_client_cipher: fields.edge.tlsCipher,
    client_ja3: fields.personalData ? fields.edge.ja3 : null,
    request_id: fields.requestId,
    override: fields.override,
    attempts: fields.attempts.map((a) => ({
      backend: a.backend,
      outcome: a.outcome,
      status: a.status ?? null,
      start_ms: roundMs(a.startMs),
      ms: roundMs(a.durationMs),
      ...(a.detail ? { detail: withoutQueries(a.detail, fields.personalData, fields.query) } : {}),
      ...(a.objects ? { objects: a.objects } : {}),
    })),
    ...(fields.configProblems.length > 0 ? { config_problems: fields.configProblems } : {}),
    ...(fields.suspectScope ? { suspect_scope: fields.suspectScope } : {}),
    ...(fields.outageMemoryError ? { outage_memory_error: withoutQueries(fields.outageMemoryError, fields.personalData, fields.query) } : {}),
    ...(fields.missMemoryError ? { miss_memory_error: withoutQueries(fields.missMemoryError, fields.personalData, fields.query) } : {}),
    ...(fields.error ? { error: withoutQueries(fields.error, fields.personalData, fields.query).slice(0, 300) } : {}),
  };
}

/**
 * GOV.UK's `cache_response` for an answer: ERROR for one the service made
 * itself (a refusal, the 503 page: VCL's `error`), HIT for a copy from the
 * cache (fresh, or stale in place of an error), PASS where the request goes
 * past the shared cache (an override, a method that is not GET or HEAD, an
 * answer that may not be shared), MISS otherwise.
 */
export function cacheResponseOf(answer: { backend: BackendName | 'error'; fromCache: boolean; passed: boolean }): CacheResponse {
  if (answer.backend === 'error') return 'ERROR';
  if (answer.fromCache) return 'HIT';
  return answer.passed ? 'PASS' : 'MISS';
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC, as `%{begin:%Y-%m-%d %H:%M:%S.}t%{time.start.msec_frac}V` writes it. */
export function receivedAt(date: Date): string {
  const iso = date.toISOString(); // 2026-12-06T07:01:02.345Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

function bodyBytes(method: string, headers: Headers): number | null {
  if (method === 'HEAD') return 0;
  const length = headers.get('Content-Length');
  if (length === null || length.length === 0 || length.length > 15) return null;
  for (let i = 0; i < length.length; i++) {
    const code = length.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return null;
  }
  return Number(length);
}

function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e6;
}
