/**
 * Which sitemap pages `freshness` compares to measure each mirror's lag.
 *
 * A mirror synced `L` ago lacks every change made since, and has every
 * change made before. So the age of the oldest change it lacks tells its lag,
 * but only if the sample reaches back past `L`: the newest 50 pages of a
 * busy site may all be from the last hour. The sample therefore takes the
 * most recently changed page, then, stepping back evenly over a window
 * (2 × --max-age, so a STALE mirror shows), the page whose lastmod is nearest
 * each step: 50 pages over 48 h are about an hour apart.
 */
import type { Page } from './compare-pages.ts';
import type { KeepPages } from './sitemap-pages.ts';
import { newestFirst } from './sitemap-pages.ts';

/** How far back the sample reaches, in multiples of --max-age. */
export const SAMPLE_WINDOW_MAX_AGES = 2;

/** While reading the sitemap: pages changed within the window, and the `size` newest whatever their age. */
export function keepForSample(size: number, nowMs: number, windowMs: number): KeepPages {
  return (pages) => {
    const sorted = dedupeNewest(pages);
    return sorted.filter((p, i) => i < size || (p.lastmodMs !== null && p.lastmodMs >= nowMs - windowMs));
  };
}

/** Up to `size` pages with a lastmod, spread from the newest back over `windowMs`; newest first. */
export function spreadSample(pages: readonly Page[], size: number, nowMs: number, windowMs: number): Page[] {
  const dated = dedupeNewest(pages).filter((p) => p.lastmodMs !== null);
  if (dated.length <= size) return dated;
  const picked = new Set<number>();
  const times = dated.map((p) => p.lastmodMs as number); // descending
  const newest = Math.min(nowMs, times[0] as number);
  for (let i = 0; i < size; i++) {
    const target = size === 1 ? newest : newest - (i * windowMs) / (size - 1);
    picked.add(nearestUnpicked(times, target, picked));
  }
  return [...picked].sort((a, b) => a - b).map((i) => dated[i] as Page);
}

/** Index in `times` (descending) of the unpicked time nearest `target`. */
function nearestUnpicked(times: readonly number[], target: number, picked: ReadonlySet<number>): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] as number) > target) lo = mid + 1;
    else hi = mid;
  }
  // times[lo] is the first at or before target; walk outwards to the nearest unpicked.
  let left = lo - 1;
  let right = lo;
  for (;;) {
    while (left >= 0 && picked.has(left)) left--;
    while (right < times.length && picked.has(right)) right++;
    if (left < 0 && right >= times.length) throw new Error('spreadSample: more picks than pages');
    if (left < 0) return right;
    if (right >= times.length) return left;
    return (times[left] as number) - target <= target - (times[right] as number) ? left : right;
  }
}

function dedupeNewest(pages: readonly Page[]): Page[] {
  const seen = new Set<string>();
  return newestFirst(pages).filter((p) => !seen.has(p.path) && seen.add(p.path));
}
