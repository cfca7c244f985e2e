/** promtool, Prometheus's own checker, pinned and fetched as test/support/debian-tool.ts says. */
import { spawnSync } from 'node:child_process';
import { type DebianTool, findDebianTool } from './debian-tool.ts';

export function findPromtool(): DebianTool {
  return findDebianTool('promtool');
}

/** Runs promtool with `args` (and `input` on stdin); its exit status and output. */
export function runPromtool(path: string, args: readonly string[], options: { cwd?: string; input?: string } = {}): { status: number | null; output: string } {
  const run = spawnSync(path, args, { cwd: options.cwd, input: options.input, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
