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
 */
export function checkRequest(method: string, url: string, headers?: Iterable<[string, string]>, headersAlwaysSent = false): Rejection | undefined {
  const length = new TextEncoder().encode(url).length;
  if (length > MAX_URL_BYTES) {
    return { status: 414, message: `The URL is ${length} bytes long; the limit is ${MAX_URL_BYTES} bytes.` };
  }
  if (headers !== undefined) {
    const { count, bytes } = measureHeaders(headers);
    if (count === 0 && headersAlwaysSent) {
      return {
        status: 431,
        message: `The request headers could not be read: one header value is ${RUNTIME_HEADER_VALUE_LIMIT} bytes or more. The limit is ${MAX_HEADER_BYTES} bytes for all headers together.`,
      };
    }
    if (bytes > MAX_HEADER_BYTES) {
      return { status: 431, message: `The request headers are ${bytes} bytes long in all; the limit is ${MAX_HEADER_BYTES} bytes.` };
    }
  }
  if (!(ALLOWED_METHODS as readonly string[]).includes(method)) {
    return {
      status: 501,
      message: `The method ${JSON.stringify(method.replace(/[^\x21-\x7e]/g, '?').slice(0, 32))} is not supported. Allowed: ${ALLOWED_METHODS.join(', ')}.`,
    };
  }
  const path = rawPath(url);
  const control = findControlCharacter(path);
  if (control !== undefined) {
    return { status: 400, message: `The path contains the control character ${control}; paths may not contain control characters (U+0000 to U+001F, U+007F), raw or percent-encoded.` };
  }
  return undefined;
}

/** How many headers, and the bytes of the header block as sent: `name: value` and CR LF each (UTF-16 length: header text is Latin-1). */
function measureHeaders(headers: Iterable<[string, string]>): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const [name, value] of headers) {
    count++;
    bytes += name.length + value.length + 4;
  }
  return { count, bytes };
}

/** The path part of a URL as sent, without query or fragment, not decoded. */
export function rawPath(url: string): string {
  const afterScheme = url.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/, '');
  const end = afterScheme.search(/[?#]/);
  return end === -1 ? afterScheme : afterScheme.slice(0, end);
}

function findControlCharacter(path: string): string | undefined {
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return describeCode(code);
  }
  const encoded = /%(?:[01][0-9a-fA-F]|7[fF])/.exec(path);
  if (encoded) return `${describeCode(parseInt(encoded[0].slice(1), 16))} (as ${encoded[0]})`;
  return undefined;
}

function describeCode(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
