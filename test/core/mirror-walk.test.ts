/**
 * A page under the crawler's other names, through serve() with a fake platform
 * on the manual clock: which names each mirror is asked for, in which order,
 * what ends a walk, what the hedge does to it, and what the headers and the log
 * say. (The scenario suite checks the same against real stubs on both engines.)
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BackendName, MirrorName } from '../../src/core/backends.ts';
import { peekBody } from '../../src/core/body-peek.ts';
import { type Config, DEFAULT_CONFIG } from '../../src/core/config.ts';
import type { LogRecord } from '../../src/core/log-line.ts';
import { ERROR_CODE_BYTES, errorCode } from '../../src/core/mirror-walk.ts';
import { serve } from '../../src/core/service.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { MemoryMarks } from '../support/memory-marks.ts';
import type { MarkStore } from '../../src/core/outage-memory.ts';

/** What one request gets: an answer (after `after` ms), a refusal, or nothing ever. */
type Reply = { status: number; body?: string; after?: number } | { fail: 'refused'; after?: number } | { hang: true };

const ACCESS_DENIED = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R</RequestId></Error>';
const NO_SUCH_KEY = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>';
const DENIED: Reply = { status: 403, body: ACCESS_DENIED };

interface World {
  origin?: Reply;
  /** Per mirror, by bucket request path; a path not listed gets 403 AccessDenied, as from a private S3 bucket. */
  mirrors?: Partial<Record<MirrorName, Record<string, Reply>>>;
  config?: Partial<Config>;
  headers?: Record<string, string>;
  /** The POP's shared marks (the mirror miss memory), kept between runs by the test. */
  marks?: MarkStore;
}

const SECRETS: Record<string, string> = { gcs_access_id: 'GOOGTESTID', gcs_secret_key: 'very-secret-key' };

async function run(world: World, path: string) {
  const clock = new ManualClock();
  const sent: { backend: BackendName; path: string; at: number; request: Request }[] = [];
  const logs: LogRecord[] = [];
  const config: Config = { ...DEFAULT_CONFIG, gcsBucket: 'govuk-test-mirror', ...world.config };
  const reply = async (r: Reply): Promise<Response> => {
    if ('hang' in r) return new Promise<Response>(() => undefined);
    if (r.after) await new Promise<void>((resolve) => clock.schedule(r.after!, resolve));
    if ('fail' in r) throw Object.assign(new Error('NetworkError when attempting to fetch resource.'), { name: 'NetworkError' });
    return new Response(r.body ?? 'a copy', { status: r.status });
  };
  let answeredAt: number | undefined;
  const served = serve(new Request(`https://www.gov.uk${path}`, { headers: world.headers }), {
    config,
    configProblems: [],
    clock,
    requestId: 'req-1',
    connection: { clientAddress: '192.0.2.10', serverHostname: 'cache-test-lhr1' },
    bucketHost: (mirror) => `${mirror.toLowerCase()}.bucket.test`,
    date: () => new Date('2026-11-21T12:00:00Z'),
    health: () => 'unknown',
    async send(backend, request) {
      const at = clock.now();
      const bucketPath = new URL(request.url).pathname;
      sent.push({ backend, path: bucketPath, at, request });
      if (backend === 'origin') return reply(world.origin ?? { status: 503 });
      return reply(world.mirrors?.[backend]?.[bucketPath] ?? DENIED);
    },
    secret: async (key) => SECRETS[key] ?? null,
    log: (line) => logs.push(line()),
    popMarks: world.marks,
  }).then((response) => {
    answeredAt = clock.now();
    return response;
  });
  for (let t = 0; answeredAt === undefined && t < 60_000; t += 100) await clock.advance(100);
  const response = await served;
  const body = await response.text();
  // Anything a walk still had to do after the answer would happen now.
  await clock.advance(60_000);
  const asked = (backend: BackendName) => sent.filter((s) => s.backend === backend).map((s) => s.path);
  return { response, body, sent, asked, logs, answeredAt: answeredAt! };
}

