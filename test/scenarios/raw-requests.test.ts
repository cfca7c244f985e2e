/**
 * Hostile bytes at the HTTP boundary: requests made byte by byte (methods in
 * any case and unknown ones, odd and absolute targets, raw non-ASCII and
 * control bytes, missing, repeated and odd Hosts, repeated and empty
 * Backend-Override, conflicting framing, 100-continue, HTTP/1.0, pipelined
 * requests, many and long headers), sent over a socket to bin/main.wasm in
 * Viceroy and to the local runtime, with the stub backends recording every
 * request they get. The same cases go to both engines, so their answers can
 * be compared. Seeded and replayable: the seed is printed; FC_SEED replays a
 * run, RAW_FUZZ_REQUESTS sets how many cases (default 1,200 per engine).
 *
 * What must hold for every case:
 * - an HTTP answer: never a connection closed unanswered, nor a panic in
 *   Viceroy's output, except for a request with no Host a URL can be made
 *   from, which Viceroy cannot hand to any service (its worker panics; the
 *   local runtime answers 400; Fastly routes by Host, so its edge never hands
 *   one to a service);
 * - what the service refuses gets a 4xx or 501 with a plain reason;
 * - no backend request whose path leaves the bucket prefix or carries bytes a
 *   bucket would decode differently; no Cookie or Authorization at a mirror;
 * - no failover while origin is healthy;
 * - one log line for each answer the service gave;
 * - the local runtime answers each request with the status class Viceroy does.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUriAuthority } from '../../local-runtime/server.ts';
import { exchange, type RawExchange } from '../support/raw-http.ts';
import { type Engine, type EngineSpec, engines } from './engines.ts';
import { LOG_ENDPOINT, type MirrorPages, startWorld, type World } from './world.ts';

const CASES = Number(process.env.RAW_FUZZ_REQUESTS ?? 1200);
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : (Math.random() * 0x100000000) | 0;

const PAGES: MirrorPages = { mirrorS3: ['/browse/benefits', '/', '/help'], mirrorS3Replica: [], mirrorGCS: [] };

// ---------------------------------------------------------------------------
// The cases.

interface RawRequest {
  readonly method: string;
  readonly target: string;
  readonly version: 'HTTP/1.1' | 'HTTP/1.0';
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

interface RawCase {
  readonly requests: readonly RawRequest[];
  /** Origin answers 503 for this case (the mirrors are asked); else it is healthy. */
  readonly originFails: boolean;
}

const STANDARD = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...STANDARD) },
  { weight: 2, arbitrary: fc.constantFrom(...STANDARD).chain((m) => fc.constantFrom(m.toLowerCase(), m[0] + m.slice(1).toLowerCase())) },
  { weight: 2, arbitrary: fc.constantFrom('BREW', 'M-SEARCH', 'PURGE', 'TRACE', 'CONNECT', 'PROPFIND', 'FOO_BAR', 'A.B') },
  { weight: 1, arbitrary: fc.constantFrom('X"', 'X(') },
);

const segmentPiece = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,8}$/) },
  { weight: 3, arbitrary: fc.constantFrom('..', '.', '', '%2e', '%2E%2e', '%2f', '%00', '%0d%0a', '%ZZ', '%20', '%e9', '~', ';a', '@', ':', '+', '!') },
  { weight: 2, arbitrary: fc.constantFrom('"', '<', '>', '`', '{', '}', '|', '\\', '^', '[', ']', '#f') },
  { weight: 1, arbitrary: fc.constantFrom('\x01', '\x7f', '\t', '\xe9', '\xff') },
);
const path = fc.array(segmentPiece, { minLength: 0, maxLength: 5 }).map((s) => `/${s.join('/')}`);
const query = fc.option(fc.array(fc.oneof(fc.stringMatching(/^[a-z=&0-9]{1,6}$/), fc.constantFrom('"', '<', '>', '%00', '\xe9', '{')), { maxLength: 3 }).map((q) => `?${q.join('')}`), { nil: '' });
const target = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(path, query).map(([p, q]) => p + q) },
  { weight: 1, arbitrary: fc.constantFrom('*', 'http://evil.example/x', 'https://www.gov.uk/browse/benefits?x=1', '//browse/benefits') },
  { weight: 1, arbitrary: fc.integer({ min: 7990, max: 8300 }).map((n) => `/${'a'.repeat(n)}`) },
);

