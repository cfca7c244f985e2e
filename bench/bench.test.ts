/**
 * Runs quick mode's measuring code once on two scenarios and checks the
 * report's shape: every figure present, ratios computed from this run's own
 * numbers, targets evaluated, outputs rendered. No timing thresholds.
 */
import { describe, expect, it } from 'vitest';
import { chartSvg } from './chart.ts';
import { EDGE_BEGIN, EDGE_END, edgeSafetySection, generatedSection, BEGIN, END, ROUND_TRIP_BEGIN, ROUND_TRIP_END, roundTripSection } from './markdown.ts';
import { measureMissFlood, type MissFloodReport } from './miss-flood.ts';
import { measureSiege, siegePages, type SiegeReport } from './siege.ts';
import { runBenchmark } from './measure.ts';
import { makePageBucket } from './pages.ts';
import { measureRoundTrips, ROUND_TRIP_SCENARIOS, roundTripPages, type RoundTripReport } from './round-trip.ts';
import { ROUND_TRIP_MS } from './round-trip-world.ts';
import { timelineChartSvg } from './timeline-chart.ts';
import { measureTimeline, SCALED_HEDGE_MS, timelinePages, type TimelinePlan, type TimelineReport } from './timeline.ts';
import type { Report } from './report.ts';
import type { SeriesReport } from './series.ts';
import { scenarioById } from './scenarios.ts';
import { QUICK, type Settings } from './settings.ts';
import { round } from './stats.ts';
import { latencyTable, namesTable, otherTable, roundTripTable, targetTable, timelineTable } from './report-tables.ts';
import { renderMarkdown, renderText } from './table.ts';

const SETTINGS: Settings = { ...QUICK, throughput: { concurrency: 4, phaseMs: 200, rounds: 1, warmupMs: 50 }, build: false };

