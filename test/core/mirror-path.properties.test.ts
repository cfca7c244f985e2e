/**
 * Properties of the mirror mapping that hold for every input: every name the
 * service asks for stays inside the prefix, no segment of it is `.` or `..`,
 * its request path is a valid URL path that the bucket decodes back to exactly
 * its key, there are one to three names differing only in the last segment,
 * the answer never depends on how the URL was handed over, and nothing throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_OBJECT_NAMES } from '../../src/core/crawler-names.ts';
import {
  MAX_OBJECT_KEY_BYTES,
  type MirrorPathResult,
  normalizeMirrorPrefix,
  resolveMirrorPath,
  resolveMirrorPathFromRawPath,
} from '../../src/core/mirror-path.ts';
import { pagePath } from '../support/path-arbitraries.ts';
import { runs } from '../support/property-runs.ts';

const ORIGIN = 'https://www.gov.uk';

/** Pieces a hostile client strings together, lone surrogates and raw `?`/`#` included. */
const HOSTILE_PIECES = [
  'a', 'Z', '0', '.', '..', '/', '//', '\\', '%', '%2e', '%2E', '%2f', '%2F', '%5c', '%25', '%00', '%ff', '%zz',
  ' ', '+', '?', '#', '|', '^', '~', '!', "'", '(', ')', '*', ';', ':', '@', '[', ']', '"', '<', '>', '`', '{', '}',
  'é', '😀', '\ud800', '\udc00', '\t', '\n', '\r', '\u0000', '\u007f', '.pdf', '.PDF', '.html', '.htm', '.%2e', '%2e.',
];

const path = fc.oneof(
  pagePath({ rawControls: true, rawLineBreaks: true }),
  fc.tuple(fc.boolean(), fc.array(fc.constantFrom(...HOSTILE_PIECES), { maxLength: 16 })).map(([rooted, pieces]) => (rooted ? '/' : '') + pieces.join('')),
);

const prefix = fc.constantFrom('www.gov.uk', '', '/', 'mirror/www.gov.uk', '//mirror//www.gov.uk/', 'my mirror');

/** Every way the service or the CLI hands a path to the mapping. */
function resolveEveryWay(p: string, pre: string): { way: string; result: MirrorPathResult }[] {
  const url = fullUrl(p);
  const ways = [
    { way: 'full URL string', result: resolveMirrorPath(url, pre) },
    { way: 'path string', result: resolveMirrorPath(p, pre) },
    { way: 'raw path', result: resolveMirrorPathFromRawPath(p, pre) },
  ];
  try {
    ways.push({ way: 'URL object', result: resolveMirrorPath(new URL(url), pre) });
  } catch {
    // Not a URL a client can send: the string ways above still cover it.
  }
  return ways;
}

/** The page's full URL: a path without its leading `/` is still a path of www.gov.uk. */
function fullUrl(p: string): string {
  return `${ORIGIN}${p.startsWith('/') || p.startsWith('\\') ? '' : '/'}${p}`;
}

const utf8 = new TextEncoder();

