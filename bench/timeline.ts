/**
 * An outage as users live it: steady traffic of pages never asked before
 * (20 requests a second, round-robin over four path segments), origin
 * healthy, then hung for a stretch, then healthy again; once with every
 * segment hung (a full outage) and once with one segment hung and the rest
 * fine (a partial outage, one application down). Three variants of the
 * service, each in its own world with real round trips (round-trip-world.ts):
 *
 * - hedging off, as the VCL was: a hung origin costs its first-byte timeout;
 * - hedge only, as today: a hung origin costs the hedge delay;
 * - hedge + outage memory.
 *
 * Times are scaled down by 10 so the whole benchmark stays short: hedge delay
 * 500 ms for 5 s, origin's first-byte timeout 1.5 s for 15 s, the memory's
 * window and memory time 1 s for 10 s, the outage 6 s for a minute. The
 * request rate and the network round trips are not scaled (scaling the rate
 * up by 10 would need 200 requests a second on 2 cores): a window then sees
 * 20 requests instead of 200, still far above the threshold of 3.
 *
 * Which requests meet a hung origin is decided by when they start: origin
 * hangs (by path) for every request scheduled inside the outage, so a
 * request caught just before recovery still hangs until its timeout, as one
 * would, and nothing is reset when origin comes back.
 */
import { Agent } from 'node:http';
import type { Behaviour } from '../stubs/index.ts';
import { suspectScopeIn } from '../src/core/diagnostics.ts';
import { timedGet, type Timing } from './client.ts';
import { objectKey } from './pages.ts';
import { round, summarise, type Summary } from './stats.ts';
import { startRoundTripWorld } from './round-trip-world.ts';

export const TIME_SCALE = 10;
export const SCALED_HEDGE_MS = 5000 / TIME_SCALE;
export const SCALED_FIRST_BYTE_TIMEOUT_MS = 15_000 / TIME_SCALE;
const SEGMENTS = ['/government', '/browse', '/guidance', '/news'] as const;
const HUNG_IN_PARTIAL = '/government';

export type VariantId = 'vcl' | 'hedge' | 'memory';
export type OutageKind = 'full' | 'partial';

export interface Variant {
  readonly id: VariantId;
  readonly title: string;
  readonly config: Readonly<Record<string, string>>;
}

export const VARIANTS: readonly Variant[] = [
  { id: 'vcl', title: 'hedging off (the VCL)', config: { hedge_after_ms: '0', outage_memory_s: '0' } },
  { id: 'hedge', title: 'hedge only (today)', config: { hedge_after_ms: String(SCALED_HEDGE_MS), outage_memory_s: '0' } },
  {
    id: 'memory',
    title: 'hedge + outage memory',
    config: { hedge_after_ms: String(SCALED_HEDGE_MS), outage_threshold: '3', outage_window_s: String(10 / TIME_SCALE), outage_memory_s: String(10 / TIME_SCALE) },
  },
];

export interface TimelinePlan {
  /** Healthy traffic before the outage, ms. */
  readonly beforeMs: number;
  readonly outageMs: number;
  /** Healthy traffic after recovery, ms. */
  readonly afterMs: number;
  /** Time between request starts, ms (50: 20 requests a second). */
  readonly intervalMs: number;
  /** Direct mirror fetches for the reference, before each run. */
  readonly mirrorFetches: number;
}

/** One request of a run, as the user saw it. */
export interface TimelinePoint {
  readonly segment: string;
  /** ms from the outage's start to when the request was scheduled, and sent (negative: before). */
  readonly startMs: number;
  readonly totalMs: number;
  readonly backend: string;
  readonly suspect: boolean;
  /** Whether origin hung for this request (it was sent during the outage, in a hung segment). */
  readonly hung: boolean;
  /** Why the answer is wrong (not 200, not the page asked for, no answer), or undefined. */
  readonly wrong?: string;
}

export interface GroupSummary {
  /** `all`, or in a partial outage `hung segment` / `other segments`. */
  readonly group: string;
  /** Requests sent during the outage. */
  readonly n: number;
  readonly waitedOverHedge: number;
  readonly total: Summary;
  /** p50 during the outage / p50 of a direct mirror fetch. */
  readonly p50ToMirror: number | null;
  /** ms from recovery to the first answer from origin (in a group that had hung requests; else null), and the mirror answers after recovery. */
  readonly originAgainAfterMs: number | null;
  readonly mirrorAnswersAfterRecovery: number;
}

