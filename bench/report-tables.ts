/**
 * The benchmark's reports as tables (table.ts renders them).
 */
import type { BaselineId } from './latency.ts';
import { NAMES_PROBES, NAMES_TITLES, type NamesReport } from './names.ts';
import { ms, type Table, times } from './table.ts';
import type { Report, ScenarioReport, Target } from './report.ts';
import type { RoundTripReport } from './round-trip.ts';
import type { TimelineReport } from './timeline.ts';
import { VARIANTS } from './timeline.ts';
import type { SiegeReport } from './siege.ts';
import type { MissFloodReport } from './miss-flood.ts';



const LIMIT_NAMES: Record<BaselineId, string> = { directMirror: 'direct mirror', directOrigin: 'direct origin', runtimeFloor: 'runtime floor' };

function pair(a: string, b: string): string {
  return `${a} / ${b}`;
}

export function latencyTable(scenarios: readonly ScenarioReport[]): Table {
  const head = [
    'scenario',
    'ok / err',
    'TTFB p50 / p95 ms',
    'total p50 / p95 ms',
    'limit',
    'limit total p50 / p95 ms',
    '× limit TTFB p50 / p95',
    '× limit total p50 / p95',
    'runtime floor total p50 ms',
    '× floor total p50',
    'attempts p50 ms (Server-Timing)',
  ];
  const rows = scenarios.map((s) => {
    const limit = s.baselines[s.limit];
    const r = s.ratios[s.limit];
    const floor = s.baselines.runtimeFloor;
    const wait = s.beyondWaitRatios;
    return [
      s.title,
      `${s.service.total.n} / ${s.service.errors}`,
      pair(ms(s.service.ttfb.p50), ms(s.service.ttfb.p95)),
      pair(ms(s.service.total.p50), ms(s.service.total.p95)),
      LIMIT_NAMES[s.limit],
      pair(ms(limit?.total.p50), ms(limit?.total.p95)),
      pair(times(r?.ttfbP50), times(r?.ttfbP95)),
      pair(times(r?.totalP50), times(r?.totalP95)) + (wait ? ` (beyond the ${s.waitMs} ms wait: ${times(wait.totalP50)})` : ''),
      ms(floor?.total.p50),
      times(s.ratios.runtimeFloor?.totalP50),
      Object.entries(s.service.attempts ?? {})
        .map(([backend, sum]) => `${backend} ${ms(sum.p50)}`)
        .join(', ') || '–',
    ];
  });
  return { head, rows };
}

export function targetTable(targets: readonly Target[]): Table {
  const fmt = (v: number | null, unit: Target['unit']): string => (unit === '×' ? times(v) : `${ms(v)} ms`);
  return {
    head: ['target', 'measured TTFB p50', 'measured total p50', 'allowed', 'met'],
    rows: targets.map((t) => [
      t.description,
      fmt(t.measuredTtfb, t.unit),
      fmt(t.measuredTotal, t.unit),
      t.allowed.ttfb === t.allowed.total ? fmt(t.allowed.total, t.unit) : `${fmt(t.allowed.ttfb, t.unit)} / ${fmt(t.allowed.total, t.unit)}`,
      t.met === null ? 'no figure' : t.met ? 'yes' : 'NO',
    ]),
  };
}

export function otherTable(report: Report): Table {
  const rows: string[][] = [];
  const t = report.throughput;
  if (t) {
    const c = t.plan.concurrency;
    rows.push([`requests/s, healthy origin, concurrency ${c}: service`, `${t.results.service.rps.toFixed(0)} (${t.results.service.errors} errors)`]);
    rows.push([`requests/s, same load straight to the stub origin`, `${t.results.directOrigin.rps.toFixed(0)} (${t.results.directOrigin.errors} errors)`]);
    rows.push([`requests/s, same load through the null service (runtime floor)`, `${t.results.runtimeFloor.rps.toFixed(0)} (${t.results.runtimeFloor.errors} errors)`]);
    rows.push(['service / direct origin, service / runtime floor', `${times(t.serviceToDirect)}, ${times(t.serviceToRuntimeFloor)}`]);
  }
  const b = report.build;
  if (b) {
    rows.push(['build time (js-compute-runtime --enable-http-cache)', !b.ran ? 'not run' : b.ok && b.ms !== null ? `${(b.ms / 1000).toFixed(1)} s` : `failed: ${(b.error ?? '').split('\n').filter(Boolean).pop() ?? ''}`]);
    rows.push(['size of the built wasm', mib(b.wasmBytes)]);
    rows.push(['size of bin/main.wasm', mib(b.binMainWasmBytes)]);
  }
  return { head: ['measure', 'value'], rows };
}

