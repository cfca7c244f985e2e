/**
 * Fuzzed input through `serve()` with a fake platform: random methods, URLs
 * (raw bytes, over-long, encoded control characters, hostile paths), override
 * headers and tokens, under random configurations and backend answers. Bad
 * input must get one of the documented refusals (docs/behaviour.md, rule 12, and
 * Backend-Override) as a short plain-text reason, with no backend contacted;
 * good input must never be refused, and no request to a bucket may leave its
 * prefix. And `serve()` never throws.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND_ORDER, type BackendName, isMirror } from '../../src/core/backends.ts';
import { type Config, DEFAULT_CONFIG, type OverrideMode } from '../../src/core/config.ts';
import type { LogRecord } from '../../src/core/log-line.ts';
import { normalizeMirrorPrefix } from '../../src/core/mirror-path.ts';
import { ALLOWED_METHODS, checkRequest, MAX_HEADER_BYTES, MAX_URL_BYTES } from '../../src/core/request-checks.ts';
import { serve } from '../../src/core/service.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { pagePath } from '../support/path-arbitraries.ts';
import { runs } from '../support/property-runs.ts';

type Answer = { readonly status: number } | { readonly refuse: true };

interface Input {
  readonly method: string;
  readonly url: string;
  readonly override: string | undefined;
  readonly token: string | undefined;
  readonly mode: OverrideMode;
  readonly secretToken: string | undefined;
  readonly prefix: string;
  readonly host: string | null;
  readonly answers: Readonly<Record<BackendName, Answer>>;
  /** Bytes of padding in a big cookie, around the header limit. */
  readonly cookieBytes: number;
}

/** A header value the platform accepts: Latin-1, no NUL, CR or LF. */
const headerValue = fc.string({ unit: fc.integer({ min: 1, max: 0xff }).filter((c) => c !== 0x0a && c !== 0x0d).map((c) => String.fromCharCode(c)), maxLength: 24 });
const backendSpelling = fc.constantFrom(...BACKEND_ORDER).chain((name) => fc.constantFrom(name, name.toUpperCase(), name.toLowerCase(), ` ${name} `));
/** Methods a client can put in a request line; the Request constructor refuses CONNECT, TRACE and TRACK itself. */
const method = fc
  .oneof(
    { weight: 8, arbitrary: fc.constantFrom(...ALLOWED_METHODS, 'GET', 'GET', 'HEAD') },
    { weight: 1, arbitrary: fc.constantFrom('get', 'head', 'post', 'patch', 'Patch', 'PROPFIND', 'BREW', 'MKCOL', 'PURGE', 'FASTLYPURGE') },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~0-9-]{1,12}$/) },
  )
  .filter((m) => !['CONNECT', 'TRACE', 'TRACK'].includes(m.toUpperCase()));