const timing = (response: Response) => response.headers.get('Server-Timing')!.replace(/;dur=[0-9.]+/g, '');

const REPORT = '/government/uploads/system/uploads/attachment_data/file/1/report.pdf';
const REPORT_FILE = `/www.gov.uk${REPORT}`;
const REPORT_REDIRECT = `${REPORT_FILE}.html`;

describe('a mirror is asked for each name in turn', () => {
  it('finds a saved redirect under its second name on the same mirror, and says so', async () => {
    const { response, body, asked, logs } = await run({ mirrors: { mirrorS3: { [REPORT_REDIRECT]: { status: 200, body: 'redirect page' } } } }, REPORT);
    expect(response.status).toBe(200);
    expect(body).toBe('redirect page');
    expect(asked('mirrorS3')).toEqual([REPORT_FILE, REPORT_REDIRECT]);
    expect(asked('mirrorS3Replica')).toEqual([]);
    expect(response.headers.get('Fastly-Backend-Name')).toBe('mirrorS3');
    expect(response.headers.get('Fastly-Restarts')).toBe('1');
    expect(response.headers.get('Cache-Control')).toBe('max-age=900');
    expect(timing(response)).toBe('origin;desc="http-error 503", mirrorS3;desc="ok 200 report.pdf.html"');
    expect(logs[0]!.attempts[1]).toMatchObject({ backend: 'mirrorS3', outcome: 'ok', status: 200, objects: [REPORT_FILE.slice(1), REPORT_REDIRECT.slice(1)] });
  });

  it.each<[string, Reply]>([
    ['404', { status: 404, body: NO_SUCH_KEY }],
    ['404 with any body', { status: 404, body: 'gone' }],
    ['403 AccessDenied', DENIED],
  ])('takes %s as "not there"', async (_name, missing) => {
    const { response, asked } = await run({ mirrors: { mirrorS3: { [REPORT_FILE]: missing, [REPORT_REDIRECT]: { status: 200 } } } }, REPORT);
    expect(response.headers.get('Fastly-Backend-Name')).toBe('mirrorS3');
    expect(asked('mirrorS3')).toEqual([REPORT_FILE, REPORT_REDIRECT]);
  });

  it.each<[string, Reply, string]>([
    ['503', { status: 503 }, 'http-error 503'],
    ['500', { status: 500 }, 'http-error 500'],
    ['403 SignatureDoesNotMatch', { status: 403, body: '<Error><Code>SignatureDoesNotMatch</Code></Error>' }, 'http-error 403'],
    ['403 that is not an S3 error document', { status: 403, body: '<html>Forbidden</html>' }, 'http-error 403'],
    ['301', { status: 301 }, 'http-error 301'],
    ['refused connection', { fail: 'refused' }, 'connection-error'],
  ])('moves on to the next mirror at once on a %s, without the other names', async (_name, first, outcome) => {
    const { response, asked, answeredAt } = await run(
      { mirrors: { mirrorS3: { [REPORT_FILE]: first, [REPORT_REDIRECT]: { status: 200 } }, mirrorS3Replica: { [REPORT_FILE]: { status: 200 } } } },
      REPORT,
    );
    expect(response.headers.get('Fastly-Backend-Name')).toBe('mirrorS3Replica');
    expect(asked('mirrorS3')).toEqual([REPORT_FILE]);
    expect(timing(response)).toBe(`origin;desc="http-error 503", mirrorS3;desc="${outcome}", mirrorS3Replica;desc="ok 200"`);
    expect(answeredAt).toBe(0);
  });

  it('moves on from a failure on a later name too, naming it, and judges it by that request\'s own time', async () => {
    const { response, asked } = await run(
      { mirrors: { mirrorS3: { [REPORT_FILE]: { status: 404, after: 1500 }, [REPORT_REDIRECT]: { fail: 'refused' } }, mirrorS3Replica: { [REPORT_REDIRECT]: { status: 200 } } } },
      REPORT,
    );
    expect(asked('mirrorS3')).toEqual([REPORT_FILE, REPORT_REDIRECT]);
    expect(asked('mirrorS3Replica')).toEqual([REPORT_FILE, REPORT_REDIRECT]);
    // The refusal came at once; the attempt as a whole took 1.5 s (which alone would read as a timeout).
    expect(timing(response)).toBe('origin;desc="http-error 503", mirrorS3;desc="connection-error report.pdf.html", mirrorS3Replica;desc="ok 200 report.pdf.html"');
  });

  it('costs one request per mirror for a page found under its first name, or with one name', async () => {
    for (const [path, key] of [[REPORT, REPORT_FILE], ['/browse/benefits', '/www.gov.uk/browse/benefits.html']] as const) {
      const { response, sent } = await run({ mirrors: { mirrorS3: { [key]: { status: 200 } } } }, path);
      expect(sent.map((s) => `${s.backend} ${s.path}`)).toEqual([`origin ${path}`, `mirrorS3 ${key}`]);
      expect(timing(response)).toBe('origin;desc="http-error 503", mirrorS3;desc="ok 200"');
    }
  });

  it('asks every mirror for every name of a page none holds (at most 3 each), then serves the 503 page', async () => {
    const { response, asked, logs } = await run({}, '/media/1/Report.PDF');
    const names = ['/www.gov.uk/media/1/Report.PDF.pdf', '/www.gov.uk/media/1/Report.PDF.html', '/www.gov.uk/media/1/Report.PDF'];
    for (const mirror of ['mirrorS3', 'mirrorS3Replica', 'mirrorGCS'] as const) expect(asked(mirror)).toEqual(names);
    expect(response.status).toBe(503);
    expect(response.headers.get('Fastly-Backend-Name')).toBe('error');
    expect(response.headers.get('Fastly-Restarts')).toBe('4');
    expect(timing(response)).toBe(
      'origin;desc="http-error 503", mirrorS3;desc="http-error 403 Report.PDF", mirrorS3Replica;desc="http-error 403 Report.PDF", mirrorGCS;desc="http-error 403 Report.PDF"',
    );
    expect(logs[0]!.attempts.map((a) => a.objects?.length ?? 0)).toEqual([0, 3, 3, 3]);
  });

  it('signs each GCS request for the name it asks for', async () => {
    const { response, sent } = await run({ mirrors: { mirrorGCS: { [REPORT_REDIRECT]: { status: 200 } } } }, REPORT);
    expect(response.headers.get('Fastly-Backend-Name')).toBe('mirrorGCS');
    const gcs = sent.filter((s) => s.backend === 'mirrorGCS');
    expect(gcs.map((s) => s.path)).toEqual([REPORT_FILE, REPORT_REDIRECT]);
    for (const { request, path } of gcs) {
      const date = request.headers.get('Date')!;
      const signature = createHmac('sha1', SECRETS.gcs_secret_key!).update(`GET\n\n\n${date}\n/govuk-test-mirror${path}`).digest('base64');
      expect(request.headers.get('Authorization')).toBe(`AWS GOOGTESTID:${signature}`);
    }
  });
});

