/**
 * The service on the real runtime: bin/main.wasm in Viceroy against a
 * forward-only service (bench/null-service.ts) compiled by the same
 * js-compute-runtime with the same flags, the runtime floor, on the same
 * manifest and stubs. Per scenario both are asked for the same pages,
 * interleaved (the order swapped every round), over a fresh connection
 * each, and every answer is checked. The floor makes the hops the scenario
 * needs and nothing else: origin; origin then mirrorS3 (refusing, 503);
 * mirrorS3 alone (origin unhealthy: the service does not ask it).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startStubBackend, type StubBackend } from '../stubs/index.ts';
import { startViceroy, type ViceroyServer } from '../viceroy/server.ts';
import { timedGet, type Timing } from './client.ts';
import { BACKENDS, type BackendName, type BackendSpec, manifestToml } from './manifest.ts';
import { makePages, mirrorPath, PAGE_BYTES, pageBody, pagePath } from './pages.ts';
import { scenarioById, type Scenario, type ScenarioId } from './scenarios.ts';
import { percentile, ratio, round } from './stats.ts';
import type { RoundTripReport } from './round-trip.ts';
import { ms, renderMarkdown, roundTripTable, type Table, times } from './table.ts';

const REPO = resolve(import.meta.dirname, '..');
export const NULL_SERVICE = resolve(import.meta.dirname, 'null-service.ts');
/** The goal for the service against the floor, on the p50 of total time. */
export const REAL_RUNTIME_GOAL = 1.2;
const TIMEOUT_MS = 10_000;

interface Floor {
  /** What the forward-only service is told to try, in order (X-Bench-Backend). */
  readonly backends: string;
  readonly path: (i: number) => string;
}

const FLOORS: Partial<Record<ScenarioId, Floor>> = {
  healthy: { backends: 'origin', path: pagePath },
  refuse: { backends: 'origin,mirrorS3', path: mirrorPath },
  status503: { backends: 'origin,mirrorS3', path: mirrorPath },
  unhealthy: { backends: 'mirrorS3', path: mirrorPath },
};

export const REAL_RUNTIME_SCENARIOS: readonly ScenarioId[] = ['healthy', 'refuse', 'status503', 'unhealthy'];

export interface RealRuntimePlan {
  readonly requests: number;
  readonly warmup: number;
}

export const REAL_RUNTIME_FULL: RealRuntimePlan = { requests: 300, warmup: 30 };
export const REAL_RUNTIME_QUICK: RealRuntimePlan = { requests: 20, warmup: 5 };

export interface Side {
  readonly n: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly p50: number | null;
  readonly p90: number | null;
}

export interface RealRuntimeRow {
  readonly scenario: ScenarioId;
  readonly title: string;
  readonly floorBackends: string;
  readonly service: Side;
  readonly floor: Side;
  readonly ratioP50: number | null;
  readonly ratioP90: number | null;
  readonly meetsGoal: boolean;
}

export interface RealRuntimeReport {
  readonly viceroyVersion: string;
  readonly plan: RealRuntimePlan;
  readonly pageBytes: number;
  readonly rows: readonly RealRuntimeRow[];
  readonly wallMs: number;
}

const run = promisify(execFile);

/** Compiles the forward-only service as `npm run build` compiles the service. */
export async function buildFloorWasm(dir: string): Promise<string> {
  const out = join(dir, 'null-service.wasm');
  await run('npx', ['js-compute-runtime', '--enable-http-cache', NULL_SERVICE, out], { cwd: REPO, timeout: 300_000 });
  return out;
}

export async function measureRealRuntime(options: {
  readonly viceroy: string;
  readonly viceroyVersion: string;
  readonly serviceWasm: string;
  readonly plan: RealRuntimePlan;
  readonly scenarios?: readonly ScenarioId[];
  readonly progress?: (line: string) => void;
}): Promise<RealRuntimeReport> {
  const say = options.progress ?? (() => undefined);
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'govuk-failover-real-runtime-'));
  const pages = await makePages(options.plan.warmup + options.plan.requests);
  const rows: RealRuntimeRow[] = [];
  try {
    say('compiling the forward-only service with js-compute-runtime');
    const floorWasm = await buildFloorWasm(dir);
    for (const id of options.scenarios ?? REAL_RUNTIME_SCENARIOS) {
      const scenario = scenarioById(id);
      const floor = FLOORS[id];
      if (!floor) throw new Error(`no real-runtime floor for scenario ${id}`);
      say(`${scenario.title}: starting stubs and two viceroys (service, floor)`);
      const world = await startWorld(scenario, pages.root, dir, options.viceroy, options.serviceWasm, floorWasm);
      try {
        rows.push(await measureScenario(scenario, floor, world, options.plan));
        const row = rows.at(-1)!;
        say(`${scenario.title}: service p50 ${row.service.p50} ms, floor p50 ${row.floor.p50} ms, ${row.ratioP50}×`);
      } finally {
        await world.close();
      }
    }
  } finally {
    await pages.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
  return { viceroyVersion: options.viceroyVersion, plan: options.plan, pageBytes: PAGE_BYTES, rows, wallMs: Math.round(performance.now() - started) };
}

interface World {
  readonly service: ViceroyServer;
  readonly floor: ViceroyServer;
  close(): Promise<void>;
}

