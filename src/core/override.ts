/**
 * The `Backend-Override` header: on-call staff name one backend and get its
 * real answer, with no fallback.
 */
import { BACKEND_ORDER, type BackendName, findBackendName } from './backends.ts';
import type { OverrideMode } from './config.ts';

export const OVERRIDE_HEADER = 'Backend-Override';
export const OVERRIDE_TOKEN_HEADER = 'Backend-Override-Token';
/** Set on the response when an override header was sent but not honoured. */
export const OVERRIDE_IGNORED_HEADER = 'Backend-Override-Ignored';

export type OverrideDecision =
  /** No header: normal failover. */
  | { readonly kind: 'none' }
  /** Send to exactly this backend. */
  | { readonly kind: 'use'; readonly backend: BackendName }
  /** Header present but overrides are disabled: normal failover, and the response says so. */
  | { readonly kind: 'ignored'; readonly reason: string }
  /** Answer with an error, naming what was wrong. */
  | { readonly kind: 'reject'; readonly status: 400 | 403; readonly message: string };

export interface OverrideInput {
  readonly header: string | null;
  readonly tokenHeader: string | null;
  readonly mode: OverrideMode;
  /** The secret `override_token`, read only in `token` mode. */
  readonly expectedToken: () => Promise<string | null>;
}

const ALLOWED = BACKEND_ORDER.join(', ');

export async function decideOverride(input: OverrideInput): Promise<OverrideDecision> {
  if (input.header === null) return { kind: 'none' };
  if (input.mode === 'disabled') return { kind: 'ignored', reason: 'disabled' };

  const backend = findBackendName(input.header);
  if (backend === undefined) {
    return {
      kind: 'reject',
      status: 400,
      message: `Backend-Override: ${printable(input.header)} is not a backend. Allowed values: ${ALLOWED} (case-insensitive).`,
    };
  }
  if (input.mode === 'token') {
    const expected = await input.expectedToken();
    if (expected === null || expected === '') {
      return { kind: 'reject', status: 403, message: 'Backend-Override needs a token, and none is configured (secret override_token).' };
    }
    if (input.tokenHeader === null || !timingSafeEqual(input.tokenHeader, expected)) {
      return { kind: 'reject', status: 403, message: 'Backend-Override needs a Backend-Override-Token header with the right value.' };
    }
  }
  return { kind: 'use', backend };
}

/** Compares without an early exit, so timing does not reveal how much of a token matched. */
export function timingSafeEqual(given: string, expected: string): boolean {
  let diff = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) {
    diff |= (given.charCodeAt(i % Math.max(given.length, 1)) || 0) ^ expected.charCodeAt(i);
  }
  return diff === 0;
}

/** A header value made safe to echo in a plain-text error: at most 64 printable ASCII characters, quoted. */
export function printable(value: string): string {
  const cleaned = value.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(cleaned.length > 64 ? `${cleaned.slice(0, 64)}…` : cleaned);
}
