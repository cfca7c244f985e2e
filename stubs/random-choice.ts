/**
 * Seeded choice for `{ kind: 'random' }`: a small deterministic PRNG and the
 * resolution of a behaviour tree into the concrete behaviour one request gets.
 */
import type { Behaviour, RandomBehaviour } from './behaviour.ts';

/** A PRNG returning numbers in [0, 1). */
export type Prng = () => number;

/** mulberry32: tiny, fast and good enough to pick faults reproducibly. */
export function createPrng(seed: number): Prng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One PRNG per `random` node of a behaviour tree; make a fresh one to restart the sequences. */
export class ChoiceState {
  private readonly prngs = new Map<RandomBehaviour, Prng>();

  private prngFor(node: RandomBehaviour): Prng {
    let prng = this.prngs.get(node);
    if (prng === undefined) {
      prng = createPrng(node.seed);
      this.prngs.set(node, prng);
    }
    return prng;
  }

  /** Index of the choice `node` makes next. */
  pick(node: RandomBehaviour): number {
    const r = this.prngFor(node)();
    const n = node.choices.length;
    if (node.weights === undefined) return Math.min(n - 1, Math.floor(r * n));
    const total = node.weights.reduce((a, w) => a + w, 0);
    let target = r * total;
    for (let i = 0; i < n; i++) {
      const w = node.weights[i] ?? 0;
      if (target < w) return i;
      target -= w;
    }
    // Rounding: fall back to the last choice with weight.
    for (let i = n - 1; i >= 0; i--) if ((node.weights[i] ?? 0) > 0) return i;
    return n - 1;
  }
}

export interface ResolvedBehaviour {
  /** `b` with every `random` replaced by the choice made (delays kept, their `then` resolved). */
  readonly chosen: Behaviour;
  /** The index picked by a top-level `random`, else undefined. */
  readonly choice: number | undefined;
}

/**
 * Resolves every `random` in `b` (depth first, so the draws happen in a fixed
 * order when a request arrives).
 */
export function resolveBehaviour(b: Behaviour, state: ChoiceState): ResolvedBehaviour {
  if (b.kind === 'random') {
    const index = state.pick(b);
    const picked = b.choices[index];
    if (picked === undefined) throw new Error(`random: no choice at index ${index}`);
    return { chosen: resolveBehaviour(picked, state).chosen, choice: index };
  }
  if (b.kind === 'delay') {
    return { chosen: { ...b, then: resolveBehaviour(b.then, state).chosen }, choice: undefined };
  }
  return { chosen: b, choice: undefined };
}

/**
 * What the first `n` requests after `setBehaviour(b)` will get, computed
 * without a server (a test can compare it with `StubBackend.requests`).
 */
export function predictChoices(b: Behaviour, n: number): ResolvedBehaviour[] {
  const state = new ChoiceState();
  const out: ResolvedBehaviour[] = [];
  for (let i = 0; i < n; i++) out.push(resolveBehaviour(b, state));
  return out;
}
