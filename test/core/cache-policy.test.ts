import { describe, expect, it } from 'vitest';
import { afterSendAction, cacheRuleFor, deliveredCacheControl, isHttpCacheUnavailable } from '../../src/core/cache-policy.ts';
import { DEFAULT_CONFIG } from '../../src/core/config.ts';

const decide = (backend: 'origin' | 'mirrorS3', status: number, headers: Record<string, string> = {}, stale = false) => {
  const rule = cacheRuleFor('failover', 'GET', backend, DEFAULT_CONFIG);
  if (rule.kind !== 'cache') throw new Error('expected a cache rule');
  return rule.decide(status, new Headers(headers), stale);
};

describe('cache policy', () => {
  it.each<[string, 'origin' | 'mirrorS3', number, Record<string, string>, boolean, object]>([
    ['mirror 200 for 900 s', 'mirrorS3', 200, {}, false, { store: 'force', ttl: 900 }],
    ['mirror 200 for 900 s whatever its headers say', 'mirrorS3', 200, { 'Cache-Control': 'no-store' }, false, { store: 'force', ttl: 900 }],
    ['mirror 5xx for 1 s', 'mirrorS3', 503, {}, false, { store: 'force', ttl: 1 }],
    ['never a mirror 403', 'mirrorS3', 403, {}, false, { store: 'never' }],
    ['never a mirror 404', 'mirrorS3', 404, {}, false, { store: 'never' }],
    ['origin 5xx for 1 s, with no stale-if-error window of its own (a stale 5xx must never stand in for another)', 'origin', 500, {}, false, { store: 'force', ttl: 1, staleIfError: 0 }],
    ['origin 503 not at all when a stale copy can stand in', 'origin', 503, {}, true, { store: 'keep-stale' }],
    ['origin without cache headers for 3600 s', 'origin', 200, {}, false, { store: 'default', ttl: 3600 }],
    ['origin max-age as origin says', 'origin', 200, { 'Cache-Control': 'public, max-age=60' }, false, { store: 'default' }],
    ['origin s-maxage as origin says', 'origin', 200, { 'Cache-Control': 's-maxage=30' }, false, { store: 'default' }],
    ['origin Expires as origin says', 'origin', 200, { Expires: 'Thu, 01 Jan 2099 00:00:00 GMT' }, false, { store: 'default' }],
    ['origin Surrogate-Control as origin says', 'origin', 200, { 'Surrogate-Control': 'max-age=300' }, false, { store: 'default' }],
    ['never origin private', 'origin', 200, { 'Cache-Control': 'private' }, false, { store: 'never' }],
    ['never origin no-store', 'origin', 200, { 'Cache-Control': 'no-store' }, false, { store: 'never' }],
    ['never origin no-cache', 'origin', 200, { 'Cache-Control': 'no-cache, must-revalidate' }, false, { store: 'never' }],
    ['never origin max-age=0', 'origin', 200, { 'Cache-Control': 'max-age=0' }, false, { store: 'never' }],
    ['never origin private="Set-Cookie"', 'origin', 200, { 'Cache-Control': 'private="Set-Cookie", max-age=60' }, false, { store: 'never' }],
    ['origin max-age=600 is not max-age=0', 'origin', 200, { 'Cache-Control': 'max-age=600' }, false, { store: 'default' }],
    ['never an origin answer that sets a cookie', 'origin', 200, { 'Set-Cookie': 'session=1', 'Cache-Control': 'max-age=60' }, false, { store: 'never' }],
    ['never an origin 5xx that sets a cookie', 'origin', 503, { 'Set-Cookie': 'session=1' }, false, { store: 'never' }],
    ['never a private origin 5xx (it may hold one user\'s page)', 'origin', 500, { 'Cache-Control': 'private, no-store' }, false, { store: 'never' }],
    ['never an origin 5xx with no-store', 'origin', 503, { 'Cache-Control': 'no-store' }, false, { store: 'never' }],
    ['never an origin 5xx with Surrogate-Control no-store', 'origin', 503, { 'Surrogate-Control': 'no-store' }, false, { store: 'never' }],
    ['a private origin 5xx not at all when a stale copy can stand in', 'origin', 500, { 'Cache-Control': 'private' }, true, { store: 'keep-stale' }],
  ])('caches %s', (_name, backend, status, headers, stale, expected) => {
    expect(decide(backend, status, headers, stale)).toEqual(expected);
  });

  it('keeps a 24 h stale-if-error window for origin and none for mirrors', () => {
    expect(cacheRuleFor('failover', 'GET', 'origin', DEFAULT_CONFIG)).toMatchObject({ kind: 'cache', staleIfError: 86_400 });
    expect(cacheRuleFor('failover', 'GET', 'mirrorGCS', DEFAULT_CONFIG)).toMatchObject({ kind: 'cache', staleIfError: 0, hostModeTtl: 900 });
  });

  it('passes overrides and non-GET requests', () => {
    expect(cacheRuleFor('override', 'GET', 'mirrorS3', DEFAULT_CONFIG)).toEqual({ kind: 'pass' });
    expect(cacheRuleFor('failover', 'POST', 'origin', DEFAULT_CONFIG)).toEqual({ kind: 'pass' });
  });

  it('passes origin for a request whose answer may not be shared, never a mirror', () => {
    expect(cacheRuleFor('failover', 'GET', 'origin', DEFAULT_CONFIG, false)).toEqual({ kind: 'pass' });
    expect(cacheRuleFor('failover', 'GET', 'mirrorS3', DEFAULT_CONFIG, false)).toMatchObject({ kind: 'cache' });
  });

  it('stores a mirror copy with only the headers that describe the document, and origin\'s answer without Set-Cookie', () => {
    const mirror = cacheRuleFor('failover', 'GET', 'mirrorS3', DEFAULT_CONFIG);
    const origin = cacheRuleFor('failover', 'GET', 'origin', DEFAULT_CONFIG);
    if (mirror.kind !== 'cache' || origin.kind !== 'cache') throw new Error('expected cache rules');
    const names = ['Content-Type', 'content-length', 'Content-Encoding', 'Last-Modified', 'ETag', 'Set-Cookie', 'X-Frame-Options', 'Access-Control-Allow-Origin', 'x-amz-request-id', 'Cache-Control'];
    expect(names.filter((n) => mirror.headerFilter!(n))).toEqual(['Content-Type', 'content-length', 'Content-Encoding', 'Last-Modified', 'ETag']);
    expect(names.filter((n) => !origin.headerFilter!(n))).toEqual(['Set-Cookie']);
  });

  it('tells users what they may keep', () => {
    expect(deliveredCacheControl('failover', 'mirrorS3Replica', DEFAULT_CONFIG)).toBe('max-age=900');
    expect(deliveredCacheControl('failover', 'error', DEFAULT_CONFIG)).toBe('max-age=1');
    expect(deliveredCacheControl('failover', 'origin', DEFAULT_CONFIG)).toBeUndefined();
    expect(deliveredCacheControl('override', 'mirrorS3', DEFAULT_CONFIG)).toBe('private, no-store');
    expect(deliveredCacheControl('override', 'origin', DEFAULT_CONFIG)).toBe('private, no-store');
  });
});

