/**
 * A directory served the way an S3 or GCS bucket answers plain HTTP GET/HEAD:
 * the URL path, percent-decoded once, is the object key, and the key is a
 * file of that literal name under the root.
 *
 *   GET /www.gov.uk/a%2520b.html  →  key `www.gov.uk/a%20b.html`  →  <root>/www.gov.uk/a%20b.html
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { BucketBehaviour } from './behaviour.ts';
import { contentTypeForKey } from './content-type.ts';
import { applyHeaders, escapeHtml, STUB_BACKEND_HEADER, writable, type Exchange } from './exchange.ts';

export type KeyResult = { readonly ok: true; readonly key: string } | { readonly ok: false; readonly reason: string };

/**
 * The object key a request target names: the path (query string dropped,
 * leading `/` removed) percent-decoded once. Keys with `.` or `..` segments or
 * NUL are refused, since they cannot be mapped to a file faithfully.
 */
export function bucketKeyFromPath(rawPath: string): KeyResult {
  if (!rawPath.startsWith('/')) return { ok: false, reason: 'the request target must start with /' };
  const q = rawPath.indexOf('?');
  const encoded = (q === -1 ? rawPath : rawPath.slice(0, q)).slice(1);
  let key: string;
  try {
    key = decodeURIComponent(encoded);
  } catch {
    return { ok: false, reason: 'malformed percent-encoding' };
  }
  return checkKey(key);
}

/** Whether `key` is one this stub can store and serve. */
export function checkKey(key: string): KeyResult {
  if (key.includes('\0')) return { ok: false, reason: 'NUL in key' };
  if (key.split('/').some((s) => s === '.' || s === '..')) return { ok: false, reason: 'dot segment in key' };
  return { ok: true, key };
}

/** The request path that reaches `key` (each segment percent-encoded once). */
export function bucketPathForKey(key: string): string {
  return '/' + key.split('/').map(encodeURIComponent).join('/');
}

/** The file holding `key` under `root`, or undefined when it would lie outside root. */
export function bucketFilePath(root: string, key: string): string | undefined {
  if (!checkKey(key).ok) return undefined;
  const base = resolve(root);
  const file = join(base, key);
  const rel = relative(base, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return file;
}

function requestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

function providerHeaders(ex: Exchange, b: BucketBehaviour): string {
  const id = requestId();
  const { res } = ex;
  res.setHeader(STUB_BACKEND_HEADER, ex.id);
  if ((b.flavour ?? 's3') === 's3') {
    res.setHeader('x-amz-request-id', id);
    res.setHeader('x-amz-id-2', randomBytes(32).toString('base64'));
    res.setHeader('Server', 'AmazonS3');
  } else {
    res.setHeader('x-guploader-uploadid', `ADPycd${randomBytes(24).toString('base64url')}`);
    res.setHeader('Server', 'UploadServer');
  }
  return id;
}

function sendError(ex: Exchange, b: BucketBehaviour, status: number, code: string, message: string, key?: string): void {
  const { res } = ex;
  if (!writable(res)) return;
  const id = providerHeaders(ex, b);
  const s3 = (b.flavour ?? 's3') === 's3';
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeHtml(message)}</Message>` +
    (key !== undefined ? `<Key>${escapeHtml(key)}</Key>` : '') +
    (s3 ? `<RequestId>${id}</RequestId>` : '') +
    '</Error>';
  const bytes = Buffer.from(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', bytes.length);
  res.end(bytes);
}

function sendMissing(ex: Exchange, b: BucketBehaviour, key: string): void {
  if ((b.missingStatus ?? 403) === 404) sendError(ex, b, 404, 'NoSuchKey', 'The specified key does not exist.', key);
  else sendError(ex, b, 403, 'AccessDenied', 'Access Denied');
}

/** Answers one request from the bucket directory. Never rejects. */
export async function serveBucket(ex: Exchange, b: BucketBehaviour): Promise<void> {
  try {
    await serve(ex, b);
  } catch (err) {
    sendError(ex, b, 500, 'InternalError', `stub bucket failed: ${(err as Error).message}`);
  }
}

async function serve(ex: Exchange, b: BucketBehaviour): Promise<void> {
  if (ex.method !== 'GET' && ex.method !== 'HEAD') {
    ex.res.setHeader('Allow', 'GET, HEAD');
    return sendError(ex, b, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
  const parsed = bucketKeyFromPath(ex.path);
  if (!parsed.ok) return sendError(ex, b, 400, 'InvalidURI', `Couldn't parse the specified URI: ${parsed.reason}.`);
  const { key } = parsed;
  if (key === '' || key.endsWith('/')) return sendMissing(ex, b, key); // a listing or a "folder": not an object
  const file = bucketFilePath(b.root, key);
  if (file === undefined) return sendError(ex, b, 400, 'InvalidURI', "Couldn't parse the specified URI.");

  const info = await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile()) return sendMissing(ex, b, key);
  const body = await readFile(file);
  const { res } = ex;
  if (!writable(res)) return;

  const md5 = createHash('md5').update(body).digest();
  const etag = `"${md5.toString('hex')}"`;
  const lastModified = info.mtime.toUTCString();
  providerHeaders(ex, b);
  if ((b.flavour ?? 's3') === 'gcs') {
    res.setHeader('x-goog-generation', String(Math.floor(info.mtimeMs * 1000)));
    res.setHeader('x-goog-metageneration', '1');
    res.setHeader('x-goog-stored-content-encoding', 'identity');
    res.setHeader('x-goog-stored-content-length', String(body.length));
    res.setHeader('x-goog-hash', `md5=${md5.toString('base64')}`);
    res.setHeader('x-goog-storage-class', 'STANDARD');
  } else {
    res.setHeader('Accept-Ranges', 'bytes');
  }
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', lastModified);
  applyHeaders(res, b.headers);

  if (notModified(ex, etag, info.mtimeMs)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', contentTypeForKey(key));
  res.setHeader('Content-Length', body.length);
  res.end(body); // Node leaves the body out of HEAD answers
}

function notModified(ex: Exchange, etag: string, mtimeMs: number): boolean {
  const inm = ex.req.headers['if-none-match'];
  if (inm !== undefined) {
    return inm
      .split(',')
      .map((t) => t.trim().replace(/^W\//, ''))
      .some((t) => t === etag || t === '*');
  }
  const ims = ex.req.headers['if-modified-since'];
  if (ims !== undefined) {
    const since = Date.parse(ims);
    return Number.isFinite(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
  }
  return false;
}