function expectFigures(s: SeriesReport, n: number): void {
  for (const summary of [s.ttfb, s.total]) {
    expect(summary.n).toBe(n);
    for (const v of [summary.p50, summary.p95, summary.min, summary.max, summary.mean]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    expect(summary.p50).toBeLessThanOrEqual(summary.p95);
  }
  expect(s.ttfb.p50).toBeLessThanOrEqual(s.total.p50);
}

/** Tags left open or closed out of order (a well-formedness check for the SVG we write; no attributes hold '<' or '>'). */
function unbalancedTags(xml: string): string[] {
  const stack: string[] = [];
  const problems: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([A-Za-z][\w:-]*)\b[^<>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (!closing) stack.push(name!);
    else if (stack.pop() !== name) problems.push(`</${name}> out of order`);
  }
  return [...problems, ...stack.map((n) => `<${n}> not closed`)];
}

describe('bench (quick mode, two scenarios)', () => {
  let report: Report;

  it('measures and reports', async () => {
    report = await runBenchmark({
      mode: 'quick',
      command: 'vitest',
      scenarios: [scenarioById('healthy'), scenarioById('refuse')],
      settings: SETTINGS,
      throughput: true,
      names: true,
    });
    expect(report.scenarios.map((s) => s.id)).toEqual(['healthy', 'refuse']);
    const n = SETTINGS.sequential.requests;

    const [healthy, refuse] = report.scenarios;
    expect(healthy!.limit).toBe('directOrigin');
    expect(refuse!.limit).toBe('directMirror');
    expect(Object.keys(healthy!.baselines).sort()).toEqual(['directMirror', 'directOrigin', 'runtimeFloor']);
    expect(Object.keys(refuse!.baselines).sort()).toEqual(['directMirror', 'runtimeFloor']);

    for (const s of report.scenarios) {
      expect(s.service.errors, s.service.errorSamples.join('; ')).toBe(0);
      expectFigures(s.service, n);
      for (const [id, b] of Object.entries(s.baselines)) {
        expect(b.errors, `${s.id} ${id}: ${b.errorSamples.join('; ')}`).toBe(0);
        expectFigures(b, n);
        // Ratios come from this run's own figures.
        const r = s.ratios[id as keyof typeof s.ratios]!;
        expect(r.ttfbP50).toBe(round(s.service.ttfb.p50 / b.ttfb.p50));
        expect(r.totalP50).toBe(round(s.service.total.p50 / b.total.p50));
        expect(r.totalP95).toBe(round(s.service.total.p95 / b.total.p95));
      }
    }
    // The service's own account of its attempts: origin then the mirror when origin refuses.
    expect(Object.keys(healthy!.service.attempts ?? {})).toEqual(['origin ok']);
    expect(Object.keys(refuse!.service.attempts ?? {}).sort()).toEqual(['mirrorS3 ok', 'origin connection-error']);

    const targets = new Map(report.targets.map((t) => [t.id, t]));
    expect([...targets.keys()].sort()).toEqual(['healthy-overhead', 'refuse']);
    expect(targets.get('refuse')!.measuredTotal).toBe(refuse!.ratios.directMirror!.totalP50);
    expect(targets.get('healthy-overhead')!.measuredTtfb).toBe(healthy!.ratios.directOrigin!.ttfbP50);
    for (const t of targets.values()) expect(typeof t.met).toBe('boolean');

    const tp = report.throughput!;
    for (const r of Object.values(tp.results)) {
      expect(r.completed).toBeGreaterThan(0);
      expect(r.errors).toBe(0);
      expect(r.rps).toBeGreaterThan(0);
    }
    expect(tp.serviceToDirect).toBe(round(tp.results.service.rps / tp.results.directOrigin.rps));

    // The crawler's other names, measured in the refusing world against a first-name hit.
    const names = report.names!;
    for (const [probe, s] of Object.entries(names.probes)) {
      expect(s.errors, `${probe}: ${s.errorSamples.join('; ')}`).toBe(0);
      expectFigures(s, SETTINGS.names.requests);
    }
    for (const probe of ['secondName', 'fullMiss'] as const) {
      expect(names.ratios[probe].totalP50).toBe(round(names.probes[probe].total.p50 / names.probes.firstName.total.p50));
      expect(names.ratios[probe].ttfbP95).toBe(round(names.probes[probe].ttfb.p95 / names.probes.firstName.ttfb.p95));
    }
    expect(Object.keys(names.probes.secondName.attempts ?? {}).sort()).toEqual(['mirrorS3 ok', 'origin connection-error']);
    expect(Object.keys(names.probes.fullMiss.attempts ?? {}).sort()).toEqual(['mirrorGCS http-error', 'mirrorS3 http-error', 'mirrorS3Replica http-error', 'origin connection-error']);

    expect(report.build?.ran).toBe(false);
  });

  it('renders the table, the chart and the BENCHMARKS.md section', () => {
    const text = renderText(latencyTable(report.scenarios));
    expect(text.split('\n')).toHaveLength(2 + report.scenarios.length);
    expect(renderMarkdown(targetTable(report.targets))).toContain('| failover with origin refusing');
    expect(renderText(otherTable(report))).toContain('requests/s');
    expect(renderText(namesTable(report.names!)).split('\n')).toHaveLength(2 + 3);

    const svg = chartSvg(report);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(unbalancedTags(svg)).toEqual([]);
    expect(svg).toContain(report.scenarios[0]!.title);

    const md = generatedSection(report);
    expect(md.startsWith(BEGIN)).toBe(true);
    expect(md.endsWith(END)).toBe(true);
    expect(md).toContain('Command: `vitest`');
    expect(md).toContain('### Mirror names');
  });
});

describe('bench: the world with real round trips and the outage timeline (tiny plans)', () => {
  let roundTrips: RoundTripReport;
  let timeline: TimelineReport;

  it('measures the service, the physical limit and the runtime floor through links that cost their round trips', async () => {
    const plan = { rounds: 2, warmup: 1 };
    const bucket = await makePageBucket(roundTripPages(plan));
    try {
      roundTrips = await measureRoundTrips(plan, bucket.root);
    } finally {
      await bucket.cleanup();
    }
    expect(roundTrips.scenarios.map((s) => s.id)).toEqual(ROUND_TRIP_SCENARIOS.map((s) => s.id));
    const least: Record<string, number> = {
      'origin fetch': ROUND_TRIP_MS.origin,
      'refused connect + mirror fetch': ROUND_TRIP_MS.origin + ROUND_TRIP_MS.mirrorS3,
      '503 + mirror fetch': ROUND_TRIP_MS.origin + ROUND_TRIP_MS.mirrorS3,
      'mirror fetch': ROUND_TRIP_MS.mirrorS3,
    };
    for (const s of roundTrips.scenarios) {
      for (const side of [s.service, s.physicalLimit, s.runtimeFloor]) {
        expect(side.errors, `${s.id}: ${side.errorSamples.join('; ')}`).toBe(0);
        expect(side.total.n).toBe(plan.rounds);
        // A link delays by its round trip: nothing crosses it faster (a property of the world, not a speed claim).
        expect(side.total.min, `${s.id}: ${s.limit} takes its round trips`).toBeGreaterThanOrEqual(least[s.limit]! - 1);
      }
      expect(s.serviceToLimit.totalP50).toBe(round(s.service.total.p50 / s.physicalLimit.total.p50));
      expect(typeof s.met === 'boolean' || s.goal === null).toBe(true);
    }
    const attempts = (id: string) => Object.keys(roundTrips.scenarios.find((s) => s.id === id)!.service.attempts ?? {}).sort();
    expect(attempts('rtt-refuse')).toEqual(['mirrorS3 ok', 'origin connection-error']);
    expect(attempts('rtt-suspect'), 'a suspect origin is still asked, with the mirror').toEqual(['mirrorS3 ok', 'origin abandoned']);
    expect(attempts('rtt-unhealthy')).toEqual(['mirrorS3 ok', 'origin unhealthy']);
  }, 120_000);

  it('runs an outage timeline: no wrong answers, the hedge waits, the memory stops the waiting', async () => {
    const plan: TimelinePlan = { beforeMs: 200, outageMs: 1600, afterMs: 400, intervalMs: 50, mirrorFetches: 3 };
    const bucket = await makePageBucket(timelinePages(plan));
    try {
      timeline = await measureTimeline(plan, bucket.root, () => undefined, { variants: ['hedge', 'memory'], kinds: ['full'] });
    } finally {
      await bucket.cleanup();
    }
    expect(timeline.runs.map((r) => `${r.variant} ${r.kind}`)).toEqual(['hedge full', 'memory full']);
    for (const run of timeline.runs) {
      expect(run.wrongAnswers, run.wrongSamples.join('; ')).toBe(0);
      expect(run.requests).toBe((plan.beforeMs + plan.outageMs + plan.afterMs) / plan.intervalMs);
      expect(run.groups[0]!.n).toBe(plan.outageMs / plan.intervalMs);
    }
    const [hedge, memory] = timeline.runs;
    expect(hedge!.groups[0]!.waitedOverHedge, 'hedge only: every request in the outage waits for the hedge').toBe(hedge!.groups[0]!.n);
    expect(memory!.groups[0]!.waitedOverHedge, 'with the memory, some are answered at once').toBeLessThan(memory!.groups[0]!.n);
    expect(memory!.points.some((p) => p.suspect && p.totalMs < SCALED_HEDGE_MS)).toBe(true);
  }, 120_000);

  it('renders their tables, the chart and the BENCHMARKS.md section', () => {
    expect(renderText(roundTripTable(roundTrips)).split('\n')).toHaveLength(2 + roundTrips.scenarios.length);
    expect(renderMarkdown(timelineTable(timeline))).toContain('| full | hedge only (today) |');
    const svg = timelineChartSvg(timeline, 'test');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(unbalancedTags(svg)).toEqual([]);
    expect(svg).toContain('hedge + outage memory');
    const md = roundTripSection(roundTrips, timeline, { startedAt: new Date().toISOString(), command: 'vitest', machine: 'test', chart: 'chart.svg' });
    expect(md.startsWith(ROUND_TRIP_BEGIN)).toBe(true);
    expect(md.endsWith(ROUND_TRIP_END)).toBe(true);
    expect(md).toContain('![latency over time, one line per variant](chart.svg)');
  });
});

describe('bench: the siege and the miss flood (tiny plans)', () => {
  let siege: SiegeReport;
  let flood: MissFloodReport;

  it('runs a siege: one client repeating one failing or slow page gives no user a mirror copy', async () => {
    const plan = { attackRates: [20], userRate: 10, durationMs: 600 };
    const bucket = await makePageBucket(siegePages(plan));
    try {
      siege = await measureSiege(plan, bucket.root);
    } finally {
      await bucket.cleanup();
    }
    expect(siege.runs.map((r) => `${r.attack} ${r.attackRate}`)).toEqual(['failing 20', 'slow 20']);
    for (const run of siege.runs) {
      expect(run.attackRequests).toBe(12);
      expect(run.userRequests).toBe(6);
      expect(run.usersWrong).toBe(0);
      expect(run.usersGivenMirrorCopy, `${run.attack}: users given a mirror copy`).toBe(0);
      expect(run.usersSeenSuspect, `${run.attack}: users seen suspect`).toBe(0);
    }
    expect(siege.runs[0]!.attackServedBy, 'the failing page fails over, for the attacker').toEqual({ mirrorS3: 12 });
  }, 120_000);

  it('runs a miss flood: with the memory, the buckets are asked far less than once a request', async () => {
    flood = await (async () => {
      const bucket = await makePageBucket(['/bench/page-0']);
      try {
        return await measureMissFlood({ rate: 20, durationMs: 1000 }, bucket.root);
      } finally {
        await bucket.cleanup();
      }
    })();
    const [off, on] = flood.runs;
    expect(off!.missMemoryS).toBe(0);
    expect(off!.bucketRequestsPerClientRequest, 'three names on each of three mirrors, every request').toBe(9);
    expect(on!.bucketRequestsPerClientRequest).toBeLessThan(off!.bucketRequestsPerClientRequest!);
    for (const run of flood.runs) expect(run.notTheErrorPage).toBe(0);
  }, 120_000);

  it('renders their tables and the BENCHMARKS.md section', () => {
    const md = edgeSafetySection(siege, flood, { startedAt: new Date().toISOString(), command: 'vitest', machine: 'test' });
    expect(md.startsWith(EDGE_BEGIN)).toBe(true);
    expect(md.endsWith(EDGE_END)).toBe(true);
    expect(md).toContain('| a page origin fails (500) | 20/s |');
    expect(md).toContain('| off (mirror_miss_memory_s = 0, as before) | 20 | 20 | 60 | 60 | 60 | 9 | 10 | 0 |');
  });
});
