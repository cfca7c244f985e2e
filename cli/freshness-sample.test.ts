/**
 * `freshness` without a marker against the real service in the local runtime:
 * origin a stub site with a sitemap whose lastmods are hours before a fixed
 * "now", each mirror a bucket holding the copies of some sync time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MirrorName, MIRRORS } from '../src/core/backends.ts';
import type { LagReport } from './freshness-sample.ts';
import { runCli, site, type SitePage, startWorld, type World } from './test-world.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const HOUR = 3_600_000;
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * HOUR).toISOString();

/** Each page: when it last changed, and which mirrors hold an older copy or none. */
const PAGES: readonly { path: string; changedHoursAgo: number; old?: readonly MirrorName[]; none?: readonly MirrorName[] }[] = [
  { path: '/s/an-hour-ago', changedHoursAgo: 1 },
  { path: '/s/three-hours-ago', changedHoursAgo: 3, old: ['mirrorS3Replica', 'mirrorGCS'] },
  { path: '/s/thirty-hours-ago', changedHoursAgo: 30, none: ['mirrorGCS'] },
  { path: '/s/two-days-ago', changedHoursAgo: 50 },
];
const html = (path: string, version: string) => `<html><head><title>${path}</title></head><body><h1>${path}</h1><p>${version}</p></body></html>`;
const urlset = (dated: boolean) =>
  `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${PAGES.map(
    (p) => `<url><loc>https://www.gov.uk${p.path}</loc>${dated ? `<lastmod>${hoursAgo(p.changedHoursAgo)}</lastmod>` : ''}</url>`,
  ).join('')}</urlset>`;

let world: World;
beforeAll(async () => {
  const pages: Record<string, SitePage> = { '/sitemap.xml': { type: 'application/xml', body: urlset(true) }, '/undated/sitemap.xml': { type: 'application/xml', body: urlset(false) } };
  for (const p of PAGES) pages[p.path] = { body: html(p.path, 'Current version.') };
  world = await startWorld({ origin: site(pages) });
  for (const p of PAGES) {
    for (const mirror of MIRRORS) {
      if (p.none?.includes(mirror)) continue;
      await world.buckets[mirror].write(`www.gov.uk${p.path}.html`, html(p.path, p.old?.includes(mirror) ? 'Previous version.' : 'Current version.'));
    }
  }
});
afterAll(async () => {
  await world?.close();
});

async function freshness(...args: string[]) {
  const run = await runCli(['freshness', '--service', world.service, ...args], { now: NOW });
  return { ...run, report: args.includes('--json') ? (JSON.parse(run.stdout) as LagReport) : undefined };
}

describe('freshness without a marker: each mirror’s lag from the sitemap', () => {
  it('lag is the age of the oldest change a mirror lacks; over --max-age is STALE: exit 1', async () => {
    const { code, report } = await freshness('--json');

    expect(code).toBe(1);
    expect(report?.sample).toEqual({ pages: 4, newest: hoursAgo(1), oldest: hoursAgo(50), listed: 4, sitemaps: 1 });
    const [s3, replica, gcs] = report?.mirrors ?? [];
    expect(s3).toEqual({ mirror: 'mirrorS3', state: 'up-to-date', lagMs: null, compared: 4, behind: [], errors: [] });
    expect(replica).toEqual({
      mirror: 'mirrorS3Replica',
      state: 'behind',
      lagMs: 3 * HOUR,
      compared: 4,
      behind: [{ path: '/s/three-hours-ago', lastmod: hoursAgo(3), ageMs: 3 * HOUR, state: 'drifted' }],
      errors: [],
    });
    expect(gcs).toMatchObject({ mirror: 'mirrorGCS', state: 'stale', lagMs: 30 * HOUR });
    expect(gcs?.behind.map((b) => [b.path, b.state])).toEqual([
      ['/s/thirty-hours-ago', 'missing'],
      ['/s/three-hours-ago', 'drifted'],
    ]);
    expect(report?.summary).toBe('PROBLEM: mirrorGCS is 1d 6h behind (more than 1d).');
  });

  it('--max-age sets the limit: every lag within 2d is exit 0', async () => {
    const { code, report } = await freshness('--max-age', '2d', '--json');
    expect(code).toBe(0);
    expect(report?.mirrors.map((m) => m.state)).toEqual(['up-to-date', 'behind', 'behind']);
    expect(report?.summary).toBe('OK: every mirror is within 2d of the sampled changes.');
  });

  it('the table, and the pages each mirror lacks', async () => {
    const run = await freshness();

    expect(run.stdout).toContain(`Mirror lag from 4 recently changed pages of ${world.service}/sitemap.xml (lastmod ${hoursAgo(50)} to ${hoursAgo(1)}), max age 1d, checked at 2026-11-21T12:00:00.000Z`);
    expect(run.stdout).toMatch(/^mirrorS3\s+-\s+0\s+4\s+0\s+up to date with the sample$/m);
    expect(run.stdout).toMatch(/^mirrorS3Replica\s+3h\s+1\s+4\s+0\s+behind, within the limit$/m);
    expect(run.stdout).toMatch(/^mirrorGCS\s+1d 6h\s+2\s+4\s+0\s+STALE$/m);
    expect(run.stdout).toMatch(/mirrorGCS lacks the latest change of:\n {2}\/s\/thirty-hours-ago\s+1d 6h ago\s+2026-11-20T06:00:00.000Z\s+missing\n {2}\/s\/three-hours-ago\s+3h ago\s+2026-11-21T09:00:00.000Z\s+drifted\n/);
  });

  it('a mirror that cannot be read for a page: listed, its lag from the rest, exit 1', async () => {
    await world.stubs.mirrorS3.setBehaviour({ kind: 'by-path', paths: { '/www.gov.uk/s/an-hour-ago.html': { kind: 'hang' } }, otherwise: world.bucketBehaviour('mirrorS3') });
    try {
      const { code, report } = await freshness('--max-age', '2d', '--timeout', '1s', '--json');
      expect(code).toBe(1);
      expect(report?.mirrors[0]).toMatchObject({ mirror: 'mirrorS3', state: 'up-to-date', compared: 3, errors: [{ path: '/s/an-hour-ago', reason: expect.stringMatching(/^no answer: no answer from .* within 1s/) }] });
      expect(report?.summary).toBe('PROBLEM: mirrorS3: 1 sampled page could not be read.');
    } finally {
      await world.stubs.mirrorS3.setBehaviour(world.bucketBehaviour('mirrorS3'));
    }
  });

  it('a sitemap without lastmod gives nothing to measure by: exit 1, pointing to --marker', async () => {
    const undated = await startWorld({ origin: site({ '/sitemap.xml': { type: 'application/xml', body: urlset(false) } }) });
    try {
      const run = await runCli(['freshness', '--service', undated.service], { now: NOW });
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('govuk-failover: /sitemap.xml gives no page a <lastmod>, so there is nothing to measure lag by; use --marker to read a sync marker instead\n');
    } finally {
      await undated.close();
    }
  });

  it('no sitemap: exit 1, saying what origin answered', async () => {
    const none = await startWorld({ origin: site({}) });
    try {
      const run = await runCli(['freshness', '--service', none.service], { now: NOW });
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('govuk-failover: /sitemap.xml (Backend-Override: origin): 404\n');
    } finally {
      await none.close();
    }
  });
});
