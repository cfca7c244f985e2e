/**
 * The situations the benchmark puts the service in, as data: what the stub
 * origin does, what the manifest says about it, which backend must answer,
 * and how requests are paced.
 */
import type { Behaviour } from '../stubs/index.ts';
import type { BackendName } from './manifest.ts';

export type ScenarioId = 'healthy' | 'refuse' | 'status503' | 'unhealthy' | 'hung-hedge' | 'hung-no-hedge';

export type Pacing =
  /** One request at a time, interleaved with the baselines (fast scenarios). */
  | { readonly kind: 'sequential' }
  /** Requests started every `spacingMs`, whatever is still in flight (slow scenarios). */
  | { readonly kind: 'staggered'; readonly spacingMs: number };

export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  readonly origin: Behaviour;
  readonly originHealth?: 'unhealthy';
  /** Origin's first-byte timeout; absent: Fastly's default (15 s). */
  readonly originFirstByteTimeoutMs?: number;
  /** `hedge_after_ms` in the config store; absent: the service's default (5000). */
  readonly hedgeAfterMs?: number;
  /** The backend that must have answered (`Fastly-Backend-Name`). */
  readonly expectBackend: BackendName;
  readonly pacing: Pacing;
  /** The delay this scenario is expected to wait before the mirror is asked (hedge or timeout), ms. */
  readonly waitMs: number;
}

/** The service's default `hedge_after_ms` (src/core/config.ts DEFAULT_CONFIG). */
export const DEFAULT_HEDGE_MS = 5000;
/** The short first-byte timeout used for the no-hedging scenario. */
export const NO_HEDGE_TIMEOUT_MS = 1500;

export const SCENARIOS: readonly Scenario[] = [
  { id: 'healthy', title: 'origin healthy', origin: { kind: 'echo' }, expectBackend: 'origin', pacing: { kind: 'sequential' }, waitMs: 0 },
  { id: 'refuse', title: 'origin refusing connections', origin: { kind: 'refuse' }, expectBackend: 'mirrorS3', pacing: { kind: 'sequential' }, waitMs: 0 },
  { id: 'status503', title: 'origin answering 503', origin: { kind: 'status', status: 503 }, expectBackend: 'mirrorS3', pacing: { kind: 'sequential' }, waitMs: 0 },
  // Origin would answer if asked: the service must not ask it.
  { id: 'unhealthy', title: 'origin marked unhealthy', origin: { kind: 'echo' }, originHealth: 'unhealthy', expectBackend: 'mirrorS3', pacing: { kind: 'sequential' }, waitMs: 0 },
  {
    id: 'hung-hedge',
    title: `origin hung, hedging on (default ${DEFAULT_HEDGE_MS} ms)`,
    origin: { kind: 'hang' },
    expectBackend: 'mirrorS3',
    pacing: { kind: 'staggered', spacingMs: 250 },
    waitMs: DEFAULT_HEDGE_MS,
  },
  {
    id: 'hung-no-hedge',
    title: `origin hung, hedging off (first-byte timeout ${NO_HEDGE_TIMEOUT_MS} ms)`,
    origin: { kind: 'hang' },
    originFirstByteTimeoutMs: NO_HEDGE_TIMEOUT_MS,
    hedgeAfterMs: 0,
    expectBackend: 'mirrorS3',
    pacing: { kind: 'staggered', spacingMs: 150 },
    waitMs: NO_HEDGE_TIMEOUT_MS,
  },
];

export function scenarioById(id: string): Scenario {
  const s = SCENARIOS.find((x) => x.id === id);
  if (!s) throw new Error(`unknown scenario ${id}; known: ${SCENARIOS.map((x) => x.id).join(', ')}`);
  return s;
}
