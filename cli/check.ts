/**
 * `check`: the page through the edge service once as users get it and once
 * per backend (Backend-Override), in parallel, and what that says about
 * whether the page survives an origin outage.
 */
import { BACKEND_ORDER, type BackendName, isMirror, type MirrorName, MIRRORS } from '../src/core/backends.ts';
import { BACKEND_NAME_HEADER, FAILOVER_HEADER, RESTARTS_HEADER, SERVER_TIMING_HEADER, suspectScopeIn } from '../src/core/diagnostics.ts';
import { WHOLE_ORIGIN_SCOPE } from '../src/core/outage-scope.ts';
import { resolveMirrorPath } from '../src/core/mirror-path.ts';
import { OVERRIDE_IGNORED_HEADER } from '../src/core/override.ts';
import { COMPARED_BODY_BYTES } from './compare-pages.ts';
import { errorBodyMessage } from './error-body.ts';
import type { Failure } from './failure.ts';
import type { MirrorLayout } from './mirror-layout.ts';
import { type ComparedBy, compareBodies, type Reference, referenceFrom } from './page-comparison.ts';
import { probe, type ProbeResult } from './probe.ts';
import type { Progress } from './progress.ts';
import type { Target } from './target.ts';

export interface CheckRow {
  /** The Backend-Override sent; null for the request as users make it. */
  readonly override: BackendName | null;
  readonly status: number | null;
  readonly ttfbMs: number | null;
  readonly bytes: number | null;
  readonly age: string | null;
  readonly lastModified: string | null;
  readonly sha256: string | null;
  /** Whether the copy is origin's (HTML by its visible text, else byte for byte); null unless both are 200s. */
  readonly sameAsOrigin: boolean | null;
  /** How sameAsOrigin was judged; null when it was not. */
  readonly comparedBy: ComparedBy | null;
  readonly backendName: string | null;
  readonly failover: boolean;
  readonly restarts: string | null;
  readonly serverTiming: string | null;
  /** The scope the service's outage memory held suspect (origin and the first mirror asked at once), from Server-Timing; null when none. */
  readonly suspectScope: string | null;
  /** Backend-Override-Ignored: the service did not honour the override. */
  readonly overrideIgnored: string | null;
  /** The service's own plain-text error message, or why there was no answer. */
  readonly note: string | null;
  readonly failure: Failure | null;
}

export interface CheckReport {
  readonly url: string;
  /** Where the mirrors keep the page (in the layout given): the first name the service asks for. */
  readonly mirrorKey: string;
  /** Every name the service asks each mirror for, in turn (one to three). */
  readonly mirrorKeys: readonly string[];
  readonly ok: boolean;
  readonly served: boolean;
  readonly mirrorsWithPage: readonly MirrorName[];
  /** One sentence: OK or PROBLEM, and why. */
  readonly summary: string;
  /** Everything that is not as it should be, one sentence each. */
  readonly issues: readonly string[];
  readonly rows: readonly CheckRow[];
}

export interface CheckOptions {
  /** Where the mirrors keep the service's pages, for naming the objects asked for. */
  readonly layout: MirrorLayout;
  readonly timeoutMs: number;
  readonly overrideToken: string | undefined;
}

/** The requests made: no override first, then each backend in failover order. */
export const CHECK_REQUESTS: readonly (BackendName | null)[] = [null, ...BACKEND_ORDER];

export function requestLabel(override: BackendName | null): string {
  return override ?? '(none)';
}

export async function runCheck(target: Target, options: CheckOptions, progress: Progress): Promise<CheckReport> {
  const results = await Promise.all(
    CHECK_REQUESTS.map(async (override) => {
      const result = await probe({ url: target.url, override: override ?? undefined, timeoutMs: options.timeoutMs, overrideToken: options.overrideToken, keepBytes: COMPARED_BODY_BYTES });
      progress.finished(requestLabel(override), result.ok ? `${result.status} in ${Math.round(result.ttfbMs)} ms` : `no answer (${result.failure.kind})`);
      return { override, result };
    }),
  );
  progress.end();
  const originResult = results.find((r) => r.override === 'origin')?.result;
  const reference = originResult?.ok && originResult.status === 200 ? referenceFrom(originResult, target.url) : undefined;
  const rows = results.map(({ override, result }) => toRow(override, result, reference?.ok ? reference : undefined, target.url));
  return judge(target.url.href, resolveMirrorPath(target.url, options.layout.prefix, options.layout.names).names.map((n) => n.key), rows);
}

