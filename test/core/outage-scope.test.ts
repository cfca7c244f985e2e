import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalPath, MAX_SEGMENT_CHARS, pageId, segmentScope } from '../../src/core/outage-scope.ts';
import { runs } from '../support/property-runs.ts';

describe('segmentScope', () => {
  it.each([
    ['/government/news/new-state-pension-rates', '/government'],
    ['/browse', '/browse'],
    ['/browse/', '/browse'],
    ['/', '/'],
    ['', '/'],
    ['//government', '/government'],
    ['/a%20b/c', '/a%20b'],
    ['/search?q=x', '/search'],
    ['/%2Fetc/passwd', '/%2fetc'],
    [`/${'x'.repeat(100)}/y`, `/${'x'.repeat(MAX_SEGMENT_CHARS)}`],
    // One segment, however it is spelt (RFC 3986 section 6.2.2, then case and slashes).
    ['/%67overnment/boom', '/government'],
    ['/g%6Fvernment/boom', '/government'],
    ['/gov%65rnment/boom', '/government'],
    ['/GOVERNMENT/boom', '/government'],
    ['/./government/boom', '/government'],
    ['/x/../government/boom', '/government'],
    ['/%2e%2e/government/boom', '/government'],
  ])('%j is in %j', (path, scope) => {
    expect(segmentScope(path)).toBe(scope);
  });
});

describe('canonicalPath', () => {
  it.each([
    ['/help/boom', '/help/boom'],
    ['/help/bo%6Fm', '/help/boom'],
    ['/help/bo%6fm', '/help/boom'],
    ['/help//boom/', '/help/boom'],
    ['/Help/Boom', '/help/boom'],
    ['/help/./boom', '/help/boom'],
    ['/help/x/../boom', '/help/boom'],
    ['/help/boom?x=1', '/help/boom'],
    ['/a%20b', '/a%20b'],
    ['/a%2fb', '/a%2fb'],
    ['/a%2Fb', '/a%2fb'],
    ['/100%', '/100%'],
    ['/%zz', '/%zz'],
    ['/../..', '/'],
  ])('%j is the page %j', (path, canonical) => {
    expect(canonicalPath(path)).toBe(canonical);
  });

  it('gives one spelling to every way of writing a path with escapes, case, dots and slashes (seeded)', () => {
    const unreserved = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~');
    const segment = fc.array(unreserved, { minLength: 1, maxLength: 8 }).map((cs) => cs.join('')).filter((s) => s !== '.' && s !== '..');
    const spelling = (c: string) =>
      fc.constantFrom(c, c.toUpperCase(), c.toLowerCase(), `%${c.charCodeAt(0).toString(16)}`, `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    const respelt = (s: string) => fc.tuple(...[...s].map(spelling)).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.gen(), (segments, gen) => {
        const plain = `/${segments.join('/')}`;
        const odd = segments.map((s) => gen(() => respelt(s))).join(gen(() => fc.constantFrom('/', '//', '/./')));
        expect(canonicalPath(`/${odd}`)).toBe(canonicalPath(plain));
        expect(segmentScope(`/${odd}`)).toBe(segmentScope(plain));
      }),
      runs(300),
    );
  });
});

describe('pageId', () => {
  it('is eight hex digits, the same for the same page and different for different ones', () => {
    expect(pageId('/help/boom')).toMatch(/^[0-9a-f]{8}$/);
    expect(pageId(canonicalPath('/help/bo%6Fm'))).toBe(pageId('/help/boom'));
    expect(pageId('/help/boom')).not.toBe(pageId('/help/cookies'));
  });
});
