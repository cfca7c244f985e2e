/**
 * Reading a sitemap (https://www.sitemaps.org/protocol.html): either a
 * `<urlset>` of pages or a `<sitemapindex>` of further sitemaps, each entry a
 * `<loc>` and an optional `<lastmod>` (W3C datetime: `2026-11-21`,
 * `2026-11-21T09:30:00+00:00`…). Parsed with htmlparser2 in XML mode;
 * namespace prefixes are ignored.
 */
import { Parser } from 'htmlparser2';

export interface SitemapEntry {
  readonly loc: string;
  /** The lastmod as written, or null. */
  readonly lastmod: string | null;
  /** The lastmod as epoch ms, or null when absent or not a W3C datetime. */
  readonly lastmodMs: number | null;
}

export type Sitemap =
  | { readonly ok: true; readonly kind: 'urlset' | 'sitemapindex'; readonly entries: readonly SitemapEntry[] }
  | { readonly ok: false; readonly problem: string };

const W3C_DATETIME = /^\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?$/;

/** Epoch ms of a W3C datetime (a date alone is midnight UTC), or null. */
export function parseLastmod(text: string): number | null {
  const trimmed = text.trim();
  if (!W3C_DATETIME.test(trimmed)) return null;
  const ms = Date.parse(trimmed);
  return Number.isFinite(ms) ? ms : null;
}

export function parseSitemap(xml: string): Sitemap {
  let root: string | null = null;
  const entries: SitemapEntry[] = [];
  const path: string[] = [];
  let loc = '';
  let lastmod = '';
  let text = '';
  const parser = new Parser(
    {
      onopentag(rawName) {
        const name = localName(rawName);
        if (root === null) root = name;
        path.push(name);
        text = '';
        if (name === 'url' || name === 'sitemap') {
          loc = '';
          lastmod = '';
        }
      },
      ontext(data) {
        text += data;
      },
      onclosetag(rawName) {
        const name = localName(rawName);
        const parent = path[path.length - 2];
        if (name === 'loc' && (parent === 'url' || parent === 'sitemap')) loc = text.trim();
        if (name === 'lastmod' && (parent === 'url' || parent === 'sitemap')) lastmod = text.trim();
        if ((name === 'url' && root === 'urlset') || (name === 'sitemap' && root === 'sitemapindex')) {
          if (loc !== '') entries.push({ loc, lastmod: lastmod === '' ? null : lastmod, lastmodMs: lastmod === '' ? null : parseLastmod(lastmod) });
        }
        path.pop();
        text = '';
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.end(xml);
  if (root !== 'urlset' && root !== 'sitemapindex') {
    return { ok: false, problem: root === null ? 'it is not XML' : `its root element is <${root}>, not <urlset> or <sitemapindex>` };
  }
  return { ok: true, kind: root, entries };
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return (colon === -1 ? name : name.slice(colon + 1)).toLowerCase();
}
