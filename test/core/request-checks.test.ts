import { describe, expect, it } from 'vitest';
import { checkRequest, rawPath } from '../../src/core/request-checks.ts';

describe('checkRequest', () => {
  it.each(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'])('lets %s through', (method) => {
    expect(checkRequest(method, 'https://www.gov.uk/browse')).toBeUndefined();
  });

  it.each(['TRACE', 'CONNECT', 'PROPFIND', 'get', 'BREW'])('answers %s with 501 and the allowed list', (method) => {
    const r = checkRequest(method, 'https://www.gov.uk/');
    expect(r?.status).toBe(501);
    expect(r?.message).toContain('GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH');
  });

  it('answers a URL over 8 KiB with 414', () => {
    expect(checkRequest('GET', `https://www.gov.uk/${'a'.repeat(8192)}`)?.status).toBe(414);
    expect(checkRequest('GET', `https://www.gov.uk/${'a'.repeat(8000)}`)).toBeUndefined();
  });

  it.each(['/a%00b', '/%0d%0aSet-Cookie:x', '/a%1F', '/a%7f', '/tab\there'])('answers the control character in %j with 400', (path) => {
    const r = checkRequest('GET', `https://www.gov.uk${path}`);
    expect(r?.status).toBe(400);
    expect(r?.message).toMatch(/U\+00[01][0-9A-F]|U\+007F/);
  });

  it.each(['/a%20b', '/caf%C3%A9', '/..%2f', '/%2e%2e/x', '/search?q=%00'])('lets %j through (not a control character in the path)', (path) => {
    expect(checkRequest('GET', `https://www.gov.uk${path}`)).toBeUndefined();
  });

  it('finds the raw path', () => {
    expect(rawPath('https://www.gov.uk/a%20b/c?x=1#f')).toBe('/a%20b/c');
    expect(rawPath('http://127.0.0.1:7676/')).toBe('/');
  });
});
