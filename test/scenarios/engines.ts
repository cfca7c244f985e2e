/**
 * The engines the scenario suite runs on: the local runtime always, and
 * Viceroy (through @fastly/compute-testing and the Fastly CLI) wherever a
 * viceroy binary can be found. Both read the same fastly.toml.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ComputeApplication } from '@fastly/compute-testing';
import { type Clock, startLocalRuntime, type LocalRuntime, type LogLine } from '../../local-runtime/index.ts';
import { MANIFEST } from './world.ts';

export interface Engine {
  readonly name: 'local-runtime' | 'viceroy';
  readonly url: string;
  /** True where a readthrough HTTP cache exists (the local runtime models Fastly's; Viceroy has none). */
  readonly hasCache: boolean;
  /** The cache clock, where the engine lets a test move it. */
  readonly clock?: Clock;
  /** Log endpoint lines, where the engine lets a test read them. */
  readonly logs?: LogLine[];
  close(): Promise<void>;
}

export const VICEROY_ADDR = '127.0.0.1:7676';

export async function startLocalEngine(options: { manifest?: Record<string, unknown> } = {}): Promise<Engine> {
  const runtime: LocalRuntime = await startLocalRuntime({ manifestPath: MANIFEST, manifest: options.manifest, echoLogs: false, errorLog: () => undefined });
  return { name: 'local-runtime', url: runtime.url, hasCache: true, clock: runtime.clock, logs: runtime.logs, close: () => runtime.close() };
}

/** Where a viceroy binary is: $VICEROY_PATH, or `viceroy` on PATH; undefined when there is none. */
export function findViceroy(): string | undefined {
  const fromEnv = process.env.VICEROY_PATH;
  if (fromEnv) return existsSync(fromEnv) ? resolve(fromEnv) : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'viceroy');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export type ViceroyAvailability = { readonly available: true; readonly viceroy: string } | { readonly available: false; readonly reason: string };

export function viceroyAvailability(): ViceroyAvailability {
  const viceroy = findViceroy();
  if (!viceroy) {
    return { available: false, reason: 'no viceroy binary (set VICEROY_PATH or put viceroy on PATH, e.g. after `fastly compute install-tools`)' };
  }
  try {
    execFileSync(viceroy, ['--version'], { timeout: 10_000, stdio: 'pipe' });
  } catch (error) {
    return { available: false, reason: `${viceroy} --version failed: ${(error as Error).message}` };
  }
  return { available: true, viceroy };
}

const run = promisify(execFile);

/** Builds bin/main.wasm unless it is newer than every file in src/. */
async function ensureBuilt(): Promise<void> {
  const wasm = 'bin/main.wasm';
  const newestSource = Math.max(...listFiles('src').map((f) => statSync(f).mtimeMs));
  if (existsSync(wasm) && statSync(wasm).mtimeMs >= newestSource) return;
  await run('npm', ['run', '--silent', 'build'], { timeout: 300_000 });
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

export async function startViceroyEngine(viceroy: string): Promise<Engine> {
  await ensureBuilt();
  const fastly = resolve('node_modules/.bin/fastly');
  const app = new ComputeApplication();
  await app.start({
    appRoot: resolve('.'),
    addr: `http://${VICEROY_ADDR}/`,
    startCommand: `"${fastly}" compute serve --non-interactive --skip-build --viceroy-path="${viceroy}" --addr="${VICEROY_ADDR}"`,
    startTimeoutMsecs: 60_000,
  });
  return { name: 'viceroy', url: `http://${VICEROY_ADDR}`, hasCache: false, close: () => app.shutdown() };
}
