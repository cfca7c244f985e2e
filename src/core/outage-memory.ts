/**
 * The outage memory: what requests at one POP remember about origin's recent
 * failures, so that a request after an outage has been seen does not wait out
 * the hedge delay again.
 *
 * Each Compute request runs in its own sandbox, so the memory lives in a
 * store shared by the POP's requests, as entries that expire by themselves
 * (the adapter uses Fastly's Core cache: an entry with a max age). What one
 * client sends must not decide what others get, so the evidence is counted
 * as Envoy's outlier detection counts consecutive failures, per scope (a
 * first path segment, in its canonical spelling: see outage-scope.ts):
 *
 * - a failure counts for its page (the canonical path): the scope holds the
 *   distinct pages that failed within the window since its last success;
 *   the same page failing again only refreshes its own entry, so one broken
 *   page, asked however often and spelt however oddly, is one page;
 * - `threshold` distinct failing pages make the scope suspect for the memory
 *   time (again at each failure while that holds);
 * - any success in the scope (an answer origin sent itself, not a copy from
 *   the cache) resets it: its pages, its suspicion, and a `cleared` age kept
 *   for the window, so that the failure of a request that started before
 *   that success (a hung origin's, decided only after the hedge delay) is old
 *   news and not counted; a success where the scope holds nothing writes
 *   nothing, so healthy traffic only reads;
 * - a segment marked suspect also takes a place in the whole-origin entry,
 *   which lists the `WHOLE_ORIGIN_SEGMENTS` segments most recently marked,
 *   each for the memory time; when it holds that many, the whole origin is
 *   suspect too, on evidence from that many segments; a success seen under a
 *   suspect whole origin clears it.
 *
 * Each scope is one entry, its value a small JSON object whose ages are
 * relative to the moment it was written, so the entry's own age (from the
 * store) brings them up to date: durations only, no shared clock. Updates
 * read an entry and write it whole; two requests updating one scope at the
 * same moment can lose one of the two updates, which at worst delays
 * suspicion by a failure, or a reset by a success (the next one resets).
 * A store that throws is the caller's to catch (outage-watch.ts turns it
 * into the service without the memory).
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
  /** Distinct failing pages, within the window and with no success between, that make a scope suspect. */
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

/** What a request found when it read the memory. */
export interface Seen {
  readonly suspicion: Suspicion | null;
  /** Distinct pages that failed in the segment since its last success, within the window. */
  readonly failingPages: number;
}

const PREFIX = 'govuk-failover/outage-memory/v2';

export const outageKeys = {
  segment: (segment: string) => `${PREFIX}/segment${segment}`,
  origin: `${PREFIX}/origin`,
} as const;

/** A segment's entry: failing pages `[page id, age ms]`, newest first; suspect for `s` ms more; reset `c` ms ago. */
interface SegmentState {
  f: [string, number][];
  s: number;
  c: number | null;
}

/** The whole origin's entry: segments marked suspect `[segment, ms left]`; suspect for `s` ms more. */
interface OriginState {
  g: [string, number][];
  s: number;
}

export class OutageMemory {
  constructor(
    private readonly store: MarkStore,
    private readonly settings: OutageSettings,
  ) {}

  /** Reads two entries: the segment's and the whole origin's. */
  read(segment: string): Seen {
    const state = this.segmentState(segment);
    const wholeOrigin = this.originState().s > 0;
    const segmentSuspect = state.s > 0;
    const suspicion = segmentSuspect || wholeOrigin ? { scope: segmentSuspect ? segment : WHOLE_ORIGIN_SCOPE, segment: segmentSuspect, wholeOrigin } : null;
    return { suspicion, failingPages: state.f.length };
  }

  /**
   * Origin failed a request for `page` (its id) in `segment` that started `startedAgoMs` ago. Returns the distinct
   * failing pages now counted (at most the threshold), or 0 when the request is older than the scope's last reset.
   */
  recordFailure(segment: string, page: string, startedAgoMs = 0): number {
    const { threshold, memoryMs } = this.settings;
    const state = this.segmentState(segment);
    if (state.c !== null && state.c < startedAgoMs) return 0;
    state.f = [[page, 0] as [string, number], ...state.f.filter(([id]) => id !== page)].slice(0, threshold);
    const counted = state.f.length;
    if (counted >= threshold) state.s = memoryMs;
    this.writeSegment(segment, state);
    if (counted >= threshold) this.listSuspect(segment);
    return counted;
  }

