/**
 * The core of `drift` and of `freshness` without a marker: each page
 * through the edge service from origin and from every mirror
 * (Backend-Override), at most `concurrency` requests at once, each page
 * judged as soon as its four answers are in (so only pages in flight hold
 * bodies in memory).
 */
import { BACKEND_ORDER, type BackendName, type MirrorName, MIRRORS } from '../src/core/backends.ts';
import type { Failure } from './failure.ts';
import { compareCopy, type PageOutcome, type Reference, referenceFrom } from './page-comparison.ts';
import { createPool } from './pool.ts';
import { probe, type ProbeResult } from './probe.ts';
import type { Progress } from './progress.ts';
import { pageUrl } from './target.ts';

/** Pages larger than this are not compared (an error says so). */
export const COMPARED_BODY_BYTES = 16 * 1024 * 1024;

export interface Page {
  /** Path and query on the service. */
  readonly path: string;
  /** From the sitemap, when the page came from one. */
  readonly lastmod: string | null;
  readonly lastmodMs: number | null;
}

export interface CompareOptions {
  readonly service: URL;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly overrideToken: string | undefined;
}

export interface PageResult {
  readonly page: Page;
  /** Origin's answer as a reference, or why the page could not be compared. */
  readonly reference: Reference;
  /** Why origin gave no answer at all (unreachable, TLS, timeout), for the one-line error. */
  readonly originFailure: Failure | null;
  /** Each mirror's outcome; absent when there was no reference. */
  readonly mirrors: Readonly<Record<MirrorName, PageOutcome>> | null;
}

/** The requests made per page: origin, then each mirror. */
export const REQUESTS_PER_PAGE = BACKEND_ORDER.length;

export async function comparePages(pages: readonly Page[], options: CompareOptions, progress: Progress): Promise<PageResult[]> {
  const pool = createPool(options.concurrency);
  const fetchFrom = (url: URL, backend: BackendName) =>
    pool(async () => {
      const result = await probe({ url, override: backend, timeoutMs: options.timeoutMs, overrideToken: options.overrideToken, keepBytes: COMPARED_BODY_BYTES });
      progress.finished(`${backend} ${url.pathname}`, result.ok ? `${result.status} in ${Math.round(result.ttfbMs)} ms` : `no answer (${result.failure.kind})`);
      return result;
    });
  try {
    return await Promise.all(
      pages.map(async (page) => {
        const url = pageUrl(options.service, page.path);
        const [origin, ...copies] = await Promise.all([fetchFrom(url, 'origin'), ...MIRRORS.map((mirror) => fetchFrom(url, mirror))]);
        return judgePage(page, url, origin, copies);
      }),
    );
  } finally {
    progress.end();
  }
}

/** `copies` in the order of MIRRORS. */
function judgePage(page: Page, url: URL, origin: ProbeResult, copies: readonly ProbeResult[]): PageResult {
  const reference = referenceFrom(origin, url);
  const originFailure = origin.ok ? null : origin.failure;
  if (!reference.ok) return { page, reference, originFailure, mirrors: null };
  const mirrors = Object.fromEntries(MIRRORS.map((mirror, i) => [mirror, compareCopy(reference, mirror, copies[i] as ProbeResult, url)])) as Record<MirrorName, PageOutcome>;
  return { page, reference, originFailure, mirrors };
}
