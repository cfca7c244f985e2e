/**
 * promtool, Prometheus's own checker, pinned in package.json and fetched by
 * tools/promtool/install.sh: found at $PROMTOOL_PATH, .tools/promtool or on
 * PATH, and only where `--version` names the pinned version.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const PINNED: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).config.promtoolVersion;

export type Promtool = { readonly available: true; readonly path: string } | { readonly available: false; readonly reason: string };

export function findPromtool(): Promtool {
  const candidates = [process.env.PROMTOOL_PATH, join(ROOT, '.tools/promtool'), 'promtool'].filter((c): c is string => !!c);
  const seen: string[] = [];
  for (const path of candidates) {
    if (path.includes('/') && !existsSync(path)) continue;
    const run = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 });
    if (run.error || run.status !== 0) continue;
    const version = `${run.stdout}${run.stderr}`.split('\n')[0] ?? '';
    if (version.includes(`revision: ${PINNED})`)) return { available: true, path };
    seen.push(`${path} says ${JSON.stringify(version)}`);
  }
  return { available: false, reason: `no promtool of prometheus ${PINNED}${seen.length ? ` (${seen.join('; ')})` : ''}: run npm run promtool:install` };
}

/** Runs promtool with `args` (and `input` on stdin); its exit status and output. */
export function runPromtool(path: string, args: readonly string[], options: { cwd?: string; input?: string } = {}): { status: number | null; output: string } {
  const run = spawnSync(path, args, { cwd: options.cwd, input: options.input, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
