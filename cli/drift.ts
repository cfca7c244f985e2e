/**
 * `drift`: for a list of pages, whether each mirror holds what origin serves,
 * as counts per mirror and the pages that drifted, are missing or failed.
 */
import { type MirrorName, MIRRORS } from '../src/core/backends.ts';
import { comparePages, type CompareOptions, type Page, type PageResult, REQUESTS_PER_PAGE } from './compare-pages.ts';
import type { Failure } from './failure.ts';
import type { PageSource } from './options.ts';
import type { ComparedBy } from './page-comparison.ts';
import { type LogPages, pagesFromLogs } from './log-pages.ts';
import type { Progress } from './progress.ts';
import { newestPages, SITEMAP_PATH, sitemapPages } from './sitemap-pages.ts';

interface Listed {
  readonly path: string;
  /** The page's sitemap lastmod, when it came from a sitemap. */
  readonly lastmod?: string;
}

export interface DriftedPage extends Listed {
  readonly by: ComparedBy;
  /** Origin's words (or size and digest, or redirect) where the copy first differs. */
  readonly origin: string;
  readonly mirror: string;
  readonly wordIndex?: number;
}

export interface MissingPage extends Listed {
  readonly status: number;
  readonly reason: string;
}

export interface FailedPage extends Listed {
  readonly status: number | null;
  readonly reason: string;
}

export interface MirrorDrift {
  /** Pages origin answered, so that this mirror's copy could be judged: same + drifted + missing + errors. */
  readonly compared: number;
  readonly same: number;
  readonly drifted: readonly DriftedPage[];
  readonly missing: readonly MissingPage[];
  readonly errors: readonly FailedPage[];
}

export interface DriftReport {
  readonly service: string;
  /** Where the pages came from, in words. */
  readonly source: string;
  readonly pages: number;
  readonly mirrors: Readonly<Record<MirrorName, MirrorDrift>>;
  /** Pages origin did not answer with a 200 or a redirect: nothing to compare the mirrors with. */
  readonly notCompared: readonly FailedPage[];
  /** With --sitemap: what went wrong reading it, where the rest could still be used. */
  readonly sitemapProblems: readonly string[];
  readonly ok: boolean;
  readonly summary: string;
  readonly elapsedMs: number;
}

export type DriftRun =
  | { readonly ok: true; readonly report: DriftReport }
  /** Nothing to report: the sitemap could not be read, or the service did not answer at all. */
  | { readonly ok: false; readonly problem: string; readonly failure: Failure | null };

export async function runDrift(source: PageSource, options: CompareOptions, startProgress: (total: number) => Progress): Promise<DriftRun> {
  const started = performance.now();
  let pages: readonly Page[];
  let described: string;
  let sitemapProblems: readonly string[] = [];
  if (source.kind === 'sitemap') {
    const sitemap = await sitemapPages(options, newestPages(source.limit));
    if (!sitemap.ok) return sitemap;
    pages = sitemap.pages;
    sitemapProblems = sitemap.problems;
    const from = sitemap.sitemaps === 1 ? SITEMAP_PATH : `${sitemap.sitemaps} sitemaps in ${SITEMAP_PATH}`;
    described = `the ${plural(pages.length, 'most recently changed page')} of ${sitemap.listed} in ${from}`;
  } else if (source.kind === 'log') {
    let fromLog: LogPages;
    try {
      fromLog = await pagesFromLogs(source.files, source.limit);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { ok: false, problem: `the log files could not be read (${reason}): give JSON lines with url and status, gzipped or not`, failure: null };
    }
    if (fromLog.paths.length === 0) {
      return { ok: false, problem: `the log files hold no 2xx page to compare (${plural(fromLog.lines, 'line')} read: ${fromLog.leftOut} left out, ${fromLog.unreadable} not log lines with url and status)`, failure: null };
    }
    pages = fromLog.paths.map((path) => ({ path, lastmod: null, lastmodMs: null }));
    const files = source.files.length === 1 ? source.files[0] : `${source.files.length} log files`;
    described = `the ${plural(pages.length, 'most requested page')} of ${fromLog.counted} 2xx requests in ${files} (${fromLog.leftOut} left out: other statuses, assets, API, search; ${plural(fromLog.unreadable, 'line')} unreadable)`;
  } else {
    pages = source.paths.map((path) => ({ path, lastmod: null, lastmodMs: null }));
    described = `${plural(pages.length, 'page')}${source.kind === 'file' ? ` from ${source.file}` : ''}`;
  }
  const results = await comparePages(pages, options, startProgress(pages.length * REQUESTS_PER_PAGE));
  if (results.length > 0 && results.every((r) => r.originFailure !== null)) {
    const failure = results[0]?.originFailure ?? null;
    return { ok: false, problem: failure?.message ?? 'no page was answered', failure };
  }
  const report = driftReport(results, { service: options.service.origin, source: described, sitemapProblems, elapsedMs: performance.now() - started });
  return { ok: true, report };
}

