import { describe, expect, it } from 'vitest';
import { DOCUMENT_EXTENSIONS, MAX_OBJECT_NAMES } from '../../src/core/crawler-names.ts';
import {
  DEFAULT_MIRROR_PREFIX,
  MAX_OBJECT_KEY_BYTES,
  type NameOrder,
  goEscapedPath,
  mirrorObjectKey,
  mirrorRequestPath,
  normalizeMirrorPrefix,
  resolveMirrorPath,
  resolveMirrorPathFromRawPath,
} from '../../src/core/mirror-path.ts';

const ORIGIN = 'https://www.gov.uk';
const LONG = 'a'.repeat(2000);

interface Row {
  /** Path (with query/fragment) appended to https://www.gov.uk. */
  readonly path: string;
  /** Object key, without the `www.gov.uk/` prefix. */
  readonly key: string;
  /** Bucket request path, without the `/www.gov.uk/` prefix; defaults to `key` when nothing needs encoding. */
  readonly req?: string;
  readonly problem?: 'invalid-percent-encoding' | 'key-too-long';
  /** The names asked after the first, in order: a key (its request path is the key as it is), or [key, request path]. */
  readonly more?: readonly (string | readonly [string, string])[];
}

// Expected keys for valid paths were cross-checked against Go 1.19 net/url
// (url.Parse + EscapedPath + the crawler's index/extension/filepath.Join steps).
const TABLE: readonly Row[] = [
  // The crawler's layout.
  { path: '', key: 'index.html' },
  { path: '/', key: 'index.html' },
  { path: '/?q=1&r=2', key: 'index.html' },
  { path: '/browse/benefits', key: 'browse/benefits.html' },
  { path: '/browse/benefits/', key: 'browse/benefits/index.html' },
  { path: '/browse/benefits//', key: 'browse/benefits/index.html' },
  // A document extension: the file first, then the HTML page a saved redirect is, then (for
  // another case of the extension) the name as it is, for a type Go lists no extension for.
  { path: '/government/publications/x.pdf', key: 'government/publications/x.pdf', more: ['government/publications/x.pdf.html'] },
  { path: '/government/uploads/system/uploads/attachment_data/file/1/report.pdf', key: 'government/uploads/system/uploads/attachment_data/file/1/report.pdf', more: ['government/uploads/system/uploads/attachment_data/file/1/report.pdf.html'] },
  { path: '/media/1/Report.PDF', key: 'media/1/Report.PDF.pdf', more: ['media/1/Report.PDF.html', 'media/1/Report.PDF'] },
  { path: '/x.PDF', key: 'x.PDF.pdf', more: ['x.PDF.html', 'x.PDF'] },
  { path: '/x.Pdf', key: 'x.Pdf.pdf', more: ['x.Pdf.html', 'x.Pdf'] },
  // Go's list for image/jpeg ends in .pjpeg: that, not .jpg, is what the crawler appends.
  { path: '/a.JPG', key: 'a.JPG.pjpeg', more: ['a.JPG.html', 'a.JPG'] },
  { path: '/a.Jpg', key: 'a.Jpg.pjpeg', more: ['a.Jpg.html', 'a.Jpg'] },
  { path: '/a.jpg', key: 'a.jpg', more: ['a.jpg.html'] },
  // Go's lists for Word, Excel and XML lack these extensions, whatever their case.
  { path: '/x.dot', key: 'x.dot.doc', more: ['x.dot.html', 'x.dot'] },
  { path: '/x.xsd', key: 'x.xsd.xml', more: ['x.xsd.html', 'x.xsd'] },
  // Go lists no extension for the type: the file keeps its name in any case.
  { path: '/x.chm', key: 'x.chm', more: ['x.chm.html'] },
  { path: '/x.KML', key: 'x.KML', more: ['x.KML.html'] },
  { path: '/assets/app.css', key: 'assets/app.css', more: ['assets/app.css.html'] },
  { path: '/fonts/x.woff2', key: 'fonts/x.woff2', more: ['fonts/x.woff2.html'] },
  { path: '/.pdf', key: '.pdf', more: ['.pdf.html'] },
  { path: '/x.constructor', key: 'x.constructor.html' },
  { path: '/x.tar.gz', key: 'x.tar.gz.html' },
  { path: '/foo.bar', key: 'foo.bar.html' },
  { path: '/foo.cy', key: 'foo.cy.html' },
  { path: '/foo.html', key: 'foo.html' },
  // Go lists .ehtml, .htm and .html for text/html, so the crawler keeps them on a page;
  // .shtml it drops from that list, and the case must match.
  { path: '/old/page.htm', key: 'old/page.htm' },
  { path: '/a.ehtml', key: 'a.ehtml' },
  { path: '/a.shtml', key: 'a.shtml.html' },
  { path: '/a.HTM', key: 'a.HTM.html' },
  { path: '/foo.csv/preview', key: 'foo.csv/preview.html' },
  { path: '/foo.', key: 'foo..html' },
  { path: '/...', key: '....html' },
  { path: '/a%20b', key: 'a%20b.html', req: 'a%2520b.html' },
  { path: '/a b', key: 'a%20b.html', req: 'a%2520b.html' },
  { path: '/search?q=x', key: 'search.html' },
  { path: '/search?q=x#results', key: 'search.html' },
  { path: '/page#section', key: 'page.html' },
  { path: '//double//slashes', key: 'double/slashes.html' },
  { path: '/caf%C3%A9', key: 'caf%C3%A9.html', req: 'caf%25C3%25A9.html' },
  { path: '/café', key: 'caf%C3%A9.html', req: 'caf%25C3%25A9.html' },
  { path: '/caf%c3%a9', key: 'caf%c3%a9.html', req: 'caf%25c3%25a9.html' },
  { path: '/😀', key: '%F0%9F%98%80.html', req: '%25F0%259F%2598%2580.html' },
  { path: '/a+b', key: 'a+b.html', req: 'a%2Bb.html' },
  { path: '/a%2Bb', key: 'a%2Bb.html', req: 'a%252Bb.html' },
  { path: '/~user', key: '~user.html' },
  { path: '/%7Euser', key: '%7Euser.html', req: '%257Euser.html' },
  { path: "/a;b,c:d@e!f'g(h)i*j", key: "a;b,c:d@e!f'g(h)i*j.html", req: 'a%3Bb%2Cc%3Ad%40e%21f%27g%28h%29i%2Aj.html' },
  { path: '/$&=[x]', key: '$&=[x].html', req: '%24%26%3D%5Bx%5D.html' },
  { path: '/%21', key: '%21.html', req: '%2521.html' },
  { path: '/a|b', key: 'a%7Cb.html', req: 'a%257Cb.html' },
  { path: '/a^b', key: 'a%5Eb.html', req: 'a%255Eb.html' },
  { path: '/%41|', key: 'A%7C.html', req: 'A%257C.html' },
  // Hostile paths.
  { path: '/../etc/passwd', key: 'etc/passwd.html' },
  { path: '/../../../../etc/passwd', key: 'etc/passwd.html' },
  { path: '/a/b/c/../../../../../../x', key: 'x.html' },
  { path: '/%2e%2e/x', key: 'x.html' },
  { path: '/a/%2E%2E/%2e%2e/b', key: 'b.html' },
  { path: '/.%2e/.%2E/%2e./x', key: 'x.html' },
  { path: '/a/b/..', key: 'a/index.html' },
  { path: '/a/.', key: 'a/index.html' },
  { path: '/a/%2e', key: 'a/index.html' },
  { path: '/a%2fb', key: 'a%2fb.html', req: 'a%252fb.html' },
  { path: '/a%2Fb.pdf', key: 'a%2Fb.pdf', req: 'a%252Fb.pdf', more: [['a%2Fb.pdf.html', 'a%252Fb.pdf.html']] },
  { path: '/..%2f..%2fsecret', key: '..%2f..%2fsecret.html', req: '..%252f..%252fsecret.html' },
  { path: '/..%2e', key: '..%2e.html', req: '..%252e.html' },
  { path: '/\\..\\x', key: 'x.html' },
  { path: '/%5C..%5Cx', key: '%5C..%5Cx.html', req: '%255C..%255Cx.html' },
  // Go would make the encoded slash a separator here (a%7Cb/c%21); we keep it in the name.
  { path: '/a|b%2Fc!', key: 'a%7Cb%2Fc%21.html', req: 'a%257Cb%252Fc%2521.html' },
  { path: '/%00', key: '%00.html', req: '%2500.html' },
  { path: '/a%0Ab', key: 'a%0Ab.html', req: 'a%250Ab.html' },
  { path: '/%ff', key: '%ff.html', req: '%25ff.html' },
  { path: '/%C3', key: '%C3.html', req: '%25C3.html' },
  { path: '/%zz', key: '%25zz.html', req: '%2525zz.html', problem: 'invalid-percent-encoding' },
  { path: '/100%', key: '100%25.html', req: '100%2525.html', problem: 'invalid-percent-encoding' },
  { path: `/${LONG}`, key: `${LONG}.html`, problem: 'key-too-long' },
];

