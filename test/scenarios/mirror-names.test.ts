/**
 * Pages under the crawler's other names, through the real service on each
 * engine with stub buckets that hold only the object the crawler stored: the
 * names each mirror is asked for and in which order, which one served, what a
 * page no mirror holds costs, that a failing name moves on to the next mirror
 * at once, GCS signed per name, the override, the log line and (where a cache
 * exists) the 900 s copy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BackendName, MIRRORS, type MirrorName } from '../../src/core/backends.ts';
import { type Engine, engines } from './engines.ts';
import { HEDGE_MS, SLACK_MS } from './fault-matrix.ts';
import { expectedGcsAuthorization, type Observed, send } from './request.ts';
import { manifestDocument, manifestSecret, startWorld, type World } from './world.ts';

const ERROR_PAGE_TEXT = 'Sorry, there is a problem with the service';
const ORIGIN_DOWN = { origin: { kind: 'status', status: 503 } } as const;

/** A saved redirect as the crawler stores it: a small HTML page pointing at the new address, under the old one. */
const redirectPage = (to: string) => `<!DOCTYPE html><html><head><meta http-equiv="refresh" content="0; url=${to}"><title>Moved</title></head><body><a href="${to}">${to}</a></body></html>`;

interface Row {
  readonly name: string;
  readonly path: string;
  /** The object the crawler stored (the only one in mirrorS3's bucket for this page) and its body. */
  readonly stored: string;
  readonly body: string;
  /** The bucket paths mirrorS3 is asked for, in order. */
  readonly asked: readonly string[];
  /** mirrorS3's Server-Timing entry, without its duration. */
  readonly timing: string;
}

/** The table: each URL with the object the crawler stored for it. */
const ROWS: readonly Row[] = [
  {
    name: 'an old attachment URL redirected to the assets domain: the saved redirect, under its second name',
    path: '/government/uploads/system/uploads/attachment_data/file/1/report.pdf',
    stored: 'www.gov.uk/government/uploads/system/uploads/attachment_data/file/1/report.pdf.html',
    body: redirectPage('https://assets.publishing.service.gov.uk/media/1/report.pdf'),
    asked: ['/www.gov.uk/government/uploads/system/uploads/attachment_data/file/1/report.pdf', '/www.gov.uk/government/uploads/system/uploads/attachment_data/file/1/report.pdf.html'],
    timing: 'mirrorS3 ok 200 report.pdf.html',
  },
  {
    name: 'an HTML page at a .htm URL: stored under its own name',
    path: '/old/page.htm',
    stored: 'www.gov.uk/old/page.htm',
    body: '<!DOCTYPE html><title>Old page</title><p>An old page.</p>',
    asked: ['/www.gov.uk/old/page.htm'],
    timing: 'mirrorS3 ok 200',
  },
  {
    name: 'a PDF at an upper-case .PDF URL: stored with .pdf appended, the first name',
    path: '/media/1/Report.PDF',
    stored: 'www.gov.uk/media/1/Report.PDF.pdf',
    body: '%PDF-1.7 a report',
    asked: ['/www.gov.uk/media/1/Report.PDF.pdf'],
    timing: 'mirrorS3 ok 200',
  },
  {
    name: 'an HTML page without an extension: .html appended, one request as before',
    path: '/browse/childcare-parenting',
    stored: 'www.gov.uk/browse/childcare-parenting.html',
    body: '<!DOCTYPE html><title>Childcare</title><p>Childcare and parenting.</p>',
    asked: ['/www.gov.uk/browse/childcare-parenting.html'],
    timing: 'mirrorS3 ok 200',
  },
];

/** Pages held by exactly one mirror, as the object the crawler stored. */
const HELD_BY: Readonly<Record<MirrorName, Record<string, string>>> = {
  mirrorS3: {
    ...Object.fromEntries(ROWS.map((r) => [r.stored, r.body])),
    'www.gov.uk/override/report.pdf.html': redirectPage('https://assets.publishing.service.gov.uk/media/2/report.pdf'),
    'www.gov.uk/cache/moved/report.pdf.html': redirectPage('https://assets.publishing.service.gov.uk/media/3/report.pdf'),
  },
  mirrorS3Replica: {
    'www.gov.uk/fails-first/report.pdf.html': redirectPage('https://assets.publishing.service.gov.uk/media/4/report.pdf'),
    'www.gov.uk/fails-second/report.pdf.html': redirectPage('https://assets.publishing.service.gov.uk/media/5/report.pdf'),
    'www.gov.uk/plain-403/report.pdf.html': redirectPage('https://assets.publishing.service.gov.uk/media/7/report.pdf'),
    'www.gov.uk/slow-walk/report.pdf.html': redirectPage('https://assets.publishing.service.gov.uk/media/8/report.pdf'),
  },
  mirrorGCS: {
    'www.gov.uk/gcs-only/report.pdf.html': redirectPage('https://assets.publishing.service.gov.uk/media/6/report.pdf'),
  },
};