export interface TimelineRun {
  readonly variant: VariantId;
  readonly kind: OutageKind;
  readonly mirrorFetch: Summary;
  readonly requests: number;
  readonly wrongAnswers: number;
  readonly wrongSamples: readonly string[];
  readonly groups: readonly GroupSummary[];
  readonly points: readonly TimelinePoint[];
}

export interface TimelineReport {
  readonly plan: TimelinePlan;
  readonly scale: number;
  readonly hedgeMs: number;
  readonly firstByteTimeoutMs: number;
  readonly runs: readonly TimelineRun[];
  readonly wallMs: number;
}

interface Scheduled {
  readonly i: number;
  readonly path: string;
  readonly segment: string;
  /** ms from the run's start. */
  readonly at: number;
  readonly hung: boolean;
}

function schedule(plan: TimelinePlan, kind: OutageKind, runTag: string): Scheduled[] {
  const count = Math.floor((plan.beforeMs + plan.outageMs + plan.afterMs) / plan.intervalMs);
  return Array.from({ length: count }, (_, i) => {
    const segment = SEGMENTS[i % SEGMENTS.length]!;
    const at = i * plan.intervalMs;
    const inOutage = at >= plan.beforeMs && at < plan.beforeMs + plan.outageMs;
    return { i, path: `${segment}/${runTag}-${i}`, segment, at, hung: inOutage && (kind === 'full' || segment === HUNG_IN_PARTIAL) };
  });
}

/** Every page a run asks for, for the mirrors' bucket. */
export function timelinePages(plan: TimelinePlan): string[] {
  return VARIANTS.flatMap((v) => (['full', 'partial'] as const).flatMap((kind) => schedule(plan, kind, `${v.id}-${kind}`).map((s) => s.path)));
}

/** Origin answers every page, except those the outage catches: those hang. */
function originFor(requests: readonly Scheduled[]): Behaviour {
  const paths = Object.fromEntries(requests.filter((r) => r.hung).map((r) => [r.path, { kind: 'hang' } satisfies Behaviour]));
  return { kind: 'by-path', paths, otherwise: { kind: 'echo' } };
}

function wrongness(t: Timing, path: string): string | undefined {
  if (t.error) return `${path}: ${t.error}`;
  if (t.status !== 200) return `${path}: status ${t.status}`;
  if (!t.body?.includes(path)) return `${path}: not the page asked for`;
  return undefined;
}

async function runOne(variant: Variant, kind: OutageKind, plan: TimelinePlan, serviceUrl: string, mirrorFetch: Summary): Promise<TimelineRun> {
  const requests = schedule(plan, kind, `${variant.id}-${kind}`);
  const points: TimelinePoint[] = [];
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (const r of requests) {
    const wait = started + r.at - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inflight.push(
      timedGet(serviceUrl, r.path, SCALED_FIRST_BYTE_TIMEOUT_MS * 4, {}, { keepBody: true }).then((t) => {
        const wrong = wrongness(t, r.path);
        points.push({
          segment: r.segment,
          startMs: r.at - plan.beforeMs,
          totalMs: round(Number.isFinite(t.totalMs) ? t.totalMs : SCALED_FIRST_BYTE_TIMEOUT_MS * 4, 2)!,
          backend: String(t.headers['fastly-backend-name'] ?? 'none'),
          suspect: suspectScopeIn(String(t.headers['server-timing'] ?? '')) !== null,
          hung: r.hung,
          ...(wrong ? { wrong } : {}),
        });
      }),
    );
  }
  await Promise.all(inflight);
  points.sort((a, b) => a.startMs - b.startMs);
  const wrong = points.filter((p) => p.wrong !== undefined);
  const groups: [string, (p: TimelinePoint) => boolean][] =
    kind === 'full' ? [['all', () => true]] : [['hung segment', (p) => p.segment === HUNG_IN_PARTIAL], ['other segments', (p) => p.segment !== HUNG_IN_PARTIAL]];
  return {
    variant: variant.id,
    kind,
    mirrorFetch,
    requests: points.length,
    wrongAnswers: wrong.length,
    wrongSamples: wrong.slice(0, 5).map((p) => p.wrong!),
    groups: groups.map(([group, inGroup]) => summariseGroup(group, points.filter(inGroup), plan, mirrorFetch.p50)),
    points,
  };
}