describe('mirror object key and bucket request path (table)', () => {
  it('has at least 30 rows', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(30);
  });

  for (const row of TABLE) {
    const label = row.path.length > 60 ? `${row.path.slice(0, 40)}… (${row.path.length} chars)` : JSON.stringify(row.path);
    it(label, () => {
      const key = `www.gov.uk/${row.key}`;
      const requestPath = `/www.gov.uk/${row.req ?? row.key}`;
      const names = [[row.key, row.req ?? row.key] as const, ...(row.more ?? []).map((m) => (typeof m === 'string' ? ([m, m] as const) : m))].map(([k, r]) => ({
        key: `www.gov.uk/${k}`,
        requestPath: `/www.gov.uk/${r}`,
      }));
      const url = `${ORIGIN}${row.path}`;
      expect(mirrorObjectKey(url, 'www.gov.uk')).toBe(key);
      expect(mirrorRequestPath(url, 'www.gov.uk')).toBe(requestPath);
      expect(mirrorObjectKey(new URL(url), 'www.gov.uk')).toBe(key);
      expect(mirrorRequestPath(new URL(url), 'www.gov.uk')).toBe(requestPath);
      const result = resolveMirrorPath(url);
      expect(result.key).toBe(key);
      expect(result.requestPath).toBe(requestPath);
      if (row.problem === undefined) {
        expect(result).toEqual({ ok: true, key, requestPath, names });
      } else {
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.problem).toBe(row.problem);
        expect(result.names).toEqual(names);
      }
    });
  }
});

