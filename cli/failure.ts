/**
 * Why a request got no HTTP answer, in words that say what was wrong and
 * what to do: a timeout, a host that cannot be found or reached, or TLS.
 */
import { formatDuration } from './duration.ts';

export type FailureKind = 'timeout' | 'dns' | 'unreachable' | 'tls' | 'network';

export interface Failure {
  readonly kind: FailureKind;
  /** The system or library error code, when there is one (ECONNREFUSED, CERT_HAS_EXPIRED…). */
  readonly code: string | undefined;
  /** One sentence: what went wrong, and what to try. */
  readonly message: string;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EPIPE', 'ETIMEDOUT',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED',
]);
const TLS_CODE = /^(?:ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;

/** Classifies what `fetch` threw. `timedOut` is whether our own time limit ran out. */
export function describeFailure(error: unknown, url: URL, timeoutMs: number, timedOut: boolean): Failure {
  const host = url.host;
  if (timedOut || errorName(error) === 'TimeoutError') {
    return {
      kind: 'timeout',
      code: 'TIMEOUT',
      message: `no answer from ${host} within ${formatDuration(timeoutMs)} (--timeout). The service or the backend behind it is slow or stuck: try again, or allow longer with --timeout.`,
    };
  }
  const cause = rootCause(error);
  const code = cause.code;
  const detail = readable(cause.message);
  if (code !== undefined && DNS_CODES.has(code)) {
    return { kind: 'dns', code, message: `cannot find the host ${url.hostname} (${code}). Check the --service URL, your DNS and your VPN.` };
  }
  if ((code !== undefined && TLS_CODE.test(code)) || /\b(?:tls|ssl|certificate)\b/i.test(detail)) {
    return {
      kind: 'tls',
      code,
      message: `the TLS connection to ${host} failed (${code ?? 'TLS'}: ${detail}). Check the scheme (https:// for www.gov.uk, http:// for a local service) and the certificate; for a private CA set NODE_EXTRA_CA_CERTS.`,
    };
  }
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return {
      kind: 'unreachable',
      code,
      message: `cannot connect to ${host} (${code}). Check the --service URL, that the service is running, and your network.`,
    };
  }
  return { kind: 'network', code, message: `the request to ${host} failed: ${detail}${code ? ` (${code})` : ''}.` };
}

/** OpenSSL's `80BC…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:…` → `wrong version number`. */
function readable(message: string): string {
  const openssl = /:SSL routines:[^:]*:([^:]+):/.exec(message);
  return (openssl?.[1] ?? message.split('\n')[0] ?? '').trim();
}

function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
}

/** fetch wraps the socket error: TypeError('fetch failed') → cause (maybe an AggregateError of per-address errors). */
function rootCause(error: unknown): { code: string | undefined; message: string } {
  let current: unknown = error;
  for (let depth = 0; depth < 5; depth++) {
    if (typeof current !== 'object' || current === null) break;
    const e = current as { code?: unknown; cause?: unknown; errors?: unknown; message?: unknown };
    if (typeof e.code === 'string') return { code: e.code, message: String(e.message ?? e.code) };
    if (Array.isArray(e.errors) && e.errors.length > 0) current = e.errors[0];
    else if (e.cause !== undefined) current = e.cause;
    else break;
  }
  const message = typeof current === 'object' && current !== null && 'message' in current ? String(current.message) : String(current);
  return { code: undefined, message };
}
