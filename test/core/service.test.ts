import { describe, expect, it } from 'vitest';
import { bucketHostOf } from '../../src/core/backend-request.ts';
import type { BackendName, MirrorName } from '../../src/core/backends.ts';
import type { CacheRule } from '../../src/core/cache-policy.ts';
import { type Config, DEFAULT_CONFIG } from '../../src/core/config.ts';
import { GOVUK_LOG_COLUMNS, type LogRecord } from '../../src/core/log-line.ts';
import type { Health } from '../../src/core/policy.ts';
import { serve, serviceFailure } from '../../src/core/service.ts';
import { ManualClock } from '../support/manual-clock.ts';

type Answer = { status: number; body?: string; headers?: Record<string, string> } | { fail: 'refused' } | { fail: 'timeout' } | { fail: 'throws'; message: string };

interface World {
  answers?: Partial<Record<BackendName, Answer>>;
  health?: Partial<Record<BackendName, Health>>;
  config?: Partial<Config>;
  secrets?: Record<string, string>;
  /** What each mirror's backend names as its bucket host (default: a host per mirror). */
  bucketHost?: (mirror: MirrorName) => string | null;
}

async function request(world: World, url: string, init: RequestInit = {}) {
  const clock = new ManualClock();
  const sent: { backend: BackendName; request: Request; cache: CacheRule }[] = [];
  const logs: LogRecord[] = [];
  const secretsRead: string[] = [];
  const config: Config = { ...DEFAULT_CONFIG, gcsBucket: 'govuk-test-mirror', ...world.config };
  const response = await serve(new Request(url, init), {
    config,
    configProblems: [],
    clock,
    requestId: 'req-1',
    connection: { clientAddress: '192.0.2.10', serverHostname: 'cache-test-lhr1' },
    bucketHost: world.bucketHost ?? ((mirror) => `${mirror.toLowerCase()}.bucket.test`),
    date: () => new Date('2026-11-21T12:00:00Z'),
    health: (b) => world.health?.[b] ?? 'unknown',
    async send(backend, req, cache) {
      sent.push({ backend, request: req, cache });
      const answer = world.answers?.[backend] ?? { status: 404, body: 'NoSuchKey' };
      if ('fail' in answer) {
        if (answer.fail === 'throws') throw new Error(answer.message);
        if (answer.fail === 'timeout') await new Promise<void>((resolve) => clock.schedule(15_000, resolve)).then(() => undefined);
        throw Object.assign(new Error('NetworkError when attempting to fetch resource.'), { name: 'NetworkError' });
      }
      return new Response(answer.body ?? `${backend} body`, { status: answer.status, headers: answer.headers });
    },
    async secret(key) {
      secretsRead.push(key);
      return world.secrets?.[key] ?? null;
    },
    log: (line) => logs.push(line()),
  });
  return { response, body: await response.text(), sent, logs, secretsRead };
}

const ORIGIN_DOWN: World['answers'] = { origin: { status: 503 } };

