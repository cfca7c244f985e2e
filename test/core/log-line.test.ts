/**
 * The hand-written log line (src/core/log-line.ts) must be exactly what
 * JSON.stringify makes of the same record: fixed cases for each optional
 * field, and a seeded property over records with awkward strings and numbers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACKEND_ORDER } from '../../src/core/backends.ts';
import type { LogRecord } from '../../src/core/diagnostics.ts';
import { logRecord } from '../../src/core/diagnostics.ts';
import { logLine } from '../../src/core/log-line.ts';
import { runs } from '../support/property-runs.ts';

const awkward = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', '/browse/benefits', 'a"b', 'back\\slash', 'tab\there', 'line\nbreak', '\u0000', '\u007f', 'é', '\u2028', '😀', 'x'.repeat(300)),
);
/** What the log's rounding gives (tenths), and numbers it never gives, to reach the fallback. */
const ms = fc.oneof(
  fc.integer({ min: 0, max: 10_000_000 }).map((tenths) => Math.round(tenths) / 10),
  fc.constantFrom(0, -0, 0.1, 0.3, 1.1, 2.25, 1e21, 123456789.9, -1.5),
  fc.double({ noNaN: false }),
);
const attempt = fc.record(
  {
    backend: fc.constantFrom(...BACKEND_ORDER),
    outcome: fc.oneof(fc.constantFrom('ok', 'http-error', 'timeout', 'connection-error', 'unhealthy', 'unavailable', 'abandoned', 'error'), awkward),
    status: fc.oneof(fc.constant(null), fc.integer({ min: 100, max: 599 })),
    start_ms: ms,
    ms,
    detail: awkward,
    objects: fc.array(awkward, { maxLength: 3 }),
  },
  { requiredKeys: ['backend', 'outcome', 'status', 'start_ms', 'ms'] },
);
const record: fc.Arbitrary<LogRecord> = fc.record(
  {
    time: fc.oneof(fc.constant('2026-11-30T10:40:21.123Z'), awkward),
    request_id: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), awkward),
    method: fc.oneof(fc.constantFrom('GET', 'HEAD', 'POST'), awkward),
    path: awkward,
    override: fc.oneof(fc.constant(null), awkward),
    attempts: fc.array(attempt, { maxLength: 4 }),
    backend: fc.constantFrom(...BACKEND_ORDER, 'error' as const),
    status: fc.integer({ min: 100, max: 599 }),
    total_ms: ms,
    config_problems: fc.array(awkward, { maxLength: 3 }),
    suspect_scope: awkward,
    outage_memory_error: awkward,
    error: awkward,
  },
  { requiredKeys: ['time', 'request_id', 'method', 'path', 'override', 'attempts', 'backend', 'status', 'total_ms'] },
);

describe('logLine', () => {
  it('writes a typical record as JSON.stringify does', () => {
    const typical = logRecord({
      time: new Date(Date.UTC(2026, 10, 30, 10, 40, 21, 123)),
      requestId: 'b2c4e6f8a0b2c4e6f8a0b2c4e6f8a0b2',
      method: 'GET',
      path: '/browse/benefits',
      override: null,
      attempts: [
        { backend: 'origin', outcome: 'http-error', status: 503, startMs: 0.04, durationMs: 2.25 },
        { backend: 'mirrorS3', outcome: 'ok', status: 200, startMs: 2.31, durationMs: 7.5, objects: ['www.gov.uk/a.html', 'www.gov.uk/a/index.html'] },
        { backend: 'mirrorGCS', outcome: 'unavailable', startMs: 0, durationMs: 0, detail: 'no HMAC key (gcs_access_id, gcs_secret_key) in secret store "failover_secrets"' },
      ],
      backend: 'mirrorS3',
      status: 200,
      totalMs: 10.26,
      configProblems: ['hedge_after_ms: "5s" is not a whole number; using the default'],
      suspectScope: '/browse',
    });
    expect(logLine(typical)).toBe(JSON.stringify(typical));
  });

  it('is JSON.stringify for any record, however odd its strings and numbers', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(logLine(r)).toBe(JSON.stringify(r));
      }),
      runs(3000),
    );
  });
});
