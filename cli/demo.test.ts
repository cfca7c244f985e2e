/**
 * The `npm start` world (demo/demo-world.ts) under drift and freshness, in the
 * local runtime: what docs/operations.md's transcripts show stays true.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIRRORS } from '../src/core/backends.ts';
import { liveSite, mirrorBehaviour, mirrorFiles, readTree, SITEMAP_PAGES } from '../demo/demo-world.ts';
import type { DriftReport } from './drift.ts';
import type { LagReport } from './freshness-sample.ts';
import { runCli, startWorld, type World } from './test-world.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const DEMO = resolve(import.meta.dirname, '../demo');

let world: World;
beforeAll(async () => {
  const [crawl, older] = await Promise.all([readTree(`${DEMO}/mirror`), readTree(`${DEMO}/older`)]);
  world = await startWorld({ origin: liveSite(crawl, NOW, { 'Cache-Control': 'private' }) });
  for (const mirror of MIRRORS) {
    for (const [key, bytes] of Object.entries(mirrorFiles(crawl, older, mirror))) await world.buckets[mirror].write(key, bytes);
    await world.stubs[mirror].setBehaviour(mirrorBehaviour(mirror, world.bucketBehaviour(mirror)));
  }
});
afterAll(async () => {
  await world?.close();
});

describe('the demo world', () => {
  it('drift --sitemap shows every outcome: same, drifted, missing and error', async () => {
    const run = await runCli(['drift', '--sitemap', '--service', world.service, '--json'], { now: NOW });
    const report = JSON.parse(run.stdout) as DriftReport;

    expect(run.code).toBe(1);
    expect(report.pages).toBe(SITEMAP_PAGES.length);
    expect(report.mirrors.mirrorS3).toMatchObject({ compared: SITEMAP_PAGES.length, same: SITEMAP_PAGES.length });
    expect(report.mirrors.mirrorS3Replica.drifted.map((d) => [d.path, d.origin, d.mirror])).toEqual([
      ['/guidance/cost-of-living-payment', '…will be made between 6 and 22 February 2027 to people…', '…will be made in spring 2027 to people on means-tested benefits.…'],
    ]);
    expect(report.mirrors.mirrorS3Replica.errors.map((e) => [e.path, e.reason])).toEqual([
      ['/government/organisations', '500 from mirrorS3Replica (InternalError: We encountered an internal error. Please try again)'],
    ]);
    expect(report.mirrors.mirrorGCS.missing.map((m) => [m.path, m.status])).toEqual([['/government/news/new-state-pension-rates', 404]]);
    expect(report.summary).toBe('PROBLEM: mirrorS3Replica: 1 drifted, 1 error; mirrorGCS: 1 missing.');
  });

  it('freshness: mirrorS3 up to date, mirrorS3Replica 3h behind, mirrorGCS 30h behind and STALE', async () => {
    const run = await runCli(['freshness', '--service', world.service, '--json'], { now: NOW });
    const report = JSON.parse(run.stdout) as LagReport;

    expect(run.code).toBe(1);
    expect(report.mirrors.map((m) => [m.mirror, m.state, m.lagMs === null ? null : m.lagMs / 3_600_000])).toEqual([
      ['mirrorS3', 'up-to-date', null],
      ['mirrorS3Replica', 'behind', 3],
      ['mirrorGCS', 'stale', 30],
    ]);
  });
});
