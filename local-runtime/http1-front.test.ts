import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runs } from '../test/support/property-runs.ts';
import { RAW_METHOD_HEADER, REFUSE_HEADER, RequestStream } from './http1-front.ts';

const through = (...parts: string[]) => {
  const stream = new RequestStream(507_840);
  return parts.map((p) => stream.push(Buffer.from(p, 'latin1')).toString('latin1')).join('');
};

describe('RequestStream: what Node is handed', () => {
  it('hands a method Node does not know as the stand-in, with the client\'s own in a header', () => {
    expect(through('get /a HTTP/1.1\r\nHost: x\r\n\r\n')).toBe(`PUT /a HTTP/1.1\r\n${RAW_METHOD_HEADER}: get\r\nHost: x\r\n\r\n`);
    expect(through('BREW /a HTTP/1.1\r\nHost: x\r\n\r\n')).toBe(`PUT /a HTTP/1.1\r\n${RAW_METHOD_HEADER}: BREW\r\nHost: x\r\n\r\n`);
    expect(through('CONNECT /a HTTP/1.1\r\nHost: x\r\n\r\n')).toContain(`${RAW_METHOD_HEADER}: CONNECT`);
    expect(through('GET /a HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('GET /a HTTP/1.1\r\nHost: x\r\n\r\n');
  });

  it('frames by chunks and drops a Content-Length beside them', () => {
    expect(through('POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n')).toBe(
      'POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    );
  });

  it.each<[string, string, 400 | 431]>([
    ['`<` in the path', 'GET /a<b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['`"` in the query', 'GET /a?"b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a raw byte over 0x7e in the target', 'GET /caf\xe9 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a header name that is no token', 'GET / HTTP/1.1\r\nHost: x\r\nX Y: z\r\n\r\n', 400],
    ['a control byte in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n', 400],
    ['Transfer-Encoding in HTTP/1.0', 'POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
    ['a coding that does not end in chunked', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 400],
    ['two lengths', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400],
    ['101 header lines', `GET / HTTP/1.1\r\n${Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`, 431],
  ])('stands in for a request hyper refuses (%s), and reads nothing after it', (_what, raw, status) => {
    expect(through(`${raw}GET /next HTTP/1.1\r\nHost: x\r\n\r\n`)).toBe(`GET / HTTP/1.1\r\nHost: refused.invalid\r\n${REFUSE_HEADER}: ${status}\r\n\r\n`);
  });

  it('hands bytes that are no HTTP at all (a TLS handshake) to Node at once, as they are', () => {
    const hello = '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03';
    expect(through(hello)).toBe(hello);
  });

  it('keeps `<` after a fragment mark, as hyper does', () => {
    expect(through('GET /a#<b> HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('GET /a#<b> HTTP/1.1\r\nHost: x\r\n\r\n');
  });

  it('follows pipelined requests however the bytes arrive (seeded)', () => {
    const requests = fc.array(
      fc.oneof(
        fc.constant('GET /a HTTP/1.1\r\nHost: x\r\n\r\n'),
        fc.constant('get /b HTTP/1.1\r\nHost: x\r\n\r\n'),
        fc.constant('POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello'),
        fc.constant('PUT /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\n'),
      ),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(requests, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }), (reqs, cuts) => {
        const all = reqs.join('');
        const whole = through(all);
        const parts: string[] = [];
        let at = 0;
        for (const cut of cuts) {
          if (at >= all.length) break;
          parts.push(all.slice(at, at + cut));
          at += cut;
        }
        if (at < all.length) parts.push(all.slice(at));
        expect(through(...parts)).toBe(whole);
        expect(whole.split(' HTTP/1.1\r\n').length - 1).toBe(reqs.length);
      }),
      runs(300),
    );
  });
});
