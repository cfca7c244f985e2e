/**
 * Where two texts first part ways, word by word, with a little context so a
 * person can see what changed: `…eligibility, appeals, tax credits…`.
 */

export interface FirstDifference {
  /** Index of the first word that differs (the shorter text may just end there). */
  readonly wordIndex: number;
  /** The words around that point in the reference (origin), with `…` where cut. */
  readonly expected: string;
  /** The same stretch in the copy being checked. */
  readonly actual: string;
}

/** Words shown before the first difference, and from it on. */
export const CONTEXT_WORDS = { before: 3, after: 8 } as const;

/** Null when the word lists are equal. */
export function firstDifference(expected: readonly string[], actual: readonly string[]): FirstDifference | null {
  const shorter = Math.min(expected.length, actual.length);
  let at = 0;
  while (at < shorter && expected[at] === actual[at]) at++;
  if (at === expected.length && at === actual.length) return null;
  return { wordIndex: at, expected: excerpt(expected, at), actual: excerpt(actual, at) };
}

function excerpt(words: readonly string[], at: number): string {
  const start = Math.max(0, at - CONTEXT_WORDS.before);
  const end = Math.min(words.length, at + CONTEXT_WORDS.after);
  const shown = words.slice(start, end).join(' ');
  if (shown === '' && words.length <= at) return '(ends here)';
  return `${start > 0 ? '…' : ''}${shown}${end < words.length ? '…' : ''}${end === words.length && at >= words.length ? ' (ends here)' : ''}`;
}
