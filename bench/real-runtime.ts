/**
 * The service on the real runtime: bin/main.wasm in Viceroy against a
 * forward-only service (bench/null-service.ts) compiled by the same
 * js-compute-runtime with the same flags, the runtime floor, on the same
 * manifest and stubs. Both are asked for the same pages, interleaved (the
 * order rotated every round), over a fresh connection each (or, with
 * `keepAlive`, over one kept-alive connection per side), and every answer is
 * checked (the order shuffled every round, from a fixed seed). The floor makes the hops the scenario needs and nothing else:
 * origin; origin then mirrorS3 (refusing, 503); mirrorS3 alone (origin
 * unhealthy: the service does not ask it). Another build of the service
 * (`compare`, e.g. the code before a change) can be measured in the same
 * rounds, so before and after are compared in one run. In the refusing world
 * it also measures the crawler's other names (names.ts): a second-name hit
 * and a full miss against a first-name hit, service only.
 */
import { execFile } from 'node:child_process';
import { Agent } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeBucketDir, startStubBackend, type StubBackend } from '../stubs/index.ts';
import { createPrng } from '../stubs/random-choice.ts';
import { startViceroy, type ViceroyServer } from '../viceroy/server.ts';
import { timedGet, type Timing } from './client.ts';
import { BACKENDS, BENCH_GCS, BENCH_RUNTIME_CONFIG, type BackendName, type BackendSpec, manifestToml } from './manifest.ts';
import { addNamePages, measureNames, type NamesReport } from './names.ts';
import { pageBody } from './pages.ts';
import { scenarioById, type Scenario, type ScenarioId } from './scenarios.ts';
import { percentile, ratio, round } from './stats.ts';
import type { RoundTripReport } from './round-trip.ts';
import { namesTable, roundTripTable } from './report-tables.ts';
import { ms, renderMarkdown, type Table, times } from './table.ts';

const REPO = join(import.meta.dirname, '..');
export const NULL_SERVICE = join(import.meta.dirname, 'null-service.ts');
/** The goal for the service against the floor, on the p50 of total time (a healthy origin's 2 KiB page is the one it is judged on). */
export const REAL_RUNTIME_GOAL = 1.25;
const TIMEOUT_MS = 10_000;

interface Floor {
  /** What the forward-only service is told to try, in order (X-Bench-Backend). */
  readonly backends: string;
  /** The floor asks for the bucket's key itself where a mirror answers (it does not rewrite paths). */
  readonly asksMirror: boolean;
  /**
   * The service's outage memory: on as deployed (a healthy request reads two
   * marks), or off where origin fails, so that each request fails over as the
   * first of an outage does (every bench page is in one segment).
   */
  readonly outageMemory: 'on' | 'off';
}

const FLOORS: Partial<Record<ScenarioId, Floor>> = {
  healthy: { backends: 'origin', asksMirror: false, outageMemory: 'on' },
  refuse: { backends: 'origin,mirrorS3', asksMirror: true, outageMemory: 'off' },
  status503: { backends: 'origin,mirrorS3', asksMirror: true, outageMemory: 'off' },
  unhealthy: { backends: 'mirrorS3', asksMirror: true, outageMemory: 'off' },
};

/** Scenarios that can share a world: the same origin health check and the same outage memory setting. */
function worldKey(id: ScenarioId): string {
  return `${scenarioById(id).originHealth ?? 'health unset'}, outage memory ${FLOORS[id]?.outageMemory ?? 'off'}`;
}

export interface RealRuntimePlan {
  readonly requests: number;
  readonly warmup: number;
  /** Page sizes, bytes; each scenario is measured at each. */
  readonly pageBytes: readonly number[];
  readonly scenarios: readonly ScenarioId[];
}

export const REAL_RUNTIME_FULL: RealRuntimePlan = { requests: 300, warmup: 30, pageBytes: [2 * 1024, 64 * 1024], scenarios: ['healthy', 'refuse', 'status503', 'unhealthy'] };
export const REAL_RUNTIME_QUICK: RealRuntimePlan = { requests: 20, warmup: 5, pageBytes: [2 * 1024], scenarios: ['healthy', 'refuse', 'status503', 'unhealthy'] };