describe('raw path strings that never went through a URL parser', () => {
  const rows: ReadonlyArray<readonly [string, string]> = [
    ['/../etc/passwd', 'etc/passwd.html'],
    ['../../etc/passwd', 'etc/passwd.html'],
    ['/%2e%2e/x', 'x.html'],
    ['/%2E%2e/%2e%2E/%2e%2e/x', 'x.html'],
    ['/a/%2E%2E/%2e%2e/b', 'b.html'],
    ['/.%2e/%2e./x', 'x.html'],
    ['/\\..\\x', 'x.html'],
    ['\\..\\..\\x', 'x.html'],
    ['/..%2f..%2fsecret', '..%2f..%2fsecret.html'],
    ['/a%2fb', 'a%2fb.html'],
    ['/a b', 'a%20b.html'],
    ['/café', 'caf%C3%A9.html'],
    ['/a\tb\nc\r', 'abc.html'],
    ['/a\u0000b', 'a%00b.html'],
    ['/\ud800', '%EF%BF%BD.html'],
    // Not validly encoded for Go (space), so re-escaped: %2f stays in the name, uppercased.
    ['/a%2fb c', 'a%2Fb%20c.html'],
    // Go decides whether to re-escape on the whole path as written: the space in a
    // segment that .. removes still makes it decode %2E (found by the Go differential).
    ['/ /../%2E.html', '..html'],
    ['/%2E%7E', '%2E%7E.html'],
    ['/x?../../y', 'x.html'],
    ['/x#/../../y', 'x.html'],
    ['', 'index.html'],
    ['/', 'index.html'],
  ];
  for (const [raw, key] of rows) {
    it(JSON.stringify(raw), () => {
      const result = resolveMirrorPathFromRawPath(raw);
      expect(result.ok).toBe(true);
      expect(result.key).toBe(`www.gov.uk/${key}`);
    });
  }

  it('refuses a bad escape anywhere in the path, even in a segment that .. removes, as Go\'s url.Parse does', () => {
    const result = resolveMirrorPathFromRawPath('/%a/../a');
    expect(result).toMatchObject({ ok: false, problem: 'invalid-percent-encoding', key: 'www.gov.uk/a.html' });
  });

  it('gives a path string the same answer as the full URL', () => {
    for (const path of ['/a b', '//double//slashes', '/a/../b', '/\\..\\x', '/café?x#y', '/%2e%2e/x']) {
      expect(mirrorObjectKey(path, 'www.gov.uk')).toBe(mirrorObjectKey(`${ORIGIN}${path}`, 'www.gov.uk'));
    }
  });
});

