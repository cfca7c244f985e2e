/**
 * Durations on the command line (`20s`, `500ms`, `24h`, `2d`) and in output
 * (`18h 59m`).
 */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds for `<number><unit>` (units ms, s, m, h, d), or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}

/** A duration for people, two units at most: `850 ms`, `12s`, `4m 10s`, `18h 59m`, `2d 18h`, `1d`. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  const totalSeconds = Math.floor(abs / 1000);
  const [d, h, m, s] = [Math.floor(totalSeconds / 86_400), Math.floor(totalSeconds / 3600) % 24, Math.floor(totalSeconds / 60) % 60, totalSeconds % 60];
  const [big, small] = d > 0 ? [`${d}d`, `${h}h`] : h > 0 ? [`${h}h`, `${m}m`] : m > 0 ? [`${m}m`, `${s}s`] : [`${s}s`, '0'];
  return small.startsWith('0') ? `${sign}${big}` : `${sign}${big} ${small}`;
}
