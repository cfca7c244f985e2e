/**
 * `drift --pages-from-log`: the pages to compare, picked from CDN log lines as
 * GOV.UK's drift checker picks them from its Athena table (govuk-mirror
 * `internal/top_urls`): the most requested URLs answered with a 2xx, most
 * requested first, leaving out `/assets/` anywhere and `/api/` and `/search/`
 * at the start. The lines are JSON with `url` and `status`: this service's own,
 * or the VCL service's S3 lines, gzipped or not. Unlike the checker, the query
 * string is dropped before counting (a mirror holds one copy of a path), so
 * each path is counted once, with all its query strings.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export const DEFAULT_LOG_LIMIT = 1000;

export interface LogPages {
  /** The paths, most requested first (ties in the order first seen). */
  readonly paths: readonly string[];
  /** Lines read, and of them: counted (a 2xx page), left out (another status, or an excluded path), not a log line. */
  readonly lines: number;
  readonly counted: number;
  readonly leftOut: number;
  readonly unreadable: number;
}

/** Counts requests per path from log lines; `top` gives the most requested. */
export class LogPageCounter {
  readonly #counts = new Map<string, number>();
  #lines = 0;
  #counted = 0;
  #leftOut = 0;
  #unreadable = 0;

  add(line: string): void {
    if (line.trim() === '') return;
    this.#lines++;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      this.#unreadable++;
      return;
    }
    const { url, status } = (record ?? {}) as { url?: unknown; status?: unknown };
    const code = typeof status === 'number' ? status : typeof status === 'string' && /^\d{3}$/.test(status) ? Number(status) : NaN;
    if (typeof url !== 'string' || !url.startsWith('/') || url.startsWith('//') || Number.isNaN(code)) {
      this.#unreadable++;
      return;
    }
    const path = url.replace(/[?#].*$/, '');
    if (code < 200 || code >= 300 || isLeftOut(url)) {
      this.#leftOut++;
      return;
    }
    this.#counted++;
    this.#counts.set(path, (this.#counts.get(path) ?? 0) + 1);
  }

  top(limit: number): LogPages {
    const paths = [...this.#counts.entries()]
      .map(([path, count], order) => ({ path, count, order }))
      .sort((a, b) => b.count - a.count || a.order - b.order)
      .slice(0, limit)
      .map((p) => p.path);
    return { paths, lines: this.#lines, counted: this.#counted, leftOut: this.#leftOut, unreadable: this.#unreadable };
  }
}

/** The drift checker's exclusions: `url NOT LIKE '%/assets/%' AND url NOT LIKE '/api/%' AND url NOT LIKE '/search/%'`. */
export function isLeftOut(url: string): boolean {
  return url.includes('/assets/') || url.startsWith('/api/') || url.startsWith('/search/');
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Reads each file line by line (unpacking gzip, told by its first bytes) into one count. */
export async function pagesFromLogs(files: readonly string[], limit: number): Promise<LogPages> {
  const counter = new LogPageCounter();
  for (const file of files) {
    const stream = await lineSource(file);
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) counter.add(line);
  }
  return counter.top(limit);
}

async function lineSource(file: string): Promise<Readable> {
  const handle = await open(file, 'r');
  const head = Buffer.alloc(2);
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const raw = createReadStream(file);
  return head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1] ? raw.pipe(createGunzip()) : raw;
}
