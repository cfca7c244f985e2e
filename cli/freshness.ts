/**
 * `freshness`: when each mirror was last synced, from the sync marker read
 * through the edge service with Backend-Override, against a maximum age.
 */
import { type MirrorName, MIRRORS } from '../src/core/backends.ts';
import { BACKEND_NAME_HEADER } from '../src/core/diagnostics.ts';
import { OVERRIDE_IGNORED_HEADER } from '../src/core/override.ts';
import { formatDuration } from './duration.ts';
import { errorBodyMessage } from './error-body.ts';
import { probe, type ProbeResult } from './probe.ts';
import type { Progress } from './progress.ts';
import { markerTime } from './sync-marker.ts';

export type MirrorState = 'fresh' | 'stale' | 'unreadable';

export interface MirrorFreshness {
  readonly mirror: MirrorName;
  readonly state: MirrorState;
  readonly status: number | null;
  /** ISO 8601 time of the last sync, when the marker could be read. */
  readonly syncedAt: string | null;
  /** Where syncedAt came from: the body's `synced_at`, or Last-Modified. */
  readonly source: string | null;
  readonly ageMs: number | null;
  /** Why the marker is unreadable, or a remark on the time. */
  readonly note: string | null;
}

export interface FreshnessReport {
  readonly url: string;
  readonly maxAgeMs: number;
  readonly checkedAt: string;
  readonly ok: boolean;
  readonly summary: string;
  readonly mirrors: readonly MirrorFreshness[];
}

export interface FreshnessOptions {
  readonly url: URL;
  readonly maxAgeMs: number;
  readonly timeoutMs: number;
  readonly overrideToken: string | undefined;
  readonly now: () => Date;
}

export async function runFreshness(options: FreshnessOptions, progress: Progress): Promise<FreshnessReport> {
  const mirrors = await Promise.all(
    MIRRORS.map(async (mirror) => {
      const result = await probe({ url: options.url, override: mirror, timeoutMs: options.timeoutMs, overrideToken: options.overrideToken });
      const row = judgeMirror(mirror, result, options);
      progress.finished(mirror, row.state === 'unreadable' ? `unreadable` : `${row.state}, synced ${formatDuration(row.ageMs ?? 0)} ago`);
      return row;
    }),
  );
  progress.end();
  const stale = mirrors.filter((m) => m.state === 'stale').map((m) => m.mirror);
  const unreadable = mirrors.filter((m) => m.state === 'unreadable').map((m) => m.mirror);
  const ok = stale.length === 0 && unreadable.length === 0;
  const limit = formatDuration(options.maxAgeMs);
  const summary = ok
    ? `OK: all ${mirrors.length} mirrors synced within ${limit}.`
    : `PROBLEM: ${[
        stale.length > 0 ? `${stale.join(', ')} not synced within ${limit}` : '',
        unreadable.length > 0 ? `sync marker unreadable on ${unreadable.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}.`;
  return { url: options.url.href, maxAgeMs: options.maxAgeMs, checkedAt: options.now().toISOString(), ok, summary, mirrors };
}

function judgeMirror(mirror: MirrorName, result: ProbeResult, options: FreshnessOptions): MirrorFreshness {
  const unreadable = (status: number | null, note: string): MirrorFreshness => ({
    mirror, state: 'unreadable', status, syncedAt: null, source: null, ageMs: null, note,
  });
  if (!result.ok) return unreadable(null, `no answer: ${result.failure.message}`);
  const ignored = result.headers.get(OVERRIDE_IGNORED_HEADER);
  if (ignored !== null) return unreadable(result.status, `the service ignored Backend-Override (${ignored}); set backend_override to enabled or token`);
  const backend = result.headers.get(BACKEND_NAME_HEADER);
  if (result.status !== 200 || backend !== mirror) {
    const said = errorBodyMessage(result.headers, result.bodyStart);
    return unreadable(result.status, `no marker: ${result.status} from ${backend ?? 'unknown'}${said ? ` (${said.replace(/\.$/, '')})` : ''}`);
  }
  const marker = markerTime(result.bodyStart, result.headers.get('Last-Modified'));
  if (!marker.ok) return unreadable(result.status, marker.problem);
  const ageMs = options.now().getTime() - marker.time.getTime();
  return {
    mirror,
    state: ageMs > options.maxAgeMs ? 'stale' : 'fresh',
    status: result.status,
    syncedAt: marker.time.toISOString(),
    source: marker.source,
    ageMs,
    note: ageMs < 0 ? 'the sync time is in the future: check the clocks' : null,
  };
}