describe('the hedge bounds each mirror\'s walk', () => {
  it('starts the next mirror hedge_after_ms after the mirror started, however many names it has asked', async () => {
    const { response, sent, asked, answeredAt } = await run(
      { mirrors: { mirrorS3: { [REPORT_FILE]: { status: 404, after: 3000 }, [REPORT_REDIRECT]: { hang: true } }, mirrorS3Replica: { [REPORT_FILE]: { status: 200 } } } },
      REPORT,
    );
    expect(asked('mirrorS3')).toEqual([REPORT_FILE, REPORT_REDIRECT]);
    expect(sent.find((s) => s.backend === 'mirrorS3Replica')!.at).toBe(5000);
    expect(answeredAt).toBe(5000);
    expect(response.headers.get('Fastly-Backend-Name')).toBe('mirrorS3Replica');
    expect(timing(response)).toBe('origin;desc="http-error 503", mirrorS3;desc="abandoned report.pdf.html", mirrorS3Replica;desc="ok 200"');
  });

  it('asks no further name once the request has its answer', async () => {
    const { response, asked } = await run(
      { mirrors: { mirrorS3: { [REPORT_FILE]: { status: 404, after: 6000 }, [REPORT_REDIRECT]: { status: 200 } }, mirrorS3Replica: { [REPORT_FILE]: { status: 200 } } } },
      REPORT,
    );
    expect(response.headers.get('Fastly-Backend-Name')).toBe('mirrorS3Replica');
    // mirrorS3's 404 came at 6 s, after the replica's answer at 5 s: its second name is never asked.
    expect(asked('mirrorS3')).toEqual([REPORT_FILE]);
  });
});

