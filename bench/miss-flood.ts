/**
 * A flood of requests for a document no mirror holds, during an outage:
 * origin refuses every connection, and the page has three names in each of
 * the three buckets (a PDF named `.PDF`: the file, the file with `.pdf`
 * added, the saved redirect), so without a memory every request costs one
 * origin attempt and nine bucket requests. Measured in one run with the
 * mirror miss memory off (`mirror_miss_memory_s = 0`, as before it existed)
 * and on (5 s, the default): the backend requests each client request costs.
 *
 * In the world with real round trips (round-trip-world.ts); one client
 * sending 20 requests a second for 3 s, inside one memory time.
 */
import { timedGet } from './client.ts';
import { round } from './stats.ts';
import { startRoundTripWorld } from './round-trip-world.ts';
import { BACKENDS, BENCH_GCS } from './manifest.ts';

export interface MissFloodPlan {
  readonly rate: number;
  readonly durationMs: number;
}

export interface MissFloodRun {
  readonly variant: 'memory off' | 'memory on';
  readonly missMemoryS: number;
  readonly clientRequests: number;
  /** Requests each backend received. */
  readonly backendRequests: Readonly<Record<string, number>>;
  readonly bucketRequestsPerClientRequest: number | null;
  readonly backendRequestsPerClientRequest: number | null;
  /** Client answers that were not the branded 503 page (must be 0: no mirror holds the page). */
  readonly notTheErrorPage: number;
}

export interface MissFloodReport {
  readonly plan: MissFloodPlan;
  readonly path: string;
  readonly runs: readonly MissFloodRun[];
  readonly wallMs: number;
}

/** A document with three names in each bucket: `Report.PDF.pdf`, `Report.PDF.html`, `Report.PDF`. */
export const MISSING_DOCUMENT = '/government/uploads/missing/Report.PDF';

export async function measureMissFlood(plan: MissFloodPlan, bucketRoot: string, say: (line: string) => void = () => undefined): Promise<MissFloodReport> {
  const started = performance.now();
  const runs: MissFloodRun[] = [];
  for (const [variant, missMemoryS] of [['memory off', 0], ['memory on', 5]] as const) {
    say(`miss flood, ${variant}: starting stubs, links and the runtime`);
    const world = await startRoundTripWorld({
      origin: { kind: 'refuse' },
      bucketRoot,
      config: { ...BENCH_GCS.config, outage_memory_s: '0', mirror_miss_memory_s: String(missMemoryS) },
      secrets: BENCH_GCS.secrets,
    });
    try {
      for (const name of BACKENDS) world.stubs[name].resetRecording();
      const count = Math.floor((plan.durationMs / 1000) * plan.rate);
      const startedAt = performance.now();
      const inflight: Promise<number>[] = [];
      for (let i = 0; i < count; i++) {
        const wait = startedAt + (i * 1000) / plan.rate - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        inflight.push(timedGet(world.service.url, MISSING_DOCUMENT, 10_000).then((t) => t.status));
      }
      const statuses = await Promise.all(inflight);
      const backendRequests = Object.fromEntries(BACKENDS.map((name) => [name, world.stubs[name].hits]));
      const buckets = BACKENDS.filter((name) => name !== 'origin').reduce((n, name) => n + world.stubs[name].hits, 0);
      // A refused origin is never contacted at the stub: count its attempts as one per client request.
      const total = buckets + count;
      runs.push({
        variant,
        missMemoryS,
        clientRequests: count,
        backendRequests: { ...backendRequests, origin: count },
        bucketRequestsPerClientRequest: round(buckets / count, 2),
        backendRequestsPerClientRequest: round(total / count, 2),
        notTheErrorPage: statuses.filter((s) => s !== 503).length,
      });
      say(`miss flood, ${variant}: ${count} requests, ${buckets} bucket requests (${(buckets / count).toFixed(2)} a request)`);
    } finally {
      await world.close();
    }
  }
  return { plan, path: MISSING_DOCUMENT, runs, wallMs: Math.round(performance.now() - started) };
}
