import { describe, expect, it } from 'vitest';
import { checkRequest, hostProblem, rawPath } from '../../src/core/request-checks.ts';

describe('checkRequest', () => {
  it.each(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'])('lets %s through', (method) => {
    expect(checkRequest(method, 'https://www.gov.uk/browse')).toBeUndefined();
  });

  it.each(['TRACE', 'CONNECT', 'PROPFIND', 'get', 'BREW'])('answers %s with 501 and the allowed list', (method) => {
    const r = checkRequest(method, 'https://www.gov.uk/');
    expect(r?.status).toBe(501);
    expect(r?.message).toContain('GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH');
  });

  it('answers a URL over 8,000 bytes with 414 (the runtime itself stops at 8,192)', () => {
    const url = (bytes: number) => `https://www.gov.uk/${'a'.repeat(bytes - 'https://www.gov.uk/'.length)}`;
    expect(checkRequest('GET', url(8000))).toBeUndefined();
    const r = checkRequest('GET', url(8001));
    expect(r?.status).toBe(414);
    expect(r?.message).toBe('The URL is 8001 bytes long; the limit is 8000 bytes.');
  });

  it('counts a URL in UTF-8 bytes, not characters', () => {
    const url = `https://www.gov.uk/${'é'.repeat(3990)}`; // 19 + 3,990 characters, 19 + 7,980 bytes
    expect(checkRequest('GET', url)).toBeUndefined();
    expect(checkRequest('GET', `${url}é`)?.message).toBe('The URL is 8001 bytes long; the limit is 8000 bytes.');
  });

  it('answers request headers over 32 KiB in all with 431, naming both sizes', () => {
    const headers = (valueBytes: number): [string, string][] => [['cookie', 'c'.repeat(valueBytes)]];
    // `cookie: ` and CR LF count: 6 + 2 + 2 bytes around the value.
    expect(checkRequest('GET', 'https://www.gov.uk/', headers(32 * 1024 - 10))).toBeUndefined();
    const r = checkRequest('GET', 'https://www.gov.uk/', [...headers(16 * 1024), ['x-more', 'm'.repeat(16 * 1024)]]);
    expect(r?.status).toBe(431);
    expect(r?.message).toBe('The request headers are 32788 bytes long in all; the limit is 32768 bytes.');
  });

  it('answers a request whose headers read as none with 431: the runtime could not read them (a value of 69,000 bytes or more)', () => {
    const r = checkRequest('GET', 'https://www.gov.uk/', [], true);
    expect(r?.status).toBe(431);
    expect(r?.message).toBe('The request headers could not be read: one header value is 69000 bytes or more. The limit is 32768 bytes for all headers together.');
    expect(checkRequest('GET', 'https://www.gov.uk/', [['host', 'www.gov.uk']], true)).toBeUndefined();
    expect(checkRequest('GET', 'https://www.gov.uk/', [], false), 'where requests may come without headers').toBeUndefined();
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

  it.each<[string | undefined, string | undefined]>([
    ['www.gov.uk', undefined],
    ['www.gov.uk:443', undefined],
    ['127.0.0.1', undefined],
    ['[::1]:8080', undefined],
    ['a_b.example', undefined],
    [undefined, 'The request has no Host header.'],
    ['', 'The request has no Host header.'],
    ['a, b', 'The request has more than one Host header.'],
    ['user@www.gov.uk', 'The Host header "user@www.gov.uk" is not a host.'],
    ['www.gov.uk:99999', 'The Host header "www.gov.uk:99999" is not a host.'],
    ['www.gov.uk:', 'The Host header "www.gov.uk:" is not a host.'],
    ['exa mple', 'The Host header "exa?mple" is not a host.'],
    ['[::1', 'The Host header "[::1" is not a host.'],
  ])('judges the Host header %j: %j', (host, problem) => {
    expect(hostProblem(host)).toBe(problem);
  });

  it('answers a bad Host with 400 where the platform always sends one, naming what is allowed', () => {
    const r = checkRequest('GET', 'http://a/', [['host', 'a, b']], true);
    expect(r?.status).toBe(400);
    expect(r?.message).toBe('The request has more than one Host header. A request needs exactly one Host header: a host name or IP address, with an optional port (1 to 65535).');
    expect(checkRequest('GET', 'http://a/', [['host', 'a, b']], false), 'not checked where requests may come without one').toBeUndefined();
  });
});