  /**
   * Origin itself answered a request in `segment` with an answer the service serves. `seen` is what that request
   * read; `failedHere` says it recorded a failure itself (a hedge-time failure, now withdrawn).
   */
  recordSuccess(segment: string, seen: Seen, failedHere = false): void {
    if (seen.failingPages > 0 || seen.suspicion?.segment || failedHere) {
      this.writeSegment(segment, { f: [], s: 0, c: 0 });
      const origin = this.originState();
      if (origin.g.some(([s]) => s === segment)) this.writeOrigin({ g: origin.g.filter(([s]) => s !== segment), s: origin.s });
    }
    if (seen.suspicion?.wholeOrigin) this.store.clear(outageKeys.origin);
  }

  private listSuspect(segment: string): void {
    const { memoryMs } = this.settings;
    const origin = this.originState();
    const others = origin.g.filter(([s]) => s !== segment).sort((a, b) => b[1] - a[1]);
    const g = [[segment, memoryMs] as [string, number], ...others].slice(0, WHOLE_ORIGIN_SEGMENTS);
    this.writeOrigin({ g, s: g.length >= WHOLE_ORIGIN_SEGMENTS ? memoryMs : origin.s });
  }

  /** The segment's entry as of now: ages brought up to date, what has expired dropped. */
  private segmentState(segment: string): SegmentState {
    const mark = this.store.read(outageKeys.segment(segment));
    const parsed = mark ? (parse(mark.value) as Partial<SegmentState> | null) : null;
    if (!mark || !parsed) return { f: [], s: 0, c: null };
    const age = mark.ageMs;
    const { windowMs } = this.settings;
    const f = Array.isArray(parsed.f) ? parsed.f.filter(isEntry).map(([id, a]) => [id, a + age] as [string, number]).filter(([, a]) => a < windowMs) : [];
    const c = typeof parsed.c === 'number' && parsed.c + age < windowMs ? parsed.c + age : null;
    return { f, s: Math.max(0, (typeof parsed.s === 'number' ? parsed.s : 0) - age), c };
  }

  private originState(): OriginState {
    const mark = this.store.read(outageKeys.origin);
    const parsed = mark ? (parse(mark.value) as Partial<OriginState> | null) : null;
    if (!mark || !parsed) return { g: [], s: 0 };
    const age = mark.ageMs;
    const g = Array.isArray(parsed.g) ? parsed.g.filter(isEntry).map(([s, left]) => [s, left - age] as [string, number]).filter(([, left]) => left > 0) : [];
    return { g, s: Math.max(0, (typeof parsed.s === 'number' ? parsed.s : 0) - age) };
  }

  /** Written for as long as any part of it still matters. */
  private writeSegment(segment: string, state: SegmentState): void {
    const { windowMs } = this.settings;
    const ttl = Math.max(state.s, ...state.f.map(([, age]) => windowMs - age), state.c === null ? 0 : windowMs - state.c);
    if (ttl > 0) this.store.write(outageKeys.segment(segment), JSON.stringify(state), Math.ceil(ttl));
    else this.store.clear(outageKeys.segment(segment));
  }

  private writeOrigin(state: OriginState): void {
    const ttl = Math.max(state.s, ...state.g.map(([, left]) => left));
    if (ttl > 0) this.store.write(outageKeys.origin, JSON.stringify(state), Math.ceil(ttl));
    else this.store.clear(outageKeys.origin);
  }
}

function parse(value: string): unknown {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null ? parsed : null;
  } catch {
    return null;
  }
}

function isEntry(entry: unknown): entry is [string, number] {
  return Array.isArray(entry) && entry.length === 2 && typeof entry[0] === 'string' && typeof entry[1] === 'number';
}
