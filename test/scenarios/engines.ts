/**
 * The engines the scenario suite runs on: the local runtime always, and
 * Viceroy with bin/main.wasm (built from src/ by the global setup) wherever
 * the pinned Viceroy is found. Both are given the same manifest document:
 * fastly.toml, with the backends pointed at the test's stubs.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { inject } from 'vitest';
import { type Clock, type LogLine, startLocalRuntime } from '../../local-runtime/index.ts';
import { startViceroy } from '../../viceroy/server.ts';
import { MANIFEST } from './world.ts';

export type EngineName = 'local-runtime' | 'viceroy';

export interface Engine {
  readonly name: EngineName;
  readonly url: string;
  /** True where a readthrough HTTP cache exists (the local runtime models Fastly's; Viceroy has none). */
  readonly hasCache: boolean;
  /** The cache clock, where the engine lets a test move it (the local runtime only). */
  readonly clock?: Clock;
  /** Log endpoint lines, as the engine reports them. */
  readonly logs: LogLine[];
  /** Everything else the engine printed (Viceroy's own diagnostics, guest stderr); the local runtime's errors. */
  readonly output: string[];
  /** Resolves once `count` log lines have arrived (Viceroy prints them a moment after the response). */
  waitForLogs(count: number): Promise<void>;
  /** What the engine holds in memory, in bytes: the JS heap after a GC (local runtime), Viceroy's resident set. */
  memory(): number;
  close(): Promise<void>;
}

export interface StartOptions {
  /** The local runtime's readthrough cache (default on); Viceroy has none either way. */
  readonly httpCache?: boolean;
}

export interface EngineSpec {
  readonly name: EngineName;
  readonly hasCache: boolean;
  start(manifest: Record<string, unknown>, options?: StartOptions): Promise<Engine>;
}

export const WASM = 'bin/main.wasm';

export const LOCAL_ENGINE: EngineSpec = {
  name: 'local-runtime',
  hasCache: true,
  async start(manifest, options = {}) {
    const output: string[] = [];
    const runtime = await startLocalRuntime({ manifestPath: MANIFEST, manifest, httpCache: options.httpCache, echoLogs: false, errorLog: (line) => void output.push(line) });
    return {
      name: 'local-runtime',
      url: runtime.url,
      hasCache: true,
      clock: runtime.clock,
      logs: runtime.logs,
      output,
      waitForLogs: async (count) => {
        if (runtime.logs.length < count) throw new Error(`expected ${count} log lines, got ${runtime.logs.length}`);
      },
      memory: () => {
        collectGarbage();
        return process.memoryUsage().heapUsed;
      },
      close: () => runtime.close(),
    };
  },
};

export function viceroyEngine(viceroy: string): EngineSpec {
  return {
    name: 'viceroy',
    hasCache: false,
    async start(manifest) {
      const server = await startViceroy({ viceroy, wasm: WASM, manifest });
      return {
        name: 'viceroy',
        url: server.url,
        hasCache: false,
        logs: server.logs,
        output: server.output,
        waitForLogs: (n) => server.waitForLogs(n),
        memory: () => residentBytes(server.pid),
        close: () => server.close(),
      };
    },
  };
}

/** The local runtime, and Viceroy when the global setup found it (it prints the skip line otherwise). */
export function engines(): EngineSpec[] {
  const viceroy = inject('viceroy');
  return 'path' in viceroy ? [LOCAL_ENGINE, viceroyEngine(viceroy.path)] : [LOCAL_ENGINE];
}

let gc: (() => void) | undefined;
function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** A process's resident set (VmRSS), from /proc. */
function residentBytes(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kib) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * 1024;
}
