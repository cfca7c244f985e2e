/**
 * The fault matrix: what origin does × what mirrorS3 does → what the user
 * gets. The replica and GCS mirrors do not hold these pages (403, like a
 * private S3 bucket), so when mirrorS3 fails too the user gets the 503 page.
 *
 * Timings come from fastly.toml's local world: hedge_after_ms 500,
 * first-byte timeout 3000 ms, between-bytes timeout 2000 ms.
 */
import type { Behaviour } from '../../stubs/index.ts';

export const HEDGE_MS = 500;
export const FIRST_BYTE_TIMEOUT_MS = 3000;
export const BETWEEN_BYTES_TIMEOUT_MS = 2000;
/** Slack for a loaded 2-core machine running other test files at the same time. */
export const SLACK_MS = 1500;

interface OriginRow {
  readonly label: string;
  readonly behaviour: Behaviour;
  /** `serves`: origin's answer goes to the user; `truncates`: its headers do, then the body breaks; `fails-fast` / `hangs`: the service moves on. */
  readonly effect: 'serves' | 'truncates' | 'fails-fast' | 'hangs';
  readonly status?: number;
  /** Origin's Server-Timing outcome when it does not hang. */
  readonly outcome?: string;
}

interface MirrorColumn {
  readonly label: string;
  readonly behaviour: Behaviour | 'bucket';
  readonly effect: 'serves' | 'fails-fast' | 'hangs';
  readonly outcome: string;
}

export const ORIGIN_ROWS: readonly OriginRow[] = [
  { label: '200', behaviour: { kind: 'echo' }, effect: 'serves', status: 200, outcome: 'ok 200' },
  { label: '404', behaviour: { kind: 'status', status: 404 }, effect: 'serves', status: 404, outcome: 'ok 404' },
  { label: '500', behaviour: { kind: 'status', status: 500 }, effect: 'fails-fast', outcome: 'http-error 500' },
  { label: '502', behaviour: { kind: 'status', status: 502 }, effect: 'fails-fast', outcome: 'http-error 502' },
  { label: '503', behaviour: { kind: 'status', status: 503 }, effect: 'fails-fast', outcome: 'http-error 503' },
  { label: '504', behaviour: { kind: 'status', status: 504 }, effect: 'fails-fast', outcome: 'http-error 504' },
  { label: 'refused', behaviour: { kind: 'refuse' }, effect: 'fails-fast', outcome: 'connection-error' },
  { label: 'reset mid-body', behaviour: { kind: 'reset-mid-body' }, effect: 'truncates', status: 200, outcome: 'ok 200' },
  { label: 'hung headers', behaviour: { kind: 'hang' }, effect: 'hangs' },
  { label: 'slow body', behaviour: { kind: 'slow-body' }, effect: 'truncates', status: 200, outcome: 'ok 200' },
];

export const MIRROR_COLUMNS: readonly MirrorColumn[] = [
  { label: '200', behaviour: 'bucket', effect: 'serves', outcome: 'ok 200' },
  { label: '403', behaviour: { kind: 'status', status: 403 }, effect: 'fails-fast', outcome: 'http-error 403' },
  { label: '404', behaviour: { kind: 'status', status: 404 }, effect: 'fails-fast', outcome: 'http-error 404' },
  { label: '503', behaviour: { kind: 'status', status: 503 }, effect: 'fails-fast', outcome: 'http-error 503' },
  { label: 'refused', behaviour: { kind: 'refuse' }, effect: 'fails-fast', outcome: 'connection-error' },
  { label: 'hung', behaviour: { kind: 'hang' }, effect: 'hangs', outcome: 'timeout' },
];

export interface Cell {
  readonly name: string;
  readonly path: string;
  readonly origin: Behaviour;
  readonly mirrorS3: Behaviour | 'bucket';
  readonly expected: {
    readonly status: number;
    readonly backend: 'origin' | 'mirrorS3' | 'error';
    /** Where the body comes from; `truncated` means the headers arrived and the body broke off. */
    readonly body: 'origin' | 'mirrorS3' | 'error-page' | 'truncated';
    readonly failover: boolean;
    readonly restarts: number;
    /** Server-Timing, `backend outcome` per entry, durations left out. */
    readonly timing: readonly string[];
    readonly minMs: number;
    readonly maxMs: number;
  };
}

const REST_MISSING = ['mirrorS3Replica http-error 403', 'mirrorGCS http-error 403'];

function cell(row: OriginRow, col: MirrorColumn): Cell {
  const name = `origin ${row.label} × mirrorS3 ${col.label}`;
  const path = `/matrix/${row.label.replace(/ /g, '-')}/${col.label}`;
  const base = { name, path, origin: row.behaviour, mirrorS3: col.behaviour };
  if (row.effect === 'serves' || row.effect === 'truncates') {
    const truncates = row.effect === 'truncates';
    const slow = row.label === 'slow body';
    return {
      ...base,
      expected: {
        status: row.status!,
        backend: 'origin',
        body: truncates ? 'truncated' : 'origin',
        failover: false,
        restarts: 0,
        timing: [`origin ${row.outcome}`],
        minMs: slow ? BETWEEN_BYTES_TIMEOUT_MS - 200 : 0,
        maxMs: (slow ? BETWEEN_BYTES_TIMEOUT_MS : 0) + SLACK_MS,
      },
    };
  }
  const originHangs = row.effect === 'hangs';
  // When origin hangs, mirrorS3 starts after the hedge delay instead of at once.
  const mirrorStart = originHangs ? HEDGE_MS : 0;
  if (col.effect === 'serves') {
    return {
      ...base,
      expected: {
        status: 200,
        backend: 'mirrorS3',
        body: 'mirrorS3',
        failover: true,
        restarts: 1,
        timing: [originHangs ? 'origin abandoned' : `origin ${row.outcome}`, 'mirrorS3 ok 200'],
        minMs: mirrorStart - (originHangs ? 50 : 0),
        maxMs: mirrorStart + SLACK_MS,
      },
    };
  }
  // Nothing serves: the answer comes once the last pending attempt gives up.
  const waitsFor = Math.max(originHangs ? FIRST_BYTE_TIMEOUT_MS : 0, col.effect === 'hangs' ? mirrorStart + FIRST_BYTE_TIMEOUT_MS : 0);
  return {
    ...base,
    expected: {
      status: 503,
      backend: 'error',
      body: 'error-page',
      failover: false,
      restarts: 4,
      timing: [originHangs ? 'origin timeout' : `origin ${row.outcome}`, `mirrorS3 ${col.outcome}`, ...REST_MISSING],
      minMs: Math.max(0, waitsFor - 200),
      maxMs: waitsFor + SLACK_MS,
    },
  };
}

export const FAULT_MATRIX: readonly Cell[] = ORIGIN_ROWS.flatMap((row) => MIRROR_COLUMNS.map((col) => cell(row, col)));
