/**
 * Differential test of the mirror mapping against Go, the language the crawler
 * is written in: for thousands of generated paths, the key the service asks a
 * bucket for must be the key the crawler's rules give in Go (tools/crawler-key),
 * or differ in one of the documented ways below (README, "Mirror keys").
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
import { DOCUMENT_EXTENSIONS, type MirrorPathResult, resolveMirrorPath, resolveMirrorPathFromRawPath } from '../../src/core/mirror-path.ts';
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
 * extensions (the usual IANA or Apache registration). The service asks for such a
 * name as it is, assuming the file; the crawler keeps the name only when Go lists
 * the extension for that type, or knows no extension for it.
 */
const DOCUMENT_TYPES: Readonly<Record<string, string>> = {
  atom: 'application/atom+xml', chm: 'application/vnd.ms-htmlhelp', css: 'text/css', csv: 'text/csv', diff: 'text/x-diff',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  dot: 'application/msword', dxf: 'image/vnd.dxf', eps: 'application/postscript', gif: 'image/gif', gml: 'application/gml+xml',
  html: 'text/html', ico: 'image/vnd.microsoft.icon', ics: 'text/calendar', jpeg: 'image/jpeg', jpg: 'image/jpeg', JPG: 'image/jpeg',
  js: 'text/javascript', json: 'application/json', kml: 'application/vnd.google-earth.kml+xml',
  odp: 'application/vnd.oasis.opendocument.presentation', ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odt: 'application/vnd.oasis.opendocument.text', pdf: 'application/pdf', PDF: 'application/pdf', png: 'image/png',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  ps: 'application/postscript', rdf: 'application/rdf+xml', rtf: 'application/rtf', sch: 'application/xml', svg: 'image/svg+xml',
  txt: 'text/plain', wsdl: 'application/wsdl+xml', xls: 'application/vnd.ms-excel', xlsm: 'application/vnd.ms-excel.sheet.macroEnabled.12',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', xlt: 'application/vnd.ms-excel', xml: 'application/xml',
  xsd: 'application/xml', xslt: 'application/xslt+xml', woff: 'font/woff', woff2: 'font/woff2', zip: 'application/zip',
};

/** Document extensions whose usual type's list in Go lacks them, so the crawler appends that type's extension. */
const UNLISTED_FOR_THEIR_TYPE = ['PDF', 'JPG', 'dot', 'sch', 'xlt', 'xsd'];

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

const lastKeySegment = (key: string) => key.slice(key.lastIndexOf('/') + 1);
const extensionOf = (name: string) => (name.lastIndexOf('.') > 0 || name.startsWith('.') ? name.slice(name.lastIndexOf('.') + 1) : '');
/** The document extension the service kept the last segment for, if it kept one. */
function documentExtension(key: string): string | undefined {
  const ext = extensionOf(lastKeySegment(key));
  return ext !== 'html' && DOCUMENT_EXTENSIONS.has(ext) ? ext : undefined;
}
const pathPart = (p: string) => p.split(/[?#]/, 1)[0] ?? '';
/** The segments of a raw path as a browser splits them (`\` too); the first, before the leading `/`, left out. */
const rawSegments = (p: string) => pathPart(p).split(/[/\\]/).slice(1);
/** `.` or `..` in any spelling browsers resolve. */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
const DOUBLE_DOT_SEGMENT = /^(?:\.|%2e){2}$/i;
/** Bytes Go's URL.EscapedPath will not keep as written (then it re-escapes the decoded path). */
const GO_RE_ESCAPES = /[^A-Za-z0-9\-._~!$&'()*+,;=:@[\]%/]/;

/** The documented differences (README, "Mirror keys"). Each names the inputs it covers, narrowly. */
const DIFFERENCES: readonly Difference[] = [
  {
    id: 'html-page-at-document-url',
    why: 'the service asks for a URL ending in a document extension as that document; an HTML page there (a saved redirect) is stored with .html appended',
    applies: (c) => c.contentType === 'text/html' && documentExtension(c.service.key) !== undefined,
    check: (c) => expect(c.go).toEqual({ ok: true, key: `${c.service.key}.html` }),
  },
  {
    id: 'extension-not-listed-for-its-type',
    why: 'Go lists no such extension for the type (case matters: .PDF is not .pdf), so the crawler appends the type\'s own',
    applies: (c) => c.contentType !== 'text/html' && UNLISTED_FOR_THEIR_TYPE.includes(documentExtension(c.service.key) ?? ''),
    check: (c) => {
      expect(c.go.ok).toBe(true);
      if (c.go.ok) expect(c.go.key).toMatch(new RegExp(`^${escapeRegExp(c.service.key)}\\.[a-z]+$`));
    },
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

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compares one case; returns the ids of the differences it shows, or throws with the whole case. */
function compare(c: Case): string[] {
  // A bad % escape: Go cannot parse the URL, so the crawler never stored it; the
  // service must say so (ok: false), and say so only then.
  const goBadEscape = !c.go.ok && /invalid URL escape/.test(c.go.error);
  const serviceBadEscape = !c.service.ok && c.service.problem === 'invalid-percent-encoding';
  if (goBadEscape && serviceBadEscape) return ['both-refuse-bad-escape'];
  if (!goBadEscape && !serviceBadEscape && c.go.ok && c.go.key === c.service.key) return [];
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

  it(`edge route: asks for the crawler's key, or differs as documented (${RUNS} paths)`, () => {
    assertEachPath(pagePath(), (input) => {
      const url = new URL(`${ORIGIN}${input}`);
      const service = resolveMirrorPath(url);
      const page: Omit<Case, 'go'> = { route: 'edge', input, path: url.pathname, contentType: 'text/html', service };
      const ext = documentExtension(service.key);
      return ext === undefined ? [page] : [page, { ...page, contentType: DOCUMENT_TYPES[ext]! }];
    });
  });

  it(`raw route: a path taken character for character, as Go takes it (${RUNS} paths)`, () => {
    assertEachPath(pagePath({ rawControls: true }), (input) => [
      { route: 'raw', input, path: input, contentType: 'text/html', service: resolveMirrorPathFromRawPath(input) },
    ]);
  });

  it('every document extension the service keeps is stored under that name for its usual type, or listed as a difference', () => {
    const exts = [...DOCUMENT_EXTENSIONS].filter((e) => e !== 'html');
    expect(Object.keys(DOCUMENT_TYPES).sort()).toEqual([...DOCUMENT_EXTENSIONS].sort());
    const answers = oracle!.keys(exts.map((ext) => ({ path: `/f/x.${ext}`, contentType: DOCUMENT_TYPES[ext]! })));
    const mismatched = exts.filter((ext, i) => answers[i]?.ok !== true || (answers[i] as { key: string }).key !== `${PREFIX}/f/x.${ext}`);
    expect(mismatched.sort()).toEqual([...UNLISTED_FOR_THEIR_TYPE].sort());
  });
});
