/**
 * Build time and size of the wasm: runs js-compute-runtime (as `npm run
 * build` does, without its tsc step) into a temporary file, timed, bounded,
 * and reports that file's size and that of the committed-or-built
 * bin/main.wasm if present.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
const BUILD_TIMEOUT_MS = 120_000;

export interface BuildResult {
  /** False when the build was not run (quick mode, --skip-build). */
  readonly ran: boolean;
  readonly command: string;
  readonly ok: boolean;
  readonly ms: number | null;
  readonly wasmBytes: number | null;
  /** Size of bin/main.wasm in the repo, if there is one. */
  readonly binMainWasmBytes: number | null;
  readonly error?: string;
}

export async function binMainWasmBytes(): Promise<number | null> {
  return (await stat(join(REPO, 'bin/main.wasm')).catch(() => undefined))?.size ?? null;
}

export async function measureBuild(): Promise<BuildResult> {
  const dir = await mkdtemp(join(tmpdir(), 'govuk-failover-bench-build-'));
  const out = join(dir, 'main.wasm');
  const args = ['js-compute-runtime', '--enable-http-cache', 'src/index.ts', out];
  const command = `npx ${args.slice(0, -1).join(' ')} <tmp>/main.wasm`;
  try {
    const started = performance.now();
    const { code, output } = await run('npx', args);
    const ms = performance.now() - started;
    const size = (await stat(out).catch(() => undefined))?.size ?? null;
    const ok = code === 0 && size !== null;
    return { ran: true, command, ok, ms: ok ? ms : null, wasmBytes: size, binMainWasmBytes: await binMainWasmBytes(), ...(ok ? {} : { error: output.slice(-2000) || `exit ${code}` }) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs a command in its own process group, killed (by group id) if it outlives the timeout. */
function run(cmd: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      output += `\nbuild killed after ${BUILD_TIMEOUT_MS} ms`;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, BUILD_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolveRun({ code: null, output: `${output}\n${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, output });
    });
  });
}
