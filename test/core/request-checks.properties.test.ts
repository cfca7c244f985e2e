/**
 * The request checks scan strings by hand instead of running regular
 * expressions (see src/core/request-checks.ts for why). Each scan is held
 * here to the pattern it replaces, on strings built to hit the edges: URL
 * prefixes, percent signs, control characters, non-ASCII text. Seeded: a
 * failure prints its seed, and FC_SEED replays it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDigits } from '../../src/core/config.ts';
import { checkRequest, rawPath } from '../../src/core/request-checks.ts';
import { runs } from '../support/property-runs.ts';

/** The definitions the scans replace. */
const PATTERN = {
  rawPath(url: string): string {
    const afterScheme = url.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/, '');
    const end = afterScheme.search(/[?#]/);
    return end === -1 ? afterScheme : afterScheme.slice(0, end);
  },
  encodedControl: (path: string) => /%(?:[01][0-9a-fA-F]|7[fF])/.exec(path)?.[0],
  digits: (raw: string) => /^\d{1,10}$/.test(raw),
};

/** Characters that matter to the scans, and some that do not. */
const piece = fc.constantFrom('h', 'T', 'x', '0', '1', '7', '9', 'f', 'F', 'g', '+', '.', '-', ':', '/', '//', '://', '?', '#', '%', '%0', '%1f', '%7F', '%7f', '%7e', '%2F', 'a', 'é', '\u0000', '\u001f', '\u007f', ' ', '@', 'https://', 'www.gov.uk');
const text = fc.array(piece, { maxLength: 14 }).map((parts) => parts.join(''));
/** Something like a URL: a scheme or not, a separator or a near miss, then anything. */
const url = fc
  .tuple(fc.constantFrom('', 'h', 'https', 'H1+.-', 'a-b.c+d', '1http', 'ht tp', 'é', '+x'), fc.constantFrom('', ':', ':/', '://', ':///', '//', '/'), text)
  .map(([scheme, separator, rest]) => `${scheme}${separator}${rest}`);

describe('the hand-written scans agree with the patterns they replace', () => {
  it('rawPath', () => {
    fc.assert(
      fc.property(fc.oneof(url, text), (u) => {
        expect(rawPath(u)).toBe(PATTERN.rawPath(u));
      }),
      runs(3000),
    );
  });

  it('the percent-encoded control character check (400), and the UTF-8 length (414)', () => {
    fc.assert(
      fc.property(text, (tail) => {
        const url = `https://www.gov.uk/${tail}`;
        const path = PATTERN.rawPath(url);
        const raw = [...path].find((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
        const encoded = PATTERN.encodedControl(path);
        const rejection = checkRequest('GET', url);
        if (raw !== undefined) expect(rejection?.status).toBe(400);
        else if (encoded !== undefined) expect(rejection?.message).toContain(`(as ${encoded})`);
        else expect(rejection).toBeUndefined();
        const long = `${url}${'a'.repeat(8000)}`;
        expect(checkRequest('GET', long)?.message).toBe(`The URL is ${new TextEncoder().encode(long).length} bytes long; the limit is 8000 bytes.`);
      }),
      runs(2000),
    );
  });

  it('isDigits', () => {
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^\d{0,12}$/), fc.string({ maxLength: 12 })), (raw) => {
        expect(isDigits(raw)).toBe(PATTERN.digits(raw));
      }),
      runs(2000),
    );
  });
});
