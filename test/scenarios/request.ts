/** Sends one request to an engine and reads what a scenario asserts on. */
import { createHmac } from 'node:crypto';
import { stubRequest, type StubRequestOutcome } from '../../stubs/index.ts';

export interface Observed {
  readonly outcome: StubRequestOutcome;
  readonly status: number | undefined;
  readonly header: (name: string) => string | undefined;
  readonly text: string;
  /** Server-Timing as `backend outcome` entries, durations dropped. */
  readonly timing: string[];
  readonly ms: number;
}

export async function send(baseUrl: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<Observed> {
  const started = performance.now();
  // Node's client sends no framing for a DELETE body unless told its length.
  const headers = options.body === undefined ? options.headers : { ...options.headers, 'Content-Length': String(Buffer.byteLength(options.body)) };
  const outcome = await stubRequest(baseUrl, { path, method: options.method, headers, body: options.body, timeoutMs: options.timeoutMs ?? 15_000 });
  const ms = performance.now() - started;
  const received = outcome.kind === 'no-response' ? {} : outcome.headers;
  const header = (name: string) => {
    const v = received[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  return {
    outcome,
    status: outcome.kind === 'no-response' ? undefined : outcome.status,
    header,
    text: outcome.kind === 'no-response' ? '' : outcome.body.toString('utf8'),
    timing: parseServerTiming(header('server-timing')),
    ms,
  };
}

export function parseServerTiming(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(/,\s*(?=[A-Za-z])/).map((entry) => {
    const [name, ...params] = entry.split(';');
    const desc = params.find((p) => p.trim().startsWith('desc='))?.trim().slice(5).replace(/^"|"$/g, '');
    return `${name!.trim()} ${desc ?? ''}`.trim();
  });
}

/** Recomputes the GCS HMAC signature of a request a stub received, independently of the service's code. */
export function expectedGcsAuthorization(accessId: string, secret: string, bucket: string, method: string, date: string, path: string): string {
  const signature = createHmac('sha1', secret).update(`${method}\n\n\n${date}\n/${bucket}${path}`).digest('base64');
  return `AWS ${accessId}:${signature}`;
}
