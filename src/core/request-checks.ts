/**
 * What the service refuses before contacting any backend, each with a short
 * plain-text reason that names what was wrong and what is allowed.
 */

export const ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'] as const;
export const FAILOVER_METHODS: readonly string[] = ['GET', 'HEAD'];
/**
 * Below the JavaScript runtime's own limit: a URL over 8,192 bytes never
 * reaches the service (the runtime answers 500 with no body), so the
 * service's clear 414 must start lower to be seen at all.
 */
export const MAX_URL_BYTES = 8000;
/**
 * All request headers together, names and values. Far above what browsers
 * send (cookies included), and below the runtime's own limit on one value.
 */
export const MAX_HEADER_BYTES = 32 * 1024;
/**
 * The JavaScript runtime cannot read a header value this long or longer.
 * When the client sends one, the request's headers read as none at all (not
 * even Host), and sending that request on fails the whole instance.
 */
export const RUNTIME_HEADER_VALUE_LIMIT = 69_000;

export interface Rejection {
  readonly status: 400 | 414 | 431 | 501;
  readonly message: string;
}

/**
 * `undefined` when the request may proceed. Without `headers`, only the method
 * and URL are checked. `headersAlwaysSent`: the platform hands every request
 * over with at least Host (Fastly does), so none at all means it could not read them.
 * `path` is the URL's raw path, for a caller that has it already.
 */
export function checkRequest(method: string, url: string, headers?: Iterable<[string, string]>, headersAlwaysSent = false, path = rawPath(url)): Rejection | undefined {
  const length = utf8Length(url);
  if (length > MAX_URL_BYTES) {
    return { status: 414, message: `The URL is ${length} bytes long; the limit is ${MAX_URL_BYTES} bytes.` };
  }
  if (headers !== undefined) {
    const { count, bytes, host } = measureHeaders(headers);
    if (count === 0 && headersAlwaysSent) {
      return {
        status: 431,
        message: `The request headers could not be read: one header value is ${RUNTIME_HEADER_VALUE_LIMIT} bytes or more. The limit is ${MAX_HEADER_BYTES} bytes for all headers together.`,
      };
    }
    if (bytes > MAX_HEADER_BYTES) {
      return { status: 431, message: `The request headers are ${bytes} bytes long in all; the limit is ${MAX_HEADER_BYTES} bytes.` };
    }
    if (headersAlwaysSent) {
      const problem = hostProblem(host);
      if (problem !== undefined) return { status: 400, message: `${problem} A request needs exactly one Host header: a host name or IP address, with an optional port (1 to 65535).` };
    }
  }
  if (!(ALLOWED_METHODS as readonly string[]).includes(method)) {
    return {
      status: 501,
      message: `The method ${JSON.stringify(method.replace(/[^\x21-\x7e]/g, '?').slice(0, 32))} is not supported. Allowed: ${ALLOWED_METHODS.join(', ')}.`,
    };
  }
  const control = findControlCharacter(path);
  if (control !== undefined) {
    return { status: 400, message: `The path contains the control character ${control}; paths may not contain control characters (U+0000 to U+001F, U+007F), raw or percent-encoded.` };
  }
  return undefined;
}

/*
 * What every request runs here is plain string scanning, no regular
 * expression: on the JavaScript runtime the first one a request runs costs
 * tens of microseconds (test/core/request-checks.test.ts holds each scan to
 * the pattern it replaces).
 */

/** Bytes of `text` in UTF-8; a URL is nearly always ASCII, and then nothing needs encoding. */
function utf8Length(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return new TextEncoder().encode(text).length;
  }
  return text.length;
}

/** How many headers, the bytes of the header block as sent (`name: value` and CR LF each; UTF-16 length: header text is Latin-1), and Host. */
function measureHeaders(headers: Iterable<[string, string]>): { count: number; bytes: number; host: string | undefined } {
  let count = 0;
  let bytes = 0;
  let host: string | undefined;
  for (const [name, value] of headers) {
    count++;
    bytes += name.length + value.length + 4;
    if (name === 'host') host = value;
  }
  return { count, bytes, host };
}

