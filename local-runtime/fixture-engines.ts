/**
 * For the local runtime's own tests: a fixture service on each engine, with
 * the same interface: the local runtime (the fixture bundled in Node), and
 * Viceroy (the same file compiled by js-compute-runtime with
 * --enable-http-cache, as the service is).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { startViceroy } from '../viceroy/server.ts';
import { type LogLine, startLocalRuntime } from './index.ts';
import { FIXTURE_MANIFEST, FIXTURES } from './test-helpers.ts';

export interface RunningFixture {
  readonly url: string;
  readonly logs: LogLine[];
  waitForLogs(count: number): Promise<void>;
  close(): Promise<void>;
}

export interface FixtureEngine {
  readonly name: 'local-runtime' | 'viceroy';
  /** Work before the first start (compiling the fixture to wasm). */
  prepare?(): Promise<void>;
  cleanup?(): void;
  start(manifest: Record<string, unknown>): Promise<RunningFixture>;
}

const run = promisify(execFile);

/** `entry` on the local runtime; `httpCache`: model Fastly's readthrough cache (Viceroy has none). */
export function localFixtureEngine(entry: string, options: { httpCache: boolean }): FixtureEngine {
  return {
    name: 'local-runtime',
    async start(manifest) {
      const rt = await startLocalRuntime({ manifest, manifestPath: FIXTURE_MANIFEST, entry, httpCache: options.httpCache, echoLogs: false, errorLog: () => undefined });
      return {
        url: rt.url,
        logs: rt.logs,
        waitForLogs: async (n) => expect(rt.logs.length).toBeGreaterThanOrEqual(n),
        close: () => rt.close(),
      };
    },
  };
}

/** `entry` compiled to wasm and run in the Viceroy at `viceroyPath`. */
export function viceroyFixtureEngine(viceroyPath: string, entry: string): FixtureEngine {
  const dir = mkdtempSync(join(tmpdir(), 'govuk-failover-fixture-'));
  const wasm = join(dir, 'fixture.wasm');
  return {
    name: 'viceroy',
    async prepare() {
      await run('npx', ['js-compute-runtime', '--enable-http-cache', entry, wasm], { timeout: 300_000 });
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
    // Viceroy reads relative store files from its working directory, the double from the manifest's.
    start: (manifest) => startViceroy({ viceroy: viceroyPath, wasm, manifest, cwd: FIXTURES }),
  };
}
