/**
 * One raw exchange over a socket: bytes a test made, sent as they are (no
 * client to tidy them), and the HTTP/1.x responses read back, framed by
 * their status, headers and the methods of the requests they answer.
 */
import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

export interface RawExchange {
  /** Final responses, in order (interim 1xx ones left out). */
  readonly responses: RawResponse[];
  /** The connection ended before a response was complete, or unanswered. */
  readonly cutShort: boolean;
  /** Bytes after the last complete response that did not make one. */
  readonly leftover: number;
}

/**
 * Sends `bytes` to `url`'s port and reads until the server closes, `expected`
 * responses have come, or `timeoutMs` passes. `methods` are the requests'
 * methods, in order: a HEAD's response has no body.
 */
export function exchange(url: string, bytes: Buffer, methods: readonly string[], timeoutMs = 5000): Promise<RawExchange> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponses(received, methods));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (parseResponses(received, methods).responses.length >= methods.length) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
    socket.write(bytes);
  });
}

/** The responses in `data`: status line, headers, and a body framed by Content-Length, chunks, or the end. */
export function parseResponses(data: Buffer, methods: readonly string[]): RawExchange {
  const responses: RawResponse[] = [];
  let at = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd === -1) break;
    const lines = data.subarray(at, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
    if (!Number.isInteger(status)) break;
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    let bodyStart = headEnd + 4;
    if (status >= 100 && status < 200) {
      at = bodyStart;
      continue;
    }
    const method = methods[responses.length] ?? 'GET';
    let body: Buffer;
    if (method === 'HEAD' || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (headers.get('transfer-encoding')?.toLowerCase().includes('chunked')) {
      const chunks: Buffer[] = [];
      let p = bodyStart;
      let complete = false;
      for (;;) {
        const lineEnd = data.indexOf('\r\n', p);
        if (lineEnd === -1) break;
        const size = parseInt(data.subarray(p, lineEnd).toString('latin1').split(';')[0]!, 16);
        if (!Number.isFinite(size)) break;
        if (size === 0) {
          const trailersEnd = data.indexOf('\r\n\r\n', lineEnd);
          if (trailersEnd === -1) break;
          p = trailersEnd + 4;
          complete = true;
          break;
        }
        if (data.length < lineEnd + 2 + size + 2) break;
        chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 2 + size + 2;
      }
      if (!complete) return { responses, cutShort: true, leftover: data.length - at };
      body = Buffer.concat(chunks);
      bodyStart = p;
      responses.push({ status, headers, body });
      at = bodyStart;
      continue;
    } else if (headers.has('content-length')) {
      const length = Number(headers.get('content-length'));
      if (data.length < bodyStart + length) return { responses, cutShort: true, leftover: data.length - at };
      body = data.subarray(bodyStart, bodyStart + length);
      bodyStart += length;
    } else {
      // Delimited by the connection's end.
      body = data.subarray(bodyStart);
      bodyStart = data.length;
    }
    responses.push({ status, headers, body });
    at = bodyStart;
  }
  return { responses, cutShort: responses.length < methods.length, leftover: data.length - at };
}
