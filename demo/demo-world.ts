/**
 * What `npm start` serves, built once at start-up from demo/mirror/ (one
 * crawl of a few GOV.UK pages, in the crawler's layout):
 *
 * - the live site (the demo origin): every crawled page at its own path, with
 *   a fresh nonce and CSRF token per start, as live pages have (so the bytes
 *   differ from the crawl and the visible text does not), and a sitemap index
 *   `/sitemap.xml` → two sitemaps, with `lastmod` dates relative to now;
 * - each mirror's bucket: a copy of the crawl with that mirror's differences:
 *   mirrorS3Replica holds the previous version of one page (changed 3 h ago)
 *   and answers 500 for one object, mirrorGCS lacks a page published 30 h ago.
 *
 * So `drift --sitemap` shows every outcome and `freshness` each kind of lag.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { MirrorName } from '../src/core/backends.ts';
import { type Behaviour, type BucketFiles, contentTypeForKey } from '../stubs/index.ts';

const PREFIX = 'www.gov.uk/';
const HOUR = 3_600_000;

/** When each sitemap page last changed, in hours before start-up, and which sitemap lists it. */
export const SITEMAP_PAGES: readonly { readonly path: string; readonly changedHoursAgo: number; readonly sitemap: 1 | 2 }[] = [
  { path: '/guidance/cost-of-living-payment', changedHoursAgo: 3, sitemap: 2 },
  { path: '/government/news/new-state-pension-rates', changedHoursAgo: 30, sitemap: 2 },
  { path: '/browse/benefits', changedHoursAgo: 50, sitemap: 1 },
  { path: '/government/organisations', changedHoursAgo: 98, sitemap: 2 },
  { path: '/', changedHoursAgo: 122, sitemap: 1 },
  { path: '/government/spending.csv', changedHoursAgo: 150, sitemap: 2 },
  { path: '/help/about%20cookies', changedHoursAgo: 480, sitemap: 1 },
];

/** How each mirror's copy differs from the crawl. */
export const MIRROR_DIFFERENCES: Readonly<Record<MirrorName, { readonly older?: readonly string[]; readonly lacks?: readonly string[]; readonly failing?: readonly string[] }>> = {
  mirrorS3: {},
  mirrorS3Replica: { older: ['www.gov.uk/guidance/cost-of-living-payment.html'], failing: ['www.gov.uk/government/organisations.html'] },
  mirrorGCS: { lacks: ['www.gov.uk/government/news/new-state-pension-rates.html'] },
};

/** Every file under `root`, by its key (path relative to root, with `/`). */
export async function readTree(root: string): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    files[relative(root, file).split(sep).join('/')] = await readFile(file);
  }
  return files;
}

/** One mirror's bucket: the crawl, with older copies from `older` (same keys), and without what it lacks. */
export function mirrorFiles(crawl: Readonly<Record<string, Buffer>>, older: Readonly<Record<string, Buffer>>, mirror: MirrorName): BucketFiles {
  const { older: olderKeys = [], lacks = [] } = MIRROR_DIFFERENCES[mirror];
  const files: Record<string, Buffer> = { ...crawl };
  for (const key of olderKeys) files[key] = older[key] ?? missing(key, 'demo/older');
  for (const key of lacks) delete files[key];
  return files;
}

/** A mirror's behaviour: its bucket, with a 500 InternalError for each failing object. */
export function mirrorBehaviour(mirror: MirrorName, bucket: Behaviour): Behaviour {
  const failing = MIRROR_DIFFERENCES[mirror].failing ?? [];
  if (failing.length === 0) return bucket;
  const internalError: Behaviour = {
    kind: 'echo',
    status: 500,
    headers: { 'Content-Type': 'application/xml' },
    body: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>',
  };
  return { kind: 'by-path', paths: Object.fromEntries(failing.map((key) => [`/${key}`, internalError])), otherwise: bucket };
}

/** The demo origin, healthy: each crawled file at its path, the sitemaps, 404 for anything else. */
export function liveSite(crawl: Readonly<Record<string, Buffer>>, now: Date, headers: Readonly<Record<string, string>>): Behaviour {
  const nonce = randomBytes(12).toString('base64');
  const token = randomBytes(16).toString('hex');
  const paths: Record<string, Behaviour> = {};
  for (const [key, bytes] of Object.entries(crawl)) {
    if (!key.startsWith(PREFIX)) continue;
    const type = contentTypeForKey(key);
    const text = bytes.toString('utf8');
    const body = type.startsWith('text/html')
      ? text.replace('<head>', `<head><meta name="csrf-token" content="${token}"><script nonce="${nonce}">window.GOVUK={"requestToken":"${token}"}</script>`)
      : text;
    paths[pagePath(key.slice(PREFIX.length))] = { kind: 'echo', body, headers: { ...headers, 'Content-Type': type } };
  }
  const xml = { ...headers, 'Content-Type': 'application/xml' };
  paths['/sitemap.xml'] = { kind: 'echo', headers: xml, body: sitemapIndex(now) };
  for (const n of [1, 2] as const) paths[`/sitemaps/sitemap_${n}.xml`] = { kind: 'echo', headers: xml, body: sitemap(n, now) };
  return { kind: 'by-path', paths, otherwise: { kind: 'status', status: 404, headers } };
}

/** The page a crawled file was saved from: `index.html` → `/`, `a/index.html` → `/a/`, `a.html` → `/a`, `a.csv` → `/a.csv`. */
export function pagePath(file: string): string {
  if (file === 'index.html') return '/';
  if (file.endsWith('/index.html')) return `/${file.slice(0, -'index.html'.length)}`;
  if (file.endsWith('.html')) return `/${file.slice(0, -'.html'.length)}`;
  return `/${file}`;
}

function sitemapIndex(now: Date): string {
  const entries = [1, 2].map((n) => `  <sitemap><loc>https://www.gov.uk/sitemaps/sitemap_${n}.xml</loc><lastmod>${now.toISOString()}</lastmod></sitemap>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${entries.join('\n')}\n</sitemapindex>\n`;
}

function sitemap(n: 1 | 2, now: Date): string {
  const entries = SITEMAP_PAGES.filter((p) => p.sitemap === n).map(
    (p) => `  <url><loc>https://www.gov.uk${p.path}</loc><lastmod>${new Date(now.getTime() - p.changedHoursAgo * HOUR).toISOString()}</lastmod></url>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${entries.join('\n')}\n</urlset>\n`;
}

function missing(key: string, where: string): never {
  throw new Error(`${where} has no ${key}`);
}