type HostChoice = readonly string[];
const host: fc.Arbitrary<HostChoice> = fc.oneof(
  { weight: 12, arbitrary: fc.constant(['www.gov.uk']) },
  { weight: 3, arbitrary: fc.constantFrom(['www.gov.uk:443'], ['127.0.0.1'], ['[::1]:8080'], ['WWW.GOV.UK'], ['a_b.example']) },
  { weight: 3, arbitrary: fc.constantFrom([], [''], ['a', 'b'], ['exa mple'], ['www.gov.uk:99999'], ['\xe9vil'], ['a,b'], ['www.gov.uk:']) },
);
const override = fc.oneof(
  { weight: 10, arbitrary: fc.constant<readonly string[]>([]) },
  { weight: 2, arbitrary: fc.constantFrom<readonly string[]>(['mirrorS3'], ['origin'], ['MIRRORGCS'], [''], ['mirrorS3', 'origin'], ['bogus'], ['  mirrorS3Replica ']) },
);
const headerName = fc.oneof(fc.stringMatching(/^X-[A-Za-z0-9-]{1,10}$/), fc.constantFrom('X(', 'X/Y', 'X Y'));
const headerValue = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[ -~]{0,40}$/) },
  { weight: 2, arbitrary: fc.constantFrom('caf\xe9', '\xff\xfe', 'a\tb') },
  { weight: 1, arbitrary: fc.constantFrom('a\x01b', 'a\x7fb', 'a\x0bb') },
);
const bloat = fc.oneof(
  { weight: 20, arbitrary: fc.constant([] as [string, string][]) },
  { weight: 2, arbitrary: fc.integer({ min: 50, max: 400 }).map((n) => Array.from({ length: n }, (_, i) => [`X-Many-${i}`, 'v'.repeat(64)] as [string, string])) },
  { weight: 2, arbitrary: fc.integer({ min: 8_000, max: 40_000 }).map((n) => [['X-Long', 'l'.repeat(n)]] as [string, string][]) },
  { weight: 1, arbitrary: fc.constant([['X-Huge', 'h'.repeat(69_000)]] as [string, string][]) },
);
type Framing = 'none' | 'length' | 'chunked' | 'both' | 'two-lengths';
const framing = fc.constantFrom<Framing>('none', 'none', 'none', 'length', 'chunked', 'both', 'two-lengths');

const request = fc
  .record({
    method,
    target,
    version: fc.constantFrom<'HTTP/1.1' | 'HTTP/1.0'>('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'),
    host,
    override,
    cookie: fc.boolean(),
    authorization: fc.boolean(),
    extra: fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }),
    bloat,
    framing,
    expect100: fc.boolean(),
  })
  .map((r): RawRequest => {
    const headers: [string, string][] = [];
    for (const h of r.host) headers.push(['Host', h]);
    for (const o of r.override) headers.push(['Backend-Override', o]);
    if (r.cookie) headers.push(['Cookie', 'session=secret-cookie']);
    if (r.authorization) headers.push(['Authorization', 'Basic c2VjcmV0']);
    headers.push(...r.extra, ...r.bloat);
    const body = r.framing === 'none' ? '' : 'abc';
    if (r.framing === 'length' || r.framing === 'both') headers.push(['Content-Length', '3']);
    if (r.framing === 'two-lengths') headers.push(['Content-Length', '3'], ['Content-Length', '4']);
    if (r.framing === 'chunked' || r.framing === 'both') headers.push(['Transfer-Encoding', 'chunked']);
    if (r.expect100 && r.framing !== 'none') headers.push(['Expect', '100-continue']);
    const encoded = r.framing === 'chunked' || r.framing === 'both' ? '3\r\nabc\r\n0\r\n\r\n' : body;
    return { method: r.method, target: r.target, version: r.version, headers, body: encoded };
  });