describe("Go's EscapedPath (checked against Go 1.19 net/url)", () => {
  const rows: ReadonlyArray<readonly [string, string | undefined]> = [
    ['/%2F', '/%2F'],
    ['/%7E', '/%7E'],
    ['/+', '/+'],
    ['/;', '/;'],
    ['/,', '/,'],
    ['/:', '/:'],
    ['/@', '/@'],
    ['/!', '/!'],
    ["/'", "/'"],
    ['/(', '/('],
    ['/)', '/)'],
    ['/*', '/*'],
    ['/%21', '/%21'],
    ['/[x]', '/[x]'],
    ['/$&=', '/$&='],
    ['/é', '/%C3%A9'],
    ['/caf%c3%a9', '/caf%c3%a9'],
    ['/%ff', '/%ff'],
    ['/%00', '/%00'],
    ['/a b', '/a%20b'],
    ['/a^b', '/a%5Eb'],
    ['/%41|', '/A%7C'],
    ["/a|b%2Fc%7E!'()*+;,:@", "/a%7Cb/c~%21%27%28%29%2A+;,:@"],
    ['/%zz', undefined],
    ['/a%', undefined],
  ];
  for (const [raw, escaped] of rows) {
    it(`${JSON.stringify(raw)} → ${JSON.stringify(escaped)}`, () => {
      expect(goEscapedPath(raw)).toBe(escaped);
    });
  }
});

describe('prefix', () => {
  it('defaults to www.gov.uk', () => {
    expect(DEFAULT_MIRROR_PREFIX).toBe('www.gov.uk');
    expect(mirrorObjectKey(`${ORIGIN}/x`)).toBe('www.gov.uk/x.html');
    expect(mirrorRequestPath(`${ORIGIN}/x`)).toBe('/www.gov.uk/x.html');
  });

  it('strips leading, trailing and repeated slashes', () => {
    expect(normalizeMirrorPrefix('/www.gov.uk/')).toBe('www.gov.uk');
    expect(normalizeMirrorPrefix('//mirror//www.gov.uk//')).toBe('mirror/www.gov.uk');
    expect(mirrorObjectKey(`${ORIGIN}/x`, '/www.gov.uk/')).toBe('www.gov.uk/x.html');
    expect(mirrorObjectKey(`${ORIGIN}/x`, 'mirror//www.gov.uk')).toBe('mirror/www.gov.uk/x.html');
    expect(mirrorRequestPath(`${ORIGIN}/x`, 'mirror//www.gov.uk')).toBe('/mirror/www.gov.uk/x.html');
  });

  it('may be empty: keys at the bucket root, never starting with a slash', () => {
    for (const prefix of ['', '/', '///']) {
      expect(normalizeMirrorPrefix(prefix)).toBe('');
      expect(mirrorObjectKey(`${ORIGIN}/`, prefix)).toBe('index.html');
      expect(mirrorRequestPath(`${ORIGIN}/`, prefix)).toBe('/index.html');
      expect(mirrorObjectKey(`${ORIGIN}/../a%20b`, prefix)).toBe('a%20b.html');
      expect(mirrorRequestPath(`${ORIGIN}/../a%20b`, prefix)).toBe('/a%2520b.html');
    }
  });

  it('is percent-encoded in the request path', () => {
    expect(mirrorObjectKey(`${ORIGIN}/x`, 'my mirror')).toBe('my mirror/x.html');
    expect(mirrorRequestPath(`${ORIGIN}/x`, 'my mirror')).toBe('/my%20mirror/x.html');
  });
});

