import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gcsStringToSign, hmacSha1Base64, httpDate, signGcsRequest } from '../../src/core/gcs-signature.ts';

/** Independent oracle: Node's own HMAC-SHA1. */
function nodeSignature(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}

// The AWS signature version 2 examples from the Amazon S3 developer guide
// ("Signing and authenticating REST requests"), quoted by many independent
// client libraries' test suites.
const EXAMPLE_ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('published AWS signature v2 vectors', () => {
  it('Object GET: /johnsmith/photos/puppy.jpg', async () => {
    const stringToSign = gcsStringToSign({ date: 'Tue, 27 Mar 2007 19:36:42 +0000', bucket: 'johnsmith', path: '/photos/puppy.jpg' });
    expect(stringToSign).toBe('GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg');
    const published = 'bWq2s1WEIj+Ydj0vQ697zp+IXMU=';
    expect(nodeSignature(EXAMPLE_SECRET, stringToSign)).toBe(published);
    expect(await hmacSha1Base64(EXAMPLE_SECRET, stringToSign)).toBe(published);
  });

  it('List: /johnsmith/', async () => {
    const stringToSign = gcsStringToSign({ date: 'Tue, 27 Mar 2007 19:42:41 +0000', bucket: 'johnsmith', path: '/' });
    expect(stringToSign).toBe('GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/');
    const published = 'htDYFYduRNen8P9ZfE/s9SuKy0U=';
    expect(nodeSignature(EXAMPLE_SECRET, stringToSign)).toBe(published);
    expect(await hmacSha1Base64(EXAMPLE_SECRET, stringToSign)).toBe(published);
  });

  it('signGcsRequest gives the Authorization header for the puppy example', async () => {
    // The published example uses a "+0000" date; signGcsRequest sends the
    // RFC 7231 form ("GMT"), so its signature is checked against Node here.
    const date = new Date(Date.UTC(2007, 2, 27, 19, 36, 42));
    const signed = await signGcsRequest({
      accessId: EXAMPLE_ACCESS_KEY,
      secretKey: EXAMPLE_SECRET,
      bucket: 'johnsmith',
      path: '/photos/puppy.jpg',
      date,
    });
    expect(signed.date).toBe('Tue, 27 Mar 2007 19:36:42 GMT');
    const expected = nodeSignature(EXAMPLE_SECRET, 'GET\n\n\nTue, 27 Mar 2007 19:36:42 GMT\n/johnsmith/photos/puppy.jpg');
    expect(signed.authorization).toBe(`AWS ${EXAMPLE_ACCESS_KEY}:${expected}`);
  });
});

describe('string to sign', () => {
  it('is METHOD, empty Content-MD5 and Content-Type, date, /bucket + path', () => {
    expect(gcsStringToSign({ date: 'Mon, 01 Jan 2024 00:00:00 GMT', bucket: 'b', path: '/www.gov.uk/index.html' })).toBe(
      'GET\n\n\nMon, 01 Jan 2024 00:00:00 GMT\n/b/www.gov.uk/index.html',
    );
  });

  it('puts HEAD on the first line for HEAD requests', () => {
    const s = gcsStringToSign({ method: 'HEAD', date: 'Mon, 01 Jan 2024 00:00:00 GMT', bucket: 'b', path: '/x' });
    expect(s.split('\n')).toEqual(['HEAD', '', '', 'Mon, 01 Jan 2024 00:00:00 GMT', '/b/x']);
  });

  it('keeps the encoded path exactly as sent', () => {
    const s = gcsStringToSign({ date: 'D', bucket: 'govuk-mirror', path: '/www.gov.uk/a%2520b.html' });
    expect(s).toBe('GET\n\n\nD\n/govuk-mirror/www.gov.uk/a%2520b.html');
  });

  it('adds the leading slash of a path that lacks one', () => {
    expect(gcsStringToSign({ date: 'D', bucket: 'b', path: 'x' })).toBe('GET\n\n\nD\n/b/x');
  });

  it('has no trailing newline', () => {
    expect(gcsStringToSign({ date: 'D', bucket: 'b', path: '/x' }).endsWith('\n')).toBe(false);
  });
});

describe('httpDate', () => {
  it('is an RFC 7231 IMF-fixdate', () => {
    expect(httpDate(new Date(Date.UTC(1994, 10, 6, 8, 49, 37)))).toBe('Sun, 06 Nov 1994 08:49:37 GMT');
    expect(httpDate(new Date(Date.UTC(2024, 0, 5, 3, 4, 5)))).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  });
});

describe('signGcsRequest against node:crypto', () => {
  const methods = ['GET', 'HEAD'] as const;
  for (let n = 0; n < 12; n++) {
    const method = methods[n % 2] ?? 'GET';
    it(`random input #${n + 1} (${method})`, async () => {
      const accessId = `GOOG1E${randomBytes(12).toString('hex').toUpperCase()}`;
      const secretKey = randomBytes(30).toString('base64');
      const bucket = `bucket-${randomBytes(4).toString('hex')}`;
      const path = `/www.gov.uk/${randomBytes(6).toString('hex')}%2520${encodeURIComponent('é+')}.html`;
      const date = new Date(Date.UTC(2020, 0, 1) + Math.floor(Math.random() * 1e11));
      date.setUTCMilliseconds(0);
      const signed = await signGcsRequest({ accessId, secretKey, bucket, path, date, method });
      const dateHeader = date.toUTCString();
      expect(signed.date).toBe(dateHeader);
      const expected = nodeSignature(secretKey, `${method}\n\n\n${dateHeader}\n/${bucket}${path}`);
      expect(signed.authorization).toBe(`AWS ${accessId}:${expected}`);
      expect(JSON.stringify(signed)).not.toContain(secretKey);
    });
  }

  it('defaults to GET', async () => {
    const input = { accessId: 'id', secretKey: 'secret', bucket: 'b', path: '/x', date: new Date(0) };
    const signed = await signGcsRequest(input);
    expect(signed).toEqual(await signGcsRequest({ ...input, method: 'GET' }));
    expect(signed).not.toEqual(await signGcsRequest({ ...input, method: 'HEAD' }));
    expect(signed.authorization).toBe(`AWS id:${nodeSignature('secret', 'GET\n\n\nThu, 01 Jan 1970 00:00:00 GMT\n/b/x')}`);
  });

  it('handles a non-ASCII secret as UTF-8, like node:crypto', async () => {
    const signed = await signGcsRequest({ accessId: 'id', secretKey: 'clé/ß', bucket: 'b', path: '/x', date: new Date(0) });
    expect(signed.authorization).toBe(`AWS id:${nodeSignature('clé/ß', 'GET\n\n\nThu, 01 Jan 1970 00:00:00 GMT\n/b/x')}`);
  });

  it('returns only the signature and the date, never the secret', async () => {
    const secretKey = 'super-secret-value-1234567890';
    const signed = await signGcsRequest({ accessId: 'id', secretKey, bucket: 'b', path: '/x', date: new Date(0) });
    expect(Object.keys(signed).sort()).toEqual(['authorization', 'date']);
    expect(JSON.stringify(signed)).not.toContain(secretKey);
  });

  it('rejects an invalid date without mentioning the secret', async () => {
    const secretKey = 'super-secret-value-1234567890';
    const attempt = signGcsRequest({ accessId: 'id', secretKey, bucket: 'b', path: '/x', date: new Date(Number.NaN) });
    await expect(attempt).rejects.toThrow(RangeError);
    await attempt.catch((error: unknown) => {
      expect(String(error)).not.toContain(secretKey);
    });
  });
});
