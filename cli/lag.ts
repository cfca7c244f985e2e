/**
 * A mirror's lag from a sample of recently changed pages: the age of the
 * oldest change (sitemap lastmod) it has not got yet, that is a page it
 * holds an older copy of, or not at all. No such page: up to date with the
 * sample. Pages that could not be read are listed but do not count.
 */
import type { MirrorName } from '../src/core/backends.ts';
import type { PageResult } from './compare-pages.ts';

export type LagState = 'up-to-date' | 'behind' | 'stale' | 'unknown';

export interface BehindPage {
  readonly path: string;
  readonly lastmod: string;
  /** How long ago the page changed. */
  readonly ageMs: number;
  readonly state: 'drifted' | 'missing';
}

export interface MirrorLag {
  readonly mirror: MirrorName;
  readonly state: LagState;
  /** The age of the oldest change not yet on the mirror; null when none (or unknown). */
  readonly lagMs: number | null;
  /** Sampled pages judged (not counting errors). */
  readonly compared: number;
  /** The pages it lacks the latest change of, oldest change first. */
  readonly behind: readonly BehindPage[];
  readonly errors: readonly { readonly path: string; readonly reason: string }[];
}

export function mirrorLag(results: readonly PageResult[], mirror: MirrorName, nowMs: number, maxAgeMs: number): MirrorLag {
  const behind: BehindPage[] = [];
  const errors: { path: string; reason: string }[] = [];
  let compared = 0;
  for (const { page, mirrors } of results) {
    const outcome = mirrors?.[mirror];
    if (outcome === undefined || page.lastmodMs === null || page.lastmod === null) continue;
    if (outcome.state === 'error') {
      errors.push({ path: page.path, reason: outcome.reason });
      continue;
    }
    compared++;
    if (outcome.state === 'drifted' || outcome.state === 'missing') {
      behind.push({ path: page.path, lastmod: page.lastmod, ageMs: Math.max(0, nowMs - page.lastmodMs), state: outcome.state });
    }
  }
  behind.sort((a, b) => b.ageMs - a.ageMs);
  const lagMs = behind[0]?.ageMs ?? null;
  const state: LagState = compared === 0 ? 'unknown' : lagMs === null ? 'up-to-date' : lagMs > maxAgeMs ? 'stale' : 'behind';
  return { mirror, state, lagMs, compared, behind, errors };
}