function toRow(override: BackendName | null, result: ProbeResult, reference: (Reference & { ok: true }) | undefined, url: URL): CheckRow {
  if (!result.ok) {
    return {
      override, status: null, ttfbMs: null, bytes: null, age: null, lastModified: null, sha256: null, sameAsOrigin: null, comparedBy: null,
      backendName: null, failover: false, restarts: null, serverTiming: null, suspectScope: null, overrideIgnored: null,
      note: result.failure.message, failure: result.failure,
    };
  }
  const h = result.headers;
  const compared = reference !== undefined && result.status === 200 && result.complete ? compareBodies(reference, result, url) : undefined;
  return {
    override,
    status: result.status,
    ttfbMs: Math.round(result.ttfbMs * 10) / 10,
    bytes: result.bytes,
    age: h.get('Age'),
    lastModified: h.get('Last-Modified'),
    sha256: result.sha256,
    sameAsOrigin: compared === undefined ? null : compared.state === 'same',
    comparedBy: compared?.by ?? null,
    backendName: h.get(BACKEND_NAME_HEADER),
    failover: h.get(FAILOVER_HEADER) === '1',
    restarts: h.get(RESTARTS_HEADER),
    serverTiming: h.get(SERVER_TIMING_HEADER),
    suspectScope: suspectScopeIn(h.get(SERVER_TIMING_HEADER)),
    overrideIgnored: h.get(OVERRIDE_IGNORED_HEADER),
    note: isAnswered(result.status) ? null : errorBodyMessage(h, result.bodyStart),
    failure: null,
  };
}

function isAnswered(status: number): boolean {
  return status >= 200 && status < 400;
}

/** Whether this row is the named mirror's own 200 (not a failover answer from elsewhere). */
function mirrorHasPage(row: CheckRow): row is CheckRow & { override: MirrorName } {
  return row.override !== null && isMirror(row.override) && row.status === 200 && row.backendName === row.override && row.overrideIgnored === null;
}

function what(row: CheckRow): string {
  if (row.failure) return `no answer: ${row.failure.message.replace(/\.$/, '')}`;
  const from = row.backendName === 'error' ? 'the service (no backend answered)' : (row.backendName ?? 'unknown backend');
  return `${row.status} from ${from}${row.note ? ` (${row.note.replace(/\.$/, '')})` : ''}`;
}

function suspectIssue(scope: string): string {
  const where = scope === WHOLE_ORIGIN_SCOPE ? 'the whole origin (three or more path segments failing)' : `the segment ${scope}`;
  return `The service's outage memory holds origin suspect for ${where}, after recent origin failures at this POP: origin and the first mirror were asked at once (Server-Timing: suspect), and the first good answer was served.`;
}

function judge(url: string, mirrorKeys: readonly string[], rows: readonly CheckRow[]): CheckReport {
  const issues: string[] = [];
  const asUsers = rows.find((r) => r.override === null);
  const origin = rows.find((r) => r.override === 'origin');
  const served = asUsers !== undefined && asUsers.status !== null && isAnswered(asUsers.status) && asUsers.backendName !== 'error';
  const mirrorsWithPage = rows.filter(mirrorHasPage).map((r) => r.override);

  const ignored = rows.find((r) => r.overrideIgnored !== null);
  if (ignored) {
    issues.push(
      `The service ignored Backend-Override (Backend-Override-Ignored: ${ignored.overrideIgnored}), so the per-backend rows are normal failover answers. Set backend_override to enabled (or token) to check each backend.`,
    );
  }
  if (asUsers && !served) issues.push(`Users do not get the page: ${what(asUsers)}.`);
  if (served && asUsers?.failover) issues.push(`Users get a mirror's copy: origin failed and ${asUsers.backendName} answered (Fastly-Failover: 1).`);
  if (asUsers?.suspectScope) issues.push(suspectIssue(asUsers.suspectScope));
  if (origin && !(origin.status !== null && isAnswered(origin.status) && origin.backendName === 'origin')) issues.push(`origin: ${what(origin)}.`);
  for (const row of rows) {
    if (row.override !== null && isMirror(row.override) && !mirrorHasPage(row)) issues.push(`${row.override} does not have it: ${what(row)}.`);
  }

  const ok = served && mirrorsWithPage.length > 0;
  const servedPart = served ? `served (${asUsers?.status} from ${asUsers?.backendName})` : 'NOT served to users';
  const mirrorPart = mirrorsWithPage.length > 0 ? `${mirrorsWithPage.length} of ${MIRRORS.length} mirrors have it` : 'NO mirror has it';
  const summary = `${ok ? 'OK' : 'PROBLEM'}: ${servedPart}, and ${mirrorPart}.`;
  return { url, mirrorKey: mirrorKeys[0]!, mirrorKeys, ok, served, mirrorsWithPage, summary, issues, rows };
}