export interface Side {
  readonly n: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly p50: number | null;
  readonly p90: number | null;
  /** Answers slower than 35 ms: the signature of a delayed-ACK stall on loopback. */
  readonly over35ms: number;
}

export interface RealRuntimeRow {
  readonly scenario: ScenarioId;
  readonly title: string;
  readonly pageBytes: number;
  /** `service`, or the label of the compared build. */
  readonly build: string;
  readonly floorBackends: string;
  readonly service: Side;
  readonly floor: Side;
  readonly ratioP50: number | null;
  readonly ratioP90: number | null;
  /** What the service adds to a request: its p50 minus the floor's, ms. */
  readonly addedP50Ms: number | null;
  readonly meetsGoal: boolean;
}

/**
 * How the Viceroy processes are run. `lean`: one per side, without `-v` (so it
 * prints nothing per request), the floor as low as this machine allows.
 * `palindrome`: two per side at `-v`, started in a palindrome, each side's
 * requests alternating between its two (the setup of the rounds before
 * 2026-12-06, kept to compare with them).
 */
export type RealRuntimeSetup = 'lean' | 'palindrome';

export interface RealRuntimeReport {
  readonly viceroyVersion: string;
  readonly setup: RealRuntimeSetup;
  readonly plan: RealRuntimePlan;
  readonly connections: 'fresh' | 'keep-alive';
  readonly rows: readonly RealRuntimeRow[];
  /** The crawler's other names in the refusing world; null when that scenario was not run. */
  readonly names: NamesReport | null;
  readonly wallMs: number;
}

export interface Build {
  readonly label: string;
  readonly wasm: string;
  /** Config store keys for this build's manifest, over the bench's own (by default `BENCH_RUNTIME_CONFIG`). */
  readonly config?: Readonly<Record<string, string>>;
}

/** The outage memory off, whatever the scenario. */
export const OUTAGE_MEMORY_OFF: Readonly<Record<string, string>> = { outage_memory_s: '0' };
/** The config that leaves the service to find out per request that Viceroy has no HTTP cache API. */
export const PROBED_CACHE_API: Readonly<Record<string, string>> = { http_cache_api: 'present' };

const run = promisify(execFile);

/** Compiles the forward-only service as `npm run build` compiles the service. */
export async function buildFloorWasm(dir: string): Promise<string> {
  const out = join(dir, 'null-service.wasm');
  await run('npx', ['js-compute-runtime', '--enable-http-cache', NULL_SERVICE, out], { cwd: REPO, timeout: 300_000 });
  return out;
}

/** The seed of the order in which the sides are asked, round by round. */
const ORDER_SEED = 0x5eed14;

/** A shuffled copy (Fisher-Yates). */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const pagePath = (bytes: number, i: number) => `/bench/${bytes}/page-${i}`;
const mirrorKey = (bytes: number, i: number) => `www.gov.uk/bench/${bytes}/page-${i}.html`;

