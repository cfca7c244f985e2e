/**
 * Requests per second at a fixed concurrency with a healthy origin: through
 * the service, straight to the stub origin, and through the null service on
 * the same runtime. Phases alternate (direct, service, floor, direct, …) so
 * that drift in the machine's speed touches all three. Every request asks
 * for a distinct page, so the runtime's cache never answers.
 */
import { timedGet, type Timing } from './client.ts';
import { PAGE_BYTES, pagePath } from './pages.ts';
import type { World } from './world.ts';

export type LoadTarget = 'service' | 'directOrigin' | 'runtimeFloor';

export interface LoadResult {
  readonly completed: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly rps: number;
  readonly errorSamples: string[];
}

export interface ThroughputPlan {
  readonly concurrency: number;
  /** Length of each measured phase. */
  readonly phaseMs: number;
  /** Phases per target. */
  readonly rounds: number;
  /** Unmeasured load per target first. */
  readonly warmupMs: number;
}

export type ThroughputResult = Readonly<Record<LoadTarget, LoadResult>>;

const REQUEST_TIMEOUT_MS = 5000;
const TARGETS: readonly LoadTarget[] = ['directOrigin', 'service', 'runtimeFloor'];

/** Page numbers for load start far above the latency runs' (the origin echoes any path). */
let nextPage = 1_000_000;

function sender(world: World, target: LoadTarget): (path: string) => Promise<Timing> {
  switch (target) {
    case 'service':
      return (path) => timedGet(world.service.url, path, REQUEST_TIMEOUT_MS);
    case 'directOrigin':
      return (path) => timedGet(world.stubs.origin.url, path, REQUEST_TIMEOUT_MS);
    case 'runtimeFloor':
      return (path) => timedGet(world.nullService.url, path, REQUEST_TIMEOUT_MS, { 'x-bench-backend': 'origin' });
  }
}

/** Keeps `concurrency` requests in flight for `durationMs`, then waits for the last ones. */
export async function load(send: (path: string) => Promise<Timing>, concurrency: number, durationMs: number): Promise<LoadResult> {
  const started = performance.now();
  const deadline = started + durationMs;
  let completed = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t = await send(pagePath(nextPage++));
      if (t.ok && t.status === 200 && t.bytes === PAGE_BYTES) completed++;
      else {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(t.error ?? `status ${t.status}, ${t.bytes} bytes`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - started;
  return { completed, errors, elapsedMs, rps: (completed / elapsedMs) * 1000, errorSamples };
}

export async function measureThroughput(world: World, plan: ThroughputPlan): Promise<ThroughputResult> {
  for (const target of TARGETS) await load(sender(world, target), plan.concurrency, plan.warmupMs);
  const sums = new Map<LoadTarget, { completed: number; errors: number; elapsedMs: number; errorSamples: string[] }>(
    TARGETS.map((t) => [t, { completed: 0, errors: 0, elapsedMs: 0, errorSamples: [] }]),
  );
  for (let round = 0; round < plan.rounds; round++) {
    for (const target of TARGETS) {
      const r = await load(sender(world, target), plan.concurrency, plan.phaseMs);
      const sum = sums.get(target)!;
      sum.completed += r.completed;
      sum.errors += r.errors;
      sum.elapsedMs += r.elapsedMs;
      sum.errorSamples.push(...r.errorSamples.slice(0, 5 - sum.errorSamples.length));
    }
  }
  const result = {} as Record<LoadTarget, LoadResult>;
  for (const [target, s] of sums) result[target] = { ...s, rps: s.elapsedMs > 0 ? (s.completed / s.elapsedMs) * 1000 : 0 };
  return result;
}
