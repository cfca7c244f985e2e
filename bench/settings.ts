/** How much each kind of run measures. Full: stable medians in under 3 minutes; quick: a smoke run in under ~20 s. */
import type { LatencyPlan } from './latency.ts';
import type { NamesPlan } from './names.ts';
import type { ThroughputPlan } from './throughput.ts';

export interface Settings {
  /** Fast scenarios: one request at a time, interleaved with the baselines. */
  readonly sequential: LatencyPlan;
  /** Hung-origin scenarios: requests started at a fixed spacing (see scenarios.ts). */
  readonly staggered: LatencyPlan;
  readonly throughput: ThroughputPlan;
  /** The crawler's other names (first-name hit, second-name hit, full miss), in the origin-refusing world. */
  readonly names: NamesPlan;
  readonly build: boolean;
}

export const FULL: Settings = {
  sequential: { requests: 400, warmup: 40, baselineRequests: 0 },
  staggered: { requests: 20, warmup: 3, baselineRequests: 100 },
  throughput: { concurrency: 16, phaseMs: 2000, rounds: 2, warmupMs: 500 },
  names: { requests: 300, warmup: 30 },
  build: true,
};

export const QUICK: Settings = {
  sequential: { requests: 30, warmup: 5, baselineRequests: 0 },
  staggered: { requests: 3, warmup: 1, baselineRequests: 10 },
  throughput: { concurrency: 8, phaseMs: 400, rounds: 1, warmupMs: 100 },
  names: { requests: 20, warmup: 5 },
  build: false,
};