export async function measureRealRuntime(options: {
  readonly viceroy: string;
  readonly viceroyVersion: string;
  /** The service first; any others are compared with it, row by row. */
  readonly builds: readonly Build[];
  readonly plan: RealRuntimePlan;
  readonly keepAlive?: boolean;
  readonly setup?: RealRuntimeSetup;
  readonly progress?: (line: string) => void;
}): Promise<RealRuntimeReport> {
  const setup = options.setup ?? 'lean';
  const say = options.progress ?? (() => undefined);
  const { plan } = options;
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'govuk-failover-real-runtime-'));
  const files: Record<string, string> = {};
  for (const bytes of plan.pageBytes) for (let i = 0; i < plan.warmup + plan.requests; i++) files[mirrorKey(bytes, i)] = pageBody(undefined, bytes);
  const bucket = await makeBucketDir(files);
  const rows: RealRuntimeRow[] = [];
  let names: NamesReport | null = null;
  try {
    await addNamePages(bucket, plan.warmup + plan.requests);
    say('compiling the forward-only service with js-compute-runtime');
    const floorWasm = await buildFloorWasm(dir);
    // One world per origin health (the manifest says it); origin's behaviour is switched between scenarios.
    const groups = new Map<string, ScenarioId[]>();
    for (const id of plan.scenarios) groups.set(worldKey(id), [...(groups.get(worldKey(id)) ?? []), id]);
    for (const ids of groups.values()) {
      const sides = [...options.builds.map((b) => b.label), 'floor'].join(', ');
      say(setup === 'lean' ? `starting stubs and ${options.builds.length + 1} viceroys without -v, one per side (${sides})` : `starting stubs and ${2 * (options.builds.length + 1)} viceroys at -v, two per side, in a palindrome (${sides})`);
      const world = await startWorld(scenarioById(ids[0]!), bucket.root, dir, options.viceroy, options.builds, floorWasm, setup);
      try {
        for (const id of ids) {
          const scenario = scenarioById(id);
          for (const bytes of plan.pageBytes) {
            await world.origin.setBehaviour(originBehaviour(scenario, bytes));
            const measured = await measureScenario(scenario, bytes, world, plan, options.keepAlive ?? false);
            rows.push(...measured);
            for (const row of measured) say(`${scenario.title}, ${bytes / 1024} KiB, ${row.build}: p50 ${row.service.p50} ms, floor ${row.floor.p50} ms, ${row.ratioP50}×`);
          }
          if (id === 'refuse') {
            say("the crawler's other names: first-name hit, second-name hit, full miss");
            names = await measureNames(world.services[0]!.servers[0]!.url, plan);
          }
        }
      } finally {
        await world.close();
      }
    }
  } finally {
    await bucket.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
  return { viceroyVersion: options.viceroyVersion, setup, plan, connections: options.keepAlive ? 'keep-alive' : 'fresh', rows, names, wallMs: Math.round(performance.now() - started) };
}

function originBehaviour(scenario: Scenario, bytes: number): Scenario['origin'] {
  return scenario.origin.kind === 'echo' ? { ...scenario.origin, body: pageBody(undefined, bytes), headers: { 'Content-Type': 'text/html; charset=utf-8' } } : scenario.origin;
}

/**
 * `lean`: each side (every build, and the floor) in one quiet Viceroy.
 * `palindrome`: each side in two Viceroy processes at `-v`, its requests
 * alternating between them, started `service, compared…, floor, floor,
 * …compared, service`, because where a process came in the start order showed
 * in its times (up to 0.2 ms at p50 in an A/A test of that setup).
 */
interface World {
  readonly origin: StubBackend;
  readonly services: readonly (Build & { readonly servers: readonly ViceroyServer[] })[];
  readonly floor: readonly ViceroyServer[];
  close(): Promise<void>;
}

