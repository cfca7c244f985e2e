/**
 * One GET through the edge service, optionally with `Backend-Override`:
 * status, time to first byte, body size and SHA-256, headers, and the body
 * (its first `keepBytes`; all of it for pages that are compared). Never
 * rejects: a request that gets no answer comes back as a `Failure`.
 */
import { createHash } from 'node:crypto';
import type { BackendName } from '../src/core/backends.ts';
import { OVERRIDE_HEADER, OVERRIDE_TOKEN_HEADER } from '../src/core/override.ts';
import { describeFailure, type Failure } from './failure.ts';

/** How much of the body is kept by default; the digest and byte count cover all of it. */
export const KEPT_BODY_BYTES = 64 * 1024;

export interface ProbeRequest {
  readonly url: URL;
  /** The backend to name in Backend-Override; undefined for normal failover. */
  readonly override: BackendName | undefined;
  readonly timeoutMs: number;
  /** Sent as Backend-Override-Token when set. */
  readonly overrideToken: string | undefined;
  /** Body bytes to keep (default 64 KiB). */
  readonly keepBytes?: number;
}

export interface Answer {
  readonly ok: true;
  readonly status: number;
  readonly ttfbMs: number;
  /** Bytes of the (decoded) body. */
  readonly bytes: number;
  readonly sha256: string;
  readonly headers: Headers;
  /** The first `keepBytes` of the body. */
  readonly body: Buffer;
  /** Whether `body` is the whole body. */
  readonly complete: boolean;
  /** `body` as UTF-8 text. */
  readonly bodyStart: string;
}

export interface NoAnswer {
  readonly ok: false;
  readonly failure: Failure;
  readonly elapsedMs: number;
}

export type ProbeResult = Answer | NoAnswer;

export async function probe(request: ProbeRequest): Promise<ProbeResult> {
  const signal = AbortSignal.timeout(request.timeoutMs);
  const headers = new Headers({ 'User-Agent': 'govuk-failover-cli' });
  if (request.override !== undefined) {
    headers.set(OVERRIDE_HEADER, request.override);
    if (request.overrideToken) headers.set(OVERRIDE_TOKEN_HEADER, request.overrideToken);
  }
  const started = performance.now();
  try {
    const response = await fetch(request.url, { headers, redirect: 'manual', signal });
    const ttfbMs = performance.now() - started;
    const body = await readBody(response, request.keepBytes ?? KEPT_BODY_BYTES);
    return { ok: true, status: response.status, ttfbMs, headers: response.headers, ...body };
  } catch (error) {
    return { ok: false, failure: describeFailure(error, request.url, request.timeoutMs, signal.aborted), elapsedMs: performance.now() - started };
  }
}

async function readBody(response: Response, keepBytes: number): Promise<{ bytes: number; sha256: string; body: Buffer; complete: boolean; bodyStart: string }> {
  const hash = createHash('sha256');
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  let bytes = 0;
  const reader = response.body?.getReader();
  while (reader) {
    const { done, value: chunk } = await reader.read();
    if (done) break;
    hash.update(chunk);
    bytes += chunk.byteLength;
    if (keptBytes < keepBytes) {
      const part = chunk.subarray(0, keepBytes - keptBytes);
      kept.push(part);
      keptBytes += part.byteLength;
    }
  }
  const body = Buffer.concat(kept);
  return { bytes, sha256: hash.digest('hex'), body, complete: keptBytes === bytes, bodyStart: body.toString('utf8') };
}
