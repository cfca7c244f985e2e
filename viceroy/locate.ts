/**
 * Where the pinned Viceroy is. The version lives in one place, package.json's
 * `config.viceroyVersion`; `npm run viceroy:install` installs exactly that one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

const PACKAGE_JSON = resolve(import.meta.dirname, '..', 'package.json');

export const PINNED_VICEROY_VERSION: string = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { config: { viceroyVersion: string } }).config.viceroyVersion;

export type ViceroyLookup =
  | { readonly found: true; readonly path: string; readonly version: string; readonly from: string }
  | { readonly found: false; readonly reason: string };

/** `viceroy --version` prints `viceroy 0.22.0`; undefined when it cannot be run. */
export function viceroyVersion(path: string): string | undefined {
  try {
    const out = execFileSync(path, ['--version'], { timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    return /^viceroy (\S+)/.exec(out.trim())?.[1];
  } catch {
    return undefined;
  }
}

/**
 * `$VICEROY_PATH` is taken as it is, whatever its version (it is an explicit
 * choice). Otherwise `viceroy` on PATH, then in cargo's bin directory, but
 * only when it is the pinned version.
 */
export function locateViceroy(env: NodeJS.ProcessEnv = process.env): ViceroyLookup {
  const explicit = env.VICEROY_PATH;
  if (explicit) {
    const version = existsSync(explicit) ? viceroyVersion(explicit) : undefined;
    if (!version) return { found: false, reason: `VICEROY_PATH=${explicit} is not a viceroy that runs` };
    return { found: true, path: resolve(explicit), version, from: '$VICEROY_PATH' };
  }
  const cargoBin = join(env.CARGO_INSTALL_ROOT ?? env.CARGO_HOME ?? join(homedir(), '.cargo'), 'bin');
  const candidates: [string, string][] = [
    ...(env.PATH ?? '').split(delimiter).filter(Boolean).map((dir): [string, string] => [join(dir, 'viceroy'), 'PATH']),
    [join(cargoBin, 'viceroy'), "cargo's bin directory"],
  ];
  const others: string[] = [];
  for (const [path, from] of candidates) {
    if (!existsSync(path)) continue;
    const version = viceroyVersion(path);
    if (version === PINNED_VICEROY_VERSION) return { found: true, path, version, from };
    others.push(`${path} is ${version ? `viceroy ${version}` : 'not runnable'}`);
  }
  const seen = others.length ? ` (${[...new Set(others)].join('; ')})` : '';
  return { found: false, reason: `no viceroy ${PINNED_VICEROY_VERSION} found${seen}; run \`npm run viceroy:install\` or set VICEROY_PATH` };
}