describe('limits and odd input', () => {
  it('flags keys over 1024 bytes but still returns them inside the prefix', () => {
    const fits = `/${'a'.repeat(MAX_OBJECT_KEY_BYTES - 'www.gov.uk/'.length - '.html'.length)}`;
    expect(resolveMirrorPath(fits).ok).toBe(true);
    const over = resolveMirrorPath(`${fits}b`);
    expect(over.ok).toBe(false);
    if (!over.ok) {
      expect(over.problem).toBe('key-too-long');
      expect(over.detail).toMatch(/1025 bytes/);
    }
  });

  it('never throws, whatever it is given', () => {
    const odd: unknown[] = [undefined, null, 42, {}, { pathname: 7 }, { pathname: '/x' }, 'http://[', 'mailto:a@b', 'javascript:alert(1)', '\u0000', '%', '%%%', '/%%2e%2e/x'];
    for (const input of odd) {
      const result = resolveMirrorPath(input as string);
      expect(result.key.startsWith('www.gov.uk/')).toBe(true);
    }
    expect(mirrorObjectKey({ pathname: '/x' } as unknown as URL)).toBe('www.gov.uk/x.html');
    expect(resolveMirrorPathFromRawPath(undefined as unknown as string).key).toBe('www.gov.uk/index.html');
  });

  it('knows exactly the listed document extensions, in lower case (a path\'s is matched in any case)', () => {
    expect([...DOCUMENT_EXTENSIONS].sort()).toEqual(
      'atom chm css csv diff doc docx dot dxf eps gif gml ico ics jpeg jpg js json kml odp ods odt pdf png ppt pptx ps rdf rtf sch svg txt wsdl xls xlsm xlsx xlt xml xsd xslt woff woff2 zip'
        .split(' ')
        .sort(),
    );
  });

  it('leaves out a name over 1,024 bytes and keeps the ones that fit', () => {
    const stem = 'a'.repeat(MAX_OBJECT_KEY_BYTES - 'www.gov.uk/'.length - '.pdf'.length);
    // The file's own name fits exactly; the saved redirect's (.pdf.html) would not.
    expect(resolveMirrorPath(`/${stem}.pdf`)).toMatchObject({ ok: true, key: `www.gov.uk/${stem}.pdf`, names: [{ key: `www.gov.uk/${stem}.pdf` }] });
    // Another case: the file's (.PDF.pdf) and the redirect's are too long, the name as it is fits.
    expect(resolveMirrorPath(`/${stem}.PDF`)).toMatchObject({ ok: true, key: `www.gov.uk/${stem}.PDF`, names: [{ key: `www.gov.uk/${stem}.PDF` }] });
    const over = resolveMirrorPath(`/${stem}b.pdf`);
    expect(over).toMatchObject({ ok: false, problem: 'key-too-long', key: `www.gov.uk/${stem}b.pdf` });
    expect(over.names).toEqual([{ key: over.key, requestPath: over.requestPath }]);
  });

  it('gives one name for a path Go cannot parse, and never more than three', () => {
    expect(resolveMirrorPath('/%zz.pdf').names).toHaveLength(1);
    for (const path of ['/a', '/a/', '/a.htm', '/a.pdf', '/a.PDF', '/a.Jpg', '/a.DOT', '/a.chm']) {
      expect(resolveMirrorPath(path).names.length).toBeLessThanOrEqual(MAX_OBJECT_NAMES);
    }
  });
});

describe('the names asked, path first (the assets domain: files keep their own names)', () => {
  const ASSETS = 'assets.publishing.service.gov.uk';
  const keys = (url: string, order: NameOrder) => resolveMirrorPath(`https://${ASSETS}${url}`, ASSETS, order).names.map((n) => n.key);

  it.each([
    ['/media/5f3a/report.pdf', ['report.pdf', 'report.pdf.html']],
    ['/media/abc/Photo.JPG', ['Photo.JPG', 'Photo.JPG.pjpeg', 'Photo.JPG.html']],
    ['/media/abc/data', ['data', 'data.html']],
    ['/media/abc/page.html', ['page.html']],
    ['/media/abc/a%20b.csv?x=1', ['a%20b.csv', 'a%20b.csv.html']],
    ['/media/abc/', ['index.html']],
  ])('%s → %j', (url, names) => {
    const dir = url.replace(/\?.*$/, '').replace(/[^/]*$/, '');
    expect(keys(url, 'path-first')).toEqual(names.map((n) => `${ASSETS}${dir}${n}`));
  });

  it('asks the crawler order by default: a page first, as for www.gov.uk', () => {
    expect(keys('/media/abc/data', 'crawler')).toEqual([`${ASSETS}/media/abc/data.html`]);
    expect(keys('/media/abc/Photo.JPG', 'crawler')[0]).toBe(`${ASSETS}/media/abc/Photo.JPG.pjpeg`);
  });

  it('keeps every key inside the prefix, path first too', () => {
    expect(keys('/media/../../etc/passwd', 'path-first')).toEqual([`${ASSETS}/etc/passwd`, `${ASSETS}/etc/passwd.html`]);
  });
});
