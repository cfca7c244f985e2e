/** `freshness` (sampled lag) results as a table for people, or as JSON. */
import { formatDuration } from './duration.ts';
import { NONE } from './format.ts';
import type { LagState } from './lag.ts';
import type { LagReport } from './freshness-sample.ts';
import { renderTable } from './table.ts';

const HEADER = ['mirror', 'lag', 'behind', 'compared', 'errors', 'state'];

const STATE_WORDS: Record<LagState, string> = {
  'up-to-date': 'up to date with the sample',
  behind: 'behind, within the limit',
  stale: 'STALE',
  unknown: 'UNKNOWN',
};

export function lagText(report: LagReport): string {
  const { sample } = report;
  const rows = report.mirrors.map((m) => [
    m.mirror,
    m.lagMs === null ? NONE : formatDuration(m.lagMs),
    String(m.behind.length),
    String(m.compared),
    String(m.errors.length),
    STATE_WORDS[m.state],
  ]);
  const lines = [
    `Mirror lag from ${sample.pages} recently changed pages of ${report.sitemap} (lastmod ${sample.oldest ?? NONE} to ${sample.newest ?? NONE}), max age ${formatDuration(report.maxAgeMs)}, checked at ${report.checkedAt}`,
    '',
    renderTable(HEADER, rows).trimEnd(),
  ];
  for (const m of report.mirrors) {
    if (m.behind.length > 0) {
      lines.push('', `${m.mirror} lacks the latest change of:`);
      lines.push(...renderTable(['  page', 'changed', 'lastmod', 'copy'], m.behind.map((b) => [`  ${b.path}`, `${formatDuration(b.ageMs)} ago`, b.lastmod, b.state])).trimEnd().split('\n').slice(1));
    }
    if (m.errors.length > 0) lines.push('', `${m.mirror} could not be read for:`, ...m.errors.map((e) => `  ${e.path}  ${e.reason}`));
  }
  if (report.notCompared.length > 0) lines.push('', 'Not compared (origin gave no 200 or redirect):', ...report.notCompared.map((p) => `  ${p.path}  ${p.reason}`));
  if (report.sitemapProblems.length > 0) lines.push('', `Reading ${report.sitemap}:`, ...report.sitemapProblems.map((p) => `  ${p}`));
  lines.push('', report.summary, '');
  return lines.join('\n');
}

export function lagJson(report: LagReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
