/**
 * Differential test of the mirror mapping against Go, the language the crawler
 * is written in: for thousands of generated paths, and for each content type
 * the crawler could have seen for them (`text/html`, which a saved redirect is
 * too, and the usual type of the path's document extension), the key the
 * crawler's rules give in Go (tools/crawler-key) must be among the names the
 * service asks a bucket for, or differ in one of the documented ways below
 * (docs/mirror-keys.md).
 *
 * Two routes are checked for every path:
 *  - edge: the path as a browser or Fastly hands it to the service (WHATWG-parsed,
 *    as `resolveMirrorPath` takes it), against Go on that same path, which is how
 *    GOV.UK's own links are written;
 *  - raw: the path character for character (`resolveMirrorPathFromRawPath`),
 *    against Go parsing exactly those characters.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_EXTENSIONS } from '../../src/core/crawler-names.ts';
import { MAX_OBJECT_KEY_BYTES, type MirrorPathResult, resolveMirrorPath, resolveMirrorPathFromRawPath } from '../../src/core/mirror-path.ts';
import { checkRequest } from '../../src/core/request-checks.ts';
import { buildCrawlerKey, type CrawlerKeyAnswer, type CrawlerKeyOracle, type CrawlerKeyQuery, goAvailability } from '../support/crawler-key.ts';
import { pagePath } from '../support/path-arbitraries.ts';
import { runs } from '../support/property-runs.ts';

const ORIGIN = 'https://www.gov.uk';
const PREFIX = 'www.gov.uk';
/** Paths generated for each route. */
const RUNS = 5000;

/**
 * The content type a server sends for a file with each of the service's document
 * extensions (the usual IANA or Apache registration), whatever the extension's
 * case. The crawler keeps the name only when Go lists the extension, as written,
 * for that type, or knows no extension for it; otherwise it appends the last one
 * Go lists.
 */
const DOCUMENT_TYPES: Readonly<Record<string, string>> = {
  atom: 'application/atom+xml', chm: 'application/vnd.ms-htmlhelp', css: 'text/css', csv: 'text/csv', diff: 'text/x-diff',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  dot: 'application/msword', dxf: 'image/vnd.dxf', eps: 'application/postscript', gif: 'image/gif', gml: 'application/gml+xml',
  ico: 'image/vnd.microsoft.icon', ics: 'text/calendar', jpeg: 'image/jpeg', jpg: 'image/jpeg',
  js: 'text/javascript', json: 'application/json', kml: 'application/vnd.google-earth.kml+xml',
  odp: 'application/vnd.oasis.opendocument.presentation', ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odt: 'application/vnd.oasis.opendocument.text', pdf: 'application/pdf', png: 'image/png',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  ps: 'application/postscript', rdf: 'application/rdf+xml', rtf: 'application/rtf', sch: 'application/xml', svg: 'image/svg+xml',
  txt: 'text/plain', wsdl: 'application/wsdl+xml', xls: 'application/vnd.ms-excel', xlsm: 'application/vnd.ms-excel.sheet.macroEnabled.12',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', xlt: 'application/vnd.ms-excel', xml: 'application/xml',
  xsd: 'application/xml', xslt: 'application/xslt+xml', woff: 'font/woff', woff2: 'font/woff2', zip: 'application/zip',
};

interface Case {
  readonly route: 'edge' | 'raw';
  /** The generated path. */
  readonly input: string;
  /** The path Go was given. */
  readonly path: string;
  readonly contentType: string;
  readonly service: MirrorPathResult;
  readonly go: CrawlerKeyAnswer;
}

interface Difference {
  readonly id: string;
  readonly why: string;
  applies(c: Case): boolean;
  /** How the two keys must differ when it applies. */
  check(c: Case): void;
}

