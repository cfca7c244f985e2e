/** `drift` results as a table per mirror with the pages below it, or as JSON. */
import { MIRRORS } from '../src/core/backends.ts';
import type { DriftReport } from './drift.ts';
import { formatMs } from './format.ts';
import { renderTable } from './table.ts';

const HEADER = ['mirror', 'compared', 'same', 'drifted', 'missing', 'errors'];

export function driftText(report: DriftReport): string {
  const rows = MIRRORS.map((mirror) => {
    const m = report.mirrors[mirror];
    return [mirror, String(m.compared), String(m.same), String(m.drifted.length), String(m.missing.length), String(m.errors.length)];
  });
  const lines = [`Drift between origin and each mirror: ${report.service}, ${report.source}, in ${formatMs(report.elapsedMs)}`, '', renderTable(HEADER, rows).trimEnd()];
  const section = (title: string, entries: readonly string[]) => {
    if (entries.length > 0) lines.push('', title, ...entries);
  };
  const when = (lastmod: string | undefined) => (lastmod === undefined ? '' : `  (lastmod ${lastmod})`);
  for (const mirror of MIRRORS) {
    const m = report.mirrors[mirror];
    const width = Math.max('origin'.length, mirror.length) + 1;
    section(
      `${mirror} drifted:`,
      m.drifted.flatMap((d) => [
        `  ${d.path}${when(d.lastmod)}  by ${d.by}`,
        `    ${'origin:'.padEnd(width + 1)} ${d.origin}`,
        `    ${`${mirror}:`.padEnd(width + 1)} ${d.mirror}`,
      ]),
    );
    section(`${mirror} missing:`, m.missing.map((p) => `  ${p.path}${when(p.lastmod)}  ${p.reason}`));
    section(`${mirror} errors:`, m.errors.map((p) => `  ${p.path}${when(p.lastmod)}  ${p.reason}`));
  }
  section('Not compared (origin gave no 200 or redirect):', report.notCompared.map((p) => `  ${p.path}  ${p.reason}`));
  section('Reading the sitemap:', report.sitemapProblems.map((p) => `  ${p}`));
  lines.push('', report.summary, '');
  return lines.join('\n');
}

export function driftJson(report: DriftReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