async function startWorld(scenario: Scenario, bucketRoot: string, dir: string, viceroy: string, serviceWasm: string, floorWasm: string): Promise<World> {
  const stubs: StubBackend[] = [];
  const servers: ViceroyServer[] = [];
  const close = async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
    await Promise.allSettled(stubs.map((s) => s.close()));
  };
  try {
    const backends = {} as Record<BackendName, BackendSpec>;
    for (const name of BACKENDS) {
      const behaviour =
        name !== 'origin'
          ? ({ kind: 'bucket', root: bucketRoot } as const)
          : scenario.origin.kind === 'echo'
            ? { ...scenario.origin, body: pageBody(), headers: { 'Content-Type': 'text/html; charset=utf-8' } }
            : scenario.origin;
      const stub = await startStubBackend({ id: name, behaviour, maxRecordedRequests: 0 });
      stubs.push(stub);
      backends[name] = { port: stub.port, health: name === 'origin' ? scenario.originHealth : undefined };
    }
    const manifest = join(dir, `${scenario.id}.toml`);
    // The outage memory off: each request fails over as the first of an outage does (all pages share one segment).
    await writeFile(manifest, manifestToml({ backends, config: { outage_memory_s: '0' } }));
    // One at a time: each compiles an 11 MB wasm on start-up.
    servers.push(await startViceroy({ viceroy, wasm: serviceWasm, manifest }));
    servers.push(await startViceroy({ viceroy, wasm: floorWasm, manifest }));
    return { service: servers[0]!, floor: servers[1]!, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function measureScenario(scenario: Scenario, floor: Floor, world: World, plan: RealRuntimePlan): Promise<RealRuntimeRow> {
  const samples = { service: [] as number[], floor: [] as number[] };
  const problems = { service: [] as string[], floor: [] as string[] };
  const probes = {
    service: (i: number) => timedGet(world.service.url, pagePath(i), TIMEOUT_MS),
    floor: (i: number) => timedGet(world.floor.url, floor.path(i), TIMEOUT_MS, { 'x-bench-backend': floor.backends }),
  };
  const check = (side: 'service' | 'floor', t: Timing): string | undefined => {
    if (t.error) return t.error;
    if (t.status !== 200) return `status ${t.status}`;
    if (t.bytes !== PAGE_BYTES) return `${t.bytes} bytes, expected ${PAGE_BYTES}`;
    if (side === 'service' && t.headers['fastly-backend-name'] !== scenario.expectBackend) return `answered by ${String(t.headers['fastly-backend-name'])}, expected ${scenario.expectBackend}`;
    return undefined;
  };
  for (let i = 0; i < plan.warmup + plan.requests; i++) {
    const order: ('service' | 'floor')[] = i % 2 === 0 ? ['service', 'floor'] : ['floor', 'service'];
    for (const side of order) {
      const t = await probes[side](i);
      if (i < plan.warmup) continue;
      const problem = check(side, t);
      if (problem) problems[side].push(problem);
      else samples[side].push(t.totalMs);
    }
  }
  const side = (k: 'service' | 'floor'): Side => ({
    n: samples[k].length,
    errors: problems[k].length,
    errorSamples: [...new Set(problems[k])].slice(0, 5),
    p50: round(percentile(samples[k], 50)),
    p90: round(percentile(samples[k], 90)),
  });
  const service = side('service');
  const floorSide = side('floor');
  const ratioP50 = round(ratio(service.p50 ?? Number.NaN, floorSide.p50 ?? Number.NaN));
  return {
    scenario: scenario.id,
    title: scenario.title,
    floorBackends: floor.backends,
    service,
    floor: floorSide,
    ratioP50,
    ratioP90: round(ratio(service.p90 ?? Number.NaN, floorSide.p90 ?? Number.NaN)),
    meetsGoal: ratioP50 !== null && ratioP50 <= REAL_RUNTIME_GOAL && service.errors === 0,
  };
}

export function realRuntimeTable(report: RealRuntimeReport): Table {
  return {
    head: ['scenario', 'floor asks', 'service ok / err', 'service p50 / p90 ms', 'floor p50 / p90 ms', '× floor p50 / p90', `≤ ${REAL_RUNTIME_GOAL}× (p50)`],
    rows: report.rows.map((r) => [
      r.title,
      r.floorBackends.replace(',', ' → '),
      `${r.service.n} / ${r.service.errors}`,
      `${ms(r.service.p50)} / ${ms(r.service.p90)}`,
      `${ms(r.floor.p50)} / ${ms(r.floor.p90)}`,
      `${times(r.ratioP50)} / ${times(r.ratioP90)}`,
      r.meetsGoal ? 'yes' : 'NO',
    ]),
  };
}

export const REAL_BEGIN = '<!-- bench-viceroy:begin (generated by `npm run bench -- --engine viceroy`; edits between these markers are overwritten) -->';
export const REAL_END = '<!-- bench-viceroy:end -->';

export function realRuntimeSection(report: RealRuntimeReport, startedAt: string, command: string, machine: string, roundTrips?: RoundTripReport): string {
  return [
    REAL_BEGIN,
    '',
    `Latest run: ${startedAt.slice(0, 19).replace('T', ' ')} UTC, ${(report.wallMs / 1000).toFixed(0)} s wall time, Viceroy ${report.viceroyVersion}, ${report.plan.requests} measured requests per side and scenario (after ${report.plan.warmup} thrown away), ${report.pageBytes / 1024} KiB pages, a fresh connection per request.`,
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machine}.`,
    '',
    renderMarkdown(realRuntimeTable(report)),
    '',
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
