/**
 * A mirror's "not there", remembered briefly at the POP: once a bucket has
 * answered that it holds no object under a name (policy.ts: 404, or 403
 * AccessDenied), requests in failover for the next `mirror_miss_memory_s`
 * seconds do not ask it for that name again. Without it, a flood of requests
 * for a page the mirrors lack, during an outage, costs every mirror every
 * name on every request (up to nine bucket requests each), and misses are
 * never cached (a mirror 403/404 is never stored: it must not be served).
 *
 * What a client can make it hold: only what a bucket really said, for a name
 * derived from the path it asked for, for a few seconds. A page the crawler
 * uploads meanwhile is found that much later. Overrides never read nor write
 * it (on-call staff see the bucket as it is now).
 *
 * The marks live in the same POP-wide store as the outage memory (the Core
 * cache); a store that fails is reported and treated as empty.
 */
import type { MirrorName } from './backends.ts';
import { describe } from './config.ts';
import type { MarkStore } from './outage-memory.ts';

const PREFIX = 'govuk-failover/mirror-miss/v1';
/** Longer keys are not remembered: the Core cache refuses keys over 4,096 bytes, and such a page is no flood's target. */
export const MAX_REMEMBERED_KEY_CHARS = 2048;

export const missKey = (mirror: MirrorName, objectKey: string) => `${PREFIX}/${mirror}/${objectKey}`;

export interface MirrorMisses {
  /** Whether `mirror` answered within the memory time that it lacks `objectKey`. */
  known(mirror: MirrorName, objectKey: string): boolean;
  /** `mirror` has just answered that it lacks `objectKey`. */
  remember(mirror: MirrorName, objectKey: string): void;
  /** The first store failure, or null. */
  readonly problem: string | null;
}

export const NO_MISSES: MirrorMisses = { known: () => false, remember: () => undefined, problem: null };

export function mirrorMisses(store: MarkStore | undefined, memoryS: number): MirrorMisses {
  if (!store || memoryS === 0) return NO_MISSES;
  let problem: string | null = null;
  const guarded = <T>(fallback: T, action: () => T): T => {
    if (problem !== null) return fallback;
    try {
      return action();
    } catch (error) {
      problem = `mirror miss memory unavailable, asked the buckets as without it: ${describe(error)}`.slice(0, 300);
      return fallback;
    }
  };
  return {
    known: (mirror, objectKey) => objectKey.length <= MAX_REMEMBERED_KEY_CHARS && guarded(false, () => store.read(missKey(mirror, objectKey)) !== null),
    remember: (mirror, objectKey) => {
      if (objectKey.length <= MAX_REMEMBERED_KEY_CHARS) guarded(undefined, () => store.write(missKey(mirror, objectKey), '1', memoryS * 1000));
    },
    get problem() {
      return problem;
    },
  };
}
