/** `freshness` results as a table for people, or as JSON. */
import { formatDuration } from './duration.ts';
import type { FreshnessReport } from './freshness.ts';
import { NONE } from './format.ts';
import { renderTable } from './table.ts';

const HEADER = ['mirror', 'status', 'synced at', 'age', 'from', 'state'];

export function freshnessText(report: FreshnessReport): string {
  const rows = report.mirrors.map((m) => [
    m.mirror,
    m.status === null ? NONE : String(m.status),
    m.syncedAt ?? NONE,
    m.ageMs === null ? NONE : formatDuration(m.ageMs),
    m.source ?? NONE,
    m.state === 'fresh' ? 'fresh' : m.state.toUpperCase(),
  ]);
  const notes = report.mirrors.filter((m) => m.note !== null).map((m) => `  - ${m.mirror}: ${m.note}`);
  return [
    `Sync marker ${report.url}, max age ${formatDuration(report.maxAgeMs)}, checked at ${report.checkedAt}`,
    '',
    renderTable(HEADER, rows),
    report.summary,
    ...notes,
    '',
  ].join('\n');
}

export function freshnessJson(report: FreshnessReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
