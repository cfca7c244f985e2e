/**
 * Numbers in tenths (what the diagnostics round durations to) as text,
 * without the runtime's general number printing: on the JavaScript runtime
 * the first fraction a request prints costs tens of microseconds. The same
 * text as `String(value)`; `undefined` for anything that is not a whole
 * number of tenths from 0 to 2^31 - 1 tenths, which callers print as before.
 */
export function tenthsText(value: number): string | undefined {
  const tenths = Math.round(value * 10);
  if (!(tenths >= 0 && tenths <= 0x7fffffff && tenths / 10 === value)) return undefined;
  const fraction = tenths % 10;
  const whole = (tenths - fraction) / 10;
  return fraction === 0 ? `${whole}` : `${whole}.${fraction}`;
}