describe('Backend-Override walks the names too', () => {
  const override = { 'Backend-Override': 'mirrorS3' };

  it('finds the page under a later name, privately', async () => {
    const { response, asked } = await run({ headers: override, mirrors: { mirrorS3: { [REPORT_REDIRECT]: { status: 200 } } } }, REPORT);
    expect(response.status).toBe(200);
    expect(asked('mirrorS3')).toEqual([REPORT_FILE, REPORT_REDIRECT]);
    expect(response.headers.get('Cache-Control')).toBe('private, no-store');
    expect(timing(response)).toBe('mirrorS3;desc="ok 200 report.pdf.html"');
  });

  it('shows the last name\'s real answer when no name is there', async () => {
    const { response, body } = await run({ headers: override, mirrors: { mirrorS3: { [REPORT_REDIRECT]: { status: 404, body: NO_SUCH_KEY } } } }, REPORT);
    expect(response.status).toBe(404);
    expect(body).toBe(NO_SUCH_KEY);
  });

  it('shows a 403 that is not "not there" whole, however long its body', async () => {
    const long = `<html>${'Forbidden. '.repeat(2000)}</html>`;
    const { response, body, asked } = await run({ headers: override, mirrors: { mirrorS3: { [REPORT_FILE]: { status: 403, body: long } } } }, REPORT);
    expect(response.status).toBe(403);
    expect(body).toBe(long);
    expect(asked('mirrorS3')).toEqual([REPORT_FILE]);
  });
});

describe('reading a 403\'s error code', () => {
  it('finds S3\'s and GCS\'s codes, and nothing in other bodies', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(errorCode(bytes(ACCESS_DENIED))).toBe('AccessDenied');
    expect(errorCode(bytes("<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>Access denied.</Message></Error>"))).toBe('AccessDenied');
    expect(errorCode(bytes('<Error><Code>SignatureDoesNotMatch</Code></Error>'))).toBe('SignatureDoesNotMatch');
    expect(errorCode(bytes('<html>Access Denied</html>'))).toBeUndefined();
    expect(errorCode(bytes(''))).toBeUndefined();
  });

  it('gives back the whole body, status and headers after peeking, short or long, in one chunk or many', async () => {
    for (const size of [0, 10, ERROR_CODE_BYTES - 1, ERROR_CODE_BYTES, ERROR_CODE_BYTES + 1, 5 * ERROR_CODE_BYTES]) {
      const text = 'x'.repeat(size);
      for (const chunk of [1000, size || 1]) {
        const parts = text.match(new RegExp(`[^]{1,${chunk}}`, 'g')) ?? [];
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
            controller.close();
          },
        });
        const original = new Response(stream, { status: 403, statusText: 'Forbidden', headers: { 'X-Test': 'kept' } });
        const { head, response } = await peekBody(original, ERROR_CODE_BYTES);
        expect(head.byteLength).toBe(Math.min(size, Math.ceil(ERROR_CODE_BYTES / chunk) * chunk));
        expect(response.status).toBe(403);
        expect(response.statusText).toBe('Forbidden');
        expect(response.headers.get('X-Test')).toBe('kept');
        expect(await response.text()).toBe(text);
      }
    }
  });
});

