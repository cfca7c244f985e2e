/**
 * Starts the local runtime (the service under test) in a child Node process
 * with a given manifest, and stops it. Bounded: start and stop each time out,
 * and a child that does not stop is killed by its pid.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
const CHILD = resolve(import.meta.dirname, 'runtime-child.ts');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface RuntimeProcess {
  readonly url: string;
  readonly pid: number;
  /** Stops the runtime and waits for the process to exit. Idempotent. */
  stop(): Promise<{ logLines: number; runtimeErrors: number } | undefined>;
}

/** Runs `entry` (a service entry file) on the local runtime with the manifest at `manifestPath`. */
export async function startRuntimeProcess(manifestPath: string, entry: string): Promise<RuntimeProcess> {
  const child = fork(CHILD, [manifestPath, entry], {
    cwd: REPO,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 8000) stderr += chunk.toString('utf8');
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      kill(child);
      reject(new Error(`runtime child did not start within ${START_TIMEOUT_MS} ms\n${stderr}`));
    }, START_TIMEOUT_MS);
    child.on('message', (m: { type?: string; url?: string }) => {
      if (m?.type === 'ready' && typeof m.url === 'string') {
        clearTimeout(timer);
        resolveUrl(m.url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`runtime child exited (${code}) before it was ready\n${stderr}`));
    });
  });

  let stopping: Promise<{ logLines: number; runtimeErrors: number } | undefined> | undefined;
  const stop = async () => {
    let stats: { logLines: number; runtimeErrors: number } | undefined;
    child.on('message', (m: { type?: string; logLines?: number; runtimeErrors?: number }) => {
      if (m?.type === 'closed') stats = { logLines: m.logLines ?? 0, runtimeErrors: m.runtimeErrors ?? 0 };
    });
    if (child.connected) child.send({ type: 'close' });
    const timer = setTimeout(() => kill(child), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    return stats;
  };
  return {
    url,
    pid: child.pid ?? -1,
    stop: () => (stopping ??= stop()),
  };
}

function kill(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