/** Server-Timing entries and diagnostics of an answer, in one assertion's worth. */
function expectAnswer(r: Observed, backend: BackendName | 'error', restarts: number, timing: readonly string[]) {
  expect({ backend: r.header('fastly-backend-name'), restarts: r.header('fastly-restarts'), timing: r.timing }).toEqual({ backend, restarts: String(restarts), timing });
}

describe.each(engines())('on $name, a page under the crawler\'s other names', ({ hasCache, start }) => {
  let world: World;
  let engine: Engine;
  const asked = (mirror: MirrorName) => world.stubs[mirror].requests.map((r) => r.path);

  beforeAll(async () => {
    world = await startWorld({ mirrorS3: [], mirrorS3Replica: [], mirrorGCS: [] });
    for (const mirror of MIRRORS) for (const [key, body] of Object.entries(HELD_BY[mirror])) await world.buckets[mirror].write(key, body);
    engine = await start(world.manifest());
  });
  afterAll(async () => {
    await engine?.close();
    await world?.close();
  });
  beforeEach(async () => {
    await world.reset();
  });

  describe('the issue\'s table, with only the crawler\'s object in mirrorS3', () => {
    it.each(ROWS)('$name', async ({ path, body, asked: names, timing }) => {
      await world.set(ORIGIN_DOWN);
      const r = await send(engine.url, path);
      expect(r.status).toBe(200);
      expect(r.text).toBe(body);
      expectAnswer(r, 'mirrorS3', 1, ['origin http-error 503', timing]);
      expect(r.header('fastly-failover')).toBe('1');
      expect(r.header('cache-control')).toBe('max-age=900');
      expect(asked('mirrorS3')).toEqual(names);
      expect(world.stubs.mirrorS3Replica.hits + world.stubs.mirrorGCS.hits).toBe(0);
      expect(r.ms).toBeLessThan(SLACK_MS);
    });
  });

  it('asks every mirror for each name of a page none holds, then serves the 503 page (404 and 403 AccessDenied alike)', async () => {
    await world.set({ ...ORIGIN_DOWN, mirrorS3: world.bucket('mirrorS3', 404) });
    const r = await send(engine.url, '/nowhere/report.pdf');
    expect(r.status).toBe(503);
    expect(r.text).toContain(ERROR_PAGE_TEXT);
    expectAnswer(r, 'error', 4, ['origin http-error 503', 'mirrorS3 http-error 404 report.pdf.html', 'mirrorS3Replica http-error 403 report.pdf.html', 'mirrorGCS http-error 403 report.pdf.html']);
    for (const mirror of MIRRORS) expect(asked(mirror), mirror).toEqual(['/www.gov.uk/nowhere/report.pdf', '/www.gov.uk/nowhere/report.pdf.html']);
    expect(world.stubs.origin.hits).toBe(1);
  });

  it('asks at most three names of each mirror', async () => {
    await world.set(ORIGIN_DOWN);
    const r = await send(engine.url, '/nowhere/Scan.JPG');
    expect(r.status).toBe(503);
    for (const mirror of MIRRORS) expect(asked(mirror), mirror).toEqual(['/www.gov.uk/nowhere/Scan.JPG.pjpeg', '/www.gov.uk/nowhere/Scan.JPG.html', '/www.gov.uk/nowhere/Scan.JPG']);
  });

  it('moves on to the next mirror at once when a mirror answers 503 for the first name', async () => {
    await world.set({ ...ORIGIN_DOWN, mirrorS3: { kind: 'by-path', paths: { '/www.gov.uk/fails-first/report.pdf': { kind: 'status', status: 503 } }, otherwise: world.bucket('mirrorS3') } });
    const r = await send(engine.url, '/fails-first/report.pdf');
    expect(r.status).toBe(200);
    expectAnswer(r, 'mirrorS3Replica', 2, ['origin http-error 503', 'mirrorS3 http-error 503', 'mirrorS3Replica ok 200 report.pdf.html']);
    expect(asked('mirrorS3')).toEqual(['/www.gov.uk/fails-first/report.pdf']);
    expect(r.ms).toBeLessThan(SLACK_MS);
  });

  it('moves on to the next mirror at once when a mirror answers 503 for a later name', async () => {
    await world.set({ ...ORIGIN_DOWN, mirrorS3: { kind: 'by-path', paths: { '/www.gov.uk/fails-second/report.pdf.html': { kind: 'status', status: 503 } }, otherwise: world.bucket('mirrorS3') } });
    const r = await send(engine.url, '/fails-second/report.pdf');
    expectAnswer(r, 'mirrorS3Replica', 2, ['origin http-error 503', 'mirrorS3 http-error 503 report.pdf.html', 'mirrorS3Replica ok 200 report.pdf.html']);
    expect(asked('mirrorS3')).toEqual(['/www.gov.uk/fails-second/report.pdf', '/www.gov.uk/fails-second/report.pdf.html']);
    expect(r.ms).toBeLessThan(SLACK_MS);
  });

  it('takes a 403 that is not S3\'s AccessDenied document as a failure of the mirror, not as "not there"', async () => {
    await world.set({ ...ORIGIN_DOWN, mirrorS3: { kind: 'by-path', paths: { '/www.gov.uk/plain-403/report.pdf': { kind: 'status', status: 403 } }, otherwise: world.bucket('mirrorS3') } });
    const r = await send(engine.url, '/plain-403/report.pdf');
    expectAnswer(r, 'mirrorS3Replica', 2, ['origin http-error 503', 'mirrorS3 http-error 403', 'mirrorS3Replica ok 200 report.pdf.html']);
    expect(asked('mirrorS3')).toEqual(['/www.gov.uk/plain-403/report.pdf']);
  });

  it('starts the next mirror hedge_after_ms after a mirror\'s first name, however far its walk has got', async () => {
    await world.set({
      ...ORIGIN_DOWN,
      mirrorS3: {
        kind: 'by-path',
        paths: { '/www.gov.uk/slow-walk/report.pdf': { kind: 'delay', ms: HEDGE_MS / 2, then: { kind: 'status', status: 404 } }, '/www.gov.uk/slow-walk/report.pdf.html': { kind: 'hang' } },
        otherwise: world.bucket('mirrorS3'),
      },
    });
    const r = await send(engine.url, '/slow-walk/report.pdf');
    expectAnswer(r, 'mirrorS3Replica', 2, ['origin http-error 503', 'mirrorS3 abandoned report.pdf.html', 'mirrorS3Replica ok 200 report.pdf.html']);
    expect(asked('mirrorS3')).toEqual(['/www.gov.uk/slow-walk/report.pdf', '/www.gov.uk/slow-walk/report.pdf.html']);
    expect(r.ms).toBeGreaterThanOrEqual(HEDGE_MS - 50);
    expect(r.ms).toBeLessThan(HEDGE_MS + SLACK_MS);
  });

  it('signs each GCS request for the name it asks for', async () => {
    await world.set(ORIGIN_DOWN);
    const r = await send(engine.url, '/gcs-only/report.pdf');
    expectAnswer(r, 'mirrorGCS', 3, ['origin http-error 503', 'mirrorS3 http-error 403 report.pdf.html', 'mirrorS3Replica http-error 403 report.pdf.html', 'mirrorGCS ok 200 report.pdf.html']);
    const received = world.stubs.mirrorGCS.requests;
    expect(received.map((q) => q.path)).toEqual(['/www.gov.uk/gcs-only/report.pdf', '/www.gov.uk/gcs-only/report.pdf.html']);
    const doc = manifestDocument() as { local_server: { config_stores: { failover_config: { contents: { gcs_bucket: string } } } } };
    const bucketName = doc.local_server.config_stores.failover_config.contents.gcs_bucket;
    for (const q of received) {
      const date = String(q.headers.date);
      expect(q.headers.authorization, q.path).toBe(expectedGcsAuthorization(manifestSecret('gcs_access_id'), manifestSecret('gcs_secret_key'), bucketName, 'GET', date, q.path));
    }
  });

  it('Backend-Override walks the names of the one mirror it names, and shows the last name\'s real answer', async () => {
    const found = await send(engine.url, '/override/report.pdf', { headers: { 'Backend-Override': 'mirrorS3' } });
    expect(found.status).toBe(200);
    expectAnswer(found, 'mirrorS3', 0, ['mirrorS3 ok 200 report.pdf.html']);
    expect(found.header('cache-control')).toBe('private, no-store');
    expect(asked('mirrorS3')).toEqual(['/www.gov.uk/override/report.pdf', '/www.gov.uk/override/report.pdf.html']);
    const missing = await send(engine.url, '/override/missing.pdf', { headers: { 'Backend-Override': 'mirrorS3Replica' } });
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('<Code>AccessDenied</Code>');
    expectAnswer(missing, 'mirrorS3Replica', 0, ['mirrorS3Replica ok 403 missing.pdf.html']);
    expect(world.stubs.origin.hits + world.stubs.mirrorGCS.hits).toBe(0);
  });

  it('shows a 403 that is not "not there" whole through an override, however long its body', async () => {
    const long = `<html><body>${'Forbidden by policy. '.repeat(1000)}</body></html>`;
    await world.set({ mirrorS3: { kind: 'by-path', paths: { '/www.gov.uk/forbidden/report.pdf': { kind: 'echo', status: 403, body: long } }, otherwise: world.bucket('mirrorS3') } });
    const r = await send(engine.url, '/forbidden/report.pdf', { headers: { 'Backend-Override': 'mirrorS3' } });
    expect(r.status).toBe(403);
    expect(r.text).toBe(long);
    expect(asked('mirrorS3')).toEqual(['/www.gov.uk/forbidden/report.pdf']);
  });

  it('writes every object name each mirror was asked for into the log line', async () => {
    await world.set(ORIGIN_DOWN);
    const logged = await start(world.manifest());
    // Viceroy's `serve` sends GET / to every backend as it starts: not the service's doing.
    world.clearRecordings();
    try {
      await send(logged.url, '/government/uploads/system/uploads/attachment_data/file/1/report.pdf');
      await logged.waitForLogs(1);
      const record = JSON.parse(logged.logs.filter((l) => l.endpoint === 'failover_log').at(-1)!.line);
      expect(record.fastly_backend).toBe('mirrorS3');
      expect(record.attempts[1]).toMatchObject({
        backend: 'mirrorS3',
        outcome: 'ok',
        status: 200,
        objects: ['www.gov.uk/government/uploads/system/uploads/attachment_data/file/1/report.pdf', 'www.gov.uk/government/uploads/system/uploads/attachment_data/file/1/report.pdf.html'],
      });
    } finally {
      await logged.close();
    }
  });

  describe.skipIf(!hasCache)('cache (needs a readthrough cache: local runtime only, Viceroy has none)', () => {
    it('keeps a copy found under a later name 900 s, under that name, like any mirror copy; the first name is asked again once mirror_miss_memory_s has passed (a miss is not stored in the HTTP cache)', async () => {
      await world.set(ORIGIN_DOWN);
      const first = await send(engine.url, '/cache/moved/report.pdf');
      expectAnswer(first, 'mirrorS3', 1, ['origin http-error 503', 'mirrorS3 ok 200 report.pdf.html']);
      expect(first.header('cache-control')).toBe('max-age=900');
      expect(asked('mirrorS3')).toEqual(['/www.gov.uk/cache/moved/report.pdf', '/www.gov.uk/cache/moved/report.pdf.html']);
      engine.clock!.advance(899_000);
      const cached = await send(engine.url, '/cache/moved/report.pdf');
      expect(cached.header('fastly-backend-name')).toBe('mirrorS3');
      expect(Number(cached.header('age'))).toBeGreaterThanOrEqual(899);
      expect(asked('mirrorS3')).toEqual(['/www.gov.uk/cache/moved/report.pdf', '/www.gov.uk/cache/moved/report.pdf.html', '/www.gov.uk/cache/moved/report.pdf']);
      engine.clock!.advance(2_000);
      await send(engine.url, '/cache/moved/report.pdf');
      expect(asked('mirrorS3').slice(3)).toEqual(['/www.gov.uk/cache/moved/report.pdf', '/www.gov.uk/cache/moved/report.pdf.html']);
    });
  });
});