describe('serve: answers and diagnostics', () => {
  it('passes origin through untouched, with diagnostics', async () => {
    const { response, body, logs } = await request({ answers: { origin: { status: 200, body: 'hello', headers: { 'Cache-Control': 'max-age=60', 'X-Origin': 'yes' } } } }, 'https://www.gov.uk/browse');
    expect(response.status).toBe(200);
    expect(body).toBe('hello');
    expect(response.headers.get('Fastly-Backend-Name')).toBe('origin');
    expect(response.headers.get('Fastly-Restarts')).toBe('0');
    expect(response.headers.has('Fastly-Failover')).toBe(false);
    expect(response.headers.get('Cache-Control')).toBe('max-age=60');
    expect(response.headers.get('X-Origin')).toBe('yes');
    expect(response.headers.get('Server-Timing')).toBe('origin;desc="ok 200";dur=0');
    expect(logs).toHaveLength(1);
  });

  it('serves a mirror copy with Fastly-Failover, max-age=900 and only the bucket headers that describe the document', async () => {
    const bucketHeaders = {
      'x-amz-request-id': 'R', 'X-Amz-Meta-Crawl': 'x', 'x-goog-generation': '1', 'x-guploader-uploadid': 'u', ETag: '"e"', 'Cache-Control': 'no-cache',
      'Set-Cookie': 'AWSALB=abc', 'X-Frame-Options': 'ALLOW-FROM https://evil.example', 'Access-Control-Allow-Origin': '*', 'Content-Type': 'text/html', 'Last-Modified': 'Sat, 21 Nov 2026 03:00:00 GMT', 'Server': 'AmazonS3',
    };
    const { response, body } = await request(
      { answers: { origin: { status: 502 }, mirrorS3: { status: 200, body: 'mirror copy', headers: bucketHeaders } } },
      'https://www.gov.uk/browse',
    );
    expect(response.status).toBe(200);
    expect(body).toBe('mirror copy');
    expect(response.headers.get('Fastly-Backend-Name')).toBe('mirrorS3');
    expect(response.headers.get('Fastly-Failover')).toBe('1');
    expect(response.headers.get('Fastly-Restarts')).toBe('1');
    expect(response.headers.get('Cache-Control')).toBe('max-age=900');
    expect(response.headers.get('ETag')).toBe('"e"');
    expect([...response.headers.keys()].sort()).toEqual(['cache-control', 'content-type', 'etag', 'fastly-backend-name', 'fastly-failover', 'fastly-restarts', 'last-modified', 'server-timing', 'strict-transport-security']);
    expect(response.headers.get('Server-Timing')).toBe('origin;desc="http-error 502";dur=0, mirrorS3;desc="ok 200";dur=0');
  });

  it('answers the branded 503 page when every backend fails, never a mirror 404', async () => {
    const { response, body, logs } = await request({ answers: { origin: { fail: 'refused' }, mirrorS3: { status: 403 }, mirrorS3Replica: { status: 404 }, mirrorGCS: { status: 404 } }, secrets: { gcs_access_id: 'id', gcs_secret_key: 'k' } }, 'https://www.gov.uk/x');
    expect(response.status).toBe(503);
    expect(response.headers.get('Content-Type')).toContain('text/html');
    expect(body).toContain('GOV.UK');
    expect(body).toContain('Sorry, there is a problem with the service');
    expect(response.headers.get('Retry-After')).toBe('30');
    expect(response.headers.get('Fastly-Backend-Name')).toBe('error');
    expect(response.headers.get('Fastly-Restarts')).toBe('4');
    expect(response.headers.get('Cache-Control')).toBe('max-age=1');
    expect(logs[0]).toMatchObject({ fastly_backend: 'error', status: 503, cache_response: 'ERROR' });
    expect(logs[0]!.attempts.map((a) => a.outcome)).toEqual(['connection-error', 'http-error', 'http-error', 'http-error']);
  });

  it('fails a HEAD over like a GET, reading the mirror with GET (the platform sends no body for HEAD)', async () => {
    const { response, sent } = await request({ answers: { ...ORIGIN_DOWN, mirrorS3: { status: 200 } } }, 'https://www.gov.uk/x', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('Fastly-Backend-Name')).toBe('mirrorS3');
    expect(sent.map((s) => `${s.backend} ${s.request.method}`)).toEqual(['origin HEAD', 'mirrorS3 GET']);
  });

  it('still answers the branded page, with diagnostics and a log line, when the service itself fails', async () => {
    const logs: LogRecord[] = [];
    const clock = new ManualClock();
    const arrival = { date: new Date('2026-12-06T07:00:00.000Z'), clockMs: clock.now() };
    await clock.advance(5250);
    const page = serviceFailure(
      new Request('https://www.gov.uk/a?b=c'),
      'TypeError: URL constructor: https://www.gov.uk/a?b=c is not a valid URL.',
      {
        config: DEFAULT_CONFIG,
        configProblems: [],
        requestId: 'r',
        clock,
        connection: { clientAddress: '192.0.2.10', serverHostname: 'cache-test-lhr1' },
        log: (line) => logs.push(line()),
      },
      arrival,
    );
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('Sorry, there is a problem with the service');
    expect(page.headers.get('Fastly-Backend-Name')).toBe('error');
    expect(page.headers.get('Fastly-Restarts')).toBe('0');
    expect(page.headers.get('Cache-Control')).toBe('max-age=1');
    expect(page.headers.get('Strict-Transport-Security')).toBe('max-age=31536000; preload');
    // Timed from the arrival (a bug found after 5.25 s of failover is not logged as instant), and no query anywhere.
    expect(logs).toEqual([
      expect.objectContaining({
        url: '/a', status: 503, fastly_backend: 'error', cache_response: 'ERROR', client_ip: null,
        request_received: '2026-12-06 07:00:00.000', request_time: 5.25,
        error: 'TypeError: URL constructor: https://www.gov.uk/a?\u2026 is not a valid URL.',
      }),
    ]);
    expect(JSON.stringify(logs)).not.toContain('b=c');
  });
});