export function driftReport(
  results: readonly PageResult[],
  meta: { service: string; source: string; sitemapProblems: readonly string[]; elapsedMs: number },
): DriftReport {
  const mirrors = Object.fromEntries(MIRRORS.map((mirror) => [mirror, mirrorDrift(results, mirror)])) as Record<MirrorName, MirrorDrift>;
  const notCompared = results.flatMap(({ page, reference }) => (reference.ok ? [] : [{ ...listed(page), status: reference.status, reason: reference.reason }]));
  const problems = MIRRORS.flatMap((mirror) => {
    const m = mirrors[mirror];
    const parts = [count(m.drifted.length, 'drifted'), count(m.missing.length, 'missing'), count(m.errors.length, 'error', 'errors')].filter(Boolean);
    return parts.length > 0 ? [`${mirror}: ${parts.join(', ')}`] : [];
  });
  if (notCompared.length > 0) problems.push(`${plural(notCompared.length, 'page')} not compared (origin gave no 200 or redirect)`);
  const ok = problems.length === 0 && results.length > 0;
  const summary = ok
    ? `OK: all ${plural(results.length, 'page')} the same on every mirror.`
    : results.length === 0
      ? 'PROBLEM: no pages to compare.'
      : `PROBLEM: ${problems.join('; ')}.`;
  const { service, source, sitemapProblems } = meta;
  return { service, source, pages: results.length, mirrors, notCompared, sitemapProblems, ok, summary, elapsedMs: Math.round(meta.elapsedMs) };
}

function mirrorDrift(results: readonly PageResult[], mirror: MirrorName): MirrorDrift {
  let same = 0;
  const drifted: DriftedPage[] = [];
  const missing: MissingPage[] = [];
  const errors: FailedPage[] = [];
  for (const { page, mirrors } of results) {
    const outcome = mirrors?.[mirror];
    if (outcome === undefined) continue;
    if (outcome.state === 'same') same++;
    else if (outcome.state === 'drifted') drifted.push({ ...listed(page), by: outcome.by, origin: outcome.origin, mirror: outcome.mirror, ...(outcome.wordIndex === undefined ? {} : { wordIndex: outcome.wordIndex }) });
    else if (outcome.state === 'missing') missing.push({ ...listed(page), status: outcome.status, reason: outcome.reason });
    else errors.push({ ...listed(page), status: outcome.status, reason: outcome.reason });
  }
  return { compared: same + drifted.length + missing.length + errors.length, same, drifted, missing, errors };
}

function listed(page: PageResult['page']): Listed {
  return page.lastmod === null ? { path: page.path } : { path: page.path, lastmod: page.lastmod };
}

function count(n: number, word: string, pluralWord = word): string {
  return n === 0 ? '' : `${n} ${n === 1 ? word : pluralWord}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
