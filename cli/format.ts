/** Small formatters shared by the text reports. */

export const NONE = '-';

/** `41 ms`, `1.3 s`. */
export function formatMs(ms: number | null): string {
  if (ms === null) return NONE;
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** An HTTP date without weekday and zone (`Sat, 21 Nov 2026 03:12:09 GMT` → `21 Nov 2026 03:12:09`); other text as is. */
export function formatHttpDate(value: string | null): string {
  if (value === null) return NONE;
  const match = /^\w{3}, (\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2}) GMT$/.exec(value);
  return match?.[1] ?? value;
}