describe('serve: mirror requests', () => {
  it('asks the bucket for the crawler key, with only harmless headers', async () => {
    const { sent } = await request(
      { answers: { ...ORIGIN_DOWN, mirrorS3: { status: 200 } }, config: { mirrorS3: { prefix: 'www.gov.uk', host: 'bucket.s3.amazonaws.com' } } },
      'https://www.gov.uk/a%20b/?q=1',
      { headers: { Cookie: 'session=secret', Authorization: 'Basic c2VjcmV0', 'If-None-Match': '"x"', Range: 'bytes=0-1', 'User-Agent': 'curl/8', Accept: 'text/html', 'Backend-Override-Token': 'tok' } },
    );
    const mirror = sent.find((s) => s.backend === 'mirrorS3')!.request;
    expect(new URL(mirror.url).pathname).toBe('/www.gov.uk/a%2520b/index.html');
    expect(new URL(mirror.url).search).toBe('');
    expect(mirror.method).toBe('GET');
    expect(Object.fromEntries(mirror.headers)).toEqual({ accept: 'text/html', 'user-agent': 'curl/8', 'fastly-failover': '1', host: 'bucket.s3.amazonaws.com' });
    const origin = sent.find((s) => s.backend === 'origin')!.request;
    expect(origin.headers.has('Backend-Override-Token')).toBe(false);
  });

  it("never asks a bucket with the user's Host: a mirror whose bucket host cannot be told is skipped, and the log says why", async () => {
    const { response, sent, logs } = await request(
      { answers: { ...ORIGIN_DOWN, mirrorS3: { status: 200 }, mirrorS3Replica: { status: 200 } }, bucketHost: (m) => (m === 'mirrorS3' ? null : 'replica.bucket.test') },
      'https://www.gov.uk/browse',
      { headers: { Host: 'www.gov.uk' } },
    );
    expect(response.headers.get('Fastly-Backend-Name')).toBe('mirrorS3Replica');
    expect(sent.map((s) => s.backend)).toEqual(['origin', 'mirrorS3Replica']);
    expect(sent[1]!.request.headers.get('Host')).toBe('replica.bucket.test');
    expect(new URL(sent[1]!.request.url).host).toBe('replica.bucket.test');
    expect(logs[0]!.attempts[1]).toMatchObject({
      backend: 'mirrorS3',
      outcome: 'unavailable',
      detail: 'no bucket host: set mirror_s3_host in config store failover_config, or an override host on backend mirrorS3',
    });
    expect(response.headers.get('Server-Timing')).toContain('mirrorS3;desc="unavailable"');
  });

  it('says why with an override too, for check to show', async () => {
    const { response, body } = await request({ bucketHost: () => null }, 'https://www.gov.uk/browse', { headers: { 'Backend-Override': 'mirrorGCS' } });
    expect(response.status).toBe(503);
    expect(body).toContain('mirrorGCS unavailable: no bucket host: set mirror_gcs_host in config store failover_config, or an override host on backend mirrorGCS');
  });

  it.each<[string | null, string, string | null]>([
    ['govuk-production-mirror.s3.eu-west-2.amazonaws.com', '52.95.148.1', 'govuk-production-mirror.s3.eu-west-2.amazonaws.com'],
    [null, 'govuk-production-mirror.s3.eu-west-2.amazonaws.com', 'govuk-production-mirror.s3.eu-west-2.amazonaws.com'],
    [null, 'GOVUK-Mirror.storage.googleapis.com', 'govuk-mirror.storage.googleapis.com'],
    [null, '127.0.0.1', null],
    [null, '::1', null],
    [null, '2001:db8::1', null],
    [null, 'localhost', null],
    [null, '', null],
  ])('a backend with override host %j and address %j names the bucket host %j', (overrideHost, target, expected) => {
    expect(bucketHostOf({ overrideHost, target })).toBe(expected);
  });

  it('signs GCS requests with the HMAC key from the secret store', async () => {
    const { sent, logs } = await request(
      { answers: { ...ORIGIN_DOWN, mirrorS3: { status: 404 }, mirrorS3Replica: { status: 404 }, mirrorGCS: { status: 200 } }, secrets: { gcs_access_id: 'GOOGTESTID', gcs_secret_key: 'very-secret-key' } },
      'https://www.gov.uk/browse',
    );
    const gcs = sent.find((s) => s.backend === 'mirrorGCS')!.request;
    expect(gcs.method).toBe('GET');
    expect(gcs.headers.get('Date')).toBe('Sat, 21 Nov 2026 12:00:00 GMT');
    expect(gcs.headers.get('Authorization')).toMatch(/^AWS GOOGTESTID:[A-Za-z0-9+/]{27}=$/);
    expect(JSON.stringify(logs)).not.toContain('very-secret-key');
    expect(JSON.stringify(logs)).not.toContain('GOOGTESTID:');
  });

  it('skips GCS, and says why in the log, without a key', async () => {
    const { response, sent, logs } = await request({ answers: { ...ORIGIN_DOWN, mirrorS3: { status: 404 }, mirrorS3Replica: { status: 404 }, mirrorGCS: { status: 200 } } }, 'https://www.gov.uk/browse');
    expect(response.status).toBe(503);
    expect(response.headers.get('Fastly-Restarts')).toBe('3');
    expect(sent.map((s) => s.backend)).toEqual(['origin', 'mirrorS3', 'mirrorS3Replica']);
    expect(logs[0]!.attempts[3]).toMatchObject({ backend: 'mirrorGCS', outcome: 'unavailable' });
    expect(logs[0]!.attempts[3]!.detail).toContain('failover_secrets');
  });

  it('skips GCS without a bucket name', async () => {
    const { logs } = await request({ answers: { ...ORIGIN_DOWN }, config: { gcsBucket: null }, secrets: { gcs_access_id: 'a', gcs_secret_key: 'b' } }, 'https://www.gov.uk/');
    expect(logs[0]!.attempts[3]).toMatchObject({ backend: 'mirrorGCS', outcome: 'unavailable' });
    expect(logs[0]!.attempts[3]!.detail).toContain('gcs_bucket');
  });

  it('sends mirrors through the cache for 900 s, and overrides past it', async () => {
    const { sent } = await request({ answers: { ...ORIGIN_DOWN, mirrorS3: { status: 200 } } }, 'https://www.gov.uk/');
    expect(sent.map((s) => s.cache.kind)).toEqual(['cache', 'cache']);
    const over = await request({ answers: { mirrorS3: { status: 200 } } }, 'https://www.gov.uk/', { headers: { 'Backend-Override': 'mirrorS3' } });
    expect(over.sent.map((s) => s.cache.kind)).toEqual(['pass']);
  });
});

