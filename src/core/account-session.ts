/**
 * GOV.UK account sessions at the edge, as GOV.UK's VCL carries them (RFC 134;
 * govuk-fastly `www/www.vcl.tftpl`): origin never sees the session cookie, only
 * headers made from it, and sets or ends the session with headers that become
 * the cookie on the way out.
 *
 * - Request: the `__Host-govuk_account_session` cookie becomes
 *   `GOVUK-Account-Session` (its value), `GOVUK-Account-Session-Exists: 1` and,
 *   when the value holds `$$`, `GOVUK-Account-Session-Flash` (what follows the
 *   first `$$`). Any `GOVUK-Account-…` header a client sent (`_` for `-` too)
 *   is dropped first: only the cookie speaks for a session (the VCL let a
 *   client's own through).
 * - Sharing: a request with a session is passed (edge-contract.ts), so a
 *   signed-in page is never stored nor served to anyone else. The VCL shared
 *   them through `Vary`; this is stricter, and costs origin a request for each
 *   signed-in page view.
 * - Answer: `GOVUK-Account-End-Session` ends the session (an expired cookie),
 *   else `GOVUK-Account-Session` sets it (`secure; httponly; samesite=lax;
 *   path=/`); either way `no-store`, and the answer is never stored. Only an
 *   answer to a request that was not shareable may do so. An answer that
 *   varies on the session, or answers a signed-in request, becomes `private`
 *   and varies on `Cookie`. The session headers and those `Vary` entries never
 *   reach the user (the cookie is httponly: its value must not be readable in
 *   a header).
 */

export const ACCOUNT_SESSION_COOKIE = '__Host-govuk_account_session';

export const ACCOUNT_HEADERS = {
  session: 'GOVUK-Account-Session',
  exists: 'GOVUK-Account-Session-Exists',
  flash: 'GOVUK-Account-Session-Flash',
  endSession: 'GOVUK-Account-End-Session',
} as const;

const SESSION_VARY = new Set([ACCOUNT_HEADERS.session, ACCOUNT_HEADERS.exists, ACCOUNT_HEADERS.flash].map((h) => h.toLowerCase()));
const COOKIE_ATTRIBUTES = 'secure; httponly; samesite=lax; path=/';

/**
 * The session cookie's value in a `Cookie` header (the first that is not empty), or null. A cookie sent on two
 * header lines reaches the service joined by `, `, so `,` separates cookies too.
 */
export function accountSessionOf(cookieHeader: string | null): string | null {
  if (cookieHeader === null || !cookieHeader.includes(ACCOUNT_SESSION_COOKIE)) return null;
  for (const pair of cookieHeader.split(/[;,]/)) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== ACCOUNT_SESSION_COOKIE) continue;
    const value = pair.slice(eq + 1).trim();
    if (value !== '') return value;
  }
  return null;
}

/** A request header a client may mean as a session header: `GOVUK-Account-…` in any case, `_` for `-` too (Rack reads both alike). */
function isSessionHeaderName(name: string): boolean {
  return name.toLowerCase().replaceAll('_', '-').startsWith('govuk-account-');
}

/** Origin's request headers for the session (from the client's cookie, read before any cookie is dropped). */
export function applyAccountSession(headers: Headers, session: string | null): void {
  const forged = [...headers.keys()].filter(isSessionHeaderName);
  for (const name of forged) headers.delete(name);
  if (session === null) return;
  try {
    headers.set(ACCOUNT_HEADERS.session, session);
    headers.set(ACCOUNT_HEADERS.exists, '1');
    const flash = session.indexOf('$$');
    if (flash >= 0 && flash + 2 < session.length) headers.set(ACCOUNT_HEADERS.flash, session.slice(flash + 2));
  } catch {
    // A value the platform would not take as a header (it took it as a cookie): origin gets no session rather than a
    // failure whose message would quote it.
    for (const name of [ACCOUNT_HEADERS.session, ACCOUNT_HEADERS.exists, ACCOUNT_HEADERS.flash]) if (headers.has(name)) headers.delete(name);
  }
}

/** Whether origin's answer sets or ends a session: such an answer is never stored. */
export function managesAccountSession(headers: Headers): boolean {
  return headers.has(ACCOUNT_HEADERS.session) || headers.has(ACCOUNT_HEADERS.endSession);
}

/** Whether origin's answer needs any change on its way to the user (one to three look-ups, nearly always false). */
export function needsAccountChanges(headers: Headers, signedIn: boolean): boolean {
  if (signedIn || managesAccountSession(headers)) return true;
  const vary = headers.get('Vary');
  return vary !== null && /govuk-account-session/i.test(vary);
}

/**
 * Origin's answer as the user gets it: the cookie set or ended, and no session header or `Vary` entry left.
 * `personal`: the request was not shareable (signed in, a cookie path, another method), so this answer was never
 * stored and came from no stored copy: only then may it set or end the cookie; a shareable answer that tried (a
 * copy stored by a runtime without the HTTP cache API's hook, say) would set it for everyone, so it is dropped. A
 * signed-in answer is also made `private` and varies on `Cookie`, whatever origin said.
 */
export function applyAccountAnswer(headers: Headers, personal: boolean, signedIn: boolean): void {
  const session = personal ? headers.get(ACCOUNT_HEADERS.session) : null;
  if (personal && headers.has(ACCOUNT_HEADERS.endSession)) {
    headers.append('Set-Cookie', `${ACCOUNT_SESSION_COOKIE}=; ${COOKIE_ATTRIBUTES}; max-age=0`);
    setDirectives(headers, 'Cache-Control', ['no-store'], []);
  } else if (session !== null) {
    headers.append('Set-Cookie', `${ACCOUNT_SESSION_COOKIE}=${session}; ${COOKIE_ATTRIBUTES}`);
    setDirectives(headers, 'Cache-Control', ['no-store'], []);
  }
  const vary = headers.get('Vary');
  if (signedIn || (vary !== null && /govuk-account-session/i.test(vary))) {
    setDirectives(headers, 'Cache-Control', ['private'], ['public']);
    const kept = splitList(vary ?? '').filter((name) => !SESSION_VARY.has(name.toLowerCase()));
    if (!kept.some((name) => name.toLowerCase() === 'cookie')) kept.push('Cookie');
    headers.set('Vary', kept.join(', '));
  }
  headers.delete(ACCOUNT_HEADERS.session);
  headers.delete(ACCOUNT_HEADERS.endSession);
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Adds `add` to a comma-separated header's directives and removes `remove` (by name, any case). */
function setDirectives(headers: Headers, name: string, add: readonly string[], remove: readonly string[]): void {
  const items = splitList(headers.get(name) ?? '').filter((item) => !remove.includes(item.split('=')[0]!.trim().toLowerCase()));
  for (const directive of add) if (!items.some((item) => item.split('=')[0]!.trim().toLowerCase() === directive)) items.push(directive);
  headers.set(name, items.join(', '));
}
