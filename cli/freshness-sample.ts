/**
 * `freshness` without a sync marker: each mirror's lag, measured by comparing
 * a sample of the sitemap's recently changed pages (see lag-sample.ts) with
 * origin, as `drift` does, and taking the oldest change each mirror lacks.
 */
import { MIRRORS } from '../src/core/backends.ts';
import { comparePages, type CompareOptions, REQUESTS_PER_PAGE } from './compare-pages.ts';
import { formatDuration } from './duration.ts';
import type { Failure } from './failure.ts';
import { type MirrorLag, mirrorLag } from './lag.ts';
import { keepForSample, SAMPLE_WINDOW_MAX_AGES, spreadSample } from './lag-sample.ts';
import type { Progress } from './progress.ts';
import { SITEMAP_PATH, sitemapPages } from './sitemap-pages.ts';
import { pageUrl } from './target.ts';

export interface LagOptions extends CompareOptions {
  readonly sampleSize: number;
  readonly maxAgeMs: number;
  readonly now: () => Date;
}

export interface LagReport {
  readonly service: string;
  readonly sitemap: string;
  readonly checkedAt: string;
  readonly maxAgeMs: number;
  readonly sample: {
    readonly pages: number;
    /** The sampled pages' newest and oldest lastmod. */
    readonly newest: string | null;
    readonly oldest: string | null;
    /** Pages the sitemap listed, in how many sitemaps. */
    readonly listed: number;
    readonly sitemaps: number;
  };
  readonly mirrors: readonly MirrorLag[];
  /** Sampled pages origin did not answer with a 200 or a redirect. */
  readonly notCompared: readonly { readonly path: string; readonly reason: string }[];
  /** What went wrong reading the sitemap, where the rest could still be used. */
  readonly sitemapProblems: readonly string[];
  readonly ok: boolean;
  readonly summary: string;
}

export type LagRun = { readonly ok: true; readonly report: LagReport } | { readonly ok: false; readonly problem: string; readonly failure: Failure | null };

export async function runLag(options: LagOptions, startProgress: (total: number) => Progress): Promise<LagRun> {
  const nowMs = options.now().getTime();
  const windowMs = SAMPLE_WINDOW_MAX_AGES * options.maxAgeMs;
  const sitemap = await sitemapPages(options, keepForSample(options.sampleSize, nowMs, windowMs));
  if (!sitemap.ok) return sitemap;
  const sample = spreadSample(sitemap.pages, options.sampleSize, nowMs, windowMs);
  if (sample.length === 0) return { ok: false, problem: `${SITEMAP_PATH} gives no page a <lastmod>, so there is nothing to measure lag by; use --marker to read a sync marker instead`, failure: null };
  const results = await comparePages(sample, options, startProgress(sample.length * REQUESTS_PER_PAGE));
  if (results.every((r) => r.originFailure !== null)) {
    const failure = results[0]?.originFailure ?? null;
    return { ok: false, problem: failure?.message ?? 'no page was answered', failure };
  }
  const mirrors = MIRRORS.map((mirror) => mirrorLag(results, mirror, nowMs, options.maxAgeMs));
  const notCompared = results.flatMap(({ page, reference }) => (reference.ok ? [] : [{ path: page.path, reason: reference.reason }]));
  const limit = formatDuration(options.maxAgeMs);
  const problems = mirrors.flatMap((m) => {
    const found: string[] = [];
    if (m.state === 'stale') found.push(`${m.mirror} is ${formatDuration(m.lagMs ?? 0)} behind (more than ${limit})`);
    if (m.state === 'unknown') found.push(`${m.mirror}'s lag is unknown (no sampled page could be read)`);
    else if (m.errors.length > 0) found.push(`${m.mirror}: ${m.errors.length} sampled page${m.errors.length === 1 ? '' : 's'} could not be read`);
    return found;
  });
  const ok = problems.length === 0;
  const summary = ok ? `OK: every mirror is within ${limit} of the sampled changes.` : `PROBLEM: ${problems.join('; ')}.`;
  return {
    ok: true,
    report: {
      service: options.service.origin,
      sitemap: pageUrl(options.service, SITEMAP_PATH).href,
      checkedAt: new Date(nowMs).toISOString(),
      maxAgeMs: options.maxAgeMs,
      sample: { pages: sample.length, newest: sample[0]?.lastmod ?? null, oldest: sample.at(-1)?.lastmod ?? null, listed: sitemap.listed, sitemaps: sitemap.sitemaps },
      mirrors,
      notCompared,
      sitemapProblems: sitemap.problems,
      ok,
      summary,
    },
  };
}