describe("serve: GOV.UK's edge contract with origin", () => {
  const CLIENT_CLAIMS = { 'Fastly-Client-IP': '10.9.9.9', 'True-Client-IP': '10.9.9.9', 'X-Forwarded-For': '10.9.9.9, 10.8.8.8', 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Server': 'evil', 'Client-IP': '10.9.9.9' };

  it.each(['GET', 'HEAD', 'POST'])('tells origin who is asking from the connection, never from the %s request', async (method) => {
    const { sent } = await request({ answers: { origin: { status: 200 } } }, 'https://www.gov.uk/browse', { method, headers: { ...CLIENT_CLAIMS, Host: 'www.gov.uk' }, ...(method === 'POST' ? { body: 'x' } : {}) });
    const origin = sent[0]!.request.headers;
    expect(origin.get('Fastly-Client-IP')).toBe('192.0.2.10');
    expect(origin.get('True-Client-IP')).toBe('192.0.2.10');
    expect(origin.get('X-Forwarded-For')).toBe('192.0.2.10');
    expect(origin.get('X-Forwarded-Host')).toBe('www.gov.uk');
    expect(origin.get('X-Forwarded-Server')).toBe('cache-test-lhr1');
    expect(origin.has('Client-IP')).toBe(false);
  });

  it.each<[string, string, string, boolean, CacheRule['kind']]>([
    ['GET', '/browse/benefits', 'dropped', false, 'cache'],
    ['HEAD', '/browse/benefits', 'dropped', false, 'cache'],
    ['GET', '/email/subscriptions', 'kept', true, 'pass'],
    ['GET', '/email-signup', 'kept (the VCL matches the prefix alone)', true, 'pass'],
    ['GET', '/apply-for-a-licence/x', 'kept', true, 'pass'],
    ['GET', '/sign-in/callback/x', 'kept', true, 'pass'],
    ['GET', '/sign-in/callback', 'dropped (the prefix ends with a slash)', false, 'cache'],
    ['POST', '/browse/benefits', 'kept', true, 'pass'],
  ])('%s %s: its cookie is %s, and origin\'s answer is shared only without it', async (method, path, _what, kept, cache) => {
    const { sent, response } = await request(
      { answers: { origin: { status: 200, headers: { 'Set-Cookie': 'session=for-one-user' } } } },
      `https://www.gov.uk${path}`,
      { method, headers: { Cookie: 'session=secret' }, ...(method === 'POST' ? { body: 'x' } : {}) },
    );
    expect(sent[0]!.request.headers.get('Cookie')).toBe(kept ? 'session=secret' : null);
    expect(sent[0]!.cache.kind).toBe(cache);
    expect(response.headers.get('Set-Cookie'), 'Set-Cookie only where the cookie was sent').toBe(kept ? 'session=for-one-user' : null);
  });

  it('sends origin a new request with the method the service judged it by, and no framing for a body a GET does not carry', async () => {
    const original = new Request('https://www.gov.uk/browse', { headers: { 'Content-Length': '3', 'Transfer-Encoding': 'chunked', Host: 'www.gov.uk' } });
    const { sent } = await request({ answers: { origin: { status: 200 } } }, original.url, { headers: Object.fromEntries(original.headers) });
    expect(sent[0]!.request.method).toBe('GET');
    expect(sent[0]!.request.headers.has('Content-Length')).toBe(false);
    expect(sent[0]!.request.headers.has('Transfer-Encoding')).toBe(false);
  });

  it('keeps a POST\'s body and its framing for origin', async () => {
    const { sent } = await request({ answers: { origin: { status: 200 } } }, 'https://www.gov.uk/form', { method: 'POST', body: 'a=1', headers: { 'Content-Length': '3' } });
    expect(sent[0]!.request.method).toBe('POST');
    expect(await sent[0]!.request.text()).toBe('a=1');
    expect(sent[0]!.request.headers.get('Content-Length')).toBe('3');
  });

  it('never shares an answer to a request carrying Authorization', async () => {
    const { sent } = await request({ answers: { origin: { status: 200 } } }, 'https://www.gov.uk/browse', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } });
    expect(sent[0]!.request.headers.get('Authorization'), 'origin still gets it').toBe('Basic dXNlcjpwYXNz');
    expect(sent[0]!.cache).toEqual({ kind: 'pass' });
  });

  it('still sends the mirrors a request with neither cookie nor Authorization, through the shared cache', async () => {
    const { sent } = await request({ answers: { origin: { status: 503 }, mirrorS3: { status: 200 } } }, 'https://www.gov.uk/email/x', { headers: { Authorization: 'Basic dXNlcjpwYXNz', Cookie: 'a=b' } });
    const mirror = sent.find((s) => s.backend === 'mirrorS3')!;
    expect(mirror.request.headers.has('Cookie')).toBe(false);
    expect(mirror.request.headers.has('Authorization')).toBe(false);
    expect(mirror.cache.kind).toBe('cache');
  });
});

