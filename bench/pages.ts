/**
 * The pages the benchmark asks for: one distinct page per request, so that
 * the runtime's HTTP cache never answers (every request really goes to a
 * backend), each about the size of a GOV.UK HTML page. The same bytes are in
 * the mirror bucket and are what the stub origin answers.
 */
import { makeBucketDir, type BucketDir } from '../stubs/index.ts';

export const PAGE_BYTES = 16 * 1024;
const PREFIX = 'www.gov.uk';

/** Path the user asks for (what goes through the service and straight to origin). */
export function pagePath(i: number): string {
  return `/bench/page-${i}`;
}

/** Path asked of a bucket directly (the mirror's object key, as the service would request it). */
export function mirrorPath(i: number): string {
  return `/${PREFIX}/bench/page-${i}.html`;
}

/**
 * A deterministic HTML page of exactly `bytes` bytes (PAGE_BYTES unless told);
 * with a path, the page names it (so a wrong page shows).
 */
export function pageBody(path?: string, bytes: number = PAGE_BYTES): string {
  const head = `<!DOCTYPE html><html lang="en"><head><title>${path === undefined ? 'Benchmark page' : `Page ${path}`} - GOV.UK</title></head><body><main>`;
  const tail = '</main></body></html>\n';
  const filler = '<p>Find out about benefits, tax, passports and visas.</p>\n';
  if (bytes < head.length + tail.length) throw new RangeError(`a page needs at least ${head.length + tail.length} bytes`);
  let middle = '';
  while (head.length + middle.length + filler.length + tail.length <= bytes) middle += filler;
  return head + middle + ' '.repeat(bytes - head.length - middle.length - tail.length) + tail;
}

/** The crawler's key for a simple page path (no escaping needed): `/a/b` → `www.gov.uk/a/b.html`. */
export function objectKey(path: string): string {
  return `${PREFIX}${path}.html`;
}

/** A temporary bucket holding a page for each path, each naming its path. */
export async function makePageBucket(paths: readonly string[]): Promise<BucketDir> {
  if (paths.length < 1 || paths.length > 100_000) throw new RangeError(`bad page count ${paths.length}`);
  return makeBucketDir(Object.fromEntries(paths.map((path) => [objectKey(path), pageBody(path)])));
}

/** A temporary bucket holding pages 0..count-1. */
export async function makePages(count: number): Promise<BucketDir> {
  if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new RangeError(`bad page count ${count}`);
  const body = pageBody();
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`${PREFIX}/bench/page-${i}.html`] = body;
  return makeBucketDir(files);
}
