/**
 * Acting out one (already resolved, see `random-choice.ts`) behaviour on one
 * exchange.
 */
import { STATUS_CODES } from 'node:http';
import {
  behaviourForPath,
  DEFAULT_RESET_BYTES,
  DEFAULT_STALL_BYTES,
  type Behaviour,
  type EchoBehaviour,
  type HeaderMap,
  type StatusBehaviour,
} from './behaviour.ts';
import { serveBucket } from './bucket.ts';
import {
  applyHeaders,
  escapeHtml,
  headerSafe,
  statusHasNoBody,
  STUB_BACKEND_HEADER,
  STUB_PATH_HEADER,
  writable,
  type Exchange,
} from './exchange.ts';

const HTML = 'text/html; charset=utf-8';

/** The page an `echo` behaviour sends when it has no `body` of its own. */
export function echoBody(id: string, method: string, path: string, status = 200): string {
  return (
    '<!DOCTYPE html>\n' +
    `<html lang="en"><head><meta charset="utf-8"><title>Stub backend ${escapeHtml(id)}</title></head>\n` +
    `<body data-stub-backend="${escapeHtml(id)}">\n` +
    `<h1>Stub backend ${escapeHtml(id)}</h1>\n` +
    `<p>Answered <code>${escapeHtml(method)} ${escapeHtml(path)}</code> with ${status}.</p>\n` +
    '</body></html>\n'
  );
}

/** The page a `status` behaviour sends. */
export function statusBody(id: string, status: number): string {
  const reason = STATUS_CODES[status] ?? 'Unknown';
  return (
    '<!DOCTYPE html>\n' +
    `<html lang="en"><head><meta charset="utf-8"><title>${status} ${escapeHtml(reason)}</title></head>\n` +
    `<body data-stub-backend="${escapeHtml(id)}"><h1>${status} ${escapeHtml(reason)}</h1>\n` +
    `<p>Stub backend ${escapeHtml(id)} answered ${status}.</p></body></html>\n`
  );
}

/** `n` bytes of ASCII filler naming the backend, for partial bodies. */
export function fillerBody(id: string, path: string, n: number): Buffer {
  const unit = Buffer.from(`<!-- stub backend ${id.replace(/-->/g, '')} partial body for ${headerSafe(path).replace(/-->/g, '')} -->\n`);
  const out = Buffer.alloc(n);
  for (let at = 0; at < n; at += unit.length) unit.copy(out, at, 0, Math.min(unit.length, n - at));
  return out;
}

function baseHeaders(ex: Exchange): void {
  ex.res.setHeader(STUB_BACKEND_HEADER, ex.id);
  ex.res.setHeader(STUB_PATH_HEADER, headerSafe(ex.path));
  ex.res.setHeader('Content-Type', HTML);
}

function sendWhole(ex: Exchange, status: number, headers: HeaderMap | undefined, body: string): void {
  const { res } = ex;
  if (!writable(res)) return;
  baseHeaders(ex);
  applyHeaders(res, headers);
  res.statusCode = status;
  if (statusHasNoBody(status)) {
    res.removeHeader('Content-Length');
    res.end();
    return;
  }
  const bytes = Buffer.from(body);
  res.setHeader('Content-Length', bytes.length);
  res.end(bytes); // Node leaves the body out of HEAD answers
}

function echo(ex: Exchange, b: EchoBehaviour): void {
  const status = b.status ?? 200;
  sendWhole(ex, status, b.headers, b.body ?? echoBody(ex.id, ex.method, ex.path, status));
}

function status(ex: Exchange, b: StatusBehaviour): void {
  sendWhole(ex, b.status, b.headers, statusBody(ex.id, b.status));
}

/** Headers promising more body than will come, then `sent` bytes of it. */
function partial(ex: Exchange, headers: HeaderMap | undefined, sent: number, afterWrite: () => void): void {
  const { res } = ex;
  if (!writable(res)) return;
  baseHeaders(ex);
  applyHeaders(res, headers);
  res.statusCode = 200;
  res.setHeader('Content-Length', sent + 4096);
  if (sent === 0 || ex.method === 'HEAD') {
    res.flushHeaders();
    afterWrite();
    return;
  }
  res.write(fillerBody(ex.id, ex.path, sent), () => afterWrite());
}

/** Acts out `b`, which must contain no `random` (resolve it first). */
export function respond(ex: Exchange, b: Behaviour): void {
  switch (b.kind) {
    case 'by-path':
      return respond(ex, behaviourForPath(b, ex.path));
    case 'echo':
      return echo(ex, b);
    case 'status':
      return status(ex, b);
    case 'bucket':
      ex.track(serveBucket(ex, b));
      return;
    case 'hang':
      ex.park();
      return;
    case 'reset-mid-body':
      partial(ex, b.headers, b.bytesBeforeReset ?? DEFAULT_RESET_BYTES, () => ex.res.socket?.destroy());
      return;
    case 'slow-body': {
      ex.park();
      partial(ex, b.headers, b.stallAfterBytes ?? DEFAULT_STALL_BYTES, () => undefined);
      return;
    }
    case 'delay': {
      let timer: NodeJS.Timeout | undefined = setTimeout(() => {
        timer = undefined;
        parked.unpark();
        respond(ex, b.then);
      }, b.ms);
      const parked = ex.park(() => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
      });
      return;
    }
    case 'refuse':
      // Only reachable in the instant a listener is being closed: act as if refused.
      ex.res.socket?.destroy();
      return;
    case 'random':
      throw new Error('respond: resolve random behaviours before responding');
  }
}