const pathPart = (p: string) => p.split(/[?#]/, 1)[0] ?? '';
/** The usual content type of a path's document extension (its last segment's, any case), as Go would split it. */
function documentType(path: string): string | undefined {
  const last = pathPart(path).split('/').at(-1) ?? '';
  const dot = last.lastIndexOf('.');
  const ext = dot < 0 ? '' : last.slice(dot + 1).toLowerCase();
  return Object.hasOwn(DOCUMENT_TYPES, ext) ? DOCUMENT_TYPES[ext] : undefined;
}
const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;
/** The segments of a raw path as a browser splits them (`\` too); the first, before the leading `/`, left out. */
const rawSegments = (p: string) => pathPart(p).split(/[/\\]/).slice(1);
/** `.` or `..` in any spelling browsers resolve. */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
const DOUBLE_DOT_SEGMENT = /^(?:\.|%2e){2}$/i;
/** Bytes Go's URL.EscapedPath will not keep as written (then it re-escapes the decoded path). */
const GO_RE_ESCAPES = /[^A-Za-z0-9\-._~!$&'()*+,;=:@[\]%/]/;

/** The documented differences (docs/mirror-keys.md). Each names the inputs it covers, narrowly. */
const DIFFERENCES: readonly Difference[] = [
  {
    id: 'name-over-the-key-limit',
    why: 'S3 and GCS cannot hold a key over 1,024 bytes, so the service does not ask for such a name',
    applies: (c) => c.go.ok && utf8Bytes(c.go.key) > MAX_OBJECT_KEY_BYTES,
    check: (c) => expect(c.service.names.map((n) => n.key)).not.toContain(c.go.ok ? c.go.key : ''),
  },
  {
    id: 'encoded-slash-in-re-escaped-path',
    why: 'when Go re-escapes a path it turns %2F into a separator; the service keeps it inside the name',
    applies: (c) => /%2f/i.test(pathPart(c.path)) && GO_RE_ESCAPES.test(pathPart(c.path)),
    check: () => undefined,
  },
  {
    id: 'backslash',
    why: 'browsers and the service read \\ as /; Go keeps it in the name as %5C',
    applies: (c) => c.route === 'raw' && pathPart(c.input).includes('\\'),
    check: () => undefined,
  },
  {
    id: 'encoded-dot-segment',
    why: 'browsers and the service resolve %2e and %2e%2e segments as . and ..; Go keeps them as names',
    applies: (c) => c.route === 'raw' && rawSegments(c.input).some((s) => DOT_SEGMENT.test(s) && /%2e/i.test(s)),
    check: () => undefined,
  },
  {
    id: 'dot-segment-last',
    why: 'a path ending in /. or /.. names a directory for browsers and the service (index.html); Go names a file ..html or ...html',
    applies: (c) => c.route === 'raw' && DOT_SEGMENT.test(rawSegments(c.input).at(-1) ?? ''),
    check: () => undefined,
  },
  {
    id: 'dot-dot-after-empty-segment',
    why: 'for browsers and the service the .. in /a//.. removes the empty segment between the slashes; Go collapses // first, so .. removes a',
    applies: (c) => c.route === 'raw' && rawSegments(c.input).some((s, i, all) => s === '' && all.slice(i + 1).some((t) => DOUBLE_DOT_SEGMENT.test(t))),
    check: () => undefined,
  },
  {
    id: 'above-the-host-directory',
    why: 'Go\'s filepath.Join lets .. climb out of the host directory; the service never leaves the prefix',
    applies: (c) => c.go.ok && !c.go.key.startsWith(`${PREFIX}/`),
    check: (c) => expect(c.service.key.startsWith(`${PREFIX}/`)).toBe(true),
  },
  {
    id: 'raw-control-character',
    why: 'Go refuses a URL with a raw control character; the service answers such a request 400 before any mapping',
    applies: (c) => c.route === 'raw' && !c.go.ok && /[\x00-\x1f\x7f]/.test(pathPart(c.input)),
    check: (c) => expect(checkRequest('GET', `${ORIGIN}${c.input}`)?.status).toBe(400),
  },
];

const query = (c: Omit<Case, 'go'>): CrawlerKeyQuery => ({ path: c.path, contentType: c.contentType });

/** Compares one case; returns the ids of the differences it shows, or throws with the whole case. */
function compare(c: Case): string[] {
  // A bad % escape: Go cannot parse the URL, so the crawler never stored it; the
  // service must say so (ok: false), and say so only then.
  const goBadEscape = !c.go.ok && /invalid URL escape/.test(c.go.error);
  const serviceBadEscape = !c.service.ok && c.service.problem === 'invalid-percent-encoding';
  if (goBadEscape && serviceBadEscape) return ['both-refuse-bad-escape'];
  const goKey = c.go.ok ? c.go.key : undefined;
  if (!goBadEscape && !serviceBadEscape && c.service.names.some((n) => n.key === goKey)) return [];
  const applicable = DIFFERENCES.filter((d) => d.applies(c));
  if (applicable.length === 0) {
    throw new Error(`The service and the crawler disagree, and no documented difference covers it:\n${JSON.stringify(c, null, 2)}`);
  }
  // A difference's check describes it alone; where several meet, their effects mix.
  if (applicable.length === 1) applicable[0]!.check(c);
  return applicable.map((d) => d.id);
}

const go = goAvailability();
const inCi = process.env.CI === 'true';
if (!go.available && !inCi) console.warn(`[mirror keys] Go differential skipped: ${go.reason}`);

describe.skipIf(!go.available && !inCi)('mirror keys against Go (the crawler\'s rules in tools/crawler-key)', () => {
  let oracle: CrawlerKeyOracle | undefined;
  /** Per route: keys compared, equal, and each difference seen. */
  const tally = new Map<string, Map<string, number>>();

  beforeAll(() => {
    if (!go.available) throw new Error(`CI=true and Go is missing (${go.reason}): the differential test of the mirror keys must run in CI. Install Go 1.21 or later.`);
    oracle = buildCrawlerKey();
  }, 240_000);

  afterAll(() => {
    oracle?.dispose();
    for (const [route, counts] of tally) {
      const parts = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([id, n]) => `${id} ${n}`);
      console.log(`[mirror keys] ${route} route, keys compared with Go: ${parts.join(', ')}`);
    }
  });

  const record = (route: string, ids: string[]) => {
    const counts = tally.get(route) ?? new Map<string, number>();
    tally.set(route, counts);
    for (const id of ['compared', ...(ids.length === 0 ? ['equal'] : ids)]) counts.set(id, (counts.get(id) ?? 0) + 1);
  };

  it('the crawler-key program states the crawler\'s documented examples', () => {
    const rows: [CrawlerKeyQuery, CrawlerKeyAnswer][] = [
      [{ path: '/browse/benefits' }, { ok: true, key: 'www.gov.uk/browse/benefits.html' }],
      [{ path: '/browse/benefits/' }, { ok: true, key: 'www.gov.uk/browse/benefits/index.html' }],
      [{ path: '/a b' }, { ok: true, key: 'www.gov.uk/a%20b.html' }],
      [{ path: '/a/report.pdf' }, { ok: true, key: 'www.gov.uk/a/report.pdf.html' }],
      [{ path: '/a/report.pdf', contentType: 'application/pdf' }, { ok: true, key: 'www.gov.uk/a/report.pdf' }],
      [{ path: '/old/page.htm' }, { ok: true, key: 'www.gov.uk/old/page.htm' }],
      [{ path: '/page.shtml' }, { ok: true, key: 'www.gov.uk/page.shtml.html' }],
      [{ path: '/media/1/Report.PDF', contentType: 'application/pdf' }, { ok: true, key: 'www.gov.uk/media/1/Report.PDF.pdf' }],
      [{ path: '/x.JPG', contentType: 'image/jpeg' }, { ok: true, key: 'www.gov.uk/x.JPG.pjpeg' }],
      [{ path: '/x.chm', contentType: 'application/vnd.ms-htmlhelp' }, { ok: true, key: 'www.gov.uk/x.chm' }],
      // The crawler's image has no system MIME tables: Go's own list for Excel is just .xls.
      [{ path: '/sheet', contentType: 'application/vnd.ms-excel' }, { ok: true, key: 'www.gov.uk/sheet.xls' }],
      [{ path: '/x.kml', contentType: 'application/vnd.google-earth.kml+xml' }, { ok: true, key: 'www.gov.uk/x.kml' }],
      [{ path: '/search?q=x' }, { ok: true, key: 'www.gov.uk/search.html' }],
      [{ path: '/../../etc/passwd' }, { ok: true, key: '../etc/passwd.html' }],
      [{ path: '/x', contentType: 'application/x-unknown' }, { ok: false, error: 'neither the content type nor the path gives an extension' }],
    ];
    expect(oracle!.keys(rows.map(([q]) => q))).toEqual(rows.map(([, a]) => a));
    expect(oracle!.keys([{ path: '/%zz' }])[0]).toMatchObject({ ok: false, error: expect.stringContaining('invalid URL escape') });
  });

  /**
   * One property per route, one path per run. Go answers for every path of the
   * run's sample in one batch first (fast-check generates the same paths from the
   * same seed); shrinking asks about its new paths one at a time.
   */
  function assertEachPath(arbitrary: fc.Arbitrary<string>, casesFor: (input: string) => Omit<Case, 'go'>[]): void {
    const settings = runs<[string]>(RUNS);
    oracle!.keys(fc.sample(arbitrary, { seed: settings.seed, numRuns: RUNS }).flatMap(casesFor).map(query));
    fc.assert(
      fc.property(arbitrary, (input) => {
        const cases = casesFor(input);
        const answers = oracle!.keys(cases.map(query));
        cases.forEach((c, i) => record(c.route, compare({ ...c, go: answers[i]! })));
      }),
      settings,
    );
  }

  /** The cases of one path: as an HTML page (or a saved redirect), and as a file of its extension's usual type. */
  const withTypes = (page: Omit<Case, 'go' | 'contentType'>): Omit<Case, 'go'>[] => {
    const type = documentType(page.path);
    return [{ ...page, contentType: 'text/html' }, ...(type === undefined ? [] : [{ ...page, contentType: type }])];
  };

  it(`edge route: the crawler's key is among the names asked, or differs as documented (${RUNS} paths)`, () => {
    assertEachPath(pagePath(), (input) => {
      const url = new URL(`${ORIGIN}${input}`);
      return withTypes({ route: 'edge', input, path: url.pathname, service: resolveMirrorPath(url) });
    });
  });

  it(`raw route: a path taken character for character, as Go takes it (${RUNS} paths)`, () => {
    assertEachPath(pagePath({ rawControls: true }), (input) => withTypes({ route: 'raw', input, path: input, service: resolveMirrorPathFromRawPath(input) }));
  });

  it('for every document extension, in any case, the file of its usual type and the saved redirect are among the names asked', () => {
    expect(Object.keys(DOCUMENT_TYPES).sort()).toEqual([...DOCUMENT_EXTENSIONS].sort());
    const variants = (ext: string) => [ext, ext.toUpperCase(), ext[0]!.toUpperCase() + ext.slice(1)];
    const queries = Object.entries(DOCUMENT_TYPES).flatMap(([ext, type]) =>
      variants(ext).flatMap((v) => [{ path: `/f/x.${v}`, contentType: type }, { path: `/f/x.${v}`, contentType: 'text/html' }]),
    );
    const answers = oracle!.keys(queries);
    const missing = queries.filter((q, i) => {
      const answer = answers[i]!;
      return !answer.ok || !resolveMirrorPath(q.path).names.some((n) => n.key === answer.key);
    });
    expect(missing).toEqual([]);
    // The file's own name comes first.
    const firsts = queries.filter((q, i) => q.contentType !== 'text/html' && resolveMirrorPath(q.path).key !== (answers[i] as { key?: string }).key);
    expect(firsts).toEqual([]);
  });

  it("finds each row of the issue's table under the object the crawler stored", () => {
    const rows: [CrawlerKeyQuery, number][] = [
      [{ path: '/government/uploads/system/uploads/attachment_data/file/1/report.pdf', contentType: 'text/html' }, 1],
      [{ path: '/old/page.htm', contentType: 'text/html' }, 0],
      [{ path: '/media/1/Report.PDF', contentType: 'application/pdf' }, 0],
      [{ path: '/browse/benefits', contentType: 'text/html' }, 0],
    ];
    const answers = oracle!.keys(rows.map(([q]) => q));
    rows.forEach(([q, position], i) => {
      const answer = answers[i]!;
      expect(answer.ok).toBe(true);
      expect(resolveMirrorPath(q.path).names.map((n) => n.key).indexOf(answer.ok ? answer.key : '')).toBe(position);
    });
  });
});
