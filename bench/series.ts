/**
 * One series of timings summarised (p50, p95, min, max of time to first byte
 * and total time, per backend attempt by Server-Timing), and the ratios of two
 * series measured in the same run.
 */
import type { Series } from './latency.ts';
import { ratio, round, summarise, type Summary } from './stats.ts';

export interface SeriesReport {
  readonly ttfb: Summary;
  readonly total: Summary;
  /** For the service: how long each backend attempt lasted by the service's own clock (Server-Timing). */
  readonly attempts?: Readonly<Record<string, Summary>>;
  readonly errors: number;
  readonly errorSamples: readonly string[];
}

export interface Ratios {
  readonly ttfbP50: number | null;
  readonly ttfbP95: number | null;
  readonly totalP50: number | null;
  readonly totalP95: number | null;
}

export function seriesReport(s: Series): SeriesReport {
  const attempts = Object.entries(s.attempts);
  return {
    ttfb: rounded(summarise(s.ttfb)),
    total: rounded(summarise(s.total)),
    ...(attempts.length > 0 ? { attempts: Object.fromEntries(attempts.map(([b, v]) => [b, rounded(summarise(v))])) } : {}),
    errors: s.errors,
    errorSamples: [...s.errorSamples],
  };
}

function rounded(s: Summary): Summary {
  const r = (v: number): number => round(v) ?? Number.NaN;
  return { n: s.n, p50: r(s.p50), p95: r(s.p95), min: r(s.min), max: r(s.max), mean: r(s.mean) };
}

export function ratios(a: SeriesReport, b: SeriesReport, minus = 0): Ratios {
  const r = (x: number, y: number): number | null => round(ratio(x - minus, y));
  return { ttfbP50: r(a.ttfb.p50, b.ttfb.p50), ttfbP95: r(a.ttfb.p95, b.ttfb.p95), totalP50: r(a.total.p50, b.total.p50), totalP95: r(a.total.p95, b.total.p95) };
}

