import { describe, expect, it } from 'vitest';
import { MAX_SEGMENT_CHARS, segmentScope } from '../../src/core/outage-scope.ts';

describe('segmentScope', () => {
  it.each([
    ['/government/news/new-state-pension-rates', '/government'],
    ['/browse', '/browse'],
    ['/browse/', '/browse'],
    ['/', '/'],
    ['', '/'],
    ['//government', '/'],
    ['/a%20b/c', '/a%20b'],
    ['/search?q=x', '/search'],
    ['/%2Fetc/passwd', '/%2Fetc'],
    [`/${'x'.repeat(100)}/y`, `/${'x'.repeat(MAX_SEGMENT_CHARS)}`],
  ])('%j is in %j', (path, scope) => {
    expect(segmentScope(path)).toBe(scope);
  });
});
