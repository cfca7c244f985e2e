/**
 * A table of cells, and how the benchmark prints numbers in one: rendered
 * as aligned text (for stdout) or as Markdown (for BENCHMARKS.md).
 */
export type Table = { readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] };

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function times(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(2)}×`;
}

export function renderText(table: Table): string {
  const all = [table.head, ...table.rows];
  const widths = table.head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(table.head), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n');
}

export function renderMarkdown(table: Table): string {
  const esc = (c: string): string => c.replaceAll('|', '\\|');
  return [`| ${table.head.map(esc).join(' | ')} |`, `| ${table.head.map(() => '---').join(' | ')} |`, ...table.rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}