/**
 * What is wrong with a Host header, or undefined. The runtime joins repeated
 * headers with `, `, and a request is sent on to origin with its Host: one
 * that is not a host would fail the send (Viceroy's worker panics on it).
 */
export function hostProblem(host: string | undefined): string | undefined {
  if (host === undefined || host === '') return 'The request has no Host header.';
  if (host.includes(',')) return 'The request has more than one Host header.';
  if (!isHostAndPort(host)) return `The Host header ${JSON.stringify(host.replace(/[^\x21-\x7e]/g, '?').slice(0, 64))} is not a host.`;
  return undefined;
}

/** `name[:port]`, `a.b.c.d[:port]` or `[v6]:port`: letters, digits, `-`, `.`, `_` (or hex and `:` within brackets), a port of 1 to 65535. By hand, as the other checks. */
function isHostAndPort(value: string): boolean {
  let i = 0;
  if (value[0] === '[') {
    const close = value.indexOf(']');
    if (close < 3) return false;
    for (i = 1; i < close; i++) {
      const c = value.charCodeAt(i);
      if (!(isHexCode(c) || c === 0x3a || c === 0x2e)) return false;
    }
    i = close + 1;
  } else {
    while (i < value.length && value[i] !== ':') {
      const c = value.charCodeAt(i);
      if (!(isLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f)) return false;
      i++;
    }
    if (i === 0 || i > 253) return false;
  }
  if (i === value.length) return true;
  if (value[i] !== ':') return false;
  const port = value.slice(i + 1);
  if (port.length === 0 || port.length > 5) return false;
  for (let j = 0; j < port.length; j++) {
    const c = port.charCodeAt(j);
    if (c < 0x30 || c > 0x39) return false;
  }
  const n = Number(port);
  return n >= 1 && n <= 65535;
}

function isHexCode(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

/**
 * The path part of a URL as sent, without query or fragment, not decoded:
 * what is left once `scheme://authority` (if the URL starts with one) and
 * everything from the first `?` or `#` are cut off.
 */
export function rawPath(url: string): string {
  const start = authorityEnd(url);
  let end = start;
  while (end < url.length && url[end] !== '?' && url[end] !== '#') end++;
  return url.slice(start, end);
}

/** Where `scheme://authority` ends (scheme: a letter, then letters, digits, `+`, `.`, `-`), or 0 when the URL does not start with one. */
function authorityEnd(url: string): number {
  if (!isLetter(url.charCodeAt(0))) return 0;
  let i = 1;
  while (i < url.length && isSchemeCharacter(url.charCodeAt(i))) i++;
  if (!url.startsWith('://', i)) return 0;
  i += 3;
  while (i < url.length && url[i] !== '/' && url[i] !== '?' && url[i] !== '#') i++;
  return i;
}

function isLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isSchemeCharacter(code: number): boolean {
  return isLetter(code) || (code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2e || code === 0x2d;
}

function findControlCharacter(path: string): string | undefined {
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return describeCode(code);
  }
  // Percent-encoded: %00 to %1F and %7F, either case.
  for (let i = path.indexOf('%'); i !== -1 && i + 2 < path.length; i = path.indexOf('%', i + 1)) {
    const high = path[i + 1]!;
    const low = path[i + 2]!;
    const encoded = ((high === '0' || high === '1') && isHexDigit(low)) || (high === '7' && (low === 'f' || low === 'F'));
    if (encoded) return `${describeCode(parseInt(path.slice(i + 1, i + 3), 16))} (as ${path.slice(i, i + 3)})`;
  }
  return undefined;
}

function isHexDigit(character: string): boolean {
  return (character >= '0' && character <= '9') || (character >= 'a' && character <= 'f') || (character >= 'A' && character <= 'F');
}

function describeCode(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