async function startWorld(scenario: Scenario, bucketRoot: string, dir: string, viceroy: string, builds: readonly Build[], floorWasm: string, setup: RealRuntimeSetup): Promise<World> {
  const stubs: StubBackend[] = [];
  const servers: ViceroyServer[] = [];
  const close = async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
    await Promise.allSettled(stubs.map((s) => s.close()));
  };
  try {
    const backends = {} as Record<BackendName, BackendSpec>;
    for (const name of BACKENDS) {
      const behaviour = name === 'origin' ? scenario.origin : ({ kind: 'bucket', root: bucketRoot } as const);
      const stub = await startStubBackend({ id: name, behaviour, maxRecordedRequests: 0 });
      stubs.push(stub);
      backends[name] = { port: stub.port, health: name === 'origin' ? scenario.originHealth : undefined };
    }
    const memory = FLOORS[scenario.id]?.outageMemory === 'on' ? {} : OUTAGE_MEMORY_OFF;
    const sides = [...builds, { label: 'floor', wasm: floorWasm }].map((side) => ({
      ...side,
      manifest: join(dir, `${worldKey(scenario.id)}-${side.label}.toml`.replace(/[^a-z0-9.]+/gi, '-')),
      servers: [] as ViceroyServer[],
    }));
    for (const side of sides) {
      await writeFile(side.manifest, manifestToml({ backends, config: { ...BENCH_GCS.config, ...memory, ...BENCH_RUNTIME_CONFIG, ...side.config }, secrets: BENCH_GCS.secrets }));
    }
    // One at a time (each compiles an 11 MB wasm on start-up).
    for (const side of setup === 'lean' ? sides : [...sides, ...[...sides].reverse()]) {
      const server = await startViceroy({ viceroy, wasm: side.wasm, manifest: side.manifest, dropOutputOnceListening: true, quiet: setup === 'lean' });
      servers.push(server);
      side.servers.push(server);
    }
    return { origin: stubs[0]!, services: sides.slice(0, -1), floor: sides.at(-1)!.servers, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function measureScenario(scenario: Scenario, bytes: number, world: World, plan: RealRuntimePlan, keepAlive: boolean): Promise<RealRuntimeRow[]> {
  const floor = FLOORS[scenario.id];
  if (!floor) throw new Error(`no real-runtime floor for scenario ${scenario.id}`);
  const agents = new Map<string, Agent>();
  /** One kept-alive connection per process with `keepAlive`; else none (a fresh connection per request). */
  const agentFor = (process: string): Agent | undefined => {
    if (!keepAlive) return undefined;
    if (!agents.has(process)) agents.set(process, new Agent({ keepAlive: true, maxSockets: 1 }));
    return agents.get(process);
  };
  type Probe = { readonly id: string; send(i: number): Promise<Timing>; check(t: Timing): string | undefined };
  const page = (t: Timing): string | undefined => t.error ?? (t.status !== 200 ? `status ${t.status}` : t.bytes !== bytes ? `${t.bytes} bytes, expected ${bytes}` : undefined);
  const probes: Probe[] = [
    ...world.services.map((s) => ({
      id: s.label,
      send: (i: number) => timedGet(s.servers[i % s.servers.length]!.url, pagePath(bytes, i), TIMEOUT_MS, {}, { agent: agentFor(`${s.label} ${i % s.servers.length}`) }),
      check: (t: Timing) => page(t) ?? (t.headers['fastly-backend-name'] === scenario.expectBackend ? undefined : `answered by ${String(t.headers['fastly-backend-name'])}, expected ${scenario.expectBackend}`),
    })),
    {
      id: 'floor',
      send: (i: number) => timedGet(world.floor[i % world.floor.length]!.url, floor.asksMirror ? `/${mirrorKey(bytes, i)}` : pagePath(bytes, i), TIMEOUT_MS, { 'x-bench-backend': floor.backends }, { agent: agentFor(`floor ${i % world.floor.length}`) }),
      check: page,
    },
  ];
  const samples = new Map(probes.map((p) => [p.id, [] as number[]]));
  const problems = new Map(probes.map((p) => [p.id, [] as string[]]));
  try {
    // A new order every round, from a fixed seed: no side always follows the same other side.
    const random = createPrng(ORDER_SEED);
    for (let i = 0; i < plan.warmup + plan.requests; i++) {
      for (const probe of shuffled(probes, random)) {
        const t = await probe.send(i);
        if (i < plan.warmup) continue;
        const problem = probe.check(t);
        if (problem) problems.get(probe.id)!.push(problem);
        else samples.get(probe.id)!.push(t.totalMs);
      }
    }
  } finally {
    for (const agent of agents.values()) agent.destroy();
  }
  const side = (id: string): Side => {
    const values = samples.get(id)!;
    return {
      n: values.length,
      errors: problems.get(id)!.length,
      errorSamples: [...new Set(problems.get(id))].slice(0, 5),
      p50: round(percentile(values, 50)),
      p90: round(percentile(values, 90)),
      over35ms: values.filter((v) => v > 35).length,
    };
  };
  const floorSide = side('floor');
  return world.services.map((s) => {
    const service = side(s.label);
    const ratioP50 = round(ratio(service.p50 ?? Number.NaN, floorSide.p50 ?? Number.NaN));
    return {
      scenario: scenario.id,
      title: scenario.title,
      pageBytes: bytes,
      build: s.label,
      floorBackends: floor.backends,
      service,
      floor: floorSide,
      ratioP50,
      ratioP90: round(ratio(service.p90 ?? Number.NaN, floorSide.p90 ?? Number.NaN)),
      addedP50Ms: service.p50 !== null && floorSide.p50 !== null ? round(service.p50 - floorSide.p50) : null,
      meetsGoal: ratioP50 !== null && ratioP50 <= REAL_RUNTIME_GOAL && service.errors === 0,
    };
  });
}

export function realRuntimeTable(report: RealRuntimeReport): Table {
  const compared = new Set(report.rows.map((r) => r.build)).size > 1;
  return {
    head: ['scenario', 'page', ...(compared ? ['build'] : []), 'floor asks', 'ok / err', 'service p50 / p90 ms', 'floor p50 / p90 ms', 'added p50 ms', '× floor p50 / p90', `≤ ${REAL_RUNTIME_GOAL}× (p50)`, 'answers > 35 ms (service / floor)'],
    rows: report.rows.map((r) => [
      r.title,
      `${r.pageBytes / 1024} KiB`,
      ...(compared ? [r.build] : []),
      r.floorBackends.replace(',', ' → '),
      `${r.service.n} / ${r.service.errors}`,
      `${ms(r.service.p50)} / ${ms(r.service.p90)}`,
      `${ms(r.floor.p50)} / ${ms(r.floor.p90)}`,
      ms(r.addedP50Ms),
      `${times(r.ratioP50)} / ${times(r.ratioP90)}`,
      r.meetsGoal ? 'yes' : 'NO',
      `${r.service.over35ms} / ${r.floor.over35ms}`,
    ]),
  };
}

export const REAL_BEGIN = '<!-- bench-viceroy:begin (generated by `npm run bench -- --engine viceroy`; edits between these markers are overwritten) -->';
export const REAL_END = '<!-- bench-viceroy:end -->';

export function realRuntimeSection(report: RealRuntimeReport, startedAt: string, command: string, machine: string, roundTrips?: RoundTripReport): string {
  return [
    REAL_BEGIN,
    '',
    `Latest run: ${startedAt.slice(0, 19).replace('T', ' ')} UTC, ${(report.wallMs / 1000).toFixed(0)} s wall time, Viceroy ${report.viceroyVersion}, ${report.plan.requests} measured requests per build, scenario and page size (after ${report.plan.warmup} thrown away), ${report.connections === 'fresh' ? 'a fresh connection per request' : 'one kept-alive connection per side'}, ${report.setup === 'lean' ? 'one Viceroy per side, without -v' : 'two Viceroys per side at -v, in a palindrome'}.`,
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machine}.`,
    '',
    renderMarkdown(realRuntimeTable(report)),
    '',
    ...(report.names
      ? [`The crawler's other names, service only (origin refusing), ratios to the first-name hit in the same run:`, '', renderMarkdown(namesTable(report.names)), '']
      : []),
    ...(roundTrips
      ? [
          `With real round trips (origin ${roundTrips.roundTripsMs.origin} ms, S3 ${roundTrips.roundTripsMs.mirrorS3} ms, GCS ${roundTrips.roundTripsMs.mirrorGCS} ms), the service and the floor in Viceroy, ${roundTrips.plan.rounds} rounds after ${roundTrips.plan.warmup} thrown away:`,
          '',
          renderMarkdown(roundTripTable(roundTrips)),
          '',
        ]
      : []),
    REAL_END,
  ].join('\n');
}
