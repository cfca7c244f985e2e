/**
 * The `npm start` world (demo/demo-world.ts) under drift and freshness, in the
 * local runtime: what docs/operations.md's transcripts show stays true.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIRRORS } from '../src/core/backends.ts';
import { liveSite, mirrorBehaviour, mirrorFiles, readTree, SITEMAP_PAGES } from '../demo/demo-world.ts';
import type { DriftReport } from './drift.ts';
import type { LagReport } from './freshness-sample.ts';
import { runCli, startWorld, type World } from './test-world.ts';
import { findPromtool, runPromtool } from '../test/support/promtool.ts';

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

/** The exposition text read back by a real parser: family → (label set → value). */
function readMetrics(text: string): Map<string, Map<string, number>> {
  const families = parsePrometheusTextFormat(text);
  return new Map(
    families.map((f) => [f.name, new Map(f.metrics.map((m) => [Object.entries(m.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','), Number(m.value)]))]),
  );
}

const promtool = findPromtool();

/** promtool's own parser and linter over the text, where the pinned promtool is here. */
function lintedByPromtool(text: string): void {
  if (!promtool.available) {
    if (process.env.CI === 'true') throw new Error(`CI=true and ${promtool.reason}`);
    return;
  }
  const { status, output } = runPromtool(promtool.path, ['check', 'metrics'], { input: text });
  expect(status, output).toBe(0);
}

