import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/core/attempt.ts';
import { serverTiming, suspectScopeIn } from '../../src/core/diagnostics.ts';

const ATTEMPTS: AttemptRecord[] = [
  { backend: 'origin', outcome: 'abandoned', startMs: 0, durationMs: 12.34 },
  { backend: 'mirrorS3', outcome: 'ok', status: 200, startMs: 0, durationMs: 12.3 },
];

describe('Server-Timing and the suspect scope', () => {
  it('puts the suspect scope first, and reads it back', () => {
    const value = serverTiming(ATTEMPTS, '/government');
    expect(value).toBe('suspect;desc="/government", origin;desc="abandoned";dur=12.3, mirrorS3;desc="ok 200";dur=12.3');
    expect(suspectScopeIn(value)).toBe('/government');
  });

  it.each(['*', '/', '/a"b', '/a\\b'])('quotes %j so that it reads back the same', (scope) => {
    expect(suspectScopeIn(serverTiming(ATTEMPTS, scope))).toBe(scope);
  });

  it('has no suspect entry when nothing was suspect', () => {
    expect(serverTiming(ATTEMPTS)).toBe('origin;desc="abandoned";dur=12.3, mirrorS3;desc="ok 200";dur=12.3');
    expect(suspectScopeIn(serverTiming(ATTEMPTS))).toBeNull();
    expect(suspectScopeIn(null)).toBeNull();
  });
});
