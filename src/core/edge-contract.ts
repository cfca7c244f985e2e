/**
 * What origin may rely on from its edge, as GOV.UK's VCL keeps it
 * (govuk-fastly `shared/_boundary_headers.vcl.tftpl` and the cookie rules of
 * `www/www.vcl.tftpl`), and which answers may be shared between users.
 *
 * - The boundary headers say who is asking, from the connection, never from
 *   the request: `Fastly-Client-IP`, `True-Client-IP` and `X-Forwarded-For`
 *   are the client's address (a value the client sent is replaced, not
 *   appended to), `X-Forwarded-Host` the Host it asked for,
 *   `X-Forwarded-Server` the cache server's name; a client's own `Client-IP`
 *   is dropped. GOV.UK's stack logs and rate-limits by them.
 * - Cookies: GET and HEAD requests reach origin without `Cookie`, and their
 *   answers reach users without `Set-Cookie`, except under the paths that
 *   need them (licence applications, email subscriptions, the sign-in
 *   callback). Other methods keep their cookies; they are never cached.
 * - GOV.UK account sessions: the session cookie reaches origin as headers
 *   (account-session.ts), whatever happens to the other cookies.
 * - Every answer carries GOV.UK's `Strict-Transport-Security`.
 * - Sharing: an answer to a request that keeps its cookies, that carries
 *   `Authorization`, or that has an account session, may depend on who asked:
 *   it is never stored nor served from the shared cache (the request is passed).
 */
import { applyAccountSession } from './account-session.ts';
import { FAILOVER_METHODS } from './request-checks.ts';

/**
 * Every answer tells browsers to use HTTPS only, for a year, as GOV.UK's VCL does in `vcl_deliver` (www.gov.uk is on
 * the browsers' preload list): a mirror's copy and the service's own pages too, which origin's header never reaches.
 */
export const HSTS_HEADER = 'Strict-Transport-Security';
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000; preload';

/** Paths under which GET and HEAD keep their cookies (the VCL's `^/(apply-for-a-licence|email|sign-in/callback/)`). */
export const COOKIE_PATH_PREFIXES = ['/apply-for-a-licence', '/email', '/sign-in/callback/'] as const;

/** The request headers the boundary sets from the connection, and the one it drops. */
export const BOUNDARY_HEADERS = {
  clientIp: 'Fastly-Client-IP',
  trueClientIp: 'True-Client-IP',
  forwardedFor: 'X-Forwarded-For',
  forwardedHost: 'X-Forwarded-Host',
  forwardedServer: 'X-Forwarded-Server',
  dropped: 'Client-IP',
} as const;

/** What the platform knows of the connection. */
export interface Connection {
  /** The client's address, as the connection gives it. */
  readonly clientAddress: string;
  /** The name of the cache server answering. */
  readonly serverHostname: string;
}

/** Whether the request's cookies reach origin: other methods always; GET and HEAD only under the cookie paths. */
export function keepsCookies(method: string, path: string): boolean {
  if (!FAILOVER_METHODS.includes(method)) return true;
  return COOKIE_PATH_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/** Whether origin's answer to a GET or HEAD may be stored and served to others (`accountSession`: the client's, or null). */
export function isShareable(method: string, path: string, headers: Headers, accountSession: string | null): boolean {
  return !keepsCookies(method, path) && !headers.has('Authorization') && accountSession === null;
}

/** Puts origin's request under the contract: the boundary headers, the account session's, and no cookie where none is kept. */
export function applyEdgeContract(headers: Headers, connection: Connection, cookiesKept: boolean, accountSession: string | null): void {
  applyAccountSession(headers, accountSession);
  const host = headers.get('Host');
  headers.set(BOUNDARY_HEADERS.clientIp, connection.clientAddress);
  headers.set(BOUNDARY_HEADERS.trueClientIp, connection.clientAddress);
  headers.set(BOUNDARY_HEADERS.forwardedFor, connection.clientAddress);
  if (host !== null) headers.set(BOUNDARY_HEADERS.forwardedHost, host);
  else headers.delete(BOUNDARY_HEADERS.forwardedHost);
  headers.set(BOUNDARY_HEADERS.forwardedServer, connection.serverHostname);
  if (headers.has(BOUNDARY_HEADERS.dropped)) headers.delete(BOUNDARY_HEADERS.dropped);
  if (!cookiesKept && headers.has('Cookie')) headers.delete('Cookie');
}