describe("a mirror's \"not there\" is remembered briefly (mirror_miss_memory_s)", () => {
  /** Marks on a clock of their own, which the test moves between requests; the outage memory off. */
  function pop() {
    let now = 0;
    const marks = new MemoryMarks(() => now);
    return { marks, advance: (ms: number) => (now += ms), config: { outageMemoryS: 0 } };
  }

  it('asks no bucket again for a page every mirror lacks, until the memory time has passed', async () => {
    const p = pop();
    const first = await run({ marks: p.marks, config: p.config }, REPORT);
    expect(first.response.status).toBe(503);
    expect(first.sent.filter((s) => s.backend !== 'origin')).toHaveLength(6);
    p.advance(4_999);
    const again = await run({ marks: p.marks, config: p.config }, REPORT);
    expect(again.response.status).toBe(503);
    expect(again.sent.map((s) => s.backend), 'origin only').toEqual(['origin']);
    expect(timing(again.response)).toBe('origin;desc="http-error 503", mirrorS3;desc="missing", mirrorS3Replica;desc="missing", mirrorGCS;desc="missing"');
    expect(again.response.headers.get('Fastly-Restarts'), 'no mirror contacted').toBe('1');
    expect(again.logs[0]!.attempts[1]).toMatchObject({ backend: 'mirrorS3', outcome: 'missing', detail: 'mirrorS3 answered a moment ago that it lacks all 2 names of the page' });
    expect(again.logs[0]!.attempts[1]!.objects).toBeUndefined();
    p.advance(1);
    const later = await run({ marks: p.marks, config: p.config }, REPORT);
    expect(later.sent.filter((s) => s.backend !== 'origin'), 'forgotten after 5 s').toHaveLength(6);
  });

  it('skips a name the page lacks and goes straight to the one it has', async () => {
    const p = pop();
    const world = { marks: p.marks, config: p.config, mirrors: { mirrorS3: { [REPORT_REDIRECT]: { status: 200, body: 'redirect page' } } } };
    await run(world, REPORT);
    const again = await run(world, REPORT);
    expect(again.body).toBe('redirect page');
    expect(again.asked('mirrorS3')).toEqual([REPORT_REDIRECT]);
    expect(again.logs[0]!.attempts[1]).toMatchObject({ outcome: 'ok', objects: [REPORT_REDIRECT.slice(1)] });
  });

  it.each<[string, Reply]>([
    ['503', { status: 503 }],
    ['403 SignatureDoesNotMatch', { status: 403, body: '<Error><Code>SignatureDoesNotMatch</Code></Error>' }],
    ['refused connection', { fail: 'refused' }],
  ])('never remembers a %s: only a bucket saying it lacks the object', async (_name, reply) => {
    const p = pop();
    const world = { marks: p.marks, config: p.config, mirrors: { mirrorS3: { ['/www.gov.uk/browse/benefits.html']: reply } } };
    await run(world, '/browse/benefits');
    const again = await run(world, '/browse/benefits');
    expect(again.asked('mirrorS3')).toEqual(['/www.gov.uk/browse/benefits.html']);
  });

  it('is neither read nor written by an override, nor with mirror_miss_memory_s = 0', async () => {
    for (const world of [{ headers: { 'Backend-Override': 'mirrorS3' } }, { config: { outageMemoryS: 0, mirrorMissMemoryS: 0 } }]) {
      const p = pop();
      await run({ ...world, marks: p.marks }, REPORT);
      expect(p.marks.calls.filter((c) => c.includes('/mirror-miss/'))).toEqual([]);
    }
  });

  it('keeps the count of bucket requests for a flood of one missing page at one walk per memory time', async () => {
    const p = pop();
    let bucketRequests = 0;
    for (let i = 0; i < 100; i++) {
      const { sent } = await run({ marks: p.marks, config: p.config }, REPORT);
      bucketRequests += sent.filter((s) => s.backend !== 'origin').length;
      p.advance(100); // 10 requests a second for 10 s
    }
    expect(bucketRequests, 'two walks of six requests, at 0 s and 5 s').toBe(12);
  });
});
