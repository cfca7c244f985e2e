/**
 * Latency of one scenario: time to first byte and total time through the
 * service, and the same for the baselines (straight to the stub mirror, to
 * the stub origin, and through the null service on the same runtime), all
 * measured side by side in the same minutes so that machine noise hits them
 * alike. Every answer is checked (status, size, which backend served it);
 * wrong ones are counted and left out of the figures.
 */
import { timedGet, type Timing } from './client.ts';
import { mirrorPath, PAGE_BYTES, pagePath } from './pages.ts';
import type { Scenario } from './scenarios.ts';
import type { World } from './world.ts';

export type BaselineId = 'directMirror' | 'directOrigin' | 'runtimeFloor';

export interface Series {
  readonly ttfb: number[];
  readonly total: number[];
  /** The service's own account (Server-Timing `dur`) of each backend attempt, ms, by backend and outcome (`mirrorS3 ok`). */
  readonly attempts: Record<string, number[]>;
  errors: number;
  readonly errorSamples: string[];
}

export interface LatencyPlan {
  /** Measured requests (sequential scenarios) or launched requests (staggered). */
  readonly requests: number;
  /** Requests made and thrown away first. */
  readonly warmup: number;
  /** Baseline requests for staggered scenarios (half before, half after). */
  readonly baselineRequests: number;
}

export interface LatencyResult {
  readonly service: Series;
  readonly baselines: Partial<Record<BaselineId, Series>>;
  readonly wallMs: number;
}

const MAX_ERROR_SAMPLES = 5;
/** Room above the scenario's expected wait before a request is given up. */
const TIMEOUT_MARGIN_MS = 10_000;

interface Probe {
  readonly id: 'service' | BaselineId;
  send(i: number): Promise<Timing>;
  check(t: Timing): string | undefined;
}

/** The probes of a scenario: the service, then its baselines. */
export function probesFor(scenario: Scenario, world: World): Probe[] {
  const timeout = scenario.waitMs + TIMEOUT_MARGIN_MS;
  const page = (t: Timing): string | undefined =>
    t.error ?? (t.status !== 200 ? `status ${t.status}` : t.bytes !== PAGE_BYTES ? `${t.bytes} bytes, expected ${PAGE_BYTES}` : undefined);
  const served = (t: Timing): string | undefined => {
    const why = page(t);
    if (why) return why;
    const backend = t.headers['fastly-backend-name'];
    return backend === scenario.expectBackend ? undefined : `answered by ${String(backend)}, expected ${scenario.expectBackend}`;
  };
  const probes: Probe[] = [{ id: 'service', send: (i) => timedGet(world.service.url, pagePath(i), timeout), check: served }];
  if (scenario.expectBackend === 'origin') {
    probes.push({ id: 'directOrigin', send: (i) => timedGet(world.stubs.origin.url, pagePath(i), timeout), check: page });
    probes.push({ id: 'runtimeFloor', send: (i) => timedGet(world.nullService.url, pagePath(i), timeout, { 'x-bench-backend': 'origin' }), check: page });
  } else {
    probes.push({ id: 'runtimeFloor', send: (i) => timedGet(world.nullService.url, mirrorPath(i), timeout, { 'x-bench-backend': 'mirrorS3' }), check: page });
  }
  probes.push({ id: 'directMirror', send: (i) => timedGet(world.stubs.mirrorS3.url, mirrorPath(i), timeout), check: page });
  return probes;
}

export function emptySeries(): Series {
  return { ttfb: [], total: [], attempts: {}, errors: 0, errorSamples: [] };
}

export function record(series: Series, t: Timing, problem: string | undefined): void {
  if (problem === undefined) {
    series.ttfb.push(t.ttfbMs);
    series.total.push(t.totalMs);
    for (const [backend, dur] of serverTimings(t)) (series.attempts[backend] ??= []).push(dur);
  } else {
    series.errors++;
    if (series.errorSamples.length < MAX_ERROR_SAMPLES) series.errorSamples.push(problem);
  }
}

/** `origin;desc="abandoned";dur=5001.2, mirrorS3;desc="ok 200";dur=2.1` → [["origin abandoned", 5001.2], ["mirrorS3 ok", 2.1]]. */
export function serverTimings(t: Timing): [string, number][] {
  const header = t.headers['server-timing'];
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const out: [string, number][] = [];
  for (const m of text.matchAll(/(?:^|,)\s*([A-Za-z0-9]+);desc="([a-z-]+)[^"]*";dur=([0-9.]+)/g)) out.push([`${m[1]} ${m[2]}`, Number(m[3])]);
  return out;
}

/** Page indexes used by one scenario: warm-up first, then measured; stays below `pageCount`. */
export function pagesNeeded(plan: LatencyPlan): number {
  return plan.warmup + Math.max(plan.requests, plan.baselineRequests);
}

export async function measureLatency(scenario: Scenario, world: World, plan: LatencyPlan): Promise<LatencyResult> {
  const started = performance.now();
  const probes = probesFor(scenario, world);
  const series = new Map(probes.map((p) => [p.id, emptySeries()]));
  if (scenario.pacing.kind === 'sequential') {
    await sequentialRounds(probes, series, plan.warmup, 0, false);
    await sequentialRounds(probes, series, plan.requests, plan.warmup, true);
  } else {
    const baselines = probes.filter((p) => p.id !== 'service');
    const before = Math.ceil(plan.baselineRequests / 2);
    await sequentialRounds(baselines, series, plan.warmup, 0, false);
    await sequentialRounds(baselines, series, before, plan.warmup, true);
    await staggered(probes[0]!, series.get('service')!, plan, scenario.pacing.spacingMs);
    await sequentialRounds(baselines, series, plan.baselineRequests - before, plan.warmup + before, true);
  }
  const baselineResults: Partial<Record<BaselineId, Series>> = {};
  for (const p of probes) if (p.id !== 'service') baselineResults[p.id] = series.get(p.id)!;
  return { service: series.get('service')!, baselines: baselineResults, wallMs: performance.now() - started };
}

/** One request per probe per round, the order rotated each round so that none is always first. */
async function sequentialRounds(probes: readonly Probe[], series: Map<string, Series>, rounds: number, firstPage: number, keep: boolean): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < probes.length; k++) {
      const probe = probes[(r + k) % probes.length]!;
      const t = await probe.send(firstPage + r);
      if (keep) record(series.get(probe.id)!, t, probe.check(t));
    }
  }
}

/** Starts one request every `spacingMs` (warm-up ones first, not kept) and waits for all. */
async function staggered(probe: Probe, series: Series, plan: LatencyPlan, spacingMs: number): Promise<void> {
  const total = plan.warmup + plan.requests;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, spacingMs));
    const keep = i >= plan.warmup;
    inflight.push(
      probe.send(i).then((t) => {
        if (keep) record(series, t, probe.check(t));
      }),
    );
  }
  await Promise.all(inflight);
}
