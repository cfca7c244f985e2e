/**
 * What Viceroy's HTTP/1 server (hyper, httparse and the http crate) takes
 * from a client and Node's parser (llhttp) does not, or the other way round,
 * settled before Node sees the bytes, so that the service gets what Viceroy
 * would give it (seen on Viceroy 0.22.0, local-runtime/README.md):
 *
 * - a method may be any token (`get`, `BREW`, `M-SEARCH`); Node takes only the
 *   methods it knows, in upper case. The request line is handed on with a
 *   method Node knows, and the client's own in a header the runtime reads
 *   back (`RAW_METHOD_HEADER`), never shown to the service;
 * - a request target with `<`, `>` or `` ` `` in its path, or `"`, `<`, `>`
 *   in its query (before any `#`), gets hyper's 400 (Node took them); so do a
 *   header that is not a token and a value with control bytes, and a framing
 *   hyper refuses (Transfer-Encoding in HTTP/1.0, or not ending in chunked;
 *   two lengths);
 * - more than 100 header lines get hyper's 431 (Node took them);
 * - `Transfer-Encoding: chunked` beside a `Content-Length` is framed by the
 *   former, the latter dropped (Node refuses the request).
 *
 * A refused request is handed on as a stand-in the runtime answers with
 * hyper's status and no body, in turn after the requests before it on the
 * connection (as hyper does), and nothing after it is read. Requests on one
 * connection (keep-alive, pipelined) are followed by their framing: a
 * Content-Length, or chunks. A head larger than the limit goes to Node as it
 * is, which answers 431 as Viceroy does.
 */
import { Duplex } from 'node:stream';
import type http from 'node:http';
import type { Socket } from 'node:net';

/** The client's own method, as the runtime reads it back (server.ts). */
export const RAW_METHOD_HEADER = 'x-local-runtime-raw-method';

