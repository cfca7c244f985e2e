/** `freshness --marker` against the real service in the local runtime, reading the sync marker from stub buckets. */
import { utimes } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MIRRORS } from '../src/core/backends.ts';
import type { FreshnessReport } from './freshness.ts';
import { runCli, startWorld, type World } from './test-world.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const MARKER = 'www.gov.uk/mirror-last-sync.json';
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});
beforeEach(async () => {
  for (const mirror of MIRRORS) await world.buckets[mirror].write(MARKER, JSON.stringify({ synced_at: hoursAgo(3) }));
});

async function freshness(...args: string[]) {
  const run = await runCli(['freshness', '--service', world.service, ...(args.includes('--marker') ? [] : ['--marker', '/mirror-last-sync.json']), ...args], { now: NOW });
  return { ...run, report: args.includes('--json') ? (JSON.parse(run.stdout) as FreshnessReport) : undefined };
}

describe('freshness --marker', () => {
  it('every mirror synced recently: exit 0, with each age', async () => {
    const run = await freshness();

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Sync marker ${world.service}/mirror-last-sync.json, max age 1d, checked at 2026-11-21T12:00:00.000Z`);
    for (const mirror of MIRRORS) expect(run.stdout).toMatch(new RegExp(`^${mirror}\\s+200\\s+2026-11-21T09:00:00.000Z\\s+3h\\s+synced_at\\s+fresh$`, 'm'));
    expect(run.stdout).toContain('OK: all 3 mirrors synced within 1d.');
  });

  it('a stale mirror: exit 1, naming it', async () => {
    await world.buckets.mirrorS3Replica.write(MARKER, JSON.stringify({ synced_at: hoursAgo(30) }));
    const run = await freshness();

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^mirrorS3Replica\s+200\s+2026-11-20T06:00:00.000Z\s+1d 6h\s+synced_at\s+STALE$/m);
    expect(run.stdout).toContain('PROBLEM: mirrorS3Replica not synced within 1d.');
  });

  it('--max-age sets the limit', async () => {
    expect((await freshness('--max-age', '2h')).code).toBe(1);
    expect((await freshness('--max-age', '4h')).code).toBe(0);
  });

  it('a missing marker is unreadable: exit 1, with what the bucket said', async () => {
    await world.buckets.mirrorGCS.remove(MARKER);
    const { code, report } = await freshness('--json');

    expect(code).toBe(1);
    expect(report?.mirrors.find((m) => m.mirror === 'mirrorGCS')).toEqual({
      mirror: 'mirrorGCS',
      state: 'unreadable',
      status: 404,
      syncedAt: null,
      source: null,
      ageMs: null,
      note: 'no marker: 404 from mirrorGCS (NoSuchKey: The specified key does not exist)',
    });
    expect(report?.summary).toBe('PROBLEM: sync marker unreadable on mirrorGCS.');
  });

  it('--format prometheus: an unreadable marker is one object compared and one read error, stale, with no lag', async () => {
    await world.buckets.mirrorGCS.remove(MARKER);
    const run = await freshness('--format', 'prometheus');

    expect(run.code).toBe(1);
    const samples = run.stdout.split('\n').filter((line) => line.startsWith('govuk_failover_mirror_'));
    for (const mirror of MIRRORS) {
      const unreadable = mirror === 'mirrorGCS';
      expect(samples).toContain(`govuk_failover_mirror_pages_compared{mirror="${mirror}"} 1`);
      expect(samples).toContain(`govuk_failover_mirror_read_errors{mirror="${mirror}"} ${unreadable ? 1 : 0}`);
      expect(samples).toContain(`govuk_failover_mirror_stale{mirror="${mirror}"} ${unreadable ? 1 : 0}`);
      if (unreadable) expect(samples.filter((l) => l.startsWith(`govuk_failover_mirror_lag_seconds{mirror="${mirror}"}`))).toEqual([]);
      else expect(samples).toContain(`govuk_failover_mirror_lag_seconds{mirror="${mirror}"} 10800`);
    }
  });

  it('a mirror that cannot be reached is unreadable, with the service message', async () => {
    await world.stubs.mirrorS3.setBehaviour({ kind: 'refuse' });
    try {
      const { code, report } = await freshness('--json');
      expect(code).toBe(1);
      expect(report?.mirrors[0]).toMatchObject({ mirror: 'mirrorS3', state: 'unreadable', status: 502 });
      expect(report?.mirrors[0]?.note).toMatch(/^no marker: 502 from error \(Backend-Override: mirrorS3 connection-error after \d+ ms/);
    } finally {
      await world.stubs.mirrorS3.setBehaviour(world.bucketBehaviour('mirrorS3'));
    }
  });

  it('a marker without synced_at falls back to Last-Modified', async () => {
    await world.buckets.mirrorS3.write(MARKER, '{}');
    const synced = new Date(NOW.getTime() - 26 * 3_600_000);
    await utimes(world.buckets.mirrorS3.filePath(MARKER), synced, synced);
    const { code, report } = await freshness('--json');

    expect(code).toBe(1);
    expect(report?.mirrors[0]).toMatchObject({ mirror: 'mirrorS3', state: 'stale', source: 'Last-Modified', syncedAt: synced.toISOString(), ageMs: 26 * 3_600_000 });
  });

  it('--marker reads another object', async () => {
    for (const mirror of MIRRORS) await world.buckets[mirror].write('www.gov.uk/sync/done.txt', JSON.stringify({ synced_at: hoursAgo(1) }));
    const { code, report } = await freshness('--marker', '/sync/done.txt', '--json');

    expect(code).toBe(0);
    expect(report?.url).toBe(`${world.service}/sync/done.txt`);
    expect(report?.mirrors.map((m) => m.ageMs)).toEqual([3_600_000, 3_600_000, 3_600_000]);
  });
});
