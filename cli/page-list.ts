/**
 * The pages `drift` compares, as paths on the service: from a file (one path
 * or URL a line, `#` starts a comment), from the command line, or from a
 * sitemap's `<loc>` URLs. A full URL counts for its path and query only, so a
 * list or sitemap that names https://www.gov.uk/… can be checked against any
 * --service. Duplicates are dropped, the first one kept.
 */
import { UsageError } from './usage.ts';

export type PagePath = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly problem: string };

/** `/browse/benefits`, or `https://www.gov.uk/browse/benefits` → `/browse/benefits`. */
export function pagePath(entry: string): PagePath {
  if (/\s/.test(entry)) return { ok: false, problem: 'it contains white space; give one path or URL a line' };
  if (entry.startsWith('/')) {
    if (entry.startsWith('//')) return { ok: false, problem: 'it starts with "//"; give a path such as /browse/benefits' };
    return { ok: true, path: entry.replace(/#.*$/, '') };
  }
  if (/^https?:\/\//i.test(entry)) {
    try {
      const url = new URL(entry);
      return { ok: true, path: `${url.pathname}${url.search}` };
    } catch {
      return { ok: false, problem: 'it is not a valid URL' };
    }
  }
  return { ok: false, problem: 'it is neither a path starting with / nor an http(s) URL' };
}

/** The paths in a pages file; a UsageError names the first bad line. */
export function parsePagesFile(text: string, fileName: string): string[] {
  const paths: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const entry = line.replace(/(^|\s)#.*$/, '').trim();
    if (entry === '') return;
    const page = pagePath(entry);
    if (!page.ok) throw new UsageError(`${fileName} line ${index + 1}: ${JSON.stringify(entry)}: ${page.problem}.`);
    paths.push(page.path);
  });
  if (paths.length === 0) throw new UsageError(`${fileName} lists no pages: give one path (/browse/benefits) or URL a line; # starts a comment.`);
  return unique(paths);
}

/** The paths given on the command line; a UsageError names the first bad one. */
export function parsePageArguments(entries: readonly string[]): string[] {
  return unique(
    entries.map((entry) => {
      const page = pagePath(entry);
      if (!page.ok) throw new UsageError(`${JSON.stringify(entry)} is not a page: ${page.problem}.`);
      return page.path;
    }),
  );
}

export function unique(paths: readonly string[]): string[] {
  return [...new Set(paths)];
}
