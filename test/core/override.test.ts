import { describe, expect, it } from 'vitest';
import type { OverrideMode } from '../../src/core/config.ts';
import { decideOverride, timingSafeEqual } from '../../src/core/override.ts';

const decide = (header: string | null, mode: OverrideMode = 'enabled', tokenHeader: string | null = null, token: string | null = 's3cret') =>
  decideOverride({ header, tokenHeader, mode, expectedToken: async () => token });

describe('decideOverride', () => {
  it.each([
    ['origin', 'origin'],
    ['mirrorS3', 'mirrorS3'],
    ['mirrorS3Replica', 'mirrorS3Replica'],
    ['mirrorGCS', 'mirrorGCS'],
    ['MIRRORS3', 'mirrorS3'],
    ['mirrors3replica', 'mirrorS3Replica'],
    [' mirrorgcs ', 'mirrorGCS'],
  ])('honours %j as %s', async (header, backend) => {
    expect(await decide(header)).toEqual({ kind: 'use', backend });
  });

  it('does nothing without the header', async () => {
    expect(await decide(null)).toEqual({ kind: 'none' });
  });

  it.each(['mirror', 'mirrorS4', '', 'origin,mirrorS3', 'mirrorS3; drop table', '\u0000'])('rejects %j with 400 naming the allowed values', async (header) => {
    const decision = await decide(header);
    expect(decision.kind).toBe('reject');
    if (decision.kind !== 'reject') return;
    expect(decision.status).toBe(400);
    expect(decision.message).toContain('origin, mirrorS3, mirrorS3Replica, mirrorGCS');
    expect(decision.message).not.toMatch(/[\u0000-\u001f]/);
  });

  it('ignores the header when disabled, and says so', async () => {
    expect(await decide('mirrorS3', 'disabled')).toEqual({ kind: 'ignored', reason: 'disabled' });
    expect(await decide('nonsense', 'disabled')).toEqual({ kind: 'ignored', reason: 'disabled' });
  });

  it('in token mode needs the right token', async () => {
    expect(await decide('mirrorS3', 'token', 's3cret')).toEqual({ kind: 'use', backend: 'mirrorS3' });
    expect(await decide('mirrorS3', 'token', 'wrong')).toMatchObject({ kind: 'reject', status: 403 });
    expect(await decide('mirrorS3', 'token', null)).toMatchObject({ kind: 'reject', status: 403 });
    expect(await decide('mirrorS3', 'token', 's3cret', null)).toMatchObject({ kind: 'reject', status: 403 });
    const rejected = await decide('mirrorS3', 'token', 'wrong');
    expect(JSON.stringify(rejected)).not.toContain('s3cret');
  });

  it('compares tokens fully', () => {
    expect(timingSafeEqual('abc', 'abc')).toBe(true);
    expect(timingSafeEqual('abd', 'abc')).toBe(false);
    expect(timingSafeEqual('ab', 'abc')).toBe(false);
    expect(timingSafeEqual('abcd', 'abc')).toBe(false);
    expect(timingSafeEqual('', 'abc')).toBe(false);
  });
});