/** Methods llhttp parses (in upper case only). */
// Not CONNECT: Node's server takes its connection over (a tunnel); Viceroy hands it to the service like any other.
const NODE_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'TRACE', 'COPY', 'LOCK', 'MKCOL', 'MOVE', 'PROPFIND', 'PROPPATCH', 'SEARCH', 'UNLOCK', 'BIND', 'REBIND', 'UNBIND', 'ACL', 'REPORT', 'MKACTIVITY', 'CHECKOUT', 'MERGE', 'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PATCH', 'PURGE', 'MKCALENDAR', 'LINK', 'UNLINK', 'QUERY']);
/** What a method Node does not know is handed to it as: one with no meaning of its own to Node's server. */
const STAND_IN_METHOD = 'PUT';

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_IN_PATH = /[<>`]/;
const BAD_IN_QUERY = /["<>]/;

/** Set on a request that stands in for one hyper refuses: the runtime answers it with this status and closes (server.ts). */
export const REFUSE_HEADER = 'x-local-runtime-refuse';
/** hyper's limit on request header lines. */
export const MAX_HEADERS = 100;

type State =
  | { kind: 'head' }
  | { kind: 'fixed'; left: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; left: number }
  | { kind: 'trailers' }
  /** Bytes this cannot follow: handed to Node as they are. */
  | { kind: 'through' }
  /** After a refused request: nothing more is read. */
  | { kind: 'discard' };

/** Follows the requests of one connection, rewriting heads as above. Pure: bytes in, bytes out. */
export class RequestStream {
  #state: State = { kind: 'head' };
  #pending: Buffer = Buffer.alloc(0);
  readonly #maxHead: number;

  constructor(maxHeadBytes: number) {
    this.#maxHead = maxHeadBytes;
  }

  /** The bytes to hand Node for `chunk`. */
  push(chunk: Buffer): Buffer {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const state = this.#state;
      if (state.kind === 'through' || state.kind === 'discard') {
        if (state.kind === 'through') out.push(this.#pending);
        this.#pending = Buffer.alloc(0);
        break;
      }
      if (state.kind === 'fixed' || state.kind === 'chunk-data') {
        const take = Math.min(state.left, this.#pending.length);
        out.push(this.#pending.subarray(0, take));
        this.#pending = this.#pending.subarray(take);
        state.left -= take;
        if (state.left > 0) break;
        this.#state = state.kind === 'fixed' ? { kind: 'head' } : { kind: 'chunk-size' };
        continue;
      }
      if (state.kind === 'head' && !startsLikeARequest(this.#pending)) {
        // Not HTTP at all (a TLS handshake, say): Node answers it as it does, at once.
        this.#state = { kind: 'through' };
        continue;
      }
      const lineEnd = state.kind === 'head' ? this.#pending.indexOf('\r\n\r\n') : this.#pending.indexOf('\r\n');
      if (lineEnd === -1) {
        if (state.kind === 'head' && this.#pending.length > this.#maxHead + 4) this.#state = { kind: 'through' };
        else if (state.kind !== 'head' && this.#pending.length > 4096) this.#state = { kind: 'through' };
        else break;
        continue;
      }
      if (state.kind === 'chunk-size') {
        const line = this.#pending.subarray(0, lineEnd + 2);
        this.#pending = this.#pending.subarray(lineEnd + 2);
        out.push(line);
        const size = parseInt(line.toString('latin1').split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size)) {
          this.#state = { kind: 'through' };
          continue;
        }
        // A chunk's data, and the CR LF that ends it.
        this.#state = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', left: size + 2 };
        continue;
      }
      if (state.kind === 'trailers') {
        const line = this.#pending.subarray(0, lineEnd + 2);
        this.#pending = this.#pending.subarray(lineEnd + 2);
        out.push(line);
        if (lineEnd === 0) this.#state = { kind: 'head' };
        continue;
      }
      // A whole request head.
      const head = this.#pending.subarray(0, lineEnd + 4).toString('latin1');
      this.#pending = this.#pending.subarray(lineEnd + 4);
      out.push(Buffer.from(this.#head(head).head, 'latin1'));
    }
    return Buffer.concat(out);
  }

  #head(head: string): { head: string } {
    // Leading empty lines before a request line are allowed (RFC 9112 2.2); dropped.
    const lines = head.slice(0, -4).split('\r\n');
    const firstIndex = lines.findIndex((l) => l !== '');
    if (firstIndex === -1) return { head };
    const parts = lines[firstIndex]!.split(' ');
    const headers = lines.slice(firstIndex + 1);
    const refuse = (status: 400 | 431) => {
      // Nothing after a refused request is read: the connection closes once it is answered.
      this.#state = { kind: 'discard' };
      return { head: `GET / HTTP/1.1\r\nHost: refused.invalid\r\n${REFUSE_HEADER}: ${status}\r\n\r\n` };
    };
    if (parts.length !== 3 || !TCHAR.test(parts[0]!) || !/^HTTP\/1\.[01]$/.test(parts[2]!)) return refuse(400);
    const [method, target, version] = parts as [string, string, string];
    const beforeFragment = target.split('#')[0]!;
    const query = beforeFragment.indexOf('?');
    const path = query === -1 ? beforeFragment : beforeFragment.slice(0, query);
    if (!/^[\x21-\x7e]+$/.test(target) || BAD_IN_PATH.test(path) || (query !== -1 && BAD_IN_QUERY.test(beforeFragment.slice(query + 1)))) return refuse(400);
    if (headers.length > MAX_HEADERS) return refuse(431);
    const fields: [string, string][] = [];
    for (const line of headers) {
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      const value = line.slice(colon + 1);
      if (!TCHAR.test(name) || /[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return refuse(400);
      fields.push([name.toLowerCase(), value.trim()]);
    }
    const te = fields.filter(([n]) => n === 'transfer-encoding').map(([, v]) => v.toLowerCase()).join(',');
    const codings = te.split(',').map((t) => t.trim()).filter(Boolean);
    const lengths = new Set(fields.filter(([n]) => n === 'content-length').map(([, v]) => v));
    let kept = headers;
    if (te !== '') {
      // HTTP/1.0 has no Transfer-Encoding; a coding list must end in chunked.
      if (version === 'HTTP/1.0' || codings.at(-1) !== 'chunked') return refuse(400);
      kept = headers.filter((h) => h.slice(0, h.indexOf(':')).toLowerCase() !== 'content-length');
      this.#state = { kind: 'chunk-size' };
    } else if (lengths.size > 1 || (lengths.size === 1 && !/^\d+$/.test([...lengths][0]!))) {
      return refuse(400);
    } else {
      const length = lengths.size === 1 ? Number([...lengths][0]) : 0;
      this.#state = length > 0 ? { kind: 'fixed', left: length } : { kind: 'head' };
    }
    // A method Node does not know as it is spelt goes as the stand-in: `head` is not HEAD to hyper either (its answer keeps its body).
    const handedMethod = NODE_METHODS.has(method) ? method : STAND_IN_METHOD;
    const rawMethod = handedMethod === method ? [] : [`${RAW_METHOD_HEADER}: ${method}`];
    return { head: [`${handedMethod} ${target} ${version}`, ...rawMethod, ...kept, '', ''].join('\r\n') };
  }
}

/** Whether bytes could begin a request: empty lines, then a method's first character. */
function startsLikeARequest(bytes: Buffer): boolean {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x0d || bytes[i] === 0x0a)) i++;
  return i === bytes.length || TCHAR.test(String.fromCharCode(bytes[i]!));
}

/**
 * Hands Node's HTTP server a connection through a RequestStream: Node reads
 * the rewritten bytes and writes straight to the client's socket.
 */
export function frontConnection(socket: Socket, server: http.Server, maxHeadBytes: number): Duplex {
  const requests = new RequestStream(maxHeadBytes);
  const front = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (socket.destroyed) return callback();
      socket.write(chunk, () => callback());
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  for (const name of ['remoteAddress', 'remotePort', 'remoteFamily', 'localAddress', 'localPort', 'bytesWritten'] as const) {
    Object.defineProperty(front, name, { get: () => socket[name] });
  }
  Object.assign(front, {
    setTimeout: (ms: number, callback?: () => void) => {
      socket.setTimeout(ms, callback);
      return front;
    },
    setNoDelay: (noDelay?: boolean) => {
      socket.setNoDelay(noDelay);
      return front;
    },
    setKeepAlive: (enable?: boolean, delay?: number) => {
      socket.setKeepAlive(enable, delay);
      return front;
    },
    address: () => socket.address(),
    ref: () => front,
    unref: () => front,
  });
  socket.on('timeout', () => front.emit('timeout'));
  socket.on('data', (chunk: Buffer) => {
    const out = requests.push(chunk);
    if (out.length > 0 && !front.push(out)) socket.pause();
  });
  socket.on('end', () => front.push(null));
  socket.on('close', () => front.destroy());
  socket.on('error', () => front.destroy());
  server.emit('connection', front);
  return front;
}
