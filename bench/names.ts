/**
 * What the crawler's other names cost (docs/mirror-keys.md), with origin
 * refusing so that every request goes to the mirrors, which all serve the
 * same bucket. Three kinds of request, one round of each at a time in rotated
 * order, so that machine noise hits them alike:
 *
 *  - first name: `/bench/names/doc-<i>.pdf`, stored as itself (one mirror request);
 *  - second name: `/bench/names/moved-<i>.pdf`, stored only as its saved redirect
 *    `moved-<i>.pdf.html` (two requests to mirrorS3);
 *  - full miss: `/bench/names/gone-<i>.pdf`, held by no mirror (two requests to
 *    each of the three mirrors, then the 503 page).
 *
 * The ratios are each kind's p50 and p95 over the first-name hit's, in the
 * same run. Every answer is checked (status, size, backend, Server-Timing).
 */
import type { BucketDir } from '../stubs/index.ts';
import { timedGet, type Timing } from './client.ts';
import { emptySeries, record, type Series } from './latency.ts';
import { PAGE_BYTES, pageBody } from './pages.ts';
import { type Ratios, ratios, type SeriesReport, seriesReport } from './series.ts';

export type NamesProbe = 'firstName' | 'secondName' | 'fullMiss';

export const NAMES_PROBES: readonly NamesProbe[] = ['firstName', 'secondName', 'fullMiss'];

export const NAMES_TITLES: Record<NamesProbe, string> = {
  firstName: 'document found under its first name (report.pdf)',
  secondName: 'saved redirect found under its second name (report.pdf.html)',
  fullMiss: 'held by no mirror (2 names × 3 mirrors, then the 503 page)',
};

const STEMS: Record<NamesProbe, string> = { firstName: 'doc', secondName: 'moved', fullMiss: 'gone' };

export interface NamesPlan {
  readonly requests: number;
  readonly warmup: number;
}

export interface NamesReport {
  readonly plan: NamesPlan;
  readonly probes: Readonly<Record<NamesProbe, SeriesReport>>;
  /** p50 / p50 and p95 / p95 against the first-name hit. */
  readonly ratios: { readonly secondName: Ratios; readonly fullMiss: Ratios };
  readonly wallMs: number;
}

const TIMEOUT_MS = 10_000;

/** The page a probe asks for in round `i`. */
export function namesPath(probe: NamesProbe, i: number): string {
  return `/bench/names/${STEMS[probe]}-${i}.pdf`;
}

/** Puts the first-name and second-name objects for rounds 0..count-1 into the bucket (full misses have none). */
export async function addNamePages(bucket: BucketDir, count: number): Promise<void> {
  const body = pageBody();
  for (let i = 0; i < count; i++) {
    await bucket.write(`www.gov.uk${namesPath('firstName', i)}`, body);
    await bucket.write(`www.gov.uk${namesPath('secondName', i)}.html`, body);
  }
}

/** What each probe's answer must be, or why it is not. */
function check(probe: NamesProbe, t: Timing, i: number): string | undefined {
  if (t.error) return t.error;
  const backend = t.headers['fastly-backend-name'];
  const timing = String(t.headers['server-timing'] ?? '');
  if (probe === 'fullMiss') {
    if (t.status !== 503 || backend !== 'error') return `${probe}: status ${t.status} from ${String(backend)}, expected the 503 page`;
    return /mirrorGCS;desc="http-error 403 gone-\d+\.pdf\.html"/.test(timing) ? undefined : `${probe}: Server-Timing ${timing}`;
  }
  if (t.status !== 200 || t.bytes !== PAGE_BYTES || backend !== 'mirrorS3') return `${probe}: status ${t.status}, ${t.bytes} bytes from ${String(backend)}`;
  const entry = probe === 'firstName' ? 'mirrorS3;desc="ok 200";' : `mirrorS3;desc="ok 200 moved-${i}.pdf.html";`;
  return timing.includes(entry) ? undefined : `${probe}: Server-Timing ${timing}, expected ${entry}`;
}

/** Measures the three probes against the service at `serviceUrl`; rounds are numbered from 0 (warm-up first). */
export async function measureNames(serviceUrl: string, plan: NamesPlan): Promise<NamesReport> {
  const started = performance.now();
  const series = Object.fromEntries(NAMES_PROBES.map((p) => [p, emptySeries()])) as Record<NamesProbe, Series>;
  for (let i = 0; i < plan.warmup + plan.requests; i++) {
    for (let k = 0; k < NAMES_PROBES.length; k++) {
      const probe = NAMES_PROBES[(i + k) % NAMES_PROBES.length]!;
      const t = await timedGet(serviceUrl, namesPath(probe, i), TIMEOUT_MS);
      if (i >= plan.warmup) record(series[probe], t, check(probe, t, i));
    }
  }
  const probes = Object.fromEntries(NAMES_PROBES.map((p) => [p, seriesReport(series[p])])) as Record<NamesProbe, SeriesReport>;
  return {
    plan,
    probes,
    ratios: { secondName: ratios(probes.secondName, probes.firstName), fullMiss: ratios(probes.fullMiss, probes.firstName) },
    wallMs: Math.round(performance.now() - started),
  };
}