describe('afterSend actions', () => {
  it.each([
    [{ store: 'force', ttl: 900 } as const, { ttl: 900, result: { cache: true } }],
    [{ store: 'force', ttl: 1, staleIfError: 0 } as const, { ttl: 1, staleIfError: 0, result: { cache: true } }],
    [{ store: 'default', ttl: 3600 } as const, { ttl: 3600, result: undefined }],
    [{ store: 'default' } as const, { result: undefined }],
    [{ store: 'never' } as const, { result: { cache: 'uncacheable' } }],
    [{ store: 'keep-stale' } as const, { throwForStale: true }],
  ])('turns %j into %j', (decision, action) => {
    expect(afterSendAction(decision)).toEqual(action);
  });
});

describe('isHttpCacheUnavailable', () => {
  it.each<[unknown, boolean]>([
    [new Error('HTTP caching API is not enabled; please contact support for help'), true],
    [new Error('HTTP caching API is not enabled for JavaScript; enable it with the --enable-http-cache flag to the js-compute build command, or contact support for help'), true],
    [Object.assign(new Error('NetworkError when attempting to fetch resource.'), { name: 'NetworkError' }), false],
    [Object.assign(new Error('HTTP cache lookup failed'), { name: 'NetworkError' }), false],
    [new TypeError("Requested backend named 'x' does not exist"), false],
    ['HTTP caching API is not enabled', false],
    [null, false],
  ])('%s → %s', (error, expected) => {
    expect(isHttpCacheUnavailable(error)).toBe(expected);
  });
});
