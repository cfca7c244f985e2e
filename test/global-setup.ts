/**
 * Runs once before any test file: builds bin/main.wasm from src/ (so every
 * file tests the same build, and none rebuilds it under another's feet) and
 * decides which engines the scenario suite runs on. With CI=true a missing
 * Viceroy fails the run here; elsewhere it is one skip line.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { locateViceroy, PINNED_VICEROY_VERSION } from '../viceroy/locate.ts';

const run = promisify(execFile);

export interface WasmBuild {
  readonly startedAt: number;
  readonly ms: number;
  readonly stderr: string;
}

export type ViceroyChoice = { readonly path: string; readonly version: string } | { readonly skipped: string };

declare module 'vitest' {
  export interface ProvidedContext {
    wasmBuild: WasmBuild;
    viceroy: ViceroyChoice;
  }
}

export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false';
}

export default async function setup(project: TestProject): Promise<void> {
  const lookup = locateViceroy();
  if (lookup.found) {
    if (lookup.version !== PINNED_VICEROY_VERSION) console.warn(`[engines] ${lookup.path} is viceroy ${lookup.version}, not the pinned ${PINNED_VICEROY_VERSION}`);
    console.log(`[engines] local-runtime, and viceroy ${lookup.version} (${lookup.path}, from ${lookup.from})`);
    project.provide('viceroy', { path: lookup.path, version: lookup.version });
  } else if (isCi()) {
    throw new Error(`[engines] CI=true, but the Viceroy engine cannot run: ${lookup.reason}. .ci/run installs it with viceroy/install.sh.`);
  } else {
    console.warn(`[scenarios] Viceroy engine skipped: ${lookup.reason}`);
    project.provide('viceroy', { skipped: lookup.reason });
  }

  const startedAt = Date.now();
  const { stderr } = await run('npm', ['run', '--silent', 'build'], { timeout: 300_000 });
  project.provide('wasmBuild', { startedAt, ms: Date.now() - startedAt, stderr });
  console.log(`[engines] built bin/main.wasm from src/ in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}
