/**
 * How long `drift --sitemap` takes for 200 pages × 4 backends (800 requests
 * through the service), on this machine, against the local runtime with stub
 * backends on 127.0.0.1:
 *
 *   npx tsx cli/drift-bench.ts [--pages 200] [--runs 3] [--page-kb 40]
 *
 * The world (service and stubs) runs in this process; the CLI runs as a real
 * `node cli/bin.js` child process, as on-call staff run it. Each page is a
 * GOV.UK-sized HTML page (about --page-kb KiB); the mirrors hold copies with
 * other nonces and tokens, so every comparison parses both sides. Prints,
 * per --concurrency, the median wall time of --runs runs, and the CLI's own
 * start-up (`--help`) for comparison. Figures are for this machine only.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MIRRORS } from '../src/core/backends.ts';
import type { DriftReport } from './drift.ts';
import { site, type SitePage, startWorld } from './test-world.ts';

const BIN = fileURLToPath(new URL('./bin.js', import.meta.url));
const CONCURRENCIES = [1, 8, 32];

const { values } = parseArgs({ options: { pages: { type: 'string', default: '200' }, runs: { type: 'string', default: '3' }, 'page-kb': { type: 'string', default: '40' } } });
const PAGES = Number(values.pages);
const RUNS = Number(values.runs);
const PAGE_KB = Number(values['page-kb']);

function pageHtml(i: number, nonce: string): string {
  const para = `<p>Paragraph about benefit ${i}: eligibility, how to claim, appeals and what happens next. </p>\n`;
  const paras = para.repeat(Math.max(1, Math.round((PAGE_KB * 1024) / para.length)));
  return `<!DOCTYPE html><html lang="en"><head><title>Page ${i} - GOV.UK</title><script nonce="${nonce}">window.t="${nonce}"</script></head><body><main><h1>Page ${i}</h1>\n${paras}</main></body></html>`;
}

function runCli(args: readonly string[]): Promise<{ ms: number; code: number; stdout: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ ms: performance.now() - started, code, stdout });
    });
  });
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const now = Date.now();
  const pages: Record<string, SitePage> = {};
  const urls: string[] = [];
  for (let i = 0; i < PAGES; i++) {
    pages[`/bench/page-${i}`] = { body: pageHtml(i, `live-${i}`) };
    urls.push(`<url><loc>https://www.gov.uk/bench/page-${i}</loc><lastmod>${new Date(now - i * 60_000).toISOString()}</lastmod></url>`);
  }
  pages['/sitemap.xml'] = { type: 'application/xml', body: `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls.join('')}</urlset>` };
  const world = await startWorld({ origin: site(pages) });
  try {
    for (const mirror of MIRRORS) for (let i = 0; i < PAGES; i++) await world.buckets[mirror].write(`www.gov.uk/bench/page-${i}.html`, pageHtml(i, `crawl-${i}`));
    const startups: number[] = [];
    for (let r = 0; r < 3; r++) startups.push((await runCli(['--help'])).ms);
    const startup = median(startups);
    process.stdout.write(`drift --sitemap --limit ${PAGES}: ${PAGES} pages × 4 backends = ${PAGES * 4} requests, pages of ~${PAGE_KB} KiB, median of ${RUNS} runs\n\n`);
    process.stdout.write(`${'concurrency'.padEnd(12)}${'median'.padStart(10)}${'min'.padStart(10)}${'max'.padStart(10)}${'pages/s'.padStart(10)}\n`);
    for (const concurrency of CONCURRENCIES) {
      const times: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const run = await runCli(['drift', '--sitemap', '--limit', String(PAGES), '--service', world.service, '--concurrency', String(concurrency), '--json']);
        const report = JSON.parse(run.stdout) as DriftReport;
        if (run.code !== 0 || report.pages !== PAGES || MIRRORS.some((m) => report.mirrors[m].same !== PAGES)) throw new Error(`unexpected drift result: exit ${run.code}, ${report.summary}`);
        times.push(run.ms);
      }
      const m = median(times);
      process.stdout.write(`${String(concurrency).padEnd(12)}${`${(m / 1000).toFixed(2)} s`.padStart(10)}${`${(Math.min(...times) / 1000).toFixed(2)} s`.padStart(10)}${`${(Math.max(...times) / 1000).toFixed(2)} s`.padStart(10)}${(PAGES / (m / 1000)).toFixed(0).padStart(10)}\n`);
    }
    process.stdout.write(`\nCLI start-up alone (node cli/bin.js --help, median of 3): ${(startup / 1000).toFixed(2)} s\n`);
  } finally {
    await world.close();
  }
}

await main();
