/**
 * One GET through the edge service, optionally with `Backend-Override`:
 * status, time to first byte, body size and SHA-256, headers, and the start
 * of the body (for error messages and the sync marker). Never rejects: a
 * request that gets no answer comes back as a `Failure`.
 */
import { createHash } from 'node:crypto';
import type { BackendName } from '../src/core/backends.ts';
import { OVERRIDE_HEADER, OVERRIDE_TOKEN_HEADER } from '../src/core/override.ts';
import { describeFailure, type Failure } from './failure.ts';

/** How much of the body is kept as text; the digest and byte count cover all of it. */
const KEPT_BODY_BYTES = 64 * 1024;

export interface ProbeRequest {
  readonly url: URL;
  /** The backend to name in Backend-Override; undefined for normal failover. */
  readonly override: BackendName | undefined;
  readonly timeoutMs: number;
  /** Sent as Backend-Override-Token when set. */
  readonly overrideToken: string | undefined;
}

export interface Answer {
  readonly ok: true;
  readonly status: number;
  readonly ttfbMs: number;
  /** Bytes of the (decoded) body. */
  readonly bytes: number;
  readonly sha256: string;
  readonly headers: Headers;
  /** The first 64 KiB of the body, as UTF-8 text. */
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
    const body = await readBody(response);
    return { ok: true, status: response.status, ttfbMs, headers: response.headers, ...body };
  } catch (error) {
    return { ok: false, failure: describeFailure(error, request.url, request.timeoutMs, signal.aborted), elapsedMs: performance.now() - started };
  }
}

async function readBody(response: Response): Promise<{ bytes: number; sha256: string; bodyStart: string }> {
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
    if (keptBytes < KEPT_BODY_BYTES) {
      const part = chunk.subarray(0, KEPT_BODY_BYTES - keptBytes);
      kept.push(part);
      keptBytes += part.byteLength;
    }
  }
  return { bytes, sha256: hash.digest('hex'), bodyStart: Buffer.concat(kept).toString('utf8') };
}
