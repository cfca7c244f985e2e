/**
 * The pure parts behind drift and freshness: visible text, first difference,
 * sitemaps, the lag sample, lag, the page list and the pool. Where the input
 * space is large these are property tests (fast-check), seeded and with a
 * fixed number of runs; a failure prints the seed and path to replay it
 * (FC_SEED=<seed> npx vitest run cli/drift-parts.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIRRORS } from '../src/core/backends.ts';
import type { Page, PageResult } from './compare-pages.ts';
import { firstDifference } from './first-difference.ts';
import { mirrorLag } from './lag.ts';
import { spreadSample } from './lag-sample.ts';
import { metaRefreshTarget } from './meta-refresh.ts';
import type { PageOutcome } from './page-comparison.ts';
import { parsePagesFile } from './page-list.ts';
import { createPool } from './pool.ts';
import { parseLastmod, parseSitemap } from './sitemap.ts';
import { newestFirst } from './sitemap-pages.ts';
import { visibleText, visibleWords } from './visible-text.ts';

const SEED = Number(process.env.FC_SEED ?? 20261121);
const RUNS = { seed: SEED, numRuns: 200 };
const HOUR = 3_600_000;

const word = fc.stringMatching(/^[A-Za-z0-9£%.,:'()-]{1,12}$/);
const words = fc.array(word, { minLength: 1, maxLength: 40 });
/** What differs between two renderings of one page without a reader seeing it. */
const noise = fc.record({
  nonce: fc.stringMatching(/^[A-Za-z0-9+/=]{8,24}$/),
  token: fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/),
  asset: fc.stringMatching(/^[0-9a-f]{6,20}$/),
  comment: fc.stringMatching(/^[a-z0-9 ]{0,30}$/),
  space: fc.constantFrom(' ', '  ', '\n', '\t', ' \n  '),
});
type Noise = typeof noise extends fc.Arbitrary<infer T> ? T : never;

/** A page whose paragraphs hold `text`, with the per-request parts from `n`. */
function render(text: readonly string[], n: Noise): string {
  const half = Math.ceil(text.length / 2);
  const para = (ws: readonly string[]) => ws.map((w) => w.replace(/&/g, '&amp;').replace(/</g, '&lt;')).join(n.space);
  return `<!DOCTYPE html><html><head><script nonce="${n.nonce}">var t="${n.token}"; if (a < b) document.write("<p>x</p>");</script>
<link rel="stylesheet" href="/assets/app-${n.asset}.css"><style>p{content:"${n.token}"}</style></head>
<body data-token="${n.token}"><!-- ${n.comment} --><main>${n.space}<p class="lede ${n.asset}">${para(text.slice(0, half))}</p>${n.space}
<template><p>${n.token}</p></template><div><input type="hidden" value="${n.token}">${para(text.slice(half))}</div></main></body></html>`;
}

describe('visible text', () => {
  it('is the words, whatever the nonces, tokens, asset names, comments and white space', () => {
    fc.assert(
      fc.property(words, noise, noise, (text, a, b) => {
        expect(visibleWords(render(text, a))).toEqual(text);
        expect(visibleText(render(text, a))).toBe(visibleText(render(text, b)));
      }),
      RUNS,
    );
  });

  it('a changed word is found at its index', () => {
    fc.assert(
      fc.property(words, noise, fc.nat(), word, (text, n, at, replacement) => {
        const i = at % text.length;
        fc.pre(text[i] !== replacement);
        const changed = text.map((w, j) => (j === i ? replacement : w));
        expect(firstDifference(visibleWords(render(text, n)), visibleWords(render(changed, n)))?.wordIndex).toBe(i);
      }),
      RUNS,
    );
  });

  it('examples: entities decoded, block edges separate words, inline elements do not', () => {
    expect(visibleText('<p>Tax&nbsp;credits &amp; <b>bene</b>fits</p><p>Next</p>line<br>two')).toBe('Tax credits & benefits Next line two');
    expect(visibleText('<title>T</title><noscript>Turn on JavaScript</noscript>')).toBe('T Turn on JavaScript');
    expect(visibleText('')).toBe('');
  });

  it('meta refresh targets, as the crawler saves redirects', () => {
    expect(metaRefreshTarget('<meta http-equiv="Refresh" content="0; URL=\'https://www.gov.uk/new\'">')).toBe('https://www.gov.uk/new');
    expect(metaRefreshTarget('<meta http-equiv="refresh" content="0;url=/new">')).toBe('/new');
    expect(metaRefreshTarget('<meta name="description" content="0; url=/x"><p>page</p>')).toBeNull();
  });
});

