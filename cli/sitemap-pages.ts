/**
 * The pages a sitemap lists, read through the edge service from origin
 * (`Backend-Override: origin`: the live list, never a cached or mirrored
 * one): `/sitemap.xml`, and when that is a sitemap index, each sitemap it
 * names (fetched `concurrency` at a time). `<loc>` URLs count for their path
 * and query. Gzipped sitemaps are unpacked. `keep` decides, after each
 * sitemap, which entries to hold on to, so a site with hundreds of thousands
 * of pages never sits in memory whole.
 */
import { gunzipSync } from 'node:zlib';
import type { Page } from './compare-pages.ts';
import type { Failure } from './failure.ts';
import { errorBodyMessage } from './error-body.ts';
import { pagePath } from './page-list.ts';
import { createPool } from './pool.ts';
import { probe } from './probe.ts';
import { parseSitemap, type SitemapEntry } from './sitemap.ts';
import { pageUrl } from './target.ts';

export const SITEMAP_PATH = '/sitemap.xml';
/** The sitemap protocol's limit for one uncompressed sitemap. */
export const SITEMAP_MAX_BYTES = 50 * 1024 * 1024;

export interface SitemapOptions {
  readonly service: URL;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly overrideToken: string | undefined;
}

/** Keeps the pages worth holding on to from those read so far. */
export type KeepPages = (pages: readonly Page[]) => Page[];

export type SitemapPages =
  | {
      readonly ok: true;
      readonly pages: readonly Page[];
      /** Sitemaps read (1 for a plain sitemap), and every page they listed. */
      readonly sitemaps: number;
      readonly listed: number;
      /** Sitemaps in the index that could not be read, and `<loc>`s that are not pages; the rest is still used. */
      readonly problems: readonly string[];
    }
  | { readonly ok: false; readonly problem: string; readonly failure: Failure | null };

export async function sitemapPages(options: SitemapOptions, keep: KeepPages): Promise<SitemapPages> {
  const top = await readSitemap(SITEMAP_PATH, options);
  if (!top.ok) return top;
  if (top.kind === 'urlset') {
    const { pages, problems } = toPages(top.entries);
    return { ok: true, pages: keep(pages), sitemaps: 1, listed: top.entries.length, problems: shortList(problems) };
  }
  const pool = createPool(options.concurrency);
  const problems: string[] = [];
  let kept: Page[] = [];
  let listed = 0;
  let read = 0;
  await Promise.all(
    top.entries.map((entry) =>
      pool(async () => {
        const child = pagePath(entry.loc);
        const sitemap = child.ok ? await readSitemap(child.path, options) : ({ ok: false, problem: `${entry.loc}: ${child.problem}` } as const);
        if (!sitemap.ok) return void problems.push(sitemap.problem);
        if (sitemap.kind !== 'urlset') return void problems.push(`${entry.loc} is a sitemap index inside the index; not followed`);
        read++;
        listed += sitemap.entries.length;
        const found = toPages(sitemap.entries);
        problems.push(...found.problems);
        kept = keep([...kept, ...found.pages]);
      }),
    ),
  );
  if (read === 0) return { ok: false, problem: `no sitemap in the index ${SITEMAP_PATH} could be read: ${problems[0] ?? 'it lists none'}`, failure: null };
  return { ok: true, pages: dedupe(kept), sitemaps: read, listed, problems: shortList(problems) };
}

type ReadSitemap =
  | { readonly ok: true; readonly kind: 'urlset' | 'sitemapindex'; readonly entries: readonly SitemapEntry[] }
  | { readonly ok: false; readonly problem: string; readonly failure: Failure | null };

async function readSitemap(path: string, options: SitemapOptions): Promise<ReadSitemap> {
  const url = pageUrl(options.service, path);
  const where = `${url.pathname}${url.search} (Backend-Override: origin)`;
  const result = await probe({ url, override: 'origin', timeoutMs: options.timeoutMs, overrideToken: options.overrideToken, keepBytes: SITEMAP_MAX_BYTES });
  if (!result.ok) return { ok: false, problem: `${where}: no answer: ${result.failure.message}`, failure: result.failure };
  if (result.status !== 200) {
    const said = errorBodyMessage(result.headers, result.bodyStart);
    return { ok: false, problem: `${where}: ${result.status}${said ? ` (${said.replace(/\.$/, '')})` : ''}`, failure: null };
  }
  if (!result.complete) return { ok: false, problem: `${where}: larger than the sitemap limit of 50 MiB`, failure: null };
  let xml: string;
  try {
    xml = isGzip(result.body) ? gunzipSync(result.body, { maxOutputLength: SITEMAP_MAX_BYTES }).toString('utf8') : result.bodyStart;
  } catch (error) {
    return { ok: false, problem: `${where}: cannot unpack the gzipped sitemap (${(error as Error).message})`, failure: null };
  }
  const sitemap = parseSitemap(xml);
  if (!sitemap.ok) return { ok: false, problem: `${where} is not a sitemap: ${sitemap.problem}`, failure: null };
  return sitemap;
}

/** At most 10 problems, then how many more. */
function shortList(problems: readonly string[]): string[] {
  const shown = problems.slice(0, 10);
  return problems.length > shown.length ? [...shown, `… and ${problems.length - shown.length} more`] : shown;
}

function isGzip(body: Buffer): boolean {
  return body.length > 2 && body[0] === 0x1f && body[1] === 0x8b;
}

function toPages(entries: readonly SitemapEntry[]): { pages: Page[]; problems: string[] } {
  const pages: Page[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    const page = pagePath(entry.loc);
    if (page.ok) pages.push({ path: page.path, lastmod: entry.lastmod, lastmodMs: entry.lastmodMs });
    else problems.push(`<loc>${entry.loc}</loc> is not a page: ${page.problem}`);
  }
  return { pages, problems };
}

/** Newest lastmod first (pages without one last), by path among equals. */
export function newestFirst(pages: readonly Page[]): Page[] {
  const time = (p: Page) => p.lastmodMs ?? -Infinity;
  return [...pages].sort((a, b) => (time(a) === time(b) ? (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) : time(b) - time(a)));
}

/** The `limit` most recently changed pages, each path once. */
export function newestPages(limit: number): KeepPages {
  return (pages) => dedupe(newestFirst(pages)).slice(0, limit);
}

function dedupe(pages: readonly Page[]): Page[] {
  const seen = new Set<string>();
  return pages.filter((p) => !seen.has(p.path) && seen.add(p.path));
}
