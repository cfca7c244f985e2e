/**
 * Work done once, when the wasm is built, instead of on every request.
 * js-compute-runtime runs the module's top level under Wizer and snapshots
 * the memory it leaves: functions already called keep their bytecode there,
 * and regular expressions already used keep theirs compiled. Each request
 * then starts from that snapshot instead of compiling the same code again.
 *
 * So the pure parts of the core that every request runs are called here
 * once, on made-up input. At build time there are no host calls and no
 * Request or Response objects (js-compute refuses both then), so this stays
 * with what takes strings, URLs and Headers, and runs `serve` itself on
 * stand-ins for the request, the backends' answers and every platform
 * service; nothing it computes is kept. (Wizer runs the promise jobs before
 * it takes the snapshot, so the part after each `await` is warmed too.)
 */
import { classifyFailure } from '../core/attempt.ts';
import { BACKEND_ORDER } from '../core/backends.ts';
import { cacheRuleFor, deliveredCacheControl } from '../core/cache-policy.ts';
import { readConfig } from '../core/config.ts';
import { serverTiming } from '../core/diagnostics.ts';
import { cacheResponseOf, logRecord, NO_EDGE_FACTS } from '../core/log-line.ts';
import { mirrorRequestPath } from '../core/mirror-path.ts';
import { decideOverride } from '../core/override.ts';
import { planCandidates } from '../core/policy.ts';
import { checkRequest, rawPath } from '../core/request-checks.ts';
import type { MarkStore } from '../core/outage-memory.ts';
import { serve } from '../core/service.ts';

const PAGES = ['https://www.gov.uk/browse/benefits?utm=1', 'https://www.gov.uk/', 'https://www.gov.uk/help/about%20cookies/', 'https://www.gov.uk/a/report.pdf'];

export function warmUp(): void {
  const { config } = readConfig((key) => (key === 'hedge_after_ms' ? '5000' : key === 'mirror_s3_prefix' ? '/www.gov.uk/' : key === 'mirror_s3_host' ? 'bucket.example' : null));
  const headers = new Headers({ Accept: 'text/html', Cookie: 'a=b', 'Cache-Control': 'max-age=60', 'x-amz-request-id': 'build' });
  for (const url of PAGES) {
    checkRequest('GET', url, headers);
    rawPath(url);
    mirrorRequestPath(new URL(url), config.mirrorS3.prefix);
  }
  checkRequest('GET', 'https://www.gov.uk/a%00b', headers);
  checkRequest('BREW', 'https://www.gov.uk/', headers);
  for (const header of [null, 'mirrorS3', 'bogus']) {
    void decideOverride({ header, tokenHeader: null, mode: config.backendOverride, expectedToken: async () => null });
  }
  planCandidates('GET', undefined, (backend) => (backend === 'origin' ? 'healthy' : 'unknown'));
  for (const backend of BACKEND_ORDER) {
    const rule = cacheRuleFor('failover', 'GET', backend, config);
    if (rule.kind === 'cache') for (const status of [200, 404, 503]) rule.decide(status, headers, false);
    deliveredCacheControl('failover', backend, config);
  }
  for (const message of ['NetworkError when attempting to fetch resource.', 'Connection refused']) {
    classifyFailure(Object.assign(new Error(message), { name: 'NetworkError' }), 3);
  }
  const attempts = [
    { backend: 'origin', outcome: 'http-error', status: 503, startMs: 0.1, durationMs: 2.25 },
    { backend: 'mirrorS3', outcome: 'ok', status: 200, startMs: 2.4, durationMs: 7.5 },
  ] as const;
  serverTiming(attempts);
  const record = logRecord({
    received: new Date(0),
    requestId: 'build',
    method: 'GET',
    path: '/browse/benefits',
    query: '',
    clientAddress: null,
    userAgent: null,
    override: null,
    attempts,
    backend: 'mirrorS3',
    answer: { status: 200, headers },
    cacheResponse: cacheResponseOf({ backend: 'mirrorS3', fromCache: false, passed: false }),
    totalMs: 10.25,
    configProblems: [],
    personalData: false,
    edge: NO_EDGE_FACTS,
  });
  JSON.stringify(record);
}

/**
 * A request to a healthy origin, and one to an origin answering 503, through
 * `serve`, with the outage memory on marks in a Map. The second stops where
 * the core first needs a real Request (the mirror's): the stand-ins cannot go
 * further, and that is enough.
 */
export function warmUpServe(): Promise<unknown> {
  const { config } = readConfig(() => null);
  // The outage memory's path too (on by default), on marks kept in a Map.
  const marks = new Map<string, { value: string; ttlMs: number }>();
  const popMarks: MarkStore = {
    read: (key) => {
      const mark = marks.get(key);
      return mark ? { value: mark.value, ageMs: 0 } : null;
    },
    write: (key, value, ttlMs) => void marks.set(key, { value, ttlMs }),
    clear: (key) => void marks.delete(key),
  };
  const answer = (status: number) =>
    ({ status, statusText: '', headers: new Headers({ 'content-type': 'text/html' }), body: null, arrayBuffer: async () => new ArrayBuffer(0) }) as unknown as Response;
  const runs = ([['/browse/benefits', 200], ['/government/news', 503]] as const).map(([path, originStatus]) => {
    const request = { method: 'GET', url: `https://www.gov.uk${path}?utm=1`, headers: new Headers({ host: 'www.gov.uk', accept: 'text/html', cookie: 'a=b' }) } as unknown as Request;
    return serve(request, {
      config,
      configProblems: [],
      clock: { now: () => 0, schedule: () => () => undefined },
      requestId: 'build',
      connection: { clientAddress: '192.0.2.1', serverHostname: 'build' },
      bucketHost: (mirror) => `${mirror.toLowerCase()}.bucket.test`,
      date: () => new Date(0),
      health: () => 'healthy',
      send: async (backend) => answer(backend === 'origin' ? originStatus : 200),
      secret: async () => null,
      log: (line) => void JSON.stringify(line()),
      popMarks,
      background: (task) => void task.catch(() => undefined),
      headersAlwaysSent: true,
    }).catch(() => undefined);
  });
  return Promise.all(runs);
}
