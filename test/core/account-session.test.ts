import { describe, expect, it } from 'vitest';
import { accountSessionOf, applyAccountAnswer, applyAccountSession, needsAccountChanges } from '../../src/core/account-session.ts';

describe('the account session cookie', () => {
  it.each([
    ['__Host-govuk_account_session=abc', 'abc'],
    ['cookies_policy=x; __Host-govuk_account_session=csrf_t$$head$$flash; other=1', 'csrf_t$$head$$flash'],
    ['x__Host-govuk_account_session=abc', null],
    ['__Host-govuk_account_session=', null],
    ['__Host-govuk_account_session_old=abc', null],
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

  it("drops a client's own session headers: only the cookie speaks for a session", () => {
    const headers = new Headers({ 'GOVUK-Account-Session': 'someone-else', 'GOVUK-Account-Session-Exists': '1', 'GOVUK-Account-Session-Flash': 'x' });
    applyAccountSession(headers, null);
    expect([...headers.keys()]).toEqual([]);
  });
});

describe("origin's answer", () => {
  const answer = (init: Record<string, string>) => {
    const headers = new Headers(init);
    const changes = needsAccountChanges(headers);
    applyAccountAnswer(headers);
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

  it('an ordinary answer needs no change', () => {
    expect(needsAccountChanges(new Headers({ Vary: 'Accept-Encoding', 'Cache-Control': 'max-age=300' }))).toBe(false);
  });
});
