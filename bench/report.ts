/**
 * The report of one run: per-scenario summaries (p50, p95 of time to first
 * byte and total time), their ratios to the baselines measured in the same
 * run, throughput, build figures, and the targets checked against them.
 * Plain data, written as JSON as it is.
 */
import type { BuildResult } from './build.ts';
import type { BaselineId, LatencyResult, Series } from './latency.ts';
import type { MachineInfo } from './machine.ts';
import type { NamesReport } from './names.ts';
import type { Scenario, ScenarioId } from './scenarios.ts';
import { type Ratios, ratios, type SeriesReport, seriesReport } from './series.ts';
import { ratio, round, type Summary } from './stats.ts';
import type { ThroughputPlan, ThroughputResult } from './throughput.ts';

export interface ScenarioReport {
  readonly id: ScenarioId;
  readonly title: string;
  readonly expectBackend: string;
  /** The baseline the scenario's ratios are taken against (the physical limit). */
  readonly limit: BaselineId;
  /** Expected wait before the mirror is asked (hedge delay or first-byte timeout), ms; 0 when none. */
  readonly waitMs: number;
  readonly service: SeriesReport;
  readonly baselines: Partial<Record<BaselineId, SeriesReport>>;
  /** service / baseline, for each baseline measured. */
  readonly ratios: Partial<Record<BaselineId, Ratios>>;
  /** For scenarios with a wait: (service − wait) / direct mirror, the part of the time that is not the wait. */
  readonly beyondWaitRatios: Ratios | null;
  readonly wallMs: number;
}

export interface Target {
  readonly id: string;
  readonly description: string;
  readonly scenario: ScenarioId;
  /** What was compared, in words. */
  readonly measure: string;
  /** Largest allowed value of `measuredTtfb` / `measuredTotal`. */
  readonly allowed: { readonly ttfb: number | null; readonly total: number | null };
  readonly measuredTtfb: number | null;
  readonly measuredTotal: number | null;
  readonly unit: '×' | 'ms';
  /** Both TTFB and total time within the allowance; null when a figure is missing. */
  readonly met: boolean | null;
}

export interface ThroughputReport {
  readonly plan: ThroughputPlan;
  readonly results: ThroughputResult;
  /** service rps / direct-origin rps. */
  readonly serviceToDirect: number | null;
  /** service rps / null-service rps. */
  readonly serviceToRuntimeFloor: number | null;
}

export interface Report {
  readonly schema: 1;
  readonly mode: 'full' | 'quick';
  readonly command: string;
  readonly startedAt: string;
  readonly wallMs: number;
  readonly machine: MachineInfo;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly scenarios: readonly ScenarioReport[];
  readonly throughput: ThroughputReport | null;
  /** The crawler's other names against a first-name hit; null when not measured. */
  readonly names: NamesReport | null;
  readonly build: BuildResult | null;
  readonly targets: readonly Target[];
}

export function scenarioReport(scenario: Scenario, latency: LatencyResult): ScenarioReport {
  const service = seriesReport(latency.service);
  const baselines: Partial<Record<BaselineId, SeriesReport>> = {};
  const ratioMap: Partial<Record<BaselineId, Ratios>> = {};
  for (const [id, series] of Object.entries(latency.baselines) as [BaselineId, Series][]) {
    baselines[id] = seriesReport(series);
    ratioMap[id] = ratios(service, baselines[id]);
  }
  const mirror = baselines.directMirror;
  return {
    id: scenario.id,
    title: scenario.title,
    expectBackend: scenario.expectBackend,
    limit: scenario.expectBackend === 'origin' ? 'directOrigin' : 'directMirror',
    waitMs: scenario.waitMs,
    service,
    baselines,
    ratios: ratioMap,
    beyondWaitRatios: scenario.waitMs > 0 && mirror ? ratios(service, mirror, scenario.waitMs) : null,
    wallMs: Math.round(latency.wallMs),
  };
}

/** The targets, checked against this run's figures. Missing scenarios give no target. */
export function evaluateTargets(scenarios: readonly ScenarioReport[]): Target[] {
  const byId = new Map(scenarios.map((s) => [s.id, s]));
  const out: Target[] = [];
  const ratioTarget = (id: string, scenario: ScenarioId, limit: number, against: BaselineId, description: string, measure: string): void => {
    const s = byId.get(scenario);
    const r = s?.ratios[against];
    if (!s || !r) return;
    out.push({ id, description, scenario, measure, allowed: { ttfb: limit, total: limit }, measuredTtfb: r.ttfbP50, measuredTotal: r.totalP50, unit: '×', met: metBoth(r.ttfbP50, r.totalP50, limit, limit) });
  };
  ratioTarget('healthy-overhead', 'healthy', 1.05, 'directOrigin', 'healthy-path overhead ≤ 5 % of direct origin at the median', 'p50 through the service / p50 straight to the stub origin');
  ratioTarget('refuse', 'refuse', 1.2, 'directMirror', 'failover with origin refusing ≤ 1.2× direct mirror', 'p50 through the service / p50 straight to the stub mirror');
  ratioTarget('unhealthy', 'unhealthy', 1.1, 'directMirror', 'origin unhealthy ≤ 1.1× direct mirror', 'p50 through the service / p50 straight to the stub mirror');
  const hung = byId.get('hung-hedge');
  const mirror = hung?.baselines.directMirror;
  if (hung && mirror) {
    const allowed = { ttfb: round(hung.waitMs + 1.2 * mirror.ttfb.p50), total: round(hung.waitMs + 1.2 * mirror.total.p50) };
    out.push({
      id: 'hung-hedge',
      description: 'origin hung ≤ hedge delay + 1.2× direct mirror',
      scenario: 'hung-hedge',
      measure: `p50 through the service, ms, against ${hung.waitMs} ms + 1.2 × p50 straight to the stub mirror`,
      allowed,
      measuredTtfb: finiteOrNull(hung.service.ttfb.p50),
      measuredTotal: finiteOrNull(hung.service.total.p50),
      unit: 'ms',
      met: metBoth(finiteOrNull(hung.service.ttfb.p50), finiteOrNull(hung.service.total.p50), allowed.ttfb, allowed.total),
    });
  }
  return out;
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function metBoth(ttfb: number | null, total: number | null, allowTtfb: number | null, allowTotal: number | null): boolean | null {
  if (ttfb === null || total === null || allowTtfb === null || allowTotal === null) return null;
  return ttfb <= allowTtfb && total <= allowTotal;
}

export function throughputReport(plan: ThroughputPlan, results: ThroughputResult): ThroughputReport {
  // Ratios from the rounded figures the report shows, as for latency, so that they agree with them.
  const shown = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { ...v, rps: round(v.rps, 1) ?? 0, elapsedMs: Math.round(v.elapsedMs) }])) as unknown as ThroughputResult;
  return {
    plan,
    results: shown,
    serviceToDirect: round(ratio(shown.service.rps, shown.directOrigin.rps)),
    serviceToRuntimeFloor: round(ratio(shown.service.rps, shown.runtimeFloor.rps)),
  };
}