const encodedControl = fc.integer({ min: 0, max: 0x20 }).map((c) => (c === 0x20 ? '%7F' : `%${c.toString(16).padStart(2, '0')}`));
const rawByte = fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c));
const path = fc.oneof(
  { weight: 12, arbitrary: pagePath() },
  { weight: 2, arbitrary: pagePath({ rawControls: true, rawLineBreaks: true }) },
  { weight: 1, arbitrary: fc.tuple(pagePath(), encodedControl, pagePath()).map(([a, c, b]) => `${a}${c}${b}`) },
  { weight: 1, arbitrary: fc.tuple(pagePath(), fc.array(rawByte, { minLength: 1, maxLength: 6 })).map(([a, bytes]) => `${a}${bytes.join('')}`) },
  { weight: 1, arbitrary: fc.integer({ min: MAX_URL_BYTES - 40, max: MAX_URL_BYTES + 200 }).map((n) => `/${'a'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.tuple(pagePath(), fc.integer({ min: 100, max: 3000 })).map(([p, n]) => `${p}?q=${'%00'.repeat(n)}`) },
);
const answer: fc.Arbitrary<Answer> = fc.oneof(fc.constantFrom(200, 200, 301, 403, 404, 500, 503).map((status) => ({ status })), fc.constant({ refuse: true as const }));

const input: fc.Arbitrary<Input> = fc.record({
  method,
  url: fc.tuple(fc.constantFrom('https://www.gov.uk', 'http://127.0.0.1:7676'), path).map(([origin, p]) => `${origin}${p}`),
  override: fc.option(fc.oneof(backendSpelling, headerValue), { nil: undefined }),
  token: fc.option(fc.oneof(fc.constant('letmein'), headerValue), { nil: undefined }),
  mode: fc.constantFrom<OverrideMode>('enabled', 'disabled', 'token'),
  secretToken: fc.option(fc.constantFrom('letmein', ''), { nil: undefined }),
  prefix: fc.constantFrom('www.gov.uk', 'mirror/www.gov.uk', '', 'my mirror'),
  host: fc.constantFrom(null, 'bucket.example', 'govuk-test-mirror.storage.googleapis.com'),
  answers: fc.record({ origin: answer, mirrorS3: answer, mirrorS3Replica: answer, mirrorGCS: answer }),
  cookieBytes: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: MAX_HEADER_BYTES - 200, max: MAX_HEADER_BYTES + 200 }) }),
});

/** Header bytes as docs/behaviour.md counts them: `name: value` and CR LF per header. */
function headerBytes(headers: Headers): number {
  let total = 0;
  for (const [name, value] of headers) total += name.length + value.length + 4;
  return total;
}

/** The documented refusals (docs/behaviour.md, rule 12), in the order they are checked, stated from the request as the platform hands it over. */
function expectedRefusal(request: Request, i: Input): { status: 400 | 403 | 414 | 431 | 501; says: RegExp } | undefined {
  if (new TextEncoder().encode(request.url).length > MAX_URL_BYTES) return { status: 414, says: new RegExp(`the limit is ${MAX_URL_BYTES} bytes`) };
  if (headerBytes(request.headers) > MAX_HEADER_BYTES) return { status: 431, says: new RegExp(`request headers are \\d+ bytes long in all; the limit is ${MAX_HEADER_BYTES} bytes`) };
  if (!(ALLOWED_METHODS as readonly string[]).includes(request.method)) return { status: 501, says: /Allowed: GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH\./ };
  const path = new URL(request.url).pathname;
  if (/[\x00-\x1f\x7f]|%[01][0-9a-f]|%7f/i.test(path)) return { status: 400, says: /control character/ };
  const override = request.headers.get('Backend-Override');
  if (override === null || i.mode === 'disabled') return undefined;
  const known = BACKEND_ORDER.some((b) => b.toLowerCase() === override.trim().toLowerCase());
  if (!known) return { status: 400, says: /is not a backend\. Allowed values: origin, mirrorS3, mirrorS3Replica, mirrorGCS/ };
  if (i.mode === 'token' && (!i.secretToken || request.headers.get('Backend-Override-Token') !== i.secretToken)) return { status: 403, says: /Backend-Override needs/ };
  return undefined;
}

async function serveFuzzed(i: Input, request: Request) {
  const sent: { backend: BackendName; request: Request }[] = [];
  const logs: LogRecord[] = [];
  const mirror = { prefix: i.prefix, host: i.host };
  const config: Config = { ...DEFAULT_CONFIG, backendOverride: i.mode, mirrorS3: mirror, mirrorS3Replica: mirror, mirrorGCS: mirror, gcsBucket: 'govuk-test-mirror' };
  const secrets: Record<string, string | undefined> = { gcs_access_id: 'GOOGTEST', gcs_secret_key: 'secret', override_token: i.secretToken };
  const response = await serve(request, {
    config,
    configProblems: [],
    clock: new ManualClock(),
    requestId: 'fuzz',
    connection: { clientAddress: '192.0.2.10', serverHostname: 'cache-test-lhr1' },
    bucketHost: (mirror) => `${mirror.toLowerCase()}.bucket.test`,
    date: () => new Date('2026-11-21T12:00:00Z'),
    health: () => 'unknown',
    async send(backend, req) {
      sent.push({ backend, request: req });
      const a = i.answers[backend];
      if ('refuse' in a) throw Object.assign(new Error('Connection refused'), { name: 'NetworkError' });
      return new Response(`${backend} ${a.status}`, { status: a.status });
    },
    secret: async (key) => secrets[key] ?? null,
    log: (line) => logs.push(line()),
  });
  return { response, body: await response.text(), sent, logs };
}

describe('serve() on fuzzed input', () => {
  /** How the fuzzed requests ended, to see that each refusal and each kind of answer is exercised. */
  const endings = new Map<string, number>();
  const count = (ending: string) => endings.set(ending, (endings.get(ending) ?? 0) + 1);
  afterAll(() => {
    if (endings.size > 0) console.log(`[serve fuzz] ${[...endings].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  });

  it('refuses bad input as documented, serves good input, and never builds a bucket request outside the prefix', async () => {
    await fc.assert(
      fc.asyncProperty(input, async (i) => {
        const headers = new Headers();
        if (i.override !== undefined) headers.set('Backend-Override', i.override);
        if (i.token !== undefined) headers.set('Backend-Override-Token', i.token);
        headers.set('Cookie', i.cookieBytes > 0 ? `session=secret; pad=${'p'.repeat(i.cookieBytes)}` : 'session=secret');
        const request = new Request(i.url, { method: i.method, headers });
        const refusal = expectedRefusal(request, i);

        const { response, body, sent, logs } = await serveFuzzed(i, request);

        expect(logs, 'one log line').toHaveLength(1);
        expect(logs[0]!.status).toBe(response.status);
        expect(logs[0]!.url).not.toContain('?');
        const query = new URL(request.url).search;
        // Looked for as written in the line too: JSON escapes a query's `\` and `"`.
        if (query.length > 1) for (const form of [query, JSON.stringify(query).slice(1, -1)]) expect(JSON.stringify(logs), 'the query nowhere in the line').not.toContain(form);
        expect(logs[0]!.url.length).toBeLessThanOrEqual(1000);
        expect(logs[0]!.client_ip).toBeNull();
        expect(JSON.stringify(logs)).not.toContain('session=secret');
        expect(response.headers.get('Fastly-Backend-Name')).not.toBeNull();
        expect(response.headers.get('Fastly-Restarts')).toMatch(/^\d+$/);

        count(refusal !== undefined ? `refused ${refusal.status}` : `${response.status} from ${response.headers.get('Fastly-Backend-Name')}`);
        if (refusal !== undefined) {
          expect({ status: response.status, sent: sent.length }).toEqual({ status: refusal.status, sent: 0 });
          expect(response.headers.get('Content-Type')).toBe('text/plain; charset=utf-8');
          expect(response.headers.get('Cache-Control')).toBe('no-store');
          expect(response.headers.get('Fastly-Backend-Name')).toBe('error');
          // One short line, printable, saying what was wrong and what is allowed.
          expect(body).toMatch(/^[\x20-\x7e\u2026]{10,400}\n$/);
          expect(body).toMatch(refusal.says);
          return;
        }

        // Good input is never refused: a backend answered, or the 503 page or override failure says why not.
        expect(sent.length).toBeGreaterThan(0);
        expect([400, 403, 414, 431, 501].includes(response.status) && response.headers.get('Fastly-Backend-Name') === 'error').toBe(false);
        const served = response.headers.get('Fastly-Backend-Name');
        if (served === 'error') expect([502, 503, 504]).toContain(response.status);

        // Every bucket request: GET, no query, no cookie, the bucket's own host (never the user's), a key inside the prefix.
        const head = normalizeMirrorPrefix(i.prefix);
        for (const { backend, request: r } of sent) {
          if (!isMirror(backend)) continue;
          const url = new URL(r.url);
          expect(r.method).toBe('GET');
          expect(url.search).toBe('');
          expect(r.headers.has('Cookie')).toBe(false);
          expect(url.host).toBe(i.host ?? `${backend.toLowerCase()}.bucket.test`);
          expect(r.headers.get('Host')).toBe(url.host);
          const segments = url.pathname.slice(1).split('/').map(decodeURIComponent);
          const key = segments.join('/');
          expect(head === '' || key.startsWith(`${head}/`)).toBe(true);
          for (const segment of segments.slice(head === '' ? 0 : head.split('/').length)) {
            expect(['', '.', '..']).not.toContain(segment);
          }
        }
      }),
      runs(1500),
    );
  });

  it('checks any method and raw URL string without throwing, each refusal a documented one', () => {
    const anyString = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength });
    const rawUrl = fc.oneof(
      anyString(60),
      fc.tuple(fc.constantFrom('https://www.gov.uk', 'http://127.0.0.1:7676', ''), path).map(([o, p]) => o + p),
    );
    fc.assert(
      fc.property(fc.oneof(method, anyString(12)), rawUrl, (m, url) => {
        const rejection = checkRequest(m, url);
        if (rejection === undefined) {
          expect((ALLOWED_METHODS as readonly string[]).includes(m)).toBe(true);
          return;
        }
        expect([400, 414, 501]).toContain(rejection.status);
        expect(rejection.message).toMatch(/^[\x20-\x7e]{10,400}$/);
        if (rejection.status === 414) expect(new TextEncoder().encode(url).length).toBeGreaterThan(MAX_URL_BYTES);
        if (rejection.status === 501) expect((ALLOWED_METHODS as readonly string[]).includes(m)).toBe(false);
        if (rejection.status === 400) expect(rejection.message).toMatch(/control character U\+00[01][0-9A-F]|control character U\+007F/);
      }),
      runs(2000),
    );
  });
});
