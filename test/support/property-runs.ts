/**
 * fast-check settings shared by the property tests: a fixed number of runs per
 * property and an explicit seed, printed by fast-check when a property fails.
 * Set FC_SEED (and FC_PATH, for the shrunk case) to replay exactly that run.
 */
import type { Parameters } from 'fast-check';

export interface Runs<T> extends Parameters<T> {
  readonly numRuns: number;
  readonly seed: number;
}

export function runs<T>(numRuns: number): Runs<T> {
  const path = replayPath();
  return { numRuns, seed: replaySeed() ?? randomSeed(), ...(path === undefined ? {} : { path }) };
}

function randomSeed(): number {
  return (Math.random() * 0x100000000) | 0;
}

function replaySeed(): number | undefined {
  const seed = process.env.FC_SEED?.trim();
  if (seed === undefined || seed === '') return undefined;
  if (!/^-?\d+$/.test(seed)) {
    throw new Error(`FC_SEED must be the integer seed fast-check printed (e.g. FC_SEED=-1234567), not ${JSON.stringify(seed)}.`);
  }
  return Number(seed);
}

function replayPath(): string | undefined {
  const path = process.env.FC_PATH?.trim();
  if (path === undefined || path === '') return undefined;
  if (!/^\d+(?::\d+)*$/.test(path)) {
    throw new Error(`FC_PATH must be the path fast-check printed (e.g. FC_PATH=3:1:0), not ${JSON.stringify(path)}.`);
  }
  return path;
}
