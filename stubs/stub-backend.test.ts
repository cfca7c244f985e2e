import { createServer, Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  echoBody,
  startStubBackend,
  startStubBackends,
  startStubRequest,
  stubRequest,
  type StubBackend,
  type StubRequestOutcome,
} from './index.ts';

const open: StubBackend[] = [];
async function start(...args: Parameters<typeof startStubBackend>): Promise<StubBackend> {
  const stub = await startStubBackend(...args);
  open.push(stub);
  return stub;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** Counts of the handle kinds a stub could leak. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = { TCPServerWrap: 0, TCPSocketWrap: 0, Timeout: 0 };
  for (const r of process.getActiveResourcesInfo()) if (r in counts) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address !== 'object') throw new Error('no port');
  return address.port;
}

function expectKind<K extends StubRequestOutcome['kind']>(o: StubRequestOutcome, kind: K): Extract<StubRequestOutcome, { kind: K }> {
  expect(o.kind, JSON.stringify(o)).toBe(kind);
  return o as Extract<StubRequestOutcome, { kind: K }>;
}

describe('echo', () => {
  it('answers 200 naming the backend and the path, and records the request', async () => {
    const stub = await start({ id: 'origin' });
    expect(stub.url).toBe(`http://127.0.0.1:${stub.port}`);
    expect(stub.listening).toBe(true);
    const o = expectKind(
      await stubRequest(stub.url, { path: '/browse/benefits?x=1&y=2', headers: { 'X-Test': 'yes' } }),
      'response',
    );
    expect(o.status).toBe(200);
    expect(o.headers['x-stub-backend']).toBe('origin');
    expect(o.headers['x-stub-path']).toBe('/browse/benefits?x=1&y=2');
    expect(o.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(o.text).toBe(echoBody('origin', 'GET', '/browse/benefits?x=1&y=2'));
    expect(o.text).toContain('origin');
    expect(o.text).toContain('/browse/benefits');
    expect(stub.hits).toBe(1);
    const [r] = stub.requests;
    expect(r).toMatchObject({ seq: 1, method: 'GET', path: '/browse/benefits?x=1&y=2', chosen: { kind: 'echo' } });
    expect(r?.headers['x-test']).toBe('yes');
    expect(r?.rawHeaders).toContain('X-Test');
    expect(typeof r?.time).toBe('number');
  });

  it('takes a status, extra headers and a body; HEAD gets headers only', async () => {
    const stub = await start({
      id: 'origin',
      behaviour: { kind: 'echo', status: 404, headers: { 'No-Fallback': 'true', 'Cache-Control': 'max-age=60' }, body: 'gone' },
    });
    const o = expectKind(await stubRequest(stub.url, { path: '/x' }), 'response');
    expect(o.status).toBe(404);
    expect(o.headers['no-fallback']).toBe('true');
    expect(o.headers['cache-control']).toBe('max-age=60');
    expect(o.text).toBe('gone');
    const h = expectKind(await stubRequest(stub.url, { path: '/x', method: 'HEAD' }), 'response');
    expect(h.status).toBe(404);
    expect(h.headers['content-length']).toBe('4');
    expect(h.body.length).toBe(0);
  });

  it('records request bodies', async () => {
    const stub = await start({ id: 'origin' });
    expectKind(await stubRequest(stub.url, { method: 'POST', path: '/form', body: 'a=1' }), 'response');
    expect(stub.requests[0]).toMatchObject({ method: 'POST', body: 'a=1', bodyBytes: 3 });
  });
});

describe('status', () => {
  it.each([404, 500, 502, 503, 504])('answers %i with a body naming id and status', async (status) => {
    const stub = await start({ id: 'origin', behaviour: { kind: 'status', status, headers: { 'x-amz-request-id': 'R1' } } });
    const o = expectKind(await stubRequest(stub.url, { path: '/p' }), 'response');
    expect(o.status).toBe(status);
    expect(o.headers['x-stub-backend']).toBe('origin');
    expect(o.headers['x-amz-request-id']).toBe('R1');
    expect(o.text).toContain('origin');
    expect(o.text).toContain(String(status));
  });
});

describe('by-path', () => {
  it('answers each listed path (query ignored) with its own behaviour, any other with otherwise', async () => {
    const stub = await start({
      id: 'origin',
      behaviour: {
        kind: 'by-path',
        paths: {
          '/a': { kind: 'echo', body: '<h1>A</h1>' },
          '/b%20c': { kind: 'status', status: 500 },
        },
        otherwise: { kind: 'status', status: 404 },
      },
    });
    const a = expectKind(await stubRequest(stub.url, { path: '/a?x=1' }), 'response');
    expect([a.status, a.text]).toEqual([200, '<h1>A</h1>']);
    expect(expectKind(await stubRequest(stub.url, { path: '/b%20c' }), 'response').status).toBe(500);
    expect(expectKind(await stubRequest(stub.url, { path: '/a/' }), 'response').status).toBe(404);
  });

  it('rejects paths without a leading /, with a query, and random inside', async () => {
    const stub = await start({ id: 'origin' });
    const echo = { kind: 'echo' } as const;
    await expect(stub.setBehaviour({ kind: 'by-path', paths: { a: echo }, otherwise: echo })).rejects.toThrow(/path "a" must start with \//);
    await expect(stub.setBehaviour({ kind: 'by-path', paths: { '/a?b': echo }, otherwise: echo })).rejects.toThrow(/no query/);
    await expect(stub.setBehaviour({ kind: 'by-path', paths: {}, otherwise: { kind: 'random', seed: 1, choices: [echo] } })).rejects.toThrow(/'random' cannot be used inside 'by-path'/);
  });
});

describe('switching behaviour', () => {
  it('applies to the next request and rejects invalid behaviours', async () => {
    const stub = await start({ id: 'origin' });
    await stub.setBehaviour({ kind: 'status', status: 503 });
    expect(stub.behaviour).toEqual({ kind: 'status', status: 503 });
    expect(expectKind(await stubRequest(stub.url), 'response').status).toBe(503);
    await stub.setBehaviour({ kind: 'echo' });
    expect(expectKind(await stubRequest(stub.url), 'response').status).toBe(200);
    await expect(stub.setBehaviour({ kind: 'status', status: 99 })).rejects.toThrow(/status/);
    await expect(stub.setBehaviour({ kind: 'delay', ms: 1, then: { kind: 'refuse' } })).rejects.toThrow(/refuse/);
    await expect(stub.setBehaviour({ kind: 'bucket', root: '/nonexistent/dir' })).rejects.toThrow(/not a directory/);
    expect(stub.behaviour).toEqual({ kind: 'echo' });
  });

  it('rejects after close', async () => {
    const stub = await start({ id: 'origin' });
    await stub.close();
    await expect(stub.setBehaviour({ kind: 'echo' })).rejects.toThrow(/closed/);
    await stub.close(); // idempotent
  });
});

describe('refuse', () => {
  it('refuses connections and comes back on the same port', async () => {
    const stub = await start({ id: 'origin' });
    const port = stub.port;
    // A keep-alive connection that stays open after its request.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', agent, timeout: 5000 }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
      expect(stub.openConnections).toBe(1);
      await stub.setBehaviour({ kind: 'refuse' });
      expect(stub.listening).toBe(false);
      expect(stub.openConnections).toBe(0);
      expect(expectKind(await stubRequest(stub.url), 'no-response').code).toBe('ECONNREFUSED');
      await stub.setBehaviour({ kind: 'refuse' }); // refusing again is fine
      await stub.setBehaviour({ kind: 'echo' });
      expect(stub.port).toBe(port);
      expect(stub.listening).toBe(true);
      expect(expectKind(await stubRequest(stub.url), 'response').headers['x-stub-backend']).toBe('origin');
    } finally {
      agent.destroy();
    }
  });

  it('reuses a fixed port, also when starting refused', async () => {
    const port = await freePort();
    const stub = await start({ id: 'mirrorS3', port, behaviour: { kind: 'refuse' } });
    expect(stub.port).toBe(port);
    expect(stub.listening).toBe(false);
    expect(expectKind(await stubRequest(`http://127.0.0.1:${port}`), 'no-response').code).toBe('ECONNREFUSED');
    await stub.setBehaviour({ kind: 'echo' });
    expect(expectKind(await stubRequest(`http://127.0.0.1:${port}`), 'response').headers['x-stub-backend']).toBe('mirrorS3');
    await stub.setBehaviour({ kind: 'refuse' });
    await stub.setBehaviour({ kind: 'status', status: 500 });
    expect(stub.port).toBe(port);
    expect(expectKind(await stubRequest(`http://127.0.0.1:${port}`), 'response').status).toBe(500);
    await stub.close();
    // The port is free again once closed.
    const again = await start({ id: 'mirrorS3', port });
    expect(again.port).toBe(port);
  });

  it('an ephemeral backend started refused still has a port', async () => {
    const stub = await start({ id: 'origin', behaviour: { kind: 'refuse' } });
    expect(stub.port).toBeGreaterThan(0);
    expect(expectKind(await stubRequest(stub.url), 'no-response').code).toBe('ECONNREFUSED');
    await stub.setBehaviour({ kind: 'echo' });
    expect(expectKind(await stubRequest(stub.url), 'response').status).toBe(200);
  });

  it('fails clearly when a fixed port is taken', async () => {
    const stub = await start({ id: 'origin' });
    await expect(startStubBackend({ id: 'other', port: stub.port })).rejects.toThrow(/other.*cannot listen/);
  });
});

describe('hang', () => {
  it('never answers until close(), then leaves no handles', async () => {
    const before = handles();
    const stub = await startStubBackend({ id: 'origin', behaviour: { kind: 'hang' } });
    const req = startStubRequest(stub.url, { path: '/slow', timeoutMs: 10_000 });
    await stub.waitForRequests(1, 5000);
    expect(stub.requests[0]?.path).toBe('/slow');
    expect(stub.openConnections).toBe(1);
    await stub.close();
    const o = expectKind(await req.done, 'no-response');
    expect(o.code).toBe('ECONNRESET');
    expect(stub.openConnections).toBe(0);
    expect(stub.listening).toBe(false);
    expect(handles()).toEqual(before);
  });

  it('is released by a behaviour change, and the next request gets the new behaviour', async () => {
    const stub = await start({ id: 'origin', behaviour: { kind: 'hang' } });
    const req = startStubRequest(stub.url, { timeoutMs: 10_000 });
    await stub.waitForRequests(1, 5000);
    await stub.setBehaviour({ kind: 'echo' });
    expect(expectKind(await req.done, 'no-response').code).toBe('ECONNRESET');
    expect(expectKind(await stubRequest(stub.url), 'response').status).toBe(200);
  });
});

describe('reset-mid-body', () => {
  it('sends 200 headers promising more than the partial body, then closes', async () => {
    const stub = await start({ id: 'origin', behaviour: { kind: 'reset-mid-body', bytesBeforeReset: 300 } });
    const o = expectKind(await stubRequest(stub.url, { path: '/page' }), 'broken-body');
    expect(o.status).toBe(200);
    expect(o.headers['x-stub-backend']).toBe('origin');
    expect(Number(o.headers['content-length'])).toBeGreaterThan(300);
    expect(o.body.length).toBe(300);
    expect(o.body.toString()).toContain('origin');
  });
});

describe('slow-body', () => {
  it('sends headers and a first chunk, then stalls until close()', async () => {
    const before = handles();
    const stub = await startStubBackend({ id: 'origin', behaviour: { kind: 'slow-body', stallAfterBytes: 100 } });
    const req = startStubRequest(stub.url, { timeoutMs: 10_000 });
    const head = await req.response;
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(100);
    await req.bodyBytes(100);
    await stub.close();
    const o = expectKind(await req.done, 'broken-body');
    expect(o.body.length).toBe(100);
    expect(stub.openConnections).toBe(0);
    expect(handles()).toEqual(before);
  });

  it('with stallAfterBytes 0 sends only headers; a behaviour change releases it', async () => {
    const stub = await start({ id: 'origin', behaviour: { kind: 'slow-body', stallAfterBytes: 0 } });
    const req = startStubRequest(stub.url, { timeoutMs: 10_000 });
    expect((await req.response).status).toBe(200);
    await stub.setBehaviour({ kind: 'status', status: 500 });
    expect(expectKind(await req.done, 'broken-body').body.length).toBe(0);
  });
});

describe('delay', () => {
  it('waits, then behaves', async () => {
    const stub = await start({ id: 'origin', behaviour: { kind: 'delay', ms: 50, then: { kind: 'status', status: 502 } } });
    const t0 = performance.now();
    const o = expectKind(await stubRequest(stub.url), 'response');
    expect(o.status).toBe(502);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    expect(stub.requests[0]?.chosen).toEqual({ kind: 'delay', ms: 50, then: { kind: 'status', status: 502 } });
  });

  it('close() clears a pending delay timer and leaves no handles', async () => {
    const before = handles();
    const stub = await startStubBackend({ id: 'origin', behaviour: { kind: 'delay', ms: 60_000, then: { kind: 'echo' } } });
    const req = startStubRequest(stub.url, { timeoutMs: 10_000 });
    await stub.waitForRequests(1, 5000);
    await stub.close();
    expect(expectKind(await req.done, 'no-response').code).toBe('ECONNRESET');
    expect(handles()).toEqual(before);
  });
});

describe('recording', () => {
  it('waits for requests on events, times out with a clear error, and resets', async () => {
    const stub = await start({ id: 'origin' });
    const waiting = stub.waitForRequests(2, 5000);
    await stubRequest(stub.url, { path: '/a' });
    await stubRequest(stub.url, { path: '/b' });
    await waiting;
    expect(stub.requests.map((r) => r.path)).toEqual(['/a', '/b']);
    await expect(stub.waitForRequests(3, 20)).rejects.toThrow(/origin.*3 request.*got 2/);
    stub.resetRecording();
    expect(stub.hits).toBe(0);
    expect(stub.requests).toEqual([]);
    await stubRequest(stub.url, { path: '/c' });
    expect(stub.requests.map((r) => [r.seq, r.path])).toEqual([[3, '/c']]);
    await expect(stub.waitForRequests(1, 0)).rejects.toThrow(RangeError);
  });

  it('a pending wait is rejected by close()', async () => {
    const stub = await start({ id: 'origin' });
    const waiting = expect(stub.waitForRequests(1, 60_000)).rejects.toThrow(/closed/);
    await stub.close();
    await waiting;
  });

  it('keeps at most maxRecordedRequests but counts every hit', async () => {
    const stub = await start({ id: 'origin', maxRecordedRequests: 2 });
    for (const p of ['/1', '/2', '/3']) await stubRequest(stub.url, { path: p });
    expect(stub.hits).toBe(3);
    expect(stub.requests.map((r) => r.path)).toEqual(['/1', '/2']);
  });

  it('records the raw path, percent-encoding untouched', async () => {
    const stub = await start({ id: 'origin' });
    await stubRequest(stub.url, { path: '/www.gov.uk/a%2520b.html?q=%41' });
    expect(stub.requests[0]?.path).toBe('/www.gov.uk/a%2520b.html?q=%41');
  });
});

describe('startStubBackends', () => {
  it('starts several, finds them by id and closes them all', async () => {
    const before = handles();
    const stubs = await startStubBackends([
      { id: 'origin' },
      { id: 'mirrorS3', behaviour: { kind: 'status', status: 403 } },
      { id: 'mirrorGCS', behaviour: { kind: 'refuse' } },
    ]);
    expect(stubs.all.map((s) => s.id)).toEqual(['origin', 'mirrorS3', 'mirrorGCS']);
    expect(expectKind(await stubRequest(stubs.get('origin').url), 'response').status).toBe(200);
    expect(expectKind(await stubRequest(stubs.byId.mirrorS3.url), 'response').status).toBe(403);
    expect(expectKind(await stubRequest(stubs.get('mirrorGCS').url), 'no-response').code).toBe('ECONNREFUSED');
    stubs.resetRecording();
    expect(stubs.get('origin').hits).toBe(0);
    await stubs.closeAll();
    await stubs.closeAll();
    expect(handles()).toEqual(before);
  });

  it('closes the started ones when one fails', async () => {
    const blocker = await start({ id: 'blocker' });
    const before = handles();
    await expect(startStubBackends([{ id: 'a' }, { id: 'b', port: blocker.port }])).rejects.toThrow(/cannot listen/);
    expect(handles()).toEqual(before);
    await expect(startStubBackends([{ id: 'a' }, { id: 'a' }])).rejects.toThrow(/duplicate/);
  });
});
