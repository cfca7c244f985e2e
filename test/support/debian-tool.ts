/**
 * A tool pinned in package.json (`config.debianTools`) and fetched by
 * tools/debian-tool/install.sh: found at its environment variable, at
 * .tools/<tool> or on PATH, and only where `--version` names the pinned
 * package version.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

interface Pin {
  readonly package: string;
  readonly version: string;
  /** The binary's path in the package (its name is what PATH has). */
  readonly binary: string;
  readonly env: string;
}

export type DebianToolName = 'promtool' | 'pushgateway';

export type DebianTool = { readonly available: true; readonly path: string } | { readonly available: false; readonly reason: string };

export function findDebianTool(tool: DebianToolName): DebianTool {
  const pin: Pin = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).config.debianTools[tool];
  const candidates = [process.env[pin.env], join(ROOT, '.tools', tool), basename(pin.binary)].filter((c): c is string => !!c);
  const seen: string[] = [];
  for (const path of candidates) {
    if (path.includes('/') && !existsSync(path)) continue;
    const run = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 });
    if (run.error || run.status !== 0) continue;
    const version = `${run.stdout}${run.stderr}`.split('\n')[0] ?? '';
    // The tool's own name too: Debian's prometheus server says the same revision as its promtool.
    if (version.startsWith(`${tool}, version `) && version.includes(`revision: ${pin.version})`)) return { available: true, path };
    seen.push(`${path} says ${JSON.stringify(version)}`);
  }
  return { available: false, reason: `no ${tool} of ${pin.package} ${pin.version}${seen.length ? ` (${seen.join('; ')})` : ''}: run npm run ${tool}:install` };
}