describe('the demo world as Prometheus metrics (--format prometheus, --push)', () => {
  it('drift: per mirror, the pages compared, same, drifted, missing and unreadable, and when it ran', async () => {
    const run = await runCli(['drift', '--sitemap', '--service', world.service, '--format', 'prometheus'], { now: NOW });
    expect(run.code).toBe(1);
    lintedByPromtool(run.stdout);
    const metrics = readMetrics(run.stdout);
    const perMirror = (name: string) => Object.fromEntries([...metrics.get(name)!].map(([labels, value]) => [labels.replace('mirror=', ''), value]));
    const n = SITEMAP_PAGES.length;
    expect(perMirror('govuk_failover_mirror_pages_compared')).toEqual({ mirrorS3: n, mirrorS3Replica: n, mirrorGCS: n });
    expect(perMirror('govuk_failover_mirror_pages_same')).toEqual({ mirrorS3: n, mirrorS3Replica: n - 2, mirrorGCS: n - 1 });
    expect(perMirror('govuk_failover_mirror_pages_drifted')).toEqual({ mirrorS3: 0, mirrorS3Replica: 1, mirrorGCS: 0 });
    expect(perMirror('govuk_failover_mirror_pages_missing')).toEqual({ mirrorS3: 0, mirrorS3Replica: 0, mirrorGCS: 1 });
    expect(perMirror('govuk_failover_mirror_read_errors')).toEqual({ mirrorS3: 0, mirrorS3Replica: 1, mirrorGCS: 0 });
    expect(metrics.get('govuk_failover_check_timestamp_seconds')).toEqual(new Map([['check=drift', NOW.getTime() / 1000]]));
    expect(run.stdout).toMatch(/^# HELP govuk_failover_mirror_pages_compared .+\n# TYPE govuk_failover_mirror_pages_compared gauge\n/);
  });

  it('freshness: the lag in seconds and whether it is stale, per mirror', async () => {
    const run = await runCli(['freshness', '--service', world.service, '--format', 'prometheus'], { now: NOW });
    expect(run.code).toBe(1);
    lintedByPromtool(run.stdout);
    const metrics = readMetrics(run.stdout);
    expect(metrics.get('govuk_failover_mirror_lag_seconds')).toEqual(new Map([['mirror=mirrorS3', 0], ['mirror=mirrorS3Replica', 3 * 3600], ['mirror=mirrorGCS', 30 * 3600]]));
    expect(metrics.get('govuk_failover_mirror_stale')).toEqual(new Map([['mirror=mirrorS3', 0], ['mirror=mirrorS3Replica', 0], ['mirror=mirrorGCS', 1]]));
    expect(metrics.get('govuk_failover_check_timestamp_seconds')).toEqual(new Map([['check=freshness', NOW.getTime() / 1000]]));
  });

  it("check: GOV.UK's govuk_mirror_response_status_code for each backend", async () => {
    const run = await runCli(['check', '/government/news/new-state-pension-rates', '--service', world.service, '--format', 'prometheus'], { now: NOW });
    lintedByPromtool(run.stdout);
    expect(readMetrics(run.stdout).get('govuk_mirror_response_status_code')).toEqual(
      new Map([['backend=origin', 200], ['backend=mirrorS3', 200], ['backend=mirrorS3Replica', 200], ['backend=mirrorGCS', 404]]),
    );
  });

  it('--push puts the same metrics to the Pushgateway, one group per check, as job govuk_failover', async () => {
    const pushes: { method: string; url: string; contentType: string; body: string }[] = [];
    const gateway = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        pushes.push({ method: req.method!, url: req.url!, contentType: String(req.headers['content-type']), body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((ready) => gateway.listen(0, '127.0.0.1', ready));
    try {
      const base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
      const printed = await runCli(['freshness', '--service', world.service, '--format', 'prometheus'], { now: NOW });
      const run = await runCli(['freshness', '--service', world.service, '--push', base], { now: NOW });
      expect(run.code, 'the push worked; the check still found a stale mirror').toBe(1);
      expect(run.stdout, 'the table, as without --push').toContain('mirrorGCS');
      expect(pushes).toEqual([{ method: 'PUT', url: '/metrics/job/govuk_failover/check/freshness', contentType: 'text/plain; version=0.0.4; charset=utf-8', body: printed.stdout }]);
    } finally {
      await new Promise<void>((done) => gateway.close(() => done()));
    }
  });

  it('a Pushgateway that cannot be reached is named, and the run exits 1', async () => {
    const closed = createServer();
    await new Promise<void>((ready) => closed.listen(0, '127.0.0.1', ready));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    const run = await runCli(['drift', '/browse/benefits', '--service', world.service, '--push', `http://127.0.0.1:${port}`], { now: NOW });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`could not push to the Pushgateway at http://127.0.0.1:${port}/metrics/job/govuk_failover/check/drift`);
  });
});

describe('drift --pages-from-log on the demo world', () => {
  it('compares the most requested 2xx pages of the log files (gzipped or not), leaving out assets, API and search', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'demo-log-'));
    try {
      const line = (url: string, status = 200) => JSON.stringify({ url, status });
      await writeFile(
        join(dir, 'today.json'),
        [line('/browse/benefits'), line('/browse/benefits?utm=x'), line('/government/news/new-state-pension-rates'), line('/assets/app.css'), line('/search/all'), line('/gone', 404)].join('\n'),
      );
      await writeFile(join(dir, 'yesterday.json.gz'), gzipSync([line('/government/news/new-state-pension-rates'), line('/government/news/new-state-pension-rates'), line('/api/x')].join('\n')));
      const run = await runCli(['drift', '--pages-from-log', join(dir, 'today.json'), join(dir, 'yesterday.json.gz'), '--service', world.service, '--json'], { now: NOW });
      const report = JSON.parse(run.stdout) as DriftReport;
      expect(report.pages).toBe(2);
      expect(report.source).toBe('the 2 most requested pages of 5 2xx requests in 2 log files (4 left out: other statuses, assets, API, search; 0 lines unreadable)');
      expect(report.mirrors.mirrorGCS.missing.map((m) => m.path)).toEqual(['/government/news/new-state-pension-rates']);
      expect(report.mirrors.mirrorS3).toMatchObject({ compared: 2, same: 2 });
      expect(run.code).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a log with no 2xx page says so, and a missing file is a usage error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'demo-log-'));
    try {
      await writeFile(join(dir, 'errors.json'), JSON.stringify({ url: '/x', status: 503 }));
      const empty = await runCli(['drift', '--pages-from-log', join(dir, 'errors.json'), '--service', world.service], { now: NOW });
      expect(empty.code).toBe(1);
      expect(empty.stderr).toContain('the log files hold no 2xx page to compare (1 line read: 1 left out, 0 not log lines with url and status)');
      const missing = await runCli(['drift', '--pages-from-log', join(dir, 'nope.json'), '--service', world.service], { now: NOW });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(`--pages-from-log ${JSON.stringify(join(dir, 'nope.json'))} cannot be read (ENOENT)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