describe('first difference', () => {
  it('is null exactly when the lists are equal, else the first index where they part', () => {
    const small = fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 12 });
    fc.assert(
      fc.property(small, small, (a, b) => {
        const d = firstDifference(a, b);
        if (d === null) {
          expect(a).toEqual(b);
        } else {
          expect(a.slice(0, d.wordIndex)).toEqual(b.slice(0, d.wordIndex));
          expect(d.wordIndex >= a.length || d.wordIndex >= b.length || a[d.wordIndex] !== b[d.wordIndex]).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('shows a few words of context on both sides, and where one text ends', () => {
    const a = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen'.split(' ');
    expect(firstDifference(a, [...a.slice(0, 5), 'SIX', ...a.slice(6)])).toEqual({
      wordIndex: 5,
      expected: '…three four five six seven eight nine ten eleven twelve thirteen…',
      actual: '…three four five SIX seven eight nine ten eleven twelve thirteen…',
    });
    expect(firstDifference(['a', 'b'], ['a'])).toEqual({ wordIndex: 1, expected: 'a b', actual: 'a (ends here)' });
  });
});

describe('sitemaps', () => {
  const entry = fc.record({
    path: fc.stringMatching(/^\/[a-z0-9-]{1,20}(?:\/[a-z0-9-]{1,20}){0,3}$/),
    query: fc.option(fc.stringMatching(/^[a-z]{1,5}=[a-z0-9]{1,5}$/), { nil: undefined }),
    lastmod: fc.option(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }), { nil: undefined }),
  });

  it('a urlset round-trips: every loc (entities decoded) and lastmod, in order', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), fc.boolean(), (entries, prefixed) => {
        const ns = prefixed ? 'sm:' : '';
        const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<${ns}urlset xmlns${prefixed ? ':sm' : ''}="http://www.sitemaps.org/schemas/sitemap/0.9">${entries
          .map(
            (e) =>
              `\n  <${ns}url><${ns}loc>https://www.gov.uk${e.path}${e.query ? `?${e.query}&amp;x=1` : ''}</${ns}loc>${e.lastmod ? `<${ns}lastmod>${e.lastmod.toISOString()}</${ns}lastmod>` : ''}</${ns}url>`,
          )
          .join('')}\n</${ns}urlset>`;
        const parsed = parseSitemap(xml);
        expect(parsed).toEqual({
          ok: true,
          kind: 'urlset',
          entries: entries.map((e) => ({
            loc: `https://www.gov.uk${e.path}${e.query ? `?${e.query}&x=1` : ''}`,
            lastmod: e.lastmod?.toISOString() ?? null,
            lastmodMs: e.lastmod?.getTime() ?? null,
          })),
        });
      }),
      RUNS,
    );
  });

  it('lastmod takes the W3C datetime forms, nothing else', () => {
    expect(['2026', '2026-11', '2026-11-21', '2026-11-21T09:30+01:00', '2026-11-21T09:30:15.5Z'].map(parseLastmod)).toEqual([
      Date.UTC(2026, 0, 1), Date.UTC(2026, 10, 1), Date.UTC(2026, 10, 21), Date.UTC(2026, 10, 21, 8, 30), Date.UTC(2026, 10, 21, 9, 30, 15, 500),
    ]);
    expect(['yesterday', '21/11/2026', '2026-11-21 09:30', '2026-13-01'].map(parseLastmod)).toEqual([null, null, null, null]);
  });

  it('says why a document is not a sitemap', () => {
    expect(parseSitemap('<html><body>Not found</body></html>')).toEqual({ ok: false, problem: 'its root element is <html>, not <urlset> or <sitemapindex>' });
    expect(parseSitemap('')).toEqual({ ok: false, problem: 'it is not XML' });
  });
});

const NOW = Date.UTC(2026, 10, 21, 12);
const datedPages = fc.uniqueArray(
  fc.record({ path: fc.stringMatching(/^\/p\/[a-z0-9]{1,10}$/), ageMs: fc.option(fc.integer({ min: 0, max: 10 * 24 * HOUR }), { nil: null }) }),
  { selector: (p) => p.path, maxLength: 200 },
);
const toPage = (p: { path: string; ageMs: number | null }): Page => ({
  path: p.path,
  lastmod: p.ageMs === null ? null : new Date(NOW - p.ageMs).toISOString(),
  lastmodMs: p.ageMs === null ? null : NOW - p.ageMs,
});

