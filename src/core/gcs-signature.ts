/**
 * Signing requests to the GCS XML API with an HMAC key (GCS "interoperability"
 * access), which uses the AWS signature version 2 scheme:
 *
 *   Authorization: AWS <accessId>:<base64(HMAC-SHA1(secretKey, stringToSign))>
 *   stringToSign = METHOD "\n" Content-MD5 "\n" Content-Type "\n" Date "\n" resource
 *
 * For our bodiless GET/HEAD requests Content-MD5 and Content-Type are empty and
 * no `x-goog-*`/`x-amz-*` headers are sent, so the string to sign is
 * `GET\n\n\n<date>\n/<bucket><path>`. `date` is the RFC 7231 HTTP-date sent
 * as the `Date` header; `path` is the object path exactly as sent on the wire
 * (already percent-encoded, starting with `/`, without the bucket and without
 * a query string). The resource is `/<bucket><path>` whether the bucket is
 * addressed by host (`<bucket>.storage.googleapis.com<path>`) or by path
 * (`storage.googleapis.com/<bucket><path>`).
 *
 * Pure: web-standard `crypto.subtle`, `TextEncoder` and `btoa` only, so it runs
 * in the Fastly Compute runtime and in Node alike. The secret key only ever
 * enters the HMAC; no returned value or error message contains it.
 */

export type GcsMethod = 'GET' | 'HEAD';

export interface GcsStringToSignInput {
  /** Defaults to GET. */
  readonly method?: GcsMethod;
  /** The `Date` header value (RFC 7231 IMF-fixdate, e.g. `Tue, 27 Mar 2007 19:36:42 GMT`). */
  readonly date: string;
  readonly bucket: string;
  /** The request path as sent (encoded), starting with `/`, bucket not included. */
  readonly path: string;
}

export interface GcsSigningInput {
  readonly accessId: string;
  readonly secretKey: string;
  readonly bucket: string;
  /** The request path as sent (encoded), starting with `/`, bucket not included. */
  readonly path: string;
  /** When the request is made; sent as the `Date` header. */
  readonly date: Date;
  /** Defaults to GET. */
  readonly method?: GcsMethod;
}

export interface GcsSignedHeaders {
  /** The `Authorization` header value: `AWS <accessId>:<signature>`. */
  readonly authorization: string;
  /** The `Date` header value that was signed; send exactly this. */
  readonly date: string;
}

/** The AWS-v2 string to sign for a bodiless GET or HEAD of `/<bucket><path>`. */
export function gcsStringToSign({ method = 'GET', date, bucket, path }: GcsStringToSignInput): string {
  const resourcePath = path.startsWith('/') ? path : `/${path}`;
  return `${method}\n\n\n${date}\n/${bucket}${resourcePath}`;
}

/** RFC 7231 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (what `Date#toUTCString` gives). */
export function httpDate(date: Date): string {
  return date.toUTCString();
}

/** Base64 of HMAC-SHA1(secretKey, message), via WebCrypto. */
export async function hmacSha1Base64(secretKey: string, message: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secretKey),
    { name: 'HMAC', hash: 'SHA-1' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
  let binary = '';
  for (const byte of mac) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The `Authorization` and `Date` headers for a GET (or HEAD) of
 * `/<bucket><path>` on the GCS XML API with an HMAC key. Rejects (never with
 * the secret in the message) when the date is invalid or WebCrypto fails.
 */
export async function signGcsRequest({
  accessId,
  secretKey,
  bucket,
  path,
  date,
  method = 'GET',
}: GcsSigningInput): Promise<GcsSignedHeaders> {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new RangeError('signGcsRequest: date is not a valid Date');
  }
  const dateHeader = httpDate(date);
  const stringToSign = gcsStringToSign({ method, date: dateHeader, bucket, path });
  let signature: string;
  try {
    signature = await hmacSha1Base64(secretKey, stringToSign);
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    throw new Error(`signGcsRequest: HMAC-SHA1 failed (${name})`);
  }
  return { authorization: `AWS ${accessId}:${signature}`, date: dateHeader };
}
