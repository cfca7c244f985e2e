/** `check` results as a table for people, or as JSON. */
import { type CheckReport, type CheckRow, requestLabel } from './check.ts';
import { formatHttpDate, formatMs, NONE } from './format.ts';
import { renderTable } from './table.ts';

const HEADER = ['override', 'status', 'ttfb', 'bytes', 'age', 'last-modified', 'sha256', 'vs origin', 'Fastly-Backend-Name', 'Fastly-Failover', 'Fastly-Restarts'];

export function checkText(report: CheckReport): string {
  const originSha256 = report.rows.find((r) => r.override === 'origin')?.sha256 ?? null;
  const rows = report.rows.map((r) => [
    requestLabel(r.override),
    r.status === null ? `no answer (${r.failure?.kind ?? 'error'})` : String(r.status),
    formatMs(r.ttfbMs),
    r.bytes === null ? NONE : String(r.bytes),
    r.age === null ? NONE : `${r.age}s`,
    formatHttpDate(r.lastModified),
    r.sha256 === null ? NONE : r.sha256.slice(0, 12),
    comparison(r, originSha256),
    r.backendName ?? NONE,
    r.failover ? '1' : NONE,
    r.restarts ?? NONE,
  ]);
  const timings = report.rows.map((r) => `  ${requestLabel(r.override).padEnd(16)} ${r.serverTiming || NONE}`);
  return [
    `GET ${report.url}  (${report.mirrorKeys.length > 1 ? `mirror objects, in turn: ${report.mirrorKeys.join(', ')}` : `mirror object: ${report.mirrorKey}`})`,
    '',
    renderTable(HEADER, rows),
    'Server-Timing:',
    ...timings,
    '',
    report.summary,
    ...report.issues.map((i) => `  - ${i}`),
    '',
  ].join('\n');
}

/** `same` (byte for byte), `same text` (the bytes differ, not what a reader sees), or `differs`. */
function comparison(row: CheckRow, originSha256: string | null): string {
  if (row.override === 'origin' && row.sameAsOrigin !== null) return '(reference)';
  if (row.sameAsOrigin === null) return NONE;
  if (!row.sameAsOrigin) return 'differs';
  return row.comparedBy === 'visible text' && row.sha256 !== originSha256 ? 'same text' : 'same';
}

export function checkJson(report: CheckReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
