/**
 * The outage memory: what requests at one POP remember about origin's recent
 * failures, so that a request after an outage has been seen does not wait out
 * the hedge delay again.
 *
 * Each Compute request runs in its own sandbox, so the memory lives in a
 * store shared by the POP's requests, as marks that expire by themselves
 * (the adapter uses Fastly's Core cache: an entry with a max age). The rules,
 * per scope (a first path segment, see outage-scope.ts):
 *
 * - a failure takes one of `threshold` failure slots, each kept for the
 *   window: a free one, else the oldest, so the slots hold the most recent
 *   failures; when every slot is taken, `threshold` failures happened within
 *   the window, and the scope is marked suspect for the memory time (again
 *   at each failure while that holds);
 * - a segment marked suspect also takes a slot in the whole-origin list (its
 *   own, else a free one, else the oldest: the list holds the
 *   `WHOLE_ORIGIN_SEGMENTS` segments most recently marked, each for the
 *   memory time); when it holds that many, the whole origin is marked
 *   suspect too;
 * - a success in a scope seen suspect clears that scope: its mark and its
 *   slots (a success under a suspect whole origin clears the whole origin),
 *   and leaves a `cleared` mark for the window, so that the failure of a
 *   request that started before that success (a hung origin's, decided only
 *   after the hedge delay) is old news and not counted. Durations only: the
 *   mark's age against the failing request's own age, no shared clock. A
 *   success where nothing was suspect writes nothing, so healthy traffic only
 *   reads.
 *
 * Nothing here is read-modify-write on one value: each mark is written whole,
 * and expires on its own. Requests racing at the same moment can only lose a
 * count (two failures choosing the same free slot), which delays suspicion by
 * a failure; a slot is chosen at random among the free ones to make that rare.
 * A store that throws is the caller's to catch (outage-watch.ts turns it into
 * today's behaviour).
 */
import { WHOLE_ORIGIN_SCOPE } from './outage-scope.ts';

/** An unexpired mark: its value, and how long ago it was written. */
export interface Mark {
  readonly value: string;
  readonly ageMs: number;
}

/** Marks shared by every request at the POP; each expires after its TTL. */
export interface MarkStore {
  /** An unexpired mark, or null. */
  read(key: string): Mark | null;
  /** Writes a mark, replacing any, for `ttlMs`. */
  write(key: string, value: string, ttlMs: number): void;
  /** Removes a mark (writes it already expired). */
  clear(key: string): void;
}

export interface OutageSettings {
  /** Failures within the window that make a scope suspect. */
  readonly threshold: number;
  readonly windowMs: number;
  /** How long a scope stays suspect once marked. */
  readonly memoryMs: number;
}

/** Distinct suspect segments at once that make the whole origin suspect. */
export const WHOLE_ORIGIN_SEGMENTS = 3;

/** What is suspect for a request's segment: the segment itself, the whole origin, or both. */
export interface Suspicion {
  /** The most specific suspect scope: the segment, else `*`. */
  readonly scope: string;
  readonly segment: boolean;
  readonly wholeOrigin: boolean;
}

const PREFIX = 'govuk-failover/outage-memory/v1';
const MARK = '1';

export const outageKeys = {
  failure: (segment: string, slot: number) => `${PREFIX}/segment${segment}/failure/${slot}`,
  suspect: (segment: string) => `${PREFIX}/segment${segment}/suspect`,
  cleared: (segment: string) => `${PREFIX}/segment${segment}/cleared`,
  originSegment: (slot: number) => `${PREFIX}/origin/segment/${slot}`,
  originSuspect: `${PREFIX}/origin/suspect`,
} as const;

export class OutageMemory {
  constructor(
    private readonly store: MarkStore,
    private readonly settings: OutageSettings,
    /** In [0, 1): picks among free slots. */
    private readonly random: () => number = Math.random,
  ) {}

  /** Reads two marks: the segment's and the whole origin's. Null when neither is suspect. */
  suspicion(segment: string): Suspicion | null {
    const segmentSuspect = this.store.read(outageKeys.suspect(segment)) !== null;
    const wholeOrigin = this.store.read(outageKeys.originSuspect) !== null;
    if (!segmentSuspect && !wholeOrigin) return null;
    return { scope: segmentSuspect ? segment : WHOLE_ORIGIN_SCOPE, segment: segmentSuspect, wholeOrigin };
  }

  /**
   * Origin failed a request in `segment` that started `startedAgoMs` ago. Returns the failures now counted in the
   * window (at most the threshold), or 0 when the failure is older than the last success that cleared the scope.
   */
  recordFailure(segment: string, startedAgoMs = 0): number {
    const { threshold, windowMs } = this.settings;
    const cleared = this.store.read(outageKeys.cleared(segment));
    if (cleared !== null && cleared.ageMs < startedAgoMs) return 0;
    const held = slots(threshold).map((slot) => ({ slot, mark: this.store.read(outageKeys.failure(segment, slot)) }));
    this.store.write(outageKeys.failure(segment, this.freeOrOldest(held)), MARK, windowMs);
    const counted = Math.min(threshold, held.filter((h) => h.mark !== null).length + 1);
    if (counted >= threshold) this.markSuspect(segment);
    return counted;
  }

  /** Origin answered a request in `segment`; `seen` is what was suspect when that request started. */
  recordSuccess(segment: string, seen: Suspicion | null): void {
    if (seen === null) return;
    if (seen.segment) {
      this.store.write(outageKeys.cleared(segment), MARK, this.settings.windowMs);
      this.store.clear(outageKeys.suspect(segment));
      for (const slot of slots(this.settings.threshold)) this.store.clear(outageKeys.failure(segment, slot));
      for (const slot of slots(WHOLE_ORIGIN_SEGMENTS)) {
        if (this.store.read(outageKeys.originSegment(slot))?.value === segment) this.store.clear(outageKeys.originSegment(slot));
      }
    }
    if (seen.wholeOrigin) {
      this.store.clear(outageKeys.originSuspect);
      for (const slot of slots(WHOLE_ORIGIN_SEGMENTS)) this.store.clear(outageKeys.originSegment(slot));
    }
  }

  private markSuspect(segment: string): void {
    const { memoryMs } = this.settings;
    this.store.write(outageKeys.suspect(segment), MARK, memoryMs);
    const held = slots(WHOLE_ORIGIN_SEGMENTS).map((slot) => ({ slot, mark: this.store.read(outageKeys.originSegment(slot)) }));
    const slot = held.find((h) => h.mark?.value === segment)?.slot ?? this.freeOrOldest(held);
    this.store.write(outageKeys.originSegment(slot), segment, memoryMs);
    const listed = new Set(held.map((h) => (h.slot === slot ? segment : h.mark?.value)).filter((s) => s !== undefined));
    if (listed.size >= WHOLE_ORIGIN_SEGMENTS) this.store.write(outageKeys.originSuspect, MARK, memoryMs);
  }

  /** A free slot, chosen at random (two racing requests then rarely pick the same); else the oldest. */
  private freeOrOldest(held: readonly { slot: number; mark: Mark | null }[]): number {
    const free = held.filter((h) => h.mark === null).map((h) => h.slot);
    if (free.length > 0) return free[Math.min(free.length - 1, Math.floor(this.random() * free.length))]!;
    return held.reduce((oldest, h) => (h.mark!.ageMs > oldest.mark!.ageMs ? h : oldest)).slot;
  }
}

function slots(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