describe('mirror mapping properties', () => {
  it('keeps every name\'s key inside the prefix, with no . or .. segment, in printable ASCII', () => {
    fc.assert(
      fc.property(path, prefix, (p, pre) => {
        const head = normalizeMirrorPrefix(pre);
        const depth = head === '' ? 0 : head.split('/').length;
        for (const result of resolveEveryWay(p, pre).flatMap((way) => way.result.names)) {
          const segments = result.key.split('/');
          expect(head === '' || result.key.startsWith(`${head}/`)).toBe(true);
          expect(result.key.startsWith('/')).toBe(false);
          expect(segments.length).toBeGreaterThan(depth);
          for (const segment of segments.slice(depth)) {
            expect(segment).not.toBe('');
            // Not `.`/`..`, nor a spelling that one more decoding would turn into one.
            expect(segment).not.toMatch(/^(?:\.|%2e){1,2}$/i);
          }
          expect(segments.slice(depth).join('/')).toMatch(/^[\x21-\x7e]+$/);
        }
      }),
      runs(2000),
    );
  });

  it('asks for valid URL paths that the bucket decodes once back to exactly each key', () => {
    fc.assert(
      fc.property(path, prefix, (p, pre) => {
        for (const result of resolveEveryWay(p, pre).flatMap((way) => way.result.names)) {
          const { key, requestPath } = result;
          expect(requestPath.startsWith('/')).toBe(true);
          const segments = requestPath.slice(1).split('/');
          for (const segment of segments) expect(segment).toMatch(/^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})+$/);
          // A URL parser leaves it as it is: nothing for a client library or the platform to rewrite.
          expect(new URL(requestPath, 'https://bucket.example').pathname).toBe(requestPath);
          expect(segments.map(decodeURIComponent).join('/')).toBe(key);
        }
      }),
      runs(2000),
    );
  });

  it('gives one to three distinct names, the first as key, that differ only in the last segment and fit the limit', () => {
    fc.assert(
      fc.property(path, prefix, (p, pre) => {
        for (const { result } of resolveEveryWay(p, pre)) {
          const { names } = result;
          expect(names.length).toBeGreaterThanOrEqual(1);
          expect(names.length).toBeLessThanOrEqual(result.ok ? MAX_OBJECT_NAMES : 1);
          expect(names[0]).toEqual({ key: result.key, requestPath: result.requestPath });
          expect(new Set(names.map((n) => n.key)).size).toBe(names.length);
          const directory = (key: string) => key.slice(0, key.lastIndexOf('/') + 1);
          for (const name of names) {
            expect(directory(name.key)).toBe(directory(result.key));
            expect(directory(name.requestPath)).toBe(directory(result.requestPath));
            if (result.ok) expect(utf8.encode(name.key).length).toBeLessThanOrEqual(MAX_OBJECT_KEY_BYTES);
          }
        }
      }),
      runs(1000),
    );
  });

  it('gives a path the same answer however it is handed over, and every time', () => {
    fc.assert(
      // A path, as the edge sees one: rooted. (A string such as " a" is a relative
      // reference, which URL parsing trims, so it need not match ".../ a".)
      fc.property(path.filter((p) => p.startsWith('/')), prefix, (p, pre) => {
        const viaUrl = resolveMirrorPath(fullUrl(p), pre);
        for (const { way, result } of resolveEveryWay(p, pre)) {
          if (way !== 'raw path') expect({ way, result }).toEqual({ way, result: viaUrl });
        }
        expect(resolveMirrorPath(p, pre)).toEqual(resolveMirrorPath(p, pre));
        expect(resolveMirrorPathFromRawPath(p, pre)).toEqual(resolveMirrorPathFromRawPath(p, pre));
      }),
      runs(1000),
    );
  });

  it('says ok: false exactly for a bad % escape or a key over 1,024 bytes', () => {
    fc.assert(
      fc.property(path, (p) => {
        for (const { result } of resolveEveryWay(p, 'www.gov.uk')) {
          const tooLong = utf8.encode(result.key).length > MAX_OBJECT_KEY_BYTES;
          if (result.ok) {
            expect(tooLong).toBe(false);
          } else if (result.problem === 'key-too-long') {
            expect(tooLong).toBe(true);
          } else {
            expect(result.problem).toBe('invalid-percent-encoding');
            expect(p).toMatch(/%(?![0-9A-Fa-f]{2})/);
          }
        }
      }),
      runs(1000),
    );
  });

  it('never throws, whatever it is given', () => {
    const anyString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 });
    fc.assert(
      fc.property(fc.oneof(anyString, fc.anything()), fc.oneof(prefix, fc.anything()), (input, pre) => {
        for (const result of [resolveMirrorPath(input as string, pre as string), resolveMirrorPathFromRawPath(input as string, pre as string)]) {
          expect(typeof result.key).toBe('string');
          expect(result.requestPath.startsWith('/')).toBe(true);
        }
      }),
      runs(1000),
    );
  });
});
