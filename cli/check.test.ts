/**
 * `check` against the real service in the local runtime, with stub origin
 * and stub buckets. Each test uses its own page path, so the edge cache of
 * one test never answers another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIRRORS } from '../src/core/backends.ts';
import type { CheckReport } from './check.ts';
import { runCli, startWorld, type World } from './test-world.ts';

const PAGE = '<h1>Benefits</h1>';

let world: World;
beforeAll(async () => {
  world = await startWorld({ originBody: PAGE });
});
afterAll(async () => {
  await world?.close();
});

/** Puts the page for `path` (no extension) into the given mirrors. */
async function mirrorPage(path: string, mirrors = MIRRORS, body = PAGE): Promise<void> {
  for (const mirror of mirrors) await world.buckets[mirror].write(`www.gov.uk${path}.html`, body);
}

async function checkJson(path: string): Promise<{ code: number; report: CheckReport }> {
  const run = await runCli(['check', path, '--service', world.service, '--json']);
  return { code: run.code, report: JSON.parse(run.stdout) as CheckReport };
}

describe('check', () => {
  it('a page present everywhere: exit 0, one row per request, diagnostics and digests shown', async () => {
    await mirrorPage('/everywhere');
    const run = await runCli(['check', '/everywhere', '--service', world.service]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`GET ${world.service}/everywhere  (mirror object: www.gov.uk/everywhere.html)`);
    const row = (label: string) => run.stdout.split('\n').find((l) => l.startsWith(`${label} `)) ?? '';
    expect(row('(none)')).toMatch(/^\(none\)\s+200\s+\d+ ms\s+17\s.*\bsame\s+origin\s+-\s+0$/);
    expect(row('origin')).toMatch(/^origin\s+200\s.*\(reference\)\s+origin\s+-\s+0$/);
    for (const mirror of MIRRORS) expect(row(mirror)).toMatch(new RegExp(`^${mirror}\\s+200\\s.*\\d{2}:\\d{2}:\\d{2}\\s+[0-9a-f]{12}\\s+same\\s+${mirror}\\s+1\\s+0$`));
    expect(run.stdout).toContain('mirrorGCS;desc="ok 200";dur=');
    expect(run.stdout).toContain('OK: served (200 from origin), and 3 of 3 mirrors have it.');
    expect(run.stderr).toContain('  mirrorS3: 200 in ');
  });

  it('a document the mirrors hold only as its saved redirect: the names asked in turn, and which one served', async () => {
    for (const mirror of MIRRORS) await world.buckets[mirror].write('www.gov.uk/moved/report.pdf.html', PAGE);
    const run = await runCli(['check', '/moved/report.pdf', '--service', world.service]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`GET ${world.service}/moved/report.pdf  (mirror objects, in turn: www.gov.uk/moved/report.pdf, www.gov.uk/moved/report.pdf.html)`);
    for (const mirror of MIRRORS) expect(run.stdout).toContain(`${mirror};desc="ok 200 report.pdf.html";dur=`);
    expect(run.stdout).toContain('3 of 3 mirrors have it.');
  });

  it('--json gives the same as JSON, with the headers of the real service', async () => {
    await mirrorPage('/as-json');
    const { code, report } = await checkJson('/as-json');

    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, served: true, mirrorsWithPage: ['mirrorS3', 'mirrorS3Replica', 'mirrorGCS'], issues: [] });
    expect(report.rows.map((r) => [r.override, r.status, r.backendName, r.failover, r.sameAsOrigin])).toEqual([
      [null, 200, 'origin', false, true],
      ['origin', 200, 'origin', false, true],
      ['mirrorS3', 200, 'mirrorS3', true, true],
      ['mirrorS3Replica', 200, 'mirrorS3Replica', true, true],
      ['mirrorGCS', 200, 'mirrorGCS', true, true],
    ]);
    expect(report.rows[2]?.serverTiming).toMatch(/^mirrorS3;desc="ok 200";dur=[\d.]+$/);
    expect(report.rows[2]?.lastModified).toMatch(/GMT$/);
  });

  it('a mirror copy that differs from origin is shown as differing, and still counts', async () => {
    await mirrorPage('/changed', ['mirrorS3'], '<h1>Benefits (yesterday)</h1>');
    const { code, report } = await checkJson('/changed');

    expect(code).toBe(0);
    expect(report.rows.find((r) => r.override === 'mirrorS3')?.sameAsOrigin).toBe(false);
  });

  it('HTML is compared by its visible text: a copy differing only in nonce and asset URL is "same text", with its own digest', async () => {
    const live = '<html><head><script nonce="LIVE">x()</script><link href="/a-111.css"></head><body><h1>Benefits</h1></body></html>';
    await world.stubs.origin.setBehaviour({ kind: 'echo', body: live });
    try {
      await mirrorPage('/nonce', MIRRORS, '<html><head><script nonce="CRAWL">x()</script><link href="/a-222.css"></head><body><h1>Benefits</h1></body></html>');
      await world.buckets.mirrorGCS.write('www.gov.uk/nonce.html', live);
      const run = await runCli(['check', '/nonce', '--service', world.service]);
      const { report } = await checkJson('/nonce');

      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^mirrorS3\s+200\s.*\s([0-9a-f]{12})\s+same text\s+mirrorS3\s/m);
      expect(run.stdout).toMatch(/^mirrorGCS\s+200\s.*\s[0-9a-f]{12}\s+same\s+mirrorGCS\s/m);
      const mirrorS3 = report.rows.find((r) => r.override === 'mirrorS3');
      expect(mirrorS3).toMatchObject({ sameAsOrigin: true, comparedBy: 'visible text' });
      expect(mirrorS3?.sha256).not.toBe(report.rows.find((r) => r.override === 'origin')?.sha256);
    } finally {
      await world.stubs.origin.setBehaviour({ kind: 'echo', body: PAGE });
    }
  });

  it('missing from one mirror: exit 0, and the mirror is named with the bucket error', async () => {
    await mirrorPage('/missing-one', ['mirrorS3', 'mirrorGCS']);
    const run = await runCli(['check', '/missing-one', '--service', world.service]);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^mirrorS3Replica\s+403\s/m);
    expect(run.stdout).toContain('OK: served (200 from origin), and 2 of 3 mirrors have it.');
    expect(run.stdout).toContain('  - mirrorS3Replica does not have it: 403 from mirrorS3Replica (AccessDenied: Access Denied).');
  });

  it('missing from every mirror: exit 1', async () => {
    const { code, report } = await checkJson('/missing-everywhere');

    expect(code).toBe(1);
    expect(report.summary).toBe('PROBLEM: served (200 from origin), and NO mirror has it.');
    expect(report.issues).toContain('mirrorGCS does not have it: 404 from mirrorGCS (NoSuchKey: The specified key does not exist).');
  });

  describe('origin down', () => {
    beforeAll(async () => {
      await world.stubs.origin.setBehaviour({ kind: 'refuse' });
    });
    afterAll(async () => {
      await world.stubs.origin.setBehaviour({ kind: 'echo', body: PAGE });
    });

    it('users get a mirror copy: exit 0, and the outage is reported', async () => {
      await mirrorPage('/origin-down');
      const { code, report } = await checkJson('/origin-down');

      expect(code).toBe(0);
      const [asUsers, origin] = report.rows;
      expect(asUsers).toMatchObject({ status: 200, backendName: 'mirrorS3', failover: true, sameAsOrigin: null });
      expect(asUsers?.serverTiming).toMatch(/^origin;desc="connection-error";dur=[\d.]+, mirrorS3;desc="ok 200";dur=[\d.]+$/);
      expect(origin).toMatchObject({ status: 502, backendName: 'error' });
      expect(origin?.note).toMatch(/^Backend-Override: origin connection-error after \d+ ms\. The connection to the backend failed\.$/);
      expect(report.summary).toBe('OK: served (200 from mirrorS3), and 3 of 3 mirrors have it.');
      expect(report.issues[0]).toBe("Users get a mirror's copy: origin failed and mirrorS3 answered (Fastly-Failover: 1).");
      expect(report.issues[1]).toMatch(/^origin: 502 from the service \(no backend answered\) \(Backend-Override: origin connection-error/);
    });

    it('shows when the outage memory sped the answer up: after three failures in a segment, origin is suspect there', async () => {
      for (const path of ['/suspect/a', '/suspect/b', '/suspect/c', '/suspect/d']) await mirrorPage(path);
      for (const path of ['/suspect/a', '/suspect/b', '/suspect/c']) {
        const { report } = await checkJson(path);
        expect(report.rows[0]?.suspectScope, `${path}: not yet`).toBeNull();
      }
      const run = await runCli(['check', '/suspect/d', '--service', world.service]);
      const suspect = 'The service\'s outage memory holds origin suspect for the segment /suspect, after recent origin failures at this POP: origin and the first mirror were asked at once (Server-Timing: suspect), and the first good answer was served.';
      expect(run.stdout).toMatch(/^ {2}\(none\) {11}suspect;desc="\/suspect", origin;desc="(connection-error|abandoned)";dur=[\d.]+, mirrorS3;desc="ok 200";dur=[\d.]+$/m);
      expect(run.stdout).toContain(`  - ${suspect}`);
      const { report } = await checkJson('/suspect/a');
      expect(report.rows.map((r) => r.suspectScope), 'only the request as users make it; overrides never').toEqual(['/suspect', null, null, null, null]);
      expect(report.issues).toContain(suspect);
    });

    it('and no mirror has the page: users get the error page, exit 1', async () => {
      const run = await runCli(['check', '/origin-down-and-missing', '--service', world.service]);

      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^\(none\)\s+503\s.*\berror\s+-\s+4$/m);
      expect(run.stdout).toContain('PROBLEM: NOT served to users, and NO mirror has it.');
      expect(run.stdout).toContain('  - Users do not get the page: 503 from the service (no backend answered).');
    });
  });
});

