import { describe, expect, it } from 'vitest';
import { accountSessionOf, applyAccountAnswer, applyAccountSession, needsAccountChanges } from '../../src/core/account-session.ts';

describe('the account session cookie', () => {
  it.each([
    ['__Host-govuk_account_session=abc', 'abc'],
    ['cookies_policy=x; __Host-govuk_account_session=csrf_t$$head$$flash; other=1', 'csrf_t$$head$$flash'],
    ['x__Host-govuk_account_session=abc', null],
    ['__Host-govuk_account_session=', null],
    ['__Host-govuk_account_session_old=abc', null],
    ['__Host-govuk_account_session=; __Host-govuk_account_session=second', 'second'],
    ['a=1, __Host-govuk_account_session=joined', 'joined'],
    ['__Host-govuk_account_session=first, a=1', 'first'],
    [null, null],
  ])('%j → %j', (cookie, session) => {
    expect(accountSessionOf(cookie)).toBe(session);
  });
});

describe("origin's request", () => {
  it('gets the session, that it exists, and the flash after the first $$, as GOV.UK\'s VCL sets them', () => {
    const headers = new Headers();
    applyAccountSession(headers, 'csrf_t$$head$$flash');
    expect(Object.fromEntries(headers)).toEqual({
      'govuk-account-session': 'csrf_t$$head$$flash',
      'govuk-account-session-exists': '1',
      'govuk-account-session-flash': 'head$$flash',
    });
  });

  it("drops a client's own session headers, however spelt: only the cookie speaks for a session", () => {
    const headers = new Headers({
      'GOVUK-Account-Session': 'someone-else',
      'GOVUK-Account-Session-Exists': '1',
      'GOVUK-Account-Session-Flash': 'x',
      GOVUK_Account_Session: 'rack-reads-this-too',
      'govuk-account_session-exists': '1',
      Accept: 'text/html',
    });
    applyAccountSession(headers, null);
    expect([...headers.keys()]).toEqual(['accept']);
  });
});

describe("origin's answer", () => {
  const answer = (init: Record<string, string>, { personal = true, signedIn = false } = {}) => {
    const headers = new Headers(init);
    const changes = needsAccountChanges(headers, signedIn);
    applyAccountAnswer(headers, personal, signedIn);
    return { changes, headers, cookies: headers.getSetCookie() };
  };

  it('sets the session cookie, httponly, and the answer is not stored; the header does not reach the user', () => {
    const { changes, headers, cookies } = answer({ 'GOVUK-Account-Session': 'new$$saved', 'Cache-Control': 'max-age=0, private' });
    expect(changes).toBe(true);
    expect(cookies).toEqual(['__Host-govuk_account_session=new$$saved; secure; httponly; samesite=lax; path=/']);
    expect(headers.get('Cache-Control')).toBe('max-age=0, private, no-store');
    expect(headers.has('GOVUK-Account-Session')).toBe(false);
  });

  it('ends the session with an expired cookie, even when a new one is also named', () => {
    const { cookies, headers } = answer({ 'GOVUK-Account-End-Session': '1', 'GOVUK-Account-Session': 'ignored' });
    expect(cookies).toEqual(['__Host-govuk_account_session=; secure; httponly; samesite=lax; path=/; max-age=0']);
    expect(headers.get('Cache-Control')).toBe('no-store');
    expect([headers.has('GOVUK-Account-End-Session'), headers.has('GOVUK-Account-Session')]).toEqual([false, false]);
  });

  it('an answer that varies on the session is private to the browser and varies on Cookie instead', () => {
    const { headers, cookies } = answer({ Vary: 'Accept-Encoding, GOVUK-Account-Session-Exists, govuk-account-session-flash', 'Cache-Control': 'public, max-age=300' });
    expect(headers.get('Vary')).toBe('Accept-Encoding, Cookie');
    expect(headers.get('Cache-Control')).toBe('max-age=300, private');
    expect(cookies).toEqual([]);
  });

  it('an answer that could be shared never sets or ends a session: the headers are dropped, no cookie', () => {
    const inits: Record<string, string>[] = [{ 'GOVUK-Account-Session': 'everyone-would-get-this', 'Cache-Control': 'max-age=60' }, { 'GOVUK-Account-End-Session': '1' }];
    for (const init of inits) {
      const { changes, headers, cookies } = answer(init, { personal: false });
      expect(changes).toBe(true);
      expect(cookies).toEqual([]);
      expect([headers.has('GOVUK-Account-Session'), headers.has('GOVUK-Account-End-Session')]).toEqual([false, false]);
    }
  });

  it('a signed-in answer is private and varies on Cookie, whatever origin said', () => {
    const { changes, headers } = answer({ 'Cache-Control': 'public, max-age=60' }, { signedIn: true });
    expect(changes).toBe(true);
    expect(headers.get('Cache-Control')).toBe('max-age=60, private');
    expect(headers.get('Vary')).toBe('Cookie');
  });

  it('an ordinary answer needs no change', () => {
    expect(needsAccountChanges(new Headers({ Vary: 'Accept-Encoding', 'Cache-Control': 'max-age=300' }), false)).toBe(false);
  });
});
