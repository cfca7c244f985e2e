/**
 * What users feel when origin fails, in the world with real round trips
 * (round-trip-world.ts), against the physical limit measured through the same
 * links in the same rounds: the exchanges an edge with no overhead at all
 * would make, on warm connections as Fastly keeps them (a refused connection
 * cannot be kept: it costs its round trip every time):
 *
 * - origin refusing: a refused connection to origin, then one mirror fetch;
 * - origin answering 503: origin's 503, then one mirror fetch;
 * - origin unhealthy, or suspect (the outage memory): one mirror fetch;
 * - origin healthy: one origin fetch.
 *
 * The runtime floor, the forward-only service on the same runtime making the
 * same exchanges, shows how much of the difference is the local runtime's own
 * hop. Each round asks the service (a fresh connection, as a user's first
 * request), the limit and the floor, in rotated order.
 */
import { Agent } from 'node:http';
import type { Behaviour } from '../stubs/index.ts';
import { timedGet, type Timing } from './client.ts';
import { emptySeries, record, type Series } from './latency.ts';
import { objectKey } from './pages.ts';
import { ratios, type Ratios, type SeriesReport, seriesReport } from './series.ts';
import { ROUND_TRIP_MS, type RoundTripWorld, type ServiceRunner, startRoundTripWorld } from './round-trip-world.ts';
import type { BackendName } from './manifest.ts';

export type RoundTripId = 'rtt-healthy' | 'rtt-refuse' | 'rtt-503' | 'rtt-unhealthy' | 'rtt-suspect';
type Limit = 'origin fetch' | 'refused connect + mirror fetch' | '503 + mirror fetch' | 'mirror fetch';

export interface RoundTripScenario {
  readonly id: RoundTripId;
  readonly title: string;
  /** Which of the two services answers: origin's health check green, or red. */
  readonly world: 'green' | 'unhealthy';
  readonly origin: Behaviour;
  readonly expectBackend: BackendName;
  readonly limit: Limit;
  /** The page of round i (each round a page of its own, so no cache answers). */
  path(i: number): string;
  /** Largest allowed service / limit at the median; null: reported only. */
  readonly goal: number | null;
  /** Make the scope suspect first: failures (origin 503) in the page's segment. */
  readonly primeSuspect?: boolean;
}

const SUSPECT_SEGMENT = '/suspect';

export const ROUND_TRIP_SCENARIOS: readonly RoundTripScenario[] = [
  { id: 'rtt-healthy', title: 'origin healthy', world: 'green', origin: { kind: 'echo' }, expectBackend: 'origin', limit: 'origin fetch', path: (i) => `/rt-healthy-${i}/page`, goal: null },
  { id: 'rtt-refuse', title: 'origin refusing connections', world: 'green', origin: { kind: 'refuse' }, expectBackend: 'mirrorS3', limit: 'refused connect + mirror fetch', path: (i) => `/rt-refuse-${i}/page`, goal: 1.05 },
  { id: 'rtt-503', title: 'origin answering 503', world: 'green', origin: { kind: 'status', status: 503 }, expectBackend: 'mirrorS3', limit: '503 + mirror fetch', path: (i) => `/rt-503-${i}/page`, goal: 1.05 },
  { id: 'rtt-unhealthy', title: 'origin marked unhealthy', world: 'unhealthy', origin: { kind: 'echo' }, expectBackend: 'mirrorS3', limit: 'mirror fetch', path: (i) => `/rt-unhealthy-${i}/page`, goal: 1.05 },
  { id: 'rtt-suspect', title: 'origin hung, suspect (outage memory)', world: 'green', origin: { kind: 'hang' }, expectBackend: 'mirrorS3', limit: 'mirror fetch', path: (i) => `${SUSPECT_SEGMENT}/page-${i}`, goal: 1.05, primeSuspect: true },
];

export interface RoundTripPlan {
  readonly rounds: number;
  readonly warmup: number;
}

export interface RoundTripScenarioReport {
  readonly id: RoundTripId;
  readonly title: string;
  readonly limit: Limit;
  readonly expectBackend: BackendName;
  readonly service: SeriesReport;
  readonly physicalLimit: SeriesReport;
  readonly runtimeFloor: SeriesReport;
  readonly serviceToLimit: Ratios;
  readonly floorToLimit: Ratios;
  readonly serviceToFloor: Ratios;
  readonly goal: number | null;
  /** service / limit at the median, total time, within the goal; null when there is no goal or no figure. */
  readonly met: boolean | null;
}