describe('check against a service that ignores Backend-Override', () => {
  let ignoring: World;
  beforeAll(async () => {
    ignoring = await startWorld({ originBody: PAGE, files: { 'www.gov.uk/page.html': PAGE }, config: { backend_override: 'disabled' } });
  });
  afterAll(async () => {
    await ignoring?.close();
  });

  it('does not count failover answers as the mirrors having the page: exit 1', async () => {
    const run = await runCli(['check', '/page', '--service', ignoring.service, '--json']);
    const report = JSON.parse(run.stdout) as CheckReport;

    expect(run.code).toBe(1);
    expect(report.mirrorsWithPage).toEqual([]);
    expect(report.rows.map((r) => r.backendName)).toEqual(['origin', 'origin', 'origin', 'origin', 'origin']);
    expect(report.issues[0]).toMatch(/^The service ignored Backend-Override \(Backend-Override-Ignored: disabled\)/);
  });
});

describe('check against the assets service (its bucket directory, the path as it is first)', () => {
  const ASSETS = 'assets.publishing.service.gov.uk';
  let assets: World;
  beforeAll(async () => {
    assets = await startWorld({
      originBody: PAGE,
      files: { [`${ASSETS}/media/5f3a/Photo.JPG`]: 'not really a JPEG' },
      config: { mirror_s3_prefix: ASSETS, mirror_s3_replica_prefix: ASSETS, mirror_gcs_prefix: ASSETS, mirror_names: 'path-first' },
    });
  });
  afterAll(async () => {
    await assets?.close();
  });

  it('--mirror-prefix and --mirror-names name the objects the service asks for; the table is the same either way', async () => {
    const withLayout = await runCli(['check', '/media/5f3a/Photo.JPG', '--service', assets.service, '--mirror-prefix', `/${ASSETS}/`, '--mirror-names', 'path-first']);
    const withDefault = await runCli(['check', '/media/5f3a/Photo.JPG', '--service', assets.service]);

    expect(withLayout.code).toBe(0);
    expect(withLayout.stdout).toContain(
      `GET ${assets.service}/media/5f3a/Photo.JPG  (mirror objects, in turn: ${ASSETS}/media/5f3a/Photo.JPG, ${ASSETS}/media/5f3a/Photo.JPG.pjpeg, ${ASSETS}/media/5f3a/Photo.JPG.html)`,
    );
    for (const mirror of MIRRORS) expect(withLayout.stdout).toMatch(new RegExp(`^${mirror}\\s+200\\s`, 'm'));
    // A local service gets www.gov.uk's layout by default: only the first line differs.
    expect(withDefault.stdout).toContain(`(mirror objects, in turn: www.gov.uk/media/5f3a/Photo.JPG.pjpeg, www.gov.uk/media/5f3a/Photo.JPG.html, www.gov.uk/media/5f3a/Photo.JPG)`);
    expect(withDefault.code).toBe(0);
    for (const mirror of MIRRORS) expect(withDefault.stdout).toMatch(new RegExp(`^${mirror}\\s+200\\s`, 'm'));
  });
});
