/** How much each kind of run measures. Full: stable medians in under 3 minutes in all; quick: a smoke run. */
import type { LatencyPlan } from './latency.ts';
import type { NamesPlan } from './names.ts';
import type { RoundTripPlan } from './round-trip.ts';
import type { ThroughputPlan } from './throughput.ts';
import type { TimelinePlan } from './timeline.ts';
import type { SiegePlan } from './siege.ts';
import type { MissFloodPlan } from './miss-flood.ts';

export interface Settings {
  /** Fast scenarios: one request at a time, interleaved with the baselines. */
  readonly sequential: LatencyPlan;
  /** Hung-origin scenarios: requests started at a fixed spacing (see scenarios.ts). */
  readonly staggered: LatencyPlan;
  readonly throughput: ThroughputPlan;
  /** The crawler's other names (first-name hit, second-name hit, full miss), in the origin-refusing world. */
  readonly names: NamesPlan;
  /** The world with real round trips: rounds per scenario. */
  readonly roundTrip: RoundTripPlan;
  /** The outage timeline (scaled time, see timeline.ts). */
  readonly timeline: TimelinePlan;
  /** One client repeating one failing or slow page while users browse (scaled time, see siege.ts). */
  readonly siege: SiegePlan;
  /** A flood of requests for a page no mirror holds, during an outage (see miss-flood.ts). */
  readonly missFlood: MissFloodPlan;
  readonly build: boolean;
}

export const FULL: Settings = {
  sequential: { requests: 400, warmup: 40, baselineRequests: 0 },
  staggered: { requests: 20, warmup: 3, baselineRequests: 100 },
  throughput: { concurrency: 16, phaseMs: 2000, rounds: 2, warmupMs: 500 },
  names: { requests: 300, warmup: 30 },
  roundTrip: { rounds: 60, warmup: 5 },
  timeline: { beforeMs: 1000, outageMs: 6000, afterMs: 2000, intervalMs: 50, mirrorFetches: 20 },
  siege: { attackRates: [5, 50], userRate: 10, durationMs: 4000 },
  missFlood: { rate: 20, durationMs: 3000 },
  build: true,
};

export const QUICK: Settings = {
  sequential: { requests: 30, warmup: 5, baselineRequests: 0 },
  staggered: { requests: 3, warmup: 1, baselineRequests: 10 },
  throughput: { concurrency: 8, phaseMs: 400, rounds: 1, warmupMs: 100 },
  names: { requests: 20, warmup: 5 },
  roundTrip: { rounds: 4, warmup: 1 },
  timeline: { beforeMs: 300, outageMs: 1500, afterMs: 600, intervalMs: 50, mirrorFetches: 5 },
  siege: { attackRates: [5, 50], userRate: 10, durationMs: 1000 },
  missFlood: { rate: 20, durationMs: 1000 },
  build: false,
};
