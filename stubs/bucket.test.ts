import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  bucketKeyFromPath,
  bucketPathForKey,
  contentTypeForKey,
  makeBucketDir,
  startStubBackend,
  stubRequest,
  type BucketDir,
  type StubBackend,
  type StubRequestOutcome,
} from './index.ts';

let dir: BucketDir;
const open: StubBackend[] = [];

beforeAll(async () => {
  dir = await makeBucketDir({
    'www.gov.uk/browse/benefits.html': '<h1>Benefits</h1>',
    'www.gov.uk/a%20b.html': 'literal percent-twenty',
    'www.gov.uk/a b.html': 'with a space',
    'www.gov.uk/assets/site.css': 'body{}',
    'www.gov.uk/data.bin': new Uint8Array([0, 1, 2, 255]),
  });
});
afterAll(async () => {
  await dir.cleanup();
  expect(existsSync(dir.root)).toBe(false);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function bucket(extra: { missingStatus?: 403 | 404; flavour?: 's3' | 'gcs'; headers?: Record<string, string> } = {}) {
  const stub = await startStubBackend({ id: 'mirrorS3', behaviour: { kind: 'bucket', root: dir.root, ...extra } });
  open.push(stub);
  return stub;
}

function response(o: StubRequestOutcome): Extract<StubRequestOutcome, { kind: 'response' }> {
  if (o.kind !== 'response') throw new Error(`expected a response, got ${JSON.stringify(o)}`);
  return o;
}

describe('bucket keys', () => {
  it('percent-decodes the path once and drops the query string', () => {
    expect(bucketKeyFromPath('/www.gov.uk/a%2520b.html')).toEqual({ ok: true, key: 'www.gov.uk/a%20b.html' });
    expect(bucketKeyFromPath('/www.gov.uk/a%20b.html?x=1')).toEqual({ ok: true, key: 'www.gov.uk/a b.html' });
    expect(bucketKeyFromPath('/')).toEqual({ ok: true, key: '' });
    expect(bucketKeyFromPath('/a/../b').ok).toBe(false);
    expect(bucketKeyFromPath('/a/%2e%2e/b').ok).toBe(false);
    expect(bucketKeyFromPath('/%E0%A4%A').ok).toBe(false);
    expect(bucketKeyFromPath('/a%00b').ok).toBe(false);
    expect(bucketPathForKey('www.gov.uk/a%20b.html')).toBe('/www.gov.uk/a%2520b.html');
  });

  it('guesses content types from the extension', () => {
    expect(contentTypeForKey('x/y.HTML')).toBe('text/html; charset=utf-8');
    expect(contentTypeForKey('x/y.css')).toBe('text/css; charset=utf-8');
    expect(contentTypeForKey('x/y')).toBe('binary/octet-stream');
  });
});

describe('bucket behaviour', () => {
  it('serves an object with S3-style headers', async () => {
    const stub = await bucket({ headers: { 'Cache-Control': 'max-age=300' } });
    const o = response(await stubRequest(stub.url, { path: '/www.gov.uk/browse/benefits.html' }));
    expect(o.status).toBe(200);
    expect(o.text).toBe('<h1>Benefits</h1>');
    expect(o.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(o.headers['content-length']).toBe(String('<h1>Benefits</h1>'.length));
    expect(o.headers.etag).toBe(`"${createHash('md5').update('<h1>Benefits</h1>').digest('hex')}"`);
    expect(o.headers['last-modified']).toBe(statSync(dir.filePath('www.gov.uk/browse/benefits.html')).mtime.toUTCString());
    expect(o.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    expect(o.headers['x-amz-id-2']).toBeTruthy();
    expect(o.headers['x-stub-backend']).toBe('mirrorS3');
    expect(o.headers['cache-control']).toBe('max-age=300');
    expect(stub.requests[0]?.path).toBe('/www.gov.uk/browse/benefits.html');
  });

  it('serves GCS-style headers with flavour gcs', async () => {
    const stub = await bucket({ flavour: 'gcs' });
    const o = response(await stubRequest(stub.url, { path: '/www.gov.uk/assets/site.css' }));
    expect(o.status).toBe(200);
    expect(o.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(o.headers['x-goog-generation']).toMatch(/^\d+$/);
    expect(o.headers['x-goog-metageneration']).toBe('1');
    expect(o.headers['x-goog-hash']).toMatch(/^md5=/);
    expect(o.headers['x-amz-request-id']).toBeUndefined();
  });

  it('decodes the path exactly once', async () => {
    const stub = await bucket();
    expect(response(await stubRequest(stub.url, { path: '/www.gov.uk/a%2520b.html' })).text).toBe('literal percent-twenty');
    expect(response(await stubRequest(stub.url, { path: '/www.gov.uk/a%20b.html' })).text).toBe('with a space');
    expect(response(await stubRequest(stub.url, { path: bucketPathForKey('www.gov.uk/a%20b.html') })).text).toBe(
      'literal percent-twenty',
    );
  });

  it('answers HEAD with headers only', async () => {
    const stub = await bucket();
    const o = response(await stubRequest(stub.url, { method: 'HEAD', path: '/www.gov.uk/data.bin' }));
    expect(o.status).toBe(200);
    expect(o.headers['content-length']).toBe('4');
    expect(o.headers['content-type']).toBe('binary/octet-stream');
    expect(o.body.length).toBe(0);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const stub = await bucket();
    const first = response(await stubRequest(stub.url, { path: '/www.gov.uk/browse/benefits.html' }));
    const etag = String(first.headers.etag);
    const again = response(
      await stubRequest(stub.url, { path: '/www.gov.uk/browse/benefits.html', headers: { 'If-None-Match': etag } }),
    );
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('answers 403 AccessDenied for a missing key by default', async () => {
    const stub = await bucket();
    for (const path of ['/www.gov.uk/nope.html', '/', '/www.gov.uk/browse/', '/www.gov.uk/browse']) {
      const o = response(await stubRequest(stub.url, { path }));
      expect(o.status, path).toBe(403);
      expect(o.headers['content-type']).toBe('application/xml');
      expect(o.headers['x-amz-request-id']).toBeTruthy();
      expect(o.text).toContain('<Code>AccessDenied</Code>');
    }
  });

  it('answers 404 NoSuchKey when asked to', async () => {
    const stub = await bucket({ missingStatus: 404 });
    const o = response(await stubRequest(stub.url, { path: '/www.gov.uk/nope.html' }));
    expect(o.status).toBe(404);
    expect(o.text).toContain('<Code>NoSuchKey</Code>');
    expect(o.text).toContain('<Key>www.gov.uk/nope.html</Key>');
  });

  it('answers 400 to keys escaping the root and bad encoding, 405 to other methods', async () => {
    const stub = await bucket();
    for (const path of ['/../etc/passwd', '/www.gov.uk/%2e%2e/%2e%2e/x', '/a/%2E%2E%2F..%2Fx', '/%zz']) {
      const o = response(await stubRequest(stub.url, { path }));
      expect(o.status, path).toBe(400);
      expect(o.text).toContain('<Code>InvalidURI</Code>');
    }
    expect(response(await stubRequest(stub.url, { method: 'POST', path: '/www.gov.uk/browse/benefits.html' })).status).toBe(405);
  });

  it('sees objects written after it started, and the root can be switched', async () => {
    const stub = await bucket({ missingStatus: 404 });
    expect(response(await stubRequest(stub.url, { path: '/www.gov.uk/new.html' })).status).toBe(404);
    await dir.write('www.gov.uk/new.html', 'new');
    expect(response(await stubRequest(stub.url, { path: '/www.gov.uk/new.html' })).text).toBe('new');
    await dir.remove('www.gov.uk/new.html');
    const other = await makeBucketDir({ 'www.gov.uk/new.html': 'other' });
    try {
      await stub.setBehaviour({ kind: 'bucket', root: other.root });
      expect(response(await stubRequest(stub.url, { path: '/www.gov.uk/new.html' })).text).toBe('other');
    } finally {
      await stub.close();
      await other.cleanup();
    }
  });
});

describe('makeBucketDir', () => {
  it('refuses keys it cannot store faithfully', async () => {
    await expect(makeBucketDir({ '../x': 'no' })).rejects.toThrow(/bad key/);
    await expect(makeBucketDir({ 'a//b': 'no' })).rejects.toThrow(/bad key/);
    await expect(makeBucketDir({ 'a/': 'no' })).rejects.toThrow(/bad key/);
  });
});
