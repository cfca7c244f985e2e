/** The small pieces: durations, targets, failure wording, the sync marker, progress output. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.ts';
import { describeFailure } from './failure.ts';
import { startProgress } from './progress.ts';
import { mirrorLayout } from './mirror-layout.ts';
import { markerTime } from './sync-marker.ts';
import { pageUrl, parseTarget } from './target.ts';

describe('durations', () => {
  it('parses a number and a unit', () => {
    expect([parseDuration('500ms'), parseDuration('20s'), parseDuration('1.5m'), parseDuration('24h'), parseDuration('2d')]).toEqual([500, 20_000, 90_000, 86_400_000, 172_800_000]);
    expect([parseDuration('20'), parseDuration('0s'), parseDuration('-1h'), parseDuration('1w')]).toEqual([undefined, undefined, undefined, undefined]);
  });
  it('formats at most two units', () => {
    expect([850, 12_000, 250_000, 68_340_000, 86_400_000, 237_600_000].map(formatDuration)).toEqual(['850 ms', '12s', '4m 10s', '18h 59m', '1d', '2d 18h']);
  });
});

describe('targets', () => {
  it('a path goes to --service, or to www.gov.uk', () => {
    expect(parseTarget('/browse/benefits?x=1', undefined).url.href).toBe('https://www.gov.uk/browse/benefits?x=1');
    expect(parseTarget('/a b', 'http://127.0.0.1:7676').url.href).toBe('http://127.0.0.1:7676/a%20b');
  });
  it('a page is always on the service: paths a URL parser reads as another host stay paths', () => {
    const service = new URL('http://127.0.0.1:7676');
    for (const path of ['//evil.example/x', '/\\evil.example/x', '/\t/evil.example/x', '/\n/evil.example/x', '@evil.example/x', '/a/../../evil.example']) {
      expect(pageUrl(service, path).origin, path).toBe('http://127.0.0.1:7676');
    }
    expect(pageUrl(service, '//evil.example/x').pathname).toBe('//evil.example/x');
    expect(pageUrl(service, '/browse/benefits?x=1').href).toBe('http://127.0.0.1:7676/browse/benefits?x=1');
    expect(parseTarget('/\\evil.example/x', 'http://127.0.0.1:7676').url.href).toBe('http://127.0.0.1:7676//evil.example/x');
  });
  it('a full URL is its own service, unless --service is given', () => {
    expect(parseTarget('https://www.gov.uk/help', undefined).service.href).toBe('https://www.gov.uk/');
    expect(parseTarget('https://www.gov.uk/help', 'http://127.0.0.1:7676').url.href).toBe('http://127.0.0.1:7676/help');
  });
});

describe('mirror layout for check', () => {
  it('follows the service host unless given: the assets domain its own, anything else www.gov.uk\'s', () => {
    expect(mirrorLayout(new URL('https://assets.publishing.service.gov.uk'), undefined, undefined)).toEqual({ prefix: 'assets.publishing.service.gov.uk', names: 'path-first' });
    expect(mirrorLayout(new URL('https://www.gov.uk'), undefined, undefined)).toEqual({ prefix: 'www.gov.uk', names: 'crawler' });
    expect(mirrorLayout(new URL('http://127.0.0.1:7677'), 'assets.publishing.service.gov.uk/', 'path-first')).toEqual({ prefix: 'assets.publishing.service.gov.uk', names: 'path-first' });
    expect(mirrorLayout(new URL('https://assets.publishing.service.gov.uk'), undefined, 'crawler')).toEqual({ prefix: 'assets.publishing.service.gov.uk', names: 'crawler' });
  });
});

describe('failures', () => {
  const url = new URL('https://www.gov.uk/x');
  const fetchFailed = (cause: unknown) => Object.assign(new TypeError('fetch failed'), { cause });
  it.each([
    [fetchFailed(Object.assign(new Error('getaddrinfo ENOTFOUND www.gov.uk'), { code: 'ENOTFOUND' })), 'dns', 'cannot find the host www.gov.uk (ENOTFOUND).'],
    [fetchFailed(Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })]), {})), 'unreachable', 'cannot connect to www.gov.uk (ECONNREFUSED).'],
    [fetchFailed(Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' })), 'tls', 'the TLS connection to www.gov.uk failed (CERT_HAS_EXPIRED: certificate has expired).'],
    [new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'timeout', 'no answer from www.gov.uk within 20s (--timeout).'],
  ])('%#', (error, kind, start) => {
    const failure = describeFailure(error, url, 20_000, false);
    expect(failure.kind).toBe(kind);
    expect(failure.message.startsWith(start)).toBe(true);
  });
});

describe('sync marker', () => {
  it('takes synced_at from the body, else Last-Modified', () => {
    expect(markerTime('{"synced_at":"2026-11-21T03:00:00Z"}', null)).toEqual({ ok: true, time: new Date('2026-11-21T03:00:00Z'), source: 'synced_at' });
    expect(markerTime('{"synced_at":"yesterday"}', 'Sat, 21 Nov 2026 03:00:00 GMT')).toEqual({ ok: true, time: new Date('2026-11-21T03:00:00Z'), source: 'Last-Modified' });
    expect(markerTime('<html>', null)).toEqual({ ok: false, problem: 'the marker has no "synced_at" time and no Last-Modified header' });
  });
  it('the demo mirror holds a valid marker at the default key', async () => {
    const body = await readFile(new URL('../demo/mirror/www.gov.uk/mirror-last-sync.json', import.meta.url), 'utf8');
    expect(markerTime(body, null)).toMatchObject({ ok: true, source: 'synced_at' });
  });
});

describe('progress', () => {
  it('on a terminal: one spinner line, cleared at the end', () => {
    let out = '';
    const progress = startProgress({ isTTY: true, write: (t) => void (out += t) }, 'checking /x', 2);
    progress.finished('origin', '200 in 3 ms');
    progress.end();
    expect(out).toBe('\r\x1b[K⠋ checking /x: 0/2 done\r\x1b[K⠙ checking /x: 1/2 done\r\x1b[K');
  });
  it('piped: plain lines', () => {
    let out = '';
    const progress = startProgress({ isTTY: false, write: (t) => void (out += t) }, 'checking /x', 2);
    progress.finished('origin', '200 in 3 ms');
    progress.end();
    expect(out).toBe('checking /x: 2 requests\n  origin: 200 in 3 ms\n');
  });
});