describe('serve: Backend-Override', () => {
  it.each<[string, BackendName]>([
    ['origin', 'origin'],
    ['mirrorS3', 'mirrorS3'],
    ['mirrors3replica', 'mirrorS3Replica'],
  ])('%s reads that backend only, with its real status', async (header, backend) => {
    const { response, body, sent } = await request({ answers: { origin: { status: 500 }, mirrorS3: { status: 404, body: 'NoSuchKey' }, mirrorS3Replica: { status: 200 } } }, 'https://www.gov.uk/x', { headers: { 'Backend-Override': header } });
    expect(sent.map((s) => s.backend)).toEqual([backend]);
    expect(response.status).toBe({ origin: 500, mirrorS3: 404, mirrorS3Replica: 200, mirrorGCS: 0 }[backend]);
    expect(response.headers.get('Fastly-Backend-Name')).toBe(backend);
    expect(response.headers.get('Cache-Control')).toBe('private, no-store');
    expect(response.headers.get('Fastly-Restarts')).toBe('0');
    if (backend === 'mirrorS3') expect(body).toBe('NoSuchKey');
  });

  it('says plainly when the named backend refuses (502)', async () => {
    const refused = await request({ answers: { mirrorS3: { fail: 'refused' } } }, 'https://www.gov.uk/', { headers: { 'Backend-Override': 'mirrorS3' } });
    expect(refused.response.status).toBe(502);
    expect(refused.body).toContain('mirrorS3 connection-error');
    expect(refused.response.headers.get('Cache-Control')).toBe('private, no-store');
  });

  it('answers a bad value with 400 naming the allowed values', async () => {
    const { response, body, sent, logs } = await request({}, 'https://www.gov.uk/', { headers: { 'Backend-Override': 'mirrorS4' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('Content-Type')).toBe('text/plain; charset=utf-8');
    expect(body).toContain('"mirrorS4" is not a backend');
    expect(body).toContain('origin, mirrorS3, mirrorS3Replica, mirrorGCS');
    expect(sent).toEqual([]);
    expect(response.headers.get('Fastly-Backend-Name')).toBe('error');
    expect(logs[0]).toMatchObject({ status: 400, override: 'rejected' });
  });

  it('ignores the header when disabled, and says so', async () => {
    const { response, sent } = await request({ answers: { origin: { status: 200 } }, config: { backendOverride: 'disabled' } }, 'https://www.gov.uk/', { headers: { 'Backend-Override': 'mirrorS3' } });
    expect(sent.map((s) => s.backend)).toEqual(['origin']);
    expect(response.headers.get('Backend-Override-Ignored')).toBe('disabled');
    expect(response.headers.get('Cache-Control')).toBeNull();
  });

  it('needs the token in token mode, and never shows it', async () => {
    const world: World = { answers: { mirrorS3: { status: 200 } }, config: { backendOverride: 'token' }, secrets: { override_token: 'letmein' } };
    const ok = await request(world, 'https://www.gov.uk/', { headers: { 'Backend-Override': 'mirrorS3', 'Backend-Override-Token': 'letmein' } });
    expect(ok.response.headers.get('Fastly-Backend-Name')).toBe('mirrorS3');
    const bad = await request(world, 'https://www.gov.uk/', { headers: { 'Backend-Override': 'mirrorS3', 'Backend-Override-Token': 'guess' } });
    expect(bad.response.status).toBe(403);
    expect(bad.body).not.toContain('letmein');
    expect(JSON.stringify(bad.logs)).not.toContain('letmein');
    expect(JSON.stringify(bad.logs)).not.toContain('guess');
  });

  it('reads no secret on the normal path', async () => {
    const { secretsRead } = await request({ answers: { origin: { status: 200 } } }, 'https://www.gov.uk/');
    expect(secretsRead).toEqual([]);
  });
});

describe('serve: bad input', () => {
  it.each<[string, string, RequestInit, number, string]>([
    ['an unknown method', 'https://www.gov.uk/', { method: 'PROPFIND' }, 501, 'Allowed: GET, HEAD'],
    ['a URL over 8,000 bytes', `https://www.gov.uk/${'a'.repeat(9000)}`, {}, 414, 'the limit is 8000 bytes'],
    ['headers over 32 KiB in all', 'https://www.gov.uk/', { headers: { Cookie: `c=${'a'.repeat(33 * 1024)}` } }, 431, 'the limit is 32768 bytes'],
    ['an encoded NUL in the path', 'https://www.gov.uk/a%00b', {}, 400, 'U+0000'],
    ['an encoded CRLF in the path', 'https://www.gov.uk/a%0d%0aX:y', {}, 400, 'U+000D'],
  ])('answers %s with a plain reason', async (_name, url, init, status, text) => {
    const { response, body, sent, logs } = await request({}, url, init);
    expect(response.status).toBe(status);
    expect(body).toContain(text);
    expect(sent).toEqual([]);
    expect(response.headers.get('Fastly-Backend-Name')).toBe('error');
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(logs).toHaveLength(1);
  });
});

describe('serve: the log line', () => {
  it("holds GOV.UK's CDN log columns, then each attempt, and no client address, query, cookie or secret", async () => {
    const { logs } = await request(
      { answers: { ...ORIGIN_DOWN, mirrorS3: { status: 200, headers: { 'Content-Type': 'text/html', 'Content-Length': '13' } } } },
      'https://www.gov.uk/search/all?keywords=my+name',
      { headers: { Cookie: 'session=abc123', 'User-Agent': 'curl/8.5.0' } },
    );
    expect(logs).toEqual([
      {
        client_ip: null,
        request_received: '2026-11-21 12:00:00.000',
        request_received_offset: '+0000',
        method: 'GET',
        url: '/search/all',
        status: 200,
        protocol: null,
        request_time: 0,
        time_to_generate_response: 0,
        bytes: 13,
        content_type: 'text/html',
        user_agent: 'curl/8.5.0',
        fastly_backend: 'mirrorS3',
        data_centre: null,
        cache_hit: true,
        cache_response: 'MISS',
        tls_client_protocol: null,
        tls_client_cipher: null,
        client_ja3: null,
        request_id: 'req-1',
        override: null,
        attempts: [
          { backend: 'origin', outcome: 'http-error', status: 503, start_ms: 0, ms: 0 },
          { backend: 'mirrorS3', outcome: 'ok', status: 200, start_ms: 0, ms: 0, objects: ['www.gov.uk/search/all.html'] },
        ],
      },
    ]);
    expect(Object.keys(logs[0]!).slice(0, Object.keys(GOVUK_LOG_COLUMNS).length)).toEqual(Object.keys(GOVUK_LOG_COLUMNS));
    expect(JSON.stringify(logs)).not.toContain('abc123');
  });

  it.each([false, true])('writes a query quoted in an error message only when log_personal_data is %s', async (personalData) => {
    const thrown = { fail: 'throws', message: 'URL constructor: https://www.gov.uk/a?email=me%40example.com is not a valid URL.' } as const;
    const { logs } = await request({ config: { logPersonalData: personalData }, answers: { origin: thrown, mirrorS3: { status: 200 } } }, 'https://www.gov.uk/a?email=me%40example.com');
    expect(logs[0]!.attempts[0]).toMatchObject({ backend: 'origin', outcome: 'error' });
    expect(logs[0]!.attempts[0]!.detail).toBe(personalData ? thrown.message : 'URL constructor: https://www.gov.uk/a?\u2026 is not a valid URL.');
    expect(JSON.stringify(logs).includes('me%40example.com')).toBe(personalData);
  });

  it('writes at most 1,000 characters of a long path', async () => {
    const path = `/${'a'.repeat(4999)}`;
    const { response, logs } = await request({ answers: { origin: { status: 200 } } }, `https://www.gov.uk${path}`);
    expect(response.status).toBe(200);
    expect(logs[0]!.url).toBe(path.slice(0, 1000));
  });

  it('writes the client address and the query string only with log_personal_data = true', async () => {
    const { logs } = await request({ config: { logPersonalData: true }, answers: { origin: { status: 200 } } }, 'https://www.gov.uk/search/all?keywords=my+name#top');
    expect(logs[0]).toMatchObject({ client_ip: '192.0.2.10', url: '/search/all?keywords=my+name', cache_response: 'MISS' });
  });

  it.each([
    ['an answer from origin, cacheable', 'https://www.gov.uk/a', {}, { origin: { status: 200 } }, 'MISS', true],
    ['an override (never shared)', 'https://www.gov.uk/a', { headers: { 'Backend-Override': 'origin' } }, { origin: { status: 200 } }, 'PASS', false],
    ['a POST (never cached)', 'https://www.gov.uk/a', { method: 'POST', body: 'x' }, { origin: { status: 200 } }, 'PASS', false],
    ['a GET with Authorization (never shared)', 'https://www.gov.uk/a', { headers: { Authorization: 'Basic eA==' } }, { origin: { status: 200 } }, 'PASS', false],
    ['a refusal', 'https://www.gov.uk/a', { method: 'BREW' }, {}, 'ERROR', false],
    ['the 503 page', 'https://www.gov.uk/a', {}, { origin: { status: 503 } }, 'ERROR', false],
  ] as const)('says %s is cache_response %s', async (_name, url, init, answers, cacheResponse, cacheHit) => {
    const { logs } = await request({ answers }, url, init as RequestInit);
    expect(logs[0]).toMatchObject({ cache_response: cacheResponse, cache_hit: cacheHit });
  });

  it('counts a HEAD answer as 0 bytes, and a body of unknown length as null', async () => {
    const head = await request({ answers: { origin: { status: 200, headers: { 'Content-Length': '99' } } } }, 'https://www.gov.uk/a', { method: 'HEAD' });
    expect(head.logs[0]!.bytes).toBe(0);
    const streamed = await request({ answers: { origin: { status: 200 } } }, 'https://www.gov.uk/a');
    expect(streamed.logs[0]!.bytes).toBeNull();
  });
});

describe('serve: GOV.UK account sessions', () => {
  const SIGNED_IN = { headers: { Cookie: 'cookies_policy=x; __Host-govuk_account_session=csrf_t$$head' } };

  it("a signed-in GET: origin gets the session's headers and no cookie, the request is passed, and no bucket sees the session", async () => {
    const { sent } = await request({ answers: { origin: { status: 503 }, mirrorS3: { status: 200 } } }, 'https://www.gov.uk/browse/benefits', SIGNED_IN);
    const origin = sent.find((s) => s.backend === 'origin')!;
    expect(origin.request.headers.get('GOVUK-Account-Session')).toBe('csrf_t$$head');
    expect(origin.request.headers.get('GOVUK-Account-Session-Exists')).toBe('1');
    expect(origin.request.headers.get('GOVUK-Account-Session-Flash')).toBe('head');
    expect(origin.request.headers.has('Cookie')).toBe(false);
    expect(origin.cache.kind).toBe('pass');
    const mirror = sent.find((s) => s.backend === 'mirrorS3')!;
    expect([...mirror.request.headers.keys()].filter((k) => k.startsWith('govuk-account'))).toEqual([]);
  });

  it('a signed-out GET with forged session headers: origin gets none of them, and the answer may be shared', async () => {
    const { sent } = await request({ answers: { origin: { status: 200 } } }, 'https://www.gov.uk/browse/benefits', { headers: { 'GOVUK-Account-Session': 'someone-else', 'GOVUK-Account-Session-Exists': '1' } });
    expect([...sent[0]!.request.headers.keys()].filter((k) => k.startsWith('govuk-account'))).toEqual([]);
    expect(sent[0]!.cache.kind).toBe('cache');
  });

  it("origin's new session becomes the cookie, the answer is no-store, and the header stays behind", async () => {
    const { response, sent } = await request({ answers: { origin: { status: 302, headers: { 'GOVUK-Account-Session': 'fresh', Location: '/account' } } } }, 'https://www.gov.uk/sign-in/callback/x?code=1');
    expect(response.status).toBe(302);
    expect(response.headers.getSetCookie()).toEqual(['__Host-govuk_account_session=fresh; secure; httponly; samesite=lax; path=/']);
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(response.headers.has('GOVUK-Account-Session')).toBe(false);
    expect(sent[0]!.cache.kind).toBe('pass');
  });

  it('an answer that sets a session is never stored, even for a request that could share', async () => {
    const { sent } = await request({ answers: { origin: { status: 200 } } }, 'https://www.gov.uk/browse/benefits');
    const rule = sent[0]!.cache;
    if (rule.kind !== 'cache') throw new Error('expected a cache rule');
    expect(rule.decide(200, new Headers({ 'GOVUK-Account-Session': 'fresh', 'Cache-Control': 'max-age=60' }), false)).toEqual({ store: 'never' });
    expect(rule.decide(200, new Headers({ 'GOVUK-Account-End-Session': '1' }), false)).toEqual({ store: 'never' });
  });

  it('a mirror answer to a signed-in user sets no cookie', async () => {
    const { response } = await request({ answers: { origin: { status: 503 }, mirrorS3: { status: 200, headers: { 'GOVUK-Account-Session': 'from-a-bucket' } } } }, 'https://www.gov.uk/browse/benefits', SIGNED_IN);
    expect(response.headers.get('Fastly-Backend-Name')).toBe('mirrorS3');
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.has('GOVUK-Account-Session')).toBe(false);
  });
});

describe('serve: a session only where no one else could get the answer', () => {
  it('a signed-out GET outside the cookie paths: origin\'s session header is dropped, no cookie is set', async () => {
    const { response } = await request({ answers: { origin: { status: 200, headers: { 'GOVUK-Account-Session': 'everyone', 'Cache-Control': 'max-age=60' } } } }, 'https://www.gov.uk/browse/benefits');
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.has('GOVUK-Account-Session')).toBe(false);
  });

  it('a signed-in GET: private and Vary: Cookie, whatever origin said', async () => {
    const { response } = await request(
      { answers: { origin: { status: 200, headers: { 'Cache-Control': 'public, max-age=60' } } } },
      'https://www.gov.uk/browse/benefits',
      { headers: { Cookie: '__Host-govuk_account_session=abc' } },
    );
    expect(response.headers.get('Cache-Control')).toBe('max-age=60, private');
    expect(response.headers.get('Vary')).toBe('Cookie');
  });
});

describe('serve: HTTPS only, on every answer', () => {
  it.each([
    ['an origin answer', { origin: { status: 200 } }, 'https://www.gov.uk/a', {}],
    ["an origin answer with its own, weaker header", { origin: { status: 200, headers: { 'Strict-Transport-Security': 'max-age=0' } } }, 'https://www.gov.uk/a', {}],
    ["a mirror's copy", { origin: { status: 503 }, mirrorS3: { status: 200 } }, 'https://www.gov.uk/a', {}],
    ['the 503 page', { origin: { status: 503 } }, 'https://www.gov.uk/a', {}],
    ['a refusal', {}, 'https://www.gov.uk/a', { method: 'BREW' }],
    ['an override', { mirrorS3: { status: 200 } }, 'https://www.gov.uk/a', { headers: { 'Backend-Override': 'mirrorS3' } }],
  ] as const)('%s: Strict-Transport-Security as GOV.UK sends it', async (_name, answers, url, init) => {
    const { response } = await request({ answers }, url, init as RequestInit);
    expect(response.headers.get('Strict-Transport-Security')).toBe('max-age=31536000; preload');
  });
});