const rawCase: fc.Arbitrary<RawCase> = fc.record({
  requests: fc.oneof({ weight: 5, arbitrary: fc.tuple(request) }, { weight: 1, arbitrary: fc.tuple(request, request) }).map((rs) => rs.filter((r, i) => i === 0 || rs[0]!.version === 'HTTP/1.1')),
  originFails: fc.boolean(),
});

function encode(c: RawCase): Buffer {
  const parts = c.requests.map((r, i) => {
    const last = i === c.requests.length - 1;
    const headers = [...r.headers, ...(last && r.version === 'HTTP/1.1' ? [['Connection', 'close'] as const] : [])];
    return `${r.method} ${r.target} ${r.version}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n${r.body}`;
  });
  return Buffer.from(parts.join(''), 'latin1');
}

/** Whether the request's Host is a URI authority at all (else Viceroy hands it to no service: local-runtime/server.ts). */
function hostMakesUrl(r: RawRequest): boolean {
  const hosts = r.headers.filter(([n]) => n.toLowerCase() === 'host').map(([, v]) => v);
  return hosts.length > 0 && hosts[0] !== '' && isUriAuthority(hosts.join(', '));
}

function show(c: RawCase): string {
  return JSON.stringify(encode(c).toString('latin1').slice(0, 600));
}

// ---------------------------------------------------------------------------
// Running them.

interface Outcome {
  readonly exchange: RawExchange;
  /** Status class of each answer, in order, for the comparison between engines. */
  readonly classes: string[];
  readonly urlless: boolean;
}

/** RAW_FUZZ_CASE=<n>[,<n>…] replays only those cases of the seed's run, and prints what each engine answered. */
const ONLY = process.env.RAW_FUZZ_CASE?.split(',').map(Number);
const sampled = fc.sample(rawCase, { seed: SEED, numRuns: CASES }).map((c, index) => ({ ...c, index }));
const cases = ONLY ? sampled.filter((c) => ONLY.includes(c.index)) : sampled;
const outcomes = new Map<string, Outcome[]>();

