/**
 * `drift` against the real service in the local runtime: origin a stub site
 * with real pages, each mirror a stub bucket of its own. Each test uses its
 * own paths, so what one test puts in the buckets never answers another.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MirrorName, MIRRORS } from '../src/core/backends.ts';
import { type Behaviour, type BucketDir, makeBucketDir } from '../stubs/index.ts';
import type { DriftReport } from './drift.ts';
import { runCli, site, type SitePage, startWorld, type World } from './test-world.ts';

/** A GOV.UK-like page: its words, and the per-request parts a reader never sees. */
function page(title: string, text: string, live: { nonce: string; asset: string; token: string }): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${title} - GOV.UK</title>
<link rel="stylesheet" href="/assets/application-${live.asset}.css">
<script nonce="${live.nonce}">window.GOVUK = {"token": "${live.token}"};</script>
<style nonce="${live.nonce}">.x{color:red}</style></head>
<body><!-- rendered by frontend-${live.asset} --><header><a href="/?t=${live.token}">GOV.UK</a></header>
<main><h1>${title}</h1><p>${text}</p>
<form><input type="hidden" name="authenticity_token" value="${live.token}"></form>
<template><p>Cookie banner ${live.token}</p></template></main></body></html>
`;
}
const LIVE = { nonce: 'n0nceL1ve', asset: '3f9a2c', token: 'tok-live-123' };
const CRAWLED = { nonce: 'n0nceCr4wl', asset: '77b1e0', token: 'tok-crawl-456' };

let world: World;
let sitePages: Record<string, SitePage | string> = {};
let otherPaths: Record<string, Behaviour> = {};
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});

/** Origin serves these pages (added to those set before), and `others` as they behave; everything else is a 404. */
async function originServes(pages: Record<string, SitePage | string>, others: Record<string, Behaviour> = {}): Promise<void> {
  sitePages = { ...sitePages, ...pages };
  otherPaths = { ...otherPaths, ...others };
  const pagesSite = site(sitePages);
  if (pagesSite.kind !== 'by-path') throw new Error('site() gives a by-path behaviour');
  await world.stubs.origin.setBehaviour({ ...pagesSite, paths: { ...pagesSite.paths, ...otherPaths } });
}

/** Puts the object `key` (under www.gov.uk/) into the given mirrors. */
async function mirrorsHold(key: string, body: string | Uint8Array, mirrors: readonly MirrorName[] = MIRRORS): Promise<void> {
  for (const mirror of mirrors) await world.buckets[mirror].write(`www.gov.uk/${key}`, body);
}

async function drift(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; report: DriftReport }> {
  const run = await runCli(['drift', '--service', world.service, '--json', ...args]);
  return { ...run, report: JSON.parse(run.stdout || 'null') as DriftReport };
}

describe('drift: HTML by its visible text', () => {
  it('nonces, tokens, asset fingerprints, comments and white space are not drift: same everywhere, exit 0', async () => {
    await originServes({ '/nonce-only': page('Benefits', 'Includes  eligibility,\n appeals and Universal Credit.', LIVE) });
    await mirrorsHold('nonce-only.html', page('Benefits', 'Includes eligibility, appeals and Universal Credit.', CRAWLED));
    const { code, report } = await drift('/nonce-only');

    expect(code).toBe(0);
    for (const mirror of MIRRORS) expect(report.mirrors[mirror]).toEqual({ compared: 1, same: 1, drifted: [], missing: [], errors: [] });
    expect(report.summary).toBe('OK: all 1 page the same on every mirror.');
  });

  it('changed text is drift, with the first words that differ: exit 1', async () => {
    await originServes({ '/changed': page('Benefits', 'Rates change from 6 April 2027: see the new table.', LIVE) });
    await mirrorsHold('changed.html', page('Benefits', 'Rates change from 6 April 2027: see the new table.', CRAWLED), ['mirrorS3', 'mirrorGCS']);
    await mirrorsHold('changed.html', page('Benefits', 'Rates change from 7 April 2026: see the old table.', CRAWLED), ['mirrorS3Replica']);
    const { code, report } = await drift('/changed');

    expect(code).toBe(1);
    expect(report.mirrors.mirrorS3Replica.drifted).toEqual([
      { path: '/changed', by: 'visible text', origin: '…Rates change from 6 April 2027: see the new table.', mirror: '…Rates change from 7 April 2026: see the old table.', wordIndex: 8 },
    ]);
    expect(report.mirrors.mirrorS3.same).toBe(1);
    expect(report.summary).toBe('PROBLEM: mirrorS3Replica: 1 drifted.');

    const text = await runCli(['drift', '/changed', '--service', world.service]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^mirrorS3Replica\s+1\s+0\s+1\s+0\s+0$/m);
    expect(text.stdout).toContain(
      ['mirrorS3Replica drifted:', '  /changed  by visible text', '    origin:           …Rates change from 6 April 2027: see the new table.', '    mirrorS3Replica:  …Rates change from 7 April 2026: see the old table.'].join('\n'),
    );
  });
});

describe('drift: missing, errors and pages origin does not have', () => {
  it('a 404 (GCS) or 403 (S3) for the object is missing, with what the bucket said', async () => {
    await originServes({ '/only-in-s3': page('New page', 'Published this morning.', LIVE) });
    await mirrorsHold('only-in-s3.html', page('New page', 'Published this morning.', CRAWLED), ['mirrorS3']);
    const { code, report } = await drift('/only-in-s3');

    expect(code).toBe(1);
    expect(report.mirrors.mirrorGCS.missing).toEqual([{ path: '/only-in-s3', status: 404, reason: '404 from mirrorGCS (NoSuchKey: The specified key does not exist)' }]);
    expect(report.mirrors.mirrorS3Replica.missing).toEqual([{ path: '/only-in-s3', status: 403, reason: '403 from mirrorS3Replica (AccessDenied: Access Denied)' }]);
    expect(report.summary).toBe('PROBLEM: mirrorS3Replica: 1 missing; mirrorGCS: 1 missing.');
  });

  it('a mirror that does not answer in time is an error naming the timeout; the others are still judged', async () => {
    await originServes({ '/slow-mirror': page('Slow', 'Words.', LIVE) });
    await mirrorsHold('slow-mirror.html', page('Slow', 'Words.', CRAWLED));
    await world.stubs.mirrorS3Replica.setBehaviour({ kind: 'hang' });
    try {
      const { code, report } = await drift('/slow-mirror', '--timeout', '1s');
      expect(code).toBe(1);
      expect(report.mirrors.mirrorS3Replica.errors).toEqual([{ path: '/slow-mirror', status: null, reason: expect.stringMatching(/^no answer: no answer from 127\.0\.0\.1:\d+ within 1s \(--timeout\)\./) }]);
      expect(report.mirrors.mirrorS3.same + report.mirrors.mirrorGCS.same).toBe(2);
      expect(report.summary).toBe('PROBLEM: mirrorS3Replica: 1 error.');
    } finally {
      await world.stubs.mirrorS3Replica.setBehaviour(world.bucketBehaviour('mirrorS3Replica'));
    }
  });

  it('a bucket fault (500) is an error, not missing', async () => {
    await originServes({ '/bucket-fault': page('Fault', 'Words.', LIVE) });
    await mirrorsHold('bucket-fault.html', page('Fault', 'Words.', CRAWLED));
    await world.stubs.mirrorGCS.setBehaviour({ kind: 'by-path', paths: { '/www.gov.uk/bucket-fault.html': { kind: 'status', status: 500 } }, otherwise: world.bucketBehaviour('mirrorGCS') });
    try {
      const { report } = await drift('/bucket-fault');
      expect(report.mirrors.mirrorGCS.errors).toEqual([{ path: '/bucket-fault', status: 500, reason: '500 from mirrorGCS' }]);
    } finally {
      await world.stubs.mirrorGCS.setBehaviour(world.bucketBehaviour('mirrorGCS'));
    }
  });

  it('a page origin does not have is not compared: exit 1, and no mirror is blamed', async () => {
    await mirrorsHold('gone.html', page('Gone', 'Withdrawn.', CRAWLED));
    const { code, report } = await drift('/gone');

    expect(code).toBe(1);
    expect(report.notCompared).toEqual([{ path: '/gone', status: 404, reason: '404 from origin' }]);
    for (const mirror of MIRRORS) expect(report.mirrors[mirror].compared).toBe(0);
    expect(report.summary).toBe('PROBLEM: 1 page not compared (origin gave no 200 or redirect).');
  });
});

describe('drift: other kinds of page', () => {
  it('non-HTML files byte for byte: a CSV that changed by one byte drifted, with sizes and digests', async () => {
    const csv = 'Organisation,Budget\nHMRC,100\nDWP,200\n';
    await originServes({ '/data/spending.csv': { body: csv, type: 'text/csv' }, '/data/same.csv': { body: csv, type: 'text/csv' } });
    await mirrorsHold('data/same.csv', csv);
    await mirrorsHold('data/spending.csv', csv);
    await mirrorsHold('data/spending.csv', csv.replace('200', '201'), ['mirrorGCS']);
    const { code, report } = await drift('/data/spending.csv', '/data/same.csv');

    expect(code).toBe(1);
    expect(report.mirrors.mirrorS3).toMatchObject({ compared: 2, same: 2 });
    expect(report.mirrors.mirrorGCS.drifted).toEqual([
      { path: '/data/spending.csv', by: 'bytes', origin: expect.stringMatching(/^37 bytes, sha256 [0-9a-f]{12}$/), mirror: expect.stringMatching(/^37 bytes, sha256 [0-9a-f]{12}$/) },
    ]);
    const [drifted] = report.mirrors.mirrorGCS.drifted;
    expect(drifted?.origin).not.toBe(drifted?.mirror);
  });

  it('a redirect at origin matches the crawler’s meta-refresh copy pointing to the same path', async () => {
    await originServes({ '/moved': { body: 'Moved', status: 301, headers: { Location: 'https://www.gov.uk/new-home' } } });
    const refresh = (to: string) => `<!DOCTYPE html><html><head><meta http-equiv="refresh" content="0; url=${to}"></head><body>Redirecting</body></html>`;
    await mirrorsHold('moved.html', refresh('https://www.gov.uk/new-home'), ['mirrorS3', 'mirrorS3Replica']);
    await mirrorsHold('moved.html', refresh('/old-home'), ['mirrorGCS']);
    const { report } = await drift('/moved');

    expect(report.mirrors.mirrorS3).toMatchObject({ compared: 1, same: 1 });
    expect(report.mirrors.mirrorGCS.drifted).toEqual([{ path: '/moved', by: 'redirect', origin: 'redirects to /new-home', mirror: 'redirects to /old-home' }]);
  });
});

describe('drift: where the pages come from', () => {
  const SITEMAP_PAGES = [
    ['/news/oldest', '2026-11-01'],
    ['/news/newest', '2026-11-21T09:30:00+00:00'],
    ['/news/middle', '2026-11-20T12:00:00Z'],
    ['/news/undated', null],
    ['/news/second', '2026-11-21T08:00:00Z'],
  ] as const;
  const urlset = (entries: readonly (readonly [string, string | null])[]) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${entries
      .map(([path, lastmod]) => `<url><loc>https://www.gov.uk${path}</loc>${lastmod ? `<lastmod>${lastmod}</lastmod>` : ''}</url>`)
      .join('')}</urlset>\n`;
  let gzipped: BucketDir;

  beforeAll(async () => {
    // The second sitemap is gzipped bytes, served by a bucket-like stub under the same origin.
    gzipped = await makeBucketDir({ 'sitemaps/sitemap-2.xml.gz': gzipSync(urlset(SITEMAP_PAGES.slice(3))) });
    await originServes(
      {
        '/sitemap.xml': {
          type: 'application/xml',
          body: `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://www.gov.uk/sitemaps/sitemap-1.xml</loc></sitemap><sitemap><loc>https://www.gov.uk/sitemaps/sitemap-2.xml.gz</loc></sitemap></sitemapindex>`,
        },
        '/sitemaps/sitemap-1.xml': { type: 'application/xml', body: urlset(SITEMAP_PAGES.slice(0, 3)) },
        ...Object.fromEntries(SITEMAP_PAGES.map(([path]) => [path, page(path, `The page ${path}.`, LIVE)])),
      },
      { '/sitemaps/sitemap-2.xml.gz': { kind: 'bucket', root: gzipped.root } },
    );
    for (const [path] of SITEMAP_PAGES) await mirrorsHold(`${path.slice(1)}.html`, page(path, `The page ${path}.`, CRAWLED));
  });
  afterAll(async () => {
    otherPaths = {};
    await originServes({});
    await gzipped?.cleanup();
  });

  it('--sitemap follows a sitemap index to its two sitemaps (one gzipped) and takes the newest lastmod first, --limit of them', async () => {
    world.stubs.origin.resetRecording();
    const { code, report } = await drift('--sitemap', '--limit', '3');

    expect(code).toBe(0);
    expect(report.pages).toBe(3);
    expect(report.source).toBe('the 3 most recently changed pages of 5 in 2 sitemaps in /sitemap.xml');
    const asked = world.stubs.origin.requests.map((r) => r.path).filter((p) => p.startsWith('/news/'));
    expect(asked.sort()).toEqual(['/news/middle', '/news/newest', '/news/second']);
  });

  it('--pages-from-log: a logged URL a parser would take for another host is asked of the service, as its path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'govuk-log-'));
    try {
      const file = join(dir, 'cdn.json');
      // What a client sent is what the log holds: `/\\host/…` and `/\t/host/…` are network-path references to a URL parser.
      await writeFile(file, `${JSON.stringify({ url: '/\\evil.example/x', status: 200 })}\n${JSON.stringify({ url: '/\t/evil.example/y', status: 200 })}\n`);
      world.stubs.origin.resetRecording();
      const { report } = await drift('--pages-from-log', file);

      expect(report.pages).toBe(2);
      expect(world.stubs.origin.requests.map((r) => r.path).sort()).toEqual(['//evil.example/x', '//evil.example/y']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--pages reads one path or URL a line, # comments, each page once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'govuk-pages-'));
    try {
      const file = join(dir, 'top-pages.txt');
      await writeFile(file, '# most viewed\n/news/newest\n\nhttps://www.gov.uk/news/oldest   # from analytics\n/news/newest\n');
      world.stubs.origin.resetRecording();
      const { code, report } = await drift('--pages', file);

      expect(code).toBe(0);
      expect(report).toMatchObject({ pages: 2, source: `2 pages from ${file}` });
      expect(world.stubs.origin.requests.map((r) => r.path).sort()).toEqual(['/news/newest', '/news/oldest']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('drift: output', () => {
  beforeAll(async () => {
    await originServes({ '/out/a': page('A', 'Alpha.', LIVE), '/out/b': page('B', 'Bravo.', LIVE) });
    await mirrorsHold('out/a.html', page('A', 'Alpha.', CRAWLED));
    await mirrorsHold('out/b.html', page('B', 'Bravo, changed.', CRAWLED), ['mirrorS3']);
  });

  it('--json is one object: pages, and per mirror compared and same counts and lists of objects with a path', async () => {
    const { code, stdout, stderr, report } = await drift('/out/a', '/out/b');

    expect(code).toBe(1);
    expect(stderr).toBe('');
    expect(stdout.trim().startsWith('{')).toBe(true);
    expect(report.pages).toBe(2);
    expect(Object.keys(report.mirrors)).toEqual([...MIRRORS]);
    for (const mirror of MIRRORS) {
      const m = report.mirrors[mirror];
      expect(m.compared).toBe(m.same + m.drifted.length + m.missing.length + m.errors.length);
      for (const entry of [...m.drifted, ...m.missing, ...m.errors]) expect(typeof entry.path).toBe('string');
    }
    expect(report.mirrors.mirrorS3.drifted.map((d) => d.path)).toEqual(['/out/b']);
    expect(report.mirrors.mirrorGCS.missing.map((d) => d.path)).toEqual(['/out/b']);
  });

  it('no progress output when stderr is not a terminal, nor with --json on one; a bar without --json on one', async () => {
    const piped = await runCli(['drift', '/out/a', '--service', world.service], { tty: false });
    const jsonOnTty = await runCli(['drift', '/out/a', '--service', world.service, '--json'], { tty: true });
    const onTty = await runCli(['drift', '/out/a', '--service', world.service], { tty: true });

    expect([piped.code, jsonOnTty.code, onTty.code]).toEqual([0, 0, 0]);
    expect(piped.stderr).toBe('');
    expect(jsonOnTty.stderr).toBe('');
    expect(onTty.stderr).toContain('comparing pages [');
    expect(onTty.stderr).toContain('] 4/4');
    expect(onTty.stderr.endsWith('\r\x1b[K')).toBe(true);
  });

  it('the table: one row per mirror, then the pages', async () => {
    const run = await runCli(['drift', '/out/a', '/out/b', '--service', world.service]);

    expect(run.stdout).toMatch(new RegExp(`^Drift between origin and each mirror: ${world.service}, 2 pages, in \\d+ ms\n`));
    expect(run.stdout).toMatch(/^mirror\s+compared\s+same\s+drifted\s+missing\s+errors\nmirrorS3\s+2\s+1\s+1\s+0\s+0\nmirrorS3Replica\s+2\s+1\s+0\s+1\s+0\nmirrorGCS\s+2\s+1\s+0\s+1\s+0$/m);
    expect(run.stdout).toContain('mirrorGCS missing:\n  /out/b  404 from mirrorGCS (NoSuchKey: The specified key does not exist)');
    expect(run.stdout).toContain('PROBLEM: mirrorS3: 1 drifted; mirrorS3Replica: 1 missing; mirrorGCS: 1 missing.');
  });
});
