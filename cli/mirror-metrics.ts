/**
 * Mirror health as Prometheus metrics, from what `check`, `drift` and
 * `freshness` found: GOV.UK's own `govuk_mirror_response_status_code` (the
 * name govuk-mirror exposes) for `check`, and `govuk_failover_mirror_*` per
 * mirror for the others, so that the checks can alert as the crawler's
 * metrics do. Every run adds the time it ran.
 */
import { MIRRORS, type MirrorName } from '../src/core/backends.ts';
import type { CheckReport } from './check.ts';
import type { DriftReport } from './drift.ts';
import type { FreshnessReport } from './freshness.ts';
import type { LagReport } from './freshness-sample.ts';
import type { MetricFamily, Sample } from './prometheus.ts';

/** Each family's help text, one whichever check writes it: a Pushgateway shows one help for a family, the last pushed. */
const HELP = {
  govuk_mirror_response_status_code: 'The HTTP status each backend gave the checked page, read through the edge with Backend-Override (0: no answer).',
  govuk_failover_mirror_pages_compared: 'Pages the last check asked the mirror for: compared with origin, or counted in read_errors (with --marker: 1, the marker).',
  govuk_failover_mirror_pages_same: 'Compared pages the mirror holds as origin serves them.',
  govuk_failover_mirror_pages_drifted: 'Compared pages whose copy on the mirror differs from origin.',
  govuk_failover_mirror_pages_missing: 'Compared pages the mirror does not hold.',
  govuk_failover_mirror_read_errors: 'Pages the mirror could not be read for (a timeout, a 5xx, another status).',
  govuk_failover_mirror_lag_seconds: 'How far behind origin the mirror is, in seconds: the age of the oldest change it lacks (0: none found), or of its sync marker.',
  govuk_failover_mirror_stale: '1 when the mirror is behind by more than the maximum age (or cannot be read), else 0.',
  govuk_failover_check_timestamp_seconds: 'When the check last ran, in seconds since the Unix epoch.',
} as const;
type FamilyName = keyof typeof HELP;

export type CheckName = 'check' | 'drift' | 'freshness';

/** The Pushgateway job the checks push under (`--push`). */
export const PUSH_JOB = 'govuk_failover';

function gauge(name: FamilyName, samples: readonly Sample[]): MetricFamily {
  return { name, help: HELP[name], type: 'gauge', samples };
}

function ranAt(check: CheckName, at: Date): MetricFamily {
  return gauge('govuk_failover_check_timestamp_seconds', [
    { labels: { check }, value: Math.floor(at.getTime() / 1000) },
  ]);
}

/** check: the status each backend gave the page through Backend-Override (0 when it gave none). */
export function checkMetrics(report: CheckReport, at: Date): MetricFamily[] {
  const rows = report.rows.filter((row) => row.override !== null);
  return [
    gauge('govuk_mirror_response_status_code', rows.map((row) => ({ labels: { backend: row.override! }, value: row.status ?? 0 }))),
    ranAt('check', at),
  ];
}

interface PageCounts {
  readonly compared: number;
  readonly same: number;
  readonly drifted: number;
  readonly missing: number;
  readonly readErrors: number;
}

function pageFamilies(counts: ReadonlyMap<MirrorName, PageCounts>): MetricFamily[] {
  const per = (pick: (c: PageCounts) => number) => MIRRORS.map((mirror) => ({ labels: { mirror }, value: pick(counts.get(mirror)!) }));
  return [
    gauge('govuk_failover_mirror_pages_compared', per((c) => c.compared)),
    gauge('govuk_failover_mirror_pages_same', per((c) => c.same)),
    gauge('govuk_failover_mirror_pages_drifted', per((c) => c.drifted)),
    gauge('govuk_failover_mirror_pages_missing', per((c) => c.missing)),
    gauge('govuk_failover_mirror_read_errors', per((c) => c.readErrors)),
  ];
}

/** drift: per mirror, the pages compared, the same, drifted and missing, and the read errors. */
export function driftMetrics(report: DriftReport, at: Date): MetricFamily[] {
  const counts = new Map(
    MIRRORS.map((mirror) => {
      const m = report.mirrors[mirror];
      return [mirror, { compared: m.compared, same: m.same, drifted: m.drifted.length, missing: m.missing.length, readErrors: m.errors.length }] as const;
    }),
  );
  return [...pageFamilies(counts), ranAt('drift', at)];
}

/** `lagSeconds` null: not known (an unreadable sync marker), so no lag sample for that mirror. */
function lagFamilies(lags: readonly { mirror: MirrorName; lagSeconds: number | null; stale: boolean }[]): MetricFamily[] {
  return [
    gauge('govuk_failover_mirror_lag_seconds', lags.flatMap((l) => (l.lagSeconds === null ? [] : [{ labels: { mirror: l.mirror }, value: l.lagSeconds }]))),
    gauge('govuk_failover_mirror_stale', lags.map((l) => ({ labels: { mirror: l.mirror }, value: l.stale ? 1 : 0 }))),
  ];
}

/** freshness (the sampled lag): the page counts of the sample, the lag and whether it is stale. */
export function lagMetrics(report: LagReport, at: Date): MetricFamily[] {
  const counts = new Map(
    report.mirrors.map((m) => {
      const drifted = m.behind.filter((b) => b.state === 'drifted').length;
      const missing = m.behind.length - drifted;
      return [m.mirror, { compared: m.compared + m.errors.length, same: m.compared - m.behind.length, drifted, missing, readErrors: m.errors.length }] as const;
    }),
  );
  // A mirror no sampled page could be judged on (state unknown) has no lag to give, and counts as stale, as an unreadable marker does.
  const lags = report.mirrors.map((m) => ({
    mirror: m.mirror,
    lagSeconds: m.state === 'unknown' ? null : Math.round((m.lagMs ?? 0) / 1000),
    stale: m.state === 'stale' || m.state === 'unknown',
  }));
  return [...pageFamilies(counts), ...lagFamilies(lags), ranAt('freshness', at)];
}

/**
 * freshness --marker: the marker's age as the lag. The marker is the one object compared, so an unreadable marker is
 * one compared and one read error (what GovukFailoverMirrorUnreadable alerts on), stale, and has no lag.
 */
export function markerMetrics(report: FreshnessReport, at: Date): MetricFamily[] {
  const lags = report.mirrors.map((m) => ({ mirror: m.mirror, lagSeconds: m.ageMs === null ? null : Math.round(m.ageMs / 1000), stale: m.state !== 'fresh' }));
  return [
    gauge('govuk_failover_mirror_pages_compared', report.mirrors.map((m) => ({ labels: { mirror: m.mirror }, value: 1 }))),
    gauge('govuk_failover_mirror_read_errors', report.mirrors.map((m) => ({ labels: { mirror: m.mirror }, value: m.state === 'unreadable' ? 1 : 0 }))),
    ...lagFamilies(lags),
    ranAt('freshness', at),
  ];
}