export interface RoundTripReport {
  readonly roundTripsMs: Readonly<Record<BackendName, number>>;
  readonly plan: RoundTripPlan;
  readonly scenarios: readonly RoundTripScenarioReport[];
  readonly wallMs: number;
}

const TIMEOUT_MS = 10_000;

/** Every page a plan's scenarios ask for, for the mirrors' bucket. */
export function roundTripPages(plan: RoundTripPlan): string[] {
  const count = plan.warmup + plan.rounds;
  const paths = ROUND_TRIP_SCENARIOS.flatMap((s) => Array.from({ length: count }, (_, i) => s.path(i)));
  return [...paths, ...primingPaths()];
}

function primingPaths(): string[] {
  return [0, 1, 2].map((i) => `${SUSPECT_SEGMENT}/priming-${i}`);
}

interface Probe {
  readonly id: 'service' | 'limit' | 'floor';
  send(i: number): Promise<Timing>;
  check(t: Timing, i: number): string | undefined;
}

/** Two exchanges one after the other, timed as one: TTFB is to the second answer's head. */
async function inSequence(first: () => Promise<Timing>, second: () => Promise<Timing>): Promise<Timing> {
  const started = performance.now();
  const a = await first();
  const secondStarted = performance.now() - started;
  const b = await second();
  const ok = b.ok && b.error === undefined;
  return { ...b, ok, ttfbMs: secondStarted + b.ttfbMs, totalMs: secondStarted + b.totalMs, error: b.error ?? (a.status === 0 || a.status >= 500 ? undefined : `first exchange answered ${a.status}`) };
}

function probes(scenario: RoundTripScenario, world: RoundTripWorld, agents: Record<'origin' | 'mirrorS3', Agent>): Probe[] {
  const { links } = world;
  const page = (t: Timing, path: string, expect: number): string | undefined =>
    t.error ?? (t.status !== expect ? `status ${t.status}` : t.body !== undefined && !t.body.includes(path) ? `the page is not ${path}` : undefined);
  const origin = (i: number, agent: Agent | undefined) => timedGet(links.origin.url, scenario.path(i), TIMEOUT_MS, {}, { agent, keepBody: true });
  const mirror = (i: number) => timedGet(links.mirrorS3.url, `/${objectKey(scenario.path(i))}`, TIMEOUT_MS, {}, { agent: agents.mirrorS3, keepBody: true });
  const limit = (i: number): Promise<Timing> => {
    switch (scenario.limit) {
      case 'origin fetch':
        return origin(i, agents.origin);
      case 'refused connect + mirror fetch':
        return inSequence(() => origin(i, undefined), () => mirror(i));
      case '503 + mirror fetch':
        return inSequence(() => origin(i, agents.origin), () => mirror(i));
      case 'mirror fetch':
        return mirror(i);
    }
  };
  const floorVia = scenario.limit === 'origin fetch' ? 'origin' : scenario.limit === 'mirror fetch' ? 'mirrorS3' : 'origin,mirrorS3';
  const floorPath = (i: number) => (scenario.limit === 'origin fetch' ? scenario.path(i) : `/${objectKey(scenario.path(i))}`);
  return [
    {
      id: 'service',
      send: (i) => timedGet(world.service.url, scenario.path(i), TIMEOUT_MS, {}, { keepBody: true }),
      check: (t, i) => {
        const why = page(t, scenario.path(i), 200);
        const backend = t.headers['fastly-backend-name'];
        return why ?? (backend === scenario.expectBackend ? undefined : `answered by ${String(backend)}, expected ${scenario.expectBackend}`);
      },
    },
    { id: 'limit', send: limit, check: (t, i) => page(t, scenario.path(i), 200) },
    {
      id: 'floor',
      send: (i) => timedGet(world.nullService!.url, floorPath(i), TIMEOUT_MS, { 'x-bench-backend': floorVia }, { keepBody: true }),
      check: (t, i) => page(t, scenario.path(i), 200),
    },
  ];
}