/** The world with real round trips: the service against the physical limit and the runtime floor, per scenario. */
export function roundTripTable(report: RoundTripReport): Table {
  return {
    head: [
      'scenario',
      'physical limit',
      'ok / err',
      'service total p50 / p95 ms',
      'limit p50 / p95 ms',
      '× limit p50 / p95',
      'goal',
      'met',
      'runtime floor p50 ms',
      'floor × limit p50',
      'service × floor p50',
      'attempts p50 ms (Server-Timing)',
    ],
    rows: report.scenarios.map((s) => [
      s.title,
      s.limit,
      `${s.service.total.n} / ${s.service.errors + s.physicalLimit.errors + s.runtimeFloor.errors}`,
      pair(ms(s.service.total.p50), ms(s.service.total.p95)),
      pair(ms(s.physicalLimit.total.p50), ms(s.physicalLimit.total.p95)),
      pair(times(s.serviceToLimit.totalP50), times(s.serviceToLimit.totalP95)),
      s.goal === null ? '–' : `≤ ${times(s.goal)}`,
      s.met === null ? '–' : s.met ? 'yes' : 'NO',
      ms(s.runtimeFloor.total.p50),
      times(s.floorToLimit.totalP50),
      times(s.serviceToFloor.totalP50),
      Object.entries(s.service.attempts ?? {})
        .map(([backend, sum]) => `${backend} ${ms(sum.p50)}`)
        .join(', ') || '–',
    ]),
  };
}

/** The outage timeline: per outage, variant and group of requests, what users felt during the outage and after it. */
export function timelineTable(report: TimelineReport): Table {
  const title = (id: string) => VARIANTS.find((v) => v.id === id)?.title ?? id;
  return {
    head: [
      'outage',
      'variant',
      'requests',
      'sent in the outage',
      `waited over ${report.hedgeMs} ms (the hedge delay)`,
      'in the outage p50 / p95 / max ms',
      'p50 × a mirror fetch',
      'wrong answers',
      'origin answers again, ms after recovery',
      'mirror answers after recovery',
    ],
    rows: report.runs.flatMap((run) =>
      run.groups.map((g) => [
        run.kind === 'full' ? 'full' : `partial, ${g.group}`,
        title(run.variant),
        String(run.requests),
        String(g.n),
        String(g.waitedOverHedge),
        `${ms(g.total.p50)} / ${ms(g.total.p95)} / ${ms(g.total.max)}`,
        `${times(g.p50ToMirror)} (of ${ms(run.mirrorFetch.p50)} ms)`,
        String(run.wrongAnswers),
        ms(g.originAgainAfterMs),
        String(g.mirrorAnswersAfterRecovery),
      ]),
    ),
  };
}

export function siegeTable(report: SiegeReport): Table {
  return {
    head: ['one client repeats', 'its rate', 'its requests (served by)', 'users\' requests', 'users given a mirror copy', 'users seen suspect', 'users\' wrong answers', 'users p50 / p95 ms'],
    rows: report.runs.map((run) => [
      run.attack === 'failing' ? 'a page origin fails (500)' : `a page origin answers in ${report.slowAnswerMs} ms (hedge ${report.hedgeMs} ms)`,
      `${run.attackRate}/s`,
      `${run.attackRequests} (${Object.entries(run.attackServedBy).map(([by, n]) => `${by} ${n}`).join(', ')})`,
      String(run.userRequests),
      String(run.usersGivenMirrorCopy),
      String(run.usersSeenSuspect),
      String(run.usersWrong),
      `${ms(run.userTotal.p50)} / ${ms(run.userTotal.p95)}`,
    ]),
  };
}

export function missFloodTable(report: MissFloodReport): Table {
  return {
    head: ['mirror miss memory', 'client requests', 'origin', 'mirrorS3', 'mirrorS3Replica', 'mirrorGCS', 'bucket requests per client request', 'backend requests per client request', 'answers other than the 503 page'],
    rows: report.runs.map((run) => [
      run.missMemoryS === 0 ? 'off (mirror_miss_memory_s = 0, as before)' : `on (${run.missMemoryS} s, the default)`,
      String(run.clientRequests),
      ...(['origin', 'mirrorS3', 'mirrorS3Replica', 'mirrorGCS'] as const).map((name) => String(run.backendRequests[name] ?? 0)),
      String(run.bucketRequestsPerClientRequest ?? '–'),
      String(run.backendRequestsPerClientRequest ?? '–'),
      String(run.notTheErrorPage),
    ]),
  };
}

function mib(bytes: number | null): string {
  return bytes === null ? '–' : `${(bytes / 2 ** 20).toFixed(2)} MiB (${bytes} bytes)`;
}

export function namesTable(report: NamesReport): Table {
  return {
    head: ['request', 'ok / err', 'TTFB p50 / p95 ms', 'total p50 / p95 ms', '× first name, total p50 / p95', 'attempts p50 ms (Server-Timing)'],
    rows: NAMES_PROBES.map((probe) => {
      const s = report.probes[probe];
      const r = probe === 'firstName' ? undefined : report.ratios[probe];
      return [
        NAMES_TITLES[probe],
        `${s.total.n} / ${s.errors}`,
        `${ms(s.ttfb.p50)} / ${ms(s.ttfb.p95)}`,
        `${ms(s.total.p50)} / ${ms(s.total.p95)}`,
        r ? `${times(r.totalP50)} / ${times(r.totalP95)}` : '1 (reference)',
        Object.entries(s.attempts ?? {})
          .map(([backend, sum]) => `${backend} ${ms(sum.p50)}`)
          .join(', ') || '–',
      ];
    }),
  };
}