describe('the lag sample', () => {
  it('takes min(size, dated pages) distinct dated pages, newest first, starting with the newest', () => {
    fc.assert(
      fc.property(datedPages, fc.integer({ min: 1, max: 60 }), fc.integer({ min: HOUR, max: 4 * 24 * HOUR }), (raw, size, windowMs) => {
        const pages = raw.map(toPage);
        const dated = newestFirst(pages.filter((p) => p.lastmodMs !== null));
        const sample = spreadSample(pages, size, NOW, windowMs);
        expect(sample.length).toBe(Math.min(size, dated.length));
        expect(new Set(sample.map((p) => p.path)).size).toBe(sample.length);
        expect(sample).toEqual(newestFirst(sample));
        if (dated.length > 0) expect(sample[0]).toEqual(dated[0]);
        for (const p of sample) expect(pages).toContainEqual(p);
      }),
      RUNS,
    );
  });

  it('on a busy site, reaches back over the whole window, about evenly', () => {
    const busy = Array.from({ length: 5000 }, (_, i) => toPage({ path: `/p/${i}`, ageMs: i * 60_000 })); // one change a minute, 3.5 days
    const sample = spreadSample(busy, 49, NOW, 48 * HOUR);
    const ages = sample.map((p) => (NOW - (p.lastmodMs ?? 0)) / HOUR);
    expect(ages).toEqual(Array.from({ length: 49 }, (_, i) => i));
  });
});

describe('lag', () => {
  const state = fc.constantFrom<PageOutcome['state']>('same', 'drifted', 'missing', 'error');
  const outcomeFor = (s: PageOutcome['state']): PageOutcome =>
    s === 'same'
      ? { state: s, by: 'visible text' }
      : s === 'drifted'
        ? { state: s, by: 'visible text', origin: 'a', mirror: 'b' }
        : s === 'missing'
          ? { state: s, status: 404, reason: 'r' }
          : { state: s, status: null, reason: 'r' };

  it('is the age of the oldest change not on the mirror; over the limit is stale; errors do not count', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 * 24 * HOUR }), state), { maxLength: 40 }), fc.integer({ min: HOUR, max: 2 * 24 * HOUR }), (rows, maxAgeMs) => {
        const results: PageResult[] = rows.map(([ageMs, s], i) => ({
          page: toPage({ path: `/p/${i}`, ageMs }),
          reference: { ok: true, by: 'visible text', words: [] },
          originFailure: null,
          mirrors: Object.fromEntries(MIRRORS.map((m) => [m, outcomeFor(s)])) as PageResult['mirrors'],
        }));
        const lag = mirrorLag(results, 'mirrorGCS', NOW, maxAgeMs);
        const behind = rows.filter(([, s]) => s === 'drifted' || s === 'missing').map(([age]) => age);
        const judged = rows.filter(([, s]) => s !== 'error').length;
        expect(lag.lagMs).toBe(behind.length > 0 ? Math.max(...behind) : null);
        expect(lag.compared).toBe(judged);
        expect(lag.errors.length).toBe(rows.length - judged);
        expect(lag.state).toBe(judged === 0 ? 'unknown' : behind.length === 0 ? 'up-to-date' : Math.max(...behind) > maxAgeMs ? 'stale' : 'behind');
      }),
      RUNS,
    );
  });
});

describe('pages files', () => {
  it('one path or URL a line; blank lines and # comments skipped; each page once', () => {
    expect(parsePagesFile('# top pages\n\n/browse/benefits\r\n  https://www.gov.uk/help?x=1#top  # note\n/browse/benefits\n/a#frag\n', 'pages.txt')).toEqual([
      '/browse/benefits',
      '/help?x=1',
      '/a',
    ]);
  });

  it('names the file and line of a bad entry, and an empty list', () => {
    expect(() => parsePagesFile('/ok\nbrowse/benefits\n', 'pages.txt')).toThrow('pages.txt line 2: "browse/benefits": it is neither a path starting with / nor an http(s) URL.');
    expect(() => parsePagesFile('/a /b\n', 'pages.txt')).toThrow('pages.txt line 1: "/a /b": it contains white space; give one path or URL a line.');
    expect(() => parsePagesFile('# nothing\n', 'pages.txt')).toThrow('pages.txt lists no pages');
  });
});

describe('pool', () => {
  it('never runs more than its limit at once, starts in order, and gives each task its own result', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 40 }), async (limit, ticks) => {
        const pool = createPool(limit);
        let running = 0;
        let most = 0;
        const started: number[] = [];
        const results = await Promise.all(
          ticks.map((t, i) =>
            pool(async () => {
              started.push(i);
              running++;
              most = Math.max(most, running);
              for (let k = 0; k < t; k++) await Promise.resolve();
              running--;
              return i * 2;
            }),
          ),
        );
        expect(most).toBeLessThanOrEqual(limit);
        expect(started).toEqual(ticks.map((_, i) => i));
        expect(results).toEqual(ticks.map((_, i) => i * 2));
      }),
      { ...RUNS, numRuns: 100 },
    );
  });

  it('refuses a limit below 1', () => {
    expect(() => createPool(0)).toThrow('pool limit must be a positive integer, got 0');
  });
});