/** Three origin failures in the suspect segment, through the service, then origin as the scenario says. */
async function primeSuspect(scenario: RoundTripScenario, world: RoundTripWorld): Promise<void> {
  await world.stubs.origin.setBehaviour({ kind: 'status', status: 503 });
  for (const path of primingPaths()) {
    const t = await timedGet(world.service.url, path, TIMEOUT_MS);
    if (t.headers['fastly-backend-name'] !== 'mirrorS3') throw new Error(`priming ${path}: answered by ${String(t.headers['fastly-backend-name'])}`);
  }
  await world.stubs.origin.setBehaviour(scenario.origin);
  const check = await timedGet(world.service.url, scenario.path(0), TIMEOUT_MS);
  if (!/suspect;desc="\/suspect"/.test(String(check.headers['server-timing']))) throw new Error(`the scope did not become suspect: ${String(check.headers['server-timing'])}`);
}

async function measureScenario(scenario: RoundTripScenario, world: RoundTripWorld, plan: RoundTripPlan): Promise<RoundTripScenarioReport> {
  await world.stubs.origin.setBehaviour(scenario.origin);
  if (scenario.primeSuspect) await primeSuspect(scenario, world);
  const agents = { origin: new Agent({ keepAlive: true, maxSockets: 4 }), mirrorS3: new Agent({ keepAlive: true, maxSockets: 4 }) };
  try {
    const list = probes(scenario, world, agents);
    const series: Record<Probe['id'], Series> = { service: emptySeries(), limit: emptySeries(), floor: emptySeries() };
    // Round 0 of the suspect scenario was the check above; warm-up rounds are thrown away.
    const first = scenario.primeSuspect ? 1 : 0;
    for (let r = first; r < plan.warmup + plan.rounds; r++) {
      for (let k = 0; k < list.length; k++) {
        const probe = list[(r + k) % list.length]!;
        const t = await probe.send(r);
        if (r >= plan.warmup) record(series[probe.id], t, probe.check(t, r));
      }
    }
    const service = seriesReport(series.service);
    const physicalLimit = seriesReport(series.limit);
    const runtimeFloor = seriesReport(series.floor);
    const serviceToLimit = ratios(service, physicalLimit);
    const met = scenario.goal === null || serviceToLimit.totalP50 === null ? null : serviceToLimit.totalP50 <= scenario.goal;
    return {
      id: scenario.id,
      title: scenario.title,
      limit: scenario.limit,
      expectBackend: scenario.expectBackend,
      service,
      physicalLimit,
      runtimeFloor,
      serviceToLimit,
      floorToLimit: ratios(runtimeFloor, physicalLimit),
      serviceToFloor: ratios(service, runtimeFloor),
      goal: scenario.goal,
      met,
    };
  } finally {
    agents.origin.destroy();
    agents.mirrorS3.destroy();
  }
}

/**
 * Two services in two worlds: one with origin's health check green and the outage memory on (the defaults), one
 * with origin marked unhealthy. Every page's first path segment is its own, so no scope becomes suspect except the
 * one the suspect scenario makes so.
 */
export async function measureRoundTrips(plan: RoundTripPlan, bucketRoot: string, say: (line: string) => void = () => undefined, runner?: ServiceRunner): Promise<RoundTripReport> {
  const started = performance.now();
  const reports: RoundTripScenarioReport[] = [];
  for (const worldKind of ['green', 'unhealthy'] as const) {
    const scenarios = ROUND_TRIP_SCENARIOS.filter((s) => s.world === worldKind);
    say(`round-trip world (origin ${worldKind === 'green' ? 'healthy by its health check' : 'marked unhealthy'}): starting stubs, links and runtimes`);
    const world = await startRoundTripWorld({
      origin: scenarios[0]!.origin,
      bucketRoot,
      config: {},
      originHealth: worldKind === 'unhealthy' ? 'unhealthy' : undefined,
      nullService: true,
      runner,
    });
    try {
      for (const scenario of scenarios) {
        const report = await measureScenario(scenario, world, plan);
        say(`round trips, ${scenario.title}: service p50 ${report.service.total.p50} ms, limit ${report.physicalLimit.total.p50} ms, ${report.service.errors + report.physicalLimit.errors + report.runtimeFloor.errors} errors`);
        reports.push(report);
      }
    } finally {
      await world.close();
    }
  }
  const order = ROUND_TRIP_SCENARIOS.map((s) => s.id);
  reports.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  return { roundTripsMs: ROUND_TRIP_MS, plan, scenarios: reports, wallMs: Math.round(performance.now() - started) };
}