function summariseGroup(group: string, points: readonly TimelinePoint[], plan: TimelinePlan, mirrorP50: number): GroupSummary {
  const during = points.filter((p) => p.startMs >= 0 && p.startMs < plan.outageMs);
  const after = points.filter((p) => p.startMs >= plan.outageMs);
  const firstFromOrigin = after.find((p) => p.backend === 'origin');
  const total = roundSummary(summarise(during.map((p) => p.totalMs)));
  return {
    group,
    n: during.length,
    waitedOverHedge: during.filter((p) => p.totalMs > SCALED_HEDGE_MS).length,
    total,
    p50ToMirror: round(total.p50 / mirrorP50, 2),
    originAgainAfterMs: firstFromOrigin && points.some((p) => p.hung) ? round(firstFromOrigin.startMs + firstFromOrigin.totalMs - plan.outageMs, 1) : null,
    mirrorAnswersAfterRecovery: after.filter((p) => p.backend !== 'origin').length,
  };
}

/** p50 of `count` direct fetches from the mirror, on a warm connection, through its link. */
async function mirrorFetchReference(mirrorUrl: string, paths: readonly string[], count: number): Promise<Summary> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const totals: number[] = [];
    for (let i = 0; i < count + 2; i++) {
      const t = await timedGet(mirrorUrl, `/${objectKey(paths[i % paths.length]!)}`, 5_000, {}, { agent });
      if (i >= 2 && t.status === 200 && Number.isFinite(t.totalMs)) totals.push(t.totalMs);
    }
    return summarise(totals);
  } finally {
    agent.destroy();
  }
}

export async function measureTimeline(
  plan: TimelinePlan,
  bucketRoot: string,
  say: (line: string) => void = () => undefined,
  only: { variants?: readonly VariantId[]; kinds?: readonly OutageKind[] } = {},
): Promise<TimelineReport> {
  const started = performance.now();
  const runs: TimelineRun[] = [];
  for (const variant of VARIANTS.filter((v) => only.variants?.includes(v.id) ?? true)) {
    say(`outage timeline, ${variant.title}: starting stubs, links and the runtime`);
    const world = await startRoundTripWorld({ origin: { kind: 'echo' }, bucketRoot, config: variant.config, originFirstByteTimeoutMs: SCALED_FIRST_BYTE_TIMEOUT_MS });
    try {
      for (const kind of only.kinds ?? (['full', 'partial'] as const)) {
        const requests = schedule(plan, kind, `${variant.id}-${kind}`);
        await world.stubs.origin.setBehaviour(originFor(requests));
        const mirrorFetch = roundSummary(await mirrorFetchReference(world.links.mirrorS3.url, requests.map((r) => r.path), plan.mirrorFetches));
        const run = await runOne(variant, kind, plan, world.service.url, mirrorFetch);
        runs.push(run);
        say(`outage timeline, ${variant.title}, ${kind} outage: ${run.requests} requests, ${run.wrongAnswers} wrong, ${run.groups.map((g) => `${g.group}: ${g.waitedOverHedge} of ${g.n} waited over ${SCALED_HEDGE_MS} ms`).join('; ')}`);
      }
    } finally {
      await world.close();
    }
  }
  return { plan, scale: TIME_SCALE, hedgeMs: SCALED_HEDGE_MS, firstByteTimeoutMs: SCALED_FIRST_BYTE_TIMEOUT_MS, runs, wallMs: Math.round(performance.now() - started) };
}

function roundSummary(s: Summary): Summary {
  const r = (v: number): number => round(v, 2) ?? Number.NaN;
  return { n: s.n, p50: r(s.p50), p95: r(s.p95), min: r(s.min), max: r(s.max), mean: r(s.mean) };
}
