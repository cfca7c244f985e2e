/** tenthsText (src/core/tenths.ts) against String, seeded. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tenthsText } from '../../src/core/tenths.ts';
import { runs } from '../support/property-runs.ts';

describe('tenthsText', () => {
  it('prints what String prints, for every number in tenths, and declines the rest', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 0x7fffffff }).map((t) => t / 10), fc.double({ noNaN: false }), fc.constantFrom(-0, 0.05, 214748364.7, 214748364.8)), (value) => {
        const text = tenthsText(value);
        if (text !== undefined) expect(text).toBe(String(value));
        else expect(Math.round(value * 10) / 10 === value && value >= 0 && value <= 214748364.7).toBe(false);
      }),
      runs(5000),
    );
  });
});