describe.each(engines())('on $name: hostile bytes at the HTTP boundary', (spec: EngineSpec) => {
  let world: World;
  let engine: Engine;
  let logsBefore = 0;
  let answeredByService = 0;
  const problems: string[] = [];
  const results: Outcome[] = [];
  const counts = { requests: 0, checks: 0 };

  beforeAll(async () => {
    world = await startWorld(PAGES);
    engine = await spec.start(world.manifest());
    world.clearRecordings();
    logsBefore = engine.logs.length;
  }, 180_000);
  afterAll(async () => {
    await engine?.close();
    await world?.close();
  });

  it(`answers ${CASES} generated cases (seed ${SEED}) as the invariants say`, async () => {
    let originFailing = false;
    const outputBefore = engine.output.length;
    for (const c of cases) {
      const index = c.index;
      if (c.originFails !== originFailing) {
        await world.set({ origin: c.originFails ? { kind: 'status', status: 503 } : { kind: 'echo' } });
        originFailing = c.originFails;
        // The local runtime keeps origin's 503 a second: let it expire, or the next healthy case would be answered from it.
        if (!originFailing) engine.clock?.advance(2_000);
      }
      world.clearRecordings();
      // As sent: only an exact HEAD gets an answer without a body (a `head` is another method to the server).
      const methods = c.requests.map((r) => r.method);
      const got = await exchange(engine.url, encode(c), methods, 8000);
      counts.requests += c.requests.length;
      const fail = (what: string) => problems.push(`case ${index} (seed ${SEED}): ${what}\n  sent ${show(c)}\n  got ${got.responses.map((r) => `${r.status} ${r.headers.get('fastly-backend-name') ?? '(engine)'}`).join(', ') || 'nothing'}`);
      const urlless = c.requests.some((r) => !hostMakesUrl(r));
      const check = (ok: boolean, what: string) => {
        counts.checks++;
        if (!ok) fail(what);
      };

      // An answer, unless Viceroy could make no URL of the request.
      if (!(urlless && spec.name === 'viceroy')) check(got.responses.length >= 1, 'no HTTP answer');
      if (got.responses.length < c.requests.length && got.responses.length > 0) {
        const last = got.responses.at(-1)!;
        check(last.status >= 400 || last.headers.get('connection') === 'close' || urlless, 'a later pipelined request went unanswered after a success');
      }
      for (const r of got.responses) {
        const backend = r.headers.get('fastly-backend-name');
        check(r.status >= 200 && r.status <= 599, `status ${r.status}`);
        if (backend === undefined) {
          // Refused by the engine itself, before the service.
          check(r.status === 400 || r.status === 431 || r.status === 500 || r.status === 414, `the engine answered ${r.status}`);
          continue;
        }
        answeredByService++;
        if (backend === 'error' && r.status >= 400 && r.status < 500) {
          const head = c.requests[got.responses.indexOf(r)]?.method === 'HEAD';
          check(r.headers.get('content-type') === 'text/plain; charset=utf-8' && (head || r.body.length > 0), `refusal ${r.status} without a plain reason`);
        }
        if (r.status === 501) check(backend === 'error' && (c.requests[got.responses.indexOf(r)]?.method === 'HEAD' || r.body.toString().includes('Allowed:')), '501 without the allowed methods');
        const override = c.requests.some((q) => q.headers.some(([n]) => n === 'Backend-Override'));
        if (!c.originFails && !override) check(backend === 'origin' || backend === 'error', `failover to ${backend} with origin healthy`);
      }
      // What the backends were sent.
      for (const mirror of ['mirrorS3', 'mirrorS3Replica', 'mirrorGCS'] as const) {
        for (const q of world.stubs[mirror].requests) {
          check(q.path.startsWith('/www.gov.uk/'), `${mirror} asked for ${JSON.stringify(q.path)}, outside the prefix`);
          check(/^[\x21-\x7e]+$/.test(q.path), `${mirror} asked for a path with raw bytes: ${JSON.stringify(q.path)}`);
          const once = q.path.split('/').map((s) => {
            try {
              return decodeURIComponent(s);
            } catch {
              return s;
            }
          });
          check(!once.includes('..') && !once.slice(1).includes('.'), `${mirror} asked for a dot segment: ${JSON.stringify(q.path)}`);
          // mirrorGCS carries the service's own signature in Authorization; never the client's.
          check(q.headers.cookie === undefined && (q.headers.authorization === undefined || q.headers.authorization.startsWith('AWS ')), `${mirror} was sent the client's Cookie or Authorization`);
        }
      }
      for (const q of world.stubs.origin.requests) check(/^[A-Z]+$/.test(q.method) || q.method === 'M-SEARCH' || q.method === 'FOO_BAR', `origin was sent the method ${JSON.stringify(q.method)}`);
      results.push({ exchange: got, classes: got.responses.map((r) => `${Math.floor(r.status / 100)}xx`), urlless });
      if (ONLY && process.env.RAW_FUZZ_DUMP) writeFileSync(join(process.env.RAW_FUZZ_DUMP, `case-${index}.bin`), encode(c));
      if (ONLY) await new Promise((resolve) => setTimeout(resolve, 300));
      if (ONLY) process.stdout.write(`${engine.output.slice(-12).join('\n')}\n`);
      if (ONLY) process.stdout.write(`[raw requests] ${spec.name} case ${index}: ${got.responses.map((r) => `${r.status} ${r.headers.get('fastly-backend-name') ?? '(engine)'} ${JSON.stringify(r.body.toString('latin1').slice(0, 200))}`).join(' | ') || 'nothing'}\n`);
    }
    // One log line per answer from the service.
    await engine.waitForLogs(logsBefore + answeredByService).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, spec.name === 'viceroy' ? 300 : 0));
    const lines = engine.logs.slice(logsBefore).filter((l) => l.endpoint === LOG_ENDPOINT);
    counts.checks++;
    // Every answer has its line; a line more is a request the service answered after the client had gone (a pipelined one).
    if (lines.length < answeredByService) problems.push(`${lines.length} log lines for ${answeredByService} answers from the service`);
    // Whatever the request line held, each log line is JSON whose url is a path (or empty: `*`, a bare authority)
    // without its query, and no query sent is anywhere in it (log_personal_data is off here).
    for (const { line } of lines) {
      counts.checks++;
      let url: unknown;
      try {
        url = (JSON.parse(line) as { url?: unknown }).url;
      } catch {
        problems.push(`a log line that is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
        continue;
      }
      if (typeof url !== 'string' || !(url === '' || url.startsWith('/')) || url.includes('?') || url.length > 1000) problems.push(`a log line whose url is not a path alone: ${JSON.stringify(url)}`);
      if (line.includes('?x=1')) problems.push(`a log line with the query sent: ${line.slice(0, 300)}`);
    }
    if (spec.name === 'viceroy') {
      const output = engine.output.slice(outputBefore);
      const panics = output.filter((line) => /panicked|panic/i.test(line));
      counts.checks++;
      const urllessCases = results.filter((r) => r.urlless).length;
      if (panics.length > urllessCases) problems.push(`Viceroy panicked ${panics.length} times, for ${urllessCases} requests without a Host it could make a URL of:\n  ${panics.slice(0, 3).join('\n  ')}`);
    }
    outcomes.set(spec.name, results);
    process.stdout.write(`[raw requests] ${spec.name}: ${cases.length} cases, ${counts.requests} requests sent (seed ${SEED}), ${counts.checks} invariant checks, ${problems.length} failed\n`);
    expect(problems.slice(0, 10).join('\n\n')).toBe('');
  }, 600_000);
});

describe('hostile bytes: the local runtime answers as Viceroy does', () => {
  it.runIf(engines().length === 2)('gives each request the status class Viceroy gives it', () => {
    const local = outcomes.get('local-runtime');
    const viceroy = outcomes.get('viceroy');
    expect(local && viceroy, 'both engines ran').toBeTruthy();
    const differences: string[] = [];
    for (const [i, c] of cases.entries()) {
      const [l, v] = [local![i]!, viceroy![i]!];
      const index = c.index;
      // Requests Viceroy can make no URL of: it closes unanswered (its worker panics), the local runtime answers 400 (docs/limits.md).
      if (l.urlless) continue;
      if (l.classes.join() !== v.classes.join()) differences.push(`case ${index} (seed ${SEED}): local ${l.classes.join(',') || 'nothing'}, viceroy ${v.classes.join(',') || 'nothing'}\n  sent ${show(c)}`);
    }
    process.stdout.write(`[raw requests] compared ${cases.length} cases between the engines: ${differences.length} differences\n`);
    expect(differences.slice(0, 10).join('\n\n')).toBe('');
  });
});

/**
 * What the fuzzer found, each a named scenario on both engines (the seeds and
 * cases are in docs/limits.md's account of hostile bytes).
 */
describe.each(engines())('on $name: what hostile bytes found', (spec: EngineSpec) => {
  let world: World;
  let engine: Engine;
  beforeAll(async () => {
    world = await startWorld(PAGES);
    engine = await spec.start(world.manifest());
  }, 180_000);
  afterAll(async () => {
    await engine?.close();
    await world?.close();
  });
  const ask = async (raw: string, methods: string[] = [raw.slice(0, raw.indexOf(' '))]) => {
    await world.reset();
    return exchange(engine.url, Buffer.from(raw, 'latin1'), methods);
  };

  it('a repeated Host gets a 400 naming it, and origin is not asked (Viceroy joins them, and sending that on made its worker panic)', async () => {
    const got = await ask('GET /browse/benefits HTTP/1.1\r\nHost: www.gov.uk\r\nHost: evil.example\r\nConnection: close\r\n\r\n');
    expect(got.responses.map((r) => r.status)).toEqual([400]);
    expect(got.responses[0]!.body.toString()).toContain('The request has more than one Host header.');
    expect(world.stubs.origin.hits).toBe(0);
  });

  it('a Host that is no host name (one Viceroy still hands on) gets a 400', async () => {
    const got = await ask('GET / HTTP/1.1\r\nHost: user@www.gov.uk\r\nConnection: close\r\n\r\n');
    expect(got.responses[0]!.status).toBe(400);
    expect(got.responses[0]!.body.toString()).toContain('is not a host');
  });

  it.each(['get', 'Get', 'head', 'options', 'delete'])('%j reaches a healthy origin as the method the service judged it by: no failover', async (method) => {
    // A path of its own: on the local runtime the cache would answer a page already asked for.
    const got = await ask(`${method} /methods/${method} HTTP/1.1\r\nHost: www.gov.uk\r\nConnection: close\r\n\r\n`);
    expect(got.responses.map((r) => `${r.status} ${r.headers.get('fastly-backend-name')}`)).toEqual(['200 origin']);
    expect(world.stubs.origin.requests.map((r) => r.method)).toEqual([method.toUpperCase()]);
    expect(world.stubs.mirrorS3.hits).toBe(0);
  });

  it('a lowercase post reaches origin as a POST, with its body', async () => {
    const got = await ask('post /form HTTP/1.1\r\nHost: www.gov.uk\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
    expect(got.responses[0]!.headers.get('fastly-backend-name')).toBe('origin');
    expect(world.stubs.origin.requests[0]).toMatchObject({ method: 'POST' });
    expect(world.stubs.origin.requests[0]!.headers['content-length']).toBe('5');
  });

  it.each(['GET', 'HEAD'])('a %s with a body reaches origin without the framing of a body it does not carry, and origin answers', async (method) => {
    const got = await ask(`${method} /with-a-body/${method} HTTP/1.1\r\nHost: www.gov.uk\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc`);
    expect(got.responses.map((r) => `${r.status} ${r.headers.get('fastly-backend-name')}`)).toEqual(['200 origin']);
    expect(world.stubs.origin.requests[0]!.headers['content-length'] ?? '0').toBe('0');
  });

  it.each(['TRACE', 'CONNECT', 'BREW', 'patch'])('%s gets the service\'s 501 naming the methods it takes', async (method) => {
    const got = await ask(`${method} /browse/benefits HTTP/1.1\r\nHost: www.gov.uk\r\nConnection: close\r\n\r\n`);
    expect(got.responses.map((r) => `${r.status} ${r.headers.get('fastly-backend-name')}`)).toEqual(['501 error']);
    expect(got.responses[0]!.body.toString()).toContain('Allowed: GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH.');
    expect(world.stubs.origin.hits).toBe(0);
  });

  it('a request the HTTP server refuses, pipelined behind a good one, is answered in turn: the good one first', async () => {
    const got = await ask('GET /browse/benefits HTTP/1.1\r\nHost: www.gov.uk\r\n\r\nGET /a<b HTTP/1.1\r\nHost: www.gov.uk\r\nConnection: close\r\n\r\n', ['GET', 'GET']);
    expect(got.responses.map((r) => r.status)).toEqual([200, 400]);
    expect(got.responses[1]!.headers.has('fastly-backend-name'), 'refused by the server, before the service').toBe(false);
  });
});
